// A minimal protobuf encoder for building wire-format and ONNX messages in the tests
// (test_protobuf.cpp, test_onnx_proto.cpp): the decoder is checked against bytes it did not write.
#ifndef MUTINY_TESTS_UNIT_PB_ENCODER_HPP_
#define MUTINY_TESTS_UNIT_PB_ENCODER_HPP_

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace pb_encoder {

using Buf = std::vector<std::uint8_t>;

inline void put_varint(Buf& b, std::uint64_t v) {
    while (v >= 0x80) {
        b.push_back(static_cast<std::uint8_t>(v | 0x80));
        v >>= 7;
    }
    b.push_back(static_cast<std::uint8_t>(v));
}
inline void put_tag(Buf& b, std::uint32_t field, unsigned wire) {
    put_varint(b, (static_cast<std::uint64_t>(field) << 3) | wire);
}
inline void put_int(Buf& b, std::uint32_t field, std::int64_t v) {
    put_tag(b, field, 0);
    put_varint(b, static_cast<std::uint64_t>(v));
}
inline void put_len(Buf& b, std::uint32_t field, const Buf& payload) {
    put_tag(b, field, 2);
    put_varint(b, payload.size());
    b.insert(b.end(), payload.begin(), payload.end());
}
inline void put_str(Buf& b, std::uint32_t field, const std::string& s) {
    put_len(b, field, Buf(s.begin(), s.end()));
}
inline void put_fixed32(Buf& b, std::uint32_t field, std::uint32_t v) {
    put_tag(b, field, 5);
    for (int k = 0; k < 4; ++k) b.push_back(static_cast<std::uint8_t>(v >> (8 * k)));
}
inline void put_float(Buf& b, std::uint32_t field, float f) {
    std::uint32_t u;
    std::memcpy(&u, &f, 4);
    put_fixed32(b, field, u);
}

}  // namespace pb_encoder

#endif  // MUTINY_TESTS_UNIT_PB_ENCODER_HPP_
