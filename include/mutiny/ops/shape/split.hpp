// Split: slices of the input along an axis, sizes from `split` or equal parts.
#ifndef MUTINY_OPS_SHAPE_SPLIT_HPP_
#define MUTINY_OPS_SHAPE_SPLIT_HPP_

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "copy.hpp"

namespace mutiny {
namespace shape_ops {

// ---- Split --------------------------------------------------------------------------------------

inline std::vector<int64_t> split_sizes(const InferContext& c, int64_t dim) {
    const size_t n = c.node().outputs.size();
    std::vector<int64_t> sizes;
    if (c.has_input(1)) {
        sizes = int_list(c, 1, "Split split");
        if (sizes.size() != n)
            c.fail("Split sizes do not match the outputs", list_str(sizes) + " for " + std::to_string(n) + " outputs");
        int64_t sum = 0;
        for (auto s : sizes) {
            if (s < 0) c.fail("Split size is negative", list_str(sizes));
            sum += s;
        }
        if (sum != dim) c.fail("Split sizes do not add up to the axis", list_str(sizes) + " for a dimension of " + std::to_string(dim));
        return sizes;
    }
    if (c.attrs().has("num_outputs")) {
        const int64_t k = c.attrs().get_int("num_outputs", 0);
        if (k != static_cast<int64_t>(n) || k < 1)
            c.fail("Split num_outputs does not match the outputs", std::to_string(k) + " for " + std::to_string(n) + " outputs");
        const int64_t chunk = (dim + k - 1) / k;
        if (chunk * (k - 1) > dim)
            c.fail("Split cannot make num_outputs parts", std::to_string(dim) + " into " + std::to_string(k));
        for (int64_t i = 0; i < k; ++i) sizes.push_back(i + 1 < k ? chunk : dim - chunk * (k - 1));
        return sizes;
    }
    if (n == 0 || dim % static_cast<int64_t>(n) != 0)
        c.fail("Split into unequal parts", std::to_string(dim) + " does not divide into " + std::to_string(n) + " outputs");
    return std::vector<int64_t>(n, dim / static_cast<int64_t>(n));
}

inline void register_split(Registry& r) { r.add(OpDef{
    "Split",
    [](ImportContext& ic) {
        if (ic.opset < 13) ints_to_input(ic, "split", 1);
    },
    [](InferContext& c) {
        c.expect_inputs(1, 2);
        const Shape& x = c.shape(0);
        const size_t axis = static_cast<size_t>(normalize_axis(c.attrs().get_int("axis", 0), static_cast<int64_t>(x.rank()), c.where()));
        const auto sizes = split_sizes(c, x[axis]);
        for (size_t i = 0; i < sizes.size(); ++i) {
            Shape s = x;
            s[axis] = sizes[i];
            c.set_output(i, c.dtype(0), s);
        }
    },
    [](const PrepareContext& pc) -> Kernel {
        const size_t axis = static_cast<size_t>(
            normalize_axis(pc.attrs().get_int("axis", 0), static_cast<int64_t>(pc.in[0].shape.rank()), pc.where()));
        return [axis](ExecContext& c) {
            const Tensor& x = c.input(0);
            const auto st = x.shape().strides();
            int64_t off = 0;
            for (Tensor* y : c.out) {
                strided_copy(x.raw(), y->raw(), dtype_size(x.dtype()), y->shape().dims(), st, off * st[axis]);
                off += y->shape()[axis];
            }
        };
    },
    1}); }

#if MUTINY_WITH_OPENCL
// One strided copy per output, each starting where the previous one ended along the axis.
inline bool plan_split_opencl(opencl::NodePlanner& p) {
    const Shape& xs = p.in_type(0).shape;
    const size_t axis = static_cast<size_t>(normalize_axis(p.attrs().get_int("axis", 0), static_cast<int64_t>(xs.rank()), p.where()));
    const auto st = xs.strides();
    const size_t es = dtype_size(p.in_type(0).dtype);
    std::vector<opencl::Step> steps;
    int64_t off = 0;
    for (size_t o = 0; o < p.node().outputs.size(); ++o) {
        if (p.node().outputs[o] < 0) return p.decline("an output without a name (its extent is unknown)");
        const Shape& ys = p.out_type(o).shape;
        steps.push_back(plan_strided_copy(p, p.in(0), p.out(o), es, ys.dims(), st, off * st[axis]));
        off += ys[axis];
    }
    p.run_all(std::move(steps));
    return true;
}
#endif

inline void register_split_ops(Registry& r) {
    register_split(r);
#if MUTINY_WITH_OPENCL
    r.find("Split")->plan_opencl = plan_split_opencl;
#endif
}

}  // namespace shape_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_SHAPE_SPLIT_HPP_
