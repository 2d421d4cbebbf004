// Gemm and MatMul, plus the float32 GEMM core that Conv shares (conv.hpp).
//
// Float32 runs on a packed GEMM with a register-blocked micro-kernel (6 rows x 16 columns of the
// result held in 12 AVX registers, one fused multiply-add per product; with AVX-512 enabled at
// compile time, 6 rows x 32 columns in 12 512-bit registers (ukernel512); SSE2 or plain C++ when
// AVX2 and FMA are not enabled). f64 and f16 (computing in float) use a reference loop.
//
// Why not Eigen's GEMM: measured on this project's target machine (AVX2+FMA, -O3 -march=native,
// one thread), Eigen 3.4 reaches ~35-47 GFLOP/s on conv-shaped products where ONNX Runtime's MLAS
// reaches ~70; a packed 6x16 FMA kernel with weights packed once in prepare() closes most of that
// gap. It also makes determinism structural, see below.
//
// Why results are deterministic (bitwise identical whatever the number of TBB threads)
// -----------------------------------------------------------------------------------------
// Every output element y is computed by exactly one micro-kernel call chain as
//     acc = init (0, bias or beta*C);  for k = 0, 1, ..., K-1:  acc = fma(a[m,k], b[k,n], acc)
// in that order, whatever the blocking: the K loop is cut into blocks of KC, but between blocks
// the accumulator is stored to the (float32) output and loaded back, which is exact, so the chain
// is the same as an unblocked one. The reduction dimension is never split across chunks or
// threads and partial sums are never combined. Work is cut into tasks (M blocks x N blocks x
// batch, or for Conv image x group x output-channel block x output-position tile) whose sizes are
// computed from the problem shape alone (plan_blocks, conv::plan_conv), never from the thread
// count; threads only change which core runs a task. (A side effect: the value of an output does
// not even depend on the block sizes or the batch size, only on the build's instruction set.)
#ifndef MUTINY_OPS_GEMM_HPP_
#define MUTINY_OPS_GEMM_HPP_

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#include "../core/parallel.hpp"
#include "common.hpp"
#include "simd.hpp"

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

#if defined(MUTINY_GEMM_AVX512)
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
#endif

