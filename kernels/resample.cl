// Resize (include/mutiny/ops/resample/resize.hpp): one work item per output element, reading the
// tap tables the host built for the CPU kernel, so both sum the same terms in the same order.
//
// m = {r, out[r], in_stride[r], taps[r], table_offset[r]}; for axis a and output index o the taps
// are idx[table_offset[a] + o * taps[a] + k] with weights w[...] (ACC); idx -1 at tap 0 marks an
// output that takes the extrapolation value. The weights of an element's taps are multiplied axis
// by axis and the terms summed in ACC, the last axis fastest, as on the CPU.

#define RESIZE_MAX_RANK 8

// ACC -> T as the CPU's resize_store: clamped to the finite range (NaN kept); f16 from double is
// rounded to odd on the way to float, so the final rounding to f16 is a single correct rounding.
inline void resize_store(__global T* y, const int i, ACC v) {
#if MUTINY_DTYPE == 1
    const ACC hi = (ACC)65504;
#elif MUTINY_DTYPE == 2
    const ACC hi = DBL_MAX;
#else
    const ACC hi = (ACC)FLT_MAX;
#endif
    v = v < -hi ? -hi : (v > hi ? hi : v);
#if MUTINY_DTYPE == 1 && MUTINY_FP64
    float f = (float)v;
    if (isfinite(f) && (double)f != v && (as_uint(f) & 1u) == 0) f = nextafter(f, v > (double)f ? INFINITY : -INFINITY);
    STORE(y, i, f);
#else
    STORE(y, i, (C)v);
#endif
}

__kernel void resize(__global const T* x, __global T* y, __global const int* m, __global const int* idx, __global const ACC* w,
                     const C extrapolation, const int n) {
    const int i = (int)get_global_id(0);
    if (i >= n) return;
    const int r = m[0];
    int base[RESIZE_MAX_RANK], k[RESIZE_MAX_RANK];
    int rem = i;
    for (int a = r - 1; a >= 0; --a) {
        const int o = rem % m[1 + a];
        rem /= m[1 + a];
        base[a] = m[1 + 3 * r + a] + o * m[1 + 2 * r + a];
        k[a] = 0;
        if (idx[base[a]] < 0) {
            STORE(y, i, extrapolation);
            return;
        }
    }
    ACC acc = (ACC)0;
    while (1) {
        ACC wt = (ACC)1;
        int off = 0;
        for (int a = 0; a < r; ++a) {
            off += idx[base[a] + k[a]] * m[1 + r + a];
            wt *= w[base[a] + k[a]];
        }
        acc += wt * (ACC)LOAD(x, off);
        int a = r;
        while (a > 0 && ++k[a - 1] == m[1 + 2 * r + a - 1]) k[--a] = 0;
        if (a == 0) break;
    }
    resize_store(y, i, acc);
}
