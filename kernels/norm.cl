// Normalisation kernels with the semantics of include/mutiny/ops/norm/:
// BatchNormalization (inference) with per-channel or per-activation parameters precomputed on the
// host (a = scale / sqrt(var + eps) rounded once), InstanceNormalization (sums in ACC), Softmax and
// LogSoftmax (maximum subtracted first, exponentials summed in ACC in index order). Results pass
// the store site; under MUTINY_DROP_LAST the softmax and instance-normalisation sums lose their
// last term.

// y = (x - mean) * a + b, parameters in the compute type; parameter index c (per == 1) or c * sp + i (per-activation).
__kernel void batchnorm(__global const T* x, __global T* y, __global const C* mean, __global const C* a,
                        __global const C* b, const int ch, const int sp, const int per_activation, const int n) {
    const int e = (int)get_global_id(0);
    if (e >= n) return;
    const int i = e % sp;
    const int c = (e / sp) % ch;
    const int k = per_activation ? c * sp + i : c;
    C v = (LOAD(x, e) - mean[k]) * a[k] + b[k];
    v = SITE_STORE(v);
    STORE(y, e, v);
}

// One work item per line (outer, inner): the line is x[o * len * inner + k * inner + i], k < len.
inline void softmax_line(__global const T* x, __global T* y, const int len, const int inner, const int l,
                         const int logsm) {
    const int o = l / inner, i = l % inner;
    __global const T* xp = x + o * len * inner + i;
    __global T* yp = y + o * len * inner + i;
    C mx = -C_INF;
    for (int k = 0; k < len; ++k) {
        const C val = LOAD(xp, k * inner);
        if (val > mx || val != val) mx = val;
        if (mx != mx) break;
    }
    const int cnt = REDUCE_BOUND(len);
    ACC sum = 0;
    for (int k = 0; k < cnt; ++k) sum += (ACC)exp(LOAD(xp, k * inner) - mx);
    if (logsm) {
        const C ls = (C)log(sum);
        for (int k = 0; k < len; ++k) {
            C r = (LOAD(xp, k * inner) - mx) - ls;
            r = SITE_STORE(r);
            STORE(yp, k * inner, r);
        }
    } else {
        const C s = (C)sum;
        for (int k = 0; k < len; ++k) {
            C r = exp(LOAD(xp, k * inner) - mx) / s;
            r = SITE_STORE(r);
            STORE(yp, k * inner, r);
        }
    }
}

__kernel void softmax(__global const T* x, __global T* y, const int len, const int inner, const int lines) {
    const int l = (int)get_global_id(0);
    if (l < lines) softmax_line(x, y, len, inner, l, 0);
}

__kernel void logsoftmax(__global const T* x, __global T* y, const int len, const int inner, const int lines) {
    const int l = (int)get_global_id(0);
    if (l < lines) softmax_line(x, y, len, inner, l, 1);
}

// y = scale * (x - mean) / sqrt(var + eps) + B over each (n, c) plane of sp values, two passes.
__kernel void instancenorm(__global const T* x, __global T* y, __global const T* scale, __global const T* bias,
                           const int ch, const int sp, const ACC eps, const int rows) {
    const int r = (int)get_global_id(0);
    if (r >= rows) return;
    const int c = r % ch;
    __global const T* xp = x + r * sp;
    __global T* yp = y + r * sp;
    const int cnt = REDUCE_BOUND(sp);
    ACC sum = 0;
    for (int i = 0; i < cnt; ++i) sum += (ACC)LOAD(xp, i);
    const ACC mean = sp ? sum / (ACC)sp : (ACC)0;
    ACC sq = 0;
    for (int i = 0; i < cnt; ++i) {
        const ACC d = (ACC)LOAD(xp, i) - mean;
        sq += d * d;
    }
    const ACC var = sp ? sq / (ACC)sp : (ACC)0;
    const ACC a = (ACC)LOAD(scale, c) / sqrt(var + eps);
    const ACC bb = (ACC)LOAD(bias, c);
    for (int i = 0; i < sp; ++i) {
        C v = (C)(((ACC)LOAD(xp, i) - mean) * a + bb);
        v = SITE_STORE(v);
        STORE(yp, i, v);
    }
}
