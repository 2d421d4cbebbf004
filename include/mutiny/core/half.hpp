// IEEE 754 binary16 storage type with exact conversions (round to nearest even), written out so
// that every backend and every compiler gives the same bits: f16 results feed kill verdicts.
#ifndef MUTINY_CORE_HALF_HPP_
#define MUTINY_CORE_HALF_HPP_

#include <cstdint>
#include <cstring>

namespace mutiny {

inline uint16_t float_to_half_bits(float f) {
    uint32_t x;
    std::memcpy(&x, &f, 4);
    const uint32_t sign = (x >> 16) & 0x8000u;
    const uint32_t absx = x & 0x7fffffffu;
    if (absx >= 0x7f800000u) {  // Inf or NaN: keep NaN quiet and non-zero
        return static_cast<uint16_t>(sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u | ((absx >> 13) & 0x3ffu) : 0u));
    }
    if (absx >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to >= 65520: Inf
    if (absx < 0x38800000u) {  // result is subnormal or zero
        if (absx < 0x33000000u) return static_cast<uint16_t>(sign);  // < 2^-25 rounds to zero
        const uint32_t e = absx >> 23;
        const uint32_t m = (absx & 0x7fffffu) | 0x800000u;
        const uint32_t shift = 126 - e;  // 14..24 for the range handled here
        uint32_t h = m >> shift;
        const uint32_t rem = m & ((1u << shift) - 1u);
        const uint32_t halfway = 1u << (shift - 1);
        if (rem > halfway || (rem == halfway && (h & 1u))) ++h;
        return static_cast<uint16_t>(sign | h);
    }
    uint32_t h = ((absx >> 13) - (112u << 10));  // rebias exponent 127 -> 15
    const uint32_t rem = absx & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
    return static_cast<uint16_t>(sign | h);
}

inline float half_bits_to_float(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    uint32_t e = (h >> 10) & 0x1fu;
    uint32_t m = h & 0x3ffu;
    uint32_t x;
    if (e == 0) {
        if (m == 0) {
            x = sign;
        } else {  // subnormal: normalise
            e = 113;
            while ((m & 0x400u) == 0) { m <<= 1; --e; }
            m &= 0x3ffu;
            x = sign | (e << 23) | (m << 13);
        }
    } else if (e == 31) {
        x = sign | 0x7f800000u | (m << 13);
    } else {
        x = sign | ((e + 112u) << 23) | (m << 13);
    }
    float f;
    std::memcpy(&f, &x, 4);
    return f;
}

struct half {
    uint16_t bits = 0;
    half() = default;
    explicit half(float f) : bits(float_to_half_bits(f)) {}
    explicit operator float() const { return half_bits_to_float(bits); }
    static half from_bits(uint16_t b) { half h; h.bits = b; return h; }
};

// bfloat16 (the upper 16 bits of a float32), a storage type only: Cast, CastLike and copies take
// it. float -> bfloat16 rounds to nearest even, as ONNX's reference does (numpy's astype through
// ml_dtypes); a NaN stays a NaN (its top mantissa bit set, so rounding cannot carry it into Inf).
inline uint16_t float_to_bf16_bits(float f) {
    uint32_t x;
    std::memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);
    x += 0x7fffu + ((x >> 16) & 1u);  // a carry out of the mantissa bumps the exponent (Inf when it overflows)
    return static_cast<uint16_t>(x >> 16);
}

inline float bf16_bits_to_float(uint16_t b) {
    const uint32_t x = static_cast<uint32_t>(b) << 16;
    float f;
    std::memcpy(&f, &x, 4);
    return f;
}

struct bfloat16 {
    uint16_t bits = 0;
    bfloat16() = default;
    explicit bfloat16(float f) : bits(float_to_bf16_bits(f)) {}
    explicit operator float() const { return bf16_bits_to_float(bits); }
    static bfloat16 from_bits(uint16_t b) { bfloat16 h; h.bits = b; return h; }
};

}  // namespace mutiny

#endif  // MUTINY_CORE_HALF_HPP_
