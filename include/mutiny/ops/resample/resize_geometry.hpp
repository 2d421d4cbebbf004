// Resize's geometry: its attributes, the output shape from constant scales or sizes, and for every
// resized axis the taps of each output index (input indices and weights), shared by the CPU kernel
// and the OpenCL kernel (which reads the same tables, so both sum the same terms).
//
// Semantics are those of ONNX's reference implementation (onnx/reference/ops/op_resize.py), the
// oracle the node tests were generated with, where the operator text leaves room:
//  * scales give out = floor(in * scale) (the product in double; roi does not enter, as in the
//    reference and onnxruntime); sizes give scale = out / in, and keep_aspect_ratio_policy
//    not_larger / not_smaller one scale for every listed axis with out = round_half_up(scale * in);
//  * the coordinate transformations use output_width = scale * in (a real number), as the reference
//    does (align_corners divides by output_width - 1, not by the integer size minus one);
//  * a source coordinate x has its base b = floor(x) and ratio x - b, except that an integral x has
//    b = x - 1 and ratio 1 (the reference prefers the left pixel); taps are b + i for the filter's
//    offsets i, clamped to the input (edge padding), their weights from the ratio;
//  * antialias (linear, cubic) stretches the filter by 1 / min(scale, 1) and normalises it; it is
//    ignored for nearest, as the operator text says;
//  * an axis whose size and scale do not change (and whose roi is [0, 1]) is copied, not filtered.
// Upsample (opsets 7, 9) and Resize-10 are imported as Resize with asymmetric coordinates and the
// nearest rounding onnxruntime uses for them ("simple": floor when upsampling, ceil when
// downsampling), which is Mutiny's own nearest_mode value for those imports.
#ifndef MUTINY_OPS_RESAMPLE_RESIZE_GEOMETRY_HPP_
#define MUTINY_OPS_RESAMPLE_RESIZE_GEOMETRY_HPP_

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "../common.hpp"

