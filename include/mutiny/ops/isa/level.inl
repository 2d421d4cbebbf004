// Every kernel of one instruction-set level: included by impl/isa_kernels.hpp inside that level's
// namespace (and target region) with MUTINY_ISA_LEVEL set (0 portable C++, 1 SSE2, 2 AVX2+FMA,
// 3 AVX-512). No include guard: read once per level.
using gemm::KC;
using gemm::MC;
using gemm::MR;
using gemm::NR;
#include "vec8.inl"
#include "vector_math.inl"
#include "../gemm/microkernels.inl"
#if MUTINY_ISA_LEVEL == 2
#include "../gemm/microkernels_implicit_avx2.inl"
#elif MUTINY_ISA_LEVEL == 3
#include "../gemm/microkernels_avx512.inl"
#endif
#include "../gemm/block_gemm.inl"
