// ConvTranspose: hand-checked values, naive reference loops (scatter form of the ONNX definition)
// on random cases, bitwise determinism across threads, kernel sites and errors.
#include <doctest/doctest.h>

#include "kernel_harness.hpp"

using namespace mutiny;
using namespace kernel_harness;

namespace {

struct ConvTAttrs {
    std::vector<int64_t> strides, dilations, pads, output_padding, output_shape;
    int64_t group = 1;
    std::string auto_pad = "NOTSET";
    Attributes make() const {
        Attributes a;
        if (!strides.empty()) a.set_ints("strides", strides);
        if (!dilations.empty()) a.set_ints("dilations", dilations);
        if (!pads.empty()) a.set_ints("pads", pads);
        if (!output_padding.empty()) a.set_ints("output_padding", output_padding);
        if (!output_shape.empty()) a.set_ints("output_shape", output_shape);
        if (group != 1) a.set_int("group", group);
        if (auto_pad != "NOTSET") a.set_string("auto_pad", auto_pad);
        return a;
    }
};

// Naive ConvTranspose in double (scatter form of the ONNX definition; pads as the ONNX reference
// derives them).
std::vector<double> naive_convt(const Tensor& X, const Tensor& W, const Tensor* B, const ConvTAttrs& a, std::vector<int64_t>& oshape) {
    const auto xs = X.shape().dims(), ws = W.shape().dims();
    const size_t nsp = xs.size() - 2;
    std::vector<int64_t> st(nsp, 1), dl(nsp, 1), op(nsp, 0), pb(nsp, 0), out(nsp);
    if (!a.strides.empty()) st = a.strides;
    if (!a.dilations.empty()) dl = a.dilations;
    if (!a.output_padding.empty()) op = a.output_padding;
    const bool same = a.auto_pad == "SAME_UPPER" || a.auto_pad == "SAME_LOWER";
    for (size_t i = 0; i < nsp; ++i) {
        const int64_t full = st[i] * (xs[2 + i] - 1) + op[i] + (ws[2 + i] - 1) * dl[i] + 1;
        if (!a.pads.empty() || !same) {
            pb[i] = a.pads.empty() ? 0 : a.pads[i];
            const int64_t pe = a.pads.empty() ? 0 : a.pads[i + nsp];
            out[i] = a.output_shape.empty() ? full - pb[i] - pe : a.output_shape[i];
        } else {
            out[i] = a.output_shape.empty() ? xs[2 + i] * st[i] : a.output_shape[i];
            const int64_t total = full - out[i];
            const int64_t half = static_cast<int64_t>(std::floor(total / 2.0));
            pb[i] = a.auto_pad == "SAME_UPPER" ? half : total - half;
        }
    }
    const int64_t N = xs[0], C = xs[1], G = a.group, Cg = C / G, Mg = ws[1], M = Mg * G;
    oshape = {N, M};
    int64_t P = 1, KK = 1, Pin = 1;
    for (size_t i = 0; i < nsp; ++i) {
        oshape.push_back(out[i]);
        P *= out[i];
        KK *= ws[2 + i];
        Pin *= xs[2 + i];
    }
    std::vector<double> y(static_cast<size_t>(N * M * P), 0.0);
    std::vector<int64_t> ii(nsp), kk(nsp);
    for (int64_t n = 0; n < N; ++n)
        for (int64_t c = 0; c < C; ++c)
            for (int64_t p = 0; p < Pin; ++p) {
                int64_t r = p;
                for (size_t i = nsp; i-- > 0;) { ii[i] = r % xs[2 + i]; r /= xs[2 + i]; }
                for (int64_t m = 0; m < Mg; ++m)
                    for (int64_t t = 0; t < KK; ++t) {
                        int64_t q = t;
                        for (size_t i = nsp; i-- > 0;) { kk[i] = q % ws[2 + i]; q /= ws[2 + i]; }
                        int64_t o = 0;
                        bool inside = true;
                        for (size_t i = 0; i < nsp; ++i) {
                            const int64_t oi = ii[i] * st[i] - pb[i] + kk[i] * dl[i];
                            if (oi < 0 || oi >= out[i]) inside = false;
                            o = o * out[i] + oi;
                        }
                        if (!inside) continue;
                        const int64_t oc = (c / Cg) * Mg + m;
                        y[static_cast<size_t>((n * M + oc) * P + o)] +=
                            static_cast<double>(X.data<float>()[(n * C + c) * Pin + p]) * W.data<float>()[(c * Mg + m) * KK + t];
                    }
            }
    if (B)
        for (int64_t n = 0; n < N; ++n)
            for (int64_t oc = 0; oc < M; ++oc)
                for (int64_t p = 0; p < P; ++p) y[static_cast<size_t>((n * M + oc) * P + p)] += B->data<float>()[oc];
    return y;
}

void check_convt(Shape xs, Shape ws, bool bias, const ConvTAttrs& a, uint32_t seed) {
    const Tensor X = random_tensor(xs, seed);
    const Tensor W = random_tensor(ws, seed + 1);
    const Tensor B = bias ? random_tensor(Shape{ws[1] * a.group}, seed + 2) : Tensor{};
    std::vector<int64_t> os;
    const auto want = naive_convt(X, W, bias ? &B : nullptr, a, os);
    const Tensor Y = run_node("ConvTranspose", {X, W, B}, a.make());
    CHECK(Y.shape() == Shape(os));
    check_close(Y, want, std::sqrt(static_cast<double>(ws.numel() / ws[1])));
}

}  // namespace

