// Expand (broadcast to a shape) and Tile (repeat along each axis): strided views of the input.
#ifndef MUTINY_OPS_SHAPE_EXPAND_TILE_HPP_
#define MUTINY_OPS_SHAPE_EXPAND_TILE_HPP_

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "copy.hpp"

namespace mutiny {
namespace shape_ops {

// ---- Expand, Tile -------------------------------------------------------------------------------

inline void register_expand(Registry& r) { r.add(OpDef{
    "Expand", nullptr,
    [](InferContext& c) {
        c.expect_inputs(2, 2);
        const auto spec = int_list(c, 1, "Expand shape");
        for (auto d : spec)
            if (d < 0) c.fail("Expand shape has a negative dimension", list_str(spec));
        c.set_output(0, c.dtype(0), Shape::broadcast(c.shape(0), Shape(spec), c.where()));
    },
    [](const PrepareContext&) -> Kernel {
        return [](ExecContext& c) {
            const Tensor& x = c.input(0);
            Tensor& y = *c.out[0];
            strided_copy(x.raw(), y.raw(), dtype_size(x.dtype()), y.shape().dims(), broadcast_strides(x.shape(), y.shape()), 0);
        };
    }}); }

inline void register_tile(Registry& r) { r.add(OpDef{
    "Tile", nullptr,
    [](InferContext& c) {
        c.expect_inputs(2, 2);
        const Shape& x = c.shape(0);
        const auto rep = int_list(c, 1, "Tile repeats");
        if (rep.size() != x.rank())
            c.fail("Tile repeats have the wrong length", list_str(rep) + " for input " + x.str());
        std::vector<int64_t> out;
        for (size_t i = 0; i < rep.size(); ++i) {
            if (rep[i] < 0) c.fail("Tile repeat is negative", list_str(rep));
            out.push_back(checked::mul(x[i], rep[i], "Tile output size", c.where()));
        }
        c.set_output(0, c.dtype(0), Shape(std::move(out)));
    },
    [](const PrepareContext&) -> Kernel {
        return [](ExecContext& c) {
            // Output index k * in + j along each axis is the row-major view [rep, in] with strides [0, s].
            const Tensor& x = c.input(0);
            Tensor& y = *c.out[0];
            const auto st = x.shape().strides();
            std::vector<int64_t> dims, strides;
            for (size_t i = 0; i < x.shape().rank(); ++i) {
                dims.push_back(x.shape()[i] ? y.shape()[i] / x.shape()[i] : 0);
                strides.push_back(0);
                dims.push_back(x.shape()[i]);
                strides.push_back(st[i]);
            }
            strided_copy(x.raw(), y.raw(), dtype_size(x.dtype()), dims, strides, 0);
        };
    }}); }

#if MUTINY_WITH_OPENCL
// Expand: x broadcast to the output (zero strides); the output shape is static, so nothing else
// needs to be constant.
inline bool plan_expand_opencl(opencl::NodePlanner& p) {
    const Shape& xs = p.in_type(0).shape;
    const Shape& ys = p.out_type().shape;
    p.run(plan_strided_copy(p, p.in(0), p.out(), dtype_size(p.in_type(0).dtype), ys.dims(),
                            broadcast_strides(xs, ys), 0));
    return true;
}

// Tile: the view [rep, in] per axis with strides [0, s], as the CPU kernel copies it.
inline bool plan_tile_opencl(opencl::NodePlanner& p) {
    const Shape& xs = p.in_type(0).shape;
    const Shape& ys = p.out_type().shape;
    const auto st = xs.strides();
    std::vector<int64_t> dims, strides;
    for (size_t i = 0; i < xs.rank(); ++i) {
        dims.push_back(xs[i] ? ys[i] / xs[i] : 0);
        strides.push_back(0);
        dims.push_back(xs[i]);
        strides.push_back(st[i]);
    }
    p.run(plan_strided_copy(p, p.in(0), p.out(), dtype_size(p.in_type(0).dtype), dims, strides, 0));
    return true;
}
#endif

inline void register_expand_tile_ops(Registry& r) {
    register_expand(r);
    register_tile(r);
#if MUTINY_WITH_OPENCL
    r.find("Expand")->plan_opencl = plan_expand_opencl;
    r.find("Tile")->plan_opencl = plan_tile_opencl;
#endif
}

}  // namespace shape_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_SHAPE_EXPAND_TILE_HPP_
