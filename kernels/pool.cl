// Pooling kernels (MaxPool, AveragePool over 1-3 spatial dims padded to three, global pooling) and
// LRN, with the semantics of include/mutiny/ops/pool/: taps in the padding never enter a max,
// averages are summed in ACC (double where the device has it) and divided once, the max
// comparison is a GT site (a mutated comparison starts from the first value, so `<` gives a min),
// results pass the store site, and under MUTINY_DROP_LAST the last tap of every window is skipped.
//
// meta = {in[3], out[3], k[3], s[3], d[3], pb[3], pe[3], count_include_pad}; one work item per
// output element (plane, od, oh, ow).

// First and one-past-last tap inside the input, and the taps inside input + explicit padding.
inline void pool_taps(int o, int k, int s, int d, int in, int pb, int pe, int* st, int* lo, int* hi, int* incl) {
    const int start = o * s - pb;
    const int l = start < 0 ? min(k, (-start + d - 1) / d) : 0;
    const int h = in - 1 - start >= 0 ? min(k, (in - 1 - start) / d + 1) : 0;
    const int lim = in + pe - 1 - start;
    *st = start;
    *lo = l;
    *hi = max(l, h);
    *incl = lim >= 0 ? min(k, lim / d + 1) : 0;
}

#define POOL_PROLOGUE                                                                            \
    const int i = (int)get_global_id(0);                                                         \
    if (i >= n) return;                                                                          \
    const int in0 = m[0], in1 = m[1], in2 = m[2];                                                \
    const int on0 = m[3], on1 = m[4], on2 = m[5];                                                \
    const int ow = i % on2, oh = (i / on2) % on1, od = (i / (on2 * on1)) % on0;                  \
    const int plane = i / (on2 * on1 * on0);                                                     \
    int s0, lo0, hi0, c0, s1, lo1, hi1, c1, s2, lo2, hi2, c2;                                    \
    pool_taps(od, m[6], m[9], m[12], in0, m[15], m[18], &s0, &lo0, &hi0, &c0);                   \
    pool_taps(oh, m[7], m[10], m[13], in1, m[16], m[19], &s1, &lo1, &hi1, &c1);                  \
    pool_taps(ow, m[8], m[11], m[14], in2, m[17], m[20], &s2, &lo2, &hi2, &c2);                  \
    const int d0 = m[12], d1 = m[13], d2 = m[14];                                                \
    const int taps_in = (hi0 - lo0) * (hi1 - lo1) * (hi2 - lo2);                                 \
    const int budget = REDUCE_BOUND(taps_in);                                                    \
    __global const T* xp = x + plane * in0 * in1 * in2;                                          \
    int used = 0;

__kernel void pool_max(__global const T* x, __global T* y, __global const int* m, const int n) {
    POOL_PROLOGUE
    C a = -C_INF;
    int first = 1;
    for (int j0 = lo0; j0 < hi0; ++j0)
        for (int j1 = lo1; j1 < hi1; ++j1)
            for (int j2 = lo2; j2 < hi2; ++j2) {
                if (used >= budget) continue;
                ++used;
                const C v = LOAD(xp, ((s0 + j0 * d0) * in1 + (s1 + j1 * d1)) * in2 + s2 + j2 * d2);
                // NaN inputs are skipped, as ONNX's reference does.
                if (site_gt(v, a) || (first && v == v)) {
                    a = v;
                    first = 0;
                }
            }
    C res = a;
    res = SITE_STORE(res);
    STORE(y, i, res);
}

__kernel void pool_avg(__global const T* x, __global T* y, __global const int* m, const int n) {
    POOL_PROLOGUE
    ACC a = 0;
    for (int j0 = lo0; j0 < hi0; ++j0)
        for (int j1 = lo1; j1 < hi1; ++j1)
            for (int j2 = lo2; j2 < hi2; ++j2) {
                if (used >= budget) continue;
                ++used;
                a += (ACC)LOAD(xp, ((s0 + j0 * d0) * in1 + (s1 + j1 * d1)) * in2 + s2 + j2 * d2);
            }
    const int count = m[21] ? c0 * c1 * c2 : taps_in;
    C res = (C)(a / (ACC)count);
    res = SITE_STORE(res);
    STORE(y, i, res);
}

// Global pooling: one work item per (n, c) plane of `size` values.
__kernel void global_max(__global const T* x, __global T* y, const int size, const int planes) {
    const int p = (int)get_global_id(0);
    if (p >= planes) return;
    __global const T* xp = x + p * size;
    const int cnt = REDUCE_BOUND(size);
    C best = -C_INF;
    int first = 1;
    for (int i = 0; i < cnt; ++i) {
        const C v = LOAD(xp, i);
        if (site_gt(v, best) || (first && v == v)) {
            best = v;
            first = 0;
        }
    }
    best = SITE_STORE(best);
    STORE(y, p, best);
}

__kernel void global_avg(__global const T* x, __global T* y, const int size, const int planes) {
    const int p = (int)get_global_id(0);
    if (p >= planes) return;
    __global const T* xp = x + p * size;
    const int cnt = REDUCE_BOUND(size);
    ACC sum = 0;
    for (int i = 0; i < cnt; ++i) sum += (ACC)LOAD(xp, i);
    C res = (C)(sum / (ACC)size);
    res = SITE_STORE(res);
    STORE(y, p, res);
}

// LRN: y = x / (bias + factor * square_sum) ^ beta over channels [c - before, c + after] clipped,
// summed in ascending channel order in the compute type. One work item per element.
__kernel void lrn(__global const T* x, __global T* y, const int ch, const int sp, const int before,
                  const int after, const C factor, const C bias, const C beta, const int n) {
    const int e = (int)get_global_id(0);
    if (e >= n) return;
    const int i = e % sp;
    const int r = e / sp;
    const int c = r % ch;
    __global const T* base = x + (r - c) * sp;
    const int k0 = max(0, c - before);
    int k1 = min(ch - 1, c + after) + 1;
#if MUTINY_DROP_LAST
    if (k1 > k0) --k1;
#endif
    C sq = 0;
    for (int k = k0; k < k1; ++k) {
        const C v = LOAD(base, k * sp + i);
        sq += v * v;
    }
    C res = LOAD(x, e) / pow(bias + factor * sq, beta);
    res = SITE_STORE(res);
    STORE(y, e, res);
}
