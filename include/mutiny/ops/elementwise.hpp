// Element-wise ops: unary activations and math (float types), binary arithmetic with numpy
// broadcasting (every numeric type), variadic Sum/Max/Min/Mean, PRelu and Clip.
// Each output element is computed from its inputs alone, so any chunking is deterministic.
#ifndef MUTINY_OPS_ELEMENTWISE_HPP_
#define MUTINY_OPS_ELEMENTWISE_HPP_

#include <algorithm>
#include <cmath>

#include "../core/parallel.hpp"
#include "common.hpp"
#include "simd.hpp"

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

#define MUTINY_UNARY_OP(NAME, EXPR)                                                            \
    inline const bool registered_##NAME = Registry::instance().add(OpDef{                      \
        #NAME, nullptr, infer_same, [](const PrepareContext& pc) -> Kernel {                   \
            const double alpha = pc.attrs().get_float("alpha", NAME##_alpha);                  \
            const double beta = pc.attrs().get_float("beta", NAME##_beta);                     \
            const double gamma = pc.attrs().get_float("gamma", NAME##_gamma);                  \
            (void)alpha; (void)beta; (void)gamma;                                              \
            return unary([=](auto x, const SiteConfig* s) -> decltype(x) {                     \
                using C = decltype(x);                                                         \
                (void)s;                                                                       \
                const C a = static_cast<C>(alpha), b = static_cast<C>(beta), g = static_cast<C>(gamma); \
                (void)a; (void)b; (void)g;                                                     \
                return EXPR;                                                                   \
            }, pc.sites);                                                                      \
        }})

// Defaults of alpha, beta, gamma per op (ONNX's).
#define MUTINY_UNARY_DEFAULTS(NAME, A, B, G) \
    constexpr double NAME##_alpha = A, NAME##_beta = B, NAME##_gamma = G;

// Relu is written as MutateNN's TVM kernels test it, `x < 0 ? 0 : x`, so the LT site is real.
MUTINY_UNARY_DEFAULTS(Relu, 0, 0, 0)
MUTINY_UNARY_OP(Relu, (site_lt(s, x, C(0)) ? C(0) : x));
MUTINY_UNARY_DEFAULTS(LeakyRelu, 0.01, 0, 0)
MUTINY_UNARY_OP(LeakyRelu, (site_lt(s, x, C(0)) ? a * x : x));
// Sigmoid, float32: the vector exp of simd.hpp, 8 lanes at a time (std::exp is a scalar call and
// was a quarter of a LeNet-5 campaign's time). f64 and f16 keep the scalar formula.
inline const bool registered_Sigmoid = Registry::instance().add(OpDef{
    "Sigmoid", nullptr, infer_same, [](const PrepareContext& pc) -> Kernel {
        return unary([](auto x, const SiteConfig*) -> decltype(x) {
            using C = decltype(x);
            return C(1) / (C(1) + std::exp(-x));
        }, pc.sites, simd::sigmoid_f32);
    }});
