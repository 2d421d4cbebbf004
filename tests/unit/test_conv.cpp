// Conv: hand-checked values, naive reference loops on random odd shapes (1-D, 2-D, 3-D, groups,
// dilations, padding), run-time weights, the f64 and f16 paths, and a clear Error for each bad input.
#include <doctest/doctest.h>

#include "kernel_harness.hpp"
#include "naive_linear.hpp"

using namespace mutiny;
using namespace kernel_harness;
using namespace naive_linear;

namespace {

// One random case (inputs and bias from `seed`) against the naive reference.
void check_conv(Shape xs, Shape ws, bool bias, const ConvAttrs& a, uint32_t seed) {
    const Tensor X = random_tensor(xs, seed);
    const Tensor W = random_tensor(ws, seed + 1);
    const Tensor B = bias ? random_tensor(Shape{ws[0]}, seed + 2) : Tensor{};
    std::vector<int64_t> os;
    const auto want = naive_conv(X, W, bias ? &B : nullptr, a, os);
    const Tensor Y = run_node("Conv", {X, W, B}, a.make());
    CHECK(Y.shape() == Shape(os));
    check_close(Y, want, std::sqrt(static_cast<double>(ws.numel() / ws[0])));
}

}  // namespace

// ---- Conv: hand-checked values ------------------------------------------------------------------

TEST_CASE("Conv: ONNX basic conv with and without padding") {
    std::vector<float> xv(25);
    for (int i = 0; i < 25; ++i) xv[static_cast<size_t>(i)] = static_cast<float>(i);
    const Tensor X = Tensor::from_vector<float>(Shape{1, 1, 5, 5}, xv);
    const Tensor W = filled(Shape{1, 1, 3, 3}, 1.0f);
    ConvAttrs a;
    a.pads = {1, 1, 1, 1};
    const Tensor Y = run_node("Conv", {X, W}, a.make());
    const std::vector<float> want{12, 21, 27, 33, 24, 33, 54, 63, 72, 51, 63, 99, 108, 117, 81,
                                  93, 144, 153, 162, 111, 72, 111, 117, 123, 84};
    CHECK(Y.shape() == Shape{1, 1, 5, 5});
    CHECK(Y.to_vector<float>() == want);
    const Tensor Y0 = run_node("Conv", {X, W});
    CHECK(Y0.shape() == Shape{1, 1, 3, 3});
    CHECK(Y0.to_vector<float>() == std::vector<float>{54, 63, 72, 99, 108, 117, 144, 153, 162});
    // Strides 2 with asymmetric padding (ONNX test_conv_with_strides_and_asymmetric_padding, 7x5 input).
    std::vector<float> x2(35);
    for (int i = 0; i < 35; ++i) x2[static_cast<size_t>(i)] = static_cast<float>(i);
    ConvAttrs b;
    b.strides = {2, 2};
    b.pads = {1, 0, 1, 0};
    const Tensor Y2 = run_node("Conv", {Tensor::from_vector<float>(Shape{1, 1, 7, 5}, x2), W}, b.make());
    CHECK(Y2.shape() == Shape{1, 1, 4, 2});
    CHECK(Y2.to_vector<float>() == std::vector<float>{21, 33, 99, 117, 189, 207, 171, 183});
}

