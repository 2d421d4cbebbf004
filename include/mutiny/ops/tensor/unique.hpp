// Unique (opset 11): the distinct elements of X (no axis: of X flattened) or its distinct slices
// along `axis`, ascending (sorted = 1, slices compared lexicographically as numpy.unique does) or
// in order of first occurrence (sorted = 0); outputs Y, the index of each one's first occurrence,
// the inverse indices (X's elements or slices -> Y) and the counts. NaNs count as equal to each
// other and greater than every number. The number of distinct values sets the output shapes, so
// X must be a constant (like NonZero); the kernel recomputes them and checks the count.
#ifndef MUTINY_OPS_TENSOR_UNIQUE_HPP_
#define MUTINY_OPS_TENSOR_UNIQUE_HPP_

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "../common.hpp"

namespace mutiny {
namespace tensor_ops {

// X seen as [outer, n, inner]: n slices along the axis (no axis: n = numel, outer = inner = 1).
struct UniqueView {
    int64_t outer = 1, n = 1, inner = 1;
    int axis = -1;  // -1: flattened
};

struct UniqueResult {
    std::vector<int64_t> first;    // per unique slice (in Y's order): its first index in X
    std::vector<int64_t> inverse;  // per slice of X: its position in Y
    std::vector<int64_t> counts;   // per unique slice
};

inline UniqueView unique_view(const Attributes& a, const Shape& x, const std::string& where) {
    UniqueView v;
    if (!a.has("axis")) {
        v.n = x.numel();
        return v;
    }
    const int64_t r = static_cast<int64_t>(x.rank());
    int64_t ax = a.get_int("axis", 0);
    if (ax < -r || ax >= r) throw Error("attribute 'axis' out of range", where, std::to_string(ax) + " for an input of rank " + std::to_string(r));
    if (ax < 0) ax += r;
    v.axis = static_cast<int>(ax);
    v.n = x[static_cast<size_t>(ax)];
    for (int64_t i = 0; i < ax; ++i) v.outer *= x[static_cast<size_t>(i)];
    for (int64_t i = ax + 1; i < r; ++i) v.inner *= x[static_cast<size_t>(i)];
    return v;
}

template <class T>
UniqueResult unique_of(const T* x, const UniqueView& v, bool sorted) {
    using C = compute_t<T>;
    // -1, 0, 1 as slice a is before, equal to or after slice b (NaN after every number).
    auto cmp = [&](int64_t a, int64_t b) {
        for (int64_t o = 0; o < v.outer; ++o)
            for (int64_t i = 0; i < v.inner; ++i) {
                const C p = load(x[(o * v.n + a) * v.inner + i]), q = load(x[(o * v.n + b) * v.inner + i]);
                const bool pn = p != p, qn = q != q;
                if (pn || qn) {
                    if (pn != qn) return pn ? 1 : -1;
                    continue;
                }
                if (p < q) return -1;
                if (q < p) return 1;
            }
        return 0;
    };
    std::vector<int64_t> order(static_cast<size_t>(v.n));
    std::iota(order.begin(), order.end(), int64_t{0});
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return cmp(a, b) < 0; });
    // Groups of equal slices, ascending; a group's first member is its first occurrence (stable sort).
    UniqueResult r;
    std::vector<int64_t> group(static_cast<size_t>(v.n));
    for (size_t k = 0; k < order.size(); ++k) {
        if (k == 0 || cmp(order[k - 1], order[k]) != 0) {
            r.first.push_back(order[k]);
            r.counts.push_back(0);
        }
        group[static_cast<size_t>(order[k])] = static_cast<int64_t>(r.first.size()) - 1;
        ++r.counts.back();
    }
    std::vector<int64_t> pos(r.first.size());  // group -> position in Y
    std::iota(pos.begin(), pos.end(), int64_t{0});
    if (!sorted) {
        std::vector<int64_t> by_first(r.first.size());
        std::iota(by_first.begin(), by_first.end(), int64_t{0});
        std::sort(by_first.begin(), by_first.end(), [&](int64_t a, int64_t b) { return r.first[static_cast<size_t>(a)] < r.first[static_cast<size_t>(b)]; });
        std::vector<int64_t> f(r.first.size()), c(r.first.size());
        for (size_t k = 0; k < by_first.size(); ++k) {
            const size_t g = static_cast<size_t>(by_first[k]);
            pos[g] = static_cast<int64_t>(k);
            f[k] = r.first[g];
            c[k] = r.counts[g];
        }
        r.first = std::move(f);
        r.counts = std::move(c);
    }
    r.inverse.resize(static_cast<size_t>(v.n));
    for (size_t i = 0; i < group.size(); ++i) r.inverse[i] = pos[static_cast<size_t>(group[i])];
    return r;
}

