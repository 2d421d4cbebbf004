// Slice: a strided view of the input (starts, ends, axes, steps as constant inputs).
#ifndef MUTINY_OPS_SHAPE_SLICE_HPP_
#define MUTINY_OPS_SHAPE_SLICE_HPP_

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "copy.hpp"

namespace mutiny {
namespace shape_ops {

// ---- Slice --------------------------------------------------------------------------------------

struct SliceGeom {
    std::vector<int64_t> out, start, step;
};

inline SliceGeom slice_geom(const Shape& x, const std::vector<int64_t>& starts, const std::vector<int64_t>& ends,
                            const std::vector<int64_t>* axes_in, const std::vector<int64_t>* steps_in, const std::string& where) {
    const size_t r = x.rank();
    const size_t n = starts.size();
    if (ends.size() != n) throw Error("Slice starts and ends differ in length", where, list_str(starts) + " and " + list_str(ends));
    std::vector<int64_t> axes, steps(n, 1);
    if (axes_in) {
        axes = *axes_in;
        if (axes.size() != n) throw Error("Slice axes and starts differ in length", where, list_str(axes) + " and " + list_str(starts));
    } else {
        for (size_t i = 0; i < n; ++i) axes.push_back(static_cast<int64_t>(i));
    }
    if (steps_in) {
        steps = *steps_in;
        if (steps.size() != n) throw Error("Slice steps and starts differ in length", where, list_str(steps) + " and " + list_str(starts));
    }
    SliceGeom g;
    g.out = x.dims();
    g.start.assign(r, 0);
    g.step.assign(r, 1);
    std::vector<char> seen(r, 0);
    for (size_t i = 0; i < n; ++i) {
        const size_t ax = static_cast<size_t>(normalize_axis(axes[i], static_cast<int64_t>(r), where));
        if (seen[ax]) throw Error("Slice axes repeat an axis", where, "axes " + list_str(axes));
        seen[ax] = 1;
        const int64_t dim = x[ax], step = steps[i];
        if (step == 0) throw Error("Slice step is 0", where, "steps " + list_str(steps));
        int64_t s = starts[i], e = ends[i];
        if (s < 0) s += dim;
        if (e < 0) e += dim;
        int64_t len = 0;
        if (dim == 0) {
            len = 0;
        } else if (step > 0) {
            s = std::clamp<int64_t>(s, 0, dim);
            e = std::clamp<int64_t>(e, 0, dim);
            len = e > s ? (e - s - 1) / step + 1 : 0;
        } else {
            s = std::clamp<int64_t>(s, 0, dim - 1);
            e = std::clamp<int64_t>(e, -1, dim - 1);
            const int64_t mag = step == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max() : -step;
            len = s > e ? (s - e - 1) / mag + 1 : 0;
        }
        g.out[ax] = len;
        g.start[ax] = len ? s : 0;
        g.step[ax] = len > 1 ? step : 1;  // |step| < dim here, so strides cannot overflow
    }
    return g;
}


inline void register_slice(Registry& r) { r.add(OpDef{
    "Slice",
    [](ImportContext& ic) {
        if (ic.opset >= 10) return;
        Node& n = *ic.node;
        if (!n.attrs.has("starts") || !n.attrs.has("ends")) return;  // infer() reports the missing inputs
        ints_to_input(ic, "starts", 1);
        ints_to_input(ic, "ends", 2);
        ints_to_input(ic, "axes", 3);
    },
    [](InferContext& c) {
        c.expect_inputs(3, 5);
        const auto starts = int_list(c, 1, "Slice starts");
        const auto ends = int_list(c, 2, "Slice ends");
        std::vector<int64_t> axes, steps;
        if (c.has_input(3)) axes = int_list(c, 3, "Slice axes");
        if (c.has_input(4)) steps = int_list(c, 4, "Slice steps");
        const SliceGeom g = slice_geom(c.shape(0), starts, ends, c.has_input(3) ? &axes : nullptr,
                                       c.has_input(4) ? &steps : nullptr, c.where());
        c.set_output(0, c.dtype(0), Shape(g.out));
    },
    [](const PrepareContext& pc) -> Kernel {
        const std::string where = pc.where();
        return [where](ExecContext& c) {
            const Tensor& x = c.input(0);
            std::vector<int64_t> axes, steps;
            if (c.has(3)) axes = tensor_ints(c.input(3));
            if (c.has(4)) steps = tensor_ints(c.input(4));
            const SliceGeom g = slice_geom(x.shape(), tensor_ints(c.input(1)), tensor_ints(c.input(2)),
                                           c.has(3) ? &axes : nullptr, c.has(4) ? &steps : nullptr, where);
            const auto st = x.shape().strides();
            std::vector<int64_t> strides(st.size());
            int64_t base = 0;
            for (size_t d = 0; d < st.size(); ++d) {
                strides[d] = st[d] * g.step[d];
                base += g.start[d] * st[d];
            }
            strided_copy(x.raw(), c.out[0]->raw(), dtype_size(x.dtype()), g.out, strides, base);
        };
    },
    1}); }

#if MUTINY_WITH_OPENCL
// The strided view the CPU kernel copies; starts, ends, axes and steps must be known at plan time.
inline bool plan_slice_opencl(opencl::NodePlanner& p) {
    std::vector<const Tensor*> c;
    for (size_t i = 1; i < p.node().inputs.size(); ++i) {
        c.push_back(p.has_input(i) ? p.constant(i) : nullptr);
        if (p.has_input(i) && !c.back()) return p.decline("starts, ends, axes or steps computed at run time");
    }
    std::vector<int64_t> axes, steps;
    const bool has_axes = c.size() > 2 && c[2], has_steps = c.size() > 3 && c[3];
    if (has_axes) axes = tensor_ints(*c[2]);
    if (has_steps) steps = tensor_ints(*c[3]);
    const Shape& xs = p.in_type(0).shape;
    const SliceGeom g = slice_geom(xs, tensor_ints(*c[0]), tensor_ints(*c[1]), has_axes ? &axes : nullptr, has_steps ? &steps : nullptr, p.where());
    const auto st = xs.strides();
    std::vector<int64_t> strides(st.size());
    int64_t base = 0;
    for (size_t d = 0; d < st.size(); ++d) {
        strides[d] = st[d] * g.step[d];
        base += g.start[d] * st[d];
    }
    p.run(plan_strided_copy(p, p.in(0), p.out(), dtype_size(p.in_type(0).dtype), g.out, strides, base));
    return true;
}
#endif

inline void register_slice_ops(Registry& r) {
    register_slice(r);
#if MUTINY_WITH_OPENCL
    r.find("Slice")->plan_opencl = plan_slice_opencl;
#endif
}

}  // namespace shape_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_SHAPE_SLICE_HPP_