// Y[rows x cols] (ldy) = Y0 + A * B over k in [0, Ke). Ap: the block's A panels (panel i holds
// rows i*MR.. as [depth_a][MR]); Bp: its B panels (panel j holds columns j*NR.. as [depth_b][NR]).
// Y0 = row_init[m] broadcast along row m (a bias), or 0 when zero_init, or else the current Y.
// Loops: M blocks of MC rows (A in L2), K blocks of KC (a B micro-panel in L1), B panels, A panels.
inline void block_gemm(int64_t rows, int64_t cols, int64_t Ke, const float* Ap, int64_t depth_a, const float* Bp, int64_t depth_b,
                       float* Y, int64_t ldy, const float* row_init = nullptr, bool zero_init = false) {
    static const float zeros[MR] = {};
    const bool init = row_init || zero_init;
    if (Ke <= 0) {
        if (init)
            for (int64_t m = 0; m < rows; ++m) std::fill(Y + m * ldy, Y + m * ldy + cols, zero_init ? 0.0f : row_init[m]);
        return;
    }
    // The first K block starts each accumulator from its init value.
    auto init_of = [&](int64_t k0, int64_t i) -> const float* {
        if (k0 > 0 || !init) return nullptr;
        return zero_init ? zeros : row_init + i * MR;
    };
    const int64_t mp = (rows + MR - 1) / MR, np = (cols + NR - 1) / NR;
    constexpr int64_t mc_panels = MC / MR;
#if defined(MUTINY_GEMM_AVX512)
    // Row panels of 3-6 rows take B panels 2 at a time (a KC-deep pair, 32 KB, stays in L1 while
    // the M block's A panels stream from L2); a last row panel of 1-2 rows takes 4 at a time.
    const int tail = static_cast<int>(rows - (mp - 1) * MR);
    const int64_t mfull = tail <= 2 ? mp - 1 : mp;  // row panels of 3-6 rows
    for (int64_t i0 = 0; i0 < mp; i0 += mc_panels) {
        const int64_t i1 = std::min(mp, i0 + mc_panels), iend = std::min(i1, mfull);
        for (int64_t k0 = 0; k0 < Ke; k0 += KC) {
            const int64_t kc = std::min(KC, Ke - k0);
            for (int64_t j = 0; j < np && iend > i0; j += 2) {
                const int64_t je = std::min(np, j + 2);
                const float* b = Bp + j * depth_b * NR + k0 * NR;
                for (int64_t i = i0; i < iend; ++i) {
                    const int rw = static_cast<int>(std::min<int64_t>(MR, rows - i * MR));
                    ukernel512_any(rw, j, je, cols, kc, Ap + i * depth_a * MR + k0 * MR, b, depth_b * NR, Y + i * MR * ldy + j * NR, ldy,
                                   init_of(k0, i));
                }
            }
            if (i1 > iend) {
                const int64_t i = mp - 1;
                for (int64_t j = 0; j < np; j += 4) {
                    const int64_t je = std::min(np, j + 4);
                    ukernel512_any(tail, j, je, cols, kc, Ap + i * depth_a * MR + k0 * MR, Bp + j * depth_b * NR + k0 * NR, depth_b * NR,
                                   Y + i * MR * ldy + j * NR, ldy, init_of(k0, i));
                }
            }
        }
    }
#else
    // A last row panel of 1 or 2 rows runs over 3 full B panels at a time where it can.
    const int tail = static_cast<int>(rows - (mp - 1) * MR);
    const bool wide_tail = tail <= 2;
    const int64_t full_np = cols / NR;
    for (int64_t i0 = 0; i0 < mp; i0 += mc_panels) {
        const int64_t i1 = std::min(mp, i0 + mc_panels);
        const bool has_tail = wide_tail && i1 == mp;
        const int64_t iend = has_tail ? i1 - 1 : i1;
        for (int64_t k0 = 0; k0 < Ke; k0 += KC) {
            const int64_t kc = std::min(KC, Ke - k0);
            // Groups of 3 B panels: every row panel, the 1-2 row tail included, uses them while
            // they are in L1.
            for (int64_t j0 = 0; j0 < np; j0 += 3) {
                const int64_t j1 = std::min(np, j0 + 3);
                for (int64_t j = j0; j < j1; ++j) {
                    const float* b = Bp + j * depth_b * NR + k0 * NR;
                    const int cw = static_cast<int>(std::min<int64_t>(NR, cols - j * NR));
                    for (int64_t i = i0; i < iend; ++i) {
                        const int rw = static_cast<int>(std::min<int64_t>(MR, rows - i * MR));
                        ukernel_any(rw, cw, kc, Ap + i * depth_a * MR + k0 * MR, b, Y + i * MR * ldy + j * NR, ldy, init_of(k0, i));
                    }
                }
                if (!has_tail) continue;
                const int64_t i = mp - 1;
                const float* a = Ap + i * depth_a * MR + k0 * MR;
                float* yt = Y + i * MR * ldy;
                if (j0 + 3 <= full_np) {
                    const float* b = Bp + j0 * depth_b * NR + k0 * NR;
                    if (tail == 2) ukernel_wide<2>(kc, a, b, depth_b * NR, yt + j0 * NR, ldy, init_of(k0, i));
                    else ukernel_wide<1>(kc, a, b, depth_b * NR, yt + j0 * NR, ldy, init_of(k0, i));
                } else {
                    for (int64_t j = j0; j < j1; ++j)
                        ukernel_any(tail, static_cast<int>(std::min<int64_t>(NR, cols - j * NR)), kc, a, Bp + j * depth_b * NR + k0 * NR,
                                    yt + j * NR, ldy, init_of(k0, i));
                }
            }
        }
    }
#endif
}

inline int64_t packed_a_size(int64_t rows, int64_t depth) { return (rows + MR - 1) / MR * MR * depth; }
inline int64_t packed_b_size(int64_t cols, int64_t depth) { return (cols + NR - 1) / NR * NR * depth; }

// A panels from a[m, k] = src[m * rs + k * cs] (row-major: rs = lda, cs = 1; transposed: rs = 1,
// cs = lda), scaled by alpha; rows past `rows` are left unset (never read).
inline void pack_a(const float* src, int64_t rs, int64_t cs, int64_t rows, int64_t depth, float alpha, float* dst) {
    const int64_t mp = (rows + MR - 1) / MR;
    for (int64_t i = 0; i < mp; ++i) {
        float* d = dst + i * depth * MR;
        for (int r = 0; r < MR; ++r) {
            const int64_t m = i * MR + r;
            if (m >= rows) break;  // the micro-kernels never read rows past `rows`
            const float* s = src + m * rs;
            if (alpha == 1.0f)
                for (int64_t k = 0; k < depth; ++k) d[k * MR + r] = s[k * cs];
            else
                for (int64_t k = 0; k < depth; ++k) d[k * MR + r] = alpha * s[k * cs];
        }
    }
}

