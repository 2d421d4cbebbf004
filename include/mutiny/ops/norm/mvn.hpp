// MeanVarianceNormalization (opset 9, 13): Y = (X - E[X]) / (sqrt(E[(X - E[X])^2]) + 1e-9), the
// expectations over `axes` (default [0, 2, 3]). ONNX's function computes the variance as
// E[X^2] - E[X]^2; Mutiny computes each group's mean and variance in double with two passes (the
// same value in exact arithmetic, without the cancellation), in row-major order of the group, by
// one task per group, and rounds every output once.
#ifndef MUTINY_OPS_NORM_MVN_HPP_
#define MUTINY_OPS_NORM_MVN_HPP_

#include <cmath>
#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "../reduce/view.hpp"
#include "layernorm.hpp"

namespace mutiny {
namespace norm {

inline reduce::View mvn_view(const Attributes& a, const Shape& x, const std::string& where) {
    const std::vector<int64_t> axes = a.get_ints("axes", {0, 2, 3});
    if (axes.empty()) throw Error("MeanVarianceNormalization axes are empty", where, "at least one axis is required");
    return reduce::view(x, axes, true, false, where);
}

inline void register_mvn(Registry& r) {
    r.add(OpDef{
        "MeanVarianceNormalization", nullptr,
        [](InferContext& c) {
            c.expect_inputs(1, 1);
            c.expect_float(0);
            mvn_view(c.attrs(), c.shape(0), c.where());
            c.set_output(0, c.dtype(0), c.shape(0));
        },
        [](const PrepareContext& pc) -> Kernel {
            const Attributes attrs = pc.attrs();
            return [attrs](ExecContext& c) {
                const Tensor& x = c.input(0);
                const reduce::View v = mvn_view(attrs, x.shape(), Graph::where(*c.node));
                const int64_t groups = v.out.numel();
                const double n = static_cast<double>(v.count);
                dispatch_dtype(x.dtype(), [&](auto tag) {
                    using T = decltype(tag);
                    if constexpr (std::is_floating_point_v<compute_t<T>>) {
                        const T* xp = static_cast<const T*>(x.raw());
                        T* yp = static_cast<T*>(c.out[0]->raw());
                        parallel_chunks(groups, grain_for(groups, v.count * 6 + 1), [&](int64_t b, int64_t e) {
                            for (int64_t g = b; g < e; ++g) {
                                const int64_t base = reduce::base_offset(v, g);
                                double sum = 0;
                                reduce::for_each_reduced(v, base, [&](int64_t i) { sum += static_cast<double>(load(xp[i])); });
                                const double mean = sum / n;
                                double sq = 0;
                                reduce::for_each_reduced(v, base, [&](int64_t i) {
                                    const double d = static_cast<double>(load(xp[i])) - mean;
                                    sq += d * d;
                                });
                                const double den = std::sqrt(sq / n) + 1e-9;
                                reduce::for_each_reduced(v, base, [&](int64_t i) {
                                    store_double(yp, i, (static_cast<double>(load(xp[i])) - mean) / den);
                                });
                            }
                        });
                    } else {
                        throw Error("unsupported MeanVarianceNormalization dtype", Graph::where(*c.node), dtype_name(x.dtype()));
                    }
                });
            };
        },
        9});
}

}  // namespace norm
}  // namespace mutiny

#endif  // MUTINY_OPS_NORM_MVN_HPP_
