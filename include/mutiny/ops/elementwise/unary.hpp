// Unary element-wise ops on float types: activations (Relu, LeakyRelu, Sigmoid, Tanh, Elu, Selu,
// Celu, HardSigmoid, HardSwish, Softplus, Softsign, ThresholdedRelu, Shrink, Gelu, Mish) and math (Exp, Log,
// Sqrt, Neg, Abs, Reciprocal, Floor, Ceil, Round, Erf, Sign, the trigonometric and hyperbolic
// functions and their inverses). Each output element is computed from its input element alone, so any
// chunking (and incremental execution on some channels only) gives the same bits.
#ifndef MUTINY_OPS_ELEMENTWISE_UNARY_HPP_
#define MUTINY_OPS_ELEMENTWISE_UNARY_HPP_

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <string>
#include <utility>

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

// The attributes of the parametrised unary ops, with ONNX's defaults, read by the CPU kernels and
// the OpenCL planning alike: they reach the expressions as a, b, g (alpha, beta, gamma unless the
// op names them otherwise: Shrink's lambd and bias).
struct UnaryParams {
    const char* name[3] = {"alpha", "beta", "gamma"};
    double value[3] = {0, 0, 0};
};
inline UnaryParams unary_params(const std::string& op) {
    static const std::map<std::string, UnaryParams> t = {
        {"LeakyRelu", {{"alpha", "beta", "gamma"}, {0.01, 0, 0}}},
        {"Elu", {{"alpha", "beta", "gamma"}, {1.0, 0, 0}}},
        {"Selu", {{"alpha", "beta", "gamma"}, {1.67326319217681884765625, 0, 1.05070102214813232421875}}},
        {"HardSigmoid", {{"alpha", "beta", "gamma"}, {0.2, 0.5, 0}}},
        {"Celu", {{"alpha", "beta", "gamma"}, {1.0, 0, 0}}},
        {"ThresholdedRelu", {{"alpha", "beta", "gamma"}, {1.0, 0, 0}}},
        {"Shrink", {{"lambd", "bias", "gamma"}, {0.5, 0, 0}}},
    };
    auto it = t.find(op);
    return it == t.end() ? UnaryParams{} : it->second;
}
inline std::array<double, 3> unary_values(const Attributes& at, const std::string& op) {
    // Gelu's `approximate` string reaches the kernels as a = 1 for "tanh", 0 for "none".
    if (op == "Gelu") return {at.get_string("approximate", "none") == "tanh" ? 1.0 : 0.0, 0, 0};
    const UnaryParams p = unary_params(op);
    return {at.get_float(p.name[0], p.value[0]), at.get_float(p.name[1], p.value[1]), at.get_float(p.name[2], p.value[2])};
}

// A fused step (ops/op.hpp, SpanKernel) from the same per-element function as the kernel, with no
// sites (the executor fuses only nodes without them): the same operations, the same bits.
template <class F>
SpanFusion unary_span(F f) {
    return {[f](float* y, int64_t n, int64_t, const float*) {
        for (int64_t i = 0; i < n; ++i) y[i] = f(y[i], static_cast<const SiteConfig*>(nullptr));
    }};
}

// prepare_NAME (the kernel) and span_NAME (its fused step) from one expression in x, with the
// op's parameters as a, b, g and its sites as s.
#define MUTINY_UNARY_KERNEL(NAME, EXPR)                                                             \
    struct NAME##_fn {                                                                              \
        std::array<double, 3> v;                                                                    \
        template <class C>                                                                          \
        C operator()(C x, const SiteConfig* s) const {                                              \
            (void)s;                                                                                \
            const C a = static_cast<C>(v[0]), b = static_cast<C>(v[1]), g = static_cast<C>(v[2]);   \
            (void)a; (void)b; (void)g;                                                              \
            return EXPR;                                                                            \
        }                                                                                           \
    };                                                                                              \
    inline Kernel prepare_##NAME(const PrepareContext& pc) {                                        \
        return unary(NAME##_fn{unary_values(pc.attrs(), #NAME)}, pc.sites);                         \
    }                                                                                               \
    inline SpanFusion span_##NAME(const PrepareContext& pc, size_t) {                               \
        return unary_span(NAME##_fn{unary_values(pc.attrs(), #NAME)});                              \
    }