// B panels from b[k, n] = src[k * rs + n * cs] (row-major [K,N]: rs = ldb, cs = 1; given as
// Bt [N,K]: rs = 1, cs = ldb); columns past `cols` are zero.
inline void pack_b(const float* src, int64_t rs, int64_t cs, int64_t cols, int64_t depth, float* dst) {
    const int64_t np = (cols + NR - 1) / NR;
    for (int64_t j = 0; j < np; ++j) {
        float* d = dst + j * depth * NR;
        const int64_t w = std::min<int64_t>(NR, cols - j * NR);
        if (cs == 1) {
            for (int64_t k = 0; k < depth; ++k) {
                std::memcpy(d + k * NR, src + k * rs + j * NR, static_cast<size_t>(w) * sizeof(float));
                if (w < NR) std::fill(d + k * NR + w, d + (k + 1) * NR, 0.0f);
            }
        } else {
            for (int64_t c = 0; c < NR; ++c) {
                if (c >= w) {
                    for (int64_t k = 0; k < depth; ++k) d[k * NR + c] = 0.0f;
                    continue;
                }
                const float* s = src + (j * NR + c) * cs;
                for (int64_t k = 0; k < depth; ++k) d[k * NR + c] = s[k * rs];
            }
        }
    }
}

// Per-thread scratch (packed operands, im2col panels), 64-byte aligned: grows, never shrinks, so
// steady-state calls do not allocate. Slots 0 and 1 are used inside one task body, which never
// re-enters TBB; slot 2 by a kernel's calling thread for a buffer its tasks share (conv_implicit).
inline float* scratch(size_t n, int slot = 0) {
    struct Buf {
        float* p = nullptr;
        size_t n = 0;
        ~Buf() { std::free(p); }
    };
    thread_local Buf buf[3];
    Buf& b = buf[slot];
    if (b.n < n) {
        std::free(b.p);
        const size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
        b.p = static_cast<float*>(std::aligned_alloc(64, bytes));
        if (!b.p) {
            b.n = 0;
            throw Error("out of memory", "GEMM scratch", "cannot allocate " + std::to_string(bytes) + " bytes");
        }
        b.n = n;
    }
    return b.p;
}

// Block sizes for `outer` independent M x N x K products, from the shape alone (see the header
// comment). Aims at chunks of at least ~128k multiply-adds and at most ~64 chunks in all, splitting
// the dimension whose blocks are larger. N blocks are multiples of NR (so a block starts on a
// panel of a pre-packed B) and >= 32 columns; M blocks are multiples of MR and >= 16 rows.
struct Blocks {
    int64_t mb = 1, nb = 1, mblocks = 1, nblocks = 1;
};
inline Blocks plan_blocks(int64_t M, int64_t N, int64_t K, int64_t outer, bool b_prepacked) {
    Blocks b;
    b.mb = std::max<int64_t>(M, 1);
    b.nb = std::max<int64_t>(N, 1);
    const int64_t total = outer * M * N * std::max<int64_t>(K, 1);
    int64_t target = std::min<int64_t>(64, std::max<int64_t>(1, total / 131072));
    int64_t per = (target + outer - 1) / std::max<int64_t>(outer, 1);
    constexpr int64_t min_m = 16, min_n = 32;
    // When the last row panel has 1 or 2 rows, block_gemm runs it over 3 B panels at a time: keep
    // N blocks multiples of 3 panels then.
    const int64_t tail = M - (std::max<int64_t>(M, 1) - 1) / MR * MR;
    const int64_t nunit = tail <= 2 ? 3 * NR : NR;
    auto cdiv = [](int64_t a, int64_t c) { return (a + c - 1) / c; };
    while (b.mblocks * b.nblocks < per) {
        const bool can_m = b.mb >= 2 * min_m, can_n = b.nb >= 2 * min_n;
        if (!can_m && !can_n) break;
        // Split the dimension with larger blocks (N on ties). Each task packs its rows of A (and
        // its columns of B unless B was packed in prepare()), so with a pre-packed B splitting M
        // costs nothing extra: split M first then.
        // Next block count whose rounded block size really gives more blocks (rounding blocks up to
        // multiples of NR or MR can map several counts to one size).
        auto split = [&](int64_t D, int64_t unit, int64_t& blk, int64_t& blocks) {
            for (int64_t cnt = blocks + 1; cnt <= D; ++cnt) {
                const int64_t sz = std::min<int64_t>(D, cdiv(cdiv(D, cnt), unit) * unit);
                if (cdiv(D, sz) > blocks) {
                    blk = sz;
                    blocks = cdiv(D, sz);
                    return true;
                }
            }
            return false;
        };
        const bool split_n = can_n && (!can_m || (!b_prepacked && b.nb >= b.mb));
        if (!(split_n ? split(N, nunit, b.nb, b.nblocks) : split(M, MR, b.mb, b.mblocks))) break;
    }
    return b;
}

// ---- reference loops (f64, f16 computing in float) ----------------------------------------------

