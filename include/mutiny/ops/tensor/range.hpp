// Range (opset 11): output[i] = start + i * delta for i < max(ceil((limit - start) / delta), 0).
// start, limit and delta are one-element tensors of one type (float, double, int16, int32,
// int64); they set the output's length, so they must be constants. Integer types compute the
// length and the values in 64-bit integers (exact); float types compute each value in double and
// round it once to the output type (no accumulated error), the length from double as numpy does.
#ifndef MUTINY_OPS_TENSOR_RANGE_HPP_
#define MUTINY_OPS_TENSOR_RANGE_HPP_

#include <cmath>
#include <string>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "../shape/copy.hpp"
#include "common.hpp"

namespace mutiny {
namespace tensor_ops {

inline bool range_dtype(DType t) {
    return t == DType::f32 || t == DType::f64 || t == DType::f16 || t == DType::i16 || t == DType::i32 || t == DType::i64;
}

// The number of elements of Range(start, limit, delta), checked.
inline int64_t range_length(const Tensor& start, const Tensor& limit, const Tensor& delta, const std::string& where) {
    for (const Tensor* t : {&start, &limit, &delta})
        if (t->numel() != 1) throw Error("Range start, limit and delta must hold one element", where, "one has shape " + t->shape().str());
    if (dtype_is_float(start.dtype())) {
        const double s = start.get_f64(0), l = limit.get_f64(0), d = delta.get_f64(0);
        if (d == 0 || !std::isfinite(d) || !std::isfinite(s) || !std::isfinite(l))
            throw Error("Range delta is zero or a bound is not finite", where,
                        "start " + std::to_string(s) + ", limit " + std::to_string(l) + ", delta " + std::to_string(d));
        const double n = std::ceil((l - s) / d);
        if (n > 1e12) throw Error("Range output too large", where, std::to_string(n) + " elements");
        return n > 0 ? static_cast<int64_t>(n) : 0;
    }
    const int64_t s = start.get_i64(0), l = limit.get_i64(0), d = delta.get_i64(0);
    if (d == 0) throw Error("Range delta is zero", where, "start " + std::to_string(s) + ", limit " + std::to_string(l));
    // ceil((l - s) / d) in integers: the span is computed in 128 bits (l - s may overflow int64).
    const __int128 span = static_cast<__int128>(l) - s;
    __int128 q = span / d;
    if (span % d != 0 && ((span > 0) == (d > 0))) ++q;
    if (q > static_cast<__int128>(1e12)) throw Error("Range output too large", where, "more than 1e12 elements");
    return q > 0 ? static_cast<int64_t>(q) : 0;
}

inline void register_range(Registry& r) {
    r.add(OpDef{
        "Range", nullptr,
        [](InferContext& c) {
            c.expect_inputs(3, 3);
            const DType t = c.dtype(0);
            if (!range_dtype(t))
                c.fail("unsupported Range dtype", std::string(dtype_name(t)) + "; Range takes f16, f32, f64, i16, i32 or i64");
            if (c.dtype(1) != t || c.dtype(2) != t)
                c.fail("Range inputs differ in dtype", std::string("start ") + dtype_name(t) + ", limit " + dtype_name(c.dtype(1)) +
                                                          ", delta " + dtype_name(c.dtype(2)));
            const Tensor& s = c.require_constant(0, "Range start");
            const Tensor& l = c.require_constant(1, "Range limit");
            const Tensor& d = c.require_constant(2, "Range delta");
            c.set_output(0, t, Shape{range_length(s, l, d, c.where())});
        },
        [](const PrepareContext&) -> Kernel {
            return [](ExecContext& c) {
                Tensor& y = *c.out[0];
                const Tensor &s = c.input(0), &d = c.input(2);
                dispatch_dtype(y.dtype(), [&](auto tag) {
                    using T = decltype(tag);
                    T* yp = static_cast<T*>(y.raw());
                    if constexpr (std::is_floating_point_v<compute_t<T>>) {
                        const double s0 = s.get_f64(0), d0 = d.get_f64(0);
                        parallel_chunks(y.numel(), 1 << 15, [&](int64_t b, int64_t e) {
                            for (int64_t i = b; i < e; ++i) {
                                const double v = s0 + static_cast<double>(i) * d0;
                                if constexpr (std::is_same_v<T, half>) yp[i] = shape_ops::half_from_double(v);
                                else yp[i] = static_cast<T>(v);
                            }
                        });
                    } else {
                        const int64_t s0 = s.get_i64(0), d0 = d.get_i64(0);
                        parallel_chunks(y.numel(), 1 << 15, [&](int64_t b, int64_t e) {
                            for (int64_t i = b; i < e; ++i) yp[i] = static_cast<T>(static_cast<int64_t>(static_cast<uint64_t>(s0) + static_cast<uint64_t>(i) * static_cast<uint64_t>(d0)));
                        });
                    }
                });
            };
        },
        11});
}

}  // namespace tensor_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_TENSOR_RANGE_HPP_
