// The float32 GEMM's register-blocked micro-kernels: 6 rows x 16 columns of the result in 12
// AVX registers (SSE2, or plain C++, when AVX2 and FMA are not enabled), one fused multiply-add
// per product; see blocking.hpp for why every output is one fixed fma chain.
#ifndef MUTINY_OPS_GEMM_MICROKERNELS_HPP_
#define MUTINY_OPS_GEMM_MICROKERNELS_HPP_

#include <cstdint>
#include <cstring>

#include "../simd.hpp"

namespace mutiny {
namespace gemm {

// ---- float32 core ------------------------------------------------------------------------------

constexpr int MR = 6;                // rows of a micro-tile (A panels are MR rows wide)
constexpr int NR = 16;               // columns of a micro-tile (B panels are NR columns wide)
#ifndef MUTINY_GEMM_KC
#define MUTINY_GEMM_KC 256
#endif
#ifndef MUTINY_GEMM_MC
#define MUTINY_GEMM_MC 120
#endif
constexpr int64_t KC = MUTINY_GEMM_KC;  // depth of a K block: a KC x NR B micro-panel is 16 KB (L1)
constexpr int64_t MC = MUTINY_GEMM_MC;  // rows per M block (a multiple of MR): MC x KC of A panels is 120 KB (L2)

// 8-float vectors (simd.hpp).
using simd::V8;
using simd::v_bcast;
using simd::v_load;
using simd::v_madd;
using simd::v_store;

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

}  // namespace gemm
}  // namespace mutiny

#endif  // MUTINY_OPS_GEMM_MICROKERNELS_HPP_
