// NonMaxSuppression (opset 10, 11): per batch and class, boxes with a score above score_threshold
// (every box when it is absent) taken greedily by decreasing score (ties: lower box index first),
// each kept unless its IoU with a box already kept exceeds iou_threshold, at most
// max_output_boxes_per_class of them (0 or absent: none). Output: int64 [selected, 3] rows
// (batch, class, box), batch by batch, class by class, in selection order, as ONNX's reference.
// Boxes are [y1, x1, y2, x2] with corners in any order (center_point_box 0) or [x_center,
// y_center, width, height] (1). The selection count sets the output shape, so every input must be
// a constant (like NonZero); the kernel recomputes the selection and checks its size.
#ifndef MUTINY_OPS_TENSOR_NMS_HPP_
#define MUTINY_OPS_TENSOR_NMS_HPP_

#include <algorithm>
#include <string>
#include <vector>

#include "../common.hpp"

namespace mutiny {
namespace tensor_ops {

struct NmsParams {
    int64_t max_out = 0;
    double iou = 0;
    bool has_score = false;
    double score = 0;
    bool center = false;
};

// IoU of boxes a and b (4 values each) above `th`, in ONNX's reference's order of operations.
// C is the boxes' arithmetic type (float for f32 and f16, double for f64), as numpy computes it.
template <class C>
bool nms_suppress(const C* a, const C* b, bool center, C th) {
    C ax0, ax1, ay0, ay1, bx0, bx1, by0, by1;
    if (!center) {
        ax0 = std::min(a[1], a[3]), ax1 = std::max(a[1], a[3]), ay0 = std::min(a[0], a[2]), ay1 = std::max(a[0], a[2]);
        bx0 = std::min(b[1], b[3]), bx1 = std::max(b[1], b[3]), by0 = std::min(b[0], b[2]), by1 = std::max(b[0], b[2]);
    } else {
        ax0 = a[0] - a[2] / 2, ax1 = a[0] + a[2] / 2, ay0 = a[1] - a[3] / 2, ay1 = a[1] + a[3] / 2;
        bx0 = b[0] - b[2] / 2, bx1 = b[0] + b[2] / 2, by0 = b[1] - b[3] / 2, by1 = b[1] + b[3] / 2;
    }
    const C ix0 = std::max(ax0, bx0), ix1 = std::min(ax1, bx1), iy0 = std::max(ay0, by0), iy1 = std::min(ay1, by1);
    if (ix1 <= ix0 || iy1 <= iy0) return false;
    const C inter = (ix1 - ix0) * (iy1 - iy0);
    if (inter <= 0) return false;
    const C area_a = (ax1 - ax0) * (ay1 - ay0), area_b = (bx1 - bx0) * (by1 - by0);
    const C uni = area_a + area_b - inter;
    if (area_a <= 0 || area_b <= 0 || uni <= 0) return false;
    return inter / uni > th;
}

template <class C>
std::vector<int64_t> nms_select_as(const Tensor& boxes, const Tensor& scores, const NmsParams& p) {
    const int64_t nb = boxes.shape()[0], nbox = boxes.shape()[1], ncls = scores.shape()[1];
    std::vector<C> bx(static_cast<size_t>(boxes.numel())), sc(static_cast<size_t>(scores.numel()));
    for (int64_t i = 0; i < boxes.numel(); ++i) bx[static_cast<size_t>(i)] = static_cast<C>(boxes.get_f64(i));
    for (int64_t i = 0; i < scores.numel(); ++i) sc[static_cast<size_t>(i)] = static_cast<C>(scores.get_f64(i));
    std::vector<int64_t> out;
    std::vector<int64_t> cand, kept;
    for (int64_t b = 0; b < nb; ++b)
        for (int64_t c = 0; c < ncls; ++c) {
            const C* s = sc.data() + (b * ncls + c) * nbox;
            const C* bb = bx.data() + b * nbox * 4;
            cand.clear();
            kept.clear();
            for (int64_t i = 0; i < nbox; ++i)
                if (!p.has_score || s[i] > static_cast<C>(p.score)) cand.push_back(i);
            std::stable_sort(cand.begin(), cand.end(), [&](int64_t x, int64_t y) { return s[x] > s[y]; });
            for (const int64_t i : cand) {
                if (static_cast<int64_t>(kept.size()) >= p.max_out) break;
                bool keep = true;
                for (const int64_t k : kept)
                    if (nms_suppress<C>(bb + i * 4, bb + k * 4, p.center, static_cast<C>(p.iou))) {
                        keep = false;
                        break;
                    }
                if (!keep) continue;
                kept.push_back(i);
                out.insert(out.end(), {b, c, i});
            }
        }
    return out;
}

inline std::vector<int64_t> nms_select(const Tensor& boxes, const Tensor& scores, const NmsParams& p) {
    return boxes.dtype() == DType::f64 ? nms_select_as<double>(boxes, scores, p) : nms_select_as<float>(boxes, scores, p);
}

inline NmsParams nms_params(const Attributes& a, const std::vector<const Tensor*>& in, const std::string& where) {
    NmsParams p;
    const int64_t cpb = a.get_int("center_point_box", 0);
    if (cpb != 0 && cpb != 1) throw Error("attribute 'center_point_box' out of range", where, std::to_string(cpb) + " given; 0 or 1");
    p.center = cpb == 1;
    auto scalar = [&](size_t i, const char* what) -> const Tensor* {
        if (i >= in.size() || !in[i]) return nullptr;
        const Tensor& t = *in[i];
        if (t.numel() != 1 || t.shape().rank() > 1) throw Error(std::string(what) + " must hold one element", where, "it has shape " + t.shape().str());
        return &t;
    };
    if (const Tensor* t = scalar(2, "NonMaxSuppression max_output_boxes_per_class")) {
        if (t->dtype() != DType::i64)
            throw Error("unsupported NonMaxSuppression max_output_boxes_per_class dtype", where, std::string(dtype_name(t->dtype())) + "; int64 is required");
        p.max_out = std::max<int64_t>(0, t->get_i64(0));
    }
    if (const Tensor* t = scalar(3, "NonMaxSuppression iou_threshold")) {
        p.iou = t->get_f64(0);
        if (!(p.iou >= 0 && p.iou <= 1)) throw Error("NonMaxSuppression iou_threshold out of range", where, std::to_string(p.iou) + " given; [0, 1] is required");
    }
    if (const Tensor* t = scalar(4, "NonMaxSuppression score_threshold")) {
        p.has_score = true;
        p.score = t->get_f64(0);
    }
    return p;
}

inline void register_nms(Registry& r) {
    r.add(OpDef{
        "NonMaxSuppression", nullptr,
        [](InferContext& c) {
            c.expect_inputs(2, 5);
            const Shape &bs = c.shape(0), &ss = c.shape(1);
            if (bs.rank() != 3 || bs[2] != 4)
                c.fail("NonMaxSuppression boxes must have shape [batches, boxes, 4]", "boxes has shape " + bs.str());
            if (ss.rank() != 3 || ss[0] != bs[0] || ss[2] != bs[1])
                c.fail("NonMaxSuppression scores must have shape [batches, classes, boxes]",
                       "scores has shape " + ss.str() + " for boxes of shape " + bs.str());
            for (size_t i : {size_t(0), size_t(1), size_t(3), size_t(4)})
                if (c.has_input(i)) c.expect_float(i);
            if (c.dtype(0) != c.dtype(1)) c.fail("NonMaxSuppression boxes and scores dtypes differ", std::string(dtype_name(c.dtype(0))) + " and " + dtype_name(c.dtype(1)));
            std::vector<const Tensor*> in;
            for (size_t i = 0; i < 5; ++i) {
                const char* names[] = {"NonMaxSuppression boxes", "NonMaxSuppression scores", "NonMaxSuppression max_output_boxes_per_class",
                                       "NonMaxSuppression iou_threshold", "NonMaxSuppression score_threshold"};
                in.push_back(c.has_input(i) ? &c.require_constant(i, names[i]) : nullptr);
            }
            const NmsParams p = nms_params(c.attrs(), in, c.where());
            c.set_output(0, DType::i64, Shape{static_cast<int64_t>(nms_select(*in[0], *in[1], p).size() / 3), 3});
        },
        [](const PrepareContext&) -> Kernel {
            return [](ExecContext& c) {
                std::vector<const Tensor*> in;
                for (size_t i = 0; i < 5; ++i) in.push_back(c.has(i) ? &c.input(i) : nullptr);
                const std::vector<int64_t> sel = nms_select(c.input(0), c.input(1), nms_params(c.node->attrs, in, Graph::where(*c.node)));
                Tensor& y = *c.out[0];
                if (static_cast<int64_t>(sel.size()) != y.numel())
                    throw Error("NonMaxSuppression inputs changed after inference", Graph::where(*c.node),
                                "the output was sized for " + std::to_string(y.shape()[0]) + " boxes, " + std::to_string(sel.size() / 3) + " selected");
                std::copy(sel.begin(), sel.end(), y.data<int64_t>());
            };
        },
        10});
}

}  // namespace tensor_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_TENSOR_NMS_HPP_
