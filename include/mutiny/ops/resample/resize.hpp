// Resize (opsets 10 to 19) and Upsample (opsets 7, 9; deprecated, imported as Resize): nearest,
// n-linear and cubic interpolation over any set of axes; geometry and taps in resize_geometry.hpp.
//
// Every output element is the sum, over the product of its axes' taps, of the taps' weights
// (multiplied axis by axis, in double) times the input, summed in double in a fixed order and
// stored once: float types clamped to their finite range, integer types rounded half to even and
// saturated (the reference's saturate_cast). Nearest copies the element (any dtype). The OpenCL
// kernel (kernels/resample.cl) reads the same tap tables and sums the same terms in ACC.
#ifndef MUTINY_OPS_RESAMPLE_RESIZE_HPP_
#define MUTINY_OPS_RESAMPLE_RESIZE_HPP_

#include <cfenv>
#include <cstring>
#include <limits>
#include <memory>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "../shape/copy.hpp"
#include "resize_geometry.hpp"
#if MUTINY_WITH_OPENCL
#include "../../exec/opencl/planner.hpp"
#endif

namespace mutiny {
namespace resample {

constexpr size_t kMaxResizeRank = 8;  // the kernels keep per-axis state in fixed arrays

// Everything a prepared Resize node needs: the taps of every axis and the input strides.
struct ResizePlan {
    ResizeAttrs attrs;
    ResizeGeometry geo;
    std::vector<AxisTaps> axes;
    std::vector<int64_t> in_stride;
    bool copy_only = true;  // every axis has one tap of weight 1 (nearest, or all identity)
};

// Resize's inputs 1..3 as seen by infer or prepare (present, shape, dtype, constant value).
template <class Present, class Type, class Value>
inline ResizeGeometry geometry_from(const ResizeAttrs& at, const Shape& x, Present present, Type type, Value value, const std::string& where) {
    ResizeInput in[4];
    for (size_t i = 1; i < 4; ++i) {
        if (!present(i)) continue;
        const TypeInfo& t = type(i);
        if (t.shape.numel() == 0) continue;  // empty = absent
        in[i] = ResizeInput{true, t.dtype, t.shape, value(i)};
    }
    return resize_geometry(at, x, in[1], in[2], in[3], where);
}

inline ResizePlan resize_plan(const PrepareContext& pc) {
    ResizePlan p;
    p.attrs = resize_attrs(pc.attrs(), pc.where());
    p.geo = geometry_from(
        p.attrs, pc.in[0].shape, [&](size_t i) { return pc.node->input(i) >= 0; }, [&](size_t i) -> const TypeInfo& { return pc.in[i]; },
        [&](size_t i) { return pc.consts[i]; }, pc.where());
    const size_t r = p.geo.in.size();
    p.in_stride.assign(r, 1);
    for (size_t a = r - 1; a > 0; --a) p.in_stride[a - 1] = p.in_stride[a] * p.geo.in[a];
    for (size_t a = 0; a < r; ++a) {
        p.axes.push_back(axis_taps(p.attrs, p.geo, a));
        p.copy_only = p.copy_only && p.axes.back().taps == 1;
    }
    return p;
}

// double -> T as the reference's saturate_cast: floats clamped to their finite range, integers
// rounded half to even (the default rounding mode) and clamped.
template <class T>
inline T resize_store(double v) {
    if constexpr (std::is_same_v<T, half>) {
        return shape_ops::half_from_double(std::min(std::max(v, -65504.0), 65504.0));
    } else if constexpr (std::is_floating_point_v<T>) {
        const double hi = static_cast<double>(std::numeric_limits<T>::max());
        return static_cast<T>(std::min(std::max(v, -hi), hi));
    } else {
        if (std::isnan(v)) return T(0);
        const double r = std::nearbyint(v);
        const double lo = static_cast<double>(std::numeric_limits<T>::lowest()), hi = static_cast<double>(std::numeric_limits<T>::max());
        if (r <= lo) return std::numeric_limits<T>::lowest();
        if (r >= hi) return std::numeric_limits<T>::max();
        return static_cast<T>(r);
    }
}

template <class T>
void run_resize(const ResizePlan& p, const T* x, T* y) {
    const size_t r = p.geo.out.size();
    const int64_t last = p.geo.out[r - 1];
    int64_t rows = 1;
    for (size_t a = 0; a + 1 < r; ++a) rows *= p.geo.out[a];
    int64_t cost = 1;
    for (const auto& t : p.axes) cost *= t.taps;
    const T ext = resize_store<T>(p.attrs.extrapolation);
    parallel_chunks(rows, grain_for(rows, last * (cost + 1)), [&](int64_t rb, int64_t re) {
        int64_t o[kMaxResizeRank], k[kMaxResizeRank];
        for (int64_t row = rb; row < re; ++row) {
            int64_t rem = row;
            bool ext_row = false;
            for (size_t a = r - 1; a-- > 0;) {
                o[a] = rem % p.geo.out[a];
                rem /= p.geo.out[a];
                ext_row = ext_row || p.axes[a].extrap[static_cast<size_t>(o[a])];
            }
            T* yp = y + row * last;
            for (int64_t ol = 0; ol < last; ++ol) {
                o[r - 1] = ol;
                if (ext_row || p.axes[r - 1].extrap[static_cast<size_t>(ol)]) {
                    yp[ol] = ext;
                    continue;
                }
                if (p.copy_only) {
                    int64_t off = 0;
                    for (size_t a = 0; a < r; ++a) off += p.axes[a].idx[static_cast<size_t>(o[a])] * p.in_stride[a];
                    yp[ol] = x[off];
                    continue;
                }
                // The product of the axes' taps, the last axis fastest.
                double acc = 0;
                for (size_t a = 0; a < r; ++a) k[a] = 0;
                while (true) {
                    double w = 1;
                    int64_t off = 0;
                    for (size_t a = 0; a < r; ++a) {
                        const AxisTaps& t = p.axes[a];
                        const size_t j = static_cast<size_t>(o[a] * t.taps + k[a]);
                        off += t.idx[j] * p.in_stride[a];
                        w *= t.w[j];
                    }
                    acc += w * static_cast<double>(load(x[off]));
                    size_t a = r;
                    while (a > 0 && ++k[a - 1] == p.axes[a - 1].taps) k[--a] = 0;
                    if (a == 0) break;
                }
                yp[ol] = resize_store<T>(acc);
            }
        }
    });
}

inline void infer_resize(InferContext& c) {
    c.expect_inputs(1, 4);
    const ResizeAttrs at = resize_attrs(c.attrs(), c.where());
    if (c.dtype(0) == DType::boolean && at.mode != Mode::nearest)
        c.fail("unsupported Resize dtype", "bool input with mode linear or cubic; only nearest copies bool elements");
    if (c.shape(0).rank() > kMaxResizeRank)
        c.fail("unsupported Resize rank", "input has shape " + c.shape(0).str() + "; ranks up to 8 are supported");
    std::vector<TypeInfo> types(4);
    for (size_t i = 1; i < 4; ++i)
        if (c.has_input(i)) types[i] = TypeInfo{c.dtype(i), c.shape(i)};
    const ResizeGeometry g = geometry_from(
        at, c.shape(0), [&](size_t i) { return c.has_input(i); }, [&](size_t i) -> const TypeInfo& { return types[i]; },
        [&](size_t i) { return c.constant(i); }, c.where());
    c.set_output(0, c.dtype(0), Shape(g.out));
}

inline Kernel prepare_resize(const PrepareContext& pc) {
    auto plan = std::make_shared<const ResizePlan>(resize_plan(pc));
    const DType dt = pc.in[0].dtype;
    return [plan, dt](ExecContext& c) {
        const Tensor& x = c.input(0);
        dispatch_dtype(dt, [&](auto tag) {
            using T = decltype(tag);
            run_resize<T>(*plan, static_cast<const T*>(x.raw()), static_cast<T*>(c.out[0]->raw()));
        });
    };
}

// Legacy forms become opset 19's Resize(X, roi, scales, sizes). Resize-10 is (X, scales) with
// asymmetric coordinates; opset 11's tf_half_pixel_for_nn is kept (the kernels implement it).
inline void import_resize(ImportContext& ic) {
    Node& n = *ic.node;
    if (ic.opset < 11) {
        const int scales = n.input(1);
        n.inputs = {n.input(0), -1, scales};
        n.attrs.set_string("coordinate_transformation_mode", "asymmetric");
        n.attrs.set_string("nearest_mode", "simple");
    } else if (n.attrs.get_string("nearest_mode", "") == "simple") {
        throw Error("unknown Resize nearest_mode 'simple'", ic.where(), "expected round_prefer_floor, round_prefer_ceil, floor or ceil");
    }
}

// Upsample-7 has its scales as an attribute, Upsample-9 as input 1; both become Resize.
inline void import_upsample(ImportContext& ic) {
    Node& n = *ic.node;
    if (ic.opset < 7)
        throw Error("unsupported Upsample opset " + std::to_string(ic.opset), ic.where(), "Upsample-1 (experimental height_scale, width_scale) is not implemented; opsets 7 and 9 are");
    const std::string mode = n.attrs.get_string("mode", "nearest");
    if (mode != "nearest" && mode != "linear")
        throw Error("unknown Upsample mode '" + mode + "'", ic.where(), "expected nearest or linear");
    int scales = n.input(1);
    if (ic.opset < 9) {
        if (!n.attrs.has("scales")) throw Error("missing attribute 'scales'", ic.where(), "Upsample-7 needs its scales");
        const auto v = n.attrs.get_floats("scales");
        n.attrs.erase("scales");
        std::vector<float> f(v.begin(), v.end());
        ic.set_constant_input(1, Tensor::from_vector<float>(Shape{static_cast<int64_t>(f.size())}, f));
        scales = n.input(1);
    }
    n.op = "Resize";
    n.inputs = {n.input(0), -1, scales};
    n.attrs = Attributes{};
    n.attrs.set_string("mode", mode);
    n.attrs.set_string("coordinate_transformation_mode", "asymmetric");
    n.attrs.set_string("nearest_mode", "simple");
}

#if MUTINY_WITH_OPENCL
// kernels/resample.cl: resize(x, y, meta, idx, w, extrapolation, n), one work item per output
// element; the tap tables of every axis concatenated (idx -1 at tap 0: extrapolated output).
inline bool plan_resize_opencl(opencl::NodePlanner& p) {
    const DType t = p.out_type().dtype;
    if (!p.is_kernel_float(t) || p.in_type(0).dtype != t) return false;
    const int64_t n = p.out_type().shape.numel();
    if (n > std::numeric_limits<int>::max() || p.in_type(0).shape.numel() > std::numeric_limits<int>::max()) return false;
    PrepareContext pc;
    pc.graph = &p.graph();
    pc.node = &p.node();
    for (size_t i = 0; i < p.node().inputs.size(); ++i) {
        pc.in.push_back(p.has_input(i) ? p.in_type(i) : TypeInfo{});
        pc.consts.push_back(p.constant(i));
    }
    const ResizePlan plan = resize_plan(pc);
    const size_t r = plan.geo.out.size();
    std::vector<int> meta{static_cast<int>(r)}, idx;
    std::vector<double> w;
    for (size_t a = 0; a < r; ++a) meta.push_back(static_cast<int>(plan.geo.out[a]));
    for (size_t a = 0; a < r; ++a) meta.push_back(static_cast<int>(plan.in_stride[a]));
    for (size_t a = 0; a < r; ++a) meta.push_back(static_cast<int>(plan.axes[a].taps));
    for (size_t a = 0; a < r; ++a) {
        const AxisTaps& at = plan.axes[a];
        meta.push_back(static_cast<int>(idx.size()));
        for (size_t j = 0; j < at.idx.size(); ++j) {
            const bool ext = at.extrap[j / static_cast<size_t>(at.taps)] && j % static_cast<size_t>(at.taps) == 0;
            idx.push_back(ext ? -1 : static_cast<int>(at.idx[j]));
            w.push_back(at.w[j]);
        }
    }
    cl_kernel k = p.kernel("resample", "resize", t);
    p.arg(k, 0, p.in(0));
    p.arg(k, 1, p.out());
    p.arg(k, 2, p.meta(meta));
    p.arg(k, 3, p.meta(idx));
    if (p.device().fp64 || t == DType::f64) {
        p.arg(k, 4, p.meta(w));
    } else {
        p.arg(k, 4, p.meta(std::vector<float>(w.begin(), w.end())));
    }
    p.arg_c(k, 5, p.attrs().get_float("extrapolation_value", 0.0), t);
    p.arg(k, 6, static_cast<int>(n));
    p.run(p.launch(k, static_cast<size_t>(n)));
    return true;
}
#endif

inline void register_resize(Registry& r) {
    OpDef& d = r.add(OpDef{"Resize", import_resize, infer_resize, prepare_resize, 10});
#if MUTINY_WITH_OPENCL
    d.plan_opencl = plan_resize_opencl;
#else
    (void)d;
#endif
    // A node built in code as Upsample has no canonical form of its own: import makes it Resize.
    r.add(OpDef{"Upsample", import_upsample,
                [](InferContext& c) {
                    c.fail("Upsample is not a canonical op", "import turns Upsample into Resize; build a Resize node "
                                                              "(coordinate_transformation_mode asymmetric) instead");
                },
                nullptr, 7});
}

}  // namespace resample
}  // namespace mutiny

#endif  // MUTINY_OPS_RESAMPLE_RESIZE_HPP_
