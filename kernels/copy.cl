// Data movement that is not a plain buffer copy, by element size so no kernel depends on the
// dtype: strided gathers (Transpose, Slice, Split, Expand, Tile: strided_copy in ops/shape/copy.hpp)
// and Pad. gather: meta = {rank, base, dims[rank], src_strides[rank]} in elements (a stride may be
// negative, Slice's step, or 0, a broadcast axis).

#define MUTINY_GATHER(NAME, U)                                                                   \
    __kernel void NAME(__global const U* x, __global U* y, __global const int* meta, const int n) { \
        const int i = (int)get_global_id(0);                                                    \
        if (i >= n) return;                                                                     \
        const int r = meta[0];                                                                  \
        int rem = i, off = meta[1];                                                             \
        for (int d = r - 1; d >= 0; --d) {                                                      \
            const int k = meta[2 + d];                                                          \
            off += (rem % k) * meta[2 + r + d];                                                 \
            rem /= k;                                                                           \
        }                                                                                       \
        y[i] = x[off];                                                                          \
    }

MUTINY_GATHER(gather_u8, uchar)
MUTINY_GATHER(gather_u16, ushort)
MUTINY_GATHER(gather_u32, uint)
MUTINY_GATHER(gather_u64, ulong)

// Pad by element size: meta = {rank, mode, out_dims[r], shift[r], lo[r], kept[r], src_strides[r]}
// with shift = max(0, pad_begin), lo = max(0, -pad_begin) (the crop) and kept the input's extent
// left after cropping; mode 0 constant (fill), 1 reflect, 2 edge, 3 wrap, as pad_map in
// ops/shape/pad.hpp.
#define MUTINY_PAD(NAME, U)                                                                                   \
    __kernel void NAME(__global const U* x, __global U* y, __global const int* meta, const U fill, const int n) { \
        const int i = (int)get_global_id(0);                                                                  \
        if (i >= n) return;                                                                                   \
        const int r = meta[0], mode = meta[1];                                                                \
        __global const int* dims = meta + 2;                                                                  \
        int rem = i, off = 0;                                                                                 \
        for (int d = r - 1; d >= 0; --d) {                                                                    \
            const int e = rem % dims[d] - dims[r + d], kept = dims[3 * r + d];                                \
            rem /= dims[d];                                                                                   \
            int k = e;                                                                                        \
            if (e < 0 || e >= kept) {                                                                         \
                if (mode == 0) {                                                                              \
                    y[i] = fill;                                                                              \
                    return;                                                                                   \
                } else if (mode == 2) {                                                                       \
                    k = e < 0 ? 0 : kept - 1;                                                                 \
                } else if (mode == 3) {                                                                       \
                    k = ((e % kept) + kept) % kept;                                                           \
                } else if (kept == 1) {                                                                       \
                    k = 0;                                                                                    \
                } else {                                                                                      \
                    const int period = 2 * (kept - 1);                                                        \
                    k = ((e % period) + period) % period;                                                     \
                    if (k >= kept) k = period - k;                                                            \
                }                                                                                             \
            }                                                                                                 \
            off += (dims[2 * r + d] + k) * dims[4 * r + d];                                                   \
        }                                                                                                     \
        y[i] = x[off];                                                                                        \
    }

MUTINY_PAD(pad_u8, uchar)
MUTINY_PAD(pad_u16, ushort)
MUTINY_PAD(pad_u32, uint)
MUTINY_PAD(pad_u64, ulong)