// y[m*ldy + n] = alpha * sum_{k<K} a(m,k) b(k,n) + (init? init(m,n) : 0), a(m,k) = A[m*ars + k*acs].
template <class T, class Init>
void ref_gemm(int64_t M, int64_t N, int64_t K, double alpha, const T* A, int64_t ars, int64_t acs,
              const T* B, int64_t brs, int64_t bcs, T* Y, int64_t ldy, Init init) {
    using C = compute_t<T>;
    parallel_chunks(M, grain_for(M, N * std::max<int64_t>(K, 1)), [&](int64_t m0, int64_t m1) {
        for (int64_t m = m0; m < m1; ++m)
            for (int64_t n = 0; n < N; ++n) {
                C s = 0;
                for (int64_t k = 0; k < K; ++k) s += load(A[m * ars + k * acs]) * load(B[k * brs + n * bcs]);
                Y[m * ldy + n] = store_as<T>(static_cast<C>(alpha) * s + static_cast<C>(init(m, n)));
            }
    });
}

inline bool is_supported_float(DType t) { return t == DType::f32 || t == DType::f64 || t == DType::f16; }

// The store site (DESIGN.md 4B) over a rows x cols block of y (ldy).
inline void store_sites(const SiteConfig* s, float* y, int64_t rows, int64_t cols, int64_t ldy) {
    for (int64_t m = 0; m < rows; ++m)
        for (int64_t n = 0; n < cols; ++n) y[m * ldy + n] = site_store(s, y[m * ldy + n]);
}

// The float32 products of Gemm and MatMul: for each of `nprod` products p,
//   Y_p[M, N] = init + alpha * A_p[M, :Ke] * B_p[:Ke, N],
// a_p(m, k) = A[aoff[p] + m*ars + k*acs]; B either pre-packed panels shared by every product (Bpk,
// depth K) or b_p(k, n) = B[boff[p] + k*brs + n*bcs]; Y_p = Y + p*M*N (row-major).
// init(p, m0, m1, n0, n1, y) writes the initial values of a block (y = its first element, ld N);
// with zero_init it is not called and the GEMM starts from 0 instead (no extra pass).
// Tasks are (product, M block, N block) from plan_blocks. An operand block that several tasks read
// (A rows when N is split, B columns when M is split) is packed once per call, in parallel, into a
// shared buffer; otherwise each task packs its own into thread-local scratch.
struct GemmOperands {
    const float* A = nullptr;
    int64_t ars = 0, acs = 0;
    const float* Bpk = nullptr;
    const float* B = nullptr;
    int64_t brs = 0, bcs = 0;
    const int64_t* aoff = nullptr;  // per product (null: all 0)
    const int64_t* boff = nullptr;
};

template <class Init>
void run_gemm(int64_t nprod, int64_t M, int64_t N, int64_t K, int64_t Ke, float alpha, const GemmOperands& op, float* Y,
              const Blocks& bl, const SiteConfig* sites, bool zero_init, Init init) {
    if (nprod <= 0 || M <= 0 || N <= 0) return;
    const bool share_a = bl.nblocks > 1 && Ke > 0;
    const bool share_b = !op.Bpk && bl.mblocks > 1 && Ke > 0;
    const int64_t asz = packed_a_size(M, Ke), bsz = packed_b_size(N, Ke);
    std::unique_ptr<float[]> abuf, bbuf;
    if (share_a) abuf.reset(new float[static_cast<size_t>(nprod * asz)]);
    if (share_b) bbuf.reset(new float[static_cast<size_t>(nprod * bsz)]);
    auto aoff = [&](int64_t p) { return op.aoff ? op.aoff[p] : 0; };
    auto boff = [&](int64_t p) { return op.boff ? op.boff[p] : 0; };
    if (share_a || share_b) {
        const int64_t na = share_a ? bl.mblocks : 0, nb = share_b ? bl.nblocks : 0;
        parallel_chunks(nprod * (na + nb), 1, [&](int64_t c0, int64_t c1) {
            for (int64_t ci = c0; ci < c1; ++ci) {
                const int64_t p = ci / (na + nb), r = ci % (na + nb);
                if (r < na) {
                    const int64_t m0 = r * bl.mb, m1 = std::min(M, m0 + bl.mb);
                    pack_a(op.A + aoff(p) + m0 * op.ars, op.ars, op.acs, m1 - m0, Ke, alpha, abuf.get() + p * asz + (m0 / MR) * Ke * MR);
                } else {
                    const int64_t n0 = (r - na) * bl.nb, n1 = std::min(N, n0 + bl.nb);
                    pack_b(op.B + boff(p) + n0 * op.bcs, op.brs, op.bcs, n1 - n0, Ke, bbuf.get() + p * bsz + (n0 / NR) * Ke * NR);
                }
            }
        });
    }
    const int64_t per = bl.mblocks * bl.nblocks;
    parallel_chunks(nprod * per, 1, [&](int64_t c0, int64_t c1) {
        for (int64_t ci = c0; ci < c1; ++ci) {
            const int64_t p = ci / per, r = ci % per;
            const int64_t mi = r / bl.nblocks, ni = r % bl.nblocks;
            const int64_t m0 = mi * bl.mb, m1 = std::min(M, m0 + bl.mb);
            const int64_t n0 = ni * bl.nb, n1 = std::min(N, n0 + bl.nb);
            float* y = Y + p * M * N + m0 * N + n0;
            if (!zero_init || Ke <= 0) init(p, m0, m1, n0, n1, y);
            if (Ke > 0) {
                const float* ap;
                if (share_a) {
                    ap = abuf.get() + p * asz + (m0 / MR) * Ke * MR;
                } else {
                    float* t = scratch(static_cast<size_t>(packed_a_size(m1 - m0, Ke)), 0);
                    pack_a(op.A + aoff(p) + m0 * op.ars, op.ars, op.acs, m1 - m0, Ke, alpha, t);
                    ap = t;
                }
                const float* bp;
                int64_t depth_b = Ke;
                if (op.Bpk) {
                    bp = op.Bpk + (n0 / NR) * K * NR;
                    depth_b = K;
                } else if (share_b) {
                    bp = bbuf.get() + p * bsz + (n0 / NR) * Ke * NR;
                } else {
                    float* t = scratch(static_cast<size_t>(packed_b_size(n1 - n0, Ke)), 1);
                    pack_b(op.B + boff(p) + n0 * op.bcs, op.brs, op.bcs, n1 - n0, Ke, t);
                    bp = t;
                }
                block_gemm(m1 - m0, n1 - n0, Ke, ap, Ke, bp, depth_b, y, N, nullptr, zero_init);
            }
            if (sites) store_sites(sites, y, m1 - m0, n1 - n0, N);
        }
    });
}

