// ONNX Runtime's QGemm (com.microsoft): Y = alpha * A' B' + C on quantized matrices, inputs
// (A, a_scale, a_zero_point, B, b_scale, b_zero_point, C?, y_scale?, y_zero_point?), attributes
// transA, transB, alpha. A is uint8 or int8 (then B is int8), B uint8 or int8; a's scale and zero
// point per tensor, b's per tensor or per column ([N], the same shape for both); C an int32 bias
// of scale a_scale * b_scale, shaped (), (1), (N), (1, N), (M, 1) or (M, N). As ORT computes it
// (contrib_ops/cpu/quantization/quant_gemm.cc, MLAS's QGEMM and its output processors):
//   acc[m, n] = C[m, n] + sum_k (A'[m, k] - za) * (B'[k, n] - zb[n])   exact, in int32
//   s[n] = (alpha * a_scale) * b_scale[n] (/ y_scale when given)      in float32
//   with y_zero_point: y = float(acc) * s[n] rounded half to even (the node's rounding site,
//   operator QR), plus y_zero_point, saturated to its type; without: y = float(acc) * s[n] in
//   float32.
#ifndef MUTINY_OPS_QUANT_CONTRIB_GEMM_HPP_
#define MUTINY_OPS_QUANT_CONTRIB_GEMM_HPP_

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "contrib_params.hpp"

