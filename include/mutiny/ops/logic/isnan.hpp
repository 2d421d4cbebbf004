// IsNaN and IsInf (detect_negative, detect_positive): bool masks of float inputs.
#ifndef MUTINY_OPS_LOGIC_ISNAN_HPP_
#define MUTINY_OPS_LOGIC_ISNAN_HPP_

#include <cmath>

#include "../../core/parallel.hpp"
#include "../common.hpp"

namespace mutiny {
namespace logic {

inline void infer_mask(InferContext& c) {
    c.expect_inputs(1, 1);
    c.expect_float(0);
    c.set_output(0, DType::boolean, c.shape(0));
}

template <class F>
Kernel float_mask(F f) {
    return [f](ExecContext& c) {
        const Tensor& x = c.input(0);
        uint8_t* y = static_cast<uint8_t*>(c.out[0]->raw());
        dispatch_dtype(x.dtype(), [&](auto tag) {
            using T = decltype(tag);
            if constexpr (std::is_floating_point_v<compute_t<T>>) {
                const T* xp = static_cast<const T*>(x.raw());
                parallel_chunks(x.numel(), 65536, [&](int64_t b, int64_t e) {
                    for (int64_t i = b; i < e; ++i) y[i] = f(static_cast<double>(load(xp[i]))) ? 1 : 0;
                });
            }
        });
    };
}

inline void register_isnan_ops(Registry& r) {
    r.add(OpDef{"IsNaN", nullptr, infer_mask, [](const PrepareContext&) { return float_mask([](double v) { return std::isnan(v); }); }});
    r.add(OpDef{"IsInf", nullptr, infer_mask, [](const PrepareContext& pc) {
                    const bool neg = pc.attrs().get_int("detect_negative", 1) != 0, pos = pc.attrs().get_int("detect_positive", 1) != 0;
                    return float_mask([neg, pos](double v) { return std::isinf(v) && (v > 0 ? pos : neg); });
                }});
}

}  // namespace logic
}  // namespace mutiny

#endif  // MUTINY_OPS_LOGIC_ISNAN_HPP_
