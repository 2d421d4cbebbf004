// NumPy's .npy format (format versions 1.0, 2.0 and 3.0): parse_npy_header() reads and checks the
// header, npy_to_native() turns stored elements into a native, C-order Tensor, parse_npy() and
// read_npy() do both for a whole array. Data-set use (per-sample reads): tensor_dataset.hpp.
//
// The file is untrusted input: every field is checked before anything is allocated from it, and
// nothing is allocated that the bytes present do not justify (the data the header describes must
// be in the file, exactly).
//
// Layout: the magic "\x93NUMPY", major and minor version bytes, the header length (u16 little-endian
// in 1.0, u32 in 2.0 and 3.0), then the header: a Python dict literal
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), } padded with spaces and '\n'. The data
// follows: prod(shape) elements of descr, in C order, or Fortran order when fortran_order is True.
// Supported descr: byte order '<', '>', '=' (or '|' for 1-byte types) and f2 f4 f8 i1 i2 i4 i8
// u1 u2 u4 u8 b1. Fortran-order arrays are transposed to C order when converted.
#ifndef MUTINY_IO_NPY_HPP_
#define MUTINY_IO_NPY_HPP_

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "../core/dtype.hpp"
#include "../core/error.hpp"
#include "../core/shape.hpp"
#include "../core/tensor.hpp"
#include "random_access_file.hpp"

namespace mutiny {

// What an .npy header says, and where the data lies (offsets from the first byte of the .npy).
struct NpyHeader {
    DType dtype = DType::f32;
    bool big_endian = false;  // elements stored big-endian: swapped when converted (hosts are little-endian)
    bool fortran_order = false;
    std::vector<int64_t> shape;
    uint64_t data_offset = 0;
    uint64_t data_bytes = 0;
    int version = 1;

    uint64_t count() const {
        uint64_t n = 1;
        for (int64_t d : shape) n *= static_cast<uint64_t>(d);
        return n;
    }
    std::string shape_str() const {
        std::string s = "(";
        for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
        return s + (shape.size() == 1 ? ",)" : ")");
    }
};

namespace npy_detail {

constexpr uint64_t kMaxHeader = uint64_t(1) << 20;  // NumPy itself refuses headers over 10000 bytes by default
constexpr size_t kMaxRank = 64;                    // NumPy's NPY_MAXDIMS

// A cursor over the header dict, with errors naming the header's byte offset in the file.
class DictParser {
public:
    DictParser(const char* p, size_t n, uint64_t base, const std::string& where) : p_(p), n_(n), base_(base), where_(where) {}

