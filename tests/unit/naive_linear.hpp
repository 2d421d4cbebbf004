// Reference Conv and Gemm in double, written from the ONNX definitions and independent of the
// kernels: what test_conv.cpp, test_gemm.cpp and test_conv_gemm_sites.cpp compare against.
#ifndef MUTINY_TESTS_UNIT_NAIVE_LINEAR_HPP_
#define MUTINY_TESTS_UNIT_NAIVE_LINEAR_HPP_

#include <mutiny/ops/common.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace naive_linear {

using namespace mutiny;

struct ConvAttrs {
    std::vector<int64_t> strides, dilations, pads;
    int64_t group = 1;
    std::string auto_pad = "NOTSET";
    Attributes make() const {
        Attributes a;
        if (!strides.empty()) a.set_ints("strides", strides);
        if (!dilations.empty()) a.set_ints("dilations", dilations);
        if (!pads.empty()) a.set_ints("pads", pads);
        if (group != 1) a.set_int("group", group);
        if (auto_pad != "NOTSET") a.set_string("auto_pad", auto_pad);
        return a;
    }
};

// Naive N-D convolution in double, written from the ONNX definition (independent of the kernel).
inline std::vector<double> naive_conv(const Tensor& X, const Tensor& W, const Tensor* B, const ConvAttrs& a, std::vector<int64_t>& oshape,
                               bool drop_last = false) {
    const auto xs = X.shape().dims(), ws = W.shape().dims();
    const size_t nsp = xs.size() - 2;
    std::vector<int64_t> st(nsp, 1), dl(nsp, 1), pb(nsp, 0), out(nsp);
    if (!a.strides.empty()) st = a.strides;
    if (!a.dilations.empty()) dl = a.dilations;
    for (size_t i = 0; i < nsp; ++i) {
        const int64_t ek = (ws[2 + i] - 1) * dl[i] + 1;
        if (a.auto_pad == "NOTSET") {
            pb[i] = a.pads.empty() ? 0 : a.pads[i];
            const int64_t pe = a.pads.empty() ? 0 : a.pads[i + nsp];
            out[i] = (xs[2 + i] + pb[i] + pe - ek) / st[i] + 1;
        } else if (a.auto_pad == "VALID") {
            out[i] = (xs[2 + i] - ek) / st[i] + 1;
        } else {
            out[i] = (xs[2 + i] + st[i] - 1) / st[i];
            const int64_t tot = std::max<int64_t>(0, (out[i] - 1) * st[i] + ek - xs[2 + i]);
            pb[i] = a.auto_pad == "SAME_UPPER" ? tot / 2 : tot - tot / 2;
        }
    }
    const int64_t N = xs[0], C = xs[1], M = ws[0], G = a.group, Cg = C / G, Mg = M / G;
    oshape = {N, M};
    for (auto o : out) oshape.push_back(o);
    int64_t P = 1, KK = 1, Pin = 1;
    for (size_t i = 0; i < nsp; ++i) {
        P *= out[i];
        KK *= ws[2 + i];
        Pin *= xs[2 + i];
    }
    const float* x = X.data<float>();
    const float* w = W.data<float>();
    std::vector<double> y(static_cast<size_t>(N * M * P));
    std::vector<int64_t> o(nsp), k(nsp);
    for (int64_t n = 0; n < N; ++n)
        for (int64_t m = 0; m < M; ++m) {
            const int64_t g = m / Mg;
            for (int64_t p = 0; p < P; ++p) {
                int64_t r = p;
                for (size_t i = nsp; i-- > 0;) {
                    o[i] = r % out[i];
                    r /= out[i];
                }
                double s = 0;
                for (int64_t c = 0; c < Cg; ++c)
                    for (int64_t kk = 0; kk < KK; ++kk) {
                        if (drop_last && c == Cg - 1 && kk == KK - 1) continue;
                        int64_t q = kk;
                        for (size_t i = nsp; i-- > 0;) {
                            k[i] = q % ws[2 + i];
                            q /= ws[2 + i];
                        }
                        int64_t xi = 0;
                        bool inside = true;
                        for (size_t i = 0; i < nsp; ++i) {
                            const int64_t ii = o[i] * st[i] - pb[i] + k[i] * dl[i];
                            if (ii < 0 || ii >= xs[2 + i]) inside = false;
                            xi = xi * xs[2 + i] + ii;
                        }
                        if (!inside) continue;
                        s += static_cast<double>(x[(n * C + g * Cg + c) * Pin + xi]) * w[(m * Cg + c) * KK + kk];
                    }
                if (B) s += B->data<float>()[m];
                y[static_cast<size_t>((n * M + m) * P + p)] = s;
            }
        }
    return y;
}

inline std::vector<double> naive_gemm(const Tensor& A, const Tensor& B, const Tensor* C, bool ta, bool tb, double alpha, double beta, int64_t& M,
                               int64_t& N, bool drop_last = false) {
    const auto as = A.shape().dims(), bs = B.shape().dims();
    M = ta ? as[1] : as[0];
    const int64_t K = ta ? as[0] : as[1];
    N = tb ? bs[0] : bs[1];
    std::vector<double> y(static_cast<size_t>(M * N));
    const float* a = A.data<float>();
    const float* b = B.data<float>();
    for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < N; ++n) {
            double s = 0;
            for (int64_t k = 0; k < K - (drop_last ? 1 : 0); ++k)
                s += static_cast<double>(ta ? a[k * M + m] : a[m * K + k]) * (tb ? b[n * K + k] : b[k * N + n]);
            double cv = 0;
            if (C) {
                const auto cs = C->shape().dims();
                const int64_t cm = cs.size() == 2 && cs[0] != 1 ? m : 0;
                const int64_t cn = !cs.empty() && cs.back() != 1 ? n : 0;
                const int64_t ldc = cs.size() == 2 ? cs[1] : 0;
                cv = C->data<float>()[cm * ldc + cn];
            }
            y[static_cast<size_t>(m * N + n)] = alpha * s + beta * cv;
        }
    return y;
}

}  // namespace naive_linear

#endif  // MUTINY_TESTS_UNIT_NAIVE_LINEAR_HPP_