MUTINY_UNARY_DEFAULTS(Tanh, 0, 0, 0)
MUTINY_UNARY_OP(Tanh, std::tanh(x));
MUTINY_UNARY_DEFAULTS(Exp, 0, 0, 0)
MUTINY_UNARY_OP(Exp, std::exp(x));
MUTINY_UNARY_DEFAULTS(Log, 0, 0, 0)
MUTINY_UNARY_OP(Log, std::log(x));
MUTINY_UNARY_DEFAULTS(Sqrt, 0, 0, 0)
MUTINY_UNARY_OP(Sqrt, std::sqrt(x));
MUTINY_UNARY_DEFAULTS(Neg, 0, 0, 0)
MUTINY_UNARY_OP(Neg, (-x));
MUTINY_UNARY_DEFAULTS(Abs, 0, 0, 0)
MUTINY_UNARY_OP(Abs, std::fabs(x));
MUTINY_UNARY_DEFAULTS(Reciprocal, 0, 0, 0)
MUTINY_UNARY_OP(Reciprocal, (C(1) / x));
MUTINY_UNARY_DEFAULTS(Floor, 0, 0, 0)
MUTINY_UNARY_OP(Floor, std::floor(x));
MUTINY_UNARY_DEFAULTS(Ceil, 0, 0, 0)
MUTINY_UNARY_OP(Ceil, std::ceil(x));
// ONNX Round rounds half to even, which is nearbyint in the default rounding mode.
MUTINY_UNARY_DEFAULTS(Round, 0, 0, 0)
MUTINY_UNARY_OP(Round, std::nearbyint(x));
MUTINY_UNARY_DEFAULTS(Elu, 1.0, 0, 0)
MUTINY_UNARY_OP(Elu, (x < C(0) ? a * (std::exp(x) - C(1)) : x));
MUTINY_UNARY_DEFAULTS(Selu, 1.67326319217681884765625, 0, 1.05070102214813232421875)
MUTINY_UNARY_OP(Selu, (x <= C(0) ? g * (a * std::exp(x) - a) : g * x));
MUTINY_UNARY_DEFAULTS(Softplus, 0, 0, 0)
MUTINY_UNARY_OP(Softplus, std::log1p(std::exp(x)));
MUTINY_UNARY_DEFAULTS(Softsign, 0, 0, 0)
MUTINY_UNARY_OP(Softsign, (x / (C(1) + std::fabs(x))));
MUTINY_UNARY_DEFAULTS(HardSigmoid, 0.2, 0.5, 0)
MUTINY_UNARY_OP(HardSigmoid, std::max(C(0), std::min(C(1), a * x + b)));
MUTINY_UNARY_DEFAULTS(HardSwish, 0, 0, 0)
MUTINY_UNARY_OP(HardSwish, (x * std::max(C(0), std::min(C(1), x / C(6) + C(0.5)))));
MUTINY_UNARY_DEFAULTS(Erf, 0, 0, 0)
MUTINY_UNARY_OP(Erf, std::erf(x));

#undef MUTINY_UNARY_OP
#undef MUTINY_UNARY_DEFAULTS

// ---- binary and variadic ops with broadcasting ------------------------------------------------

inline void infer_broadcast(InferContext& c) {
    size_t n = c.node().inputs.size();
    if (n < 1) c.fail("wrong number of inputs", "at least one is required");
    Shape s = c.shape(0);
    for (size_t i = 1; i < n; ++i) {
        if (c.dtype(i) != c.dtype(0))
            c.fail("input dtypes differ", std::string(dtype_name(c.dtype(0))) + " and " + dtype_name(c.dtype(i)));
        s = Shape::broadcast(s, c.shape(i), c.where());
    }
    c.set_output(0, c.dtype(0), s);
}
inline void infer_binary(InferContext& c) {
    c.expect_inputs(2, 2);
    infer_broadcast(c);
}

