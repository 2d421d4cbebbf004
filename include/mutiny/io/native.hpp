// Mutiny's native model file. One little-endian file:
//
//   header (64 bytes): magic "MUTINY\0\n", u32 format version (2), u32 flags (0), u64 text size,
//                      u64 binary offset (64-aligned), u64 binary size, u64 checksum, reserved
//   text section:      the graph, readable, one record per line with named keys
//   binary section:    tensors (weights, tensor attributes, self-test data), each 64-aligned,
//                      so the section can be mapped and used in place
//
// The checksum (64-bit FNV-1a over every byte but its own) catches truncation and bit rot; flags
// and reserved bytes must be 0. Floats in the text are written as hex floats, so a
// save/load round trip is bitwise exact. Metadata (e.g. a preprocessing recipe) is free-form
// key/value text; an optional self-test holds inputs and expected outputs, verified on load by
// whoever can run the model (see mutiny/model.hpp).
#ifndef MUTINY_IO_NATIVE_HPP_
#define MUTINY_IO_NATIVE_HPP_

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/hash.hpp"
#include "../core/tensor.hpp"
#include "../graph/graph.hpp"
#include "file_bytes.hpp"

namespace mutiny {

struct SelfTest {
    std::vector<Tensor> inputs;
    std::vector<Tensor> outputs;
    double rel_tol = 1e-5;
    double abs_tol = 1e-6;
    bool empty() const { return inputs.empty(); }
};

struct NativeModel {
    Graph graph;
    std::map<std::string, std::string> metadata;
    SelfTest selftest;
};

namespace native {

constexpr char kMagic[8] = {'M', 'U', 'T', 'I', 'N', 'Y', '\0', '\n'};
// Version 2: the checksum covers the header too (version 1's covered only what follows it).
constexpr uint32_t kVersion = 2;
constexpr size_t kHeader = 64;

// The checksum of a file of n >= kHeader bytes: version 2 hashes every byte but the checksum's
// own (40..47), version 1 only the bytes after the header.
inline uint64_t header_checksum(const uint8_t* p, size_t n, uint32_t version) {
    if (version == 1) return fnv1a(p + kHeader, n - kHeader);
    return fnv1a(p + kHeader, n - kHeader, fnv1a(p + 48, kHeader - 48, fnv1a(p, 40)));
}

// Names may hold spaces or newlines; they are percent-escaped in the text.
inline std::string escape(const std::string& s) {
    std::string o;
    for (unsigned char c : s) {
        if (c <= ' ' || c == '%' || c >= 0x7f) {
            char b[4];
            std::snprintf(b, sizeof b, "%%%02X", c);
            o += b;
        } else {
            o += static_cast<char>(c);
        }
    }
    return o.empty() ? "%" : o;  // "%" alone encodes the empty string
}
inline std::string unescape(const std::string& s, const std::string& where) {
    if (s == "%") return "";
    std::string o;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%') {
            if (i + 2 >= s.size()) throw Error("bad escape in name", where, s);
            o += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            o += s[i];
        }
    }
    return o;
}
inline std::string hexfloat(double d) {
    char b[64];
    std::snprintf(b, sizeof b, "%a", d);
    return b;
}
inline std::string shape_text(const Shape& s) {
    std::string o = "[";
    for (size_t i = 0; i < s.rank(); ++i) o += (i ? "," : "") + std::to_string(s[i]);
    return o + "]";
}
inline Shape parse_shape(const std::string& t, const std::string& where) {
    if (t.size() < 2 || t.front() != '[' || t.back() != ']') throw Error("bad shape '" + t + "'", where, "expected [d0,d1,...]");
    std::vector<int64_t> d;
    std::stringstream ss(t.substr(1, t.size() - 2));
    std::string item;
    while (std::getline(ss, item, ',')) d.push_back(std::stoll(item));
    return Shape(d);
}

class Writer {
public:
    // Appends a tensor to the binary section; returns "dtype shape offset".
    std::string tensor(const Tensor& t) {
        const size_t off = (bin_.size() + kAlignment - 1) / kAlignment * kAlignment;
        bin_.resize(off + t.nbytes(), 0);
        if (t.nbytes()) std::memcpy(bin_.data() + off, t.raw(), t.nbytes());
        return std::string(dtype_name(t.dtype())) + " " + shape_text(t.shape()) + " " + std::to_string(off);
    }
    std::vector<uint8_t> bin_;
};

