// QuantizeLinear and DequantizeLinear (ops/quant/quantize.hpp), per tensor, per axis or per block.
// T and C are the float side (x of QuantizeLinear, y of DequantizeLinear); the integer side is in
// the kernel's name. Scales and zero points come as tables of the host's converted values.

// The parameter of element i (Layout::index in ops/quant/params.hpp).
inline int quant_param(const int i, const int count, const int inner, const int axis_len, const int block) {
    if (count == 1) return 0;
    const int a = (i / inner) % axis_len;
    if (block == 0) return a;
    const int outer = i / (inner * axis_len), blocks = (axis_len + block - 1) / block;
    return (outer * blocks + a / block) * inner + i % inner;
}

// x / scale rounded to an integer: half to even, or the rounding site's mode (quantize_round).
inline C quant_round(const C q) {
#if MUTINY_ROUND == MUTINY_ROUND_HALF_AWAY
    return round(q);
#elif MUTINY_ROUND == MUTINY_ROUND_TOWARD_ZERO
    return trunc(q);
#elif MUTINY_ROUND == MUTINY_ROUND_FLOOR
    return floor(q);
#elif MUTINY_ROUND == MUTINY_ROUND_CEIL
    return ceil(q);
#else
    return rint(q);
#endif
}

// y = saturate(round(x / scale) + zero_point); a NaN quantizes to the zero point. The quotient is
// clamped far outside every quantized range before the integer conversion, as on the CPU.
#define MUTINY_QUANTIZE(NAME, Q, LO, HI)                                                                       \
    __kernel void NAME(__global const T* x, __global Q* y, __global const C* scale, __global const int* zp,   \
                       const int count, const int inner, const int axis_len, const int block, const int n) { \
        const int i = (int)get_global_id(0);                                                                 \
        if (i >= n) return;                                                                                  \
        const int k = quant_param(i, count, inner, axis_len, block);                                         \
        C q = LOAD(x, i) / scale[k];                                                                         \
        QUANT_HALF_QUOTIENT(q);                                                                              \
        long v = 0;                                                                                          \
        if (q == q) v = (long)clamp(quant_round(q), (C)(-1e15f), (C)(1e15f));                                  \
        v += zp[k];                                                                                          \
        y[i] = (Q)clamp(v, (long)(LO), (long)(HI));                                                          \
    }

// numpy divides halves in half: the quotient of f16 x is rounded to f16 before rounding to an integer.
#if MUTINY_DTYPE == 1
#define QUANT_HALF_QUOTIENT(q) q = mutiny_round_f16(q)
#else
#define QUANT_HALF_QUOTIENT(q)
#endif

MUTINY_QUANTIZE(quantize_u8, uchar, 0, 255)
MUTINY_QUANTIZE(quantize_i8, char, -128, 127)
MUTINY_QUANTIZE(quantize_u16, ushort, 0, 65535)
MUTINY_QUANTIZE(quantize_i16, short, -32768, 32767)

// y = (float(x) - float(zero_point)) * scale in float32, stored as T.
#define MUTINY_DEQUANTIZE(NAME, Q)                                                                                  \
    __kernel void NAME(__global const Q* x, __global T* y, __global const float* scale, __global const float* zp,  \
                       const int count, const int inner, const int axis_len, const int block, const int n) {      \
        const int i = (int)get_global_id(0);                                                                      \
        if (i >= n) return;                                                                                       \
        const int k = quant_param(i, count, inner, axis_len, block);                                              \
        const float v = ((float)x[i] - zp[k]) * scale[k];                                                         \
        STORE(y, i, v);                                                                                           \
    }

MUTINY_DEQUANTIZE(dequantize_u8, uchar)
MUTINY_DEQUANTIZE(dequantize_i8, char)
MUTINY_DEQUANTIZE(dequantize_u16, ushort)
MUTINY_DEQUANTIZE(dequantize_i16, short)
MUTINY_DEQUANTIZE(dequantize_i32, int)