// out = f(a, b) with broadcasting. The inner loop runs over the last output axis with constant
// input strides; outer positions are chunked across threads.
template <class T, class F>
void broadcast_apply(const Tensor& a, const Tensor& b, Tensor& out, F f) {
    const T* ap = static_cast<const T*>(a.raw());
    const T* bp = static_cast<const T*>(b.raw());
    T* op = static_cast<T*>(out.raw());
    const int64_t n = out.numel();
    if (n == 0) return;
    if (a.shape() == out.shape() && b.shape() == out.shape()) {
        parallel_chunks(n, 16384, [&](int64_t s, int64_t e) {
            for (int64_t i = s; i < e; ++i) op[i] = store_as<T>(f(load(ap[i]), load(bp[i])));
        });
        return;
    }
    // Adjacent output axes that both inputs walk alike (contiguously, or both broadcast) merge
    // into one: a per-channel bias [C,1,1] over [N,C,H,W] becomes an inner loop over H*W.
    std::vector<int64_t> os, sa, sb;
    {
        const auto fa = broadcast_strides(a.shape(), out.shape()), fb = broadcast_strides(b.shape(), out.shape());
        for (size_t d = 0; d < out.shape().rank(); ++d) {
            const int64_t len = out.shape()[d];
            if (len == 1) continue;
            if (!os.empty() && sa.back() == fa[d] * len && sb.back() == fb[d] * len) {
                os.back() *= len;
                sa.back() = fa[d];
                sb.back() = fb[d];
            } else {
                os.push_back(len);
                sa.push_back(fa[d]);
                sb.push_back(fb[d]);
            }
        }
    }
    const size_t r = os.size();
    const int64_t inner = r ? os[r - 1] : 1;
    const int64_t ia = r ? sa[r - 1] : 0, ib = r ? sb[r - 1] : 0;
    const int64_t outer = n / inner;
    // The inner loop specialised to its usual strides (both contiguous, one a broadcast scalar),
    // so that it vectorises; each element is f of the same two inputs whatever the path.
    auto row = [&](T* dst, const T* pa, const T* pb) {
        if (ia == 1 && ib == 0) {
            const auto y = load(pb[0]);
            for (int64_t i = 0; i < inner; ++i) dst[i] = store_as<T>(f(load(pa[i]), y));
        } else if (ia == 0 && ib == 1) {
            const auto x = load(pa[0]);
            for (int64_t i = 0; i < inner; ++i) dst[i] = store_as<T>(f(x, load(pb[i])));
        } else if (ia == 1 && ib == 1) {
            for (int64_t i = 0; i < inner; ++i) dst[i] = store_as<T>(f(load(pa[i]), load(pb[i])));
        } else {
            for (int64_t i = 0; i < inner; ++i) dst[i] = store_as<T>(f(load(pa[i * ia]), load(pb[i * ib])));
        }
    };
    parallel_chunks(outer, grain_for(outer, inner), [&](int64_t s, int64_t e) {
        for (int64_t o = s; o < e; ++o) {
            int64_t rem = o, offa = 0, offb = 0;
            for (size_t d = r > 0 ? r - 1 : 0; d-- > 0;) {
                const int64_t idx = rem % os[d];
                rem /= os[d];
                offa += idx * sa[d];
                offb += idx * sb[d];
            }
            row(op + o * inner, ap + offa, bp + offb);
        }
    });
}

template <class F>
Kernel binary(F f) {
    return [f](ExecContext& c) {
        const Tensor& a = c.input(0);
        const Tensor& b = c.input(1);
        dispatch_dtype(a.dtype(), [&](auto tag) {
            using T = decltype(tag);
            broadcast_apply<T>(a, b, *c.out[0], [&](auto x, auto y) { return f(x, y); });
        });
    };
}

// Integer division by zero has no ONNX meaning; give 0 instead of undefined behaviour.
template <class C>
inline C safe_div(C x, C y) {
    if constexpr (std::is_integral_v<C>) {
        if (y == 0) return 0;
        if constexpr (std::is_signed_v<C>)
            if (y == -1 && x == std::numeric_limits<C>::min()) return x;
        return x / y;
    } else {
        return x / y;
    }
}

template <class C>
inline C pow_of(C x, C y) {
    if constexpr (std::is_integral_v<C>) return static_cast<C>(std::pow(static_cast<double>(x), static_cast<double>(y)));
    else return std::pow(x, y);
}

// Integer Add/Sub/Mul wrap around as two's complement (ONNX's reference, numpy); done on the
// unsigned type to avoid signed-overflow UB.
template <class C, class F>
inline C wrap(C x, C y, F f) {
    if constexpr (std::is_integral_v<C> && std::is_signed_v<C>) {
        using U = std::make_unsigned_t<C>;
        return static_cast<C>(f(static_cast<U>(x), static_cast<U>(y)));
    } else if constexpr (std::is_integral_v<C> && sizeof(C) < sizeof(int)) {
        return static_cast<C>(f(static_cast<unsigned>(x), static_cast<unsigned>(y)));
    } else {
        return f(x, y);
    }
}

