// What the binary and variadic element-wise ops share: numpy broadcasting of two inputs with
// a vectorisable inner loop (broadcast_apply), shape inference, and the integer-safe arithmetic
// of the ONNX reference (wrapping Add/Sub/Mul, division by zero, integer Pow).
#ifndef MUTINY_OPS_ELEMENTWISE_BROADCAST_HPP_
#define MUTINY_OPS_ELEMENTWISE_BROADCAST_HPP_

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"

namespace mutiny {
namespace ew {

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

// out = f(a, b) with broadcasting, inputs of storage type T, the output of U (T unless given:
// comparisons write bool). The inner loop runs over the last output axis with constant input
// strides; outer positions are chunked across threads.
template <class T, class U = T, class F>
void broadcast_apply(const Tensor& a, const Tensor& b, Tensor& out, F f) {
    const T* ap = static_cast<const T*>(a.raw());
    const T* bp = static_cast<const T*>(b.raw());
    U* op = static_cast<U*>(out.raw());
    const int64_t n = out.numel();
    if (n == 0) return;
    if (a.shape() == out.shape() && b.shape() == out.shape()) {
        parallel_chunks(n, 16384, [&](int64_t s, int64_t e) {
            for (int64_t i = s; i < e; ++i) op[i] = store_as<U>(f(load(ap[i]), load(bp[i])));
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
    auto row = [&](U* dst, const T* pa, const T* pb) {
        if (ia == 1 && ib == 0) {
            const auto y = load(pb[0]);
            for (int64_t i = 0; i < inner; ++i) dst[i] = store_as<U>(f(load(pa[i]), y));
        } else if (ia == 0 && ib == 1) {
            const auto x = load(pa[0]);
            for (int64_t i = 0; i < inner; ++i) dst[i] = store_as<U>(f(x, load(pb[i])));
        } else if (ia == 1 && ib == 1) {
            for (int64_t i = 0; i < inner; ++i) dst[i] = store_as<U>(f(load(pa[i]), load(pb[i])));
        } else {
            for (int64_t i = 0; i < inner; ++i) dst[i] = store_as<U>(f(load(pa[i * ia]), load(pb[i * ib])));
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

// A double to an integer type, defined for every value: truncated toward zero, saturated at the
// type's bounds, NaN to 0 (a plain conversion of inf, NaN or an out-of-range value is undefined).
template <class T>
inline T saturate_to(double v) {
    if (v != v) return T(0);
    if (v <= static_cast<double>(std::numeric_limits<T>::min())) return std::numeric_limits<T>::min();
    // max() of a 64-bit type rounds up to 2^63 or 2^64 in double: compare with >=.
    if (v >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    return static_cast<T>(v);
}

// Integer Pow is exact: repeated squaring, wrapping as two's complement like Mul (numpy's integer
// power). A negative exponent gives the truncated x^y: 1 for x = 1, +-1 for x = -1, otherwise 0,
// 0^-1 included (as Div by zero gives 0). Going through std::pow turned 0^-1 = inf and every result
// beyond the type into an undefined float-to-integer conversion.
template <class C>
inline C pow_of(C x, C y) {
    if constexpr (std::is_integral_v<C>) {
        if constexpr (std::is_signed_v<C>)
            if (y < 0) return x == 1 ? C(1) : x == -1 ? static_cast<C>((y & 1) ? -1 : 1) : C(0);
        using U = std::conditional_t<(sizeof(C) < sizeof(unsigned)), unsigned, std::make_unsigned_t<C>>;
        U base = static_cast<U>(x), r = 1;
        for (auto e = static_cast<std::make_unsigned_t<C>>(y); e; e >>= 1) {
            if (e & 1) r = static_cast<U>(r * base);
            base = static_cast<U>(base * base);
        }
        return static_cast<C>(r);
    } else {
        return std::pow(x, y);
    }
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

// Add and Mul on every numeric type (integers wrap, see wrap()): the binary and variadic kernels
// and their fused steps share these.
struct AddF {
    template <class C>
    C operator()(C x, C y) const { return wrap(x, y, [](auto p, auto q) { return p + q; }); }
};
struct MulF {
    template <class C>
    C operator()(C x, C y) const { return wrap(x, y, [](auto p, auto q) { return p * q; }); }
};

// The fused step (ops/op.hpp, SpanKernel) of a float32 binary op f(input 0, input 1) whose input
// `chain` is the fused value, of the output's shape [N, C, ...]. The other operand is either a
// tensor of that shape (a residual, read through `other`) or a constant scalar or per-channel
// vector (numpy-aligned: 1 everywhere but axis 1). f gets its operands in the node's order.
template <class F>
SpanFusion binary_span(const PrepareContext& pc, size_t chain, F f) {
    if (pc.in.size() != 2 || chain > 1 || pc.out[0].dtype != DType::f32) return {};
    const size_t o = 1 - chain;
    const Shape& out = pc.out[0].shape;
    if (pc.in[chain].shape != out || pc.in[o].dtype != DType::f32 || out.rank() < 2) return {};
    if (pc.in[o].shape == out) {
        return {[f, chain](float* y, int64_t n, int64_t, const float* q) {
            if (chain == 0) for (int64_t i = 0; i < n; ++i) y[i] = f(y[i], q[i]);
            else for (int64_t i = 0; i < n; ++i) y[i] = f(q[i], y[i]);
        }, static_cast<int>(o)};
    }
    const Tensor* c = pc.consts[o];
    if (!c) return {};
    const Shape& cs = c->shape();
    const size_t lead = out.rank() - cs.rank();  // output axes the constant lacks
    bool per_channel = cs.numel() == out[1] && cs.rank() + 1 >= out.rank();
    for (size_t i = 0; i < cs.rank() && per_channel; ++i) per_channel = cs[i] == 1 || lead + i == 1;
    if (cs.numel() != 1 && !per_channel) return {};
    std::vector<float> v(static_cast<size_t>(out[1]));
    for (size_t k = 0; k < v.size(); ++k) v[k] = c->data<float>()[cs.numel() == 1 ? 0 : k];
    return {[f, chain, v](float* y, int64_t n, int64_t ch, const float*) {
        const float q = v[static_cast<size_t>(ch)];
        if (chain == 0) for (int64_t i = 0; i < n; ++i) y[i] = f(y[i], q);
        else for (int64_t i = 0; i < n; ++i) y[i] = f(q, y[i]);
    }};
}

}  // namespace ew
}  // namespace mutiny

#endif  // MUTINY_OPS_ELEMENTWISE_BROADCAST_HPP_
