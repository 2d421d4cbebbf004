// Transpose: a strided copy of its input, any dtype.
#ifndef MUTINY_OPS_SHAPE_TRANSPOSE_HPP_
#define MUTINY_OPS_SHAPE_TRANSPOSE_HPP_

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "copy.hpp"
#if MUTINY_WITH_OPENCL
#include "../../exec/opencl/planner.hpp"
#endif

namespace mutiny {
namespace shape_ops {

inline std::vector<int64_t> transpose_perm(const Attributes& a, size_t rank, const std::string& where) {
    std::vector<int64_t> perm;
    if (a.has("perm")) {
        perm = a.get_ints("perm");
        if (perm.size() != rank)
            throw Error("Transpose perm has the wrong length", where,
                        "perm " + list_str(perm) + " for rank " + std::to_string(rank));
        std::vector<char> seen(rank, 0);
        for (auto p : perm) {
            if (p < 0 || p >= static_cast<int64_t>(rank) || seen[static_cast<size_t>(p)])
                throw Error("Transpose perm is not a permutation", where, "perm " + list_str(perm) + " for rank " + std::to_string(rank));
            seen[static_cast<size_t>(p)] = 1;
        }
    } else {
        for (size_t i = rank; i-- > 0;) perm.push_back(static_cast<int64_t>(i));
    }
    return perm;
}

inline void register_transpose(Registry& r) { r.add(OpDef{
    "Transpose", nullptr,
    [](InferContext& c) {
        c.expect_inputs(1, 1);
        const Shape& x = c.shape(0);
        const auto perm = transpose_perm(c.attrs(), x.rank(), c.where());
        std::vector<int64_t> out;
        for (auto p : perm) out.push_back(x[static_cast<size_t>(p)]);
        c.set_output(0, c.dtype(0), Shape(std::move(out)));
    },
    [](const PrepareContext& pc) -> Kernel {
        const auto perm = transpose_perm(pc.attrs(), pc.in[0].shape.rank(), pc.where());
        return [perm](ExecContext& c) {
            const Tensor& x = c.input(0);
            const auto is = x.shape().strides();
            std::vector<int64_t> dims, strides;
            for (auto p : perm) {
                dims.push_back(x.shape()[static_cast<size_t>(p)]);
                strides.push_back(is[static_cast<size_t>(p)]);
            }
            strided_copy(x.raw(), c.out[0]->raw(), dtype_size(x.dtype()), dims, strides, 0);
        };
    }}); }

#if MUTINY_WITH_OPENCL
// The output is the strided view of x with x's dims and strides permuted.
inline bool plan_transpose_opencl(opencl::NodePlanner& p) {
    const Shape& xs = p.in_type(0).shape;
    const auto perm = transpose_perm(p.attrs(), xs.rank(), p.where());
    const auto is = xs.strides();
    std::vector<int64_t> dims, strides;
    for (auto q : perm) dims.push_back(xs[static_cast<size_t>(q)]);
    for (auto q : perm) strides.push_back(is[static_cast<size_t>(q)]);
    p.run(plan_strided_copy(p, p.in(0), p.out(), dtype_size(p.out_type().dtype), dims, strides, 0));
    return true;
}
#endif

inline void register_transpose_ops(Registry& r) {
    register_transpose(r);
#if MUTINY_WITH_OPENCL
    r.find("Transpose")->plan_opencl = plan_transpose_opencl;
#endif
}

}  // namespace shape_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_SHAPE_TRANSPOSE_HPP_
