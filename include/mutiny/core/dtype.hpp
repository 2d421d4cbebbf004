// Element types. Mutiny's models compute in f32; the other types exist because real ONNX files
// carry them (int64 shapes, uint8 images, f16 weights, bool masks) and because MutateNN's
// arithmetic-type mutations pass values through narrower types.
#ifndef MUTINY_CORE_DTYPE_HPP_
#define MUTINY_CORE_DTYPE_HPP_

#include <cstddef>
#include <cstdint>
#include <string>

#include "error.hpp"
#include "half.hpp"

namespace mutiny {

// bf16 is last so the other values keep their numbers; it is a storage type only (see
// dispatch_dtype).
enum class DType : uint8_t { f32, f16, f64, i64, i32, i16, i8, u8, u16, u32, u64, boolean, bf16 };

inline size_t dtype_size(DType t) {
    switch (t) {
        case DType::f32: return 4;
        case DType::f16: return 2;
        case DType::f64: return 8;
        case DType::i64: return 8;
        case DType::i32: return 4;
        case DType::i16: return 2;
        case DType::i8: return 1;
        case DType::u8: return 1;
        case DType::u16: return 2;
        case DType::u32: return 4;
        case DType::u64: return 8;
        case DType::boolean: return 1;
        case DType::bf16: return 2;
    }
    return 0;
}

inline const char* dtype_name(DType t) {
    switch (t) {
        case DType::f32: return "f32";
        case DType::f16: return "f16";
        case DType::f64: return "f64";
        case DType::i64: return "i64";
        case DType::i32: return "i32";
        case DType::i16: return "i16";
        case DType::i8: return "i8";
        case DType::u8: return "u8";
        case DType::u16: return "u16";
        case DType::u32: return "u32";
        case DType::u64: return "u64";
        case DType::boolean: return "bool";
        case DType::bf16: return "bf16";
    }
    return "?";
}

inline DType dtype_from_name(const std::string& s) {
    for (int i = 0; i <= static_cast<int>(DType::bf16); ++i) {
        auto t = static_cast<DType>(i);
        if (s == dtype_name(t)) return t;
    }
    throw Error("unknown dtype '" + s + "'", "", "expected one of f32 f16 f64 i64 i32 i16 i8 u8 u16 u32 u64 bool bf16");
}

inline bool dtype_is_float(DType t) { return t == DType::f32 || t == DType::f16 || t == DType::f64 || t == DType::bf16; }

// C++ type <-> DType. bool tensors are stored as uint8_t so that storage is byte-addressable.
template <class T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = DType::f32; };
template <> struct dtype_of<half> { static constexpr DType value = DType::f16; };
template <> struct dtype_of<bfloat16> { static constexpr DType value = DType::bf16; };
template <> struct dtype_of<double> { static constexpr DType value = DType::f64; };
template <> struct dtype_of<int64_t> { static constexpr DType value = DType::i64; };
template <> struct dtype_of<int32_t> { static constexpr DType value = DType::i32; };
template <> struct dtype_of<int16_t> { static constexpr DType value = DType::i16; };
template <> struct dtype_of<int8_t> { static constexpr DType value = DType::i8; };
template <> struct dtype_of<uint8_t> { static constexpr DType value = DType::u8; };
template <> struct dtype_of<uint16_t> { static constexpr DType value = DType::u16; };
template <> struct dtype_of<uint32_t> { static constexpr DType value = DType::u32; };
template <> struct dtype_of<uint64_t> { static constexpr DType value = DType::u64; };

// Calls f(T{}) with T the C++ type of `t` (bool as uint8_t). One switch instead of one per op.
// bfloat16 is left out on purpose: every op's kernels would be instantiated for it (compile time)
// while only Cast, CastLike and byte copies take it; validate() refuses it for other ops first.
template <class F>
decltype(auto) dispatch_dtype(DType t, F&& f) {
    switch (t) {
        case DType::f32: return f(float{});
        case DType::f16: return f(half{});
        case DType::f64: return f(double{});
        case DType::i64: return f(int64_t{});
        case DType::i32: return f(int32_t{});
        case DType::i16: return f(int16_t{});
        case DType::i8: return f(int8_t{});
        case DType::u8: return f(uint8_t{});
        case DType::u16: return f(uint16_t{});
        case DType::u32: return f(uint32_t{});
        case DType::u64: return f(uint64_t{});
        case DType::boolean: return f(uint8_t{});
        case DType::bf16: break;
    }
    if (t == DType::bf16) throw Error("unsupported dtype bfloat16", "", "bfloat16 is a storage type: only Cast, CastLike and copies take it");
    throw Error("invalid dtype", "", "corrupt enum value");
}

}  // namespace mutiny

#endif  // MUTINY_CORE_DTYPE_HPP_
