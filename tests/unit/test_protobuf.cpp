// The protobuf wire-format reader (mutiny/io/protobuf.hpp). Cases use hand-written bytes (several
// are the worked examples from the protobuf encoding guide) so that a bug shared by an encoder and
// the decoder cannot hide.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "mutiny/io/onnx_proto.hpp"  // unknown fields: the ONNX decoders skip them too
#include "mutiny/io/protobuf.hpp"
#include "pb_encoder.hpp"
#include "support/support.hpp"

namespace {

namespace pb = mutiny::pb;
namespace ox = mutiny::onnx;
using namespace pb_encoder;
using mutiny_test::contains;
using mutiny_test::error_of;

// Readers are views: a temporary buffer would dangle, so the compiler must reject one.
pb::Reader reader(const Buf& b) { return pb::Reader(b.data(), b.size(), "buf"); }
pb::Reader reader(Buf&&) = delete;

// Reads every field of a message as a varint, the common shape of the error tests below.
void drain_varints(const Buf& b) {
    pb::Reader r = reader(b);
    while (r.next()) (void)r.read_uint64();
}

}  // namespace

TEST_CASE("pb: varint fields") {
    SUBCASE("single and multi-byte") {
        const Buf b{0x08, 0x96, 0x01, 0x10, 0xAC, 0x02, 0x18, 0x00};
        pb::Reader r = reader(b);
        REQUIRE(r.next());
        CHECK(r.field() == 1);
        CHECK(r.wire_type() == pb::WireType::Varint);
        CHECK(r.read_uint64() == 150);
        REQUIRE(r.next());
        CHECK(r.field() == 2);
        CHECK(r.read_int32() == 300);
        REQUIRE(r.next());
        CHECK(r.read_bool() == false);
        CHECK_FALSE(r.next());
        CHECK(r.at_end());
    }
    SUBCASE("full 10-byte varint is the maximum value") {
        const Buf b{0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
        pb::Reader r = reader(b);
        REQUIRE(r.next());
        CHECK(r.read_uint64() == std::numeric_limits<std::uint64_t>::max());
    }
    SUBCASE("negative int32 is a sign-extended 10-byte varint") {
        const Buf b{0x08, 0xFB, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
        pb::Reader r = reader(b);
        REQUIRE(r.next());
        CHECK(r.read_int32() == -5);
    }
    SUBCASE("zigzag") {
        const Buf b{0x08, 0x00, 0x08, 0x01, 0x08, 0x02, 0x08, 0x03, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F,
                    0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
        pb::Reader r = reader(b);
        std::vector<std::int64_t> got;
        for (int k = 0; k < 4; ++k) {
            REQUIRE(r.next());
            got.push_back(r.read_sint64());
        }
        CHECK(got == std::vector<std::int64_t>{0, -1, 1, -2});
        REQUIRE(r.next());
        CHECK(r.read_sint32() == std::numeric_limits<std::int32_t>::min());
        REQUIRE(r.next());
        CHECK(r.read_sint64() == std::numeric_limits<std::int64_t>::min());
    }
}

TEST_CASE("pb: fixed32 and fixed64 fields") {
    // field 1 fixed32 = 1.5f, field 2 fixed64 = -2.0, field 3 fixed32 = 0xDEADBEEF,
    // field 4 fixed64 = 0x0102030405060708
    const Buf b{0x0D, 0x00, 0x00, 0xC0, 0x3F,                          //
                0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0,  //
                0x1D, 0xEF, 0xBE, 0xAD, 0xDE,                          //
                0x21, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01};
    pb::Reader r = reader(b);
    REQUIRE(r.next());
    CHECK(r.wire_type() == pb::WireType::Fixed32);
    CHECK(r.read_float() == 1.5f);
    REQUIRE(r.next());
    CHECK(r.wire_type() == pb::WireType::Fixed64);
    CHECK(r.read_double() == -2.0);
    REQUIRE(r.next());
    CHECK(r.read_fixed32() == 0xDEADBEEFu);
    REQUIRE(r.next());
    CHECK(r.read_fixed64() == 0x0102030405060708ull);
    CHECK_FALSE(r.next());
}

TEST_CASE("pb: length-delimited fields and sub-messages") {
    // field 2 = "testing"; field 3 = { field 1 = 150 }; field 4 = "" (empty)
    const Buf b{0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g', 0x1A, 0x03, 0x08, 0x96, 0x01, 0x22, 0x00};
    pb::Reader r = reader(b);
    REQUIRE(r.next());
    CHECK(r.field() == 2);
    CHECK(r.wire_type() == pb::WireType::Len);
    CHECK(r.read_string() == "testing");
    REQUIRE(r.next());
    pb::Reader sub = r.read_message("Inner");
    CHECK(sub.depth() == 1);
    REQUIRE(sub.next());
    CHECK(sub.read_uint64() == 150);
    CHECK_FALSE(sub.next());
    REQUIRE(r.next());
    const pb::Bytes empty = r.read_bytes();
    CHECK(empty.size == 0);
    CHECK(empty.str().empty());
    CHECK_FALSE(r.next());
}

TEST_CASE("pb: unknown fields of every wire type are skipped") {
    const Buf b{0x48, 0xFF, 0xFF, 0x03,                                      // 9: varint
                0x51, 1, 2, 3, 4, 5, 6, 7, 8,                                // 10: fixed64
                0x5A, 0x03, 'x', 'y', 'z',                                   // 11: bytes
                0x65, 1, 2, 3, 4,                                            // 12: fixed32
                0x08, 0x2A};                                                 // 1: varint 42
    SUBCASE("explicit skip") {
        pb::Reader r = reader(b);
        std::vector<std::uint32_t> skipped;
        std::uint64_t value = 0;
        while (r.next()) {
            if (r.field() == 1) value = r.read_uint64();
            else {
                skipped.push_back(r.field());
                r.skip();
            }
        }
        CHECK(value == 42);
        CHECK(skipped == std::vector<std::uint32_t>{9, 10, 11, 12});
    }
    SUBCASE("a value left unread is skipped by next()") {
        pb::Reader r = reader(b);
        std::uint64_t value = 0;
        while (r.next())
            if (r.field() == 1) value = r.read_uint64();
        CHECK(value == 42);
    }
    SUBCASE("ONNX decoders ignore them") {
        Buf t;
        put_int(t, 100, 7);                     // unknown varint
        put_str(t, 101, "junk");                // unknown bytes
        put_fixed32(t, 102, 1);                 // unknown fixed32
        put_tag(t, 103, 1);                     // unknown fixed64
        for (int k = 0; k < 8; ++k) t.push_back(0);
        put_int(t, 2, ox::INT64);
        const ox::TensorProto tp = ox::parse_tensor(t.data(), t.size(), "t");
        CHECK(tp.data_type == ox::INT64);
    }
}

TEST_CASE("pb: repeated scalars, packed and unpacked") {
    // The encoding guide's packed example: field 4 = [3, 270, 86942].
    const Buf packed{0x22, 0x06, 0x03, 0x8E, 0x02, 0x9E, 0xA7, 0x05};
    const Buf unpacked{0x20, 0x03, 0x20, 0x8E, 0x02, 0x20, 0x9E, 0xA7, 0x05};
    const std::vector<std::int64_t> expect{3, 270, 86942};

    auto decode = [](const Buf& b) {
        std::vector<std::int64_t> v;
        pb::Reader r = reader(b);
        while (r.next()) {
            REQUIRE(r.field() == 4);
            r.read_repeated_varint(v);
        }
        return v;
    };
    CHECK(decode(packed) == expect);
    CHECK(decode(unpacked) == expect);

    Buf both = packed;
    both.insert(both.end(), unpacked.begin(), unpacked.end());
    std::vector<std::int64_t> twice = expect;
    twice.insert(twice.end(), expect.begin(), expect.end());
    CHECK(decode(both) == twice);

    SUBCASE("empty packed field") { CHECK(decode(Buf{0x22, 0x00}).empty()); }

    SUBCASE("truncated last element of a packed field") {
        const std::string msg = error_of([&] { decode(Buf{0x22, 0x02, 0x03, 0x8E}); });
        CHECK(contains(msg, "truncated varint"));
        CHECK(contains(msg, "byte 3"));
    }

    SUBCASE("fixed-width elements") {
        // field 1 packed floats [1.0, -2.0], then one unpacked 0.5
        const Buf b{0x0A, 0x08, 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0,  //
                    0x0D, 0x00, 0x00, 0x00, 0x3F};
        std::vector<float> v;
        pb::Reader r = reader(b);
        while (r.next()) r.read_repeated_fixed(v);
        CHECK(v == std::vector<float>{1.0f, -2.0f, 0.5f});
    }

    SUBCASE("packed fixed-width data must be whole elements") {
        const Buf b{0x0A, 0x05, 0, 0, 0x80, 0x3F, 0};
        const std::string msg = error_of([&] {
            std::vector<float> v;
            pb::Reader r = reader(b);
            while (r.next()) r.read_repeated_fixed(v);
        });
        CHECK(contains(msg, "not a whole number of elements"));
    }

    SUBCASE("ONNX tensor fields accept both encodings") {
        Buf t;
        put_int(t, 1, 2);  // dims unpacked
        put_int(t, 1, 3);
        put_int(t, 7, -1);  // int64_data unpacked
        put_len(t, 7, Buf{0x05, 0x06});  // then packed
        put_float(t, 4, 2.5f);           // float_data unpacked
        const ox::TensorProto tp = ox::parse_tensor(t.data(), t.size(), "t");
        CHECK(tp.dims == std::vector<std::int64_t>{2, 3});
        CHECK(tp.int64_data == std::vector<std::int64_t>{-1, 5, 6});
        CHECK(tp.float_data == std::vector<float>{2.5f});
    }
}

TEST_CASE("pb: malformed input is reported with where, offset and why") {
    SUBCASE("truncated varint value") {
        const std::string msg = error_of([] { drain_varints(Buf{0x08, 0x96}); });
        CHECK(msg == "malformed protobuf at buf, byte 1 (field 1): "
                     "truncated varint (input ends after 1 continuation bytes)");
    }
    SUBCASE("truncated tag") {
        CHECK(contains(error_of([] { drain_varints(Buf{0x08, 0x01, 0x80}); }), "byte 2"));
    }
    SUBCASE("11-byte varint") {
        const Buf b{0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
        CHECK(contains(error_of([&] { drain_varints(b); }), "varint longer than 10 bytes"));
    }
    SUBCASE("10-byte varint beyond 64 bits") {
        const Buf b{0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02};
        CHECK(contains(error_of([&] { drain_varints(b); }), "varint overflows 64 bits"));
    }
    SUBCASE("length past end") {
        const Buf b{0x08, 0x01, 0x12, 0x05, 'a', 'b'};
        mutiny::Error err("", "", "");
        try {
            pb::Reader r = reader(b);
            while (r.next()) r.skip();
            FAIL("no error");
        } catch (const mutiny::Error& e) {
            err = e;
        }
        CHECK(err.what_part() == "malformed protobuf");
        CHECK(err.where_part() == "buf, byte 3 (field 2)");
        CHECK(err.why_part() == "length 5 runs past the end of the enclosing message (2 bytes left)");
    }
    SUBCASE("huge length does not wrap around") {
        const Buf b{0x12, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 'a'};
        CHECK(contains(error_of([&] { pb::Reader r = reader(b); r.next(); r.read_bytes(); }),
                       "runs past the end"));
    }
    SUBCASE("length past the end of the enclosing sub-message, not just the buffer") {
        // field 1 = { field 2 = 4 bytes } but the sub-message is only 3 bytes long
        const Buf b{0x0A, 0x03, 0x12, 0x04, 'a', 'b', 'c', 'd'};
        const std::string msg = error_of([&] {
            pb::Reader r = reader(b);
            r.next();
            pb::Reader sub = r.read_message("Outer");
            while (sub.next()) sub.skip();
        });
        CHECK(contains(msg, "byte 3 (Outer field 2)"));  // offsets are absolute
        CHECK(contains(msg, "1 bytes left"));
    }
    SUBCASE("truncated fixed32 and fixed64") {
        const Buf f32{0x0D, 1, 2};
        const Buf f64{0x09, 1};
        CHECK(contains(error_of([&] { pb::Reader r = reader(f32); r.next(); r.skip(); }),
                       "truncated 32-bit value: need 4 bytes, 2 left"));
        CHECK(contains(error_of([&] { pb::Reader r = reader(f64); r.next(); r.read_double(); }),
                       "truncated 64-bit value"));
    }
    SUBCASE("groups are rejected") {
        CHECK(contains(error_of([] { drain_varints(Buf{0x0B, 0x0C}); }), "deprecated group wire type 3"));
        CHECK(contains(error_of([] { drain_varints(Buf{0x0C}); }), "deprecated group wire type 4"));
    }
    SUBCASE("bad wire types") {
        CHECK(contains(error_of([] { drain_varints(Buf{0x0E}); }), "invalid wire type 6"));
        CHECK(contains(error_of([] { drain_varints(Buf{0x0F}); }), "invalid wire type 7"));
    }
    SUBCASE("field number 0 and oversized tags") {
        CHECK(contains(error_of([] { drain_varints(Buf{0x00, 0x00}); }), "field number 0"));
        CHECK(contains(error_of([] { drain_varints(Buf{0x80, 0x80, 0x80, 0x80, 0x10, 0x00}); }),
                       "does not fit in 32 bits"));
    }
    SUBCASE("wire type that does not match the read") {
        const Buf varint{0x08, 0x01};
        const Buf fixed{0x0D, 1, 2, 3, 4};
        CHECK(contains(error_of([&] { pb::Reader r = reader(varint); r.next(); r.read_string(); }),
                       "field 1 has wire type varint, expected length-delimited"));
        CHECK(contains(error_of([&] {
                  std::vector<std::int64_t> v;
                  pb::Reader r = reader(fixed);
                  r.next();
                  r.read_repeated_varint(v);
              }),
              "expected varint or packed length-delimited"));
    }
    SUBCASE("reading without a field is a programming error, not bad input") {
        const Buf b{0x08, 0x01};
        pb::Reader r = reader(b);
        CHECK_THROWS_AS(r.read_uint64(), std::logic_error);
        REQUIRE(r.next());
        r.read_uint64();
        CHECK_THROWS_AS(r.read_uint64(), std::logic_error);
    }
    SUBCASE("null buffers") {
        pb::Reader r(nullptr, 0, "null");
        CHECK_FALSE(r.next());
        CHECK_THROWS_AS(pb::Reader(nullptr, 1, "null"), mutiny::Error);
    }
}

TEST_CASE("pb: count_fields looks ahead without consuming") {
    const Buf b{0x08, 0x01, 0x12, 0x01, 'a', 0x08, 0x02, 0x1D, 1, 2, 3, 4, 0x08, 0x03};
    pb::Reader r = reader(b);
    REQUIRE(r.next());  // the pending value of field 1 is not counted
    static constexpr std::uint32_t fields[] = {1, 2, 7};
    std::size_t counts[3];
    r.count_fields(fields, counts);
    CHECK(counts[0] == 2);
    CHECK(counts[1] == 1);
    CHECK(counts[2] == 0);
    CHECK(r.read_uint64() == 1);  // nothing was consumed
    std::vector<std::uint64_t> ones;
    while (r.next())
        if (r.field() == 1) ones.push_back(r.read_uint64());
    CHECK(ones == std::vector<std::uint64_t>{2, 3});

    const Buf bad{0x08, 0x01, 0x12, 0x09, 'a'};
    pb::Reader rb = reader(bad);
    CHECK(contains(error_of([&] { rb.count_fields(fields, counts); }), "length 9 runs past"));
}

TEST_CASE("pb: nesting is limited to kMaxDepth") {
    // n levels of `field 1 = { ... }` around an empty message
    auto nested = [](int n) {
        Buf b;
        for (int k = 0; k < n; ++k) {
            Buf outer;
            put_len(outer, 1, b);
            b = std::move(outer);
        }
        return b;
    };
    auto descend = [](const Buf& b) {
        std::vector<pb::Reader> stack{reader(b)};
        while (stack.back().next()) stack.push_back(stack.back().read_message());
        return static_cast<int>(stack.size()) - 1;
    };
    CHECK(descend(nested(pb::kMaxDepth)) == pb::kMaxDepth);
    CHECK(contains(error_of([&] { descend(nested(pb::kMaxDepth + 1)); }), "nested deeper than 64"));
}
