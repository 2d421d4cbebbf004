// NumPy's .npy reader (mutiny/io/npy.hpp) on files NumPy wrote (tests/fixtures/npy/, made by
// tools/make_npy_fixtures.py): every supported dtype in both byte orders, header versions 2.0 and
// 3.0, Fortran order; and bad input, each with what, where (file, byte offset) and why: byte-order
// markers, unsupported dtypes and versions, truncated data, header length beyond the file, header
// dicts that do not parse. The expected values are the ones NumPy prints for the fixtures.
#include <doctest/doctest.h>

#include "io_fixtures.hpp"
#include "npy_fixtures.hpp"
#include "support/support.hpp"

#include <mutiny/io/npy.hpp>
#include <mutiny/io/tensor_dataset.hpp>

#include <cfloat>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using namespace mutiny;
using io_fixtures::read_all;
using npy_fixtures::fixture;
using npy_fixtures::values;
using mutiny_test::contains;
using mutiny_test::error_of;

namespace {

// The .npy bytes of `name` with `from` (the first occurrence, in the header) replaced by `to`.
std::vector<uint8_t> patched(const std::string& name, const std::string& from, const std::string& to) {
    std::vector<uint8_t> b = read_all(fixture(name));
    std::string s(b.begin(), b.end());
    const size_t at = s.find(from);
    REQUIRE(at != std::string::npos);
    s.replace(at, from.size(), to);
    return std::vector<uint8_t>(s.begin(), s.end());
}

std::string parse_error(const std::vector<uint8_t>& b) {
    return error_of([&] { parse_npy(b.data(), b.size(), "bad.npy"); });
}

}  // namespace

TEST_CASE("npy: every dtype NumPy writes, little- and big-endian") {
    const double f16min = 6.103515625e-05;
    struct {
        const char* name;
        DType dtype;
    } cases[] = {{"f2", DType::f16}, {"f4", DType::f32}, {"f8", DType::f64}, {"i1", DType::i8},  {"i2", DType::i16},  {"i4", DType::i32},
                 {"i8", DType::i64}, {"u1", DType::u8},  {"u2", DType::u16}, {"u4", DType::u32}, {"u8", DType::u64}, {"b1", DType::boolean}};
    for (const auto& c : cases) {
        INFO(c.name);
        const Tensor t = read_npy(fixture(std::string(c.name) + ".npy"));
        CHECK(t.dtype() == c.dtype);
        CHECK(t.shape() == Shape{3, 2});
        if (dtype_size(c.dtype) > 1) {
            // The big-endian file holds the same values: bitwise equal once swapped.
            const Tensor be = read_npy(fixture(std::string(c.name) + "_be.npy"));
            REQUIRE(be.dtype() == c.dtype);
            REQUIRE(be.nbytes() == t.nbytes());
            CHECK(std::memcmp(be.raw(), t.raw(), t.nbytes()) == 0);
        }
    }
    std::vector<float> h;
    for (half x : values<half>(read_npy(fixture("f2.npy")))) h.push_back(static_cast<float>(x));
    CHECK(h == std::vector<float>{-65504.f, 65504.f, static_cast<float>(f16min), -0.f, 1.5f, -2.25f});
    CHECK(values<float>(read_npy(fixture("f4_be.npy"))) == std::vector<float>{-FLT_MAX, FLT_MAX, FLT_MIN, -0.f, 1.5f, -2.25f});
    CHECK(values<double>(read_npy(fixture("f8.npy"))) == std::vector<double>{-DBL_MAX, DBL_MAX, DBL_MIN, -0.0, 1.5, -2.25});
    CHECK(std::signbit(values<double>(read_npy(fixture("f8_be.npy")))[3]));
    CHECK(values<int8_t>(read_npy(fixture("i1.npy"))) == std::vector<int8_t>{-128, 127, 0, 1, 42, -26});
    CHECK(values<int16_t>(read_npy(fixture("i2_be.npy"))) == std::vector<int16_t>{-32768, 32767, 0, 1, 10922, -6554});
    CHECK(values<int32_t>(read_npy(fixture("i4_be.npy"))) == std::vector<int32_t>{INT32_MIN, INT32_MAX, 0, 1, 715827882, -429496730});
    CHECK(values<int64_t>(read_npy(fixture("i8_be.npy"))) ==
          std::vector<int64_t>{INT64_MIN, INT64_MAX, 0, 1, 3074457345618258602LL, -1844674407370955162LL});
    CHECK(values<uint8_t>(read_npy(fixture("u1.npy"))) == std::vector<uint8_t>{0, 255, 0, 1, 85, 7});
    CHECK(values<uint16_t>(read_npy(fixture("u2_be.npy"))) == std::vector<uint16_t>{0, 65535, 0, 1, 21845, 7});
    CHECK(values<uint32_t>(read_npy(fixture("u4_be.npy"))) == std::vector<uint32_t>{0, 4294967295u, 0, 1, 1431655765u, 7});
    CHECK(values<uint64_t>(read_npy(fixture("u8_be.npy"))) == std::vector<uint64_t>{0, UINT64_MAX, 0, 1, 6148914691236517205ULL, 7});
    CHECK(values<uint8_t>(read_npy(fixture("b1.npy"))) == std::vector<uint8_t>{1, 0, 1, 1, 0, 0});
}