namespace mutiny {
namespace quant {

struct QGemmDims {
    int64_t M = 0, N = 0, K = 0;
};

template <class Fail>
QGemmDims qgemm_dims(const Shape& a, const Shape& b, bool ta, bool tb, Fail fail) {
    if (a.rank() != 2 || b.rank() != 2) fail("QGemm inputs must be matrices", "A " + a.str() + ", B " + b.str());
    QGemmDims d;
    d.M = ta ? a[1] : a[0];
    d.K = ta ? a[0] : a[1];
    d.N = tb ? b[0] : b[1];
    const int64_t kb = tb ? b[1] : b[0];
    if (kb != d.K) fail("QGemm inner dimensions differ", "A' is [" + std::to_string(d.M) + ", " + std::to_string(d.K) + "], B' has " + std::to_string(kb) + " rows");
    return d;
}

// C's element for output (m, n): its strides along M and N (0 where broadcast).
inline bool bias_strides(const Shape& c, int64_t M, int64_t N, int64_t& sm, int64_t& sn) {
    sm = sn = 0;
    if (c.numel() == 1 && c.rank() <= 2) return true;
    if ((c.rank() == 1 && c[0] == N) || (c.rank() == 2 && c[0] == 1 && c[1] == N)) {
        sn = 1;
        return true;
    }
    if (c.rank() == 2 && c[0] == M && c[1] == 1) {
        sm = 1;
        return true;
    }
    if (c.rank() == 2 && c[0] == M && c[1] == N) {
        sm = N;
        sn = 1;
        return true;
    }
    return false;
}

inline void infer_qgemm(InferContext& c) {
    c.expect_inputs(6, 9);
    expect_8bit(c, 0);
    expect_8bit(c, 3);
    if (c.dtype(0) == DType::i8 && c.dtype(3) != DType::i8) c.fail("unsupported input types", "A is int8 and B uint8; ORT's QGemm takes int8 B with int8 A");
    const QGemmDims d = qgemm_dims(c.shape(0), c.shape(3), c.attrs().get_int("transA", 0) != 0, c.attrs().get_int("transB", 0) != 0,
                                   [&](const std::string& w, const std::string& y) { c.fail(w, y); });
    check_contrib_param(c, 1, c.dtype(0), "a");
    if (!c.has_input(2)) c.fail("missing a_zero_point", "ORT's QGemm requires it");
    if (!c.has_input(5)) c.fail("missing b_zero_point", "ORT's QGemm requires it");
    if (c.dtype(4) != DType::f32) c.fail("b scale is not float32", std::string("it is ") + dtype_name(c.dtype(4)));
    if (c.dtype(5) != c.dtype(3)) c.fail("b zero point type differs from B's", std::string(dtype_name(c.dtype(5))) + " and " + dtype_name(c.dtype(3)));
    const Shape &bs = c.shape(4), &bz = c.shape(5);
    const bool per_column = bs.rank() == 1 && bs[0] == d.N && d.N != 1;
    if (!(bs.numel() == 1 && bs.rank() <= 1) && !per_column)
        c.fail("b scale does not fit", "shape " + bs.str() + "; a scalar, [1] or [" + std::to_string(d.N) + "] expected");
    if (bs.rank() != bz.rank() || bs.numel() != bz.numel())
        c.fail("b scale and zero point shapes differ", bs.str() + " and " + bz.str());
    if (const Tensor* k = c.constant(4)) scales_of(*k, c.where());
    if (c.has_input(6)) {
        int64_t sm, sn;
        if (c.dtype(6) != DType::i32) c.fail("bias C is not int32", std::string("it is ") + dtype_name(c.dtype(6)));
        if (!bias_strides(c.shape(6), d.M, d.N, sm, sn))
            c.fail("bias C does not broadcast to the output", "shape " + c.shape(6).str() + " for [" + std::to_string(d.M) + ", " + std::to_string(d.N) + "]");
    }
    if (c.has_input(7)) {
        if (c.dtype(7) != DType::f32 || c.shape(7).numel() != 1 || c.shape(7).rank() > 1)
            c.fail("y scale is not one float32", std::string(dtype_name(c.dtype(7))) + " " + c.shape(7).str());
        if (const Tensor* k = c.constant(7)) scales_of(*k, c.where());
    }
    DType out = DType::f32;
    if (c.has_input(8)) {
        if (!c.has_input(7)) c.fail("y zero point without y scale", "a quantized output needs both");
        out = c.dtype(8);
        if (out != c.dtype(0)) c.fail("y zero point type differs from A's", std::string(dtype_name(out)) + " and " + dtype_name(c.dtype(0)));
        if (c.shape(8).numel() != 1 || c.shape(8).rank() > 1) c.fail("y zero point is not per tensor", "shape " + c.shape(8).str());
    }
    c.set_output(0, out, Shape{d.M, d.N});
}

// K = 0 with a quantized output: no products, so ORT (quant_gemm.cc, HandleZeroKCase) takes the bias
// alone, rescaled as float(C) * a_scale * b_scale[0] in float32 (alpha and per-column b scales play
// no part), divided by y_scale and quantized (half to even, or the rounding site's mode; plus
// y_zero_point, saturated); without a bias every output is y_zero_point. ONNX Runtime 1.32's
// binary lacks that path and returns uninitialised memory there, so this follows its source. A
// float output keeps the empty sum of the general case: float(C) * s[n].
inline void zero_k_quantized(Tensor& y, const Tensor* bias, int64_t sm, int64_t sn, const QGemmDims& d, float a_scale, float b_scale, float ys,
                             int32_t yz, SiteConfig::Round round) {
    auto fill = [&](auto* yp) {
        using T = std::remove_pointer_t<decltype(yp)>;
        for (int64_t m = 0; m < d.M; ++m)
            for (int64_t n = 0; n < d.N; ++n) {
                const float v = bias ? static_cast<float>(bias->data<int32_t>()[m * sm + n * sn]) * a_scale * b_scale / ys : 0.0f;
                yp[m * d.N + n] = requantize<T>(v, yz, round);
            }
    };
    if (y.dtype() == DType::u8) fill(y.data<uint8_t>());
    else fill(y.data<int8_t>());
}

inline Kernel prepare_qgemm(const PrepareContext& pc) {
    const bool ta = pc.attrs().get_int("transA", 0) != 0, tb = pc.attrs().get_int("transB", 0) != 0;
    const float alpha = static_cast<float>(pc.attrs().get_float("alpha", 1.0));
    const SiteConfig::Round round = pc.sites.round;
    return [=](ExecContext& c) {
        const std::string where = Graph::where(*c.node);
        const Tensor &A = c.input(0), &B = c.input(3);
        const QGemmDims d = qgemm_dims(A.shape(), B.shape(), ta, tb, [&](const std::string& w, const std::string& y) -> void { throw Error(w, where, y); });
        const QParam pa = read_param(c, 1);
        const std::vector<double> bscale = scales_of(c.input(4), where);
        const Tensor& bzero = c.input(5);
        std::vector<float> s(bscale.size());
        const float ys = c.has(7) ? static_cast<float>(scales_of(c.input(7), where)[0]) : 1.0f;
        for (size_t n = 0; n < s.size(); ++n) {
            s[n] = alpha * pa.scale * static_cast<float>(bscale[n]);
            if (c.has(7)) s[n] /= ys;
        }
        const Tensor* bias = c.has(6) ? c.in[6] : nullptr;
        int64_t sm = 0, sn = 0;
        if (bias) bias_strides(bias->shape(), d.M, d.N, sm, sn);
        const int32_t yz = c.has(8) ? static_cast<int32_t>(c.input(8).get_i64(0)) : 0;
        Tensor& y = *c.out[0];
        if (d.K == 0 && y.dtype() != DType::f32) {
            zero_k_quantized(y, bias, sm, sn, d, pa.scale, static_cast<float>(bscale[0]), ys, yz, round);
            return;
        }
        auto body = [&](auto a_tag, auto b_tag, auto y_store) {
            using TA = decltype(a_tag);
            using TB = decltype(b_tag);
            const TA* ap = static_cast<const TA*>(A.raw());
            const TB* bp = static_cast<const TB*>(B.raw());
            parallel_chunks(d.M, grain_for(d.M, d.N * d.K), [&](int64_t m0, int64_t m1) {
                std::vector<int32_t> row(static_cast<size_t>(d.K));
                for (int64_t m = m0; m < m1; ++m) {
                    for (int64_t k = 0; k < d.K; ++k) row[static_cast<size_t>(k)] = static_cast<int32_t>(ap[ta ? k * d.M + m : m * d.K + k]) - pa.zero_point;
                    for (int64_t n = 0; n < d.N; ++n) {
                        const size_t col = bzero.numel() == 1 ? 0 : static_cast<size_t>(n);
                        const int32_t zb = static_cast<int32_t>(bzero.get_i64(static_cast<int64_t>(col)));
                        // int32 arithmetic wraps as MLAS's does (unsigned: defined in C++).
                        uint32_t acc = bias ? static_cast<uint32_t>(bias->data<int32_t>()[m * sm + n * sn]) : 0u;
                        for (int64_t k = 0; k < d.K; ++k)
                            acc += static_cast<uint32_t>(row[static_cast<size_t>(k)] * (static_cast<int32_t>(bp[tb ? n * d.K + k : k * d.N + n]) - zb));
                        y_store(m * d.N + n, static_cast<float>(static_cast<int32_t>(acc)) * s[bscale.size() == 1 ? 0 : static_cast<size_t>(n)]);
                    }
                }
            });
        };
        auto with_store = [&](auto a_tag, auto b_tag) {
            if (y.dtype() == DType::f32) {
                float* yp = y.data<float>();
                body(a_tag, b_tag, [yp](int64_t i, float v) { yp[i] = v; });
            } else if (y.dtype() == DType::u8) {
                uint8_t* yp = y.data<uint8_t>();
                body(a_tag, b_tag, [yp, yz, round](int64_t i, float v) { yp[i] = requantize<uint8_t>(v, yz, round); });
            } else {
                int8_t* yp = y.data<int8_t>();
                body(a_tag, b_tag, [yp, yz, round](int64_t i, float v) { yp[i] = requantize<int8_t>(v, yz, round); });
            }
        };
        if (A.dtype() == DType::i8) with_store(int8_t{}, int8_t{});
        else if (B.dtype() == DType::i8) with_store(uint8_t{}, int8_t{});
        else with_store(uint8_t{}, uint8_t{});
    };
}

inline void register_contrib_gemm_ops(Registry& r) {
    r.add(OpDef{contrib_name("QGemm"), nullptr, infer_qgemm, prepare_qgemm}).sites.rounding = true;
}

}  // namespace quant
}  // namespace mutiny

#endif  // MUTINY_OPS_QUANT_CONTRIB_GEMM_HPP_