inline UniqueResult unique_of(const Tensor& x, const UniqueView& v, bool sorted) {
    return dispatch_dtype(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        return unique_of<T>(static_cast<const T*>(x.raw()), v, sorted);
    });
}

inline void register_unique(Registry& r) {
    r.add(OpDef{
        "Unique", nullptr,
        [](InferContext& c) {
            c.expect_inputs(1, 1);
            if (c.node().outputs.size() > 4) c.fail("wrong number of outputs", "Unique has at most four (Y, indices, inverse_indices, counts)");
            const int64_t s = c.attrs().get_int("sorted", 1);
            if (s != 0 && s != 1) c.fail("attribute 'sorted' out of range", std::to_string(s) + " given; 0 or 1");
            const UniqueView v = unique_view(c.attrs(), c.shape(0), c.where());
            const Tensor& x = c.require_constant(0, "Unique input");
            const int64_t u = static_cast<int64_t>(unique_of(x, v, s == 1).first.size());
            std::vector<int64_t> yd{u};
            if (v.axis >= 0) {
                yd = c.shape(0).dims();
                yd[static_cast<size_t>(v.axis)] = u;
            }
            c.set_output(0, c.dtype(0), Shape(yd));
            const size_t no = c.node().outputs.size();
            if (no > 1) c.set_output(1, DType::i64, Shape{u});
            if (no > 2) c.set_output(2, DType::i64, Shape{v.n});
            if (no > 3) c.set_output(3, DType::i64, Shape{u});
        },
        [](const PrepareContext&) -> Kernel {
            return [](ExecContext& c) {
                const Tensor& x = c.input(0);
                const UniqueView v = unique_view(c.node->attrs, x.shape(), Graph::where(*c.node));
                const UniqueResult r = unique_of(x, v, c.node->attrs.get_int("sorted", 1) == 1);
                const int64_t u = static_cast<int64_t>(r.first.size());
                Tensor& y = *c.out[0];
                if (y.numel() != v.outer * u * v.inner)
                    throw Error("Unique input changed after inference", Graph::where(*c.node), "the outputs were sized for another number of distinct values");
                // Y[o, k, :] = X[o, first[k], :], by bytes.
                const size_t es = dtype_size(x.dtype()), row = static_cast<size_t>(v.inner) * es;
                for (int64_t o = 0; o < v.outer; ++o)
                    for (int64_t k = 0; k < u; ++k)
                        std::memcpy(static_cast<char*>(y.raw()) + static_cast<size_t>(o * u + k) * row,
                                    static_cast<const char*>(x.raw()) + static_cast<size_t>(o * v.n + r.first[static_cast<size_t>(k)]) * row, row);
                const std::vector<int64_t>* outs[] = {&r.first, &r.inverse, &r.counts};
                for (size_t i = 1; i < c.out.size() && i < 4; ++i)
                    if (c.out[i]) std::copy(outs[i - 1]->begin(), outs[i - 1]->end(), c.out[i]->data<int64_t>());
            };
        },
        11});
}

}  // namespace tensor_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_TENSOR_UNIQUE_HPP_