TEST_CASE("npy: header versions 2.0 and 3.0, Fortran order, header fields") {
    const std::vector<float> want{-0.625f, -0.375f, -0.125f, 0.125f, 0.375f, 0.625f};
    for (const char* name : {"v2.npy", "v3.npy"}) {
        INFO(name);
        const std::vector<uint8_t> b = read_all(fixture(name));
        const NpyHeader h = parse_npy_header(b.data(), b.size(), b.size(), name);
        CHECK(h.version == (name[1] == '2' ? 2 : 3));
        CHECK(h.data_offset == 128);  // NumPy pads preamble + header to a multiple of 64
        CHECK(h.shape == std::vector<int64_t>{2, 3});
        CHECK(values<float>(read_npy(fixture(name))) == want);
    }
    // Fortran order: stored column by column, returned in C order.
    const std::vector<uint8_t> fb = read_all(fixture("fortran.npy"));
    CHECK(parse_npy_header(fb.data(), fb.size(), fb.size(), "fortran.npy").fortran_order);
    const Tensor f = read_npy(fixture("fortran.npy"));
    CHECK(f.shape() == Shape{2, 3});
    CHECK(values<int32_t>(f) == std::vector<int32_t>{0, 1, 2, 3, 4, 5});
    const Tensor s = read_npy(fixture("scalar.npy"));
    CHECK(s.shape().rank() == 0);
    CHECK(values<float>(s) == std::vector<float>{3.0f});
    // Spelling variants NumPy's parser accepts: double quotes, no trailing comma, keys in any order.
    std::vector<uint8_t> b = patched("i4.npy", "{'descr': '<i4', 'fortran_order': False, 'shape': (3, 2), }",
                                     "{\"shape\": (3,2), 'descr': \"<i4\", 'fortran_order': False}   ");
    CHECK(values<int32_t>(parse_npy(b.data(), b.size(), "variant.npy")) == std::vector<int32_t>{INT32_MIN, INT32_MAX, 0, 1, 715827882, -429496730});
}

