// The vector math of ops/simd.hpp against double-precision libm: e^x within 2 ulp, sigmoid within
// 4 ulp (relative), NaN and the saturation at the ends of the range, and the property incremental
// execution relies on: an element's bits do not depend on where it sits in the array or how long
// the array is.
#include <doctest/doctest.h>

#include <mutiny/ops/simd.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace mutiny;

namespace {

// Distance in units in the last place between two finite floats of the same sign.
int64_t ulp_distance(float a, float b) {
    int32_t ia, ib;
    std::memcpy(&ia, &a, 4);
    std::memcpy(&ib, &b, 4);
    return std::llabs(static_cast<int64_t>(ia) - static_cast<int64_t>(ib));
}

std::vector<float> grid(float lo, float hi, int n, uint32_t seed) {
    std::vector<float> x;
    for (int i = 0; i <= n; ++i) x.push_back(lo + (hi - lo) * static_cast<float>(i) / static_cast<float>(n));
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(lo, hi);
    for (int i = 0; i < n; ++i) x.push_back(u(rng));
    for (float v : {0.0f, -0.0f, 1e-30f, -1e-30f, 0.5f, -0.5f, 0.34657359f, -0.34657359f, 1.0f, -1.0f}) x.push_back(v);
    return x;
}

}  // namespace

TEST_CASE("vector exp is within 2 ulp of double exp on [-87.3, 88]") {
    const std::vector<float> x = grid(-87.3f, 88.0f, 100000, 7);
    std::vector<float> y(x.size());
    simd::exp_f32(x.data(), y.data(), static_cast<int64_t>(x.size()));
    int64_t worst = 0;
    float at = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        const float want = static_cast<float>(std::exp(static_cast<double>(x[i])));
        const int64_t d = ulp_distance(y[i], want);
        if (d > worst) {
            worst = d;
            at = x[i];
        }
    }
    INFO("worst at x = " << at);
    CHECK(worst <= 2);
    // Exactly representable anchors.
    float one;
    const float zero = 0.0f;
    simd::exp_f32(&zero, &one, 1);
    CHECK(one == 1.0f);
}

TEST_CASE("vector sigmoid is within 4 ulp of double 1 / (1 + e^-x), saturates, keeps NaN") {
    const std::vector<float> x = grid(-87.0f, 87.0f, 100000, 11);
    std::vector<float> y(x.size());
    simd::sigmoid_f32(x.data(), y.data(), static_cast<int64_t>(x.size()));
    int64_t worst = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        const float want = static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(x[i]))));
        worst = std::max(worst, ulp_distance(y[i], want));
    }
    CHECK(worst <= 4);
    // ONNX's test_sigmoid_example: [-1, 0, 1].
    const float ex[3] = {-1, 0, 1};
    float ey[3];
    simd::sigmoid_f32(ex, ey, 3);
    CHECK(ey[0] == doctest::Approx(0.26894142f).epsilon(1e-7));
    CHECK(ey[1] == 0.5f);
    CHECK(ey[2] == doctest::Approx(0.73105858f).epsilon(1e-7));
    // Beyond the range: 1 exactly on the right, a value below 1e-37 on the left; NaN stays NaN.
    const float inf = std::numeric_limits<float>::infinity();
    const float big[6] = {100.0f, inf, -100.0f, -inf, std::numeric_limits<float>::quiet_NaN(), -std::numeric_limits<float>::quiet_NaN()};
    float by[6];
    simd::sigmoid_f32(big, by, 6);
    CHECK(by[0] == 1.0f);
    CHECK(by[1] == 1.0f);
    CHECK(by[2] >= 0.0f);
    CHECK(by[2] < 1e-37f);
    CHECK(by[3] >= 0.0f);
    CHECK(by[3] < 1e-37f);
    CHECK(std::isnan(by[4]));
    CHECK(std::isnan(by[5]));
    float ez[3];
    simd::exp_f32(big + 3, ez, 3);  // -inf, NaN, -NaN
    CHECK(ez[0] >= 0.0f);
    CHECK(ez[0] < 1.2e-38f);
    CHECK(std::isnan(ez[1]));
}

TEST_CASE("vector sigmoid: an element's bits do not depend on its position or the array length") {
    const std::vector<float> x = grid(-20.0f, 20.0f, 64, 3);
    std::vector<float> alone(x.size());
    for (size_t i = 0; i < x.size(); ++i) simd::sigmoid_f32(&x[i], &alone[i], 1);
    for (size_t off = 0; off < 9; ++off)
        for (size_t len : {size_t{1}, size_t{7}, size_t{8}, size_t{13}, x.size() - off}) {
            if (off + len > x.size()) continue;
            std::vector<float> y(len);
            simd::sigmoid_f32(x.data() + off, y.data(), static_cast<int64_t>(len));
            for (size_t i = 0; i < len; ++i) REQUIRE(std::memcmp(&y[i], &alone[off + i], 4) == 0);
        }
    // In place.
    std::vector<float> z = x;
    simd::sigmoid_f32(z.data(), z.data(), static_cast<int64_t>(z.size()));
    CHECK(std::memcmp(z.data(), alone.data(), z.size() * 4) == 0);
}