inline std::string attr_text(const Attribute& a, Writer& w) {
    std::string o;
    switch (a.kind) {
        case Attribute::Kind::i: return "int " + std::to_string(a.i);
        case Attribute::Kind::f: return "float " + hexfloat(a.f);
        case Attribute::Kind::s: return "string " + escape(a.s);
        case Attribute::Kind::ints:
            o = "ints " + std::to_string(a.ints.size());
            for (auto v : a.ints) o += " " + std::to_string(v);
            return o;
        case Attribute::Kind::floats:
            o = "floats " + std::to_string(a.floats.size());
            for (auto v : a.floats) o += " " + hexfloat(v);
            return o;
        case Attribute::Kind::strings:
            o = "strings " + std::to_string(a.strings.size());
            for (auto& v : a.strings) o += " " + escape(v);
            return o;
        case Attribute::Kind::tensor: return "tensor " + w.tensor(a.t);
        case Attribute::Kind::graph:
            throw Error("the native format cannot store subgraphs", "attribute of a control-flow node (If, Loop, Scan)",
                        "keep such models in ONNX; the native format holds graphs without control flow");
    }
    return o;
}

}  // namespace native

// Serialises a model to bytes (deterministic: the same model gives the same bytes).
inline std::vector<uint8_t> save_native_bytes(const NativeModel& m) {
    using namespace native;
    const Graph& g = m.graph;
    Writer w;
    std::string t = "mutiny-model 1\n";
    t += "graph " + escape(g.name) + "\n";
    for (auto& kv : m.metadata) t += "meta " + escape(kv.first) + " " + escape(kv.second) + "\n";
    for (size_t v = 0; v < g.values.size(); ++v) {
        const Value& val = g.values[v];
        t += "value " + escape(val.name) + " " + dtype_name(val.dtype) + " " + shape_text(val.shape);
        if (val.is_constant()) t += " const " + w.tensor(val.constant);
        t += "\n";
    }
    for (int i : g.inputs) t += "input " + std::to_string(i) + "\n";
    for (int o : g.outputs) t += "output " + std::to_string(o) + "\n";
    for (const Node& n : g.nodes) {
        t += "node " + escape(n.op) + " " + escape(n.name) + " in";
        for (int i : n.inputs) t += " " + std::to_string(i);
        t += " out";
        for (int o : n.outputs) t += " " + std::to_string(o);
        t += "\n";
        for (auto& kv : n.attrs.all()) t += "attr " + escape(kv.first) + " " + attr_text(kv.second, w) + "\n";
    }
    if (!m.selftest.empty()) {
        t += "selftest " + hexfloat(m.selftest.rel_tol) + " " + hexfloat(m.selftest.abs_tol) + "\n";
        for (auto& x : m.selftest.inputs) t += "selftest-input " + w.tensor(x) + "\n";
        for (auto& y : m.selftest.outputs) t += "selftest-output " + w.tensor(y) + "\n";
    }
    t += "end\n";
    const size_t bin_off = (kHeader + t.size() + kAlignment - 1) / kAlignment * kAlignment;
    std::vector<uint8_t> out(bin_off + w.bin_.size(), 0);
    std::memcpy(out.data(), kMagic, 8);
    auto put32 = [&](size_t at, uint32_t v) { for (int i = 0; i < 4; ++i) out[at + i] = static_cast<uint8_t>(v >> (8 * i)); };
    auto put64 = [&](size_t at, uint64_t v) { for (int i = 0; i < 8; ++i) out[at + i] = static_cast<uint8_t>(v >> (8 * i)); };
    put32(8, kVersion);
    put32(12, 0);
    put64(16, t.size());
    put64(24, bin_off);
    put64(32, w.bin_.size());
    std::memcpy(out.data() + kHeader, t.data(), t.size());
    if (!w.bin_.empty()) std::memcpy(out.data() + bin_off, w.bin_.data(), w.bin_.size());
    put64(40, header_checksum(out.data(), out.size(), kVersion));
    return out;
}

inline bool is_native_file(const uint8_t* p, size_t n) { return n >= 8 && std::memcmp(p, native::kMagic, 8) == 0; }

// A native file's header as stored, and what its checksum comes to (`mutiny inspect` prints both,
// so a corrupt file shows what was expected and what is there).
struct NativeHeader {
    uint32_t version = 0, flags = 0;
    uint64_t text_size = 0, binary_offset = 0, binary_size = 0;
    uint64_t stored_checksum = 0;
    uint64_t computed_checksum = 0;  // over the file as it is; meaningful for versions 1 and 2 only
    bool checksum_ok() const { return stored_checksum == computed_checksum; }
};

// Reads the header of a native file of n >= native::kHeader bytes with the magic (is_native_file);
// the sections are not checked here (load_native_bytes does).
inline NativeHeader native_header(const uint8_t* p, size_t n) {
    auto get = [&](size_t at, int bytes) {
        uint64_t v = 0;
        for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(p[at + static_cast<size_t>(i)]) << (8 * i);
        return v;
    };
    NativeHeader h;
    h.version = static_cast<uint32_t>(get(8, 4));
    h.flags = static_cast<uint32_t>(get(12, 4));
    h.text_size = get(16, 8);
    h.binary_offset = get(24, 8);
    h.binary_size = get(32, 8);
    h.stored_checksum = get(40, 8);
    h.computed_checksum = native::header_checksum(p, n, h.version == 1 ? 1 : native::kVersion);
    return h;
}

