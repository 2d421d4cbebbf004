// The AVX-512 micro-kernels: 6 rows x 32 columns in 12 512-bit registers, and the tile of the
// implicit-GEMM conv; the same fma chains as microkernels.inl, so the same bits. Included by
// impl/isa_kernels.hpp in the AVX-512 level only (no include guard).

// AVX-512: one B panel row (NR = 16 columns) is one 512-bit vector. A micro-tile is R rows x NP
// panels (R*NP accumulators: 6 x 2 for full row panels, 1-2 rows x up to 4 panels for a short
// last row panel), each accumulator the same fma chain as ukernel's, so results are bitwise those
// of the AVX2 kernels. The last panel's valid columns are `mask` (loads and stores of Y only; the
// padded columns of B are zero). bstride: distance between consecutive B panels.
template <int R, int NP, class LoadB>
inline void ukernel512_core(int64_t kc, const float* a, LoadB load_b, float* c, int64_t ldc, const float* init, __mmask16 mask) {
    __m512 acc[R][NP];
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
        for (int p = 0; p < NP; ++p)
            acc[r][p] = init ? _mm512_set1_ps(init[r])
                             : (p == NP - 1 ? _mm512_maskz_loadu_ps(mask, c + r * ldc + p * NR) : _mm512_loadu_ps(c + r * ldc + p * NR));
    for (int64_t k = 0; k < kc; ++k) {
        __m512 bv[NP];
#pragma GCC unroll 4
        for (int p = 0; p < NP; ++p) bv[p] = load_b(k, p);
#pragma GCC unroll 6
        for (int r = 0; r < R; ++r) {
            const __m512 av = _mm512_set1_ps(a[r]);
#pragma GCC unroll 4
            for (int p = 0; p < NP; ++p) acc[r][p] = _mm512_fmadd_ps(av, bv[p], acc[r][p]);
        }
        a += MR;
    }
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
        for (int p = 0; p < NP; ++p) {
            if (p == NP - 1) _mm512_mask_storeu_ps(c + r * ldc + p * NR, mask, acc[r][p]);
            else _mm512_storeu_ps(c + r * ldc + p * NR, acc[r][p]);
        }
}

// Packed B: panel p of depth k at b + p * bstride + k * NR.
template <int R, int NP>
inline void ukernel512(int64_t kc, const float* a, const float* b, int64_t bstride, float* c, int64_t ldc, const float* init, __mmask16 mask) {
    ukernel512_core<R, NP>(kc, a, [b, bstride](int64_t k, int p) { return _mm512_loadu_ps(b + p * bstride + k * NR); }, c, ldc, init, mask);
}

template <int NP>
inline void ukernel512_rows(int rows, int64_t kc, const float* a, const float* b, int64_t bstride, float* c, int64_t ldc, const float* init,
                            __mmask16 mask) {
    with_rows(rows, [&](auto r) { ukernel512<decltype(r)::value, NP>(kc, a, b, bstride, c, ldc, init, mask); });
}

// The micro-tile of an implicit GEMM (conv.hpp): B is not packed; column block p of depth k is
// the 16 floats at xb + off[k] + 16 p (the last block masked: lanes past `mask` read nothing).
// Accumulators start from init[r] (the first K block), else from C.
template <int R, int NP>
inline void ukernel512_implicit(int64_t kc, const float* a, const float* xb, const int64_t* off, float* c, int64_t ldc, const float* init,
                                __mmask16 mask) {
    ukernel512_core<R, NP>(kc, a, [xb, off, mask](int64_t k, int p) {
        const float* bk = xb + off[k] + p * NR;
        return p == NP - 1 ? _mm512_maskz_loadu_ps(mask, bk) : _mm512_loadu_ps(bk);
    }, c, ldc, init, mask);
}

// Rows x cols (cols <= 32) of an implicit GEMM, see ukernel512_implicit.
inline void implicit_tile(int rows, int64_t cols, int64_t kc, const float* a, const float* xb, const int64_t* off, float* c, int64_t ldc,
                          const float* init) {
    const int64_t last = cols > NR ? cols - NR : cols;
    const __mmask16 mask = static_cast<__mmask16>((1u << last) - 1u);
    with_rows(rows, [&](auto r) {
        constexpr int R = decltype(r)::value;
        if (cols > NR) ukernel512_implicit<R, 2>(kc, a, xb, off, c, ldc, init, mask);
        else ukernel512_implicit<R, 1>(kc, a, xb, off, c, ldc, init, mask);
    });
}

// Panels [j0, j1) (at most 2, or at most 4 for 1-2 rows) of one row panel.
inline void ukernel512_any(int rows, int64_t j0, int64_t j1, int64_t cols, int64_t kc, const float* a, const float* b, int64_t bstride,
                           float* c, int64_t ldc, const float* init) {
    const int64_t last = std::min<int64_t>(NR, cols - (j1 - 1) * NR);
    const __mmask16 mask = static_cast<__mmask16>((1u << last) - 1u);
    switch (j1 - j0) {
        case 1: ukernel512_rows<1>(rows, kc, a, b, bstride, c, ldc, init, mask); break;
        case 2: ukernel512_rows<2>(rows, kc, a, b, bstride, c, ldc, init, mask); break;
        case 3:
            if (rows == 2) ukernel512<2, 3>(kc, a, b, bstride, c, ldc, init, mask);
            else ukernel512<1, 3>(kc, a, b, bstride, c, ldc, init, mask);
            break;
        default:
            if (rows == 2) ukernel512<2, 4>(kc, a, b, bstride, c, ldc, init, mask);
            else ukernel512<1, 4>(kc, a, b, bstride, c, ldc, init, mask);
            break;
    }
}
