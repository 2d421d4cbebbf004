// LpPool (opsets 1, 2, 11, 18): y = (sum over the window of |x|^p)^(1/p), with the geometry of
// MaxPool / AveragePool (geometry.hpp: strides, pads, dilations, auto_pad; ceil_mode from opset
// 18). Taps in the padding add |0|^p = 0, as in the node tests (which pad with zeros); ONNX's
// ReferenceEvaluator rescales an average instead, which differs at padded borders. p is a float
// attribute in opset 1 and an int from opset 2 (default 2 in both). Each output element is summed
// in double by one task, in tap order, and rounded once.
#ifndef MUTINY_OPS_POOL_LPPOOL_HPP_
#define MUTINY_OPS_POOL_LPPOOL_HPP_

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "geometry.hpp"

namespace mutiny {
namespace pool {

template <class T>
void run_lppool(const Geometry& g, const Taps* tp, double p, const T* x, T* y) {
    const int64_t out_plane = g.out_plane(), in_plane = g.in_plane();
    const int64_t rows = g.n * g.c * out_plane;
    parallel_chunks(rows, grain_for(rows, g.k[0] * g.k[1] * g.k[2] * 4 + 1), [&](int64_t rb, int64_t re) {
        for (int64_t r = rb; r < re; ++r) {
            const int64_t plane = r / out_plane, o = r % out_plane;
            const size_t u[3] = {static_cast<size_t>(o / (g.out[1] * g.out[2])), static_cast<size_t>((o / g.out[2]) % g.out[1]),
                                 static_cast<size_t>(o % g.out[2])};
            const T* xp = x + plane * in_plane;
            double sum = 0;
            for (int64_t j0 = tp[0].lo[u[0]]; j0 < tp[0].hi[u[0]]; ++j0)
                for (int64_t j1 = tp[1].lo[u[1]]; j1 < tp[1].hi[u[1]]; ++j1)
                    for (int64_t j2 = tp[2].lo[u[2]]; j2 < tp[2].hi[u[2]]; ++j2) {
                        const int64_t i0 = tp[0].start[u[0]] + j0 * g.d[0], i1 = tp[1].start[u[1]] + j1 * g.d[1],
                                      i2 = tp[2].start[u[2]] + j2 * g.d[2];
                        const double v = std::fabs(static_cast<double>(load(xp[(i0 * g.in[1] + i1) * g.in[2] + i2])));
                        sum += p == 2 ? v * v : p == 1 ? v : std::pow(v, p);
                    }
            const double res = p == 2 ? std::sqrt(sum) : p == 1 ? sum : std::pow(sum, 1.0 / p);
            y[r] = store_as<T>(static_cast<compute_t<T>>(res));
        }
    });
}

inline void register_lppool(Registry& r) {
    OpDef& d = r.add(OpDef{
        "LpPool", nullptr,
        [](InferContext& c) {
            c.expect_inputs(1, 1);
            c.expect_float(0);
            const double p = c.attrs().get_float("p", 2);
            if (!(p > 0) || !std::isfinite(p)) c.fail("attribute 'p' out of range", std::to_string(p) + " given; LpPool needs a positive p");
            const Geometry g = geometry(c.attrs(), c.shape(0), c.where());
            c.set_output(0, c.dtype(0), output_shape(g, c.shape(0).rank()));
        },
        [](const PrepareContext& pc) -> Kernel {
            const Geometry g = geometry(pc.attrs(), pc.in[0].shape, pc.where());
            auto taps = std::make_shared<std::vector<Taps>>();
            for (int j = 0; j < 3; ++j) taps->push_back(taps_of(g, j));
            const double p = pc.attrs().get_float("p", 2);
            return [g, taps, p](ExecContext& c) {
                const Tensor& x = c.input(0);
                dispatch_float(x.dtype(), Graph::where(*c.node), [&](auto tag) {
                    using T = decltype(tag);
                    run_lppool<T>(g, taps->data(), p, static_cast<const T*>(x.raw()), static_cast<T*>(c.out[0]->raw()));
                });
            };
        }});
    d.unit_local = UnitLocality::channels;
}

}  // namespace pool
}  // namespace mutiny

#endif  // MUTINY_OPS_POOL_LPPOOL_HPP_
