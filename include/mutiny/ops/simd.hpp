// Vector math for the CPU kernels (e^x, sigmoid over float32 arrays), run by the active
// instruction-set level (isa/dispatch.hpp; the code is isa/vector_math.inl).
//
// Every element is computed by the same operations on every level and wherever it sits in the
// array (the tail runs through the vector code on a padded copy), so incremental execution gets the
// bits of a full run and every machine gets the same bits.
#ifndef MUTINY_OPS_SIMD_HPP_
#define MUTINY_OPS_SIMD_HPP_

#include <cstdint>

#include "isa/dispatch.hpp"

namespace mutiny {
namespace simd {

// y[i] = e^x[i], float32, within 2 ulp of the correctly rounded value for x in [-87.3, 88.0]
// (tests/unit/test_simd.cpp); beyond that range e^x saturates at about 1.6e38 and 1.2e-38
// instead of reaching inf and 0; NaN stays NaN. x and y may be the same array.
inline void exp_f32(const float* x, float* y, int64_t n) { isa::kernels().exp_f32(x, y, n); }

// y[i] = 1 / (1 + e^-x[i]); NaN stays NaN. x and y may be the same array.
inline void sigmoid_f32(const float* x, float* y, int64_t n) { isa::kernels().sigmoid_f32(x, y, n); }

}  // namespace simd
}  // namespace mutiny

#endif  // MUTINY_OPS_SIMD_HPP_
