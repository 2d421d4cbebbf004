// QuantizeLinear, DequantizeLinear (per tensor, per axis, per block) and DynamicQuantizeLinear, as
// the ONNX reference computes them:
//   QuantizeLinear    y = clip(rint(x / scale) + zero_point), the division in x's type, rint half
//                     to even, the output of the zero point's type (uint8 without one; opset 21's
//                     output_dtype); a NaN quantizes to the zero point
//   DequantizeLinear  y = (float(x) - float(zero_point)) * scale in float32, stored as the scale's type
//   DynamicQuantizeLinear  scale = (max(0, max x) - min(0, min x)) / 255 and zero point
//                     rint(clip(-min / scale)) in float32, then QuantizeLinear to uint8
// So a QDQ graph as ONNX Runtime's quantization tool writes it runs with the same integers as the
// reference. The scales are checked: zero, negative or non-finite is an error naming the element.
#ifndef MUTINY_OPS_QUANT_QUANTIZE_HPP_
#define MUTINY_OPS_QUANT_QUANTIZE_HPP_

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "../shape/cast.hpp"
#include "params.hpp"
#if MUTINY_WITH_OPENCL
#include "../../exec/opencl/planner.hpp"
#endif

namespace mutiny {
namespace quant {

inline Layout node_layout(const InferContext& c, size_t param, const char* what) {
    return layout_of(c.shape(0), c.shape(param), c.attrs().get_int("axis", 1), c.attrs().get_int("block_size", 0), what,
                     [&](const std::string& w, const std::string& y) { c.fail(w, y); });
}

inline Layout run_layout(const ExecContext& c, size_t param, const char* what) {
    const std::string where = Graph::where(*c.node);
    return layout_of(c.input(0).shape(), c.input(param).shape(), c.node->attrs.get_int("axis", 1), c.node->attrs.get_int("block_size", 0),
                     what, [&](const std::string& w, const std::string& y) -> void { throw Error(w, where, y); });
}

// The scale (input 1) and the optional zero point (input 2) fit x and each other.
inline void check_scale_and_zero_point(const InferContext& c) {
    const Layout ls = node_layout(c, 1, "scale");
    if (c.has_input(2) && node_layout(c, 2, "zero point").count != ls.count)
        c.fail("scale and zero point differ in shape", c.shape(1).str() + " and " + c.shape(2).str());
}

// A constant scale is checked when the graph is built; a run-time one when the node runs.
inline void check_constant_scale(const InferContext& c, size_t i) {
    if (const Tensor* s = c.constant(i)) scales_of(*s, c.where());
}

inline DType quantize_output_type(const InferContext& c) {
    if (c.has_input(2)) return c.dtype(2);
    if (c.attrs().has("output_dtype")) return shape_ops::dtype_from_onnx_code(c.attrs().get_int("output_dtype", 0), c.where());
    return DType::u8;
}

inline void infer_quantize(InferContext& c) {
    c.expect_inputs(2, 3);
    const DType xt = c.dtype(0);
    if (!dtype_is_float(xt) && xt != DType::i32)
        c.fail("unsupported input dtype", std::string(dtype_name(xt)) + "; QuantizeLinear takes float or int32 input");
    if (!dtype_is_float(c.dtype(1))) c.fail("scale is not a float tensor", std::string("it is ") + dtype_name(c.dtype(1)));
    const DType yt = quantize_output_type(c);
    if (!is_quantized_type(yt))
        c.fail("unsupported quantized type", std::string(dtype_name(yt)) + "; Mutiny quantizes to uint8, int8, uint16 or int16");
    if (c.attrs().has("output_dtype") && c.has_input(2) &&
        shape_ops::dtype_from_onnx_code(c.attrs().get_int("output_dtype", 0), c.where()) != c.dtype(2))
        c.fail("output_dtype differs from the zero point's type", std::string("zero point is ") + dtype_name(c.dtype(2)));
    check_scale_and_zero_point(c);
    check_constant_scale(c, 1);
    c.set_output(0, yt, c.shape(0));
}

// x / scale rounded to an integer: half to even (ONNX), or a rounding-site mutant's mode.
inline double quantize_round(double q, SiteConfig::Round r) {
    switch (r) {
        case SiteConfig::Round::half_away: return std::round(q);
        case SiteConfig::Round::toward_zero: return std::trunc(q);
        case SiteConfig::Round::floor: return std::floor(q);
        case SiteConfig::Round::ceil: return std::ceil(q);
        case SiteConfig::Round::none: break;
    }
    return std::nearbyint(q);
}

inline Kernel prepare_quantize(const PrepareContext& pc) {
    const SiteConfig::Round round = pc.sites.round;
    return [round](ExecContext& c) {
        const Tensor& x = c.input(0);
        const Layout l = run_layout(c, 1, "scale");
        const std::vector<double> scale = scales_of(c.input(1), Graph::where(*c.node));
        std::vector<int64_t> zp(scale.size(), 0);
        if (c.has(2))
            for (int64_t i = 0; i < c.in[2]->numel(); ++i) zp[static_cast<size_t>(i)] = c.in[2]->get_i64(i);
        const DType st = c.input(1).dtype();
        Tensor& y = *c.out[0];
        int64_t lo, hi;
        range_of(y.dtype(), lo, hi);
        dispatch_dtype(x.dtype(), [&](auto tag) {
            using T = decltype(tag);
            using C = std::conditional_t<std::is_floating_point_v<compute_t<T>>, compute_t<T>, double>;
            const T* xp = static_cast<const T*>(x.raw());
            dispatch_dtype(y.dtype(), [&](auto ytag) {
                using Y = decltype(ytag);
                Y* yp = static_cast<Y*>(y.raw());
                parallel_chunks(x.numel(), 16384, [&](int64_t b, int64_t e) {
                    for (int64_t i = b; i < e; ++i) {
                        const int64_t k = l.index(i);
                        // The scale as x's compute type saw it (float32 x divides by a float32 scale).
                        const C s = st == DType::f64 ? static_cast<C>(scale[static_cast<size_t>(k)]) : static_cast<C>(static_cast<float>(scale[static_cast<size_t>(k)]));
                        C q = static_cast<C>(static_cast<C>(load(xp[i])) / s);
                        if constexpr (std::is_same_v<T, half>) q = static_cast<C>(static_cast<float>(half(q)));  // numpy divides halves in half
                        // Clamped far outside every quantized range before the integer conversion, so
                        // an overflowing quotient saturates instead of being undefined.
                        const double qd = static_cast<double>(q);
                        int64_t v = qd != qd ? 0 : static_cast<int64_t>(std::max(-1e15, std::min(1e15, quantize_round(qd, round))));
                        v += zp[static_cast<size_t>(k)];
                        yp[i] = static_cast<Y>(std::min(hi, std::max(lo, v)));
                    }
                });
            });
        });
    };
}

inline void infer_dequantize(InferContext& c) {
    c.expect_inputs(2, 3);
    const DType xt = c.dtype(0);
    if (!is_quantized_type(xt) && xt != DType::i32)
        c.fail("unsupported quantized type", std::string(dtype_name(xt)) + "; Mutiny dequantizes uint8, int8, uint16, int16 and int32");
    if (c.dtype(1) != DType::f32 && c.dtype(1) != DType::f16)
        c.fail("scale is not float32 or float16", std::string("it is ") + dtype_name(c.dtype(1)));
    if (c.has_input(2) && c.dtype(2) != xt)
        c.fail("zero point type differs from the input's", std::string(dtype_name(c.dtype(2))) + " and " + dtype_name(xt));
    check_scale_and_zero_point(c);
    check_constant_scale(c, 1);
    c.set_output(0, c.dtype(1), c.shape(0));
}

inline Kernel prepare_dequantize(const PrepareContext&) {
    return [](ExecContext& c) {
        const Tensor& x = c.input(0);
        const Layout l = run_layout(c, 1, "scale");
        const std::vector<double> scale = scales_of(c.input(1), Graph::where(*c.node));
        std::vector<float> zp(scale.size(), 0.0f);
        if (c.has(2))
            for (int64_t i = 0; i < c.in[2]->numel(); ++i) zp[static_cast<size_t>(i)] = static_cast<float>(c.in[2]->get_i64(i));
        Tensor& y = *c.out[0];
        dispatch_dtype(x.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* xp = static_cast<const T*>(x.raw());
            dispatch_dtype(y.dtype(), [&](auto ytag) {
                using Y = decltype(ytag);
                Y* yp = static_cast<Y*>(y.raw());
                parallel_chunks(x.numel(), 16384, [&](int64_t b, int64_t e) {
                    for (int64_t i = b; i < e; ++i) {
                        const int64_t k = l.index(i);
                        const float v = (static_cast<float>(xp[i]) - zp[static_cast<size_t>(k)]) * static_cast<float>(scale[static_cast<size_t>(k)]);
                        yp[i] = store_as<Y>(v);
                    }
                });
            });
        });
    };
}

inline void infer_dynamic_quantize(InferContext& c) {
    c.expect_inputs(1, 1);
    if (c.dtype(0) != DType::f32) c.fail("unsupported input dtype", std::string(dtype_name(c.dtype(0))) + "; DynamicQuantizeLinear takes float32");
    c.set_output(0, DType::u8, c.shape(0));
    c.set_output(1, DType::f32, Shape{});
    c.set_output(2, DType::u8, Shape{});
}

inline Kernel prepare_dynamic_quantize(const PrepareContext&) {
    return [](ExecContext& c) {
        const Tensor& x = c.input(0);
        const float* xp = x.data<float>();
        const int64_t n = x.numel();
        float mx = 0.0f, mn = 0.0f;  // max(0, max x), min(0, min x)
        for (int64_t i = 0; i < n; ++i) {
            if (xp[i] > mx) mx = xp[i];
            if (xp[i] < mn) mn = xp[i];
        }
        const float scale = (mx == mn ? 1.0f : mx - mn) / 255.0f;
        const float zp0 = std::max(0.0f, std::min(255.0f, 0.0f - mn / scale));
        const float zp = std::nearbyint(zp0);
        uint8_t* yp = static_cast<uint8_t*>(c.out[0]->raw());
        parallel_chunks(n, 16384, [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) {
                const float q = std::nearbyint(xp[i] / scale) + zp;
                yp[i] = static_cast<uint8_t>(std::min(255.0f, std::max(0.0f, q != q ? zp : q)));
            }
        });
        if (c.out.size() > 1 && c.out[1]) c.out[1]->data<float>()[0] = scale;
        if (c.out.size() > 2 && c.out[2]) static_cast<uint8_t*>(c.out[2]->raw())[0] = static_cast<uint8_t>(zp);
    };
}

