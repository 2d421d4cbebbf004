// The random ops: RandomUniform, RandomNormal (opset 1; shape from the `shape` attribute),
// RandomUniformLike, RandomNormalLike (opset 1; the input's shape) and Bernoulli (opset 15; y = 1
// with probability x). ONNX leaves the generator open; Mutiny's is seeded and deterministic:
// element i of an output is a pure function of (seed, i), so the bits are the same on every run
// and whatever the thread count or chunking (a mutation campaign compares runs bit for bit).
//  * seed: the `seed` attribute (a float; its float32 bits key the stream), or 0 when absent
//    (kMutinyDefaultRandomSeed): a model without seeds gives the same draws every run.
//  * generator: SplitMix64 as a counter-based hash, u_i = mix(key + (i + 1) * golden) >> 11,
//    scaled by 2^-53 into [0, 1).
//  * uniform: low + (high - low) * u_i in double, rounded once to the output type and kept below
//    `high` (a value that rounds up to high is stepped down by one ulp).
//  * normal: mean + scale * z_i, z_i by Box-Muller from u_{2i} and u_{2i+1}.
//  * Bernoulli: y_i = u_i < x_i (so x = 0 gives 0, x = 1 gives 1), written in the output type.
// Their ONNX node tests compare against numpy's random draws, which no other generator
// reproduces; `mutiny conformance` reports a model holding one of these ops as skipped (OpDef::random).
#ifndef MUTINY_OPS_TENSOR_RANDOM_HPP_
#define MUTINY_OPS_TENSOR_RANDOM_HPP_

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "../shape/cast.hpp"

namespace mutiny {
namespace tensor_ops {

constexpr double kMutinyDefaultRandomSeed = 0.0;

inline uint64_t splitmix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
// The stream key of a node: its seed's float32 bits, hashed.
inline uint64_t random_key(const Attributes& a) {
    const float s = static_cast<float>(a.get_float("seed", kMutinyDefaultRandomSeed));
    uint32_t bits;
    std::memcpy(&bits, &s, 4);
    return splitmix64(0x6d7574696e79ULL ^ bits);  // "mutiny"
}
// u_i in [0, 1), 53 random bits.
inline double random_unit(uint64_t key, uint64_t i) {
    return static_cast<double>(splitmix64(key + (i + 1) * 0x9e3779b97f4a7c15ULL) >> 11) * 0x1.0p-53;
}

// The largest value of type T below v (v finite): one ulp down in T's own precision (float16
// through its bits, as rounding a float step back to float16 would give v again).
template <class T>
inline T next_down(T v) {
    if constexpr (std::is_same_v<T, half>) {
        const uint16_t b = v.bits;
        if ((b & 0x7fffu) == 0) return half::from_bits(0x8001u);  // +-0 -> the smallest negative
        return half::from_bits(static_cast<uint16_t>(b & 0x8000u ? b + 1 : b - 1));
    } else {
        return std::nextafter(v, -std::numeric_limits<T>::infinity());
    }
}

enum class RandomKind { uniform, normal, bernoulli };

// The output dtype: `dtype` when given (float types only for the uniform and normal ops), else
// the input's (the Like ops, Bernoulli) or float32 (RandomUniform, RandomNormal).
inline DType random_dtype(const InferContext& c, RandomKind k, bool like) {
    const bool given = c.attrs().has("dtype");
    DType t = given ? shape_ops::dtype_from_onnx_code(c.attrs().get_int("dtype", 1), c.where()) : like ? c.dtype(0) : DType::f32;
    if (k != RandomKind::bernoulli && !dtype_is_float(t))
        c.fail("unsupported output dtype", std::string(dtype_name(t)) + (given ? " (attribute 'dtype')" : " (the input's; give 'dtype')") + "; " +
                                               c.node().op + " writes float16, float or double");
    if (t == DType::bf16) c.fail("unsupported output dtype", "bfloat16 is a storage type only in Mutiny");
    return t;
}

template <RandomKind K, bool Like>
void infer_random(InferContext& c) {
    if (Like || K == RandomKind::bernoulli) {
        c.expect_inputs(1, 1);
        if (K == RandomKind::bernoulli) c.expect_float(0);
        c.set_output(0, random_dtype(c, K, true), c.shape(0));
        return;
    }
    c.expect_inputs(0, 0);
    if (!c.attrs().has("shape")) c.fail("missing attribute 'shape'", c.node().op + " needs the output shape");
    const auto dims = c.attrs().get_ints("shape");
    for (int64_t d : dims)
        if (d < 0) c.fail("attribute 'shape' has a negative dimension", "shape " + Shape(dims).str());
    c.set_output(0, random_dtype(c, K, false), Shape(dims));
}

template <RandomKind K>
Kernel prepare_random(const PrepareContext& pc) {
    const uint64_t key = random_key(pc.attrs());
    const double p0 = K == RandomKind::uniform ? pc.attrs().get_float("low", 0.0) : pc.attrs().get_float("mean", 0.0);
    const double p1 = K == RandomKind::uniform ? pc.attrs().get_float("high", 1.0) : pc.attrs().get_float("scale", 1.0);
    // Attributes are float32 in ONNX: use those values.
    const double a = static_cast<float>(p0), b = static_cast<float>(p1);
    return [key, a, b](ExecContext& c) {
        Tensor& y = *c.out[0];
        const Tensor* x = K == RandomKind::bernoulli ? &c.input(0) : nullptr;
        dispatch_dtype(y.dtype(), [&](auto tag) {
            using T = decltype(tag);
            T* yp = static_cast<T*>(y.raw());
            parallel_chunks(y.numel(), 8192, [&](int64_t lo, int64_t hi) {
                for (int64_t i = lo; i < hi; ++i) {
                    const uint64_t u = static_cast<uint64_t>(i);
                    if constexpr (K == RandomKind::bernoulli) {
                        yp[i] = store_as<T>(random_unit(key, u) < x->get_f64(i) ? 1 : 0);
                    } else if constexpr (std::is_floating_point_v<compute_t<T>>) {
                        if constexpr (K == RandomKind::uniform) {
                            T v = store_as<T>(static_cast<compute_t<T>>(a + (b - a) * random_unit(key, u)));
                            if (b > a && static_cast<double>(load(v)) >= b) v = next_down(v);
                            yp[i] = v;
                        } else {
                            const double u1 = 1.0 - random_unit(key, 2 * u), u2 = random_unit(key, 2 * u + 1);
                            const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586477 * u2);
                            yp[i] = store_as<T>(static_cast<compute_t<T>>(a + b * z));
                        }
                    }
                }
            });
        });
    };
}

inline void register_random_ops(Registry& r) {
    OpDef* defs[] = {
        &r.add(OpDef{"RandomUniform", nullptr, infer_random<RandomKind::uniform, false>, prepare_random<RandomKind::uniform>}),
        &r.add(OpDef{"RandomNormal", nullptr, infer_random<RandomKind::normal, false>, prepare_random<RandomKind::normal>}),
        &r.add(OpDef{"RandomUniformLike", nullptr, infer_random<RandomKind::uniform, true>, prepare_random<RandomKind::uniform>}),
        &r.add(OpDef{"RandomNormalLike", nullptr, infer_random<RandomKind::normal, true>, prepare_random<RandomKind::normal>}),
        &r.add(OpDef{"Bernoulli", nullptr, infer_random<RandomKind::bernoulli, true>, prepare_random<RandomKind::bernoulli>, 15}),
    };
    for (OpDef* d : defs) d->random = true;
}

}  // namespace tensor_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_TENSOR_RANDOM_HPP_