    [[noreturn]] void fail(const std::string& why) const {
        throw Error("header dict does not parse", where_ + " at byte " + std::to_string(base_ + i_), why);
    }
    void skip_space() {
        while (i_ < n_ && (p_[i_] == ' ' || p_[i_] == '\t' || p_[i_] == '\n' || p_[i_] == '\r')) ++i_;
    }
    bool eat(char c) {
        skip_space();
        if (i_ < n_ && p_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }
    void expect(char c, const char* what) {
        if (!eat(c)) fail(std::string("expected ") + what + (i_ < n_ ? std::string(", found '") + p_[i_] + "'" : ", found the end of the header"));
    }
    char peek() {
        skip_space();
        return i_ < n_ ? p_[i_] : '\0';
    }
    // A quoted string, '...' or "...", without escapes (NumPy's descr and keys need none).
    std::string string() {
        skip_space();
        if (i_ >= n_ || (p_[i_] != '\'' && p_[i_] != '"')) fail("expected a quoted string");
        const char q = p_[i_++];
        const size_t b = i_;
        while (i_ < n_ && p_[i_] != q) {
            if (p_[i_] == '\\') fail("escapes in strings are not supported");
            ++i_;
        }
        if (i_ >= n_) fail("unterminated string");
        return std::string(p_ + b, p_ + i_++);
    }
    bool boolean() {
        skip_space();
        for (const char* w : {"True", "False"}) {
            const size_t k = std::strlen(w);
            if (n_ - i_ >= k && std::memcmp(p_ + i_, w, k) == 0) {
                i_ += k;
                return w[0] == 'T';
            }
        }
        fail("expected True or False");
    }
    // A tuple of non-negative integers: (), (3,), (3, 4) and (3, 4,).
    std::vector<int64_t> shape() {
        expect('(', "'(' opening the shape tuple");
        std::vector<int64_t> s;
        while (!eat(')')) {
            skip_space();
            if (i_ >= n_ || p_[i_] < '0' || p_[i_] > '9') fail("expected a non-negative integer in the shape tuple");
            int64_t v = 0;
            while (i_ < n_ && p_[i_] >= '0' && p_[i_] <= '9') {
                if (v > (INT64_MAX - 9) / 10) fail("shape dimension too large");
                v = v * 10 + (p_[i_++] - '0');
            }
            if (n_ - i_ >= 1 && (p_[i_] == 'L')) ++i_;  // Python 2 longs
            s.push_back(v);
            if (s.size() > kMaxRank) fail("more than " + std::to_string(kMaxRank) + " dimensions");
            if (!eat(',')) {
                expect(')', "',' or ')' in the shape tuple");
                break;
            }
        }
        return s;
    }
    bool at_end() {
        skip_space();
        return i_ >= n_;
    }

private:
    const char* p_;
    size_t n_;
    size_t i_ = 0;
    uint64_t base_;
    const std::string& where_;
};

// descr ("<f4", "|b1", ...) -> dtype and byte order.
inline void parse_descr(const std::string& d, NpyHeader& h, const std::string& where) {
    if (d.size() < 3) throw Error("unsupported dtype '" + d + "'", where, "expected a byte order and a type code such as '<f4'");
    const char order = d[0];
    const std::string code = d.substr(1);
    static const struct {
        const char* code;
        DType t;
    } table[] = {{"f2", DType::f16}, {"f4", DType::f32}, {"f8", DType::f64}, {"i1", DType::i8},  {"i2", DType::i16},
                 {"i4", DType::i32}, {"i8", DType::i64}, {"u1", DType::u8},  {"u2", DType::u16}, {"u4", DType::u32},
                 {"u8", DType::u64}, {"b1", DType::boolean}};
    bool found = false;
    for (const auto& e : table)
        if (code == e.code) {
            h.dtype = e.t;
            found = true;
        }
    if (!found)
        throw Error("unsupported dtype '" + d + "'", where, "supported: f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1 (structured, string and object arrays are not)");
    const size_t size = dtype_size(h.dtype);
    if (order == '<' || order == '=') h.big_endian = false;
    else if (order == '>') h.big_endian = size > 1;
    else if (order == '|' && size == 1) h.big_endian = false;
    else if (order == '|')
        throw Error("invalid byte order marker '|' in dtype '" + d + "'", where, "'|' (not applicable) is only valid for 1-byte types; expected '<' or '>'");
    else
        throw Error(std::string("invalid byte order marker '") + order + "' in dtype '" + d + "'", where, "expected '<' (little-endian), '>' (big-endian), '=' or '|'");
}

inline uint32_t le32(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24; }

}  // namespace npy_detail

// Parses the header of an .npy whose first `n` bytes are p[0..n) (the header must be among them)
// and whose whole size is `total` bytes. Checks that the data the header describes fills the rest
// exactly. `where` names the file (and the npz entry) in errors.
inline NpyHeader parse_npy_header(const uint8_t* p, size_t n, uint64_t total, const std::string& where) {
    using namespace npy_detail;
    if (n > total) n = static_cast<size_t>(total);
    static const uint8_t magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
    if (n < 10 || std::memcmp(p, magic, 6) != 0)
        throw Error("not an .npy file", where,
                    n < 6 || std::memcmp(p, magic, 6) != 0 ? "it does not start with the magic \\x93NUMPY"
                                                          : "the file ends inside the 10-byte preamble (" + std::to_string(total) + " bytes)");
    NpyHeader h;
    h.version = p[6];
    if ((p[6] != 1 && p[6] != 2 && p[6] != 3) || p[7] != 0)
        throw Error("unsupported .npy format version " + std::to_string(p[6]) + "." + std::to_string(p[7]), where, "supported: 1.0, 2.0, 3.0");
    const uint64_t pre = h.version == 1 ? 10 : 12;
    if (n < pre) throw Error("truncated .npy header", where, "the file ends inside the " + std::to_string(pre) + "-byte preamble");
    const uint64_t hlen = h.version == 1 ? uint64_t(p[8]) | uint64_t(p[9]) << 8 : le32(p + 8);
    if (hlen > kMaxHeader)
        throw Error("header length beyond the limit", where + " at byte 8",
                    "the preamble says " + std::to_string(hlen) + " bytes; headers over " + std::to_string(kMaxHeader) + " bytes are refused");
    if (pre + hlen > total)
        throw Error("header length beyond the file", where + " at byte 8",
                    "the preamble says the header has " + std::to_string(hlen) + " bytes, the file has " + std::to_string(total - pre) +
                        " after the preamble");
    if (pre + hlen > n) throw Error("truncated .npy header", where, "the header's " + std::to_string(hlen) + " bytes were not read");
    const char* text = reinterpret_cast<const char*>(p + pre);
    DictParser d(text, static_cast<size_t>(hlen), pre, where);
    bool have_descr = false, have_order = false, have_shape = false;
    d.expect('{', "'{' opening the header dict");
    while (!d.eat('}')) {
        const std::string key = d.string();
        d.expect(':', "':' after a key");
        if (key == "descr") {
            if (have_descr) d.fail("key 'descr' given twice");
            if (d.peek() != '\'' && d.peek() != '"') d.fail("descr is not a string: structured dtypes are not supported");
            parse_descr(d.string(), h, where);
            have_descr = true;
        } else if (key == "fortran_order") {
            if (have_order) d.fail("key 'fortran_order' given twice");
            h.fortran_order = d.boolean();
            have_order = true;
        } else if (key == "shape") {
            if (have_shape) d.fail("key 'shape' given twice");
            h.shape = d.shape();
            have_shape = true;
        } else {
            d.fail("unexpected key '" + key + "' (an .npy header has descr, fortran_order and shape)");
        }
        if (!d.eat(',')) {
            d.expect('}', "',' or '}' in the header dict");
            break;
        }
    }
    if (!d.at_end()) d.fail("characters after the closing '}'");
    if (!have_descr || !have_order || !have_shape)
        d.fail(std::string("missing key '") + (!have_descr ? "descr" : !have_order ? "fortran_order" : "shape") + "'");
    h.data_offset = pre + hlen;
    // Element count and byte size, guarded against overflow (a product that large is beyond any file).
    const uint64_t avail = total - h.data_offset, esize = dtype_size(h.dtype);
    bool empty = false;
    for (int64_t dim : h.shape) empty = empty || dim == 0;
    uint64_t count = empty ? 0 : 1;
    for (size_t j = 0; j < h.shape.size() && !empty; ++j) {
        const uint64_t u = static_cast<uint64_t>(h.shape[j]);
        if (count > (UINT64_MAX / esize) / u)
            throw Error("truncated data", where,
                        "shape " + h.shape_str() + " of " + dtype_name(h.dtype) + " needs more than the " + std::to_string(avail) +
                            " bytes after the header");
        count *= u;
    }
    h.data_bytes = count * esize;
    if (h.data_bytes != avail)
        throw Error(h.data_bytes > avail ? "truncated data" : "trailing bytes after the data", where + " at byte " + std::to_string(h.data_offset),
                    "shape " + h.shape_str() + " of " + dtype_name(h.dtype) + " is " + std::to_string(h.data_bytes) + " bytes, the file has " +
                        std::to_string(avail) + " after the header");
    return h;
}

// Swaps the bytes of `count` elements of `size` bytes in place.
inline void npy_swap_bytes(uint8_t* p, uint64_t count, size_t size) {
    if (size < 2) return;
    for (uint64_t i = 0; i < count; ++i, p += size)
        for (size_t a = 0, b = size - 1; a < b; ++a, --b) std::swap(p[a], p[b]);
}

// The array as a Tensor: native byte order, C order, bools as 0/1. `data` holds h.data_bytes bytes.
inline Tensor npy_to_native(const NpyHeader& h, const uint8_t* data) {
    Tensor t(h.dtype, Shape(h.shape));
    uint8_t* out = static_cast<uint8_t*>(t.raw());
    const size_t es = dtype_size(h.dtype);
    const uint64_t count = h.count();
    if (count == 0) return t;
    if (!h.fortran_order || h.shape.size() < 2) {
        std::memcpy(out, data, h.data_bytes);
    } else {
        // Fortran order: element (i0, ..., ik) is at sum(i_j * stride_j) with stride_0 = 1. Walk the
        // output in C order with an odometer over the indices.
        const size_t r = h.shape.size();
        std::vector<uint64_t> stride(r), idx(r, 0);
        uint64_t s = 1;
        for (size_t j = 0; j < r; ++j) {
            stride[j] = s;
            s *= static_cast<uint64_t>(h.shape[j]);
        }
        uint64_t src = 0;
        for (uint64_t o = 0; o < count; ++o) {
            std::memcpy(out + o * es, data + src * es, es);
            for (size_t j = r; j-- > 0;) {
                if (++idx[j] < static_cast<uint64_t>(h.shape[j])) {
                    src += stride[j];
                    break;
                }
                src -= stride[j] * (idx[j] - 1);
                idx[j] = 0;
            }
        }
    }
    if (h.big_endian) npy_swap_bytes(out, count, es);
    if (h.dtype == DType::boolean)
        for (uint64_t i = 0; i < count; ++i) out[i] = out[i] != 0;
    return t;
}

// A whole .npy held in memory.
inline Tensor parse_npy(const uint8_t* p, size_t n, const std::string& where) {
    const NpyHeader h = parse_npy_header(p, n, n, where);
    return npy_to_native(h, p + h.data_offset);
}

// An .npy file, read whole (its size is what it justifies).
inline Tensor read_npy(const std::string& path) {
    RandomAccessFile f(path);
    const std::vector<uint8_t> bytes = f.read(0, static_cast<size_t>(f.size()), "the .npy file");
    return parse_npy(bytes.data(), bytes.size(), path);
}

}  // namespace mutiny

#endif  // MUTINY_IO_NPY_HPP_
