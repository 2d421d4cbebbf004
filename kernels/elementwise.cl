// Element-wise kernels: unary activations and math, binary arithmetic with numpy broadcasting,
// the variadic folds (Sum, Mean, Max, Min), PRelu and Clip. One work item per output element;
// expressions are those of include/mutiny/ops/elementwise/, sites included: Relu, LeakyRelu and
// PRelu test `x < 0` (LT site), Clip tests `x < lo` (LT) and `x > hi` (GT), and every unary result
// passes the store site.

#define MUTINY_UNARY(NAME, EXPR)                                                                 \
    __kernel void unary_##NAME(__global const T* xp, __global T* yp, const C a, const C b,      \
                               const C g, const int n) {                                        \
        const int i = (int)get_global_id(0);                                                    \
        if (i >= n) return;                                                                     \
        const C x = LOAD(xp, i);                                                                \
        C v = (EXPR);                                                                           \
        v = SITE_STORE(v);                                                                      \
        STORE(yp, i, v);                                                                        \
    }

MUTINY_UNARY(Relu, site_lt(x, (C)0) ? (C)0 : x)
MUTINY_UNARY(LeakyRelu, site_lt(x, (C)0) ? a * x : x)
MUTINY_UNARY(Sigmoid, (C)1 / ((C)1 + exp(-x)))
MUTINY_UNARY(Tanh, tanh(x))
MUTINY_UNARY(Exp, exp(x))
MUTINY_UNARY(Log, log(x))
MUTINY_UNARY(Sqrt, sqrt(x))
MUTINY_UNARY(Neg, -x)
MUTINY_UNARY(Abs, fabs(x))
MUTINY_UNARY(Reciprocal, (C)1 / x)
MUTINY_UNARY(Floor, floor(x))
MUTINY_UNARY(Ceil, ceil(x))
MUTINY_UNARY(Round, rint(x))
MUTINY_UNARY(Elu, x < (C)0 ? a * (exp(x) - (C)1) : x)
MUTINY_UNARY(Selu, x <= (C)0 ? g * (a * exp(x) - a) : g * x)
MUTINY_UNARY(Softplus, log1p(exp(x)))
MUTINY_UNARY(Softsign, x / ((C)1 + fabs(x)))
MUTINY_UNARY(HardSigmoid, fmax((C)0, fmin((C)1, a * x + b)))
MUTINY_UNARY(HardSwish, x * fmax((C)0, fmin((C)1, x / (C)6 + (C)0.5f)))
MUTINY_UNARY(Erf, erf(x))
MUTINY_UNARY(Sin, sin(x))
MUTINY_UNARY(Cos, cos(x))
MUTINY_UNARY(Tan, tan(x))
MUTINY_UNARY(Asin, asin(x))
MUTINY_UNARY(Acos, acos(x))
MUTINY_UNARY(Atan, atan(x))
MUTINY_UNARY(Sinh, sinh(x))
MUTINY_UNARY(Cosh, cosh(x))
MUTINY_UNARY(Asinh, asinh(x))
MUTINY_UNARY(Acosh, acosh(x))
MUTINY_UNARY(Atanh, atanh(x))
// Sign keeps NaN (numpy.sign).
MUTINY_UNARY(Sign, x > (C)0 ? (C)1 : x < (C)0 ? (C)-1 : x)
MUTINY_UNARY(Celu, fmax((C)0, x) + fmin((C)0, a * (exp(x / a) - (C)1)))
MUTINY_UNARY(ThresholdedRelu, x > a ? x : (C)0)
// Shrink: a = lambd, b = bias.
MUTINY_UNARY(Shrink, x < -a ? x + b : x > a ? x - b : (C)0)
// Gelu: a = 1 for approximate="tanh", 0 for "none".
MUTINY_UNARY(Gelu, a != (C)0 ? (C)0.5f * x * ((C)1 + tanh((C)0.7978845608f * (x + (C)0.044715f * x * x * x)))
                             : (C)0.5f * x * ((C)1 + erf(x * (C)0.7071067812f)))

// Mish: x tanh(softplus(x)).
MUTINY_UNARY(Mish, x * tanh(log1p(exp(x))))

// Binary ops: y = f(a, b) with broadcasting (meta: see broadcast_offsets). Binary results are not
// store sites on the CPU either.
#define MUTINY_BINARY(NAME, EXPR)                                                                \
    __kernel void binary_##NAME(__global const T* ap, __global const T* bp, __global T* yp,     \
                                __global const int* meta, const int n) {                        \
        const int i = (int)get_global_id(0);                                                    \
        if (i >= n) return;                                                                     \
        int oa, ob;                                                                             \
        broadcast_offsets(meta, i, &oa, &ob);                                                   \
        const C x = LOAD(ap, oa);                                                               \
        const C y = LOAD(bp, ob);                                                               \
        STORE(yp, i, (EXPR));                                                                   \
    }

MUTINY_BINARY(Add, x + y)
MUTINY_BINARY(Sub, x - y)
MUTINY_BINARY(Mul, x * y)
MUTINY_BINARY(Div, x / y)
MUTINY_BINARY(Pow, pow(x, y))
// NaN propagates through Max/Min as in the ONNX reference (numpy.maximum).
MUTINY_BINARY(Max, (x != x || x > y) ? x : y)
MUTINY_BINARY(Min, (x != x || x < y) ? x : y)
// PRelu: b is the slope broadcast to x; the test is an LT site.
MUTINY_BINARY(PRelu, site_lt(x, (C)0) ? y * x : x)

// Mean's last step: y = y / n (the count rounded to the storage type first, as on the CPU).
__kernel void divide_by_count(__global T* yp, const C count, const int n) {
    const int i = (int)get_global_id(0);
    if (i >= n) return;
    STORE(yp, i, LOAD(yp, i) / count);
}

// Clip: absent bounds are +-max; the two tests are Clip's comparison sites.
__kernel void clip(__global const T* xp, __global T* yp, __global const T* lop, __global const T* hip,
                   const int has_lo, const int has_hi, const int n) {
    const int i = (int)get_global_id(0);
    if (i >= n) return;
#if MUTINY_DTYPE == 2
    C lo = -DBL_MAX, hi = DBL_MAX;
#else
    C lo = -FLT_MAX, hi = FLT_MAX;
#endif
    if (has_lo) lo = LOAD(lop, 0);
    if (has_hi) hi = LOAD(hip, 0);
    C v = LOAD(xp, i);
    if (site_lt(v, lo)) v = lo;
    if (site_gt(v, hi)) v = hi;
    STORE(yp, i, v);
}
