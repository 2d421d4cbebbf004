// Unary element-wise ops on float types: activations (Relu, LeakyRelu, Sigmoid, Tanh, Elu, Selu,
// HardSigmoid, HardSwish, Softplus, Softsign) and math (Exp, Log, Sqrt, Neg, Abs, Reciprocal,
// Floor, Ceil, Round, Erf). Each output element is computed from its input element alone, so any
// chunking (and incremental execution on some channels only) gives the same bits.
#ifndef MUTINY_OPS_ELEMENTWISE_UNARY_HPP_
#define MUTINY_OPS_ELEMENTWISE_UNARY_HPP_

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "../simd.hpp"
#if MUTINY_WITH_OPENCL
#include "../../exec/opencl/planner.hpp"
#endif

namespace mutiny {
namespace ew {

inline void infer_same(InferContext& c) {
    c.expect_inputs(1, 1);
    c.expect_float(0);
    c.set_output(0, c.dtype(0), c.shape(0));
}

// An array function for float32 (simd.hpp): y[0..n) from x[0..n), each element's bits
// independent of its position (so chunks and narrow runs agree).
using F32Array = void (*)(const float*, float*, int64_t);

// A unary float kernel from a per-element function f(x) -> y over the compute type. With `f32`,
// float32 tensors go through that vector function instead (then the store sites, if any).
template <class F>
Kernel unary(F f, SiteConfig sites, F32Array f32 = nullptr) {
    return [f, sites, f32](ExecContext& c) {
        const Tensor& x = c.input(0);
        Tensor& y = *c.out[0];
        const SiteConfig* s = active_sites(sites);
        dispatch_dtype(x.dtype(), [&](auto tag) {
            using T = decltype(tag);
            if constexpr (std::is_floating_point_v<compute_t<T>>) {
                const T* xp = static_cast<const T*>(x.raw());
                T* yp = static_cast<T*>(y.raw());
                if constexpr (std::is_same_v<T, float>) {
                    if (f32) {
                        parallel_chunks(x.numel(), 16384, [&](int64_t b, int64_t e) {
                            f32(xp + b, yp + b, e - b);
                            site_store_all(s, yp + b, e - b);
                        });
                        return;
                    }
                }
                // Without sites, f and the store see a constant null: the loop has no branches
                // left and vectorises.
                auto run = [&](auto with_sites) {
                    parallel_chunks(x.numel(), 16384, [&](int64_t b, int64_t e) {
                        const SiteConfig* sp = decltype(with_sites)::value ? s : nullptr;  // inside the task: a constant there
                        for (int64_t i = b; i < e; ++i) {
                            auto v = f(load(xp[i]), sp);
                            if constexpr (std::is_same_v<T, float>) v = site_store(sp, v);
                            yp[i] = store_as<T>(v);
                        }
                    });
                };
                if (s) run(std::true_type{});
                else run(std::false_type{});
            } else {
                throw Error("unsupported dtype", Graph::where(*c.node), dtype_name(x.dtype()));
            }
        });
    };
}

// ONNX's defaults of alpha, beta, gamma per unary op (0 where the table says nothing), read by
// the CPU kernels and the OpenCL planning alike.
struct UnaryDefaults {
    double alpha = 0, beta = 0, gamma = 0;
};
inline UnaryDefaults unary_defaults(const std::string& op) {
    static const std::map<std::string, UnaryDefaults> t = {
        {"LeakyRelu", {0.01, 0, 0}},
        {"Elu", {1.0, 0, 0}},
        {"Selu", {1.67326319217681884765625, 0, 1.05070102214813232421875}},
        {"HardSigmoid", {0.2, 0.5, 0}},
    };
    auto it = t.find(op);
    return it == t.end() ? UnaryDefaults{} : it->second;
}

#define MUTINY_UNARY_OP(NAME, EXPR)                                                            \
    inline void register_##NAME(Registry& r) { r.add(OpDef{                                   \
        #NAME, nullptr, infer_same, [](const PrepareContext& pc) -> Kernel {                   \
            const UnaryDefaults dflt = unary_defaults(#NAME);                                   \
            const double alpha = pc.attrs().get_float("alpha", dflt.alpha);                    \
            const double beta = pc.attrs().get_float("beta", dflt.beta);                       \
            const double gamma = pc.attrs().get_float("gamma", dflt.gamma);                    \
            (void)alpha; (void)beta; (void)gamma;                                              \
            return unary([=](auto x, const SiteConfig* s) -> decltype(x) {                     \
                using C = decltype(x);                                                         \
                (void)s;                                                                       \
                const C a = static_cast<C>(alpha), b = static_cast<C>(beta), g = static_cast<C>(gamma); \
                (void)a; (void)b; (void)g;                                                     \
                return EXPR;                                                                   \
            }, pc.sites);                                                                      \
        }}); }