TEST_CASE("npy: bad input says what, where and why") {
    // Byte-order markers.
    std::string e = parse_error(patched("f4.npy", "'<f4'", "'!f4'"));
    CHECK(contains(e, "invalid byte order marker '!' in dtype '!f4' at bad.npy"));
    CHECK(contains(e, "expected '<' (little-endian), '>' (big-endian)"));
    e = parse_error(patched("f4.npy", "'<f4'", "'|f4'"));
    CHECK(contains(e, "invalid byte order marker '|'"));
    CHECK(contains(e, "only valid for 1-byte types"));
    CHECK(values<uint8_t>(parse_npy(patched("u1.npy", "'|u1'", "'<u1'").data(), 134, "u1")) == std::vector<uint8_t>{0, 255, 0, 1, 85, 7});
    // Unsupported dtypes.
    e = parse_error(patched("f8.npy", "'<f8'", "'<c8'"));
    CHECK(contains(e, "unsupported dtype '<c8' at bad.npy: supported: f2 f4 f8"));
    e = parse_error(patched("f4.npy", "'descr': '<f4'", "'descr': [('a', '<f4')]"));
    CHECK(contains(e, "header dict does not parse at bad.npy at byte "));
    CHECK(contains(e, "structured dtypes are not supported"));
    // Magic and version.
    CHECK(contains(parse_error(patched("f4.npy", "NUMPY", "NUMPX")), "not an .npy file at bad.npy: it does not start with the magic"));
    std::vector<uint8_t> b = read_all(fixture("f4.npy"));
    b[6] = 4;
    CHECK(contains(parse_error(b), "unsupported .npy format version 4.0 at bad.npy: supported: 1.0, 2.0, 3.0"));
    // Truncated data, trailing bytes, header length beyond the file.
    b = read_all(fixture("f4.npy"));
    b.pop_back();
    e = parse_error(b);
    CHECK(contains(e, "truncated data at bad.npy at byte 128: shape (3, 2) of f32 is 24 bytes, the file has 23 after the header"));
    b.push_back(0);
    b.push_back(0);
    CHECK(contains(parse_error(b), "trailing bytes after the data at bad.npy at byte 128"));
    b = read_all(fixture("f4.npy"));
    b[8] = 0xff;
    b[9] = 0x7f;
    e = parse_error(b);
    CHECK(contains(e, "header length beyond the file at bad.npy at byte 8: the preamble says the header has 32767 bytes, the file has 142"));
    b = read_all(fixture("v2.npy"));
    b[11] = 0x40;  // 1 GiB: refused before anything is read or allocated
    CHECK(contains(parse_error(b), "header length beyond the limit at bad.npy at byte 8"));
    // A shape whose size overflows 64 bits is truncated data, not a huge allocation.
    e = parse_error(patched("f4.npy", "(3, 2), }" + std::string(17, ' '), "(99999999999,99999999999)}"));
    CHECK(contains(e, "truncated data at bad.npy: shape (99999999999, 99999999999) of f32 needs more than the 24 bytes"));
    // Header dicts that do not parse, each naming the byte.
    struct {
        const char *from, *to, *why;
    } dicts[] = {
        {"'shape': (3, 2)", "'shape': [3, 2]", "at byte 60: expected '(' opening the shape tuple, found '['"},
        {"'shape': (3, 2)", "'shape': (3, -2)", "expected a non-negative integer in the shape tuple"},
        {"'fortran_order': False", "'fortran_order': Nope ", "expected True or False"},
        {"'fortran_order': False, ", "'fortran_orderr': False,", "unexpected key 'fortran_orderr'"},
        {"'fortran_order': False, ", "'descr': '<f4',          ", "key 'descr' given twice"},
        {"'fortran_order': False, ", "                        ", "missing key 'fortran_order'"},
        {"{'descr'", " 'descr'", "expected '{' opening the header dict, found '''"},
        {", }", " }}", "characters after the closing '}'"},
        {", 'fortran", "  'fortran", "expected ',' or '}' in the header dict, found '''"},
    };
    for (const auto& d : dicts) {
        INFO(std::string(d.to));
        e = parse_error(patched("f4.npy", d.from, d.to));
        CHECK(contains(e, "header dict does not parse at bad.npy at byte "));
        CHECK(contains(e, d.why));
    }
    // A file too short for the preamble.
    CHECK(contains(error_of([] { const uint8_t m[7] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1}; parse_npy(m, 7, "short.npy"); }),
                   "not an .npy file at short.npy: the file ends inside the 10-byte preamble (7 bytes)"));
    CHECK(contains(error_of([] { read_npy(fixture("no-such.npy")); }), "cannot open file"));
}

TEST_CASE("npy: lossless casts") {
    CHECK(lossless_cast(DType::i32, DType::i64));
    CHECK(lossless_cast(DType::u32, DType::i64));
    CHECK(lossless_cast(DType::u8, DType::f16));
    CHECK(lossless_cast(DType::i16, DType::f32));
    CHECK(lossless_cast(DType::u32, DType::f64));
    CHECK(lossless_cast(DType::f16, DType::f32));
    CHECK(lossless_cast(DType::f32, DType::f64));
    CHECK(lossless_cast(DType::boolean, DType::f32));
    CHECK(lossless_cast(DType::boolean, DType::i64));
    CHECK_FALSE(lossless_cast(DType::i64, DType::i32));
    CHECK_FALSE(lossless_cast(DType::i8, DType::u16));  // negative values
    CHECK_FALSE(lossless_cast(DType::u64, DType::i64));
    CHECK_FALSE(lossless_cast(DType::i32, DType::f32));  // 2^24 + 1
    CHECK_FALSE(lossless_cast(DType::i16, DType::f16));
    CHECK_FALSE(lossless_cast(DType::i64, DType::f64));
    CHECK_FALSE(lossless_cast(DType::f64, DType::f32));
    CHECK_FALSE(lossless_cast(DType::f32, DType::i64));
    CHECK_FALSE(lossless_cast(DType::u8, DType::boolean));
    // The conversions themselves, at the extremes.
    const int32_t i[3] = {INT32_MIN, -1, INT32_MAX};
    double d[3];
    cast_elements(i, DType::i32, d, DType::f64, 3);
    CHECK(std::vector<double>(d, d + 3) == std::vector<double>{-2147483648.0, -1.0, 2147483647.0});
    const uint8_t u[2] = {0, 255};
    half hh[2];
    cast_elements(u, DType::u8, hh, DType::f16, 2);
    CHECK(static_cast<float>(hh[1]) == 255.0f);
    const half hs[1] = {half(-2.25f)};
    float f[1];
    cast_elements(hs, DType::f16, f, DType::f32, 1);
    CHECK(f[0] == -2.25f);
}