// ---- Gemm ------------------------------------------------------------------------------------------

inline void gemm_infer(InferContext& c) {
    c.expect_inputs(2, 3);
    for (size_t i = 0; i < 3; ++i) {
        if (!c.has_input(i)) continue;
        if (!is_supported_float(c.dtype(i)))
            c.fail("unsupported input dtype", "input " + std::to_string(i) + " is " + dtype_name(c.dtype(i)) + "; Gemm supports f32, f64 and f16");
        if (c.dtype(i) != c.dtype(0))
            c.fail("input dtypes differ", std::string("input 0 is ") + dtype_name(c.dtype(0)) + ", input " + std::to_string(i) + " is " + dtype_name(c.dtype(i)));
    }
    const Shape& a = c.shape(0);
    const Shape& b = c.shape(1);
    if (a.rank() != 2) c.fail("Gemm input A is not a matrix", "A has shape " + a.str() + ", rank 2 is required");
    if (b.rank() != 2) c.fail("Gemm input B is not a matrix", "B has shape " + b.str() + ", rank 2 is required");
    const bool ta = c.attrs().get_int("transA", 0) != 0, tb = c.attrs().get_int("transB", 0) != 0;
    const int64_t M = ta ? a[1] : a[0], Ka = ta ? a[0] : a[1];
    const int64_t Kb = tb ? b[1] : b[0], N = tb ? b[0] : b[1];
    if (Ka != Kb)
        c.fail("Gemm inner dimensions differ",
               "A" + std::string(ta ? "^T" : "") + " is " + std::to_string(M) + "x" + std::to_string(Ka) + " (A " + a.str() +
                   "), B" + (tb ? "^T" : "") + " is " + std::to_string(Kb) + "x" + std::to_string(N) + " (B " + b.str() + ")");
    const Shape out{M, N};
    if (c.has_input(2)) {
        const Shape& cs = c.shape(2);
        bool ok = cs.rank() <= 2;
        if (ok) {
            for (size_t i = 0; i < cs.rank(); ++i) {
                const int64_t want = out[2 - cs.rank() + i];
                if (cs[i] != 1 && cs[i] != want) ok = false;
            }
        }
        if (!ok) c.fail("Gemm bias C does not broadcast to [M,N]", "C has shape " + cs.str() + ", the result is " + out.str());
    }
    c.set_output(0, c.dtype(0), out);
}

// Fills y[M,N] (ldy) with beta * C broadcast (or zeros).
inline void fill_bias(int64_t m0, int64_t m1, int64_t n0, int64_t n1, float* y, int64_t ldy, const float* cp,
                      int64_t csm, int64_t csn, float beta) {
    for (int64_t m = m0; m < m1; ++m) {
        float* row = y + (m - m0) * ldy;
        const int64_t w = n1 - n0;
        if (!cp || beta == 0.0f) {
            std::fill(row, row + w, 0.0f);
        } else if (csn == 0) {
            const float v = beta * cp[m * csm];
            std::fill(row, row + w, v);
        } else if (beta == 1.0f) {
            const float* src = cp + m * csm + n0 * csn;
            for (int64_t j = 0; j < w; ++j) row[j] = src[j * csn];
        } else {
            const float* src = cp + m * csm + n0 * csn;
            for (int64_t j = 0; j < w; ++j) row[j] = beta * src[j * csn];
        }
    }
}

