// The AVX2 tile of the implicit-GEMM conv (conv/implicit.hpp): R rows x up to 16 columns in
// R x 2 8-float accumulators, B read unpacked from the input planes; the same fma chain per output
// as the packed micro-kernels (init, then k = 0, 1, ... in order), so the same bits as im2col + GEMM
// and as the AVX-512 tile. Included by impl/isa_kernels.hpp in the AVX2 level only (no include
// guard).

// Column block v of depth k is the 8 floats at xb + off[k] + 8 v; the last block's valid lanes are
// `mask` (masked loads read nothing past them, masked stores write nothing).
template <int R, int NV>
inline void implicit_tile_v8(int64_t kc, const float* a, const float* xb, const int64_t* off, float* c, int64_t ldc, const float* init,
                             __m256i mask) {
    V8 acc[R][NV];
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v)
            acc[r][v] = init ? v_bcast(init + r) : (v == NV - 1 ? _mm256_maskload_ps(c + r * ldc + v * 8, mask) : v_load(c + r * ldc + v * 8));
    for (int64_t k = 0; k < kc; ++k) {
        const float* bk = xb + off[k];
        V8 bv[NV];
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) bv[v] = v == NV - 1 ? _mm256_maskload_ps(bk + v * 8, mask) : v_load(bk + v * 8);
#pragma GCC unroll 6
        for (int r = 0; r < R; ++r) {
            const V8 av = v_bcast(a + r);
#pragma GCC unroll 2
            for (int v = 0; v < NV; ++v) acc[r][v] = v_madd(av, bv[v], acc[r][v]);
        }
        a += MR;
    }
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) {
            if (v == NV - 1) _mm256_maskstore_ps(c + r * ldc + v * 8, mask, acc[r][v]);
            else v_store(c + r * ldc + v * 8, acc[r][v]);
        }
}

// Rows x cols (cols <= 16) of an implicit GEMM (the isa::Kernels::implicit_tile contract).
inline void implicit_tile(int rows, int64_t cols, int64_t kc, const float* a, const float* xb, const int64_t* off, float* c, int64_t ldc,
                          const float* init) {
    const int last = static_cast<int>(cols > 8 ? cols - 8 : cols);
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(last), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    with_rows(rows, [&](auto r) {
        constexpr int R = decltype(r)::value;
        if (cols > 8) implicit_tile_v8<R, 2>(kc, a, xb, off, c, ldc, init, mask);
        else implicit_tile_v8<R, 1>(kc, a, xb, off, c, ldc, init, mask);
    });
}
