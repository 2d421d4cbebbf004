// GroupNormalization (opsets 18 and 21): the C channels of x [N, C, D1, ...] fall into num_groups
// groups of C / num_groups consecutive channels; per (image, group)
//   y = (x - mean) / sqrt(var + epsilon) * scale[c] + bias[c],
// mean and (biased) variance over the group's channels and spatial positions. Opset 21 gives scale
// and bias per channel ([C]); opset 18 gave them per group ([num_groups]), which import records as
// `legacy_group_params` (ONNX deprecated it for that ambiguity). Each group is computed in double
// by one task (two passes), every output rounded once; stash_type (21) asks for at least float32
// statistics, and double is more.
#ifndef MUTINY_OPS_NORM_GROUPNORM_HPP_
#define MUTINY_OPS_NORM_GROUPNORM_HPP_

#include <cmath>
#include <string>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "batchnorm.hpp"
#include "layernorm.hpp"

namespace mutiny {
namespace norm {

inline void register_groupnorm(Registry& r) {
    r.add(OpDef{"GroupNormalization",
                [](ImportContext& ic) {
                    if (ic.opset < 21) ic.node->attrs.set_int("legacy_group_params", 1);
                },
                [](InferContext& c) {
                    c.expect_inputs(3, 3);
                    c.expect_float(0);
                    const Shape& x = c.shape(0);
                    if (x.rank() < 2) c.fail("GroupNormalization input has rank < 2", "input has shape " + x.str() + "; expected [N, C, D1, ...]");
                    if (!c.attrs().has("num_groups")) c.fail("missing attribute 'num_groups'", "GroupNormalization needs the number of groups");
                    const int64_t g = c.attrs().get_int("num_groups", 0);
                    if (g <= 0 || x[1] % g != 0)
                        c.fail("attribute 'num_groups' does not divide the channels", "num_groups " + std::to_string(g) + " for " + std::to_string(x[1]) + " channels");
                    const bool legacy = c.attrs().get_int("legacy_group_params", 0) != 0;
                    const int64_t want = legacy ? g : x[1];
                    for (size_t i = 1; i < 3; ++i) {
                        if (c.dtype(i) != c.dtype(0))
                            c.fail(std::string("GroupNormalization ") + (i == 1 ? "scale" : "bias") + " dtype differs from X",
                                   std::string(dtype_name(c.dtype(i))) + " vs " + dtype_name(c.dtype(0)));
                        if (c.shape(i).rank() != 1 || c.shape(i)[0] != want)
                            c.fail(std::string("GroupNormalization ") + (i == 1 ? "scale" : "bias") + " has the wrong shape",
                                   c.shape(i).str() + "; expected [" + std::to_string(want) + "] (one per " + (legacy ? "group, opset 18" : "channel, opset 21") + ")");
                    }
                    if (c.attrs().has("stash_type")) layernorm_stash(c.attrs(), c.where());
                    c.set_output(0, c.dtype(0), x);
                },
                [](const PrepareContext& pc) -> Kernel {
                    const int64_t groups = pc.attrs().get_int("num_groups", 1);
                    const bool legacy = pc.attrs().get_int("legacy_group_params", 0) != 0;
                    // epsilon is a float attribute: its float32 value, as ONNX's function body uses it.
                    const double eps = static_cast<double>(static_cast<float>(pc.attrs().get_float("epsilon", 1e-5)));
                    return [groups, legacy, eps](ExecContext& c) {
                        const Tensor& x = c.input(0);
                        const Shape& xs = x.shape();
                        const int64_t ch = xs[1], per = ch / groups, sp = xs.product(2, xs.rank()), n = per * sp;
                        const int64_t blocks = xs[0] * groups;
                        const auto scale = as_doubles(c.input(1)), bias = as_doubles(c.input(2));
                        dispatch_float(x.dtype(), Graph::where(*c.node), [&](auto tag) {
                            using T = decltype(tag);
                            const T* xp = static_cast<const T*>(x.raw());
                            T* yp = static_cast<T*>(c.out[0]->raw());
                            parallel_chunks(blocks, grain_for(blocks, n * 6 + 1), [&](int64_t b, int64_t e) {
                                for (int64_t blk = b; blk < e; ++blk) {
                                    const T* xr = xp + blk * n;
                                    T* yr = yp + blk * n;
                                    const auto [mean, inv] = mean_inv_std(xr, n, eps);
                                    const int64_t g = blk % groups;
                                    for (int64_t k = 0; k < per; ++k) {
                                        const size_t p = static_cast<size_t>(legacy ? g : g * per + k);
                                        for (int64_t i = k * sp; i < (k + 1) * sp; ++i)
                                            store_double(yr, i, (static_cast<double>(load(xr[i])) - mean) * inv * scale[p] + bias[p]);
                                    }
                                }
                            });
                        });
                    };
                },
                18});
}

}  // namespace norm
}  // namespace mutiny

#endif  // MUTINY_OPS_NORM_GROUPNORM_HPP_
