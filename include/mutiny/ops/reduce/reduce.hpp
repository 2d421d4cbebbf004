// The Reduce* ops: ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2,
// ReduceLogSum, ReduceLogSumExp, ReduceSumSquare (keepdims, noop_with_empty_axes; axes an input
// since opset 18, ReduceSum since 13: import() turns the older attribute into that input).
//
// Float types accumulate in double, in row-major order of the reduced elements, and round once
// to the output type (the ONNX reference sums in the input type with numpy's pairwise order; the
// double sum is closer to the exact value, within the conformance tolerance, and deterministic).
// ReduceLogSumExp subtracts the maximum first (exp never overflows). ReduceMax/Min compare in the
// input type and propagate NaN, as numpy does. Integer types accumulate in 64 bits, wrapping as
// the reference's cast of numpy's int64 result does; ReduceMean of integers truncates toward zero.
// Reducing an empty set gives the operation's identity: 0 (sums, L1, L2), 1 (product), -inf / the
// lowest value (max), +inf / the highest (min), NaN (mean), -inf (the log sums).
#ifndef MUTINY_OPS_REDUCE_REDUCE_HPP_
#define MUTINY_OPS_REDUCE_REDUCE_HPP_

#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "../shape/copy.hpp"
#include "view.hpp"

namespace mutiny {
namespace reduce {

enum class Kind { sum, mean, max, min, prod, l1, l2, log_sum, log_sum_exp, sum_square };

inline bool reduce_attrs_keepdims(const Attributes& a) { return a.get_int("keepdims", 1) != 0; }

// The node's view: axes from the constant input 1 (when present).
inline View node_view(const InferContext& c, const Shape& x, const std::vector<int64_t>& axes) {
    return view(x, axes, reduce_attrs_keepdims(c.attrs()), c.attrs().get_int("noop_with_empty_axes", 0) != 0, c.where());
}

inline bool reducible(DType t) { return t != DType::boolean; }

template <Kind K>
void infer_reduce(InferContext& c) {
    c.expect_inputs(1, 2);
    if (!reducible(c.dtype(0))) c.fail("unsupported input dtype", std::string("bool input; ") + c.node().op + " takes numbers");
    const std::vector<int64_t> axes = c.has_input(1) ? shape_ops::int_list(c, 1, "reduction axes") : std::vector<int64_t>{};
    c.set_output(0, c.dtype(0), node_view(c, c.shape(0), axes).out);
}

// One output element of a float input, from double accumulation.
template <Kind K, class T>
double reduce_float(const View& v, const T* x, int64_t base) {
    using C = compute_t<T>;
    const double n = static_cast<double>(v.count);
    if constexpr (K == Kind::max || K == Kind::min) {
        C best = K == Kind::max ? -std::numeric_limits<C>::infinity() : std::numeric_limits<C>::infinity();
        bool nan = false;
        for_each_reduced(v, base, [&](int64_t i) {
            const C e = load(x[i]);
            if (e != e) nan = true;
            else if (K == Kind::max ? e > best : e < best) best = e;
        });
        return nan ? std::numeric_limits<double>::quiet_NaN() : static_cast<double>(best);
    } else if constexpr (K == Kind::log_sum_exp) {
        double m = -std::numeric_limits<double>::infinity();
        bool nan = false;
        for_each_reduced(v, base, [&](int64_t i) {
            const double e = static_cast<double>(load(x[i]));
            if (e != e) nan = true;
            else if (e > m) m = e;
        });
        if (nan) return std::numeric_limits<double>::quiet_NaN();
        if (std::isinf(m)) return m;  // empty (-inf), all -inf (-inf), or some +inf (+inf)
        double s = 0;
        for_each_reduced(v, base, [&](int64_t i) { s += std::exp(static_cast<double>(load(x[i])) - m); });
        return m + std::log(s);
    } else {
        double acc = K == Kind::prod ? 1.0 : 0.0;
        for_each_reduced(v, base, [&](int64_t i) {
            const double e = static_cast<double>(load(x[i]));
            if constexpr (K == Kind::prod) acc *= e;
            else if constexpr (K == Kind::l1) acc += std::fabs(e);
            else if constexpr (K == Kind::l2 || K == Kind::sum_square) acc += e * e;
            else acc += e;
        });
        if constexpr (K == Kind::mean) return acc / n;
        if constexpr (K == Kind::l2) return std::sqrt(acc);
        if constexpr (K == Kind::log_sum) return std::log(acc);
        return acc;
    }
}

// One output element of an integer input: 64-bit accumulation, wrapping (as unsigned).
template <Kind K, class T>
T reduce_int(const View& v, const T* x, int64_t base) {
    if constexpr (K == Kind::max || K == Kind::min) {
        T best = K == Kind::max ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
        for_each_reduced(v, base, [&](int64_t i) {
            if (K == Kind::max ? x[i] > best : x[i] < best) best = x[i];
        });
        return best;
    } else if constexpr (K == Kind::l2 || K == Kind::log_sum || K == Kind::log_sum_exp) {
        double acc = 0;
        double m = -std::numeric_limits<double>::infinity();
        if constexpr (K == Kind::log_sum_exp)
            for_each_reduced(v, base, [&](int64_t i) { m = std::max(m, static_cast<double>(x[i])); });
        for_each_reduced(v, base, [&](int64_t i) {
            const double e = static_cast<double>(x[i]);
            if constexpr (K == Kind::l2) acc += e * e;
            else if constexpr (K == Kind::log_sum) acc += e;
            else acc += std::exp(e - m);
        });
        const double r = K == Kind::l2 ? std::sqrt(acc) : K == Kind::log_sum ? std::log(acc) : m + std::log(acc);
        return std::isfinite(r) ? static_cast<T>(r) : T(0);
    } else {
        uint64_t acc = K == Kind::prod ? 1u : 0u;
        for_each_reduced(v, base, [&](int64_t i) {
            const int64_t e = static_cast<int64_t>(x[i]);
            const uint64_t u = static_cast<uint64_t>(e);
            if constexpr (K == Kind::prod) acc *= u;
            else if constexpr (K == Kind::l1) acc += static_cast<uint64_t>(e < 0 ? -e : e);
            else if constexpr (K == Kind::sum_square) acc += u * u;
            else acc += u;
        });
        if constexpr (K == Kind::mean) {
            if (v.count == 0) return T(0);
            return static_cast<T>(static_cast<int64_t>(acc) / v.count);
        }
        return static_cast<T>(acc);
    }
}

inline View node_view_at_run(const Node& n, const Shape& x, const std::vector<int64_t>& axes) {
    return view(x, axes, reduce_attrs_keepdims(n.attrs), n.attrs.get_int("noop_with_empty_axes", 0) != 0, Graph::where(n));
}

template <Kind K>
Kernel prepare_reduce(const PrepareContext&) {
    return [](ExecContext& c) {
        const Tensor& x = c.input(0);
        Tensor& y = *c.out[0];
        std::vector<int64_t> axes;
        if (c.has(1)) axes = c.in[1]->to_i64_vector();
        const View v = node_view_at_run(*c.node, x.shape(), axes);
        if (v.identity) {
            shape_ops::copy_tensor(x, y);
            return;
        }
        dispatch_dtype(x.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* xp = static_cast<const T*>(x.raw());
            T* yp = static_cast<T*>(y.raw());
            const int64_t n = y.numel();
            parallel_chunks(n, grain_for(n, v.count + 1), [&](int64_t b, int64_t e) {
                for (int64_t o = b; o < e; ++o) {
                    const int64_t base = base_offset(v, o);
                    if constexpr (std::is_floating_point_v<compute_t<T>>)
                        yp[o] = store_as<T>(static_cast<compute_t<T>>(reduce_float<K>(v, xp, base)));
                    else
                        yp[o] = reduce_int<K>(v, xp, base);
                }
            });
        });
    };
}

// axes became an input in opset 18 (ReduceSum: 13).
template <int64_t AxesInputSince>
void import_reduce(ImportContext& ic) {
    if (ic.opset < AxesInputSince) shape_ops::ints_to_input(ic, "axes", 1);
}

inline void register_reduce_ops(Registry& r) {
    r.add(OpDef{"ReduceSum", import_reduce<13>, infer_reduce<Kind::sum>, prepare_reduce<Kind::sum>});
    r.add(OpDef{"ReduceMean", import_reduce<18>, infer_reduce<Kind::mean>, prepare_reduce<Kind::mean>});
    r.add(OpDef{"ReduceMax", import_reduce<18>, infer_reduce<Kind::max>, prepare_reduce<Kind::max>});
    r.add(OpDef{"ReduceMin", import_reduce<18>, infer_reduce<Kind::min>, prepare_reduce<Kind::min>});
    r.add(OpDef{"ReduceProd", import_reduce<18>, infer_reduce<Kind::prod>, prepare_reduce<Kind::prod>});
    r.add(OpDef{"ReduceL1", import_reduce<18>, infer_reduce<Kind::l1>, prepare_reduce<Kind::l1>});
    r.add(OpDef{"ReduceL2", import_reduce<18>, infer_reduce<Kind::l2>, prepare_reduce<Kind::l2>});
    r.add(OpDef{"ReduceLogSum", import_reduce<18>, infer_reduce<Kind::log_sum>, prepare_reduce<Kind::log_sum>});
    r.add(OpDef{"ReduceLogSumExp", import_reduce<18>, infer_reduce<Kind::log_sum_exp>, prepare_reduce<Kind::log_sum_exp>});
    r.add(OpDef{"ReduceSumSquare", import_reduce<18>, infer_reduce<Kind::sum_square>, prepare_reduce<Kind::sum_square>});
}

}  // namespace reduce
}  // namespace mutiny

#endif  // MUTINY_OPS_REDUCE_REDUCE_HPP_
