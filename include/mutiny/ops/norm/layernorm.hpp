// LayerNormalization (opset 17): over the trailing axes [axis, rank) (axis default -1),
//   Mean = mean(X), InvStdDev = 1 / sqrt(mean((X - Mean)^2) + epsilon),
//   Y = (X - Mean) * InvStdDev * Scale + B,
// Scale and the optional B broadcast (numpy, unidirectionally) to the normalised shape X[axis:].
// Each normalised block is computed in double by one task (two passes: the mean, then the
// squared deviations), every output rounded once: Y to X's type, the optional outputs Mean and
// InvStdDev (shape X with the normalised axes set to 1) to stash_type's (1 = float32, the default;
// 11 = double; 10 = float16). stash_type asks for at least that precision; double is more.
#ifndef MUTINY_OPS_NORM_LAYERNORM_HPP_
#define MUTINY_OPS_NORM_LAYERNORM_HPP_

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "../shape/cast.hpp"
#include "../shape/copy.hpp"

namespace mutiny {
namespace norm {

// Stores a double into element i of a float tensor of type T, rounded once.
template <class T>
inline void store_double(T* p, int64_t i, double v) {
    if constexpr (std::is_same_v<T, half>) p[i] = shape_ops::half_from_double(v);
    else p[i] = static_cast<T>(v);
}

// Mean and 1 / sqrt(variance + eps) of x[0, n), in double by one task: two passes, the mean and
// then the squared deviations (LayerNormalization, GroupNormalization).
template <class T>
inline std::pair<double, double> mean_inv_std(const T* x, int64_t n, double eps) {
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(load(x[i]));
    const double mean = sum / static_cast<double>(n);
    double sq = 0;
    for (int64_t i = 0; i < n; ++i) {
        const double d = static_cast<double>(load(x[i])) - mean;
        sq += d * d;
    }
    return {mean, 1.0 / std::sqrt(sq / static_cast<double>(n) + eps)};
}

inline DType layernorm_stash(const Attributes& a, const std::string& where) {
    const int64_t st = a.get_int("stash_type", 1);
    const DType t = shape_ops::dtype_from_onnx_code(st, where);
    if (!dtype_is_float(t))
        throw Error("LayerNormalization stash_type is not a float type", where, "stash_type " + std::to_string(st) + " (" + dtype_name(t) + ")");
    return t;
}

// A parameter (Scale, B) broadcast to the normalised shape, as doubles.
inline std::vector<double> expand_param(const Tensor& p, const Shape& norm) {
    std::vector<double> v(static_cast<size_t>(norm.numel()));
    const auto st = broadcast_strides(p.shape(), norm);
    const auto dims = norm.dims();
    for (int64_t i = 0; i < norm.numel(); ++i) {
        int64_t rem = i, off = 0;
        for (size_t d = dims.size(); d-- > 0;) {
            off += (rem % dims[d]) * st[d];
            rem /= dims[d];
        }
        v[static_cast<size_t>(i)] = p.get_f64(off);
    }
    return v;
}

inline void layernorm_infer(InferContext& c) {
    c.expect_inputs(2, 3);
    c.expect_float(0);
    if (c.node().outputs.size() > 3) c.fail("wrong number of outputs", "LayerNormalization has Y, Mean and InvStdDev");
    const Shape& x = c.shape(0);
    const int64_t r = static_cast<int64_t>(x.rank());
    if (r == 0) c.fail("LayerNormalization of a scalar", "the input needs at least one dimension");
    const size_t axis = static_cast<size_t>(normalize_axis(c.attrs().get_int("axis", -1), r, c.where()));
    const Shape norm(std::vector<int64_t>(x.dims().begin() + static_cast<std::ptrdiff_t>(axis), x.dims().end()));
    for (size_t i = 1; i < 3; ++i) {
        if (!c.has_input(i)) continue;
        const char* name = i == 1 ? "Scale" : "B";
        if (c.dtype(i) != c.dtype(0))
            c.fail(std::string("LayerNormalization ") + name + " dtype differs from X", std::string(dtype_name(c.dtype(i))) + " vs " + dtype_name(c.dtype(0)));
        const Shape& p = c.shape(i);
        bool ok = p.rank() <= norm.rank();
        for (size_t d = 0; ok && d < p.rank(); ++d) {
            const int64_t pd = p[d], nd = norm[norm.rank() - p.rank() + d];
            ok = pd == 1 || pd == nd;
        }
        if (!ok) c.fail(std::string("LayerNormalization ") + name + " does not broadcast to the normalised shape",
                        name + std::string(" ") + p.str() + ", normalised shape " + norm.str() + " (X " + x.str() + ", axis " + std::to_string(axis) + ")");
    }
    const DType u = layernorm_stash(c.attrs(), c.where());
    c.set_output(0, c.dtype(0), x);
    std::vector<int64_t> stat(x.dims());
    for (size_t d = axis; d < stat.size(); ++d) stat[d] = 1;
    for (size_t o = 1; o < c.node().outputs.size(); ++o)
        if (c.node().outputs[o] >= 0) c.set_output(o, u, Shape(stat));
}

inline Kernel layernorm_prepare(const PrepareContext& pc) {
    const int64_t axis_attr = pc.attrs().get_int("axis", -1);
    const double eps = static_cast<double>(static_cast<float>(pc.attrs().get_float("epsilon", 1e-5)));
    return [axis_attr, eps](ExecContext& c) {
        const Tensor& x = c.input(0);
        const Shape& xs = x.shape();
        const size_t axis = static_cast<size_t>(normalize_axis(axis_attr, static_cast<int64_t>(xs.rank()), Graph::where(*c.node)));
        const Shape norm(std::vector<int64_t>(xs.dims().begin() + static_cast<std::ptrdiff_t>(axis), xs.dims().end()));
        const int64_t outer = xs.product(0, axis), n = norm.numel();
        const std::vector<double> scale = expand_param(c.input(1), norm);
        const std::vector<double> bias = c.has(2) ? expand_param(*c.in[2], norm) : std::vector<double>(static_cast<size_t>(n), 0.0);
        Tensor* mean_out = c.out.size() > 1 ? c.out[1] : nullptr;
        Tensor* inv_out = c.out.size() > 2 ? c.out[2] : nullptr;
        dispatch_dtype(x.dtype(), [&](auto tag) {
            using T = decltype(tag);
            if constexpr (std::is_floating_point_v<compute_t<T>>) {
                const T* xp = static_cast<const T*>(x.raw());
                T* yp = static_cast<T*>(c.out[0]->raw());
                parallel_chunks(outer, grain_for(outer, n * 6 + 1), [&](int64_t b, int64_t e) {
                    for (int64_t o = b; o < e; ++o) {
                        const T* xr = xp + o * n;
                        T* yr = yp + o * n;
                        const auto [mean, inv] = mean_inv_std(xr, n, eps);
                        for (int64_t i = 0; i < n; ++i) {
                            const size_t k = static_cast<size_t>(i);
                            store_double(yr, i, (static_cast<double>(load(xr[i])) - mean) * inv * scale[k] + bias[k]);
                        }
                        for (Tensor* t : {mean_out, inv_out}) {
                            if (!t) continue;
                            const double v = t == mean_out ? mean : inv;
                            dispatch_dtype(t->dtype(), [&](auto utag) {
                                using U = decltype(utag);
                                if constexpr (std::is_floating_point_v<compute_t<U>>) store_double(static_cast<U*>(t->raw()), o, v);
                            });
                        }
                    }
                });
            } else {
                throw Error("unsupported LayerNormalization dtype", Graph::where(*c.node), dtype_name(x.dtype()));
            }
        });
    };
}

inline void register_layernorm(Registry& r) {
    r.add(OpDef{"LayerNormalization", nullptr, layernorm_infer, layernorm_prepare, 17});
}

}  // namespace norm
}  // namespace mutiny

#endif  // MUTINY_OPS_NORM_LAYERNORM_HPP_
