// MatMulInteger and QLinearMatMul (numpy matmul semantics, batch dimensions broadcast). Products of
// (a - a_zero_point) and (b - b_zero_point) are summed exactly in 64 bits and wrapped to int32, as
// the reference's int32 matmul wraps; a zero point is a scalar, or per row of A ([M]) / per column
// of B ([N]). QLinearMatMul requantizes as the ONNX reference does: y = clip(rint(acc * m) +
// y_zero_point) with the multiplier m = a_scale * b_scale / y_scale in the scales' type (float32, or
// float16 from opset 21, each operation rounded to it as numpy does) and the product in double
// (numpy promotes int32 times float32 or float16 to float64); rint is the node's rounding site
// (operator QR: another rounding mode).
#ifndef MUTINY_OPS_QUANT_QMATMUL_HPP_
#define MUTINY_OPS_QUANT_QMATMUL_HPP_

#include <cmath>
#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "../gemm/matmul.hpp"
#include "params.hpp"
#include "quantize.hpp"

namespace mutiny {
namespace quant {

inline bool is_int8(DType t) { return t == DType::u8 || t == DType::i8; }

// A zero point's or scale's values for rows (or columns) 0..n-1: one value repeated, or n values.
inline std::vector<double> per_line(const InferContext* c, const Tensor* t, int64_t n, const char* what, const std::string& where) {
    std::vector<double> v(static_cast<size_t>(std::max<int64_t>(n, 0)), 0.0);
    if (!t) return v;
    if (t->numel() == 1) {
        std::fill(v.begin(), v.end(), t->get_f64(0));
        return v;
    }
    if (t->shape().rank() != 1 || t->numel() != n) {
        const std::string why = std::string(what) + " has shape " + t->shape().str() + "; a scalar or [" + std::to_string(n) + "] expected";
        if (c) c->fail(std::string(what) + " does not fit the matrix", why);
        throw Error(std::string(what) + " does not fit the matrix", where, why);
    }
    for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = t->get_f64(i);
    return v;
}

// acc[b, m, n] = sum_k (A[b, m, k] - za[m]) * (B[b, k, n] - zb[n]), wrapped to int32.
template <class F>
void int_matmul(const gemm::MatMulShapes& sh, const Tensor& A, const Tensor& B, const std::vector<double>& za, const std::vector<double>& zb, F store) {
    const int64_t nprod = sh.batch.numel(), M = sh.M, N = sh.N, K = sh.K;
    const auto bst = sh.batch.strides();
    parallel_chunks(nprod * M, grain_for(nprod * M, N * K), [&](int64_t r0, int64_t r1) {
        std::vector<int64_t> row(static_cast<size_t>(K));
        for (int64_t r = r0; r < r1; ++r) {
            const int64_t bi = r / M, m = r % M;
            int64_t ao = 0, bo = 0;
            for (size_t d = 0; d < sh.batch.rank(); ++d) {
                const int64_t idx = (bi / bst[d]) % sh.batch[d];
                ao += idx * sh.a_bstr[d];
                bo += idx * sh.b_bstr[d];
            }
            const int64_t zam = static_cast<int64_t>(za[static_cast<size_t>(m)]);
            for (int64_t k = 0; k < K; ++k) row[static_cast<size_t>(k)] = A.get_i64(ao + m * K + k) - zam;
            for (int64_t n = 0; n < N; ++n) {
                const int64_t zbn = static_cast<int64_t>(zb[static_cast<size_t>(n)]);
                int64_t acc = 0;
                for (int64_t k = 0; k < K; ++k) acc += row[static_cast<size_t>(k)] * (B.get_i64(bo + k * N + n) - zbn);
                store(bi * M * N + m * N + n, m, n, static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(acc))));
            }
        }
    });
}

inline gemm::MatMulShapes shapes_of(const Shape& a, const Shape& b, const std::string& where) {
    return gemm::matmul_shapes(a, b, [&](const std::string& w, const std::string& y) -> void { throw Error(w, where, y); });
}

inline void infer_matmul_integer(InferContext& c) {
    c.expect_inputs(2, 4);
    for (size_t i : {0, 1})
        if (!is_int8(c.dtype(i))) c.fail("unsupported input dtype", "input " + std::to_string(i) + " is " + dtype_name(c.dtype(i)) + "; uint8 or int8 expected");
    for (size_t i : {2, 3})
        if (c.has_input(i) && c.dtype(i) != c.dtype(i - 2))
            c.fail("zero point type differs from its matrix's", std::string(dtype_name(c.dtype(i))) + " and " + dtype_name(c.dtype(i - 2)));
    const auto sh = gemm::matmul_shapes(c.shape(0), c.shape(1), [&](const std::string& w, const std::string& y) { c.fail(w, y); });
    if (c.has_input(2)) per_line(&c, c.constant(2), sh.M, "a_zero_point", c.where());
    if (c.has_input(3)) per_line(&c, c.constant(3), sh.N, "b_zero_point", c.where());
    c.set_output(0, DType::i32, sh.out);
}