inline Kernel gemm_prepare(const PrepareContext& pc) {
    const bool ta = pc.attrs().get_int("transA", 0) != 0, tb = pc.attrs().get_int("transB", 0) != 0;
    const double alpha = pc.attrs().get_float("alpha", 1.0), beta = pc.attrs().get_float("beta", 1.0);
    const SiteConfig sites = pc.sites;
    const bool mutated = !sites.is_default();  // decided once: the default path never looks at sites
    const DType dt = pc.in[0].dtype;
    if (dt != DType::f32) {
        return [ta, tb, alpha, beta, sites](ExecContext& c) {
            const Tensor& A = c.input(0);
            const Tensor& B = c.input(1);
            Tensor& Y = *c.out[0];
            const int64_t M = Y.shape()[0], N = Y.shape()[1];
            const int64_t K = ta ? A.shape()[0] : A.shape()[1];
            const int64_t Ke = sites.reduction_drop_last && K > 0 ? K - 1 : K;
            const int64_t ars = ta ? 1 : K, acs = ta ? M : 1;
            const int64_t brs = tb ? 1 : N, bcs = tb ? K : 1;
            std::vector<int64_t> cstr{0, 0};
            const Tensor* Cp = c.has(2) ? c.in[2] : nullptr;
            if (Cp) cstr = broadcast_strides(Cp->shape(), Shape{M, N});
            dispatch_dtype(A.dtype(), [&](auto tag) {
                using T = decltype(tag);
                if constexpr (std::is_same_v<T, double> || std::is_same_v<T, half>) {
                    const T* cp = Cp ? Cp->data<T>() : nullptr;
                    ref_gemm<T>(M, N, Ke, alpha, A.data<T>(), ars, acs, B.data<T>(), brs, bcs, Y.data<T>(), N,
                                [&](int64_t m, int64_t n) -> compute_t<T> {
                                    return cp ? static_cast<compute_t<T>>(beta) * load(cp[m * cstr[0] + n * cstr[1]]) : compute_t<T>(0);
                                });
                } else {
                    throw Error("unsupported dtype", Graph::where(*c.node), dtype_name(A.dtype()));
                }
            });
        };
    }
    // float32: a constant B is packed once into NR-column panels (full depth K).
    Tensor packed;
    const Tensor* bconst = pc.consts.size() > 1 ? pc.consts[1] : nullptr;
    if (bconst && bconst->dtype() == DType::f32) {
        const int64_t K = tb ? bconst->shape()[1] : bconst->shape()[0], N = tb ? bconst->shape()[0] : bconst->shape()[1];
        packed = Tensor(DType::f32, Shape{packed_b_size(N, K)});
        pack_b(bconst->data<float>(), tb ? 1 : N, tb ? K : 1, N, K, packed.data<float>());
    }
    const float falpha = static_cast<float>(alpha), fbeta = static_cast<float>(beta);
    return [ta, tb, falpha, fbeta, sites, mutated, packed](ExecContext& c) {
        const Tensor& A = c.input(0);
        Tensor& Y = *c.out[0];
        const int64_t M = Y.shape()[0], N = Y.shape()[1];
        const int64_t K = ta ? A.shape()[0] : A.shape()[1];
        const int64_t Ke = sites.reduction_drop_last && K > 0 ? K - 1 : K;
        const Tensor* Cp = c.has(2) ? c.in[2] : nullptr;
        const float* cp = Cp ? Cp->data<float>() : nullptr;
        int64_t csm = 0, csn = 0;
        if (Cp) {
            const auto s = broadcast_strides(Cp->shape(), Shape{M, N});
            csm = s[0];
            csn = s[1];
        }
        GemmOperands op;
        op.A = A.data<float>();
        op.ars = ta ? 1 : K;
        op.acs = ta ? M : 1;
        op.Bpk = packed.empty() ? nullptr : packed.data<float>();
        op.B = packed.empty() ? c.input(1).data<float>() : nullptr;
        op.brs = tb ? 1 : N;
        op.bcs = tb ? K : 1;
        const Blocks bl = plan_blocks(M, N, Ke, 1, op.Bpk != nullptr);
        run_gemm(1, M, N, K, Ke, falpha, op, Y.data<float>(), bl, mutated ? &sites : nullptr, cp == nullptr || fbeta == 0.0f,
                 [&](int64_t, int64_t m0, int64_t m1, int64_t n0, int64_t n1, float* y) { fill_bias(m0, m1, n0, n1, y, N, cp, csm, csn, fbeta); });
    };
}

inline const bool registered_gemm = Registry::instance().add(OpDef{
    "Gemm",
    [](ImportContext& ic) {
        // Opsets 1-6 had `broadcast`; C's broadcasting is always unidirectional since opset 7.
        if (ic.opset < 7) ic.node->attrs.erase("broadcast");
    },
    gemm_infer, gemm_prepare});

// ---- MatMul (numpy semantics) ---------------------------------------------------------------------

