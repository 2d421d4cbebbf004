// Helpers shared by every kernel family: the kernel-level mutation sites (docs/mutation.md) with
// the same semantics as the CPU's site_lt / site_gt / site_store (include/mutiny/ops/common.hpp),
// and broadcast index arithmetic.

// The right-hand side of a comparison after the configured threshold shift, in the compute type.
inline C site_shift(C b) {
#if MUTINY_SHIFT == MUTINY_SHIFT_NONE
    return b;
#else
    const C t = (C)(MUTINY_THRESHOLD);
#if MUTINY_SHIFT == MUTINY_SHIFT_ADD
    return b + t;
#elif MUTINY_SHIFT == MUTINY_SHIFT_SUB
    return b - t;
#elif MUTINY_SHIFT == MUTINY_SHIFT_MUL
    return b * t;
#elif MUTINY_SHIFT == MUTINY_SHIFT_DIV
    return b / t;
#elif MUTINY_SHIFT == MUTINY_SHIFT_ADD_PERCENT
    return b + (b < (C)0 ? -b : b) * t / (C)100;
#else
    return b - (b < (C)0 ? -b : b) * t / (C)100;
#endif
#endif
}

// A comparison written `a < b` in a kernel (LT site).
inline int site_lt(C a, C b) {
    const C bb = site_shift(b);
#if MUTINY_CMP == MUTINY_CMP_LT_TO_LE
    return a <= bb;
#elif MUTINY_CMP == MUTINY_CMP_LT_TO_GT
    return a > bb;
#else
    return a < bb;
#endif
}

// A comparison written `a > b` in a kernel (GT site).
inline int site_gt(C a, C b) {
    const C bb = site_shift(b);
#if MUTINY_CMP == MUTINY_CMP_GT_TO_LT
    return a < bb;
#elif MUTINY_CMP == MUTINY_CMP_GT_TO_GE
    return a >= bb;
#else
    return a > bb;
#endif
}

// f32 -> f16 -> f32, round to nearest even, bit for bit as the CPU's half conversion
// (include/mutiny/core/half.hpp), written out so no device needs cl_khr_fp16.
inline float mutiny_round_f16(float v) {
    const uint u = as_uint(v);
    const uint sign = u & 0x80000000u;
    const uint a = u & 0x7fffffffu;
    if (a > 0x7f800000u) return as_float(sign | 0x7fc00000u | (a & 0x7fe000u));  // NaN, quiet
    if (a == 0x7f800000u) return v;
    if (a >= 0x477ff000u) return as_float(sign | 0x7f800000u);  // rounds to >= 65520: Inf
    if (a < 0x38800000u) {  // subnormal half: multiples of 2^-24 (scaling by 2^24 is exact)
        const float q = rint(as_float(a) * 16777216.0f) * 5.9604644775390625e-8f;
        return as_float(sign | as_uint(q));
    }
    const uint r = (a + 0x0fffu + ((a >> 13) & 1u)) & ~0x1fffu;
    return as_float(sign | r);
}

// Truncate toward zero and saturate to [lo, hi]; NaN gives 0 (as the CPU's saturate_trunc).
inline float mutiny_saturate(float v, float lo, float hi) {
    if (isnan(v)) return 0.0f;
    return fmin(fmax(trunc(v), lo), hi);
}

// The store site: every value a kernel stores passes through it. Only f32 tensors are mutated (the
// CPU applies store mutations to float32 results only).
#if MUTINY_DTYPE == 0 && MUTINY_STORE != MUTINY_STORE_NONE
inline float site_store(float v) {
#if MUTINY_STORE == MUTINY_STORE_F16
    return mutiny_round_f16(v);
#elif MUTINY_STORE == MUTINY_STORE_I32
    return mutiny_saturate(v, -2147483648.0f, 2147483648.0f);
#elif MUTINY_STORE == MUTINY_STORE_I16
    return mutiny_saturate(v, -32768.0f, 32767.0f);
#elif MUTINY_STORE == MUTINY_STORE_I8
    return mutiny_saturate(v, -128.0f, 127.0f);
#elif MUTINY_STORE == MUTINY_STORE_SUB_EPS
    return v - 1e-8f;
#else
    return v * (1.0f + 1e-8f);
#endif
}
#define SITE_STORE(v) site_store(v)
#else
#define SITE_STORE(v) (v)
#endif

// Reduction loop bound: one accumulation term fewer under MUTINY_DROP_LAST.
#if MUTINY_DROP_LAST
#define REDUCE_BOUND(n) ((n) > 0 ? (n) - 1 : (n))
#else
#define REDUCE_BOUND(n) (n)
#endif

// Broadcast offsets of output element i: meta = {rank, dims[rank], sa[rank], sb[rank]}; rank 0
// means both operands have the output's shape.
inline void broadcast_offsets(__global const int* meta, int i, int* oa, int* ob) {
    const int r = meta[0];
    if (r == 0) {
        *oa = i;
        *ob = i;
        return;
    }
    int rem = i, a = 0, b = 0;
    for (int d = r - 1; d >= 0; --d) {
        const int n = meta[1 + d];
        const int idx = rem % n;
        rem /= n;
        a += idx * meta[1 + r + d];
        b += idx * meta[1 + 2 * r + d];
    }
    *oa = a;
    *ob = b;
}
