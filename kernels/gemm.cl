// Gemm and MatMul with the semantics of include/mutiny/ops/gemm/. For each product p:
//   Y_p[m, n] = init + alpha * sum_{k < Ke} A_p[m, k] * B_p[k, n]
// f32 accumulates as the CPU's packed GEMM does: the accumulator starts from init (beta * C
// broadcast, or 0) and adds (alpha * a) * b in k order. f16 and f64 follow the CPU's reference loop:
// s = sum of a * b from 0, then alpha * s + init. Ke = K, or K - 1 under MUTINY_DROP_LAST (the host
// passes K; the kernel applies the bound). f32 results pass the store site.
//
// meta = {M, N, K, ars, acs, brs, bcs, csm, csn, has_c}; a_p(m, k) = A[aoff[p] + m*ars + k*acs],
// b_p(k, n) = B[boff[p] + k*brs + n*bcs], c(m, n) = Cm[m*csm + n*csn]. Global size (N, M, products).

#ifndef MUTINY_GEMM_TILE
#define MUTINY_GEMM_TILE 16
#endif

__kernel void gemm(__global const T* A, __global const T* B, __global const T* Cm, __global T* Y,
                   __global const int* meta, __global const int* aoff, __global const int* boff,
                   const C alpha, const C beta) {
    const int n = (int)get_global_id(0), m = (int)get_global_id(1), p = (int)get_global_id(2);
    const int M = meta[0], N = meta[1], K = meta[2];
    if (n >= N || m >= M) return;
    const int ars = meta[3], acs = meta[4], brs = meta[5], bcs = meta[6];
    const int Ke = REDUCE_BOUND(K);
    __global const T* ap = A + aoff[p] + m * ars;
    __global const T* bp = B + boff[p] + n * bcs;
    C init = (C)0;
    if (meta[9] && beta != (C)0) init = beta * LOAD(Cm, m * meta[7] + n * meta[8]);
#if MUTINY_DTYPE == 0
    C acc = init;
    for (int k = 0; k < Ke; ++k) acc = MUTINY_MAD(alpha * LOAD(ap, k * acs), LOAD(bp, k * brs), acc);
    acc = SITE_STORE(acc);
#else
    C s = (C)0;
    for (int k = 0; k < Ke; ++k) s += LOAD(ap, k * acs) * LOAD(bp, k * brs);
    const C acc = alpha * s + init;
#endif
    STORE(Y, p * M * N + m * N + n, acc);
}
