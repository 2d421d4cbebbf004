// ScatterElements (and Scatter, its deprecated opset 9-10 name): a copy of data with each element
// of updates written at its position in indices, the index replacing the coordinate along `axis`
// (default 0). ScatterND: a copy of data with each slice of updates written at the position its
// index tuple (the last axis of indices, length k) names: updates is indices.shape[:-1] +
// data.shape[k:]. Both take `reduction` (none, add, mul, max, min; opsets 16 and 18) and apply the
// updates one at a time, in their order, as the ONNX reference does, so duplicate indices combine
// (or the last one wins) exactly as there. Indices are checked (a negative one counts from the
// end) before anything is written.
#ifndef MUTINY_OPS_INDEX_SCATTER_HPP_
#define MUTINY_OPS_INDEX_SCATTER_HPP_

#include <cstring>
#include <string>
#include <vector>

#include "common.hpp"
#include "gather_elements.hpp"
#include "gather_nd.hpp"

namespace mutiny {
namespace index_ops {

inline void infer_scatter_common(InferContext& c) {
    c.expect_inputs(3, 3);
    expect_index_dtype(c, 1, "indices");
    if (c.dtype(2) != c.dtype(0))
        c.fail(c.node().op + " updates differ from data in dtype", std::string(dtype_name(c.dtype(2))) + " and " + dtype_name(c.dtype(0)));
    const Reduction red = parse_reduction(c.attrs(), c.where());
    if (red != Reduction::none && c.dtype(0) == DType::boolean)
        c.fail(c.node().op + " reduction on bool data", "reduction '" + c.attrs().get_string("reduction", "none") + "' needs numbers");
}

// Copies data into the output (the scatter then updates it in place).
inline void copy_data(ExecContext& c) {
    const Tensor& x = c.input(0);
    if (x.nbytes()) std::memcpy(c.out[0]->raw(), x.raw(), x.nbytes());
}

inline void register_scatter_elements(Registry& r) {
    const OpDef& d = r.add(OpDef{
        "ScatterElements", nullptr,
        [](InferContext& c) {
            infer_scatter_common(c);
            const Shape& ds = c.shape(0);
            if (ds.rank() == 0) c.fail(c.node().op + " into a scalar", "data needs at least one dimension");
            const size_t axis = static_cast<size_t>(normalize_axis(c.attrs().get_int("axis", 0), static_cast<int64_t>(ds.rank()), c.where()));
            check_elements_shapes(c, ds, c.shape(1), axis);
            if (c.shape(2) != c.shape(1)) c.fail(c.node().op + " updates and indices differ in shape", c.shape(2).str() + " and " + c.shape(1).str());
            if (const Tensor* t = c.constant(1); t && t->raw()) element_offsets(ds, *t, axis, c.node().op, c.where());
            c.set_output(0, c.dtype(0), ds);
        },
        [](const PrepareContext& pc) -> Kernel {
            const size_t axis = static_cast<size_t>(
                normalize_axis(pc.attrs().get_int("axis", 0), static_cast<int64_t>(pc.in[0].shape.rank()), pc.where()));
            const Reduction red = parse_reduction(pc.attrs(), pc.where());
            return [axis, red](ExecContext& c) {
                const Tensor& x = c.input(0);
                const std::vector<int64_t> off = element_offsets(x.shape(), c.input(1), axis, c.node->op, Graph::where(*c.node));
                copy_data(c);
                const Tensor& u = c.input(2);
                dispatch_dtype(x.dtype(), [&](auto tag) {
                    using T = decltype(tag);
                    const T* up = static_cast<const T*>(u.raw());
                    T* yp = static_cast<T*>(c.out[0]->raw());
                    // Sequential: a later update of the same element sees the earlier ones.
                    for (size_t i = 0; i < off.size(); ++i) {
                        T& y = yp[off[i]];
                        y = reduce_one(red, y, up[i]);
                    }
                });
            };
        },
        11});
    OpDef legacy = d;
    legacy.name = "Scatter";
    legacy.min_opset = 9;
    r.add(std::move(legacy));
}

inline void register_scatter_nd(Registry& r) {
    r.add(OpDef{
        "ScatterND", nullptr,
        [](InferContext& c) {
            infer_scatter_common(c);
            const Shape& ds = c.shape(0);
            const Shape& is = c.shape(1);
            if (ds.rank() == 0 || is.rank() == 0) c.fail("ScatterND with a scalar", "data and indices need at least one dimension");
            const int64_t k = is[is.rank() - 1];
            if (k < 1 || k > static_cast<int64_t>(ds.rank()))
                c.fail("ScatterND index tuples of a wrong length",
                       "the last axis of indices " + is.str() + " is " + std::to_string(k) + "; data " + ds.str() + " takes 1.." + std::to_string(ds.rank()));
            std::vector<int64_t> want(is.dims().begin(), is.dims().end() - 1);
            want.insert(want.end(), ds.dims().begin() + static_cast<std::ptrdiff_t>(k), ds.dims().end());
            if (c.shape(2) != Shape(want))
                c.fail("ScatterND updates of a wrong shape", "updates " + c.shape(2).str() + ", expected " + Shape(want).str() +
                                                                " (indices.shape[:-1] + data.shape[k:])");
            if (const Tensor* t = c.constant(1); t && t->raw()) tuple_offsets(ds, *t, 0, "ScatterND", c.where());
            c.set_output(0, c.dtype(0), ds);
        },
        [](const PrepareContext& pc) -> Kernel {
            const Reduction red = parse_reduction(pc.attrs(), pc.where());
            return [red](ExecContext& c) {
                const Tensor& x = c.input(0);
                const Tensor& ind = c.input(1);
                const std::vector<int64_t> off = tuple_offsets(x.shape(), ind, 0, "ScatterND", Graph::where(*c.node));
                copy_data(c);
                const size_t k = static_cast<size_t>(ind.shape()[ind.shape().rank() - 1]);
                const int64_t slice = x.shape().product(k, x.shape().rank());
                const Tensor& u = c.input(2);
                dispatch_dtype(x.dtype(), [&](auto tag) {
                    using T = decltype(tag);
                    const T* up = static_cast<const T*>(u.raw());
                    T* yp = static_cast<T*>(c.out[0]->raw());
                    // Sequential over the tuples: duplicates apply in order, as the reference's.
                    for (size_t t = 0; t < off.size(); ++t) {
                        T* y = yp + off[t];
                        const T* s = up + static_cast<int64_t>(t) * slice;
                        for (int64_t j = 0; j < slice; ++j) y[j] = reduce_one(red, y[j], s[j]);
                    }
                });
            };
        },
        11});
}

}  // namespace index_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_INDEX_SCATTER_HPP_