TEST_CASE("Conv: 13x12 ones, groups 3, stride 2, dilation 2, asymmetric pads count the taps") {
    // Every input and weight is 1 (weights of channel g scaled by g+1, bias 0.5): each output is
    // (g+1) * (number of the 3x3 dilated taps that land inside the image) + 0.5.
    const Tensor X = filled(Shape{1, 3, 13, 12}, 1.0f);
    std::vector<float> wv(3 * 9);
    for (int g = 0; g < 3; ++g)
        for (int i = 0; i < 9; ++i) wv[static_cast<size_t>(g * 9 + i)] = static_cast<float>(g + 1);
    const Tensor W = Tensor::from_vector<float>(Shape{3, 1, 3, 3}, wv);
    const Tensor B = filled(Shape{3}, 0.5f);
    ConvAttrs a;
    a.group = 3;
    a.strides = {2, 2};
    a.dilations = {2, 2};
    a.pads = {2, 1, 0, 3};  // top 2, left 1, bottom 0, right 3
    const Tensor Y = run_node("Conv", {X, W, B}, a.make());
    // H: (13 + 2 + 0 - 5) / 2 + 1 = 6; W: (12 + 1 + 3 - 5) / 2 + 1 = 6.
    REQUIRE(Y.shape() == Shape{1, 3, 6, 6});
    const float* y = Y.data<float>();
    // Output (0,0): rows -2,0,2 -> 2 inside; cols -1,1,3 -> 2 inside: 4 taps.
    CHECK(y[0] == 4 * 1 + 0.5f);
    // Output (0,5): cols 9,11,13 -> 2 inside (13 >= 12): 2 * 2 = 4 taps; channel 2 weight 3.
    CHECK(y[2 * 36 + 5] == 4 * 3 + 0.5f);
    // Output (1,1): rows 0,2,4 -> 3; cols 1,3,5 -> 3: 9 taps; channel 1 weight 2.
    CHECK(y[36 + 7] == 9 * 2 + 0.5f);
    // Output (5,5): rows 8,10,12 -> 3; cols 9,11,13 -> 2: 6 taps.
    CHECK(y[35] == 6 + 0.5f);
}

TEST_CASE("Conv: auto_pad SAME_UPPER / SAME_LOWER / VALID shapes and values") {
    const Tensor X = filled(Shape{1, 1, 5, 4}, 1.0f);
    const Tensor W = filled(Shape{1, 1, 2, 2}, 1.0f);
    ConvAttrs up;
    up.auto_pad = "SAME_UPPER";
    const Tensor Yu = run_node("Conv", {X, W}, up.make());
    REQUIRE(Yu.shape() == Shape{1, 1, 5, 4});
    // Total pad 1 per axis goes to the end: the last row/column see fewer taps.
    CHECK(Yu.data<float>()[0] == 4);
    CHECK(Yu.data<float>()[3] == 2);
    CHECK(Yu.data<float>()[19] == 1);
    ConvAttrs lo;
    lo.auto_pad = "SAME_LOWER";
    const Tensor Yl = run_node("Conv", {X, W}, lo.make());
    REQUIRE(Yl.shape() == Shape{1, 1, 5, 4});
    CHECK(Yl.data<float>()[0] == 1);
    CHECK(Yl.data<float>()[19] == 4);
    ConvAttrs st;
    st.auto_pad = "SAME_UPPER";
    st.strides = {2, 3};
    CHECK(run_node("Conv", {X, W}, st.make()).shape() == Shape{1, 1, 3, 2});
    ConvAttrs va;
    va.auto_pad = "VALID";
    va.strides = {2, 2};
    CHECK(run_node("Conv", {X, W}, va.make()).shape() == Shape{1, 1, 2, 2});
}

// ---- Conv: random inputs against the naive loop ---------------------------------------------------

