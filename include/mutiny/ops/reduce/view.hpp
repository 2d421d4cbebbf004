// What the reductions share: which axes a node reduces (ONNX's `axes`, an input since opset 18,
// 13 for ReduceSum, an attribute before; absent or empty means every axis unless
// noop_with_empty_axes), the output shape under keepdims, and the index walk that visits, for one
// output element, the reduced input elements in row-major order. Each output element is computed
// by one task from its own inputs, so results do not depend on the thread count.
#ifndef MUTINY_OPS_REDUCE_VIEW_HPP_
#define MUTINY_OPS_REDUCE_VIEW_HPP_

#include <string>
#include <vector>

#include "../common.hpp"

namespace mutiny {
namespace reduce {

struct View {
    Shape out;                                    // the output shape (keepdims applied)
    std::vector<int64_t> kept_dims, kept_strides;  // input axes that stay, outermost first
    std::vector<int64_t> red_dims, red_strides;    // input axes reduced, outermost first
    int64_t count = 1;                            // elements reduced into each output
    bool identity = false;                        // noop_with_empty_axes with no axes: y = x
};

inline View view(const Shape& x, const std::vector<int64_t>& axes, bool keepdims, bool noop_with_empty_axes, const std::string& where) {
    View v;
    const int64_t r = static_cast<int64_t>(x.rank());
    std::vector<char> red(x.rank(), 0);
    if (axes.empty()) {
        if (noop_with_empty_axes) v.identity = true;
        else std::fill(red.begin(), red.end(), 1);
    }
    for (int64_t a : axes) {
        const size_t ax = static_cast<size_t>(normalize_axis(a, r, where));
        if (red[ax]) throw Error("reduction axes repeat an axis", where, "axis " + std::to_string(a));
        red[ax] = 1;
    }
    const auto st = x.strides();
    std::vector<int64_t> out;
    for (size_t d = 0; d < x.rank(); ++d) {
        if (red[d]) {
            v.red_dims.push_back(x[d]);
            v.red_strides.push_back(st[d]);
            v.count *= x[d];
            if (keepdims) out.push_back(1);
        } else {
            v.kept_dims.push_back(x[d]);
            v.kept_strides.push_back(st[d]);
            out.push_back(x[d]);
        }
    }
    v.out = v.identity ? x : Shape(out);
    return v;
}

// Offset of output element o (row-major over the kept axes) in the input.
inline int64_t base_offset(const View& v, int64_t o) {
    int64_t off = 0;
    for (size_t d = v.kept_dims.size(); d-- > 0;) {
        off += (o % v.kept_dims[d]) * v.kept_strides[d];
        o /= v.kept_dims[d];
    }
    return off;
}

// Calls f(offset) for every reduced element of the output at `base`, in row-major order.
template <class F>
inline void for_each_reduced(const View& v, int64_t base, F&& f) {
    if (v.count == 0) return;
    const size_t n = v.red_dims.size();
    if (n == 0) {
        f(base);
        return;
    }
    std::vector<int64_t> idx(n, 0);
    int64_t off = base;
    const int64_t inner = v.red_dims[n - 1], istride = v.red_strides[n - 1];
    while (true) {
        for (int64_t i = 0; i < inner; ++i) f(off + i * istride);
        size_t d = n - 1;
        while (d-- > 0) {
            off += v.red_strides[d];
            if (++idx[d] < v.red_dims[d]) break;
            off -= v.red_strides[d] * v.red_dims[d];
            idx[d] = 0;
        }
        if (d == static_cast<size_t>(-1)) return;
    }
}

}  // namespace reduce
}  // namespace mutiny

#endif  // MUTINY_OPS_REDUCE_VIEW_HPP_
