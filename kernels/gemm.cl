// Gemm, MatMul and Conv as a tiled GEMM, with the semantics of include/mutiny/ops/gemm/ and
// include/mutiny/ops/conv/conv.hpp. For each product p:
//   Y_p[m, n] = init + alpha * sum_{k < Ke} A_p[m, k] * B_p[k, n]
// f32 accumulates as the CPU's packed GEMM does: the accumulator starts from init (beta * C
// broadcast, or 0) and adds (alpha * a) * b in k order. f16 and f64 follow the CPU's reference loop:
// s = sum of a * b from 0, then alpha * s + init. Ke = K, or K - 1 under MUTINY_DROP_LAST (the host
// passes K; the kernel applies the bound). f32 results pass the store site.
// Tiling changes which work-item computes an output and where the operands wait (local memory,
// registers), never the order of an output's k terms: every tile shape gives the same bits, so the
// tuner (include/mutiny/exec/opencl/tuner.hpp) may pick any.
//
// Work-group tile MUTINY_GEMM_TM x MUTINY_GEMM_TN outputs, k in steps of MUTINY_GEMM_TK through
// local memory; work-group shape MUTINY_GEMM_WN x MUTINY_GEMM_WM work-items, each holding
// (TM / WM) x (TN / WN) accumulators in registers (rows ly, ly + WM, ...; columns lx, lx + WN, ...).
// Operands with a unit stride along a tile side are loaded MUTINY_GEMM_VW elements at a time.
// MUTINY_GEMM_LOCAL 0 skips local memory: each work-item reads its operands from global memory
// (what suits CPU drivers, whose caches tile and whose work-groups run as vectorised loops).
//
// meta = {M, N, K, ars, acs, brs, bcs, csm, csn, has_c, im2col, conv geometry (18 ints)};
// a_p(m, k) = A[aoff[p] + m*ars + k*acs], c_p(m, n) = Cm[coff[p] + m*csm + n*csn],
// b_p(k, n) = B[boff[p] + k*brs + n*bcs], or with im2col = 1 the convolution's input patch
// element without a materialised im2col: k = ((c*k0 + kd)*k1 + kh)*k2 + kw, n = (od*o1 + oh)*o2 + ow,
// geometry = {in[3], k[3], out[3], s[3], d[3], pb[3]}, zero in the padding.
// Y_p[m, n] = Y[p*M*N + m*N + n]. Global size (ceil(N/TN)*WN, ceil(M/TM)*WM, products), local (WN, WM, 1).

#ifndef MUTINY_GEMM_TM
#define MUTINY_GEMM_TM 32
#endif
#ifndef MUTINY_GEMM_TN
#define MUTINY_GEMM_TN 32
#endif
#ifndef MUTINY_GEMM_TK
#define MUTINY_GEMM_TK 16
#endif
#ifndef MUTINY_GEMM_WM
#define MUTINY_GEMM_WM 8
#endif
#ifndef MUTINY_GEMM_WN
#define MUTINY_GEMM_WN 8
#endif
#ifndef MUTINY_GEMM_VW
#define MUTINY_GEMM_VW 4
#endif
#ifndef MUTINY_GEMM_LOCAL
#define MUTINY_GEMM_LOCAL 1
#endif

#if MUTINY_GEMM_VW != 1 && MUTINY_GEMM_VW != 2 && MUTINY_GEMM_VW != 4 && MUTINY_GEMM_VW != 8 && MUTINY_GEMM_VW != 16
#error "MUTINY_GEMM_VW must be 1, 2, 4, 8 or 16"
#endif
#if MUTINY_GEMM_TM % MUTINY_GEMM_WM || MUTINY_GEMM_TN % MUTINY_GEMM_WN
#error "the work-group shape must divide the tile (TM % WM, TN % WN)"
#endif
#if MUTINY_GEMM_TM % MUTINY_GEMM_VW || MUTINY_GEMM_TN % MUTINY_GEMM_VW || MUTINY_GEMM_TK % MUTINY_GEMM_VW
#error "the vector width must divide every tile side"
#endif

#define GEMM_RM (MUTINY_GEMM_TM / MUTINY_GEMM_WM)
#define GEMM_RN (MUTINY_GEMM_TN / MUTINY_GEMM_WN)
#define GEMM_THREADS (MUTINY_GEMM_WM * MUTINY_GEMM_WN)
#define GEMM_CAT_(a, b) a##b
#define GEMM_CAT(a, b) GEMM_CAT_(a, b)

