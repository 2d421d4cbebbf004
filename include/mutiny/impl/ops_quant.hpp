// The quantization op family (QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear,
// MatMulInteger, QLinearMatMul, ConvInteger, QLinearConv) and ONNX Runtime's contrib quantized ops
// (com.microsoft QLinearAdd, QLinearMul, QLinearSigmoid, QLinearLeakyRelu,
// QLinearGlobalAveragePool, QLinearAveragePool, QLinearConcat, QLinearSoftmax, QGemm), defined once (see ops_families.hpp).
#ifndef MUTINY_IMPL_OPS_QUANT_HPP_
#define MUTINY_IMPL_OPS_QUANT_HPP_

#include "../ops/quant/contrib_binary.hpp"
#include "../ops/quant/contrib_concat.hpp"
#include "../ops/quant/contrib_gemm.hpp"
#include "../ops/quant/contrib_lookup.hpp"
#include "../ops/quant/contrib_pool.hpp"
#include "../ops/quant/contrib_softmax.hpp"
#include "../ops/quant/qconv.hpp"
#include "../ops/quant/qmatmul.hpp"
#include "../ops/quant/quantize.hpp"
#include "ops_families.hpp"

namespace mutiny {
namespace impl {

void builtin_quant_ops(Registry& r) {
    quant::register_quantize_ops(r);
    quant::register_qmatmul_ops(r);
    quant::register_qconv_ops(r);
    quant::register_contrib_binary_ops(r);
    quant::register_contrib_lookup_ops(r);
    quant::register_contrib_pool_ops(r);
    quant::register_contrib_concat_ops(r);
    quant::register_contrib_softmax_ops(r);
    quant::register_contrib_gemm_ops(r);
}

}  // namespace impl
}  // namespace mutiny

#endif  // MUTINY_IMPL_OPS_QUANT_HPP_