namespace mutiny {
namespace resample {

enum class Mode { nearest, linear, cubic };
enum class Coord { half_pixel, half_pixel_symmetric, pytorch_half_pixel, align_corners, asymmetric, tf_crop_and_resize, tf_half_pixel_for_nn };
enum class Nearest { round_prefer_floor, round_prefer_ceil, floor, ceil, simple };
enum class Aspect { stretch, not_larger, not_smaller };

struct ResizeAttrs {
    Mode mode = Mode::nearest;
    Coord coord = Coord::half_pixel;
    Nearest nearest = Nearest::round_prefer_floor;
    Aspect aspect = Aspect::stretch;
    double cubic_a = -0.75;
    double extrapolation = 0.0;
    bool exclude_outside = false;
    bool antialias = false;
    bool has_axes = false;
    std::vector<int64_t> axes;  // as given (normalised by resize_geometry)
};

// A string attribute that must be one of `names`; its index in that list.
inline size_t pick(const Attributes& a, const char* attr, const char* def, const std::vector<const char*>& names, const std::string& where) {
    const std::string v = a.get_string(attr, def);
    std::string all;
    for (size_t i = 0; i < names.size(); ++i) {
        if (v == names[i]) return i;
        all += std::string(i ? (i + 1 == names.size() ? " or " : ", ") : "") + names[i];
    }
    throw Error("unknown Resize " + std::string(attr) + " '" + v + "'", where, "expected " + all);
}

inline ResizeAttrs resize_attrs(const Attributes& a, const std::string& where) {
    ResizeAttrs r;
    r.mode = static_cast<Mode>(pick(a, "mode", "nearest", {"nearest", "linear", "cubic"}, where));
    r.coord = static_cast<Coord>(pick(a, "coordinate_transformation_mode", "half_pixel",
                                      {"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric",
                                       "tf_crop_and_resize", "tf_half_pixel_for_nn"},
                                      where));
    r.nearest = static_cast<Nearest>(pick(a, "nearest_mode", "round_prefer_floor", {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil", "simple"}, where));
    r.aspect = static_cast<Aspect>(pick(a, "keep_aspect_ratio_policy", "stretch", {"stretch", "not_larger", "not_smaller"}, where));
    r.cubic_a = a.get_float("cubic_coeff_a", -0.75);
    r.extrapolation = a.get_float("extrapolation_value", 0.0);
    for (const char* flag : {"exclude_outside", "antialias"}) {
        const int64_t v = a.get_int(flag, 0);
        if (v != 0 && v != 1) throw Error(std::string("Resize ") + flag + " out of range", where, std::to_string(v) + " given, 0 or 1 expected");
    }
    r.exclude_outside = a.get_int("exclude_outside", 0) != 0;
    r.antialias = a.get_int("antialias", 0) != 0;
    r.has_axes = a.has("axes");
    if (r.has_axes) r.axes = a.get_ints("axes");
    return r;
}

// One of Resize's optional inputs roi (1), scales (2), sizes (3) as the node has it: an empty
// tensor counts as absent (opset 11 requires roi and scales and passes empty ones).
struct ResizeInput {
    bool given = false;
    DType dtype = DType::f32;
    Shape shape;
    const Tensor* value = nullptr;  // null when only known at run time
};

// The output shape and the per-axis scale and roi of one node.
struct ResizeGeometry {
    std::vector<int64_t> in, out;
    std::vector<double> scale, roi_lo, roi_hi;
    std::vector<char> identity;  // the axis is copied unchanged
};

inline ResizeGeometry resize_geometry(const ResizeAttrs& at, const Shape& x, const ResizeInput& roi, const ResizeInput& scales,
                                      const ResizeInput& sizes, const std::string& where) {
    const size_t r = x.rank();
    if (r == 0) throw Error("Resize of a scalar", where, "the input needs at least one axis");
    std::vector<size_t> axes;
    if (at.has_axes) {
        std::vector<char> seen(r, 0);
        for (int64_t a : at.axes) {
            const size_t n = static_cast<size_t>(normalize_axis(a, static_cast<int64_t>(r), where));
            if (seen[n]) throw Error("Resize axes repeat an axis", where, "axis " + std::to_string(a) + " appears twice");
            seen[n] = 1;
            axes.push_back(n);
        }
    } else {
        for (size_t i = 0; i < r; ++i) axes.push_back(i);
    }
    const size_t na = axes.size();
    if (scales.given && sizes.given)
        throw Error("Resize scales and sizes are both given", where, "only one of them may be non-empty");
    if (!scales.given && !sizes.given) throw Error("Resize needs scales or sizes", where, "both are absent or empty");
    const ResizeInput& s = scales.given ? scales : sizes;
    const char* sname = scales.given ? "scales" : "sizes";
    if (scales.given && !dtype_is_float(scales.dtype))
        throw Error("Resize scales must be a float tensor", where, std::string("they are ") + dtype_name(scales.dtype));
    if (sizes.given && sizes.dtype != DType::i64)
        throw Error("Resize sizes must be an int64 tensor", where, std::string("they are ") + dtype_name(sizes.dtype));
    if (s.shape.rank() != 1 || static_cast<size_t>(s.shape[0]) != na)
        throw Error(std::string("Resize ") + sname + " have the wrong length", where,
                    "shape " + s.shape.str() + " for " + std::to_string(na) + (at.has_axes ? " axes" : " axes of input " + x.str()) +
                        " (one value per resized axis)");
    if (roi.given) {
        if (!dtype_is_float(roi.dtype)) throw Error("Resize roi must be a float tensor", where, std::string("it is ") + dtype_name(roi.dtype));
        if (roi.shape.rank() != 1 || static_cast<size_t>(roi.shape[0]) != 2 * na)
            throw Error("Resize roi has the wrong length", where,
                        "shape " + roi.shape.str() + " for " + std::to_string(na) + " resized axes (a start and an end per axis: " +
                            std::to_string(2 * na) + " values)");
    }
    if (!s.value)
        throw ValueDependentShape(std::string("Resize ") + sname + " must be a constant", where,
                                  std::string("the output shape follows from ") + sname + ", which is computed at run time");
    const bool crop = at.coord == Coord::tf_crop_and_resize;
    if (crop && !roi.given) throw Error("Resize tf_crop_and_resize needs roi", where, "roi is absent or empty");
    if (crop && !roi.value) throw ValueDependentShape("Resize roi must be a constant", where, "tf_crop_and_resize's roi is computed at run time");

    ResizeGeometry g;
    g.in = x.dims();
    g.out = g.in;
    g.scale.assign(r, 1.0);
    g.roi_lo.assign(r, 0.0);
    g.roi_hi.assign(r, 1.0);
    for (size_t i = 0; i < na; ++i)
        if (g.in[axes[i]] == 0) throw Error("Resize of an empty axis", where, "axis " + std::to_string(axes[i]) + " of input " + x.str() + " has size 0");
    if (scales.given) {
        for (size_t i = 0; i < na; ++i) {
            const double v = s.value->get_f64(static_cast<int64_t>(i));
            if (!(v > 0) || !std::isfinite(v))
                throw Error("Resize scale is not positive", where, "scales[" + std::to_string(i) + "] = " + std::to_string(v) + "; scales must be finite and > 0");
            const size_t a = axes[i];
            g.scale[a] = v;
            // Checked in double first: converting a product beyond int64 to an integer is undefined.
            const double o = std::floor(v * static_cast<double>(g.in[a]));
            if (o > static_cast<double>(kMaxExtent))
                throw Error("Resize output size overflows", where,
                            "scales[" + std::to_string(i) + "] = " + std::to_string(v) + " times " + std::to_string(g.in[a]) +
                                " is more than 2^40 = " + std::to_string(kMaxExtent));
            g.out[a] = static_cast<int64_t>(o);
        }
    } else {
        std::vector<int64_t> sz(na);
        for (size_t i = 0; i < na; ++i) {
            sz[i] = s.value->get_i64(static_cast<int64_t>(i));
            if (sz[i] < 0) throw Error("Resize size is negative", where, "sizes[" + std::to_string(i) + "] = " + std::to_string(sz[i]));
            checked::extent(sz[i], "Resize sizes[" + std::to_string(i) + "]", where);
            g.scale[axes[i]] = static_cast<double>(sz[i]) / static_cast<double>(g.in[axes[i]]);
            g.out[axes[i]] = sz[i];
        }
        if (at.aspect != Aspect::stretch) {
            double k = g.scale[axes[0]];
            for (size_t a : axes) k = at.aspect == Aspect::not_larger ? std::min(k, g.scale[a]) : std::max(k, g.scale[a]);
            for (size_t a : axes) {
                g.scale[a] = k;
                const double o = k * static_cast<double>(g.in[a]) + 0.5;
                if (o > static_cast<double>(kMaxExtent))
                    throw Error("Resize output size overflows", where,
                                "scale " + std::to_string(k) + " times " + std::to_string(g.in[a]) + " is more than 2^40 = " + std::to_string(kMaxExtent));
                g.out[a] = static_cast<int64_t>(o);
            }
        }
    }
    if (roi.value)
        for (size_t i = 0; i < na; ++i) {
            g.roi_lo[axes[i]] = roi.value->get_f64(static_cast<int64_t>(i));
            g.roi_hi[axes[i]] = roi.value->get_f64(static_cast<int64_t>(na + i));
        }
    g.identity.assign(r, 0);
    for (size_t a = 0; a < r; ++a) {
        const bool same = g.out[a] == g.in[a] && std::fabs(g.scale[a] - 1.0) <= 1e-9;
        const bool full_roi = !roi.value || (g.roi_lo[a] == 0.0 && std::fabs(g.roi_hi[a] - 1.0) <= 1e-9);
        g.identity[a] = same && full_roi;
    }
    return g;
}

// The taps of one axis: for output index o, `taps` input indices idx[o * taps + k] (clamped to the
// input) with weights w[o * taps + k]; extrap[o] marks outputs that take extrapolation_value
// (tf_crop_and_resize outside the input).
struct AxisTaps {
    int64_t taps = 1;
    std::vector<int64_t> idx;
    std::vector<double> w;
    std::vector<char> extrap;
};

// The source coordinate of output index y along an axis (the reference's formulas, in double).
inline double source_coord(Coord c, double y, double scale, int64_t in_i, int64_t out_i, double roi_lo, double roi_hi) {
    const double in = static_cast<double>(in_i), out_w = scale * in;
    switch (c) {
        case Coord::align_corners: return out_w == 1 ? 0.0 : y * (in - 1) / (out_w - 1);
        case Coord::asymmetric: return y / scale;
        case Coord::tf_crop_and_resize:
            return (out_w == 1 ? (roi_hi - roi_lo) * (in - 1) / 2 : y * (roi_hi - roi_lo) * (in - 1) / (out_w - 1)) + roi_lo * (in - 1);
        case Coord::pytorch_half_pixel: return out_w == 1 ? -0.5 : (y + 0.5) / scale - 0.5;
        case Coord::half_pixel: return (y + 0.5) / scale - 0.5;
        case Coord::half_pixel_symmetric: {
            const double adjustment = static_cast<double>(out_i) / out_w;
            const double offset = in / 2 * (1 - adjustment);
            return offset + (y + 0.5) / scale - 0.5;
        }
        case Coord::tf_half_pixel_for_nn: return (y + 0.5) / scale;
    }
    return y;
}

// Keys' cubic convolution kernel with parameter A at distance d (antialias filter).
inline double cubic_kernel(double d, double A) {
    const double x = std::fabs(d), x2 = x * x, x3 = x * x2;
    if (x <= 1) return (A + 2) * x3 - (A + 3) * x2 + 1;
    if (x < 2) return A * x3 - 5 * A * x2 + 8 * A * x - 4 * A;
    return 0.0;
}

inline AxisTaps axis_taps(const ResizeAttrs& at, const ResizeGeometry& g, size_t axis) {
    AxisTaps t;
    const int64_t in = g.in[axis], out = g.out[axis];
    t.extrap.assign(static_cast<size_t>(out), 0);
    if (g.identity[axis]) {
        for (int64_t o = 0; o < out; ++o) {
            t.idx.push_back(o);
            t.w.push_back(1.0);
        }
        return t;
    }
    const double scale = g.scale[axis], s = std::min(scale, 1.0);
    const bool aa = at.antialias && at.mode != Mode::nearest;
    // First filter offset and tap count, fixed per axis.
    int64_t first = 0;
    if (at.mode == Mode::nearest) t.taps = 1;
    else if (!aa) first = at.mode == Mode::linear ? 0 : -1;
    else first = static_cast<int64_t>(std::floor((at.mode == Mode::linear ? -1.0 : -2.0) / s)) + 1;
    if (at.mode != Mode::nearest) t.taps = 2 - 2 * first;
    const double A = at.cubic_a;
    std::vector<double> w(static_cast<size_t>(t.taps));
    for (int64_t o = 0; o < out; ++o) {
        const double x = source_coord(at.coord, static_cast<double>(o), scale, in, out, g.roi_lo[axis], g.roi_hi[axis]);
        if (at.coord == Coord::tf_crop_and_resize && (x < 0 || x > static_cast<double>(in - 1))) t.extrap[static_cast<size_t>(o)] = 1;
        const double fl = std::floor(x);
        const bool integral = x == fl;
        const int64_t b = static_cast<int64_t>(fl) - (integral ? 1 : 0);
        const double ratio = integral ? 1.0 : x - fl;
        if (at.mode == Mode::nearest) {
            bool right = true;  // b + 1, else b
            if (!integral) switch (at.nearest) {
                    case Nearest::round_prefer_floor: right = ratio > 0.5; break;
                    case Nearest::round_prefer_ceil: right = ratio >= 0.5; break;
                    case Nearest::floor: right = false; break;
                    case Nearest::ceil: right = true; break;
                    case Nearest::simple: right = scale < 1; break;
                }
            const int64_t i = b + (right ? 1 : 0);
            t.idx.push_back(std::min(std::max<int64_t>(i, 0), in - 1));
            t.w.push_back(1.0);
            continue;
        }
        if (!aa && at.mode == Mode::linear) {
            w[0] = 1 - ratio;
            w[1] = ratio;
        } else if (!aa) {  // the reference's expressions, term by term
            w[0] = ((A * (ratio + 1) - 5 * A) * (ratio + 1) + 8 * A) * (ratio + 1) - 4 * A;
            w[1] = ((A + 2) * ratio - (A + 3)) * ratio * ratio + 1;
            w[2] = ((A + 2) * (1 - ratio) - (A + 3)) * (1 - ratio) * (1 - ratio) + 1;
            w[3] = ((A * ((1 - ratio) + 1) - 5 * A) * ((1 - ratio) + 1) + 8 * A) * ((1 - ratio) + 1) - 4 * A;
        } else {
            double sum = 0;
            for (int64_t k = 0; k < t.taps; ++k) {
                const double d = (static_cast<double>(first + k) - ratio) * s;
                double v;
                if (at.mode == Mode::linear) v = std::min(std::max(1 - std::fabs(d), 0.0), 1.0);
                else v = cubic_kernel(s * (static_cast<double>(first + k) - ratio), A);
                w[static_cast<size_t>(k)] = v;
                sum += v;
            }
            for (double& v : w) v /= sum;
        }
        if (at.exclude_outside) {
            double sum = 0;
            for (int64_t k = 0; k < t.taps; ++k) {
                const int64_t i = b + first + k;
                if (i < 0 || i >= in) w[static_cast<size_t>(k)] = 0;
                sum += w[static_cast<size_t>(k)];
            }
            if (sum != 0)
                for (double& v : w) v /= sum;
        }
        for (int64_t k = 0; k < t.taps; ++k) {
            t.idx.push_back(std::min(std::max<int64_t>(b + first + k, 0), in - 1));
            t.w.push_back(w[static_cast<size_t>(k)]);
        }
    }
    return t;
}

}  // namespace resample
}  // namespace mutiny

#endif  // MUTINY_OPS_RESAMPLE_RESIZE_GEOMETRY_HPP_