// Relu is written as MutateNN's TVM kernels test it, `x < 0 ? 0 : x`, so the LT site is real.
MUTINY_UNARY_KERNEL(Relu, (site_lt(s, x, C(0)) ? C(0) : x))
MUTINY_UNARY_KERNEL(LeakyRelu, (site_lt(s, x, C(0)) ? a * x : x))
// Sigmoid, float32: the vector exp of simd.hpp, 8 lanes at a time (std::exp is a scalar call and
// was a quarter of a LeNet-5 campaign's time). f64 and f16 keep the scalar formula.
inline Kernel prepare_Sigmoid(const PrepareContext& pc) {
    return unary([](auto x, const SiteConfig*) -> decltype(x) {
        using C = decltype(x);
        return C(1) / (C(1) + std::exp(-x));
    }, pc.sites, simd::sigmoid_f32);
}
inline SpanFusion span_Sigmoid(const PrepareContext&, size_t) {
    return {[](float* y, int64_t n, int64_t, const float*) { simd::sigmoid_f32(y, y, n); }};
}
MUTINY_UNARY_KERNEL(Tanh, std::tanh(x))
MUTINY_UNARY_KERNEL(Exp, std::exp(x))
MUTINY_UNARY_KERNEL(Log, std::log(x))
MUTINY_UNARY_KERNEL(Sqrt, std::sqrt(x))
MUTINY_UNARY_KERNEL(Neg, (-x))
MUTINY_UNARY_KERNEL(Abs, std::fabs(x))
MUTINY_UNARY_KERNEL(Reciprocal, (C(1) / x))
MUTINY_UNARY_KERNEL(Floor, std::floor(x))
MUTINY_UNARY_KERNEL(Ceil, std::ceil(x))
// ONNX Round rounds half to even, which is nearbyint in the default rounding mode.
MUTINY_UNARY_KERNEL(Round, std::nearbyint(x))
MUTINY_UNARY_KERNEL(Elu, (x < C(0) ? a * (std::exp(x) - C(1)) : x))
MUTINY_UNARY_KERNEL(Selu, (x <= C(0) ? g * (a * std::exp(x) - a) : g * x))
MUTINY_UNARY_KERNEL(Softplus, std::log1p(std::exp(x)))
MUTINY_UNARY_KERNEL(Softsign, (x / (C(1) + std::fabs(x))))
MUTINY_UNARY_KERNEL(HardSigmoid, std::max(C(0), std::min(C(1), a * x + b)))
MUTINY_UNARY_KERNEL(HardSwish, (x * std::max(C(0), std::min(C(1), x / C(6) + C(0.5)))))
MUTINY_UNARY_KERNEL(Erf, std::erf(x))
MUTINY_UNARY_KERNEL(Sin, std::sin(x))
MUTINY_UNARY_KERNEL(Cos, std::cos(x))
MUTINY_UNARY_KERNEL(Tan, std::tan(x))
MUTINY_UNARY_KERNEL(Asin, std::asin(x))
MUTINY_UNARY_KERNEL(Acos, std::acos(x))
MUTINY_UNARY_KERNEL(Atan, std::atan(x))
MUTINY_UNARY_KERNEL(Sinh, std::sinh(x))
MUTINY_UNARY_KERNEL(Cosh, std::cosh(x))
MUTINY_UNARY_KERNEL(Asinh, std::asinh(x))
MUTINY_UNARY_KERNEL(Acosh, std::acosh(x))
MUTINY_UNARY_KERNEL(Atanh, std::atanh(x))
// Sign keeps NaN (numpy.sign).
MUTINY_UNARY_KERNEL(Sign, (x > C(0) ? C(1) : x < C(0) ? C(-1) : x))
MUTINY_UNARY_KERNEL(Celu, (std::max(C(0), x) + std::min(C(0), a * (std::exp(x / a) - C(1)))))
MUTINY_UNARY_KERNEL(ThresholdedRelu, (x > a ? x : C(0)))
MUTINY_UNARY_KERNEL(Shrink, (x < -a ? x + b : x > a ? x - b : C(0)))
// Gelu (opset 20): 0.5 x (1 + erf(x / sqrt(2))), or with approximate="tanh"
// 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), as the ONNX spec writes them.
MUTINY_UNARY_KERNEL(Gelu, (a != C(0) ? C(0.5) * x * (C(1) + std::tanh(C(0.79788456080286535588) * (x + C(0.044715) * x * x * x)))
                                     : C(0.5) * x * (C(1) + std::erf(x * C(0.70710678118654752440)))))
