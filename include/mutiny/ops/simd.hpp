// 8-float vectors for the CPU kernels, and the vector math built on them (exp, sigmoid).
//
// The instruction set is chosen at compile time: AVX2+FMA (also in AVX-512 builds), else two SSE2
// halves (multiply then add), else plain C++. A build computes every lane by the same instruction
// sequence, and the functions that map arrays (map8) run a short tail through the same vector code
// on a padded copy, so an element's value never depends on its position, the array length or the
// chunking. That is what lets incremental execution compute a few units of a tensor and get the
// bits of a full run (exec/cpu/executor.hpp).
#ifndef MUTINY_OPS_SIMD_HPP_
#define MUTINY_OPS_SIMD_HPP_

#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define MUTINY_GEMM_AVX2 1
#if defined(__AVX512F__)
#define MUTINY_GEMM_AVX512 1
#endif
#elif defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define MUTINY_GEMM_SSE2 1
#endif

namespace mutiny {
namespace simd {

#if defined(MUTINY_GEMM_AVX2)
using V8 = __m256;
inline V8 v_load(const float* p) { return _mm256_loadu_ps(p); }
inline void v_store(float* p, V8 v) { _mm256_storeu_ps(p, v); }
inline V8 v_bcast(const float* p) { return _mm256_broadcast_ss(p); }
inline V8 v_set1(float x) { return _mm256_set1_ps(x); }
inline V8 v_madd(V8 a, V8 b, V8 c) { return _mm256_fmadd_ps(a, b, c); }
inline V8 v_add(V8 a, V8 b) { return _mm256_add_ps(a, b); }
inline V8 v_mul(V8 a, V8 b) { return _mm256_mul_ps(a, b); }
inline V8 v_div(V8 a, V8 b) { return _mm256_div_ps(a, b); }
// max/min return b where either is NaN (x86 semantics, kept by the other variants).
inline V8 v_max(V8 a, V8 b) { return _mm256_max_ps(a, b); }
inline V8 v_min(V8 a, V8 b) { return _mm256_min_ps(a, b); }
// Round to nearest, ties to even.
inline V8 v_rint(V8 a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
// 2^n for integral n in [-126, 127].
inline V8 v_pow2i(V8 n) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23));
}
// Lanes where x is NaN take x, the others r.
inline V8 v_keep_nan(V8 x, V8 r) { return _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q)); }
#elif defined(MUTINY_GEMM_SSE2)
struct V8 {
    __m128 lo, hi;
};
inline V8 v_load(const float* p) { return {_mm_loadu_ps(p), _mm_loadu_ps(p + 4)}; }
inline void v_store(float* p, V8 v) {
    _mm_storeu_ps(p, v.lo);
    _mm_storeu_ps(p + 4, v.hi);
}
inline V8 v_set1(float x) {
    const __m128 v = _mm_set1_ps(x);
    return {v, v};
}
inline V8 v_bcast(const float* p) { return v_set1(*p); }
inline V8 v_madd(V8 a, V8 b, V8 c) { return {_mm_add_ps(_mm_mul_ps(a.lo, b.lo), c.lo), _mm_add_ps(_mm_mul_ps(a.hi, b.hi), c.hi)}; }
inline V8 v_add(V8 a, V8 b) { return {_mm_add_ps(a.lo, b.lo), _mm_add_ps(a.hi, b.hi)}; }
inline V8 v_mul(V8 a, V8 b) { return {_mm_mul_ps(a.lo, b.lo), _mm_mul_ps(a.hi, b.hi)}; }
inline V8 v_div(V8 a, V8 b) { return {_mm_div_ps(a.lo, b.lo), _mm_div_ps(a.hi, b.hi)}; }
inline V8 v_max(V8 a, V8 b) { return {_mm_max_ps(a.lo, b.lo), _mm_max_ps(a.hi, b.hi)}; }
inline V8 v_min(V8 a, V8 b) { return {_mm_min_ps(a.lo, b.lo), _mm_min_ps(a.hi, b.hi)}; }
// Exact for |a| < 2^31 under the default rounding mode (nearest even); callers clamp first.
inline V8 v_rint(V8 a) { return {_mm_cvtepi32_ps(_mm_cvtps_epi32(a.lo)), _mm_cvtepi32_ps(_mm_cvtps_epi32(a.hi))}; }
inline V8 v_pow2i(V8 n) {
    const __m128i b = _mm_set1_epi32(127);
    return {_mm_castsi128_ps(_mm_slli_epi32(_mm_add_epi32(_mm_cvtps_epi32(n.lo), b), 23)),
            _mm_castsi128_ps(_mm_slli_epi32(_mm_add_epi32(_mm_cvtps_epi32(n.hi), b), 23))};
}
inline V8 v_keep_nan(V8 x, V8 r) {
    const __m128 ml = _mm_cmpunord_ps(x.lo, x.lo), mh = _mm_cmpunord_ps(x.hi, x.hi);
    return {_mm_or_ps(_mm_and_ps(ml, x.lo), _mm_andnot_ps(ml, r.lo)), _mm_or_ps(_mm_and_ps(mh, x.hi), _mm_andnot_ps(mh, r.hi))};
}
#else
struct V8 {
    float x[8];
};
template <class F>
inline V8 v_each(F f) {
    V8 v;
    for (int i = 0; i < 8; ++i) v.x[i] = f(i);
    return v;
}
inline V8 v_load(const float* p) {
    V8 v;
    std::memcpy(v.x, p, sizeof v.x);
    return v;
}
inline void v_store(float* p, V8 v) { std::memcpy(p, v.x, sizeof v.x); }
inline V8 v_set1(float s) { return v_each([&](int) { return s; }); }
inline V8 v_bcast(const float* p) { return v_set1(*p); }
inline V8 v_madd(V8 a, V8 b, V8 c) {
    for (int i = 0; i < 8; ++i) c.x[i] = a.x[i] * b.x[i] + c.x[i];
    return c;
}
inline V8 v_add(V8 a, V8 b) { return v_each([&](int i) { return a.x[i] + b.x[i]; }); }
inline V8 v_mul(V8 a, V8 b) { return v_each([&](int i) { return a.x[i] * b.x[i]; }); }
inline V8 v_div(V8 a, V8 b) { return v_each([&](int i) { return a.x[i] / b.x[i]; }); }
inline V8 v_max(V8 a, V8 b) { return v_each([&](int i) { return a.x[i] > b.x[i] ? a.x[i] : b.x[i]; }); }
inline V8 v_min(V8 a, V8 b) { return v_each([&](int i) { return a.x[i] < b.x[i] ? a.x[i] : b.x[i]; }); }
inline V8 v_rint(V8 a) { return v_each([&](int i) { return std::nearbyint(a.x[i]); }); }
inline V8 v_pow2i(V8 n) {
    return v_each([&](int i) {
        const uint32_t bits = static_cast<uint32_t>(static_cast<int32_t>(n.x[i]) + 127) << 23;
        float f;
        std::memcpy(&f, &bits, sizeof f);
        return f;
    });
}
inline V8 v_keep_nan(V8 x, V8 r) { return v_each([&](int i) { return std::isnan(x.x[i]) ? x.x[i] : r.x[i]; }); }
#endif

