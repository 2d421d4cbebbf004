// ONNX Runtime's QLinearSigmoid and QLinearLeakyRelu (com.microsoft): inputs (X, X_scale,
// X_zero_point?, Y_scale, Y_zero_point?), uint8 or int8, per tensor. ORT does not compute them per
// element: it builds a 256-entry table, one output per possible input byte (dequantize
// X_scale * (x - zX) in float32, apply the function, quantize with MlasQuantizeLinear: divide by
// Y_scale, round half to even, add zY, saturate), and looks each element up. The same table here.
// The function is ORT's too: MLAS's logistic is not 1 / (1 + exp(-x)) but Eigen's rational
// approximation p(x) / q(x) + 0.5 on x clamped to [-18, 18], evaluated with fused multiply-adds
// (the FMA3 kernel x86-64 ORT runs), so the table entries match ORT's bit for bit.
// LeakyRelu is x >= 0 ? x : alpha * x (alpha default 0.01).
#ifndef MUTINY_OPS_QUANT_CONTRIB_LOOKUP_HPP_
#define MUTINY_OPS_QUANT_CONTRIB_LOOKUP_HPP_

#include <array>
#include <cmath>
#include <cstdint>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "contrib_params.hpp"

namespace mutiny {
namespace quant {

// MLAS's logistic (onnxruntime/core/mlas/lib/logistic.cpp: Eigen's coefficients), the FMA order of
// its x86-64 FMA3 kernel.
inline float mlas_logistic(float x) {
    const float v = std::min(18.0f, std::max(-18.0f, x));
    const float v2 = v * v;
    float p = std::fma(v2, 4.37031012579801e-11f, 1.15627324459942e-07f);
    p = std::fma(v2, p, 6.08574864600143e-05f);
    p = std::fma(v2, p, 8.51377133304701e-03f);
    p = std::fma(v2, p, 2.48287947061529e-01f);
    float q = std::fma(v2, 6.10247389755681e-13f, 5.76102136993427e-09f);
    q = std::fma(v2, q, 6.29106785017040e-06f);
    q = std::fma(v2, q, 1.70198817374094e-03f);
    q = std::fma(v2, q, 1.16817656904453e-01f);
    q = std::fma(v2, q, 9.93151921023180e-01f);
    p = v * p;
    return std::max(0.0f, p / q + 0.5f);
}

inline void infer_qlinear_lookup(InferContext& c) {
    c.expect_inputs(4, 5);
    expect_8bit(c, 0);
    check_contrib_param(c, 1, c.dtype(0), "X");
    check_contrib_param(c, 3, c.dtype(0), "Y");
    c.set_output(0, c.dtype(0), c.shape(0));
}

// ORT's table (QlinearBuildLookupTable): entry i is the output for the input byte i.
template <class T, class Fn>
std::array<T, 256> lookup_table(const QParam& px, const QParam& py, Fn fn, SiteConfig::Round round) {
    std::array<T, 256> table;
    for (int i = 0; i < 256; ++i) {
        const T x = static_cast<T>(static_cast<uint8_t>(i));  // the byte i read as T
        const float y = fn(px.scale * static_cast<float>(static_cast<int32_t>(x) - px.zero_point));
        table[static_cast<size_t>(i)] = requantize<T>(y / py.scale, py.zero_point, round);
    }
    return table;
}

// y[i] = table[x[i]] for n bytes.
template <class T>
void apply_table(const std::array<T, 256>& table, const void* x, void* y, int64_t n) {
    const uint8_t* xp = static_cast<const uint8_t*>(x);
    T* yp = static_cast<T*>(y);
    parallel_chunks(n, 16384, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) yp[i] = table[xp[i]];
    });
}

// The kernel of a lookup op whose function is fn (float to float).
template <class Fn>
Kernel qlinear_lookup_kernel(const PrepareContext& prep, Fn fn) {
    const SiteConfig::Round round = prep.sites.round;
    return [fn, round](ExecContext& c) {
        const QParam px = read_param(c, 1), py = read_param(c, 3);
        auto run = [&](auto tag) {
            using T = decltype(tag);
            apply_table(lookup_table<T>(px, py, fn, round), c.input(0).raw(), c.out[0]->raw(), c.input(0).numel());
        };
        dispatch_8bit(c.input(0).dtype(), run);
    };
}

inline void register_contrib_lookup_ops(Registry& r) {
    r.add(OpDef{contrib_name("QLinearSigmoid"), nullptr, infer_qlinear_lookup,
                [](const PrepareContext& pc) { return qlinear_lookup_kernel(pc, mlas_logistic); }})
        .sites.rounding = true;
    r.add(OpDef{contrib_name("QLinearLeakyRelu"), nullptr, infer_qlinear_lookup, [](const PrepareContext& pc) {
                    const float alpha = static_cast<float>(pc.attrs().get_float("alpha", 0.01));
                    return qlinear_lookup_kernel(pc, [alpha](float x) { return x >= 0.0f ? x : alpha * x; });
                }}).sites.rounding = true;
}

}  // namespace quant
}  // namespace mutiny

#endif  // MUTINY_OPS_QUANT_CONTRIB_LOOKUP_HPP_