#if MUTINY_WITH_OPENCL
// kernels/quant.cl: one launch with the scales and zero points as tables converted as the CPU
// kernels convert them. Both need them constant (as a QDQ graph has them); the integer side is the
// kernel's name (quantize_i8, dequantize_u8, ...: dtype_name).
struct QuantTables {
    Layout layout;
    std::vector<double> scale, zero_point;
};

// The node's constant scale (input 1) and zero point (input 2, zeros without one); false when
// either is computed at run time.
inline bool quant_tables(opencl::NodePlanner& p, QuantTables& t) {
    const Tensor* s = p.constant(1);
    const Tensor* z = p.has_input(2) ? p.constant(2) : nullptr;
    if (!s || (p.has_input(2) && !z)) return false;
    t.layout = layout_of(p.in_type(0).shape, s->shape(), p.attrs().get_int("axis", 1), p.attrs().get_int("block_size", 0), "scale",
                         [&](const std::string& w, const std::string& y) -> void { throw Error(w, p.where(), y); });
    t.scale = scales_of(*s, p.where());
    t.zero_point.assign(t.scale.size(), 0.0);
    if (z)
        for (int64_t i = 0; i < z->numel(); ++i) t.zero_point[static_cast<size_t>(i)] = static_cast<double>(z->get_i64(i));
    return true;
}