// Relu is written as MutateNN's TVM kernels test it, `x < 0 ? 0 : x`, so the LT site is real.
MUTINY_UNARY_OP(Relu, (site_lt(s, x, C(0)) ? C(0) : x))
MUTINY_UNARY_OP(LeakyRelu, (site_lt(s, x, C(0)) ? a * x : x))
// Sigmoid, float32: the vector exp of simd.hpp, 8 lanes at a time (std::exp is a scalar call and
// was a quarter of a LeNet-5 campaign's time). f64 and f16 keep the scalar formula.
inline void register_Sigmoid(Registry& r) { r.add(OpDef{
    "Sigmoid", nullptr, infer_same, [](const PrepareContext& pc) -> Kernel {
        return unary([](auto x, const SiteConfig*) -> decltype(x) {
            using C = decltype(x);
            return C(1) / (C(1) + std::exp(-x));
        }, pc.sites, simd::sigmoid_f32);
    }}); }
MUTINY_UNARY_OP(Tanh, std::tanh(x))
MUTINY_UNARY_OP(Exp, std::exp(x))
MUTINY_UNARY_OP(Log, std::log(x))
MUTINY_UNARY_OP(Sqrt, std::sqrt(x))
MUTINY_UNARY_OP(Neg, (-x))
MUTINY_UNARY_OP(Abs, std::fabs(x))
MUTINY_UNARY_OP(Reciprocal, (C(1) / x))
MUTINY_UNARY_OP(Floor, std::floor(x))
MUTINY_UNARY_OP(Ceil, std::ceil(x))
// ONNX Round rounds half to even, which is nearbyint in the default rounding mode.
MUTINY_UNARY_OP(Round, std::nearbyint(x))
MUTINY_UNARY_OP(Elu, (x < C(0) ? a * (std::exp(x) - C(1)) : x))
MUTINY_UNARY_OP(Selu, (x <= C(0) ? g * (a * std::exp(x) - a) : g * x))
MUTINY_UNARY_OP(Softplus, std::log1p(std::exp(x)))
MUTINY_UNARY_OP(Softsign, (x / (C(1) + std::fabs(x))))
MUTINY_UNARY_OP(HardSigmoid, std::max(C(0), std::min(C(1), a * x + b)))
MUTINY_UNARY_OP(HardSwish, (x * std::max(C(0), std::min(C(1), x / C(6) + C(0.5)))))
MUTINY_UNARY_OP(Erf, std::erf(x))


#if MUTINY_WITH_OPENCL
// kernels/elementwise.cl: unary_<Op>(x, y, alpha, beta, gamma, n), one work-item per element.
inline bool plan_unary_opencl(opencl::NodePlanner& p) {
    if (!p.float_kernel()) return false;
    const DType t = p.out_type().dtype;
    const int n = static_cast<int>(p.out_type().shape.numel());
    const UnaryDefaults d = unary_defaults(p.node().op);
    cl_kernel k = p.kernel("elementwise", "unary_" + p.node().op, t);
    p.arg(k, 0, p.in(0));
    p.arg(k, 1, p.out());
    p.arg_c(k, 2, p.attrs().get_float("alpha", d.alpha), t);
    p.arg_c(k, 3, p.attrs().get_float("beta", d.beta), t);
    p.arg_c(k, 4, p.attrs().get_float("gamma", d.gamma), t);
    p.arg(k, 5, n);
    p.run(p.launch(k, static_cast<size_t>(n)));
    return true;
}
#endif

// Every unary op: a store site on its float32 results (Relu and LeakyRelu also test `x < 0`, an
// LT site), elementwise units for incremental execution, and its OpenCL kernel.
inline void register_unary_ops(Registry& r) {
    register_Relu(r);
    register_LeakyRelu(r);
    register_Tanh(r);
    register_Exp(r);
    register_Log(r);
    register_Sqrt(r);
    register_Neg(r);
    register_Abs(r);
    register_Reciprocal(r);
    register_Floor(r);
    register_Ceil(r);
    register_Round(r);
    register_Elu(r);
    register_Selu(r);
    register_Softplus(r);
    register_Softsign(r);
    register_HardSigmoid(r);
    register_HardSwish(r);
    register_Erf(r);
    register_Sigmoid(r);
    for (const char* op : {"Relu", "LeakyRelu", "Tanh", "Exp", "Log", "Sqrt", "Neg", "Abs", "Reciprocal", "Floor", "Ceil", "Round", "Elu", "Selu", "Softplus", "Softsign", "HardSigmoid", "HardSwish", "Erf", "Sigmoid"}) {
        OpDef& d = *r.find(op);
        d.sites.store = true;
        d.sites.lt = std::string(op) == "Relu" || std::string(op) == "LeakyRelu";
        d.unit_local = UnitLocality::elementwise;
#if MUTINY_WITH_OPENCL
        d.plan_opencl = plan_unary_opencl;
#endif
    }
}

}  // namespace ew
}  // namespace mutiny

#endif  // MUTINY_OPS_ELEMENTWISE_UNARY_HPP_