TEST_CASE("Conv: random 2-D cases match the naive reference") {
    ConvAttrs a;
    SUBCASE("3x3 pad 1") {
        a.pads = {1, 1, 1, 1};
        check_conv(Shape{2, 3, 13, 12}, Shape{5, 3, 3, 3}, true, a, 1);
    }
    SUBCASE("groups 3 stride 2 dilation 2 asymmetric pads") {
        a.group = 3;
        a.strides = {2, 2};
        a.dilations = {2, 2};
        a.pads = {2, 1, 0, 3};
        check_conv(Shape{2, 6, 13, 12}, Shape{9, 2, 3, 3}, true, a, 2);
    }
    SUBCASE("depthwise with multiplier") {
        a.group = 4;
        a.pads = {1, 2, 1, 0};
        check_conv(Shape{1, 4, 11, 9}, Shape{8, 1, 3, 2}, false, a, 3);
    }
    SUBCASE("SAME_UPPER stride 2") {
        a.auto_pad = "SAME_UPPER";
        a.strides = {2, 2};
        check_conv(Shape{1, 3, 13, 12}, Shape{4, 3, 4, 3}, true, a, 4);
    }
    SUBCASE("SAME_LOWER dilation 3") {
        a.auto_pad = "SAME_LOWER";
        a.dilations = {3, 2};
        check_conv(Shape{1, 2, 13, 12}, Shape{3, 2, 3, 3}, true, a, 5);
    }
    SUBCASE("VALID stride 3") {
        a.auto_pad = "VALID";
        a.strides = {3, 2};
        check_conv(Shape{2, 3, 13, 12}, Shape{4, 3, 5, 2}, false, a, 6);
    }
    SUBCASE("1x1 direct path, many tiles") {
        check_conv(Shape{2, 16, 37, 29}, Shape{24, 16, 1, 1}, true, a, 7);
    }
    SUBCASE("1x1 stride 2") {
        a.strides = {2, 2};
        check_conv(Shape{1, 8, 13, 12}, Shape{5, 8, 1, 1}, true, a, 8);
    }
    SUBCASE("large: M split and P tiles, kernel larger than padding") {
        a.pads = {3, 3, 3, 3};
        a.strides = {2, 2};
        check_conv(Shape{1, 3, 45, 47}, Shape{64, 3, 7, 7}, true, a, 9);
    }
    SUBCASE("small spatial, many channels (M blocks)") {
        a.pads = {1, 1, 1, 1};
        check_conv(Shape{1, 96, 7, 7}, Shape{128, 96, 3, 3}, true, a, 10);
    }
}

TEST_CASE("Conv: 1-D and 3-D") {
    ConvAttrs a;
    SUBCASE("1-D stride 2 dilation 2 pads") {
        a.strides = {2};
        a.dilations = {2};
        a.pads = {3, 1};
        check_conv(Shape{2, 4, 31}, Shape{6, 4, 3}, true, a, 11);
    }
    SUBCASE("1-D groups 2") {
        a.group = 2;
        check_conv(Shape{1, 4, 17}, Shape{6, 2, 4}, false, a, 12);
    }
    SUBCASE("3-D stride, dilation, pads") {
        a.strides = {2, 1, 2};
        a.dilations = {1, 2, 1};
        a.pads = {1, 0, 2, 0, 1, 1};
        check_conv(Shape{1, 3, 7, 9, 8}, Shape{4, 3, 3, 2, 3}, true, a, 13);
    }
    SUBCASE("3-D groups SAME_UPPER") {
        a.group = 2;
        a.auto_pad = "SAME_UPPER";
        check_conv(Shape{2, 4, 5, 6, 7}, Shape{4, 2, 2, 3, 3}, true, a, 14);
    }
}

TEST_CASE("Conv: run-time (non-constant) weights") {
    const Tensor X = random_tensor(Shape{1, 3, 13, 12}, 20);
    const Tensor W = random_tensor(Shape{5, 3, 3, 3}, 21);
    ConvAttrs a;
    a.pads = {1, 1, 1, 1};
    const Tensor Yc = run_node("Conv", {X, W}, a.make());
    const Tensor Yr = run_with_sites("Conv", {X, W}, a.make(), SiteConfig{}, false);
    CHECK(Yc.bitwise_equal(Yr));
}

