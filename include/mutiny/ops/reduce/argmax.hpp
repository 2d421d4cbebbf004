// ArgMax and ArgMin: the index (int64) of the first (or, with select_last_index, the last) maximum
// or minimum along `axis` (default 0), keepdims (default 1). A NaN wins, as in numpy's argmax /
// argmin (which the ONNX reference calls): the first NaN's index.
#ifndef MUTINY_OPS_REDUCE_ARGMAX_HPP_
#define MUTINY_OPS_REDUCE_ARGMAX_HPP_

#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "view.hpp"

namespace mutiny {
namespace reduce {

inline View arg_view(const Attributes& a, const Shape& x, const std::string& where) {
    const int64_t axis = normalize_axis(a.get_int("axis", 0), static_cast<int64_t>(x.rank()), where);
    return view(x, {axis}, a.get_int("keepdims", 1) != 0, false, where);
}

template <bool Max>
void infer_arg(InferContext& c) {
    c.expect_inputs(1, 1);
    if (c.dtype(0) == DType::boolean) c.fail("unsupported input dtype", std::string("bool input; ") + c.node().op + " takes numbers");
    if (c.shape(0).rank() == 0) c.fail("input is a scalar", c.node().op + " needs an axis to search along");
    const View v = arg_view(c.attrs(), c.shape(0), c.where());
    if (v.count == 0) c.fail("empty axis", "axis " + std::to_string(c.attrs().get_int("axis", 0)) + " of " + c.shape(0).str() + " has size 0");
    c.set_output(0, DType::i64, v.out);
}

template <bool Max>
Kernel prepare_arg(const PrepareContext& pc) {
    const bool last = pc.attrs().get_int("select_last_index", 0) != 0;
    return [last](ExecContext& c) {
        const Tensor& x = c.input(0);
        const View v = arg_view(c.node->attrs, x.shape(), Graph::where(*c.node));
        int64_t* yp = c.out[0]->data<int64_t>();
        const int64_t n = c.out[0]->numel(), stride = v.red_strides.empty() ? 1 : v.red_strides[0];
        dispatch_dtype(x.dtype(), [&](auto tag) {
            using T = decltype(tag);
            using C = compute_t<T>;
            const T* xp = static_cast<const T*>(x.raw());
            parallel_chunks(n, grain_for(n, v.count + 1), [&](int64_t b, int64_t e) {
                for (int64_t o = b; o < e; ++o) {
                    const T* p = xp + base_offset(v, o);
                    int64_t best = 0;
                    C bv = load(p[0]);
                    for (int64_t i = 1; i < v.count; ++i) {
                        const C e2 = load(p[i * stride]);
                        if (bv != bv) break;  // a NaN already won (first NaN)
                        const bool better = e2 != e2 || (Max ? (last ? e2 >= bv : e2 > bv) : (last ? e2 <= bv : e2 < bv));
                        if (better) {
                            best = i;
                            bv = e2;
                        }
                    }
                    yp[o] = best;
                }
            });
        });
    };
}

inline void register_arg_ops(Registry& r) {
    r.add(OpDef{"ArgMax", nullptr, infer_arg<true>, prepare_arg<true>});
    r.add(OpDef{"ArgMin", nullptr, infer_arg<false>, prepare_arg<false>});
}

}  // namespace reduce
}  // namespace mutiny

#endif  // MUTINY_OPS_REDUCE_ARGMAX_HPP_
