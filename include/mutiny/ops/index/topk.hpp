// TopK: the K largest (largest = 1, the default) or smallest elements along `axis` (default -1)
// and their int64 indices, in order (the output is always sorted, as the ONNX reference's, also
// for sorted = 0); equal values keep the smaller index first; NaN counts as larger than every
// number (numpy's sort order). K is input 1 (opset >= 10) or the attribute `k` (opset 1, made a
// constant input by import()); it must be a constant (it sets the output shape), 0 <= K <= the
// axis size.
#ifndef MUTINY_OPS_INDEX_TOPK_HPP_
#define MUTINY_OPS_INDEX_TOPK_HPP_

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "common.hpp"

namespace mutiny {
namespace index_ops {

inline void topk_import(ImportContext& ic) {
    if (ic.opset >= 10) return;
    Node& n = *ic.node;
    if (!n.attrs.has("k")) throw Error("TopK without k", ic.where(), "opset " + std::to_string(ic.opset) + " takes K as the attribute k");
    const int64_t k = n.attrs.get_int("k", 0);
    n.attrs.erase("k");
    ic.set_constant_input(1, Tensor::from_vector<int64_t>(Shape{1}, {k}));
}

inline int64_t topk_k(const InferContext& c) {
    const Tensor& t = c.require_constant(1, "TopK K");
    if (!is_index_dtype(t.dtype())) c.fail("TopK K must be int64", std::string("it is ") + dtype_name(t.dtype()));
    if (t.numel() != 1) c.fail("TopK K must hold one value", "it has shape " + t.shape().str());
    return t.get_i64(0);
}

inline void register_topk(Registry& r) {
    r.add(OpDef{
        "TopK", topk_import,
        [](InferContext& c) {
            c.expect_inputs(2, 2);
            const Shape& xs = c.shape(0);
            if (c.dtype(0) == DType::boolean) c.fail("unsupported input dtype", "bool input; TopK takes numbers");
            if (xs.rank() == 0) c.fail("TopK of a scalar", "the input needs at least one dimension");
            const size_t axis = static_cast<size_t>(normalize_axis(c.attrs().get_int("axis", -1), static_cast<int64_t>(xs.rank()), c.where()));
            const int64_t k = topk_k(c);
            if (k < 0 || k > xs[axis])
                c.fail("TopK K out of range", "K = " + std::to_string(k) + " for axis " + std::to_string(axis) + " of size " + std::to_string(xs[axis]) +
                                                  "; the valid range is [0, " + std::to_string(xs[axis]) + "]");
            std::vector<int64_t> od(xs.dims().begin(), xs.dims().end());
            od[axis] = k;
            c.set_output(0, c.dtype(0), Shape(od));
            if (c.node().outputs.size() > 1) c.set_output(1, DType::i64, Shape(od));
        },
        [](const PrepareContext& pc) -> Kernel {
            const Shape xs = pc.in[0].shape;
            const size_t axis = static_cast<size_t>(normalize_axis(pc.attrs().get_int("axis", -1), static_cast<int64_t>(xs.rank()), pc.where()));
            const bool largest = pc.attrs().get_int("largest", 1) != 0;
            const int64_t k = pc.out[0].shape[axis];
            return [axis, largest, k](ExecContext& c) {
                const Tensor& x = c.input(0);
                const Shape& s = x.shape();
                const int64_t len = s[axis], inner = s.product(axis + 1, s.rank()), outer = s.product(0, axis);
                const int64_t lines = outer * inner;
                int64_t* ip = c.out.size() > 1 ? static_cast<int64_t*>(c.out[1]->raw()) : nullptr;
                dispatch_dtype(x.dtype(), [&](auto tag) {
                    using T = decltype(tag);
                    using C = compute_t<T>;
                    const T* xp = static_cast<const T*>(x.raw());
                    T* yp = static_cast<T*>(c.out[0]->raw());
                    parallel_chunks(lines, grain_for(lines, len * 8 + 1), [&](int64_t b, int64_t e) {
                        std::vector<int64_t> order(static_cast<size_t>(len));
                        std::vector<C> v(static_cast<size_t>(len));
                        for (int64_t l = b; l < e; ++l) {
                            const int64_t o = l / inner, i = l % inner;
                            const T* p = xp + o * len * inner + i;
                            for (int64_t j = 0; j < len; ++j) v[static_cast<size_t>(j)] = load(p[j * inner]);
                            std::iota(order.begin(), order.end(), int64_t{0});
                            // A strict total order: by value (NaN above every number), then by index.
                            auto before = [&](int64_t a, int64_t c2) {
                                const C va = v[static_cast<size_t>(a)], vb = v[static_cast<size_t>(c2)];
                                const bool na = va != va, nb = vb != vb;
                                if (na || nb) {
                                    if (na && nb) return a < c2;
                                    return largest ? na : nb;
                                }
                                if (va != vb) return largest ? va > vb : va < vb;
                                return a < c2;
                            };
                            std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
                            const int64_t ob = o * k * inner + i;
                            for (int64_t j = 0; j < k; ++j) {
                                const int64_t src = order[static_cast<size_t>(j)];
                                yp[ob + j * inner] = p[src * inner];
                                if (ip) ip[ob + j * inner] = src;
                            }
                        }
                    });
                });
            };
        },
        1});
}

}  // namespace index_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_INDEX_TOPK_HPP_
