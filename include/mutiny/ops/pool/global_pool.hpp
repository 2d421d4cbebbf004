// GlobalAveragePool and GlobalMaxPool: one value per (image, channel) plane, taps in order; the
// max comparison is a GT site, f32 results a store site, the plane a reduction site.
#ifndef MUTINY_OPS_POOL_GLOBAL_POOL_HPP_
#define MUTINY_OPS_POOL_GLOBAL_POOL_HPP_

#include <cmath>
#include <limits>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "geometry.hpp"
#if MUTINY_WITH_OPENCL
#include "../../exec/opencl/planner.hpp"
#endif

namespace mutiny {
namespace pool {

template <Kind K>
void infer_global(InferContext& c) {
    c.expect_inputs(1, 1);
    c.expect_float(0);
    const Shape& x = c.shape(0);
    if (x.rank() < 2) c.fail("global pooling input has rank < 2", "input has shape " + x.str() + "; expected [N, C, ...]");
    std::vector<int64_t> dims = x.dims();
    for (size_t i = 2; i < dims.size(); ++i) dims[i] = 1;
    c.set_output(0, c.dtype(0), Shape(std::move(dims)));
}

template <class T, Kind K, bool Sites>
void run_global(int64_t planes, int64_t size, const SiteConfig* sites, const T* x, T* y) {
    using C = compute_t<T>;
    parallel_chunks(planes, grain_for(planes, size + 1), [&](int64_t b, int64_t e) {
        for (int64_t p = b; p < e; ++p) {
            const T* xp = x + p * size;
            int64_t n = size;
            if constexpr (Sites) {
                if (sites->reduction_drop_last && n > 0) --n;
            }
            C res;
            if constexpr (K == Kind::max) {
                C best = -std::numeric_limits<C>::infinity();
                bool first = true;
                for (int64_t i = 0; i < n; ++i) {
                    const C v = load(xp[i]);
                    if constexpr (Sites) {
                        if (site_gt(sites, v, best) || (first && v == v)) {
                            best = v;
                            first = false;
                        }
                    } else {
                        best = v > best ? v : best;
                    }
                }
                res = best;
            } else {
                double sum = 0;
                for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(load(xp[i]));
                res = static_cast<C>(sum / static_cast<double>(size));
            }
            if constexpr (Sites && std::is_same_v<T, float>) res = site_store(sites, res);
            y[p] = store_as<T>(res);
        }
    });
}

template <Kind K>
Kernel prepare_global(const PrepareContext& pc) {
    const SiteConfig sites = pc.sites;
    const bool plain = sites.is_default();
    return [sites, plain](ExecContext& c) {
        const Tensor& x = c.input(0);
        const int64_t planes = x.shape().rank() >= 2 ? x.shape()[0] * x.shape()[1] : 1;
        const int64_t size = x.shape().product(2, x.shape().rank());
        auto go = [&](auto tag) {
            using T = decltype(tag);
            const T* xp = static_cast<const T*>(x.raw());
            T* yp = static_cast<T*>(c.out[0]->raw());
            if (plain) run_global<T, K, false>(planes, size, nullptr, xp, yp);
            else run_global<T, K, true>(planes, size, &sites, xp, yp);
        };
        switch (x.dtype()) {
            case DType::f32: go(float{}); break;
            case DType::f16: go(half{}); break;
            case DType::f64: go(double{}); break;
            default: throw Error("unsupported global pooling dtype", Graph::where(*c.node), dtype_name(x.dtype()));
        }
    };
}

#if MUTINY_WITH_OPENCL
// kernels/pool.cl: global_max / global_avg, one work-item per plane.
inline bool plan_global_pool_opencl(opencl::NodePlanner& p) {
    if (!p.float_kernel()) return false;
    const DType t = p.out_type().dtype;
    const Shape& xs = p.in_type(0).shape;
    const int planes = static_cast<int>(xs.rank() >= 2 ? xs[0] * xs[1] : 1);
    const int size = static_cast<int>(xs.product(2, xs.rank()));
    cl_kernel k = p.kernel("pool", p.node().op == "GlobalMaxPool" ? "global_max" : "global_avg", t);
    p.arg(k, 0, p.in(0));
    p.arg(k, 1, p.out());
    p.arg(k, 2, size);
    p.arg(k, 3, planes);
    p.run(p.launch(k, static_cast<size_t>(planes)));
    return true;
}
#endif

inline void register_global_pool(Registry& r) {
    OpDef& avg = r.add(OpDef{"GlobalAveragePool", nullptr, infer_global<Kind::avg>, prepare_global<Kind::avg>});
    avg.sites = KernelSites{false, false, true, true};
    OpDef& mx = r.add(OpDef{"GlobalMaxPool", nullptr, infer_global<Kind::max>, prepare_global<Kind::max>});
    mx.sites = KernelSites{false, true, true, true};
    for (OpDef* d : {&avg, &mx}) {
        d->unit_local = UnitLocality::channels;
#if MUTINY_WITH_OPENCL
        d->plan_opencl = plan_global_pool_opencl;
#endif
    }
}

}  // namespace pool
}  // namespace mutiny

#endif  // MUTINY_OPS_POOL_GLOBAL_POOL_HPP_
