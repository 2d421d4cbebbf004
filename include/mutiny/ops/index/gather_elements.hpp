// GatherElements: out[i_0..i_{r-1}] = data[i_0..indices[i]..i_{r-1}] (the index replacing the
// coordinate along `axis`, default 0); indices has data's rank and, off the axis, dimensions no
// larger than data's; the output has indices' shape and data's dtype. Every index is checked (a
// negative one counts from the end) before any element is read.
#ifndef MUTINY_OPS_INDEX_GATHER_ELEMENTS_HPP_
#define MUTINY_OPS_INDEX_GATHER_ELEMENTS_HPP_

#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "common.hpp"

namespace mutiny {
namespace index_ops {

// Checks that indices (shape is) fit data (shape ds) along every axis but `axis`; used by
// GatherElements and ScatterElements.
inline void check_elements_shapes(const InferContext& c, const Shape& ds, const Shape& is, size_t axis) {
    const std::string op = c.node().op;
    if (is.rank() != ds.rank())
        c.fail(op + " indices rank differs from data rank", "indices " + is.str() + ", data " + ds.str());
    for (size_t d = 0; d < ds.rank(); ++d)
        if (d != axis && is[d] >= 0 && ds[d] >= 0 && is[d] > ds[d])
            c.fail(op + " indices larger than data off the axis",
                   "dimension " + std::to_string(d) + ": indices " + is.str() + ", data " + ds.str() + ", axis " + std::to_string(axis));
}

// Offset in data of each element of indices, with its index along `axis` checked and normalised.
inline std::vector<int64_t> element_offsets(const Shape& ds, const Tensor& indices, size_t axis, const std::string& op,
                                            const std::string& where) {
    const Shape& is = indices.shape();
    const std::vector<int64_t> raw = read_indices(indices);
    const auto dstr = ds.strides();
    const size_t r = ds.rank();
    for (size_t d = 0; d < r; ++d)  // again at run time: a symbolic batch dimension is known now
        if (is.rank() != r || (d != axis && is[d] > ds[d]))
            throw Error(op + " indices do not fit data", where, "indices " + is.str() + ", data " + ds.str() + ", axis " + std::to_string(axis));
    const std::string axis_desc = "axis " + std::to_string(axis);
    std::vector<int64_t> off(raw.size());
    std::vector<int64_t> coord(r, 0);
    for (size_t i = 0; i < raw.size(); ++i) {
        int64_t o = 0;
        for (size_t d = 0; d < r; ++d) o += (d == axis ? checked_index(raw[i], ds[axis], static_cast<int64_t>(i), op, axis_desc, where) : coord[d]) * dstr[d];
        off[i] = o;
        for (size_t d = r; d-- > 0;) {  // next coordinate of indices, row-major
            if (++coord[d] < is[d]) break;
            coord[d] = 0;
        }
    }
    return off;
}

inline void register_gather_elements(Registry& r) {
    r.add(OpDef{
        "GatherElements", nullptr,
        [](InferContext& c) {
            c.expect_inputs(2, 2);
            const Shape& ds = c.shape(0);
            if (ds.rank() == 0) c.fail("GatherElements from a scalar", "data needs at least one dimension");
            const size_t axis = static_cast<size_t>(normalize_axis(c.attrs().get_int("axis", 0), static_cast<int64_t>(ds.rank()), c.where()));
            expect_index_dtype(c, 1, "indices");
            check_elements_shapes(c, ds, c.shape(1), axis);
            if (const Tensor* t = c.constant(1); t && t->raw()) element_offsets(ds, *t, axis, "GatherElements", c.where());
            c.set_output(0, c.dtype(0), c.shape(1));
        },
        [](const PrepareContext& pc) -> Kernel {
            const size_t axis = static_cast<size_t>(
                normalize_axis(pc.attrs().get_int("axis", 0), static_cast<int64_t>(pc.in[0].shape.rank()), pc.where()));
            return [axis](ExecContext& c) {
                const Tensor& x = c.input(0);
                const std::vector<int64_t> off = element_offsets(x.shape(), c.input(1), axis, "GatherElements", Graph::where(*c.node));
                const int64_t n = static_cast<int64_t>(off.size());
                dispatch_elem(dtype_size(x.dtype()), [&](auto tag) {
                    using E = decltype(tag);
                    const E* src = static_cast<const E*>(x.raw());
                    E* dst = static_cast<E*>(c.out[0]->raw());
                    parallel_chunks(n, 16384, [&](int64_t b, int64_t e) {
                        for (int64_t i = b; i < e; ++i) dst[i] = src[off[static_cast<size_t>(i)]];
                    });
                });
            };
        },
        11});
}

}  // namespace index_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_INDEX_GATHER_ELEMENTS_HPP_
