// ConvInteger and QLinearConv: Conv's geometry (strides, pads, dilations, groups, auto_pad; see
// ops/conv/geometry.hpp) over (x - x_zero_point) and (w - w_zero_point), the padding contributing
// zero, products summed exactly in 64 bits and wrapped to int32 as the reference's int32 conv
// wraps. w's zero point (and QLinearConv's w_scale) is a scalar or per output channel. QLinearConv
// adds its int32 bias B and requantizes as the ONNX reference does: y = clip(rint(acc * m) +
// y_zero_point), m = x_scale * w_scale / y_scale in float32, the product in double; rint is the
// node's rounding site (operator QR: another rounding mode).
#ifndef MUTINY_OPS_QUANT_QCONV_HPP_
#define MUTINY_OPS_QUANT_QCONV_HPP_

#include <cmath>
#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "../conv/geometry.hpp"
#include "params.hpp"
#include "qmatmul.hpp"

namespace mutiny {
namespace quant {

// acc for every (image, output channel, position): f(index, output channel, acc).
template <class F>
void int_conv(const conv::Geom& g, const Tensor& X, const Tensor& W, int64_t xz, const std::vector<double>& wz, F store) {
    const int64_t P = g.P(), Pin = g.Pin(), K = g.K();
    parallel_chunks(g.N * g.M, grain_for(g.N * g.M, P * K), [&](int64_t r0, int64_t r1) {
        std::vector<int64_t> w(static_cast<size_t>(K));
        for (int64_t r = r0; r < r1; ++r) {
            const int64_t img = r / g.M, oc = r % g.M, grp = oc / g.Mg;
            const int64_t xoff = (img * g.C + grp * g.Cg) * Pin;
            const int64_t wzo = static_cast<int64_t>(wz[static_cast<size_t>(oc)]);
            for (int64_t t = 0; t < K; ++t) w[static_cast<size_t>(t)] = W.get_i64(oc * K + t) - wzo;
            for (int64_t od = 0; od < g.out[0]; ++od)
                for (int64_t oh = 0; oh < g.out[1]; ++oh)
                    for (int64_t ow = 0; ow < g.out[2]; ++ow) {
                        int64_t acc = 0, t = 0;
                        for (int64_t c = 0; c < g.Cg; ++c)
                            for (int64_t kd = 0; kd < g.k[0]; ++kd)
                                for (int64_t kh = 0; kh < g.k[1]; ++kh)
                                    for (int64_t kw = 0; kw < g.k[2]; ++kw, ++t) {
                                        const int64_t id = od * g.s[0] - g.pb[0] + kd * g.d[0];
                                        const int64_t ih = oh * g.s[1] - g.pb[1] + kh * g.d[1];
                                        const int64_t iw = ow * g.s[2] - g.pb[2] + kw * g.d[2];
                                        if (id < 0 || id >= g.in[0] || ih < 0 || ih >= g.in[1] || iw < 0 || iw >= g.in[2]) continue;
                                        acc += (X.get_i64(xoff + c * Pin + (id * g.in[1] + ih) * g.in[2] + iw) - xz) * w[static_cast<size_t>(t)];
                                    }
                        store(r * P + (od * g.out[1] + oh) * g.out[2] + ow, oc, acc);
                    }
        }
    });
}

inline conv::Geom geom_of(const Shape& x, const Shape& w, const Attributes& a, const std::string& where) {
    return conv::conv_geometry(x, w, a, [&](const std::string& wh, const std::string& y) -> void { throw Error(wh, where, y); });
}

inline Shape conv_out_shape(const conv::Geom& g) {
    std::vector<int64_t> o{g.N, g.M};
    for (int i = 0; i < g.nsp; ++i) o.push_back(g.out[static_cast<size_t>(3 - g.nsp + i)]);
    return Shape(o);
}

inline int64_t scalar_zero_point(const Tensor* t, const char* what, const std::string& where) {
    if (!t) return 0;
    if (t->numel() != 1) throw Error(std::string(what) + " must be a scalar", where, "it has shape " + t->shape().str());
    return t->get_i64(0);
}

inline void infer_conv_integer(InferContext& c) {
    c.expect_inputs(2, 4);
    if (!is_int8(c.dtype(0)) || !is_int8(c.dtype(1)))
        c.fail("unsupported input dtype", std::string("x is ") + dtype_name(c.dtype(0)) + ", w is " + dtype_name(c.dtype(1)) + "; uint8 or int8 expected");
    const conv::Geom g = conv::conv_geometry(c.shape(0), c.shape(1), c.attrs(), [&](const std::string& w, const std::string& y) { c.fail(w, y); });
    if (c.has_input(2) && c.shape(2).numel() != 1) c.fail("x_zero_point must be a scalar", "it has shape " + c.shape(2).str());
    if (c.has_input(3)) per_line(&c, c.constant(3), g.M, "w_zero_point", c.where());
    c.set_output(0, DType::i32, conv_out_shape(g));
}

inline Kernel prepare_conv_integer(const PrepareContext&) {
    return [](ExecContext& c) {
        const std::string where = Graph::where(*c.node);
        const conv::Geom g = geom_of(c.input(0).shape(), c.input(1).shape(), c.node->attrs, where);
        const int64_t xz = scalar_zero_point(c.has(2) ? c.in[2] : nullptr, "x_zero_point", where);
        const auto wz = per_line(nullptr, c.has(3) ? c.in[3] : nullptr, g.M, "w_zero_point", where);
        int32_t* y = c.out[0]->data<int32_t>();
        int_conv(g, c.input(0), c.input(1), xz, wz,
                 [y](int64_t i, int64_t, int64_t acc) { y[i] = static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(acc))); });
    };
}

