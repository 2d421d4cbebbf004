// Mutiny OpenCL prelude: the defines every program starts with. The host composes a program as
// prelude.cl + common.cl + <family>.cl and selects precision, vendor switches and kernel-level
// mutation sites (docs/mutation.md) with build options (-D...). Every default is the unmutated code,
// so a kernel mutant is a rebuild of the same source with other options (cached per options).
//
// Build options (all optional):
//   MUTINY_DTYPE        storage type of the tensors: 0 f32 (default), 1 f16, 2 f64
//   MUTINY_FP64         1 when the device has cl_khr_fp64: sums the CPU does in double use double
//   MUTINY_USE_FMA      1: multiply-adds of dot products are fused (vendor switch; default off, as
//                       the CPU reference build without -mfma computes them unfused)
//   MUTINY_CMP          comparator swap at comparison sites: MUTINY_CMP_NONE, _LT_TO_LE, _LT_TO_GT,
//                       _GT_TO_LT, _GT_TO_GE
//   MUTINY_SHIFT        threshold shift of a comparison's right-hand side: MUTINY_SHIFT_NONE, _ADD,
//                       _SUB, _MUL, _DIV, _ADD_PERCENT, _SUB_PERCENT
//   MUTINY_THRESHOLD    t of the shift, a literal of the compute type
//   MUTINY_STORE        store site: MUTINY_STORE_NONE, _F16, _I32, _I16, _I8, _SUB_EPS (v - 1e-8),
//                       _MUL_EPS (v * (1 + 1e-8))
//   MUTINY_DROP_LAST    1: every reduction loop runs one accumulation term fewer
//   MUTINY_ROUND        rounding site of a quantizer's x / scale: MUTINY_ROUND_NONE (half to even),
//                       _HALF_AWAY, _TOWARD_ZERO, _FLOOR, _CEIL
//   MUTINY_HALF         1: float32 tensors computed in half (cl_khr_fp16; see below)
// The values of the site enums are not written here: the host defines every MUTINY_CMP_*,
// MUTINY_SHIFT_*, MUTINY_STORE_* and MUTINY_ROUND_* name from the C++ enums (ops/sites.hpp, site_enum_options()),
// so host and kernels cannot disagree on a number.

#ifndef MUTINY_CMP_NONE
#error "the site enum names (MUTINY_CMP_NONE, ...) are missing from the build options: see site_enum_options()"
#endif

#ifndef MUTINY_DTYPE
#define MUTINY_DTYPE 0
#endif
#ifndef MUTINY_FP64
#define MUTINY_FP64 0
#endif
#ifndef MUTINY_USE_FMA
#define MUTINY_USE_FMA 0
#endif
#ifndef MUTINY_CMP
#define MUTINY_CMP MUTINY_CMP_NONE
#endif
#ifndef MUTINY_SHIFT
#define MUTINY_SHIFT MUTINY_SHIFT_NONE
#endif
#ifndef MUTINY_THRESHOLD
#define MUTINY_THRESHOLD 0.5f
#endif
#ifndef MUTINY_STORE
#define MUTINY_STORE MUTINY_STORE_NONE
#endif
#ifndef MUTINY_DROP_LAST
#define MUTINY_DROP_LAST 0
#endif
#ifndef MUTINY_ROUND
#define MUTINY_ROUND MUTINY_ROUND_NONE
#endif

// Unfused arithmetic unless asked: the CPU reference rounds every product and sum separately.
#pragma OPENCL FP_CONTRACT OFF

#if MUTINY_FP64 || MUTINY_DTYPE == 2
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif

// T: storage type; C: compute type (f16 computes in float, as on the CPU); LOAD/STORE move one
// element between memory and C. f16 goes through vload_half/vstore_half_rte, core OpenCL 1.2,
// so f16 tensors need no cl_khr_fp16.
#if MUTINY_DTYPE == 2
#define T double
#define C double
#define LOAD(p, i) ((p)[i])
#define STORE(p, i, v) ((p)[i] = (v))
#define C_INF ((double)INFINITY)
#elif MUTINY_DTYPE == 1
#define T half
#define C float
#define LOAD(p, i) vload_half((size_t)(i), (p))
#define STORE(p, i, v) vstore_half_rte((v), (size_t)(i), (p))
#define C_INF INFINITY
#else
#define T float
#define C float
#define LOAD(p, i) ((p)[i])
#define STORE(p, i, v) ((p)[i] = (v))
#define C_INF INFINITY
#endif

// MUTINY_HALF=1 (OpenClOptions::fp16_compute; the host requires cl_khr_fp16): float32 tensors are
// computed in half, each element rounded to half when loaded, each result computed in half and
// widened when stored. Sums kept in ACC stay as ACC is.
#ifndef MUTINY_HALF
#define MUTINY_HALF 0
#endif
#if MUTINY_HALF && MUTINY_DTYPE == 0
#pragma OPENCL EXTENSION cl_khr_fp16 : enable
#undef C
#undef LOAD
#undef STORE
#undef C_INF
#define C half
#define LOAD(p, i) ((half)((p)[i]))
#define STORE(p, i, v) ((p)[i] = (float)(v))
#define C_INF ((half)INFINITY)
#endif

// ACC: where the CPU sums in double (averages, softmax, instance normalisation).
#if MUTINY_FP64 || MUTINY_DTYPE == 2
#define ACC double
#else
#define ACC float
#endif

#if MUTINY_USE_FMA
#define MUTINY_MAD(a, b, c) fma((a), (b), (c))
#else
#define MUTINY_MAD(a, b, c) ((a) * (b) + (c))
#endif