inline NativeModel load_native_bytes(const uint8_t* p, size_t n, const std::string& where) {
    using namespace native;
    if (n < kHeader) throw Error("truncated native model", where, "file is " + std::to_string(n) + " bytes, shorter than the 64-byte header");
    if (!is_native_file(p, n)) throw Error("not a Mutiny model file", where, "bad magic bytes");
    const NativeHeader h = native_header(p, n);
    const uint32_t version = h.version;
    if (version != 1 && version != kVersion)
        throw Error("unsupported native model version " + std::to_string(version), where, "this Mutiny reads versions 1 and " + std::to_string(kVersion));
    const uint64_t tsize = h.text_size, boff = h.binary_offset, bsize = h.binary_size;
    // Sizes first (each its own message), so a truncated file is called truncated, not corrupt.
    if (boff > n || bsize > n - boff)
        throw Error("truncated native model", where,
                    "the header places the binary section at bytes " + std::to_string(boff) + " + " + std::to_string(bsize) +
                        ", the file has " + std::to_string(n) + " bytes");
    if (boff + bsize != n) throw Error("native model has trailing bytes", where, "size " + std::to_string(n) + " != " + std::to_string(boff + bsize));
    if (boff < kHeader || boff % kAlignment != 0 || tsize > boff - kHeader)
        throw Error("corrupt native model header", where,
                    "a text section of " + std::to_string(tsize) + " bytes does not fit before the binary section at byte " + std::to_string(boff) +
                        " (which must be a multiple of " + std::to_string(kAlignment) + ")");
    if (!h.checksum_ok()) throw Error("native model checksum mismatch", where, "the file is corrupt (it changed after it was written)");
    // Version 1 files' checksum does not cover the header: their flags and reserved bytes are checked
    // here (and checked again for version 2, whose checksum a crafted file can recompute).
    if (h.flags != 0) throw Error("unsupported native model flags " + std::to_string(h.flags), where, "this Mutiny knows no flags (the field must be 0)");
    for (size_t i = 48; i < kHeader; ++i)
        if (p[i] != 0) throw Error("corrupt native model header", where, "reserved byte " + std::to_string(i) + " is not 0");
    const uint8_t* bin = p + boff;
    // Weights are copied out of the buffer so the model does not depend on it staying alive.
    auto read_tensor = [&](std::istringstream& ls, const std::string& w) {
        std::string dt, sh;
        uint64_t off = 0;
        if (!(ls >> dt >> sh >> off)) throw Error("malformed tensor record", w, "expected dtype shape offset");
        const DType type = dtype_from_name(dt);
        const Shape shape = parse_shape(sh, w);
        // The declared size is checked against the bytes present before anything is allocated.
        const int64_t n = checked::numel(shape.dims(), "tensor", w);
        if (off > bsize || static_cast<uint64_t>(n) > (bsize - off) / dtype_size(type))
            throw Error("tensor past the end of the binary section", w,
                        "shape " + shape.str() + " at offset " + std::to_string(off) + " of a binary section of " + std::to_string(bsize) + " bytes; the file is corrupt");
        Tensor t(type, shape);
        if (t.nbytes()) std::memcpy(t.raw(), bin + off, t.nbytes());
        return t;
    };
    NativeModel m;
    Graph& g = m.graph;
    std::istringstream text(std::string(reinterpret_cast<const char*>(p + kHeader), tsize));
    std::string line;
    size_t lineno = 0;
    bool ended = false;
    Node* last = nullptr;
    while (std::getline(text, line)) {
        ++lineno;
        const std::string w = where + " line " + std::to_string(lineno);
        std::istringstream ls(line);
        std::string key;
        ls >> key;
        try {
            if (key == "mutiny-model") {
            } else if (key == "graph") {
                std::string s; ls >> s; g.name = unescape(s, w);
            } else if (key == "meta") {
                std::string k, v; ls >> k >> v; m.metadata[unescape(k, w)] = unescape(v, w);
            } else if (key == "value") {
                std::string name, dt, sh, c;
                ls >> name >> dt >> sh;
                const int id = g.add_value(unescape(name, w), dtype_from_name(dt), parse_shape(sh, w));
                if (ls >> c) {
                    if (c != "const") throw Error("unexpected '" + c + "'", w, "expected 'const'");
                    g.value(id).constant = read_tensor(ls, w);
                }
            } else if (key == "input" || key == "output") {
                size_t id = 0;
                if (!(ls >> id) || id >= g.values.size()) throw Error("bad value id", w, "out of range");
                (key == "input" ? g.inputs : g.outputs).push_back(static_cast<int>(id));
            } else if (key == "node") {
                Node n;
                std::string op, name, tok;
                ls >> op >> name >> tok;
                n.op = unescape(op, w);
                n.name = unescape(name, w);
                if (tok != "in") throw Error("malformed node record", w, "expected 'in'");
                bool outs = false;
                while (ls >> tok) {
                    if (tok == "out") { outs = true; continue; }
                    const long id = std::stol(tok);
                    if (id < -1 || id >= static_cast<long>(g.values.size())) throw Error("bad value id " + tok, w, "out of range");
                    (outs ? n.outputs : n.inputs).push_back(static_cast<int>(id));
                }
                g.nodes.push_back(std::move(n));
                last = &g.nodes.back();
            } else if (key == "attr") {
                if (!last) throw Error("attribute before any node", w, "the file is corrupt");
                std::string name, kind;
                ls >> name >> kind;
                Attribute a;
                size_t count = 0;
                // A list's count is checked against what the line can hold (every value takes at
                // least a separator and a character) before anything is allocated or looped over.
                auto list_count = [&]() {
                    ls >> count;
                    if (ls.fail() || count > line.size() / 2)
                        throw Error("malformed attribute", w, "a list of " + std::to_string(count) + " values on a line of " + std::to_string(line.size()) + " characters");
                    return count;
                };
                if (kind == "int") { a.kind = Attribute::Kind::i; ls >> a.i; }
                else if (kind == "float") { std::string f; ls >> f; a.kind = Attribute::Kind::f; a.f = std::strtod(f.c_str(), nullptr); }
                else if (kind == "string") { std::string s; ls >> s; a = Attribute::of_string(unescape(s, w)); }
                else if (kind == "ints") { a.kind = Attribute::Kind::ints; a.ints.resize(list_count()); for (auto& v : a.ints) ls >> v; }
                else if (kind == "floats") { a.kind = Attribute::Kind::floats; list_count(); for (size_t i = 0; i < count; ++i) { std::string f; ls >> f; a.floats.push_back(std::strtod(f.c_str(), nullptr)); } }
                else if (kind == "strings") { a.kind = Attribute::Kind::strings; list_count(); for (size_t i = 0; i < count; ++i) { std::string s; ls >> s; a.strings.push_back(unescape(s, w)); } }
                else if (kind == "tensor") { a = Attribute::of_tensor(read_tensor(ls, w)); }
                else throw Error("unknown attribute kind '" + kind + "'", w, "the file is corrupt or newer");
                if (ls.fail()) throw Error("malformed attribute", w, "values missing");
                last->attrs.set(unescape(name, w), std::move(a));
            } else if (key == "selftest") {
                std::string r, a;
                ls >> r >> a;
                m.selftest.rel_tol = std::strtod(r.c_str(), nullptr);
                m.selftest.abs_tol = std::strtod(a.c_str(), nullptr);
            } else if (key == "selftest-input") {
                m.selftest.inputs.push_back(read_tensor(ls, w));
            } else if (key == "selftest-output") {
                m.selftest.outputs.push_back(read_tensor(ls, w));
            } else if (key == "end") {
                ended = true;
                break;
            } else if (!key.empty()) {
                throw Error("unknown record '" + key + "'", w, "the file is corrupt or from a newer Mutiny");
            }
        } catch (const std::invalid_argument&) {
            throw Error("malformed number", w, line);
        } catch (const std::out_of_range&) {
            throw Error("number out of range", w, line);
        }
    }
    if (!ended) throw Error("truncated native model", where, "the graph section has no 'end' record");
    g.reindex();
    return m;
}

inline void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes) {
    const std::string tmp = path + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) throw Error("cannot write", path, std::strerror(errno));
    const size_t w = bytes.empty() ? 0 : std::fwrite(bytes.data(), 1, bytes.size(), f);
    const bool ok = w == bytes.size() && std::fflush(f) == 0;
    const int err = errno;
    std::fclose(f);
    if (!ok) {
        std::remove(tmp.c_str());
        throw Error("cannot write", path, std::string("write failed: ") + std::strerror(err));
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw Error("cannot write", path, std::string("rename failed: ") + std::strerror(errno));
    }
}

inline void save_native(const NativeModel& m, const std::string& path) { write_file_atomic(path, save_native_bytes(m)); }

inline NativeModel load_native(const std::string& path) {
    const auto b = read_file_bytes(path);
    return load_native_bytes(b.data(), b.size(), path);
}

}  // namespace mutiny

#endif  // MUTINY_IO_NATIVE_HPP_