inline const bool registered_add = Registry::instance().add(OpDef{"Add", nullptr, infer_binary, [](const PrepareContext&) {
    return binary([](auto x, auto y) { return wrap(x, y, [](auto p, auto q) { return p + q; }); });
}});
inline const bool registered_sub = Registry::instance().add(OpDef{"Sub", nullptr, infer_binary, [](const PrepareContext&) {
    return binary([](auto x, auto y) { return wrap(x, y, [](auto p, auto q) { return p - q; }); });
}});
inline const bool registered_mul = Registry::instance().add(OpDef{"Mul", nullptr, infer_binary, [](const PrepareContext&) {
    return binary([](auto x, auto y) { return wrap(x, y, [](auto p, auto q) { return p * q; }); });
}});
inline const bool registered_div = Registry::instance().add(OpDef{"Div", nullptr, infer_binary, [](const PrepareContext&) {
    return binary([](auto x, auto y) { return safe_div(x, y); });
}});
// Pow: the output has X's type; mixed types (float base, int exponent, ...) compute in double.
inline const bool registered_pow = Registry::instance().add(OpDef{"Pow", nullptr, [](InferContext& c) {
    c.expect_inputs(2, 2);
    c.set_output(0, c.dtype(0), Shape::broadcast(c.shape(0), c.shape(1), c.where()));
}, [](const PrepareContext& pc) -> Kernel {
    if (pc.in[0].dtype == pc.in[1].dtype) return binary([](auto x, auto y) { return pow_of(x, y); });
    return [](ExecContext& c) {
        auto to_f64 = [](const Tensor& t) {
            Tensor d(DType::f64, t.shape());
            for (int64_t i = 0; i < t.numel(); ++i) d.data<double>()[i] = t.get_f64(i);
            return d;
        };
        Tensor r(DType::f64, c.out[0]->shape());
        broadcast_apply<double>(to_f64(c.input(0)), to_f64(c.input(1)), r, [](double x, double y) { return std::pow(x, y); });
        dispatch_dtype(c.out[0]->dtype(), [&](auto tag) {
            using T = decltype(tag);
            T* o = static_cast<T*>(c.out[0]->raw());
            for (int64_t i = 0; i < r.numel(); ++i) o[i] = store_as<T>(static_cast<compute_t<T>>(r.data<double>()[i]));
        });
    };
}});

// PRelu: y = x < 0 ? slope * x : x, slope broadcast to x (unidirectionally). Before opset 7 a
// 1-D slope of size C applied per channel (axis 1); import records that as `legacy_channel_slope`.
inline Shape prelu_slope_shape(const Attributes& a, const Shape& x, const Shape& slope) {
    if (a.get_int("legacy_channel_slope", 0) && slope.rank() == 1 && x.rank() >= 2 && slope[0] == x[1] && slope[0] != x[x.rank() - 1]) {
        std::vector<int64_t> d(x.rank() - 1, 1);
        d[0] = slope[0];
        return Shape(d);
    }
    return slope;
}
inline const bool registered_prelu = Registry::instance().add(OpDef{"PRelu",
    [](ImportContext& ic) { if (ic.opset < 7) ic.node->attrs.set_int("legacy_channel_slope", 1); },
    [](InferContext& c) {
        c.expect_inputs(2, 2);
        const Shape s = prelu_slope_shape(c.attrs(), c.shape(0), c.shape(1));
        const Shape out = Shape::broadcast(c.shape(0), s, c.where());
        if (out != c.shape(0)) c.fail("PRelu slope does not broadcast to X", "slope " + c.shape(1).str() + ", X " + c.shape(0).str());
        c.set_output(0, c.dtype(0), out);
    },
    [](const PrepareContext& pc) -> Kernel {
    const SiteConfig sites = pc.sites;
    return [sites](ExecContext& c) {
        const SiteConfig* s = active_sites(sites);
        const Tensor slope = c.input(1).reshaped(prelu_slope_shape(c.node->attrs, c.input(0).shape(), c.input(1).shape()));
        dispatch_dtype(c.input(0).dtype(), [&](auto tag) {
            using T = decltype(tag);
            broadcast_apply<T>(c.input(0), slope, *c.out[0], [&](auto x, auto a) {
                using C = decltype(x);
                if constexpr (std::is_floating_point_v<C>) return site_lt(s, x, C(0)) ? a * x : x;
                else return x < C(0) ? a * x : x;
            });
        });
    };
}});