// Mish (opset 18): x tanh(softplus(x)) = x tanh(log(1 + exp(x))), as ONNX's reference writes it
// (exp overflowing to inf gives tanh(inf) = 1, so y = x there).
MUTINY_UNARY_KERNEL(Mish, (x * std::tanh(std::log1p(std::exp(x)))))

#undef MUTINY_UNARY_KERNEL

#if MUTINY_WITH_OPENCL
// kernels/elementwise.cl: unary_<Op>(x, y, a, b, g, n), one work-item per element.
inline bool plan_unary_opencl(opencl::NodePlanner& p) {
    if (!p.float_kernel()) return false;
    const DType t = p.out_type().dtype;
    const int n = static_cast<int>(p.out_type().shape.numel());
    const std::array<double, 3> v = unary_values(p.attrs(), p.node().op);
    cl_kernel k = p.kernel("elementwise", "unary_" + p.node().op, t);
    p.arg(k, 0, p.in(0));
    p.arg(k, 1, p.out());
    for (cl_uint i = 0; i < 3; ++i) p.arg_c(k, 2 + i, v[i], t);
    p.arg(k, 5, n);
    p.run(p.launch(k, static_cast<size_t>(n)));
    return true;
}
#endif

// Neg, Abs and Sign also take integers, as in ONNX (Neg signed ones only): LayerNormalization's
// function body negates an int64 axis. Integers wrap like numpy (-INT_MIN is INT_MIN) and have no
// sites; floats keep the kernels above.
enum class IntUnary { neg, abs, sign };
template <IntUnary K>
void infer_int_unary(InferContext& c) {
    c.expect_inputs(1, 1);
    const DType t = c.dtype(0);
    const bool is_unsigned = t == DType::u8 || t == DType::u16 || t == DType::u32 || t == DType::u64;
    if (t == DType::boolean || (K == IntUnary::neg && is_unsigned))
        c.fail("unsupported input dtype", std::string("input 0 is ") + dtype_name(t) + (K == IntUnary::neg ? "; Neg takes floats and signed integers" : "; a number type is required"));
    c.set_output(0, t, c.shape(0));
}
template <IntUnary K, Kernel (*Float)(const PrepareContext&)>
Kernel prepare_int_unary(const PrepareContext& pc) {
    if (dtype_is_float(pc.in[0].dtype)) return Float(pc);
    return [](ExecContext& c) {
        const Tensor& x = c.input(0);
        Tensor& y = *c.out[0];
        dispatch_dtype(x.dtype(), [&](auto tag) {
            using T = decltype(tag);
            if constexpr (std::is_integral_v<T>) {
                using U = std::make_unsigned_t<T>;
                const T* xp = static_cast<const T*>(x.raw());
                T* yp = static_cast<T*>(y.raw());
                parallel_chunks(x.numel(), 16384, [&](int64_t b, int64_t e) {
                    for (int64_t i = b; i < e; ++i) {
                        const T v = xp[i];
                        const T neg = static_cast<T>(static_cast<U>(U(0) - static_cast<U>(v)));
                        yp[i] = K == IntUnary::neg ? neg : K == IntUnary::abs ? (v < T(0) ? neg : v) : static_cast<T>((T(0) < v) - (v < T(0)));
                    }
                });
            }
        });
    };
}

