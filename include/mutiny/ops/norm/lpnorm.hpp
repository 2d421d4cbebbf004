// LpNormalization (opset 1): y = x / ||x||_p along `axis` (default -1), p = 1 (sum of |x|) or 2
// (the Euclidean norm; the default). Each fibre along the axis is reduced in double by one task
// and every output rounded once; a zero norm gives 0 (ONNX's reference: 0 / 0 = 0, not NaN).
// p = 1 sums |x| as the spec and its node tests (test_l1normalization_*) do; ONNX's
// ReferenceEvaluator raises x to the power 1 instead, which differs for negative inputs.
#ifndef MUTINY_OPS_NORM_LPNORM_HPP_
#define MUTINY_OPS_NORM_LPNORM_HPP_

#include <cmath>
#include <string>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "layernorm.hpp"

namespace mutiny {
namespace norm {

inline void register_lpnorm(Registry& r) {
    r.add(OpDef{"LpNormalization", nullptr,
                [](InferContext& c) {
                    c.expect_inputs(1, 1);
                    c.expect_float(0);
                    const int64_t rank = static_cast<int64_t>(c.shape(0).rank());
                    if (rank == 0) c.fail("LpNormalization of a scalar", "the input needs at least one dimension");
                    normalize_axis(c.attrs().get_int("axis", -1), rank, c.where());
                    const int64_t p = c.attrs().get_int("p", 2);
                    if (p != 1 && p != 2) c.fail("attribute 'p' out of range", std::to_string(p) + " given; LpNormalization takes p = 1 or 2");
                    c.set_output(0, c.dtype(0), c.shape(0));
                },
                [](const PrepareContext& pc) -> Kernel {
                    const Shape& xs = pc.in[0].shape;
                    const size_t axis = static_cast<size_t>(normalize_axis(pc.attrs().get_int("axis", -1), static_cast<int64_t>(xs.rank()), pc.where()));
                    const bool l1 = pc.attrs().get_int("p", 2) == 1;
                    const int64_t len = xs[axis], inner = xs.product(axis + 1, xs.rank()), outer = xs.product(0, axis);
                    return [l1, len, inner, outer](ExecContext& c) {
                        const Tensor& x = c.input(0);
                        dispatch_float(x.dtype(), Graph::where(*c.node), [&](auto tag) {
                            using T = decltype(tag);
                            const T* xp = static_cast<const T*>(x.raw());
                            T* yp = static_cast<T*>(c.out[0]->raw());
                            const int64_t fibres = outer * inner;
                            parallel_chunks(fibres, grain_for(fibres, len * 3 + 1), [&](int64_t b, int64_t e) {
                                for (int64_t f = b; f < e; ++f) {
                                    const int64_t base = (f / inner) * len * inner + f % inner;
                                    double acc = 0;
                                    for (int64_t i = 0; i < len; ++i) {
                                        const double v = static_cast<double>(load(xp[base + i * inner]));
                                        acc += l1 ? std::fabs(v) : v * v;
                                    }
                                    const double norm = l1 ? acc : std::sqrt(acc);
                                    for (int64_t i = 0; i < len; ++i)
                                        store_double(yp, base + i * inner, norm == 0 ? 0.0 : static_cast<double>(load(xp[base + i * inner])) / norm);
                                }
                            });
                        });
                    };
                }});
}

}  // namespace norm
}  // namespace mutiny

#endif  // MUTINY_OPS_NORM_LPNORM_HPP_
