// BatchNormalization (inference) computes y = (x - mean) * a + B with a = scale / sqrt(var + epsilon), a
// rounded once from double; a, mean and B are precomputed in prepare() when the parameters are
// constant (the usual case). Parameters of C values apply per channel; parameters of C x D1 x ...
// values (opset < 9, spatial = 0) apply per activation. Training mode is refused.
// f32 results pass through site_store.
#ifndef MUTINY_OPS_NORM_BATCHNORM_HPP_
#define MUTINY_OPS_NORM_BATCHNORM_HPP_

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#if MUTINY_WITH_OPENCL
#include "../../exec/opencl/planner.hpp"
#endif

namespace mutiny {
namespace norm {

// ---- BatchNormalization ---------------------------------------------------------------------------

struct BnParams {
    std::vector<double> mean, a, b;  // one per channel or per activation, rounded to the compute type at use
    int64_t per = 1;                // 1: per channel; S: per activation (index c * S + i)
};

inline std::vector<double> as_doubles(const Tensor& t) {
    std::vector<double> v(static_cast<size_t>(t.numel()));
    for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = t.get_f64(i);
    return v;
}

inline BnParams bn_params(const Tensor& scale, const Tensor& bias, const Tensor& mean, const Tensor& var, double eps,
                          int64_t channels, int64_t spatial) {
    const auto s = as_doubles(scale), b = as_doubles(bias), m = as_doubles(mean), v = as_doubles(var);
    const bool per_act = s.size() != static_cast<size_t>(channels) || b.size() != static_cast<size_t>(channels) ||
                         m.size() != static_cast<size_t>(channels) || v.size() != static_cast<size_t>(channels);
    BnParams p;
    p.per = per_act ? spatial : 1;
    const size_t n = static_cast<size_t>(channels * p.per);
    p.mean.resize(n);
    p.a.resize(n);
    p.b.resize(n);
    auto at = [&](const std::vector<double>& x, size_t i) {
        // A per-channel parameter among per-activation ones is broadcast over the activations.
        return x.size() == n ? x[i] : x[i / static_cast<size_t>(p.per)];
    };
    for (size_t i = 0; i < n; ++i) {
        p.mean[i] = at(m, i);
        p.a[i] = at(s, i) / std::sqrt(at(v, i) + eps);
        p.b[i] = at(b, i);
    }
    return p;
}

inline void bn_import(ImportContext& ic) {
    Node& n = *ic.node;
    // Legacy attributes: consumed_inputs (< 6), is_test (< 7), spatial (7-8), momentum (unused in
    // inference). is_test = 0 with extra outputs is training and is refused by infer().
    n.attrs.erase("consumed_inputs");
    n.attrs.erase("is_test");
    n.attrs.erase("spatial");
    n.attrs.erase("momentum");
}

inline void bn_infer(InferContext& c) {
    c.expect_inputs(5, 5);
    if (c.attrs().get_int("training_mode", 0) != 0)
        c.fail("unsupported BatchNormalization training mode", "training_mode = 1; Mutiny runs inference only");
    if (c.node().outputs.size() > 1)
        c.fail("unsupported BatchNormalization training outputs",
               std::to_string(c.node().outputs.size()) + " outputs; inference has one (running mean and variance are training outputs)");
    c.expect_float(0);
    const Shape& x = c.shape(0);
    if (x.rank() < 2) c.fail("BatchNormalization input has rank < 2", "input has shape " + x.str() + "; expected [N, C, ...]");
    const int64_t ch = x[1], sp = x.product(2, x.rank());
    static const char* names[] = {"", "scale", "B", "mean", "var"};
    for (size_t i = 1; i < 5; ++i) {
        c.expect_float(i);
        const int64_t n = c.shape(i).numel();
        if (n != ch && n != ch * sp)
            c.fail(std::string("BatchNormalization ") + names[i] + " has the wrong size",
                   "shape " + c.shape(i).str() + " for " + std::to_string(ch) + " channels of input " + x.str());
    }
    c.set_output(0, c.dtype(0), x);
}

// One element: (x - mean) * a + B in the compute type, by the kernel and its fused step alike.
template <class C>
inline C bn_value(C x, C m, C a, C b) {
    return (x - m) * a + b;
}

template <class T, bool Sites>
void run_bn(const BnParams& p, const Shape& shape, const SiteConfig* sites, const T* x, T* y) {
    using C = compute_t<T>;
    const int64_t ch = shape[1], sp = shape.product(2, shape.rank());
    const int64_t rows = shape[0] * ch;
    parallel_chunks(rows, grain_for(rows, sp * 2 + 1), [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
            const int64_t c = r % ch;
            const T* xp = x + r * sp;
            T* yp = y + r * sp;
            if (p.per == 1) {
                const C m = static_cast<C>(p.mean[static_cast<size_t>(c)]);
                const C a = static_cast<C>(p.a[static_cast<size_t>(c)]);
                const C bb = static_cast<C>(p.b[static_cast<size_t>(c)]);
                for (int64_t i = 0; i < sp; ++i) {
                    C v = bn_value(load(xp[i]), m, a, bb);
                    if constexpr (Sites && std::is_same_v<T, float>) v = site_store(sites, v);
                    yp[i] = store_as<T>(v);
                }
            } else {
                const size_t o = static_cast<size_t>(c * sp);
                for (int64_t i = 0; i < sp; ++i) {
                    const size_t k = o + static_cast<size_t>(i);
                    C v = bn_value(load(xp[i]), static_cast<C>(p.mean[k]), static_cast<C>(p.a[k]), static_cast<C>(p.b[k]));
                    if constexpr (Sites && std::is_same_v<T, float>) v = site_store(sites, v);
                    yp[i] = store_as<T>(v);
                }
            }
        }
    });
}

inline Kernel bn_prepare(const PrepareContext& pc) {
    const double eps = pc.attrs().get_float("epsilon", 1e-5);
    std::shared_ptr<const BnParams> fixed;
    if (pc.consts.size() >= 5 && pc.consts[1] && pc.consts[2] && pc.consts[3] && pc.consts[4]) {
        const Shape& x = pc.in[0].shape;
        fixed = std::make_shared<BnParams>(bn_params(*pc.consts[1], *pc.consts[2], *pc.consts[3], *pc.consts[4], eps, x[1],
                                                     x.product(2, x.rank())));
    }
    const SiteConfig sites = pc.sites;
    const bool plain = sites.is_default();
    return [fixed, eps, sites, plain](ExecContext& c) {
        const Tensor& x = c.input(0);
        BnParams local;
        const BnParams* p = fixed.get();
        if (!p) {
            local = bn_params(c.input(1), c.input(2), c.input(3), c.input(4), eps, x.shape()[1],
                              x.shape().product(2, x.shape().rank()));
            p = &local;
        }
        auto go = [&](auto tag) {
            using T = decltype(tag);
            const T* xp = static_cast<const T*>(x.raw());
            T* yp = static_cast<T*>(c.out[0]->raw());
            if (plain) run_bn<T, false>(*p, x.shape(), nullptr, xp, yp);
            else run_bn<T, true>(*p, x.shape(), &sites, xp, yp);
        };
        switch (x.dtype()) {
            case DType::f32: go(float{}); break;
            case DType::f16: go(half{}); break;
            case DType::f64: go(double{}); break;
            default: throw Error("unsupported BatchNormalization dtype", Graph::where(*c.node), dtype_name(x.dtype()));
        }
    };
}

// The fused step (ops/op.hpp, SpanKernel): float32 with constant per-channel parameters, rounded
// to float as run_bn rounds them.
inline SpanFusion bn_span(const PrepareContext& pc, size_t chain) {
    if (chain != 0 || pc.in[0].dtype != DType::f32 || pc.consts.size() < 5) return {};
    for (size_t i = 1; i < 5; ++i)
        if (!pc.consts[i]) return {};
    const Shape& x = pc.in[0].shape;
    const BnParams p = bn_params(*pc.consts[1], *pc.consts[2], *pc.consts[3], *pc.consts[4], pc.attrs().get_float("epsilon", 1e-5), x[1],
                                 x.product(2, x.rank()));
    if (p.per != 1) return {};
    auto floats = [](const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); };
    return {[m = floats(p.mean), a = floats(p.a), b = floats(p.b)](float* y, int64_t n, int64_t ch, const float*) {
        const size_t c = static_cast<size_t>(ch);
        const float mc = m[c], ac = a[c], bc = b[c];
        for (int64_t i = 0; i < n; ++i) y[i] = bn_value(y[i], mc, ac, bc);
    }};
}

