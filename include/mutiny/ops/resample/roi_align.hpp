// RoiAlign (opsets 10, 16): for each region of interest rois[i] = (x1, y1, x2, y2) of image
// batch_indices[i] in X [N, C, H, W], an [output_height, output_width] grid of bins, each the
// average (mode avg) or maximum (mode max) of sampling_ratio^2 bilinear samples (sampling_ratio 0:
// ceil(roi size / bins) per axis). coordinate_transformation_mode half_pixel (opset 16's default)
// shifts the roi by -0.5 pixel; output_half_pixel (opset 10's behaviour, set by import) does not
// and makes the roi at least 1 pixel wide.
//
// Arithmetic follows ONNX's reference (onnx/reference/ops/op_roi_align.py) and onnxruntime in the
// compute type (float for f32 and f16), operation by operation: sample positions, bilinear weights,
// samples outside [-1, H] x [-1, W] count as 0, and max mode takes the maximum of the four weighted
// corners of each sample (the reference's and onnxruntime's definition). One chunk computes each
// output element.
#ifndef MUTINY_OPS_RESAMPLE_ROI_ALIGN_HPP_
#define MUTINY_OPS_RESAMPLE_ROI_ALIGN_HPP_

#include <cmath>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"

namespace mutiny {
namespace resample {

struct RoiAttrs {
    bool max = false;
    bool half_pixel = true;
    int64_t out_h = 1, out_w = 1, sampling = 0;
    double spatial_scale = 1.0;
};

inline RoiAttrs roi_attrs(const Attributes& a, const std::string& where) {
    RoiAttrs r;
    const std::string m = a.get_string("mode", "avg");
    if (m != "avg" && m != "max") throw Error("unknown RoiAlign mode '" + m + "'", where, "expected avg or max");
    r.max = m == "max";
    const std::string c = a.get_string("coordinate_transformation_mode", "half_pixel");
    if (c != "half_pixel" && c != "output_half_pixel")
        throw Error("unknown RoiAlign coordinate_transformation_mode '" + c + "'", where, "expected half_pixel or output_half_pixel");
    r.half_pixel = c == "half_pixel";
    r.out_h = a.get_int("output_height", 1);
    r.out_w = a.get_int("output_width", 1);
    r.sampling = a.get_int("sampling_ratio", 0);
    r.spatial_scale = a.get_float("spatial_scale", 1.0);
    if (r.out_h < 1 || r.out_w < 1)
        throw Error("RoiAlign output size out of range", where,
                    "output_height " + std::to_string(r.out_h) + ", output_width " + std::to_string(r.out_w) + "; both must be >= 1");
    if (r.sampling < 0) throw Error("RoiAlign sampling_ratio out of range", where, std::to_string(r.sampling) + " given; it must be >= 0");
    if (!std::isfinite(r.spatial_scale)) throw Error("RoiAlign spatial_scale out of range", where, "it must be finite");
    return r;
}

// One bilinear sample: four input offsets and weights (all 0 outside the map).
template <class C>
struct RoiSample {
    int64_t p[4];
    C w[4];
};

template <class C>
inline RoiSample<C> roi_sample(C y, C x, int64_t height, int64_t width) {
    RoiSample<C> s{};
    if (y < C(-1) || y > C(height) || x < C(-1) || x > C(width)) return s;
    if (y < C(0)) y = C(0);
    if (x < C(0)) x = C(0);
    int64_t yl = static_cast<int64_t>(y), xl = static_cast<int64_t>(x), yh, xh;
    if (yl >= height - 1) {
        yh = yl = height - 1;
        y = C(yl);
    } else {
        yh = yl + 1;
    }
    if (xl >= width - 1) {
        xh = xl = width - 1;
        x = C(xl);
    } else {
        xh = xl + 1;
    }
    const C ly = y - C(yl), lx = x - C(xl), hy = C(1) - ly, hx = C(1) - lx;
    s.p[0] = yl * width + xl;
    s.p[1] = yl * width + xh;
    s.p[2] = yh * width + xl;
    s.p[3] = yh * width + xh;
    s.w[0] = hy * hx;
    s.w[1] = hy * lx;
    s.w[2] = ly * hx;
    s.w[3] = ly * lx;
    return s;
}

template <class T>
void run_roi_align(const RoiAttrs& at, const Shape& xs, const T* x, const T* rois, const std::vector<int64_t>& batch, T* y,
                   const std::string& where) {
    using C = compute_t<T>;
    const int64_t n_img = xs[0], channels = xs[1], height = xs[2], width = xs[3];
    const int64_t n_rois = static_cast<int64_t>(batch.size()), bins = at.out_h * at.out_w;
    for (size_t i = 0; i < batch.size(); ++i)
        if (batch[i] < 0 || batch[i] >= n_img)
            throw Error("RoiAlign batch index out of range", where,
                        "batch_indices[" + std::to_string(i) + "] = " + std::to_string(batch[i]) + " for " + std::to_string(n_img) + " images");
    // Per roi: the samples of every bin (shared by its channels) and the divisor.
    std::vector<std::vector<RoiSample<C>>> samples(static_cast<size_t>(n_rois));
    std::vector<int64_t> grid_h(static_cast<size_t>(n_rois)), grid_w(static_cast<size_t>(n_rois));
    const C scale = static_cast<C>(at.spatial_scale), offset = at.half_pixel ? C(0.5) : C(0);
    for (int64_t n = 0; n < n_rois; ++n) {
        const T* r = rois + n * 4;
        const C x1 = load(r[0]) * scale - offset, y1 = load(r[1]) * scale - offset;
        const C x2 = load(r[2]) * scale - offset, y2 = load(r[3]) * scale - offset;
        C rw = x2 - x1, rh = y2 - y1;
        if (!at.half_pixel) {
            rw = std::max(rw, C(1));
            rh = std::max(rh, C(1));
        }
        const C bin_h = rh / C(at.out_h), bin_w = rw / C(at.out_w);
        const int64_t gh = at.sampling > 0 ? at.sampling : static_cast<int64_t>(std::ceil(rh / C(at.out_h)));
        const int64_t gw = at.sampling > 0 ? at.sampling : static_cast<int64_t>(std::ceil(rw / C(at.out_w)));
        const size_t u = static_cast<size_t>(n);
        grid_h[u] = gh;
        grid_w[u] = gw;
        auto& sv = samples[u];
        for (int64_t ph = 0; ph < at.out_h; ++ph)
            for (int64_t pw = 0; pw < at.out_w; ++pw)
                for (int64_t iy = 0; iy < gh; ++iy) {
                    const C yy = y1 + C(ph) * bin_h + C(C(iy) + C(0.5)) * bin_h / C(gh);
                    for (int64_t ix = 0; ix < gw; ++ix) {
                        const C xx = x1 + C(pw) * bin_w + C(C(ix) + C(0.5)) * bin_w / C(gw);
                        sv.push_back(roi_sample<C>(yy, xx, height, width));
                    }
                }
    }
    const int64_t planes = n_rois * channels;
    parallel_chunks(planes, grain_for(planes, bins * 16 + 1), [&](int64_t pb, int64_t pe) {
        for (int64_t plane = pb; plane < pe; ++plane) {
            const size_t n = static_cast<size_t>(plane / channels);
            const int64_t ch = plane % channels;
            const T* xp = x + (batch[n] * channels + ch) * height * width;
            const int64_t per_bin = grid_h[n] * grid_w[n];
            const C count = C(std::max<int64_t>(per_bin, 1));
            const RoiSample<C>* s = samples[n].data();
            T* yp = y + plane * bins;
            for (int64_t b = 0; b < bins; ++b, s += per_bin) {
                C out = C(0);
                for (int64_t j = 0; j < per_bin; ++j) {
                    const RoiSample<C>& q = s[j];
                    const C v0 = q.w[0] * load(xp[q.p[0]]), v1 = q.w[1] * load(xp[q.p[1]]);
                    const C v2 = q.w[2] * load(xp[q.p[2]]), v3 = q.w[3] * load(xp[q.p[3]]);
                    if (at.max) {
                        const C v = std::max(std::max(std::max(v0, v1), v2), v3);
                        out = j == 0 ? v : std::max(out, v);
                    } else {
                        out += v0 + v1 + v2 + v3;
                    }
                }
                if (!at.max) out /= count;
                yp[b] = store_as<T>(out);
            }
        }
    });
}

inline void register_roi_align(Registry& r) {
    r.add(OpDef{"RoiAlign",
                [](ImportContext& ic) {
                    // Opset 10 had no coordinate_transformation_mode and behaved as output_half_pixel.
                    if (ic.opset < 16 && !ic.node->attrs.has("coordinate_transformation_mode"))
                        ic.node->attrs.set_string("coordinate_transformation_mode", "output_half_pixel");
                },
                [](InferContext& c) {
                    c.expect_inputs(3, 3);
                    const RoiAttrs at = roi_attrs(c.attrs(), c.where());
                    c.expect_float(0);
                    const Shape &xs = c.shape(0), &rs = c.shape(1), &bs = c.shape(2);
                    if (xs.rank() != 4) c.fail("RoiAlign input must be 4-D", "X has shape " + xs.str() + "; [N, C, H, W] expected");
                    if (c.dtype(1) != c.dtype(0))
                        c.fail("RoiAlign rois have the wrong dtype", std::string("rois are ") + dtype_name(c.dtype(1)) + ", X is " + dtype_name(c.dtype(0)));
                    if (rs.rank() != 2 || rs[1] != 4)
                        c.fail("RoiAlign rois have the wrong shape", "rois " + rs.str() + "; [num_rois, 4] expected");
                    if (c.dtype(2) != DType::i64)
                        c.fail("RoiAlign batch_indices must be int64", std::string("they are ") + dtype_name(c.dtype(2)));
                    if (bs.rank() != 1 || bs[0] != rs[0])
                        c.fail("RoiAlign batch_indices have the wrong shape", "batch_indices " + bs.str() + " for rois " + rs.str() + "; [num_rois] expected");
                    c.set_output(0, c.dtype(0), Shape{rs[0], xs[1], at.out_h, at.out_w});
                },
                [](const PrepareContext& pc) -> Kernel {
                    const RoiAttrs at = roi_attrs(pc.attrs(), pc.where());
                    const std::string where = pc.where();
                    return [at, where](ExecContext& c) {
                        const Tensor& x = c.input(0);
                        const std::vector<int64_t> batch = c.input(2).to_i64_vector();
                        dispatch_dtype(x.dtype(), [&](auto tag) {
                            using T = decltype(tag);
                            if constexpr (std::is_floating_point_v<T> || std::is_same_v<T, half>)
                                run_roi_align<T>(at, x.shape(), static_cast<const T*>(x.raw()), static_cast<const T*>(c.input(1).raw()), batch,
                                                 static_cast<T*>(c.out[0]->raw()), where);
                        });
                    };
                },
                10});
}

}  // namespace resample
}  // namespace mutiny

#endif  // MUTINY_OPS_RESAMPLE_ROI_ALIGN_HPP_
