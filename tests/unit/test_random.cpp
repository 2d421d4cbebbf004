// The seeded random ops (RandomUniform, RandomNormal, their Like forms, Bernoulli): ONNX's node
// tests compare against numpy's draws, which no other generator reproduces, so they are tested on
// properties: shape and dtype, range, sample mean and variance within bounds, the same bits on a
// second run and on any thread count, the seed changing the draws, and the errors.
#include <doctest/doctest.h>

#include "one_node.hpp"

#include <mutiny/ops/tensor/random.hpp>

#include <cmath>
#include <vector>

using namespace mutiny;
using namespace one_node;

namespace {
Attributes shape_attrs(std::vector<int64_t> shape, double seed = -1) {
    Attributes a;
    a.set_ints("shape", std::move(shape));
    if (seed >= 0) a.set_float("seed", seed);
    return a;
}
void moments(const Tensor& t, double& mean, double& var) {
    const int64_t n = t.numel();
    double s = 0, q = 0;
    for (int64_t i = 0; i < n; ++i) s += t.get_f64(i);
    mean = s / static_cast<double>(n);
    for (int64_t i = 0; i < n; ++i) q += (t.get_f64(i) - mean) * (t.get_f64(i) - mean);
    var = q / static_cast<double>(n);
}
}  // namespace

TEST_CASE("RandomUniform: shape, dtype, range [low, high), moments, seeded and deterministic") {
    Attributes a = shape_attrs({300, 400}, 3.0);
    a.set_float("low", -2.0);
    a.set_float("high", 5.0);
    const Tensor y = run1({"RandomUniform", {}, a}, {}, 1);
    REQUIRE(y.dtype() == DType::f32);
    REQUIRE(y.shape() == Shape{300, 400});
    for (int64_t i = 0; i < y.numel(); ++i) {
        const double v = y.get_f64(i);
        REQUIRE((v >= -2.0 && v < 5.0));
    }
    double m, v;
    moments(y, m, v);
    // 120000 draws of U(-2, 5): mean 1.5 (sd of the mean 0.006), variance 49 / 12.
    CHECK(std::fabs(m - 1.5) < 0.05);
    CHECK(std::fabs(v - 49.0 / 12) < 0.1);
    // The same bits on a second run and on 2 threads; another seed, other draws.
    CHECK(run1({"RandomUniform", {}, a}, {}, 2).to_vector<float>() == y.to_vector<float>());
    CHECK(run1({"RandomUniform", {}, a}, {}, 1).to_vector<float>() == y.to_vector<float>());
    Attributes b = a;
    b.set_float("seed", 4.0);
    CHECK(run1({"RandomUniform", {}, b}).to_vector<float>() != y.to_vector<float>());
    // Without a seed: the documented default seed, so still the same every run.
    const Attributes none = shape_attrs({1000});
    CHECK(run1({"RandomUniform", {}, none}).to_vector<float>() == run1({"RandomUniform", {}, none}, {}, 2).to_vector<float>());
    // float16 and double outputs stay in [0, 1): a float16 draw rounding up to 1 (about one in
    // 4096) steps down one float16 ulp.
    CHECK(static_cast<float>(tensor_ops::next_down(half(1.0f))) == 0.99951171875f);
    CHECK(static_cast<float>(tensor_ops::next_down(half(0.0f))) < 0.0f);
    CHECK(static_cast<float>(tensor_ops::next_down(half(-1.0f))) == -1.0009765625f);
    CHECK(tensor_ops::next_down(1.0f) == std::nextafter(1.0f, 0.0f));
    for (int64_t code : {10, 11}) {
        Attributes c = shape_attrs({50000}, 1.0);
        c.set_int("dtype", code);
        const Tensor t = run1({"RandomUniform", {}, c});
        CHECK(t.dtype() == (code == 10 ? DType::f16 : DType::f64));
        for (int64_t i = 0; i < t.numel(); ++i) REQUIRE((t.get_f64(i) >= 0.0 && t.get_f64(i) < 1.0));
    }
}

TEST_CASE("RandomNormal and RandomNormalLike: moments, dtype from the input or `dtype`") {
    Attributes a = shape_attrs({200000}, 7.0);
    a.set_float("mean", 3.0);
    a.set_float("scale", 0.5);
    const Tensor y = run1({"RandomNormal", {}, a});
    double m, v;
    moments(y, m, v);
    CHECK(std::fabs(m - 3.0) < 0.01);      // sd of the mean 0.0011
    CHECK(std::fabs(v - 0.25) < 0.01);
    int64_t beyond = 0;                    // |z| > 3: 0.27% of a normal sample
    for (int64_t i = 0; i < y.numel(); ++i) beyond += std::fabs(y.get_f64(i) - 3.0) > 1.5 ? 1 : 0;
    CHECK(beyond > 300);
    CHECK(beyond < 800);
    CHECK(run1({"RandomNormal", {}, a}, {}, 2).to_vector<float>() == run1({"RandomNormal", {}, a}, {}, 1).to_vector<float>());
    Attributes like;
    like.set_float("seed", 1.0);
    const Tensor x = Tensor::from_vector<double>(Shape{4, 5}, std::vector<double>(20, 9.0));
    const Tensor z = run1({"RandomNormalLike", {x}, like});
    CHECK(z.dtype() == DType::f64);
    CHECK(z.shape() == Shape{4, 5});
    like.set_int("dtype", 1);
    const Tensor zu = run1({"RandomUniformLike", {i64v({1, 2, 3})}, like});
    CHECK(zu.dtype() == DType::f32);
    CHECK(zu.shape() == Shape{3});
}

TEST_CASE("Bernoulli: 0 and 1 for p = 0 and 1, a mean near p, output dtype, deterministic") {
    const Tensor p = f32(Shape{4}, {0, 1, 0, 1});
    Attributes s;
    s.set_float("seed", 0.5);
    CHECK(run1({"Bernoulli", {p}, s}).to_vector<float>() == std::vector<float>{0, 1, 0, 1});
    const Tensor half_p = f32(Shape{100000}, std::vector<float>(100000, 0.3f));
    Attributes b = s;
    b.set_int("dtype", 9);  // bool
    const Tensor y = run1({"Bernoulli", {half_p}, b}, {}, 1);
    REQUIRE(y.dtype() == DType::boolean);
    double m, v;
    moments(y, m, v);
    CHECK(std::fabs(m - 0.3) < 0.01);  // sd of the mean 0.0015
    const Tensor y2 = run1({"Bernoulli", {half_p}, b}, {}, 2);
    bool same = true;
    for (int64_t i = 0; i < y.numel(); ++i) same = same && y.get_i64(i) == y2.get_i64(i);
    CHECK(same);
}

TEST_CASE("The random ops refuse a missing or negative shape, integer outputs and integer probabilities") {
    check_error({"RandomUniform", {}, Attributes{}}, "missing attribute 'shape'");
    check_error({"RandomNormal", {}, shape_attrs({2, -1})}, "attribute 'shape' has a negative dimension");
    Attributes a = shape_attrs({2});
    a.set_int("dtype", 7);
    check_error({"RandomUniform", {}, a}, "RandomUniform writes float16, float or double");
    check_error({"RandomNormalLike", {i64v({1, 2})}}, "(the input's; give 'dtype')");
    check_error({"Bernoulli", {i64v({1})}}, "a float type is required");
}