#if MUTINY_WITH_OPENCL
// kernels/norm.cl: batchnorm, one work-item per element; constant parameters only.
inline bool plan_batchnorm_opencl(opencl::NodePlanner& p) {
    if (!p.float_kernel()) return false;
    for (size_t i = 1; i < 5; ++i)
        if (!p.constant(i)) return p.decline("scale, bias, mean or variance computed at run time");
    const DType t = p.out_type().dtype;
    const int n = static_cast<int>(p.out_type().shape.numel());
    const Shape& xs = p.in_type(0).shape;
    const double eps = p.attrs().get_float("epsilon", 1e-5);
    const BnParams prm = bn_params(*p.constant(1), *p.constant(2), *p.constant(3), *p.constant(4), eps, xs[1], xs.product(2, xs.rank()));
    // Parameters rounded to the compute type once, as the CPU rounds them at use.
    auto upload = [&](const std::vector<double>& v) {
        if (t == DType::f64) return p.meta(v);
        std::vector<float> f(v.begin(), v.end());
        return p.meta(f);
    };
    cl_kernel k = p.kernel("norm", "batchnorm", t);
    p.arg(k, 0, p.in(0));
    p.arg(k, 1, p.out());
    p.arg(k, 2, upload(prm.mean));
    p.arg(k, 3, upload(prm.a));
    p.arg(k, 4, upload(prm.b));
    p.arg(k, 5, static_cast<int>(xs[1]));
    p.arg(k, 6, static_cast<int>(xs.product(2, xs.rank())));
    p.arg(k, 7, static_cast<int>(prm.per > 1 ? 1 : 0));
    p.arg(k, 8, n);
    p.run(p.launch(k, static_cast<size_t>(n)));
    return true;
}
#endif

inline void register_batchnorm(Registry& r) {
    OpDef& d = r.add(OpDef{"BatchNormalization", bn_import, bn_infer, bn_prepare, 1});
    d.sites.store = true;
    d.prepare_span = bn_span;
#if MUTINY_WITH_OPENCL
    d.plan_opencl = plan_batchnorm_opencl;
#endif
}

}  // namespace norm
}  // namespace mutiny

#endif  // MUTINY_OPS_NORM_BATCHNORM_HPP_