// Vector loads only for f32 storage (f16 goes through vload_half, f64 stays scalar).
#if MUTINY_DTYPE == 0 && MUTINY_GEMM_VW > 1
#define GEMM_VECTOR 1
#define GEMM_VLOAD GEMM_CAT(vload, MUTINY_GEMM_VW)
#define GEMM_VSTORE GEMM_CAT(vstore, MUTINY_GEMM_VW)
#else
#define GEMM_VECTOR 0
#endif

// f32 keeps alpha * a in the tile (the CPU's (alpha * a) * b); f16 and f64 scale the sum at the end.
#if MUTINY_DTYPE == 0
#define GEMM_A(v) (alpha * (v))
#else
#define GEMM_A(v) (v)
#endif

// One k term into every accumulator of the register tile: f32 through the multiply-add the vendor
// switch selects, f16 and f64 as the CPU's reference loop (s += a * b, unfused).
#if MUTINY_DTYPE == 0
#define GEMM_MAD(x, y, z) MUTINY_MAD(x, y, z)
#else
#define GEMM_MAD(x, y, z) ((x) * (y) + (z))
#endif
#define GEMM_ACCUMULATE(acc, a, b)                                   \
    for (int i_ = 0; i_ < GEMM_RM; ++i_)                             \
        for (int j_ = 0; j_ < GEMM_RN; ++j_) acc[i_][j_] = GEMM_MAD(a[i_], b[j_], acc[i_][j_])

// B element (k, n) of an im2col product: the input under filter tap k at output position n.
inline C im2col_elem(__global const T* x, __global const int* g, int k, int n) {
    const int kw = k % g[5], kh = (k / g[5]) % g[4], kd = (k / (g[5] * g[4])) % g[3], c = k / (g[5] * g[4] * g[3]);
    const int ow = n % g[8], oh = (n / g[8]) % g[7], od = n / (g[8] * g[7]);
    const int id = od * g[9] - g[15] + kd * g[12], ih = oh * g[10] - g[16] + kh * g[13], iw = ow * g[11] - g[17] + kw * g[14];
    if (id < 0 || id >= g[0] || ih < 0 || ih >= g[1] || iw < 0 || iw >= g[2]) return (C)0;
    return LOAD(x, ((c * g[0] + id) * g[1] + ih) * g[2] + iw);
}

inline C b_elem(__global const T* bp, __global const int* meta, int k, int n) {
    return meta[10] ? im2col_elem(bp, meta + 11, k, n) : LOAD(bp, k * meta[5] + n * meta[6]);
}