TEST_CASE("Conv: f64 and f16 reference paths") {
    const Tensor X = random_tensor(Shape{1, 2, 7, 6}, 30);
    const Tensor W = random_tensor(Shape{3, 2, 3, 3}, 31);
    const Tensor B = random_tensor(Shape{3}, 32);
    ConvAttrs a;
    a.pads = {1, 0, 0, 1};
    a.strides = {2, 1};
    std::vector<int64_t> os;
    const auto want = naive_conv(X, W, &B, a, os);
    auto conv_to = [](const Tensor& t, DType d) {
        Tensor o(d, t.shape());
        for (int64_t i = 0; i < t.numel(); ++i) {
            if (d == DType::f64) o.data<double>()[i] = t.data<float>()[i];
            else o.data<half>()[i] = half(t.data<float>()[i]);
        }
        return o;
    };
    const Tensor Yd = run_node("Conv", {conv_to(X, DType::f64), conv_to(W, DType::f64), conv_to(B, DType::f64)}, a.make());
    REQUIRE(Yd.dtype() == DType::f64);
    for (size_t i = 0; i < want.size(); ++i) CHECK(Yd.data<double>()[i] == doctest::Approx(want[i]).epsilon(1e-12));
    const Tensor Yh = run_node("Conv", {conv_to(X, DType::f16), conv_to(W, DType::f16), conv_to(B, DType::f16)}, a.make());
    REQUIRE(Yh.dtype() == DType::f16);
    for (size_t i = 0; i < want.size(); ++i) CHECK(static_cast<float>(Yh.data<half>()[i]) == doctest::Approx(want[i]).epsilon(0.01).scale(1));
}

// ---- errors --------------------------------------------------------------------------------------------

TEST_CASE("Conv: bad inputs are reported with what and why") {
    auto t = [](Shape s) { return Tensor(DType::f32, std::move(s)); };
    auto expect_error = [&](const std::vector<Tensor>& in, const Attributes& at, const std::string& what) {
        CAPTURE(what);
        try {
            infer_node("Conv", in, at);
            FAIL("no error");
        } catch (const Error& e) {
            CHECK(std::string(e.what()).find(what) != std::string::npos);
            CHECK(std::string(e.what()).find("node 'bad' (Conv)") != std::string::npos);
        }
    };
    expect_error({t(Shape{1, 4, 8, 8}), t(Shape{2, 3, 3, 3})}, {}, "Conv channels do not match the weights");
    Attributes g2;
    g2.set_int("group", 2);
    expect_error({t(Shape{1, 4, 8, 8}), t(Shape{3, 2, 3, 3})}, g2, "Conv group does not divide the output channels");
    Attributes g3;
    g3.set_int("group", 3);
    expect_error({t(Shape{1, 4, 8, 8}), t(Shape{3, 1, 3, 3})}, g3, "Conv channels do not match the weights");
    Attributes pads;
    pads.set_ints("pads", {1, 1});
    expect_error({t(Shape{1, 3, 8, 8}), t(Shape{2, 3, 3, 3})}, pads, "Conv pads have the wrong length");
    Attributes strides;
    strides.set_ints("strides", {1, 1, 1});
    expect_error({t(Shape{1, 3, 8, 8}), t(Shape{2, 3, 3, 3})}, strides, "Conv strides have the wrong length");
    Attributes ks;
    ks.set_ints("kernel_shape", {5, 5});
    expect_error({t(Shape{1, 3, 8, 8}), t(Shape{2, 3, 3, 3})}, ks, "kernel_shape does not match");
    expect_error({t(Shape{1, 3, 2, 8}), t(Shape{2, 3, 3, 3})}, {}, "Conv output would be empty");
    expect_error({t(Shape{1, 3, 8, 8}), t(Shape{2, 3, 3})}, {}, "Conv weights W do not match X");
    expect_error({t(Shape{3, 8}), t(Shape{2, 3, 3})}, {}, "unsupported rank");
    expect_error({t(Shape{1, 3, 8, 8}), t(Shape{2, 3, 3, 3}), t(Shape{3})}, {}, "Conv bias B does not match");
    Attributes ap;
    ap.set_string("auto_pad", "SAME");
    expect_error({t(Shape{1, 3, 8, 8}), t(Shape{2, 3, 3, 3})}, ap, "auto_pad is unknown");
    expect_error({t(Shape{1, 3, 8, 8}), Tensor(DType::f64, Shape{2, 3, 3, 3})}, {}, "input dtypes differ");
    expect_error({Tensor(DType::i32, Shape{1, 3, 8, 8}), Tensor(DType::i32, Shape{2, 3, 3, 3})}, {}, "unsupported input dtype");
}