inline void quant_launch(opencl::NodePlanner& p, cl_kernel k, cl_mem scale, cl_mem zp, const Layout& l) {
    const int n = static_cast<int>(p.out_type().shape.numel());
    p.arg(k, 0, p.in(0));
    p.arg(k, 1, p.out());
    p.arg(k, 2, scale);
    p.arg(k, 3, zp);
    cl_uint a = 4;
    for (int64_t v : {l.count, l.inner, l.axis_len, l.block}) p.arg(k, a++, static_cast<int>(v));
    p.arg(k, a, n);
    p.run(p.launch(k, static_cast<size_t>(n)));
}

inline bool plan_quantize_opencl(opencl::NodePlanner& p) {
    const DType xt = p.in_type(0).dtype;
    if (!p.is_kernel_float(xt)) return p.decline(std::string("input dtype ") + dtype_name(xt) + " (the kernel takes f32, f16 and, with cl_khr_fp64, f64)");
    // The quotient's bits decide the integer: float32 division must be correctly rounded, as on the CPU.
    if (xt != DType::f64 && !p.device().correctly_rounded_divide_sqrt)
        return p.decline("the device does not divide float32 correctly rounded");
    QuantTables t;
    if (!quant_tables(p, t)) return p.decline("scale or zero point computed at run time");
    const bool scale64 = p.in_type(1).dtype == DType::f64;
    cl_mem scale;
    if (xt == DType::f64) {
        std::vector<double> sc;
        for (double v : t.scale) sc.push_back(scale64 ? v : static_cast<double>(static_cast<float>(v)));
        scale = p.meta(sc);
    } else {
        std::vector<float> sc;
        for (double v : t.scale) sc.push_back(static_cast<float>(v));
        scale = p.meta(sc);
    }
    std::vector<int> zp;
    for (double v : t.zero_point) zp.push_back(static_cast<int>(v));
    const DType yt = p.out_type().dtype;
    cl_kernel k = p.kernel("quant", std::string("quantize_") + dtype_name(yt), xt);
    quant_launch(p, k, scale, p.meta(zp), t.layout);
    return true;
}

