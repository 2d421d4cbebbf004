// 8-float vectors for one instruction-set level: included once per level by impl/isa_kernels.hpp,
// inside that level's namespace and target region, with MUTINY_ISA_LEVEL set (0 portable C++,
// 1 SSE2, 2 AVX2+FMA, 3 AVX-512, whose 8-float vectors are AVX2's). No include guard: the file is
// meant to be read once per level; it includes nothing (the includer does, before the region).
//
// Every level computes each lane by the same IEEE operations: v_madd is a fused multiply-add
// (rounded once) everywhere: the fma instruction on AVX2/AVX-512, std::fma in portable C++, and on
// SSE2 (no fma instruction) an exact emulation: the float product is exact in double (24 + 24 <
// 53 bits), the double sum is rounded to odd, and the conversion to float then rounds exactly once
// as fma would (rounding to odd with at least 2 more bits than the target makes the second
// rounding correct; tests/unit/test_isa.cpp compares it with std::fma).

#if MUTINY_ISA_LEVEL >= 2
using V8 = __m256;
inline V8 v_load(const float* p) { return _mm256_loadu_ps(p); }
inline void v_store(float* p, V8 v) { _mm256_storeu_ps(p, v); }
inline V8 v_bcast(const float* p) { return _mm256_broadcast_ss(p); }
inline V8 v_set1(float x) { return _mm256_set1_ps(x); }
inline V8 v_madd(V8 a, V8 b, V8 c) { return _mm256_fmadd_ps(a, b, c); }
inline V8 v_add(V8 a, V8 b) { return _mm256_add_ps(a, b); }
inline V8 v_mul(V8 a, V8 b) { return _mm256_mul_ps(a, b); }
inline V8 v_div(V8 a, V8 b) { return _mm256_div_ps(a, b); }
// max/min return b where either is NaN (x86 semantics, kept by the other levels).
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
#elif MUTINY_ISA_LEVEL == 1
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
// p + c rounded to odd (two lanes): the nearest sum s and its error e (Knuth's TwoSum, exact:
// p + c = s + e); where e != 0 the truncation of p + c is s, or s one ulp toward zero when e and s
// have opposite signs, and rounding to odd sets its last bit. Infinities and NaN pass as s.
inline __m128d sum_round_odd(__m128d p, __m128d c) {
    const __m128d s = _mm_add_pd(p, c);
    const __m128d bp = _mm_sub_pd(s, c);
    const __m128d e = _mm_add_pd(_mm_sub_pd(p, bp), _mm_sub_pd(c, _mm_sub_pd(s, bp)));
    const __m128d abs_mask = _mm_castsi128_pd(_mm_set1_epi64x(0x7fffffffffffffffLL));
    const __m128d finite = _mm_cmplt_pd(_mm_and_pd(s, abs_mask), _mm_set1_pd(__builtin_inf()));
    const __m128i inexact = _mm_castpd_si128(_mm_and_pd(_mm_cmpneq_pd(e, _mm_setzero_pd()), finite));
    // Sign bit of e ^ s spread over each 64-bit lane: all ones where the signs differ.
    const __m128i opposite = _mm_shuffle_epi32(_mm_srai_epi32(_mm_castpd_si128(_mm_xor_pd(e, s)), 31), _MM_SHUFFLE(3, 3, 1, 1));
    const __m128i one = _mm_set1_epi64x(1);
    const __m128i t = _mm_sub_epi64(_mm_castpd_si128(s), _mm_and_si128(_mm_and_si128(opposite, inexact), one));
    return _mm_castsi128_pd(_mm_or_si128(t, _mm_and_si128(inexact, one)));
}
// fma(a, b, c) for four floats, rounded once (see the file comment).
inline __m128 fma4(__m128 a, __m128 b, __m128 c) {
    const __m128d lo = sum_round_odd(_mm_mul_pd(_mm_cvtps_pd(a), _mm_cvtps_pd(b)), _mm_cvtps_pd(c));
    const __m128 ah = _mm_movehl_ps(a, a), bh = _mm_movehl_ps(b, b), ch = _mm_movehl_ps(c, c);
    const __m128d hi = sum_round_odd(_mm_mul_pd(_mm_cvtps_pd(ah), _mm_cvtps_pd(bh)), _mm_cvtps_pd(ch));
    return _mm_movelh_ps(_mm_cvtpd_ps(lo), _mm_cvtpd_ps(hi));
}
inline V8 v_madd(V8 a, V8 b, V8 c) { return {fma4(a.lo, b.lo, c.lo), fma4(a.hi, b.hi, c.hi)}; }
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
inline V8 v_madd(V8 a, V8 b, V8 c) { return v_each([&](int i) { return std::fma(a.x[i], b.x[i], c.x[i]); }); }
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
