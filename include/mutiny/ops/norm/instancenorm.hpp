// InstanceNormalization:
// y = scale * (x - mean) / sqrt(var + epsilon) + B, mean and variance over each (n, c) plane,
// computed in double (two passes).
// f32 results pass through site_store; reduction_drop_last drops the last term of the sums.
#ifndef MUTINY_OPS_NORM_INSTANCENORM_HPP_
#define MUTINY_OPS_NORM_INSTANCENORM_HPP_

#include <cmath>
#include <string>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "batchnorm.hpp"
#if MUTINY_WITH_OPENCL
#include "../../exec/opencl/planner.hpp"
#endif

namespace mutiny {
namespace norm {

template <class T, bool Sites>
void run_instnorm(const Shape& shape, double eps, const Tensor& scale, const Tensor& bias, const SiteConfig* sites,
                  const T* x, T* y) {
    const int64_t ch = shape[1], sp = shape.product(2, shape.rank());
    const int64_t rows = shape[0] * ch;
    const auto s = as_doubles(scale), bv = as_doubles(bias);
    parallel_chunks(rows, grain_for(rows, sp * 4 + 1), [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
            const size_t c = static_cast<size_t>(r % ch);
            const T* xp = x + r * sp;
            T* yp = y + r * sp;
            int64_t n = sp;
            if constexpr (Sites) {
                if (sites->reduction_drop_last && n > 0) --n;
            }
            double sum = 0;
            for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(load(xp[i]));
            const double mean = sp ? sum / static_cast<double>(sp) : 0.0;
            double sq = 0;
            for (int64_t i = 0; i < n; ++i) {
                const double d = static_cast<double>(load(xp[i])) - mean;
                sq += d * d;
            }
            const double var = sp ? sq / static_cast<double>(sp) : 0.0;
            const double a = s[c] / std::sqrt(var + eps);
            for (int64_t i = 0; i < sp; ++i) {
                auto v = static_cast<compute_t<T>>((static_cast<double>(load(xp[i])) - mean) * a + bv[c]);
                if constexpr (Sites && std::is_same_v<T, float>) v = site_store(sites, v);
                yp[i] = store_as<T>(v);
            }
        }
    });
}

#if MUTINY_WITH_OPENCL
// kernels/norm.cl: instancenorm, one work-item per (image, channel) plane.
inline bool plan_instancenorm_opencl(opencl::NodePlanner& p) {
    if (!p.float_kernel()) return false;
    const DType t = p.out_type().dtype;
    const Shape& xs = p.in_type(0).shape;
    const int rows = static_cast<int>(xs[0] * xs[1]);
    cl_kernel k = p.kernel("norm", "instancenorm", t);
    p.arg(k, 0, p.in(0));
    p.arg(k, 1, p.out());
    p.arg(k, 2, p.in(1));
    p.arg(k, 3, p.in(2));
    p.arg(k, 4, static_cast<int>(xs[1]));
    p.arg(k, 5, static_cast<int>(xs.product(2, xs.rank())));
    p.arg_acc(k, 6, p.attrs().get_float("epsilon", 1e-5), t);
    p.arg(k, 7, rows);
    p.run(p.launch(k, static_cast<size_t>(rows)));
    return true;
}
#endif

inline void register_instancenorm(Registry& r) {
    OpDef& d = r.add(OpDef{
    "InstanceNormalization", nullptr,
    [](InferContext& c) {
        c.expect_inputs(3, 3);
        c.expect_float(0);
        const Shape& x = c.shape(0);
        if (x.rank() < 3) c.fail("InstanceNormalization input has rank < 3", "input has shape " + x.str() + "; expected [N, C, D1, ...]");
        for (size_t i = 1; i < 3; ++i)
            if (c.shape(i).numel() != x[1] || c.shape(i).rank() != 1)
                c.fail(std::string("InstanceNormalization ") + (i == 1 ? "scale" : "B") + " has the wrong shape",
                       c.shape(i).str() + " for " + std::to_string(x[1]) + " channels");
        c.set_output(0, c.dtype(0), x);
    },
    [](const PrepareContext& pc) -> Kernel {
        const double eps = pc.attrs().get_float("epsilon", 1e-5);
        const SiteConfig sites = pc.sites;
        const bool plain = sites.is_default();
        return [eps, sites, plain](ExecContext& c) {
            const Tensor& x = c.input(0);
            auto go = [&](auto tag) {
                using T = decltype(tag);
                const T* xp = static_cast<const T*>(x.raw());
                T* yp = static_cast<T*>(c.out[0]->raw());
                if (plain) run_instnorm<T, false>(x.shape(), eps, c.input(1), c.input(2), nullptr, xp, yp);
                else run_instnorm<T, true>(x.shape(), eps, c.input(1), c.input(2), &sites, xp, yp);
            };
            switch (x.dtype()) {
                case DType::f32: go(float{}); break;
                case DType::f16: go(half{}); break;
                case DType::f64: go(double{}); break;
                default: throw Error("unsupported InstanceNormalization dtype", Graph::where(*c.node), dtype_name(x.dtype()));
            }
        };
    }});
    d.sites.store = true;
    d.sites.reduction = true;
#if MUTINY_WITH_OPENCL
    d.plan_opencl = plan_instancenorm_opencl;
#endif
}

}  // namespace norm
}  // namespace mutiny

#endif  // MUTINY_OPS_NORM_INSTANCENORM_HPP_
