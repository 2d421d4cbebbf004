// What ONNX Runtime's contrib quantized ops (domain com.microsoft: QLinearAdd, QLinearMul,
// QLinearSigmoid, QLinearLeakyRelu, QLinearGlobalAveragePool) share: each tensor's quantization is
// per tensor, a float32 scale and an optional zero point of the quantized type (ORT accepts a
// scalar or a one-element vector), and the arithmetic of ORT's MLAS kernels, which ORT's outputs
// are the reference for: float32 products and quotients, round half to even (cvtps2dq), saturation
// to the type's range. Quantized types: uint8 and int8 (ORT registers these ops for both only).
#ifndef MUTINY_OPS_QUANT_CONTRIB_PARAMS_HPP_
#define MUTINY_OPS_QUANT_CONTRIB_PARAMS_HPP_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "../common.hpp"
#include "params.hpp"
#include "quantize.hpp"

namespace mutiny {
namespace quant {

// The registry key of a contrib op: the importer looks up "<domain>.<op_type>" for a node of a
// domain other than the default one.
inline std::string contrib_name(const char* op) { return std::string("com.microsoft.") + op; }

inline void expect_8bit(const InferContext& c, size_t i) {
    const DType t = c.dtype(i);
    if (t != DType::u8 && t != DType::i8)
        c.fail("unsupported quantized type", "input " + std::to_string(i) + " is " + dtype_name(t) + "; ORT's contrib ops take uint8 or int8");
}

// Checks the (scale, zero point) pair at inputs s and s + 1 for a tensor of type t: a one-value
// float32 scale, positive and finite when constant, and a one-value zero point of type t.
inline void check_contrib_param(const InferContext& c, size_t s, DType t, const char* what) {
    const std::string w(what);
    if (c.dtype(s) != DType::f32) c.fail(w + " scale is not float32", std::string("it is ") + dtype_name(c.dtype(s)));
    if (c.shape(s).numel() != 1 || c.shape(s).rank() > 1)
        c.fail(w + " scale is not per tensor", "shape " + c.shape(s).str() + "; ORT's contrib ops take a scalar or a one-element vector");
    if (const Tensor* k = c.constant(s)) scales_of(*k, c.where());
    if (!c.has_input(s + 1)) return;
    if (c.dtype(s + 1) != t)
        c.fail(w + " zero point type differs from the quantized tensor's",
               std::string(dtype_name(c.dtype(s + 1))) + " and " + dtype_name(t));
    if (c.shape(s + 1).numel() != 1 || c.shape(s + 1).rank() > 1)
        c.fail(w + " zero point is not per tensor", "shape " + c.shape(s + 1).str() + "; a scalar or a one-element vector expected");
}

// f(uint8_t{}) or f(int8_t{}): the kernel body for the quantized type t.
template <class F>
void dispatch_8bit(DType t, F f) {
    if (t == DType::u8) f(uint8_t{});
    else f(int8_t{});
}

// One tensor's quantization as the kernel reads it (scale checked again: a run-time one).
struct QParam {
    float scale = 1.0f;
    int32_t zero_point = 0;
};

inline QParam read_param(const ExecContext& c, size_t s) {
    QParam p;
    p.scale = static_cast<float>(scales_of(c.input(s), Graph::where(*c.node))[0]);
    if (c.has(s + 1)) p.zero_point = static_cast<int32_t>(c.in[s + 1]->get_i64(0));
    return p;
}

// v rounded half to even (MLAS's cvtps2dq under the default rounding mode; another mode under a
// rounding-site mutant, operator QR) plus the zero point, saturated to T. Clamped before the
// conversion, so an overflowing float is defined.
template <class T>
inline T requantize(float v, int32_t zero_point, SiteConfig::Round round = SiteConfig::Round::none) {
    int64_t lo, hi;
    range_of(std::is_signed_v<T> ? DType::i8 : DType::u8, lo, hi);
    const float r = static_cast<float>(quantize_round(std::max(-1e9f, std::min(1e9f, v)), round));
    const int64_t q = (r != r ? 0 : static_cast<int64_t>(r)) + zero_point;
    return static_cast<T>(std::min(hi, std::max(lo, q)));
}

}  // namespace quant
}  // namespace mutiny

#endif  // MUTINY_OPS_QUANT_CONTRIB_PARAMS_HPP_
