// ONNX Runtime's QLinearSoftmax (com.microsoft): inputs (X, X_scale, X_zero_point?, Y_scale,
// Y_zero_point?), uint8 or int8, per tensor; attributes `opset` (required: the Softmax opset the
// node replaces) and `axis` (default 1 below opset 13, -1 from 13). Below opset 13 the input is a
// [N, D] matrix (axes from `axis` on flattened into D, as Softmax-1 does); from 13 the softmax runs
// along the one axis. As ORT computes it (contrib_ops/cpu/quantization/qlinear_softmax.cc), not
// as a rounded float softmax:
//   a table of 256 float32 values t[i] = exp((i - 255 + b) * X_scale) (computed in double), with
//   the headroom b = max(0, ln(FLT_MAX / D) - 5) / X_scale keeping the row sums finite;
//   per row, m = max x; e_j = t[255 + x_j - m] (X_zero_point cancels and is unused);
//   s = e_0 + e_1 + ... in float32, in order; Y_scale' = floor(1 / Y_scale) in float32;
//   y_j = nearbyintf(e_j * Y_scale' / s) + Y_zero_point, saturated (ORT 1.32 saturates int8 too:
//   a probability of 1 with Y_scale 1/256 and Y_zero_point -128 is 127, not a wrapped -128).
// The rounding is the node's rounding site (operator QR).
#ifndef MUTINY_OPS_QUANT_CONTRIB_SOFTMAX_HPP_
#define MUTINY_OPS_QUANT_CONTRIB_SOFTMAX_HPP_

#include <array>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <string>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "contrib_params.hpp"

namespace mutiny {
namespace quant {

// The node's axis (normalized) and whether the rows flatten every axis from it (opset < 13).
struct SoftmaxAxis {
    size_t axis = 0;
    bool flatten = false;
};
inline SoftmaxAxis softmax_axis(const Attributes& a, size_t rank, const std::string& where) {
    if (!a.has("opset")) throw Error("missing attribute 'opset'", where, "QLinearSoftmax needs the Softmax opset it replaces (ORT requires it)");
    const int64_t opset = a.get_int("opset", 13);
    SoftmaxAxis s;
    s.flatten = opset < 13;
    s.axis = static_cast<size_t>(normalize_axis(a.get_int("axis", s.flatten ? 1 : -1), static_cast<int64_t>(rank), where));
    return s;
}

inline void infer_qlinear_softmax(InferContext& c) {
    c.expect_inputs(4, 5);
    expect_8bit(c, 0);
    check_contrib_param(c, 1, c.dtype(0), "X");
    check_contrib_param(c, 3, c.dtype(0), "Y");
    if (c.shape(0).rank() == 0) c.fail("scalar input", "QLinearSoftmax needs an axis to normalize along");
    softmax_axis(c.attrs(), c.shape(0).rank(), c.where());
    c.set_output(0, c.dtype(0), c.shape(0));
}

// ORT's exp table for X_scale and rows of d elements.
inline std::array<float, 256> softmax_table(float x_scale, int64_t d) {
    const double headroom = std::max(0.0, std::log(static_cast<double>(FLT_MAX / static_cast<float>(d))) - 5.0) / static_cast<double>(x_scale);
    std::array<float, 256> t;
    for (int i = 0; i < 256; ++i) t[static_cast<size_t>(i)] = static_cast<float>(std::exp((i - 255 + headroom) * static_cast<double>(x_scale)));
    return t;
}

inline Kernel prepare_qlinear_softmax(const PrepareContext& pc) {
    const SoftmaxAxis ax = softmax_axis(pc.attrs(), pc.in[0].shape.rank(), pc.where());
    const SiteConfig::Round round = pc.sites.round;
    return [ax, round](ExecContext& c) {
        const QParam px = read_param(c, 1), py = read_param(c, 3);
        const Shape& xs = c.input(0).shape();
        // Rows of d elements spaced `inner` apart; outer * inner rows.
        const int64_t d = ax.flatten ? xs.product(ax.axis, xs.rank()) : xs[ax.axis];
        const int64_t inner = ax.flatten ? 1 : xs.product(ax.axis + 1, xs.rank());
        const int64_t outer = xs.product(0, ax.axis);
        if (d == 0 || outer * inner == 0) return;
        const std::array<float, 256> table = softmax_table(px.scale, d);
        const float yscale = std::floor(1.0f / py.scale);
        auto run = [&](auto tag) {
            using T = decltype(tag);
            const T* xp = static_cast<const T*>(c.input(0).raw());
            T* yp = static_cast<T*>(c.out[0]->raw());
            parallel_chunks(outer * inner, 64, [&](int64_t b, int64_t e) {
                for (int64_t r = b; r < e; ++r) {
                    const int64_t base = (r / inner) * d * inner + r % inner;
                    int32_t m = xp[base];
                    for (int64_t j = 1; j < d; ++j) m = std::max<int32_t>(m, xp[base + j * inner]);
                    float s = 0.0f;
                    for (int64_t j = 0; j < d; ++j) s += table[static_cast<size_t>(255 + xp[base + j * inner] - m)];
                    for (int64_t j = 0; j < d; ++j) {
                        const float v = table[static_cast<size_t>(255 + xp[base + j * inner] - m)] * yscale / s;
                        yp[base + j * inner] = requantize<T>(v, py.zero_point, round);
                    }
                }
            });
        };
        dispatch_8bit(c.input(0).dtype(), run);
    };
}

inline void register_contrib_softmax_ops(Registry& r) {
    r.add(OpDef{contrib_name("QLinearSoftmax"), nullptr, infer_qlinear_softmax, prepare_qlinear_softmax}).sites.rounding = true;
}

}  // namespace quant
}  // namespace mutiny

#endif  // MUTINY_OPS_QUANT_CONTRIB_SOFTMAX_HPP_
