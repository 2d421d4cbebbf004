// LRN (cross-channel local response normalisation, AlexNet):
// y = x / (bias + alpha / size * square_sum) ^ beta, square_sum over the channels
// [c - floor((size - 1) / 2), c + ceil((size - 1) / 2)] clipped to [0, C - 1], summed in ascending
// channel order in the compute type (as ONNX's reference does).
#ifndef MUTINY_OPS_POOL_LRN_HPP_
#define MUTINY_OPS_POOL_LRN_HPP_

#include <cmath>
#include <string>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#if MUTINY_WITH_OPENCL
#include "../../exec/opencl/planner.hpp"
#endif

namespace mutiny {
namespace pool {

struct LrnParams {
    int64_t size = 0;
    double alpha = 1e-4, beta = 0.75, bias = 1.0;
};

inline LrnParams lrn_params(const Attributes& a, const std::string& where) {
    LrnParams p;
    if (!a.has("size")) throw Error("missing attribute 'size'", where, "LRN needs the number of channels to sum over");
    p.size = a.get_int("size", 0);
    if (p.size < 1) throw Error("LRN size must be positive", where, "size = " + std::to_string(p.size));
    p.alpha = a.get_float("alpha", 1e-4);
    p.beta = a.get_float("beta", 0.75);
    p.bias = a.get_float("bias", 1.0);
    return p;
}

template <class T, bool Sites>
void run_lrn(const LrnParams& prm, const Shape& shape, const SiteConfig* sites, const T* x, T* y) {
    using C = compute_t<T>;
    const int64_t n = shape[0], ch = shape[1];
    const int64_t sp = shape.product(2, shape.rank());
    const int64_t before = (prm.size - 1) / 2, after = prm.size - 1 - before;
    const C factor = static_cast<C>(prm.alpha / static_cast<double>(prm.size));
    const C bias = static_cast<C>(prm.bias), beta = static_cast<C>(prm.beta);
    const int64_t rows = n * ch;
    parallel_chunks(rows, grain_for(rows, sp * (prm.size + 8)), [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
            const int64_t c = r % ch;
            const T* base = x + (r - c) * sp;
            const int64_t c0 = std::max<int64_t>(0, c - before);
            int64_t c1 = std::min<int64_t>(ch - 1, c + after) + 1;
            if constexpr (Sites) {
                if (sites->reduction_drop_last && c1 > c0) --c1;
            }
            for (int64_t i = 0; i < sp; ++i) {
                C sq = 0;
                for (int64_t k = c0; k < c1; ++k) {
                    const C v = load(base[k * sp + i]);
                    sq += v * v;
                }
                C res = load(x[r * sp + i]) / std::pow(bias + factor * sq, beta);
                if constexpr (Sites && std::is_same_v<T, float>) res = site_store(sites, res);
                y[r * sp + i] = store_as<T>(res);
            }
        }
    });
}

#if MUTINY_WITH_OPENCL
// kernels/pool.cl: lrn, one work-item per element.
inline bool plan_lrn_opencl(opencl::NodePlanner& p) {
    if (!p.float_kernel()) return false;
    const DType t = p.out_type().dtype;
    const int n = static_cast<int>(p.out_type().shape.numel());
    const LrnParams prm = lrn_params(p.attrs(), p.where());
    const Shape& xs = p.in_type(0).shape;
    const int before = static_cast<int>((prm.size - 1) / 2), after = static_cast<int>(prm.size - 1) - before;
    cl_kernel k = p.kernel("pool", "lrn", t);
    p.arg(k, 0, p.in(0));
    p.arg(k, 1, p.out());
    p.arg(k, 2, static_cast<int>(xs[1]));
    p.arg(k, 3, static_cast<int>(xs.product(2, xs.rank())));
    p.arg(k, 4, before);
    p.arg(k, 5, after);
    p.arg_c(k, 6, prm.alpha / static_cast<double>(prm.size), t);
    p.arg_c(k, 7, prm.bias, t);
    p.arg_c(k, 8, prm.beta, t);
    p.arg(k, 9, n);
    p.run(p.launch(k, static_cast<size_t>(n)));
    return true;
}
#endif

inline void register_lrn(Registry& r) {
    OpDef& d = r.add(OpDef{
    "LRN", nullptr,
    [](InferContext& c) {
        c.expect_inputs(1, 1);
        c.expect_float(0);
        if (c.shape(0).rank() < 3) c.fail("LRN input has rank < 3", "input has shape " + c.shape(0).str() + "; expected [N, C, D1, ...]");
        lrn_params(c.attrs(), c.where());
        c.set_output(0, c.dtype(0), c.shape(0));
    },
    [](const PrepareContext& pc) -> Kernel {
        const LrnParams prm = lrn_params(pc.attrs(), pc.where());
        const SiteConfig sites = pc.sites;
        const bool plain = sites.is_default();
        return [prm, sites, plain](ExecContext& c) {
            const Tensor& x = c.input(0);
            auto go = [&](auto tag) {
                using T = decltype(tag);
                const T* xp = static_cast<const T*>(x.raw());
                T* yp = static_cast<T*>(c.out[0]->raw());
                if (plain) run_lrn<T, false>(prm, x.shape(), nullptr, xp, yp);
                else run_lrn<T, true>(prm, x.shape(), &sites, xp, yp);
            };
            switch (x.dtype()) {
                case DType::f32: go(float{}); break;
                case DType::f16: go(half{}); break;
                case DType::f64: go(double{}); break;
                default: throw Error("unsupported LRN dtype", Graph::where(*c.node), dtype_name(x.dtype()));
            }
        };
    }});
    d.sites.store = true;
    d.sites.reduction = true;
#if MUTINY_WITH_OPENCL
    d.plan_opencl = plan_lrn_opencl;
#endif
}

}  // namespace pool
}  // namespace mutiny

#endif  // MUTINY_OPS_POOL_LRN_HPP_