// Sum, Max, Min, Mean: folded pairwise left to right, as the ONNX reference does.
template <class F>
Kernel variadic(F f, bool mean) {
    return [f, mean](ExecContext& c) {
        Tensor& out = *c.out[0];
        const size_t n = c.in.size();
        dispatch_dtype(out.dtype(), [&](auto tag) {
            using T = decltype(tag);
            if (n == 1) {
                broadcast_apply<T>(c.input(0), c.input(0), out, [](auto x, auto) { return x; });
            } else {
                broadcast_apply<T>(c.input(0), c.input(1), out, f);
                for (size_t i = 2; i < n; ++i) {
                    Tensor acc = out.clone();
                    broadcast_apply<T>(acc, c.input(i), out, f);
                }
            }
            if (mean) {
                Tensor acc = out.clone();
                Tensor cnt = Tensor(out.dtype(), Shape{});
                static_cast<T*>(cnt.raw())[0] = store_as<T>(static_cast<double>(n));
                broadcast_apply<T>(acc, cnt, out, [](auto x, auto y) { return safe_div(x, y); });
            }
        });
    };
}
inline const bool registered_sum = Registry::instance().add(OpDef{"Sum", nullptr, infer_broadcast, [](const PrepareContext&) {
    return variadic([](auto x, auto y) { return wrap(x, y, [](auto p, auto q) { return p + q; }); }, false);
}});
inline const bool registered_mean = Registry::instance().add(OpDef{"Mean", nullptr, infer_broadcast, [](const PrepareContext&) {
    return variadic([](auto x, auto y) { return x + y; }, true);
}});
// NaN propagates through Max/Min as in the ONNX reference (numpy.maximum).
inline const bool registered_max = Registry::instance().add(OpDef{"Max", nullptr, infer_broadcast, [](const PrepareContext&) {
    return variadic([](auto x, auto y) { return (x != x || x > y) ? x : y; }, false);
}});
inline const bool registered_min = Registry::instance().add(OpDef{"Min", nullptr, infer_broadcast, [](const PrepareContext&) {
    return variadic([](auto x, auto y) { return (x != x || x < y) ? x : y; }, false);
}});

// Clip: min and max are optional inputs since opset 11 (attributes before); absent = no bound.
inline const bool registered_clip = Registry::instance().add(OpDef{
    "Clip",
    [](ImportContext& ic) {
        if (ic.opset >= 11) return;
        Node& n = *ic.node;
        const float lo = static_cast<float>(n.attrs.get_float("min", -std::numeric_limits<float>::max()));
        const float hi = static_cast<float>(n.attrs.get_float("max", std::numeric_limits<float>::max()));
        n.attrs.erase("min");
        n.attrs.erase("max");
        ic.set_constant_input(1, Tensor::scalar<float>(lo));
        ic.set_constant_input(2, Tensor::scalar<float>(hi));
    },
    [](InferContext& c) {
        c.expect_inputs(1, 3);
        for (size_t i = 1; i < 3; ++i)
            if (c.has_input(i) && c.shape(i).numel() != 1) c.fail("Clip bound is not a scalar", "input " + std::to_string(i) + " has shape " + c.shape(i).str());
        c.set_output(0, c.dtype(0), c.shape(0));
    },
    [](const PrepareContext& pc) -> Kernel {
        const SiteConfig sites = pc.sites;
        return [sites](ExecContext& c) {
            const SiteConfig* s = active_sites(sites);
            const Tensor& x = c.input(0);
            dispatch_dtype(x.dtype(), [&](auto tag) {
                using T = decltype(tag);
                using C = compute_t<T>;
                C lo = std::numeric_limits<C>::lowest(), hi = std::numeric_limits<C>::max();
                if (c.has(1)) lo = load(static_cast<const T*>(c.in[1]->raw())[0]);
                if (c.has(2)) hi = load(static_cast<const T*>(c.in[2]->raw())[0]);
                const T* xp = static_cast<const T*>(x.raw());
                T* yp = static_cast<T*>(c.out[0]->raw());
                // The two tests are Clip's comparison sites: x < lo (LT) and x > hi (GT).
                parallel_chunks(x.numel(), 16384, [&](int64_t b, int64_t e) {
                    for (int64_t i = b; i < e; ++i) {
                        C v = load(xp[i]);
                        if constexpr (std::is_floating_point_v<C>) {
                            if (site_lt(s, v, lo)) v = lo;
                            if (site_gt(s, v, hi)) v = hi;
                        } else {
                            if (v < lo) v = lo;
                            if (v > hi) v = hi;
                        }
                        yp[i] = store_as<T>(v);
                    }
                });
            });
        };
    }});

}  // namespace ew
}  // namespace mutiny

#endif  // MUTINY_OPS_ELEMENTWISE_HPP_
