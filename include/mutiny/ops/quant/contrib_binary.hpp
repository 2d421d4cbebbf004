// ONNX Runtime's QLinearAdd and QLinearMul (com.microsoft): element-wise on uint8 or int8 with
// numpy broadcasting, inputs (A, A_scale, A_zero_point?, B, B_scale, B_zero_point?, C_scale,
// C_zero_point?), each per tensor. Computed as ORT's x86 MLAS kernels (SSE2 intrinsics,
// onnxruntime/core/mlas/lib/qladd.cpp and qlmul.cpp) do, in float32, so the integers match ORT's
// bit for bit:
//   QLinearAdd  with X the operand ORT walks and Y the other, rX = sX / sC, rY = sY / sC and
//               fixed = float(zC) - (rX * zX + rY * zY):
//                 C = rint((fixed + float(X) * rX) + float(Y) * rY)   both operands walk
//                 C = rint((fixed + float(Y) * rY) + float(X) * rX)   Y constant along ORT's span
//               (float addition is not associative: the order matters for ties). ORT's broadcast
//               loop picks the case once, from the innermost output axis: an operand broadcast
//               along it (or of one element) is the constant one, and a constant A makes B the
//               walked operand X. The textbook (sA (A - zA) + sB (B - zB)) / sC differs from it by
//               one unit in about one element in twenty.
//   QLinearMul  C = rint(float((A - zA) * (B - zB)) * (sA * sB / sC) + float(zC))   (the product
//               exact in int32, one float multiplication by the ratio, the zero point added in float)
// rounded half to even (or a rounding-site mutant's mode, operator QR) and saturated.
#ifndef MUTINY_OPS_QUANT_CONTRIB_BINARY_HPP_
#define MUTINY_OPS_QUANT_CONTRIB_BINARY_HPP_

#include <cstdint>

#include "../common.hpp"
#include "../elementwise/broadcast.hpp"
#include "contrib_params.hpp"

namespace mutiny {
namespace quant {

inline void infer_qlinear_binary(InferContext& c) {
    c.expect_inputs(7, 8);
    expect_8bit(c, 0);
    const DType t = c.dtype(0);
    if (c.dtype(3) != t) c.fail("input dtypes differ", std::string("A is ") + dtype_name(t) + ", B is " + dtype_name(c.dtype(3)));
    check_contrib_param(c, 1, t, "A");
    check_contrib_param(c, 4, t, "B");
    check_contrib_param(c, 6, t, "C");
    c.set_output(0, t, Shape::broadcast(c.shape(0), c.shape(3), c.where()));
}

// Which operand ORT's broadcast loop holds constant along its span (see the header).
enum class ConstantOperand { none, a, b };
inline ConstantOperand constant_operand(const Shape& a, const Shape& b, const Shape& out) {
    if (a.numel() == 1) return ConstantOperand::a;
    if (b.numel() == 1) return ConstantOperand::b;
    const size_t r = out.rank();
    for (size_t d = r; d-- > 0;) {
        if (out[d] == 1) continue;
        const size_t da = d + a.rank(), db = d + b.rank();  // d aligned to each input's axes (+ r)
        if (da < r || a[da - r] == 1) return ConstantOperand::a;
        if (db < r || b[db - r] == 1) return ConstantOperand::b;
        break;
    }
    return ConstantOperand::none;
}

// Runs c = f(a, b, A, B, C) over the broadcast inputs; f returns the value to round, zero point
// included.
template <class F>
void qlinear_binary_run(ExecContext& c, SiteConfig::Round round, F f) {
    const QParam pa = read_param(c, 1), pb = read_param(c, 4), pc = read_param(c, 6);
    auto run = [&](auto tag) {
        using T = decltype(tag);
        ew::broadcast_apply<T>(c.input(0), c.input(3), *c.out[0], [&](auto a, auto b) {
            return requantize<T>(f(static_cast<int32_t>(a), static_cast<int32_t>(b), pa, pb, pc), 0, round);
        });
    };
    dispatch_8bit(c.input(0).dtype(), run);
}

inline Kernel prepare_qlinear_add(const PrepareContext& prep) {
    const SiteConfig::Round round = prep.sites.round;
    return [round](ExecContext& c) {
        const ConstantOperand k = constant_operand(c.input(0).shape(), c.input(3).shape(), c.out[0]->shape());
        const bool swap = k == ConstantOperand::a, y_first = k != ConstantOperand::none;
        qlinear_binary_run(c, round, [swap, y_first](int32_t a, int32_t b, const QParam& pa, const QParam& pb, const QParam& pc) {
            const QParam& px = swap ? pb : pa;
            const QParam& py = swap ? pa : pb;
            const float x = static_cast<float>(swap ? b : a), y = static_cast<float>(swap ? a : b);
            const float rx = px.scale / pc.scale, ry = py.scale / pc.scale;
            const float fixed = static_cast<float>(pc.zero_point) -
                                (rx * static_cast<float>(px.zero_point) + ry * static_cast<float>(py.zero_point));
            return y_first ? (fixed + y * ry) + x * rx : (fixed + x * rx) + y * ry;
        });
    };
}

inline Kernel prepare_qlinear_mul(const PrepareContext& prep) {
    const SiteConfig::Round round = prep.sites.round;
    return [round](ExecContext& c) {
        qlinear_binary_run(c, round, [](int32_t a, int32_t b, const QParam& pa, const QParam& pb, const QParam& pc) {
            const float ratio = pa.scale * pb.scale / pc.scale;
            return static_cast<float>((a - pa.zero_point) * (b - pb.zero_point)) * ratio + static_cast<float>(pc.zero_point);
        });
    };
}

inline void register_contrib_binary_ops(Registry& r) {
    r.add(OpDef{contrib_name("QLinearAdd"), nullptr, infer_qlinear_binary, prepare_qlinear_add}).sites.rounding = true;
    r.add(OpDef{contrib_name("QLinearMul"), nullptr, infer_qlinear_binary, prepare_qlinear_mul}).sites.rounding = true;
}

}  // namespace quant
}  // namespace mutiny

#endif  // MUTINY_OPS_QUANT_CONTRIB_BINARY_HPP_