struct MatMulShapes {
    Shape batch;      // broadcast batch dims
    int64_t M = 1, K = 1, N = 1;
    Shape out;
    std::vector<int64_t> a_bstr, b_bstr;  // element strides of A's / B's matrices per batch dim (0 = broadcast)
};

// `fail` reports an error (InferContext::fail or a thrower).
template <class Fail>
MatMulShapes matmul_shapes(const Shape& a, const Shape& b, Fail fail) {
    if (a.rank() == 0 || b.rank() == 0)
        fail("MatMul operand is a scalar", "A has shape " + a.str() + ", B has shape " + b.str() + "; rank >= 1 is required");
    MatMulShapes r;
    std::vector<int64_t> ad = a.dims(), bd = b.dims();
    const bool a1 = ad.size() == 1, b1 = bd.size() == 1;
    if (a1) ad.insert(ad.begin(), 1);
    if (b1) bd.push_back(1);
    r.M = ad[ad.size() - 2];
    r.K = ad[ad.size() - 1];
    r.N = bd[bd.size() - 1];
    if (bd[bd.size() - 2] != r.K)
        fail("MatMul inner dimensions differ", "A " + a.str() + " has K = " + std::to_string(r.K) + ", B " + b.str() +
                                                   " has K = " + std::to_string(bd[bd.size() - 2]));
    const Shape ab(std::vector<int64_t>(ad.begin(), ad.end() - 2));
    const Shape bb(std::vector<int64_t>(bd.begin(), bd.end() - 2));
    const size_t rr = std::max(ab.rank(), bb.rank());
    std::vector<int64_t> bat(rr);
    for (size_t i = 0; i < rr; ++i) {
        const int64_t da = i < rr - ab.rank() ? 1 : ab[i - (rr - ab.rank())];
        const int64_t db = i < rr - bb.rank() ? 1 : bb[i - (rr - bb.rank())];
        if (da == db || db == 1) bat[i] = da;
        else if (da == 1) bat[i] = db;
        else
            fail("MatMul batch dimensions do not broadcast", "A " + a.str() + " and B " + b.str() + " differ at batch axis " + std::to_string(i));
    }
    r.batch = Shape(bat);
    auto bstrides = [&](const Shape& s, int64_t mat) {
        std::vector<int64_t> st(rr, 0);
        int64_t acc = mat;
        for (size_t i = s.rank(); i-- > 0;) {
            st[rr - s.rank() + i] = s[i] == 1 ? 0 : acc;
            acc *= s[i];
        }
        return st;
    };
    r.a_bstr = bstrides(ab, r.M * r.K);
    r.b_bstr = bstrides(bb, r.K * r.N);
    std::vector<int64_t> o = bat;
    if (!a1) o.push_back(r.M);
    if (!b1) o.push_back(r.N);
    r.out = Shape(o);
    return r;
}

inline void matmul_infer(InferContext& c) {
    c.expect_inputs(2, 2);
    for (size_t i = 0; i < 2; ++i)
        if (!is_supported_float(c.dtype(i)))
            c.fail("unsupported input dtype", "input " + std::to_string(i) + " is " + dtype_name(c.dtype(i)) + "; MatMul supports f32, f64 and f16");
    if (c.dtype(0) != c.dtype(1))
        c.fail("input dtypes differ", std::string(dtype_name(c.dtype(0))) + " and " + dtype_name(c.dtype(1)));
    const auto r = matmul_shapes(c.shape(0), c.shape(1), [&](const std::string& w, const std::string& y) { c.fail(w, y); });
    c.set_output(0, c.dtype(0), r.out);
}

