// The float32 GEMM core that Gemm, MatMul and Conv share: packing, blocking and the task
// decomposition (run_gemm), and the reference loop for f64 and f16.
//
// Float32 runs on a packed GEMM with a register-blocked micro-kernel (6 rows x 16 columns of the
// result held in 12 AVX registers, one fused multiply-add per product; on AVX-512, 6 rows x 32
// columns in 12 512-bit registers; on SSE2 or other CPUs the same fma chains, emulated exactly),
// picked at run time (isa/dispatch.hpp). f64 and f16 (computing in float) use a reference loop.
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
#ifndef MUTINY_OPS_GEMM_BLOCKING_HPP_
#define MUTINY_OPS_GEMM_BLOCKING_HPP_

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "../isa/dispatch.hpp"
#include "tiles.hpp"

namespace mutiny {
namespace gemm {

// Y[rows x cols] (ldy) = Y0 + A * B over k in [0, Ke). Ap: the block's A panels (panel i holds
// rows i*MR.. as [depth_a][MR]); Bp: its B panels (panel j holds columns j*NR.. as [depth_b][NR]).
// Y0 = row_init[m] broadcast along row m (a bias), or 0 when zero_init, or else the current Y.
// Runs the active instruction-set level's macro-kernel (block_gemm.inl; same bits on every level).
inline void block_gemm(int64_t rows, int64_t cols, int64_t Ke, const float* Ap, int64_t depth_a, const float* Bp, int64_t depth_b,
                       float* Y, int64_t ldy, const float* row_init = nullptr, bool zero_init = false) {
    isa::kernels().block_gemm(rows, cols, Ke, Ap, depth_a, Bp, depth_b, Y, ldy, row_init, zero_init);
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

// The store site (docs/mutation.md, kernel-level sites) over a rows x cols block of y (ldy).
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

}  // namespace gemm
}  // namespace mutiny

#endif  // MUTINY_OPS_GEMM_BLOCKING_HPP_