TEST_CASE("ConvTranspose: hand-checked values") {
    // ONNX test_convtranspose: 3x3 input 0..8, two 3x3 all-ones filters -> 5x5 sums of windows.
    std::vector<float> xv(9);
    for (int i = 0; i < 9; ++i) xv[static_cast<size_t>(i)] = static_cast<float>(i);
    const Tensor X = Tensor::from_vector<float>(Shape{1, 1, 3, 3}, xv);
    const Tensor W = filled(Shape{1, 2, 3, 3}, 1.0f);
    const Tensor Y = run_node("ConvTranspose", {X, W});
    REQUIRE(Y.shape() == Shape{1, 2, 5, 5});
    const std::vector<float> row0{0, 1, 3, 3, 2}, row2{9, 21, 36, 27, 15};
    for (int c = 0; c < 2; ++c)
        for (int j = 0; j < 5; ++j) {
            CHECK(Y.data<float>()[c * 25 + j] == row0[static_cast<size_t>(j)]);
            CHECK(Y.data<float>()[c * 25 + 10 + j] == row2[static_cast<size_t>(j)]);
        }
    // Stride 3x2 with pads [1,2,1,2] -> 7x3 (ONNX test_convtranspose_pads shape).
    ConvTAttrs a;
    a.strides = {3, 2};
    a.pads = {1, 2, 1, 2};
    CHECK(run_node("ConvTranspose", {X, W}, a.make()).shape() == Shape{1, 2, 7, 3});
    // output_shape 10x8 (one more than the full 9x7: the last row and column are only bias).
    ConvTAttrs o;
    o.strides = {3, 2};
    o.output_shape = {10, 8};
    const Tensor Yo = run_node("ConvTranspose", {X, W, filled(Shape{2}, 0.5f)}, o.make());
    REQUIRE(Yo.shape() == Shape{1, 2, 10, 8});
    CHECK(Yo.data<float>()[9 * 8 + 3] == 0.5f);
    CHECK(Yo.data<float>()[7] == 0.5f);
    CHECK(Yo.data<float>()[0] == 0.5f);  // x[0,0] = 0
    CHECK(Yo.data<float>()[8 + 2] == 1.5f);  // (1,2) <- x[0,0] (kh 1, kw 2) + x[0,1] (kh 1, kw 0) = 0 + 1
}

