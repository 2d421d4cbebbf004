// The vector math built on vec8.inl (e^x, sigmoid) and the array functions that map it, for one
// instruction-set level (included per level by impl/isa_kernels.hpp; no include guard).
//
// map8 runs a short tail through the same vector code on a padded copy, so an element's value
// never depends on its position, the array length or the chunking. That is what lets incremental
// execution compute a few units of a tensor and get the bits of a full run
// (exec/cpu/executor.hpp); and since every level computes a lane by the same operations
// (vec8.inl), the bits are those of every other level too.

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
// x and y may be the same array. (F is a template argument, not a lambda: a captureless lambda
// gets a compiler-made function-pointer thunk outside the level's target region.)
template <V8 (*F)(V8)>
inline void map8(const float* x, float* y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) v_store(y + i, F(v_load(x + i)));
    if (i < n) {
        float buf[8] = {};
        const size_t rest = static_cast<size_t>(n - i) * sizeof(float);
        std::memcpy(buf, x + i, rest);
        v_store(buf, F(v_load(buf)));
        std::memcpy(y + i, buf, rest);
    }
}

inline void exp_f32(const float* x, float* y, int64_t n) { map8<v_exp>(x, y, n); }
inline void sigmoid_f32(const float* x, float* y, int64_t n) { map8<v_sigmoid>(x, y, n); }