__kernel __attribute__((reqd_work_group_size(MUTINY_GEMM_WN, MUTINY_GEMM_WM, 1)))
void gemm(__global const T* A, __global const T* B, __global const T* Cm, __global T* Y,
          __global const int* meta, __global const int* aoff, __global const int* boff,
          __global const int* coff, const C alpha, const C beta) {
    const int M = meta[0], N = meta[1], K = meta[2];
    const int ars = meta[3], acs = meta[4], brs = meta[5], bcs = meta[6];
    const int has_c = meta[9] && beta != (C)0, im2col = meta[10];
    const int p = (int)get_group_id(2);
    const int m0 = (int)get_group_id(1) * MUTINY_GEMM_TM, n0 = (int)get_group_id(0) * MUTINY_GEMM_TN;
    const int lx = (int)get_local_id(0), ly = (int)get_local_id(1), lid = ly * MUTINY_GEMM_WN + lx;
    __global const T* ap = A + aoff[p];
    __global const T* bp = B + boff[p];
    __global const T* cp = Cm + coff[p];
#if MUTINY_GEMM_LOCAL
    __local C As[MUTINY_GEMM_TK][MUTINY_GEMM_TM];
    __local C Bs[MUTINY_GEMM_TK][MUTINY_GEMM_TN];
#endif
    C acc[GEMM_RM][GEMM_RN];
    for (int i = 0; i < GEMM_RM; ++i)
        for (int j = 0; j < GEMM_RN; ++j) {
#if MUTINY_DTYPE == 0
            const int m = m0 + ly + i * MUTINY_GEMM_WM, n = n0 + lx + j * MUTINY_GEMM_WN;
            acc[i][j] = has_c && m < M && n < N ? beta * LOAD(cp, m * meta[7] + n * meta[8]) : (C)0;
#else
            acc[i][j] = (C)0;
#endif
        }
    const int Ke = REDUCE_BOUND(K);
#if !MUTINY_GEMM_LOCAL
    // Straight from global memory (the caches do the tiling): no barriers, so a CPU driver runs
    // the work-group as plain loops it vectorises across work-items.
    int mrow[GEMM_RM], ncol[GEMM_RN], pos[GEMM_RN][3];
    // The convolution's geometry in private memory: read from the meta buffer once, not per term.
    int g[18];
    for (int q = 0; q < 18; ++q) g[q] = im2col ? meta[11 + q] : 0;
    for (int i = 0; i < GEMM_RM; ++i) mrow[i] = m0 + ly + i * MUTINY_GEMM_WM;
    for (int j = 0; j < GEMM_RN; ++j) {
        const int n = ncol[j] = n0 + lx + j * MUTINY_GEMM_WN;
        if (im2col) {  // the window's corner of output position n
            pos[j][0] = n / (g[8] * g[7]) * g[9] - g[15];
            pos[j][1] = (n / g[8]) % g[7] * g[10] - g[16];
            pos[j][2] = n % g[8] * g[11] - g[17];
        }
    }
    // Filter tap of term k, stepped with k instead of divided out of it: (c, kd, kh, kw).
    int kc = 0, kd = 0, kh = 0, kw = 0;
    for (int k = 0; k < Ke; ++k) {
        C a[GEMM_RM], b[GEMM_RN];
        for (int i = 0; i < GEMM_RM; ++i) a[i] = mrow[i] < M ? GEMM_A(LOAD(ap, mrow[i] * ars + k * acs)) : (C)0;
        if (im2col) {
            const int dd = kd * g[12], dh = kh * g[13], dw = kw * g[14];
            for (int j = 0; j < GEMM_RN; ++j) {
                const int id = pos[j][0] + dd, ih = pos[j][1] + dh, iw = pos[j][2] + dw;
                const int in = ncol[j] < N && id >= 0 && id < g[0] && ih >= 0 && ih < g[1] && iw >= 0 && iw < g[2];
                b[j] = in ? LOAD(bp, ((kc * g[0] + id) * g[1] + ih) * g[2] + iw) : (C)0;
            }
            if (++kw == g[5]) {
                kw = 0;
                if (++kh == g[4]) {
                    kh = 0;
                    if (++kd == g[3]) kd = 0, ++kc;
                }
            }
        } else {
            for (int j = 0; j < GEMM_RN; ++j) b[j] = ncol[j] < N ? LOAD(bp, k * brs + ncol[j] * bcs) : (C)0;
        }
        GEMM_ACCUMULATE(acc, a, b);
    }
#else
    for (int k0 = 0; k0 < Ke; k0 += MUTINY_GEMM_TK) {
        const int kn = min(MUTINY_GEMM_TK, Ke - k0);
        // A tile: As[kk][mm] = a(m0 + mm, k0 + kk), zero outside the matrix.
#if GEMM_VECTOR
        if (acs == 1) {  // contiguous along k
            for (int c = lid; c < MUTINY_GEMM_TM * (MUTINY_GEMM_TK / MUTINY_GEMM_VW); c += GEMM_THREADS) {
                const int mm = c / (MUTINY_GEMM_TK / MUTINY_GEMM_VW), kk = (c % (MUTINY_GEMM_TK / MUTINY_GEMM_VW)) * MUTINY_GEMM_VW;
                const int m = m0 + mm, k = k0 + kk;
                float v[MUTINY_GEMM_VW];
                if (m < M && k + MUTINY_GEMM_VW <= Ke) GEMM_VSTORE(GEMM_VLOAD(0, ap + m * ars + k), 0, v);
                else
                    for (int e = 0; e < MUTINY_GEMM_VW; ++e) v[e] = m < M && k + e < Ke ? ap[m * ars + k + e] : 0.0f;
                for (int e = 0; e < MUTINY_GEMM_VW; ++e) As[kk + e][mm] = GEMM_A(v[e]);
            }
        } else if (ars == 1) {  // contiguous along m (transposed A)
            for (int c = lid; c < MUTINY_GEMM_TK * (MUTINY_GEMM_TM / MUTINY_GEMM_VW); c += GEMM_THREADS) {
                const int kk = c / (MUTINY_GEMM_TM / MUTINY_GEMM_VW), mm = (c % (MUTINY_GEMM_TM / MUTINY_GEMM_VW)) * MUTINY_GEMM_VW;
                const int m = m0 + mm, k = k0 + kk;
                float v[MUTINY_GEMM_VW];
                if (k < Ke && m + MUTINY_GEMM_VW <= M) GEMM_VSTORE(GEMM_VLOAD(0, ap + k * acs + m), 0, v);
                else
                    for (int e = 0; e < MUTINY_GEMM_VW; ++e) v[e] = k < Ke && m + e < M ? ap[k * acs + m + e] : 0.0f;
                for (int e = 0; e < MUTINY_GEMM_VW; ++e) As[kk][mm + e] = GEMM_A(v[e]);
            }
        } else
#endif
        {
            for (int c = lid; c < MUTINY_GEMM_TM * MUTINY_GEMM_TK; c += GEMM_THREADS) {
                const int kk = c / MUTINY_GEMM_TM, mm = c % MUTINY_GEMM_TM;
                const int m = m0 + mm, k = k0 + kk;
                As[kk][mm] = m < M && k < Ke ? GEMM_A(LOAD(ap, m * ars + k * acs)) : (C)0;
            }
        }
        // B tile: Bs[kk][nn] = b(k0 + kk, n0 + nn), zero outside the matrix.
#if GEMM_VECTOR
        if (!im2col && bcs == 1) {  // contiguous along n
            for (int c = lid; c < MUTINY_GEMM_TK * (MUTINY_GEMM_TN / MUTINY_GEMM_VW); c += GEMM_THREADS) {
                const int kk = c / (MUTINY_GEMM_TN / MUTINY_GEMM_VW), nn = (c % (MUTINY_GEMM_TN / MUTINY_GEMM_VW)) * MUTINY_GEMM_VW;
                const int n = n0 + nn, k = k0 + kk;
                float v[MUTINY_GEMM_VW];
                if (k < Ke && n + MUTINY_GEMM_VW <= N) GEMM_VSTORE(GEMM_VLOAD(0, bp + k * brs + n), 0, v);
                else
                    for (int e = 0; e < MUTINY_GEMM_VW; ++e) v[e] = k < Ke && n + e < N ? bp[k * brs + n + e] : 0.0f;
                for (int e = 0; e < MUTINY_GEMM_VW; ++e) Bs[kk][nn + e] = v[e];
            }
        } else if (!im2col && brs == 1) {  // contiguous along k (transposed B)
            for (int c = lid; c < MUTINY_GEMM_TN * (MUTINY_GEMM_TK / MUTINY_GEMM_VW); c += GEMM_THREADS) {
                const int nn = c / (MUTINY_GEMM_TK / MUTINY_GEMM_VW), kk = (c % (MUTINY_GEMM_TK / MUTINY_GEMM_VW)) * MUTINY_GEMM_VW;
                const int n = n0 + nn, k = k0 + kk;
                float v[MUTINY_GEMM_VW];
                if (n < N && k + MUTINY_GEMM_VW <= Ke) GEMM_VSTORE(GEMM_VLOAD(0, bp + n * bcs + k), 0, v);
                else
                    for (int e = 0; e < MUTINY_GEMM_VW; ++e) v[e] = n < N && k + e < Ke ? bp[n * bcs + k + e] : 0.0f;
                for (int e = 0; e < MUTINY_GEMM_VW; ++e) Bs[kk + e][nn] = v[e];
            }
        } else
#endif
        {
            for (int c = lid; c < MUTINY_GEMM_TK * MUTINY_GEMM_TN; c += GEMM_THREADS) {
                const int kk = c / MUTINY_GEMM_TN, nn = c % MUTINY_GEMM_TN;
                const int n = n0 + nn, k = k0 + kk;
                Bs[kk][nn] = n < N && k < Ke ? b_elem(bp, meta, k, n) : (C)0;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        // Only the kn terms of this step: a term past Ke is not added, not even as zero.
        for (int kk = 0; kk < kn; ++kk) {
            C a[GEMM_RM], b[GEMM_RN];
            for (int i = 0; i < GEMM_RM; ++i) a[i] = As[kk][ly + i * MUTINY_GEMM_WM];
            for (int j = 0; j < GEMM_RN; ++j) b[j] = Bs[kk][lx + j * MUTINY_GEMM_WN];
            GEMM_ACCUMULATE(acc, a, b);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
#endif
    for (int i = 0; i < GEMM_RM; ++i)
        for (int j = 0; j < GEMM_RN; ++j) {
            const int m = m0 + ly + i * MUTINY_GEMM_WM, n = n0 + lx + j * MUTINY_GEMM_WN;
            if (m >= M || n >= N) continue;
#if MUTINY_DTYPE == 0
            const C v = SITE_STORE(acc[i][j]);
#else
            const C v = alpha * acc[i][j] + (has_c ? beta * LOAD(cp, m * meta[7] + n * meta[8]) : (C)0);
#endif
            STORE(Y, (p * M + m) * N + n, v);
        }
}