TEST_CASE("ConvTranspose: random cases match the naive reference") {
    ConvTAttrs a;
    SUBCASE("2-D stride 2 pads output_padding bias") {
        a.strides = {2, 2};
        a.pads = {1, 0, 2, 1};
        a.output_padding = {1, 0};
        check_convt(Shape{2, 3, 7, 6}, Shape{3, 4, 3, 3}, true, a, 50);
    }
    SUBCASE("groups 2 dilation 2") {
        a.group = 2;
        a.dilations = {2, 2};
        a.strides = {1, 2};
        check_convt(Shape{1, 4, 5, 6}, Shape{4, 3, 3, 2}, true, a, 51);
    }
    SUBCASE("SAME_UPPER and SAME_LOWER") {
        a.strides = {2, 3};
        a.auto_pad = "SAME_UPPER";
        check_convt(Shape{1, 2, 5, 4}, Shape{2, 3, 3, 4}, true, a, 52);
        a.auto_pad = "SAME_LOWER";
        check_convt(Shape{1, 2, 5, 4}, Shape{2, 3, 3, 4}, true, a, 53);
    }
    SUBCASE("output_shape smaller than full") {
        a.strides = {2, 2};
        a.output_shape = {10, 9};
        check_convt(Shape{1, 2, 6, 5}, Shape{2, 2, 3, 3}, false, a, 54);
    }
    SUBCASE("1-D and 3-D") {
        a.strides = {3};
        check_convt(Shape{2, 3, 9}, Shape{3, 2, 4}, true, a, 55);
        ConvTAttrs b;
        b.strides = {2, 1, 2};
        b.pads = {0, 1, 1, 1, 0, 0};
        check_convt(Shape{1, 2, 3, 4, 5}, Shape{2, 3, 2, 3, 3}, true, b, 56);
    }
    SUBCASE("large enough to split blocks") {
        a.strides = {2, 2};
        a.pads = {1, 1, 1, 1};
        a.output_padding = {1, 1};
        check_convt(Shape{2, 64, 14, 13}, Shape{64, 32, 3, 3}, true, a, 57);
    }
}

TEST_CASE("ConvTranspose: determinism, sites and errors") {
    ConvTAttrs a;
    a.strides = {2, 2};
    a.pads = {1, 1, 1, 1};
    const Tensor X = random_tensor(Shape{2, 64, 15, 14}, 60);
    const Tensor W = random_tensor(Shape{64, 48, 3, 3}, 61);
    const Tensor B = random_tensor(Shape{48}, 62);
    std::vector<Tensor> outs;
    for_threads([&](int) { outs.push_back(run_node("ConvTranspose", {X, W, B}, a.make())); });
    CHECK(outs[0].bitwise_equal(outs[1]));
    CHECK(outs[0].bitwise_equal(outs[2]));
    SiteConfig st;
    st.store = SiteConfig::Store::i16;
    const Tensor Ym = run_with_sites("ConvTranspose", {X, W, B}, a.make(), st);
    for (int64_t i = 0; i < Ym.numel(); ++i) CHECK(Ym.data<float>()[i] == saturate_trunc<int16_t>(outs[0].data<float>()[i]));
    // drop_last: the last input channel of each group is left out of every sum.
    SiteConfig dl;
    dl.reduction_drop_last = true;
    Tensor X0 = X.clone();
    for (int64_t n = 0; n < 2; ++n)
        std::fill(X0.data<float>() + (n * 64 + 63) * 15 * 14, X0.data<float>() + (n * 64 + 64) * 15 * 14, 0.0f);
    std::vector<int64_t> os;
    check_close(run_with_sites("ConvTranspose", {X, W, B}, a.make(), dl), naive_convt(X0, W, &B, a, os), 10);
    auto t = [](Shape s) { return Tensor(DType::f32, std::move(s)); };
    auto expect_error = [&](const std::vector<Tensor>& in, const Attributes& at, const std::string& what) {
        CAPTURE(what);
        try {
            infer_node("ConvTranspose", in, at);
            FAIL("no error");
        } catch (const Error& e) {
            CHECK(std::string(e.what()).find(what) != std::string::npos);
        }
    };
    expect_error({t(Shape{1, 4, 5, 5}), t(Shape{3, 2, 3, 3})}, {}, "ConvTranspose channels do not match the weights");
    Attributes g3;
    g3.set_int("group", 3);
    expect_error({t(Shape{1, 4, 5, 5}), t(Shape{4, 2, 3, 3})}, g3, "group does not divide the input channels");
    Attributes p;
    p.set_ints("pads", {1, 1});
    expect_error({t(Shape{1, 4, 5, 5}), t(Shape{4, 2, 3, 3})}, p, "pads have the wrong length");
    Attributes big;
    big.set_ints("pads", {5, 5, 5, 5});
    expect_error({t(Shape{1, 4, 2, 2}), t(Shape{4, 2, 3, 3})}, big, "output would be empty");
    expect_error({t(Shape{1, 4, 5, 5}), t(Shape{4, 2, 3, 3}), t(Shape{4})}, {}, "bias B does not match");
}