inline Kernel matmul_prepare(const PrepareContext& pc) {
    const SiteConfig sites = pc.sites;
    const bool mutated = !sites.is_default();
    const std::string where = pc.where();
    auto thrower = [where](const std::string& w, const std::string& y) -> void { throw Error(w, where, y); };
    const MatMulShapes sh = matmul_shapes(pc.in[0].shape, pc.in[1].shape, thrower);
    const int64_t M = sh.M, K = sh.K, N = sh.N;
    const int64_t Ke = sites.reduction_drop_last && K > 0 ? K - 1 : K;
    const int64_t nbatch = sh.batch.numel();
    // B without batch dims: A's batch folds into M (one [batch*M, K] x [K, N] product).
    const bool fold = pc.in[1].shape.rank() <= 2;
    if (pc.in[0].dtype != DType::f32) {
        return [Ke, where](ExecContext& c) {
            const Tensor& A = c.input(0);
            const Tensor& B = c.input(1);
            Tensor& Y = *c.out[0];
            const MatMulShapes sh = matmul_shapes(A.shape(), B.shape(), [&](const std::string& w, const std::string& y) -> void { throw Error(w, where, y); });
            const int64_t nbatch = sh.batch.numel();
            dispatch_dtype(A.dtype(), [&](auto tag) {
                using T = decltype(tag);
                if constexpr (std::is_same_v<T, double> || std::is_same_v<T, half>) {
                    const T* ap = A.data<T>();
                    const T* bp = B.data<T>();
                    T* yp = Y.data<T>();
                    const auto bs = sh.batch.strides();
                    for (int64_t bi = 0; bi < nbatch; ++bi) {
                        int64_t ao = 0, bo = 0;
                        for (size_t d = 0; d < sh.batch.rank(); ++d) {
                            const int64_t idx = (bi / bs[d]) % sh.batch[d];
                            ao += idx * sh.a_bstr[d];
                            bo += idx * sh.b_bstr[d];
                        }
                        ref_gemm<T>(sh.M, sh.N, Ke, 1.0, ap + ao, sh.K, 1, bp + bo, sh.N, 1, yp + bi * sh.M * sh.N, sh.N,
                                    [](int64_t, int64_t) { return compute_t<T>(0); });
                    }
                } else {
                    throw Error("unsupported dtype", Graph::where(*c.node), dtype_name(A.dtype()));
                }
            });
        };
    }
    // float32. A constant B without batch dims is packed once into NR-column panels.
    Tensor packed;
    const Tensor* bconst = pc.consts.size() > 1 ? pc.consts[1] : nullptr;
    if (bconst && fold) {
        packed = Tensor(DType::f32, Shape{packed_b_size(N, K)});
        pack_b(bconst->data<float>(), N, 1, N, K, packed.data<float>());
    }
    const Shape ashape = pc.in[0].shape, bshape = pc.in[1].shape;
    const Blocks bl0 = plan_blocks(fold ? nbatch * M : M, N, Ke, fold ? 1 : nbatch, !packed.empty());
    return [sh0 = sh, ashape, bshape, fold, bl0, packed, sites, mutated, where](ExecContext& c) {
        // Shapes are those of prepare() unless the batch changed: then re-derive them.
        MatMulShapes sh = sh0;
        const bool changed = c.input(0).shape() != ashape || c.input(1).shape() != bshape;
        if (changed) {
            sh = matmul_shapes(c.input(0).shape(), c.input(1).shape(),
                               [&](const std::string& w, const std::string& y) -> void { throw Error(w, where, y); });
            if (sh.K != sh0.K || sh.N != sh0.N || (!packed.empty() && c.input(1).shape() != bshape))
                throw Error("MatMul input shapes changed since prepare", where, "A " + c.input(0).shape().str() + ", B " + c.input(1).shape().str());
        }
        const int64_t nbatch = sh.batch.numel();
        const int64_t Mr = fold ? nbatch * sh.M : sh.M;  // rows per product
        const int64_t nprod = fold ? 1 : nbatch;
        const int64_t Ke = sites.reduction_drop_last && sh.K > 0 ? sh.K - 1 : sh.K;
        const Blocks bl = changed ? plan_blocks(Mr, sh.N, Ke, nprod, !packed.empty()) : bl0;
        const int64_t K = sh.K, N = sh.N;
        GemmOperands op;
        op.A = c.input(0).data<float>();
        op.ars = K;
        op.acs = 1;
        op.Bpk = packed.empty() ? nullptr : packed.data<float>();
        op.B = packed.empty() ? c.input(1).data<float>() : nullptr;
        op.brs = N;
        op.bcs = 1;
        std::vector<int64_t> aoff, boff;
        if (nprod > 1) {
            const auto bs = sh.batch.strides();
            aoff.resize(static_cast<size_t>(nprod));
            boff.resize(static_cast<size_t>(nprod));
            for (int64_t bi = 0; bi < nprod; ++bi) {
                int64_t ao = 0, bo = 0;
                for (size_t d = 0; d < sh.batch.rank(); ++d) {
                    const int64_t idx = (bi / bs[d]) % sh.batch[d];
                    ao += idx * sh.a_bstr[d];
                    bo += idx * sh.b_bstr[d];
                }
                aoff[static_cast<size_t>(bi)] = ao;
                boff[static_cast<size_t>(bi)] = bo;
            }
            op.aoff = aoff.data();
            op.boff = boff.data();
        }
        run_gemm(nprod, Mr, N, K, Ke, 1.0f, op, c.out[0]->data<float>(), bl, mutated ? &sites : nullptr, true,
                 [&](int64_t, int64_t m0, int64_t m1, int64_t n0, int64_t n1, float* y) {
                     for (int64_t m = 0; m < m1 - m0; ++m) std::fill(y + m * N, y + m * N + (n1 - n0), 0.0f);
                 });
    };
}

inline const bool registered_matmul = Registry::instance().add(OpDef{"MatMul", nullptr, matmul_infer, matmul_prepare});

}  // namespace gemm
}  // namespace mutiny

#endif  // MUTINY_OPS_GEMM_HPP_