// Every unary op: a store site on its float32 results (Relu and LeakyRelu also test `x < 0`, an
// LT site), elementwise units for incremental execution, and its OpenCL kernel.
inline void register_unary_ops(Registry& r) {
    struct UnaryOp {
        const char* name;
        Kernel (*prepare)(const PrepareContext&);
        SpanFusion (*span)(const PrepareContext&, size_t);
    };
    const UnaryOp ops[] = {
        {"Relu", prepare_Relu, span_Relu}, {"LeakyRelu", prepare_LeakyRelu, span_LeakyRelu},
        {"Sigmoid", prepare_Sigmoid, span_Sigmoid}, {"Tanh", prepare_Tanh, span_Tanh},
        {"Exp", prepare_Exp, span_Exp}, {"Log", prepare_Log, span_Log},
        {"Sqrt", prepare_Sqrt, span_Sqrt}, {"Neg", prepare_Neg, span_Neg},
        {"Abs", prepare_Abs, span_Abs}, {"Reciprocal", prepare_Reciprocal, span_Reciprocal},
        {"Floor", prepare_Floor, span_Floor}, {"Ceil", prepare_Ceil, span_Ceil},
        {"Round", prepare_Round, span_Round}, {"Elu", prepare_Elu, span_Elu},
        {"Selu", prepare_Selu, span_Selu}, {"Softplus", prepare_Softplus, span_Softplus},
        {"Softsign", prepare_Softsign, span_Softsign}, {"HardSigmoid", prepare_HardSigmoid, span_HardSigmoid},
        {"HardSwish", prepare_HardSwish, span_HardSwish}, {"Erf", prepare_Erf, span_Erf},
        {"Sin", prepare_Sin, span_Sin}, {"Cos", prepare_Cos, span_Cos},
        {"Tan", prepare_Tan, span_Tan}, {"Asin", prepare_Asin, span_Asin},
        {"Acos", prepare_Acos, span_Acos}, {"Atan", prepare_Atan, span_Atan},
        {"Sinh", prepare_Sinh, span_Sinh}, {"Cosh", prepare_Cosh, span_Cosh},
        {"Asinh", prepare_Asinh, span_Asinh}, {"Acosh", prepare_Acosh, span_Acosh},
        {"Atanh", prepare_Atanh, span_Atanh}, {"Sign", prepare_Sign, span_Sign},
        {"Celu", prepare_Celu, span_Celu}, {"ThresholdedRelu", prepare_ThresholdedRelu, span_ThresholdedRelu},
        {"Shrink", prepare_Shrink, span_Shrink}, {"Gelu", prepare_Gelu, span_Gelu},
        {"Mish", prepare_Mish, span_Mish},
    };
    for (const auto& op : ops) {
        OpDef& d = r.add(OpDef{op.name, nullptr, infer_same, op.prepare});
        d.prepare_span = op.span;
        d.sites.store = true;
        d.sites.lt = std::string(op.name) == "Relu" || std::string(op.name) == "LeakyRelu";
        d.unit_local = UnitLocality::elementwise;
#if MUTINY_WITH_OPENCL
        d.plan_opencl = plan_unary_opencl;
#endif
    }
    r.find("Mish")->min_opset = 18;
    OpDef* gelu = r.find("Gelu");
    gelu->min_opset = 20;
    gelu->infer = [](InferContext& c) {
        const std::string a = c.attrs().get_string("approximate", "none");
        if (a != "none" && a != "tanh") c.fail("unknown Gelu approximate '" + a + "'", "expected none or tanh");
        infer_same(c);
    };
    OpDef* neg = r.find("Neg");
    neg->infer = infer_int_unary<IntUnary::neg>;
    neg->prepare = prepare_int_unary<IntUnary::neg, prepare_Neg>;
    OpDef* abs = r.find("Abs");
    abs->infer = infer_int_unary<IntUnary::abs>;
    abs->prepare = prepare_int_unary<IntUnary::abs, prepare_Abs>;
    OpDef* sign = r.find("Sign");
    sign->infer = infer_int_unary<IntUnary::sign>;
    sign->prepare = prepare_int_unary<IntUnary::sign, prepare_Sign>;
}

}  // namespace ew
}  // namespace mutiny

#endif  // MUTINY_OPS_ELEMENTWISE_UNARY_HPP_
