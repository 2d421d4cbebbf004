// Concat: inputs copied side by side along an axis, any dtype.
#ifndef MUTINY_OPS_SHAPE_CONCAT_HPP_
#define MUTINY_OPS_SHAPE_CONCAT_HPP_

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

inline void register_concat(Registry& r) { r.add(OpDef{
    "Concat",
    [](ImportContext& ic) {
        if (ic.opset < 4 && !ic.node->attrs.has("axis")) ic.node->attrs.set_int("axis", 1);
    },
    [](InferContext& c) {
        const size_t n = c.node().inputs.size();
        if (n < 1) c.fail("wrong number of inputs", "Concat needs at least one");
        if (!c.attrs().has("axis")) c.fail("missing attribute 'axis'", "Concat needs the axis to join along");
        const Shape& s0 = c.shape(0);
        const int64_t r = static_cast<int64_t>(s0.rank());
        if (r == 0) c.fail("Concat of scalars", "inputs need at least one dimension");
        const size_t axis = static_cast<size_t>(normalize_axis(c.attrs().get_int("axis", 0), r, c.where()));
        std::vector<int64_t> out = s0.dims();
        for (size_t i = 1; i < n; ++i) {
            const Shape& si = c.shape(i);
            if (c.dtype(i) != c.dtype(0))
                c.fail("Concat inputs differ in dtype", std::string("input 0 is ") + dtype_name(c.dtype(0)) + ", input " +
                                                            std::to_string(i) + " is " + dtype_name(c.dtype(i)));
            bool ok = si.rank() == s0.rank();
            for (size_t d = 0; ok && d < si.rank(); ++d) ok = d == axis || si[d] == s0[d];
            if (!ok)
                c.fail("Concat inputs differ in shape", "input 0 is " + s0.str() + ", input " + std::to_string(i) + " is " +
                                                            si.str() + " (only axis " + std::to_string(axis) + " may differ)");
            out[axis] += si[axis];
        }
        c.set_output(0, c.dtype(0), Shape(std::move(out)));
    },
    [](const PrepareContext& pc) -> Kernel {
        const int64_t r = static_cast<int64_t>(pc.in[0].shape.rank());
        const size_t axis = static_cast<size_t>(normalize_axis(pc.attrs().get_int("axis", 0), r, pc.where()));
        return [axis](ExecContext& c) {
            Tensor& y = *c.out[0];
            const size_t es = dtype_size(y.dtype());
            const int64_t outer = y.shape().product(0, axis);
            const size_t row = static_cast<size_t>(y.shape().product(axis, y.shape().rank())) * es;
            std::vector<const char*> src;
            std::vector<size_t> len;
            for (size_t i = 0; i < c.in.size(); ++i) {
                const Tensor& t = c.input(i);
                src.push_back(static_cast<const char*>(t.raw()));
                len.push_back(static_cast<size_t>(t.shape().product(axis, t.shape().rank())) * es);
            }
            char* dst = static_cast<char*>(y.raw());
            if (row == 0) return;
            parallel_chunks(outer, grain_for(outer, static_cast<int64_t>(row / 4) + 1), [&](int64_t b, int64_t e) {
                for (int64_t o = b; o < e; ++o) {
                    char* d = dst + static_cast<size_t>(o) * row;
                    for (size_t i = 0; i < src.size(); ++i) {
                        if (len[i]) std::memcpy(d, src[i] + static_cast<size_t>(o) * len[i], len[i]);
                        d += len[i];
                    }
                }
            });
        };
    }}); }

#if MUTINY_WITH_OPENCL
// One rectangular buffer copy per input, any dtype.
inline bool plan_concat_opencl(opencl::NodePlanner& p) {
    const Shape& ys = p.out_type().shape;
    const size_t axis = static_cast<size_t>(normalize_axis(p.attrs().get_int("axis", 0), static_cast<int64_t>(ys.rank()), p.where()));
    const size_t es = dtype_size(p.out_type().dtype);
    const size_t outer = static_cast<size_t>(ys.product(0, axis));
    const size_t out_row = static_cast<size_t>(ys.product(axis, ys.rank())) * es;
    struct Piece {
        cl_mem src;
        size_t row, offset;
    };
    std::vector<Piece> pieces;
    size_t off = 0;
    for (size_t i = 0; i < p.node().inputs.size(); ++i) {
        if (!p.has_input(i)) continue;
        const Shape& s = p.in_type(i).shape;
        const size_t row = static_cast<size_t>(s.product(axis, s.rank())) * es;
        if (row) pieces.push_back({p.in(i), row, off});
        off += row;
    }
    cl_mem dst = p.out();
    cl_command_queue q = p.queue();
    const std::string where = p.where_dev();
    opencl::Plan* events = p.events();
    p.run([q, pieces, dst, outer, out_row, where, events] {
        if (outer == 0) return;
        for (const auto& pc : pieces) {
            const size_t so[3] = {0, 0, 0}, dori[3] = {pc.offset, 0, 0}, region[3] = {pc.row, outer, 1};
            opencl::check(clEnqueueCopyBufferRect(q, pc.src, dst, so, dori, region, pc.row, pc.row * outer, out_row, out_row * outer, 0,
                                                  nullptr, events->profile_event()),
                          "clEnqueueCopyBufferRect", where);
        }
    });
    return true;
}
#endif

inline void register_concat_ops(Registry& r) {
    register_concat(r);
#if MUTINY_WITH_OPENCL
    r.find("Concat")->plan_opencl = plan_concat_opencl;
#endif
}

}  // namespace shape_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_SHAPE_CONCAT_HPP_
