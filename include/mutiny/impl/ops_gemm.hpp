// The gemm op family (Gemm, MatMul, Det, Einsum), defined once (see ops_families.hpp).
#ifndef MUTINY_IMPL_OPS_GEMM_HPP_
#define MUTINY_IMPL_OPS_GEMM_HPP_

#include "../ops/gemm/det.hpp"
#include "../ops/gemm/einsum.hpp"
#include "../ops/gemm/gemm.hpp"
#include "../ops/gemm/matmul.hpp"
#include "ops_families.hpp"

namespace mutiny {
namespace impl {

void builtin_gemm_ops(Registry& r) {
    gemm::register_gemm(r);
    gemm::register_matmul(r);
    gemm::register_det(r);
    gemm::register_einsum(r);
}

}  // namespace impl
}  // namespace mutiny

#endif  // MUTINY_IMPL_OPS_GEMM_HPP_
