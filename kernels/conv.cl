// Depthwise Conv (one input channel per group; 1-3 spatial dims padded to three; strides,
// dilations, pads) as a direct loop with the semantics of include/mutiny/ops/conv/conv.hpp: each
// output reduces one channel's window, there is no product to tile (every other convolution is
// the tiled GEMM of gemm.cl). The kernel itself handles any group size. The reduction runs over t = (c, kd, kh, kw) in
// that order, K = Cg * kd * kh * kw terms; under MUTINY_DROP_LAST the last term (t = K - 1) is
// dropped, whether or not it falls in the padding, as on the CPU. f32 starts the accumulator from
// the bias (as the CPU's GEMM micro-kernel does) and passes the store site; f16 and f64 sum from 0
// and add the bias last (the CPU's reference loop).
//
// meta = {N, C, M, Cg, Mg, in[3], k[3], out[3], s[3], d[3], pb[3], has_bias}. Global size (P, M, N),
// P = out[0] * out[1] * out[2].

__kernel void conv(__global const T* x, __global const T* w, __global const T* bias, __global T* y,
                   __global const int* m) {
    const int pos = (int)get_global_id(0), oc = (int)get_global_id(1), img = (int)get_global_id(2);
    const int Cc = m[1], M = m[2], Cg = m[3], Mg = m[4];
    const int in0 = m[5], in1 = m[6], in2 = m[7];
    const int k0 = m[8], k1 = m[9], k2 = m[10];
    const int on0 = m[11], on1 = m[12], on2 = m[13];
    const int P = on0 * on1 * on2;
    if (pos >= P || oc >= M) return;
    const int ow = pos % on2, oh = (pos / on2) % on1, od = pos / (on2 * on1);
    const int b0 = od * m[14] - m[20], b1 = oh * m[15] - m[21], b2 = ow * m[16] - m[22];
    const int d0 = m[17], d1 = m[18], d2 = m[19];
    const int grp = oc / Mg;
    const int Pin = in0 * in1 * in2;
    __global const T* xg = x + (img * Cc + grp * Cg) * Pin;
    __global const T* wm = w + oc * Cg * k0 * k1 * k2;
    const int K = Cg * k0 * k1 * k2;
    const int Ke = REDUCE_BOUND(K);
#if MUTINY_DTYPE == 0
    C acc = m[23] ? LOAD(bias, oc) : (C)0;
#else
    C acc = (C)0;
#endif
    int t = 0;
    for (int c = 0; c < Cg; ++c) {
        __global const T* xc = xg + c * Pin;
        for (int kd = 0; kd < k0; ++kd) {
            const int id = b0 + kd * d0;
            const int okd = id >= 0 && id < in0;
            for (int kh = 0; kh < k1; ++kh) {
                const int ih = b1 + kh * d1;
                const int okh = okd && ih >= 0 && ih < in1;
                for (int kw = 0; kw < k2; ++kw, ++t) {
                    const int iw = b2 + kw * d2;
                    if (t >= Ke || !okh || iw < 0 || iw >= in2) continue;
                    acc = MUTINY_MAD(LOAD(xc, (id * in1 + ih) * in2 + iw), LOAD(wm, t), acc);
                }
            }
        }
    }
#if MUTINY_DTYPE == 0
    acc = SITE_STORE(acc);
#else
    if (m[23]) acc += LOAD(bias, oc);
#endif
    STORE(y, (img * M + oc) * P + pos, acc);
}
