// The float32 GEMM's register-blocked micro-kernels on 8-float vectors (vec8.inl): 6 rows x 16
// columns of the result in 12 vector registers, one fused multiply-add per product; see
// blocking.hpp for why every output is one fixed fma chain. Included once per instruction-set
// level by impl/isa_kernels.hpp (no include guard).

// C[R x 16] (ldc) = C0 + sum_{k<kc} a[k][r] * b[k][c]; a: A panel ([k][MR]), b: B panel ([k][NR]).
// C0 = init[r] broadcast along the row when init is given (the first K block: bias or 0), else
// the current C (the next K blocks).
template <int R>
inline void ukernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, const float* init) {
    V8 c0[R], c1[R];
    if (init) {
#pragma GCC unroll 6
        for (int r = 0; r < R; ++r) c0[r] = c1[r] = v_bcast(init + r);
    } else {
#pragma GCC unroll 6
        for (int r = 0; r < R; ++r) {
            c0[r] = v_load(c + r * ldc);
            c1[r] = v_load(c + r * ldc + 8);
        }
    }
    for (int64_t k = 0; k < kc; ++k) {
        const V8 b0 = v_load(b), b1 = v_load(b + 8);
#pragma GCC unroll 6
        for (int r = 0; r < R; ++r) {
            const V8 av = v_bcast(a + r);
            c0[r] = v_madd(av, b0, c0[r]);
            c1[r] = v_madd(av, b1, c1[r]);
        }
        a += MR;
        b += NR;
    }
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
        v_store(c + r * ldc, c0[r]);
        v_store(c + r * ldc + 8, c1[r]);
    }
}

inline void ukernel_rows(int rows, int64_t kc, const float* a, const float* b, float* c, int64_t ldc, const float* init) {
    switch (rows) {
        case 6: ukernel<6>(kc, a, b, c, ldc, init); break;
        case 5: ukernel<5>(kc, a, b, c, ldc, init); break;
        case 4: ukernel<4>(kc, a, b, c, ldc, init); break;
        case 3: ukernel<3>(kc, a, b, c, ldc, init); break;
        case 2: ukernel<2>(kc, a, b, c, ldc, init); break;
        default: ukernel<1>(kc, a, b, c, ldc, init); break;
    }
}

// One micro-tile with rows <= MR and cols <= NR valid; a partial column range goes through a
// 16-wide copy (the padded columns of B are zero and never reach the output).
inline void ukernel_any(int rows, int cols, int64_t kc, const float* a, const float* b, float* c, int64_t ldc, const float* init) {
    if (cols == NR) {
        ukernel_rows(rows, kc, a, b, c, ldc, init);
        return;
    }
    alignas(64) float tmp[MR * NR] = {};
    if (!init)
        for (int r = 0; r < rows; ++r) std::memcpy(tmp + r * NR, c + r * ldc, static_cast<size_t>(cols) * sizeof(float));
    ukernel_rows(rows, kc, a, b, tmp, NR, init);
    for (int r = 0; r < rows; ++r) std::memcpy(c + r * ldc, tmp + r * NR, static_cast<size_t>(cols) * sizeof(float));
}

// A 1- or 2-row micro-tile over 3 B panels at once (48 columns): with one panel, 1 or 2 rows give
// only 2 or 4 independent fma chains, too few to hide the fma latency (small-batch Gemm/MatMul).
// Same per-output fma chain as ukernel. bstride: distance between consecutive B panels.
template <int R>
inline void ukernel_wide(int64_t kc, const float* a, const float* b, int64_t bstride, float* c, int64_t ldc, const float* init) {
    constexpr int NP = 3;
    V8 acc[R][2 * NP];
#pragma GCC unroll 2
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 6
        for (int v = 0; v < 2 * NP; ++v) acc[r][v] = init ? v_bcast(init + r) : v_load(c + r * ldc + v * 8);
    for (int64_t k = 0; k < kc; ++k) {
        V8 bv[2 * NP];
#pragma GCC unroll 3
        for (int p = 0; p < NP; ++p) {
            bv[2 * p] = v_load(b + p * bstride + k * NR);
            bv[2 * p + 1] = v_load(b + p * bstride + k * NR + 8);
        }
#pragma GCC unroll 2
        for (int r = 0; r < R; ++r) {
            const V8 av = v_bcast(a + k * MR + r);
#pragma GCC unroll 6
            for (int v = 0; v < 2 * NP; ++v) acc[r][v] = v_madd(av, bv[v], acc[r][v]);
        }
    }
#pragma GCC unroll 2
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 6
        for (int v = 0; v < 2 * NP; ++v) v_store(c + r * ldc + v * 8, acc[r][v]);
}

// Calls f(std::integral_constant<int, rows>{}) for rows in 1..MR.
template <class F>
inline void with_rows(int rows, F&& f) {
    switch (rows) {
        case 6: f(std::integral_constant<int, 6>{}); break;
        case 5: f(std::integral_constant<int, 5>{}); break;
        case 4: f(std::integral_constant<int, 4>{}); break;
        case 3: f(std::integral_constant<int, 3>{}); break;
        case 2: f(std::integral_constant<int, 2>{}); break;
        default: f(std::integral_constant<int, 1>{}); break;
    }
}
