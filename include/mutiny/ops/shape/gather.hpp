// Gather: rows of the input picked by constant or run-time indices along an axis.
#ifndef MUTINY_OPS_SHAPE_GATHER_HPP_
#define MUTINY_OPS_SHAPE_GATHER_HPP_

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "copy.hpp"

namespace mutiny {
namespace shape_ops {

// ---- Gather -------------------------------------------------------------------------------------

// Indices normalised to [0, dim), or an Error naming the first bad one.
inline std::vector<int64_t> gather_indices(const Tensor& idx, int64_t dim, const std::string& where) {
    if (idx.dtype() != DType::i64 && idx.dtype() != DType::i32)
        throw Error("Gather indices must be int32 or int64", where, std::string("they are ") + dtype_name(idx.dtype()));
    std::vector<int64_t> v = idx.to_i64_vector();
    for (auto& i : v) {
        if (i < -dim || i >= dim)
            throw Error("Gather index out of range", where, "index " + std::to_string(i) + " for an axis of size " + std::to_string(dim));
        if (i < 0) i += dim;
    }
    return v;
}

inline void register_gather(Registry& r) { r.add(OpDef{
    "Gather", nullptr,
    [](InferContext& c) {
        c.expect_inputs(2, 2);
        const Shape& x = c.shape(0);
        const Shape& ind = c.shape(1);
        if (x.rank() == 0) c.fail("Gather from a scalar", "data needs at least one dimension");
        const size_t axis = static_cast<size_t>(normalize_axis(c.attrs().get_int("axis", 0), static_cast<int64_t>(x.rank()), c.where()));
        if (c.dtype(1) != DType::i64 && c.dtype(1) != DType::i32)
            c.fail("Gather indices must be int32 or int64", std::string("they are ") + dtype_name(c.dtype(1)));
        if (const Tensor* t = c.constant(1); t && t->raw()) gather_indices(*t, x[axis], c.where());
        std::vector<int64_t> out(x.dims().begin(), x.dims().begin() + static_cast<std::ptrdiff_t>(axis));
        out.insert(out.end(), ind.dims().begin(), ind.dims().end());
        out.insert(out.end(), x.dims().begin() + static_cast<std::ptrdiff_t>(axis) + 1, x.dims().end());
        c.set_output(0, c.dtype(0), Shape(std::move(out)));
    },
    [](const PrepareContext& pc) -> Kernel {
        const size_t axis = static_cast<size_t>(
            normalize_axis(pc.attrs().get_int("axis", 0), static_cast<int64_t>(pc.in[0].shape.rank()), pc.where()));
        const std::string where = pc.where();
        return [axis, where](ExecContext& c) {
            const Tensor& x = c.input(0);
            const int64_t dim = x.shape()[axis];
            const auto idx = gather_indices(c.input(1), dim, where);
            const size_t es = dtype_size(x.dtype());
            const int64_t outer = x.shape().product(0, axis);
            const size_t inner = static_cast<size_t>(x.shape().product(axis + 1, x.shape().rank())) * es;
            const int64_t ni = static_cast<int64_t>(idx.size());
            const int64_t rows = outer * ni;
            const char* src = static_cast<const char*>(x.raw());
            char* dst = static_cast<char*>(c.out[0]->raw());
            if (inner == 0) return;
            parallel_chunks(rows, grain_for(rows, static_cast<int64_t>(inner / 4) + 4), [&](int64_t b, int64_t e) {
                for (int64_t r = b; r < e; ++r) {
                    const int64_t o = r / ni, j = r % ni;
                    std::memcpy(dst + static_cast<size_t>(r) * inner,
                                src + static_cast<size_t>(o * dim + idx[static_cast<size_t>(j)]) * inner, inner);
                }
            });
        };
    }}); }

inline void register_gather_ops(Registry& r) {
    register_gather(r);
}

}  // namespace shape_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_SHAPE_GATHER_HPP_
