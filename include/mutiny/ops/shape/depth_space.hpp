// DepthToSpace (opset 1, 11, 13) and SpaceToDepth (opset 1, 13) on 4-D [N, C, H, W] tensors: the
// blocks of `blocksize` x `blocksize` move between the channel axis and the spatial axes. Both are
// one strided copy of the input (any dtype). DepthToSpace's `mode` (since opset 11, default DCR)
// orders the channels as depth, column, row (DCR) or column, row, depth (CRD).
#ifndef MUTINY_OPS_SHAPE_DEPTH_SPACE_HPP_
#define MUTINY_OPS_SHAPE_DEPTH_SPACE_HPP_

#include <string>
#include <vector>

#include "../common.hpp"
#include "copy.hpp"

namespace mutiny {
namespace shape_ops {

inline int64_t blocksize_attr(const Attributes& a, const std::string& op, const std::string& where) {
    if (!a.has("blocksize")) throw Error("missing attribute 'blocksize'", where, op + " needs the block size");
    const int64_t bs = a.get_int("blocksize", 0);
    if (bs < 1) throw Error(op + " blocksize is not positive", where, "blocksize " + std::to_string(bs));
    // blocksize^2 and the sizes times blocksize must fit: the value comes from the file.
    if (bs > (int64_t(1) << 20)) throw Error(op + " blocksize out of range", where, "blocksize " + std::to_string(bs) + " is more than 2^20");
    return bs;
}

// DCR or CRD (DepthToSpace); an unknown mode is an error.
inline bool depth_to_space_crd(const Attributes& a, const std::string& where) {
    const std::string m = a.get_string("mode", "DCR");
    if (m != "DCR" && m != "CRD") throw Error("unknown DepthToSpace mode '" + m + "'", where, "mode is DCR or CRD");
    return m == "CRD";
}

// The strided view of x [b, c, h, w] whose row-major order is the output's.
inline void depth_space_view(bool to_space, bool crd, int64_t bs, const Shape& x, std::vector<int64_t>& dims, std::vector<int64_t>& strides) {
    const int64_t b = x[0], c = x[1], h = x[2], w = x[3];
    if (to_space) {
        const int64_t c2 = c / (bs * bs);
        dims = {b, c2, h, bs, w, bs};
        if (crd) strides = {c * h * w, bs * bs * h * w, w, bs * h * w, 1, h * w};
        else strides = {c * h * w, h * w, w, bs * c2 * h * w, 1, c2 * h * w};
    } else {
        dims = {b, bs, bs, c, h / bs, w / bs};
        strides = {c * h * w, w, 1, h * w, bs * w, bs};
    }
}

template <bool ToSpace>
void depth_space_infer(InferContext& c) {
    const std::string op = ToSpace ? "DepthToSpace" : "SpaceToDepth";
    c.expect_inputs(1, 1);
    const Shape& x = c.shape(0);
    if (x.rank() != 4) c.fail(op + " input is not 4-D", "input has shape " + x.str() + "; expected [N, C, H, W]");
    const int64_t bs = blocksize_attr(c.attrs(), op, c.where());
    if (ToSpace) {
        depth_to_space_crd(c.attrs(), c.where());
        if (x[1] % (bs * bs) != 0)
            c.fail("DepthToSpace channels not divisible by blocksize^2", std::to_string(x[1]) + " channels, blocksize " + std::to_string(bs));
        c.set_output(0, c.dtype(0), Shape{x[0], x[1] / (bs * bs), checked::mul(x[2], bs, "DepthToSpace output size", c.where()),
                                          checked::mul(x[3], bs, "DepthToSpace output size", c.where())});
    } else {
        if (x[2] % bs != 0 || x[3] % bs != 0)
            c.fail("SpaceToDepth spatial size not divisible by blocksize", "input " + x.str() + ", blocksize " + std::to_string(bs));
        c.set_output(0, c.dtype(0), Shape{x[0], checked::mul(x[1], bs * bs, "SpaceToDepth output size", c.where()), x[2] / bs, x[3] / bs});
    }
}

template <bool ToSpace>
Kernel depth_space_prepare(const PrepareContext& pc) {
    const int64_t bs = blocksize_attr(pc.attrs(), ToSpace ? "DepthToSpace" : "SpaceToDepth", pc.where());
    const bool crd = ToSpace && depth_to_space_crd(pc.attrs(), pc.where());
    return [bs, crd](ExecContext& c) {
        const Tensor& x = c.input(0);
        std::vector<int64_t> dims, strides;
        depth_space_view(ToSpace, crd, bs, x.shape(), dims, strides);
        strided_copy(x.raw(), c.out[0]->raw(), dtype_size(x.dtype()), dims, strides, 0);
    };
}

inline void register_depth_space_ops(Registry& r) {
    r.add(OpDef{"DepthToSpace", nullptr, depth_space_infer<true>, depth_space_prepare<true>, 1});
    r.add(OpDef{"SpaceToDepth", nullptr, depth_space_infer<false>, depth_space_prepare<false>, 1});
}

}  // namespace shape_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_SHAPE_DEPTH_SPACE_HPP_
