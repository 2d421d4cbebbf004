// GatherND: slices of data picked by index tuples, the last axis of indices (length k). With
// batch_dims b, data and indices share their first b dimensions and each tuple indexes data's
// axes b..b+k-1 within its own batch; the output is indices.shape[:-1] + data.shape[b+k:].
// Every index is checked against its axis (a negative one counts from the end) before any copy.
#ifndef MUTINY_OPS_INDEX_GATHER_ND_HPP_
#define MUTINY_OPS_INDEX_GATHER_ND_HPP_

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "common.hpp"

namespace mutiny {
namespace index_ops {

// Element offset in data of each index tuple, tuples in indices' order, for data shape ds, the
// tuple length k, batch_dims b; every index checked against its axis. The offsets include the
// batch's. Shared by GatherND (b >= 0) and ScatterND (b = 0).
inline std::vector<int64_t> tuple_offsets(const Shape& ds, const Tensor& indices, size_t b, const std::string& op,
                                          const std::string& where) {
    const Shape& is = indices.shape();
    const size_t k = static_cast<size_t>(is[is.rank() - 1]);
    const std::vector<int64_t> raw = read_indices(indices);
    const auto dstr = ds.strides();
    const int64_t tuples = k ? static_cast<int64_t>(raw.size() / k) : is.product(0, is.rank() - 1);
    const int64_t per_batch = is.product(b, is.rank() - 1);
    const int64_t batch_stride = ds.product(b, ds.rank());
    for (size_t d = 0; d < b; ++d)  // again at run time: a symbolic batch dimension is known now
        if (ds[d] != is[d]) throw Error(op + " batch dimensions differ", where, "data " + ds.str() + ", indices " + is.str());
    std::vector<int64_t> off(static_cast<size_t>(tuples));
    for (int64_t t = 0; t < tuples; ++t) {
        int64_t o = per_batch ? (t / per_batch) * batch_stride : 0;
        for (size_t j = 0; j < k; ++j) {
            const size_t pos = static_cast<size_t>(t) * k + j;
            o += checked_index(raw[pos], ds[b + j], static_cast<int64_t>(pos), op, "data axis " + std::to_string(b + j), where) * dstr[b + j];
        }
        off[static_cast<size_t>(t)] = o;
    }
    return off;
}

inline void register_gather_nd(Registry& r) {
    r.add(OpDef{
        "GatherND", nullptr,
        [](InferContext& c) {
            c.expect_inputs(2, 2);
            const Shape& ds = c.shape(0);
            const Shape& is = c.shape(1);
            expect_index_dtype(c, 1, "indices");
            const int64_t bd = c.attrs().get_int("batch_dims", 0);
            if (ds.rank() == 0 || is.rank() == 0) c.fail("GatherND of a scalar", "data and indices need at least one dimension");
            if (bd < 0 || bd >= static_cast<int64_t>(std::min(ds.rank(), is.rank())))
                c.fail("GatherND batch_dims out of range", "batch_dims " + std::to_string(bd) + " for data " + ds.str() + " and indices " + is.str());
            const size_t b = static_cast<size_t>(bd);
            for (size_t d = 0; d < b; ++d)
                if (ds[d] >= 0 && is[d] >= 0 && ds[d] != is[d]) c.fail("GatherND batch dimensions differ", "data " + ds.str() + ", indices " + is.str() + ", batch_dims " + std::to_string(b));
            const int64_t k = is[is.rank() - 1];
            if (k < 1 || k > static_cast<int64_t>(ds.rank() - b))
                c.fail("GatherND index tuples of a wrong length", "the last axis of indices " + is.str() + " is " + std::to_string(k) + "; data " + ds.str() +
                                                                        " with batch_dims " + std::to_string(b) + " takes 1.." + std::to_string(ds.rank() - b));
            if (const Tensor* t = c.constant(1); t && t->raw()) tuple_offsets(ds, *t, b, "GatherND", c.where());
            std::vector<int64_t> out(is.dims().begin(), is.dims().end() - 1);
            out.insert(out.end(), ds.dims().begin() + static_cast<std::ptrdiff_t>(b + static_cast<size_t>(k)), ds.dims().end());
            c.set_output(0, c.dtype(0), Shape(std::move(out)));
        },
        [](const PrepareContext& pc) -> Kernel {
            const size_t b = static_cast<size_t>(pc.attrs().get_int("batch_dims", 0));
            return [b](ExecContext& c) {
                const Tensor& x = c.input(0);
                const Tensor& ind = c.input(1);
                const std::vector<int64_t> off = tuple_offsets(x.shape(), ind, b, "GatherND", Graph::where(*c.node));
                const size_t k = static_cast<size_t>(ind.shape()[ind.shape().rank() - 1]);
                const size_t es = dtype_size(x.dtype());
                const size_t slice = static_cast<size_t>(x.shape().product(b + k, x.shape().rank())) * es;
                const int64_t n = static_cast<int64_t>(off.size());
                if (slice == 0) return;
                const char* src = static_cast<const char*>(x.raw());
                char* dst = static_cast<char*>(c.out[0]->raw());
                parallel_chunks(n, grain_for(n, static_cast<int64_t>(slice / 4) + 4), [&](int64_t lo, int64_t hi) {
                    for (int64_t t = lo; t < hi; ++t)
                        std::memcpy(dst + static_cast<size_t>(t) * slice, src + static_cast<size_t>(off[static_cast<size_t>(t)]) * es, slice);
                });
            };
        },
        11});
}

}  // namespace index_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_INDEX_GATHER_ND_HPP_