// e^x, float32, within 2 ulp of the correctly rounded value for x in [-87.3, 88.0] (tested against
// double-precision exp in tests/unit/test_simd.cpp). Range reduction x = n ln2 + r with ln2 split
// in two (the first part exact in float, so n * C1 is exact), |r| <= ln2 / 2, then the degree-7
// polynomial e^r ~ 1 + r + r^2 P(r) with Cephes' expf coefficients (S. L. Moshier) and
// e^x = 2^n e^r. Inputs beyond the range are clamped to it: e^x then saturates at about
// 1.6e38 and 1.2e-38 instead of reaching inf and 0; NaN stays NaN.
inline V8 v_exp(V8 x) {
    const V8 xc = v_min(v_max(x, v_set1(-87.33654f)), v_set1(88.02969f));
    const V8 n = v_rint(v_mul(xc, v_set1(1.44269504088896341f)));
    V8 r = v_madd(n, v_set1(-0.693359375f), xc);
    r = v_madd(n, v_set1(2.12194440e-4f), r);
    V8 p = v_set1(1.9875691500e-4f);
    p = v_madd(p, r, v_set1(1.3981999507e-3f));
    p = v_madd(p, r, v_set1(8.3334519073e-3f));
    p = v_madd(p, r, v_set1(4.1665795894e-2f));
    p = v_madd(p, r, v_set1(1.6666665459e-1f));
    p = v_madd(p, r, v_set1(5.0000001201e-1f));
    const V8 y = v_add(v_madd(p, v_mul(r, r), r), v_set1(1.0f));
    return v_keep_nan(x, v_mul(y, v_pow2i(n)));
}

// 1 / (1 + e^-x); NaN stays NaN (v_exp keeps it, and the sum and quotient propagate it).
inline V8 v_sigmoid(V8 x) {
    const V8 e = v_exp(v_mul(x, v_set1(-1.0f)));
    return v_div(v_set1(1.0f), v_add(v_set1(1.0f), e));
}

// y[i] = f(x[i]) for i < n, 8 at a time; the last n % 8 through the same code on a padded copy.
// x and y may be the same array.
template <class F>
inline void map8(const float* x, float* y, int64_t n, F f) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) v_store(y + i, f(v_load(x + i)));
    if (i < n) {
        float buf[8] = {};
        const size_t rest = static_cast<size_t>(n - i) * sizeof(float);
        std::memcpy(buf, x + i, rest);
        v_store(buf, f(v_load(buf)));
        std::memcpy(y + i, buf, rest);
    }
}

inline void exp_f32(const float* x, float* y, int64_t n) { map8(x, y, n, [](V8 v) { return v_exp(v); }); }
inline void sigmoid_f32(const float* x, float* y, int64_t n) { map8(x, y, n, [](V8 v) { return v_sigmoid(v); }); }

}  // namespace simd
}  // namespace mutiny

#endif  // MUTINY_OPS_SIMD_HPP_