inline Kernel prepare_matmul_integer(const PrepareContext&) {
    return [](ExecContext& c) {
        const std::string where = Graph::where(*c.node);
        const auto sh = shapes_of(c.input(0).shape(), c.input(1).shape(), where);
        const auto za = per_line(nullptr, c.has(2) ? c.in[2] : nullptr, sh.M, "a_zero_point", where);
        const auto zb = per_line(nullptr, c.has(3) ? c.in[3] : nullptr, sh.N, "b_zero_point", where);
        int32_t* y = c.out[0]->data<int32_t>();
        int_matmul(sh, c.input(0), c.input(1), za, zb, [y](int64_t i, int64_t, int64_t, int32_t v) { y[i] = v; });
    };
}

// QLinearMatMul inputs: a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point.
inline void infer_qlinear_matmul(InferContext& c) {
    c.expect_inputs(8, 8);
    if (!is_int8(c.dtype(0)) || !is_int8(c.dtype(3)))
        c.fail("unsupported input dtype", std::string("a is ") + dtype_name(c.dtype(0)) + ", b is " + dtype_name(c.dtype(3)) + "; uint8 or int8 expected");
    if (c.dtype(2) != c.dtype(0) || c.dtype(5) != c.dtype(3)) c.fail("zero point type differs from its matrix's", "a_zero_point / b_zero_point");
    if (!is_int8(c.dtype(7))) c.fail("unsupported output type", std::string("y_zero_point is ") + dtype_name(c.dtype(7)));
    for (size_t i : {1, 4, 6})
        if (c.dtype(i) != DType::f32 && c.dtype(i) != DType::f16)
            c.fail("scale is not float32 or float16", "input " + std::to_string(i) + " is " + dtype_name(c.dtype(i)));
    if (c.dtype(4) != c.dtype(1) || c.dtype(6) != c.dtype(1))
        c.fail("scales of different types", std::string("a_scale ") + dtype_name(c.dtype(1)) + ", b_scale " + dtype_name(c.dtype(4)) + ", y_scale " +
                                                dtype_name(c.dtype(6)));
    const auto sh = gemm::matmul_shapes(c.shape(0), c.shape(3), [&](const std::string& w, const std::string& y) { c.fail(w, y); });
    if (c.shape(6).numel() != 1 || c.shape(7).numel() != 1) c.fail("y_scale and y_zero_point must be scalars", c.shape(6).str() + ", " + c.shape(7).str());
    for (size_t i : {1, 4, 6})
        if (const Tensor* s = c.constant(i)) scales_of(*s, c.where());
    c.set_output(0, c.dtype(7), sh.out);
}

inline Kernel prepare_qlinear_matmul(const PrepareContext& pc) {
    const SiteConfig::Round round = pc.sites.round;
    return [round](ExecContext& c) {
        const std::string where = Graph::where(*c.node);
        const auto sh = shapes_of(c.input(0).shape(), c.input(3).shape(), where);
        scales_of(c.input(1), where);
        scales_of(c.input(4), where);
        const double ys = scales_of(c.input(6), where)[0];
        const auto as = per_line(nullptr, c.in[1], sh.M, "a_scale", where), bs = per_line(nullptr, c.in[4], sh.N, "b_scale", where);
        const auto za = per_line(nullptr, c.in[2], sh.M, "a_zero_point", where), zb = per_line(nullptr, c.in[5], sh.N, "b_zero_point", where);
        const double yz = c.input(7).get_f64(0);
        int64_t lo, hi;
        range_of(c.out[0]->dtype(), lo, hi);
        Tensor& y = *c.out[0];
        const bool f16 = c.input(1).dtype() == DType::f16;
        // a_scale * b_scale / y_scale, each operation rounded to the scales' type.
        auto multiplier = [f16, ys](double sa, double sb) -> float {
            if (!f16) return static_cast<float>(static_cast<float>(sa) * static_cast<float>(sb)) / static_cast<float>(ys);
            const half p(static_cast<float>(sa) * static_cast<float>(sb));
            return static_cast<float>(half(static_cast<float>(p) / static_cast<float>(ys)));
        };
        dispatch_dtype(y.dtype(), [&](auto tag) {
            using Y = decltype(tag);
            Y* yp = static_cast<Y*>(y.raw());
            int_matmul(sh, c.input(0), c.input(3), za, zb, [&](int64_t i, int64_t m, int64_t n, int32_t acc) {
                const float mult = multiplier(as[static_cast<size_t>(m)], bs[static_cast<size_t>(n)]);
                const double d = quantize_round(static_cast<double>(acc) * static_cast<double>(mult) + yz, round);
                yp[i] = static_cast<Y>(std::min(static_cast<double>(hi), std::max(static_cast<double>(lo), d)));
            });
        });
    };
}

inline void register_qmatmul_ops(Registry& r) {
    r.add(OpDef{"MatMulInteger", nullptr, infer_matmul_integer, prepare_matmul_integer});
    r.add(OpDef{"QLinearMatMul", nullptr, infer_qlinear_matmul, prepare_qlinear_matmul}).sites.rounding = true;
}

}  // namespace quant
}  // namespace mutiny

#endif  // MUTINY_OPS_QUANT_QMATMUL_HPP_