// QLinearConv inputs: x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B.
inline void infer_qlinear_conv(InferContext& c) {
    c.expect_inputs(8, 9);
    if (!is_int8(c.dtype(0)) || !is_int8(c.dtype(3)))
        c.fail("unsupported input dtype", std::string("x is ") + dtype_name(c.dtype(0)) + ", w is " + dtype_name(c.dtype(3)) + "; uint8 or int8 expected");
    if (!is_int8(c.dtype(7))) c.fail("unsupported output type", std::string("y_zero_point is ") + dtype_name(c.dtype(7)));
    for (size_t i : {1, 4, 6})
        if (c.dtype(i) != DType::f32) c.fail("scale is not float32", "input " + std::to_string(i) + " is " + dtype_name(c.dtype(i)));
    const conv::Geom g = conv::conv_geometry(c.shape(0), c.shape(3), c.attrs(), [&](const std::string& w, const std::string& y) { c.fail(w, y); });
    for (size_t i : {1, 2, 6, 7})
        if (c.shape(i).numel() != 1) c.fail("x and y scales and zero points must be scalars", "input " + std::to_string(i) + " has shape " + c.shape(i).str());
    per_line(&c, c.constant(4), g.M, "w_scale", c.where());
    per_line(&c, c.constant(5), g.M, "w_zero_point", c.where());
    if (c.has_input(8) && (c.dtype(8) != DType::i32 || c.shape(8).numel() != g.M))
        c.fail("bias B must be int32 of one value per output channel", std::string(dtype_name(c.dtype(8))) + " " + c.shape(8).str());
    for (size_t i : {1, 4, 6})
        if (const Tensor* s = c.constant(i)) scales_of(*s, c.where());
    c.set_output(0, c.dtype(7), conv_out_shape(g));
}

inline Kernel prepare_qlinear_conv(const PrepareContext& pc) {
    const SiteConfig::Round round = pc.sites.round;
    return [round](ExecContext& c) {
        const std::string where = Graph::where(*c.node);
        const conv::Geom g = geom_of(c.input(0).shape(), c.input(3).shape(), c.node->attrs, where);
        const float xs = static_cast<float>(scales_of(c.input(1), where)[0]), ys = static_cast<float>(scales_of(c.input(6), where)[0]);
        scales_of(c.input(4), where);
        const auto ws = per_line(nullptr, c.in[4], g.M, "w_scale", where);
        const int64_t xz = scalar_zero_point(c.in[2], "x_zero_point", where);
        const auto wz = per_line(nullptr, c.in[5], g.M, "w_zero_point", where);
        const double yz = c.input(7).get_f64(0);
        std::vector<float> mult(static_cast<size_t>(g.M));
        for (int64_t m = 0; m < g.M; ++m) mult[static_cast<size_t>(m)] = static_cast<float>(xs * static_cast<float>(ws[static_cast<size_t>(m)])) / ys;
        const Tensor* bias = c.has(8) ? c.in[8] : nullptr;
        int64_t lo, hi;
        range_of(c.out[0]->dtype(), lo, hi);
        Tensor& y = *c.out[0];
        dispatch_dtype(y.dtype(), [&](auto tag) {
            using Y = decltype(tag);
            Y* yp = static_cast<Y*>(y.raw());
            int_conv(g, c.input(0), c.input(3), xz, wz, [&](int64_t i, int64_t oc, int64_t acc) {
                if (bias) acc += bias->get_i64(oc);
                const int32_t a32 = static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(acc)));
                const double d = quantize_round(static_cast<double>(a32) * static_cast<double>(mult[static_cast<size_t>(oc)]) + yz, round);
                yp[i] = static_cast<Y>(std::min(static_cast<double>(hi), std::max(static_cast<double>(lo), d)));
            });
        });
    };
}

inline void register_qconv_ops(Registry& r) {
    r.add(OpDef{"ConvInteger", nullptr, infer_conv_integer, prepare_conv_integer});
    r.add(OpDef{"QLinearConv", nullptr, infer_qlinear_conv, prepare_qlinear_conv}).sites.rounding = true;
}

}  // namespace quant
}  // namespace mutiny

#endif  // MUTINY_OPS_QUANT_QCONV_HPP_