inline bool plan_dequantize_opencl(opencl::NodePlanner& p) {
    QuantTables t;
    if (!quant_tables(p, t)) return p.decline("scale or zero point computed at run time");
    std::vector<float> sc, zp;
    for (double v : t.scale) sc.push_back(static_cast<float>(v));
    for (double v : t.zero_point) zp.push_back(static_cast<float>(v));
    cl_kernel k = p.kernel("quant", std::string("dequantize_") + dtype_name(p.in_type(0).dtype), p.out_type().dtype);
    quant_launch(p, k, p.meta(sc), p.meta(zp), t.layout);
    return true;
}
#endif

inline void register_quantize_ops(Registry& r) {
    r.add(OpDef{"QuantizeLinear", nullptr, infer_quantize, prepare_quantize}).sites.rounding = true;
    r.add(OpDef{"DequantizeLinear", nullptr, infer_dequantize, prepare_dequantize});
#if MUTINY_WITH_OPENCL
    r.find("QuantizeLinear")->plan_opencl = plan_quantize_opencl;
    r.find("DequantizeLinear")->plan_opencl = plan_dequantize_opencl;
#endif
    r.add(OpDef{"DynamicQuantizeLinear", nullptr, infer_dynamic_quantize, prepare_dynamic_quantize});
}

}  // namespace quant
}  // namespace mutiny

#endif  // MUTINY_OPS_QUANT_QUANTIZE_HPP_
