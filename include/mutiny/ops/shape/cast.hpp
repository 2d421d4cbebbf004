// Cast between every dtype, with ONNX's rounding and saturation rules.
#ifndef MUTINY_OPS_SHAPE_CAST_HPP_
#define MUTINY_OPS_SHAPE_CAST_HPP_

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "copy.hpp"

namespace mutiny {
namespace shape_ops {

// ---- Cast ---------------------------------------------------------------------------------------
// Every pair of Mutiny's dtypes. Values pass through a wide type (double for floats, int64 or
// uint64 for integers and bool) in chunks: float -> int truncates toward zero and wraps like
// int -> int (two's complement, as numpy and onnxruntime; see int_from_double); -> bool is != 0;
// double -> f16 and -> bf16 round once (round-to-odd to float first, then to nearest even).
// bfloat16 is read and written here, outside dispatch_dtype, which leaves it out.

inline DType dtype_from_onnx_code(int64_t code, const std::string& where) {
    switch (code) {
        case 1: return DType::f32;
        case 2: return DType::u8;
        case 3: return DType::i8;
        case 4: return DType::u16;
        case 5: return DType::i16;
        case 6: return DType::i32;
        case 7: return DType::i64;
        case 9: return DType::boolean;
        case 10: return DType::f16;
        case 11: return DType::f64;
        case 12: return DType::u32;
        case 13: return DType::u64;
        case 16: return DType::bf16;
        default: break;
    }
    throw Error("unsupported Cast target type " + std::to_string(code), where,
                "Mutiny casts to float, float16, bfloat16, double, int8-64, uint8-64 and bool");
}

inline int64_t onnx_code_from_name(const std::string& s) {
    static const char* names[] = {"UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64",
                                  "STRING", "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16"};
    for (int64_t i = 0; i < 17; ++i)
        if (s == names[i]) return i;
    return -1;
}

enum class Wide { f, i, u };

inline Wide wide_kind(DType t) {
    if (dtype_is_float(t)) return Wide::f;
    return t == DType::u64 ? Wide::u : Wide::i;
}

inline void cast_tensor(const Tensor& src, Tensor& dst) {
    const int64_t n = src.numel();
    if (dst.numel() != n) throw Error("Cast between different sizes", src.shape().str() + " -> " + dst.shape().str(), "internal error");
    if (src.dtype() == dst.dtype()) {
        copy_tensor(src, dst);
        return;
    }
    const DType sd = src.dtype(), dd = dst.dtype();
    const Wide kind = wide_kind(sd);
    const bool to_bool = dd == DType::boolean;
    const bool from_bool = sd == DType::boolean;
    constexpr int64_t block = 2048;
    parallel_chunks(n, 16384, [&](int64_t b, int64_t e) {
        double fb[block];
        int64_t ib[block];
        uint64_t ub[block];
        for (int64_t s = b; s < e; s += block) {
            const int64_t m = std::min(block, e - s);
            if (sd == DType::bf16) {
                const uint16_t* p = static_cast<const uint16_t*>(src.raw()) + s;
                for (int64_t i = 0; i < m; ++i) fb[i] = bf16_bits_to_float(p[i]);
            } else dispatch_dtype(sd, [&](auto tag) {
                using T = decltype(tag);
                const T* p = static_cast<const T*>(src.raw()) + s;
                for (int64_t i = 0; i < m; ++i) {
                    if constexpr (std::is_same_v<T, half> || std::is_floating_point_v<T>) fb[i] = static_cast<double>(load(p[i]));
                    else if constexpr (std::is_same_v<T, uint64_t>) ub[i] = p[i];
                    else ib[i] = static_cast<int64_t>(p[i]);
                }
                if (from_bool)
                    for (int64_t i = 0; i < m; ++i) ib[i] = ib[i] != 0;
            });
            if (dd == DType::bf16) {
                bfloat16* q = static_cast<bfloat16*>(dst.raw()) + s;
                for (int64_t i = 0; i < m; ++i)
                    q[i] = bf16_from_double(kind == Wide::f ? fb[i] : kind == Wide::u ? static_cast<double>(ub[i]) : static_cast<double>(ib[i]));
                continue;
            }
            dispatch_dtype(dd, [&](auto tag) {
                using T = decltype(tag);
                T* q = static_cast<T*>(dst.raw()) + s;
                if (to_bool) {
                    uint8_t* qb = static_cast<uint8_t*>(dst.raw()) + s;
                    for (int64_t i = 0; i < m; ++i)
                        qb[i] = kind == Wide::f ? fb[i] != 0 : kind == Wide::u ? ub[i] != 0 : ib[i] != 0;
                    return;
                }
                for (int64_t i = 0; i < m; ++i) {
                    if constexpr (std::is_same_v<T, half>) {
                        q[i] = kind == Wide::f ? half_from_double(fb[i])
                                               : half(kind == Wide::u ? static_cast<float>(ub[i]) : static_cast<float>(ib[i]));
                    } else if constexpr (std::is_floating_point_v<T>) {
                        q[i] = kind == Wide::f ? static_cast<T>(fb[i]) : kind == Wide::u ? static_cast<T>(ub[i]) : static_cast<T>(ib[i]);
                    } else {
                        q[i] = kind == Wide::f ? int_from_double<T>(fb[i]) : kind == Wide::u ? static_cast<T>(ub[i]) : static_cast<T>(ib[i]);
                    }
                }
            });
        }
    });
}

inline void register_cast(Registry& r) { r.add(OpDef{
    "Cast",
    [](ImportContext& ic) {
        Node& n = *ic.node;
        if (n.attrs.has("to") && n.attrs.all().at("to").kind == Attribute::Kind::s) {  // opset < 6: a type name
            const std::string name = n.attrs.get_string("to", "");
            const int64_t code = onnx_code_from_name(name);
            if (code < 0) throw Error("unsupported Cast target type '" + name + "'", ic.where(), "unknown type name");
            n.attrs.set_int("to", code);
        }
    },
    [](InferContext& c) {
        c.expect_inputs(1, 1);
        if (!c.attrs().has("to")) c.fail("missing attribute 'to'", "Cast needs the target type");
        c.set_output(0, dtype_from_onnx_code(c.attrs().get_int("to", 0), c.where()), c.shape(0));
    },
    [](const PrepareContext&) -> Kernel {
        return [](ExecContext& c) { cast_tensor(c.input(0), *c.out[0]); };
    },
    1}).bf16 = true; }

inline void register_cast_ops(Registry& r) {
    register_cast(r);
}

}  // namespace shape_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_SHAPE_CAST_HPP_
