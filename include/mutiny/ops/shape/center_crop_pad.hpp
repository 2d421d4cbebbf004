// CenterCropPad (opset 18): each listed axis (attribute `axes`, default all) is centre-cropped or
// zero-padded to the length the constant `shape` input gives. As in ONNX's reference, an odd
// difference puts the extra element at the end: cropping 7 to 4 keeps [1, 5), padding 4 to 7
// writes the input at [1, 5). That is Pad with constant 0 and, per axis, a begin pad of
// trunc((target - length) / 2) (negative: crop) and the rest at the end, so Pad's copy runs it.
#ifndef MUTINY_OPS_SHAPE_CENTER_CROP_PAD_HPP_
#define MUTINY_OPS_SHAPE_CENTER_CROP_PAD_HPP_

#include <string>
#include <vector>

#include "../common.hpp"
#include "copy.hpp"
#include "pad.hpp"

namespace mutiny {
namespace shape_ops {

// Pad's begin/end pads for every axis of x.
inline std::vector<int64_t> center_crop_pads(const Shape& x, const std::vector<int64_t>& target, const Attributes& a, const std::string& where) {
    const size_t r = x.rank();
    std::vector<int64_t> axes;
    if (a.has("axes")) {
        axes = a.get_ints("axes");
    } else {
        for (size_t i = 0; i < r; ++i) axes.push_back(static_cast<int64_t>(i));
    }
    if (target.size() != axes.size())
        throw Error("CenterCropPad shape has the wrong length", where,
                    list_str(target) + " for " + std::to_string(axes.size()) + " axes of input " + x.str());
    std::vector<int64_t> full(2 * r, 0);
    std::vector<char> seen(r, 0);
    for (size_t i = 0; i < axes.size(); ++i) {
        const size_t ax = static_cast<size_t>(normalize_axis(axes[i], static_cast<int64_t>(r), where));
        if (seen[ax]) throw Error("CenterCropPad axes repeat an axis", where, "axes " + list_str(axes));
        seen[ax] = 1;
        if (target[i] < 0) throw Error("CenterCropPad shape is negative", where, "shape " + list_str(target));
        const int64_t d = target[i] - x[ax];
        full[ax] = d / 2;  // truncates toward zero: the odd element goes to the end either way
        full[r + ax] = d - d / 2;
    }
    return full;
}

inline void register_center_crop_pad(Registry& r) {
    r.add(OpDef{"CenterCropPad", nullptr,
                [](InferContext& c) {
                    c.expect_inputs(2, 2);
                    const auto full = center_crop_pads(c.shape(0), int_list(c, 1, "CenterCropPad shape"), c.attrs(), c.where());
                    c.set_output(0, c.dtype(0), pad_output(c.shape(0), full, PadMode::constant, c.where()));
                },
                [](const PrepareContext& pc) -> Kernel {
                    const std::string where = pc.where();
                    return [where](ExecContext& c) {
                        const Tensor& x = c.input(0);
                        pad_copy(x, *c.out[0], center_crop_pads(x.shape(), tensor_ints(c.input(1)), c.node->attrs, where), PadMode::constant, 0);
                    };
                },
                18});
}

}  // namespace shape_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_SHAPE_CENTER_CROP_PAD_HPP_
