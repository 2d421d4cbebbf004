// LpNormalization, LpPool and GroupNormalization (opsets 18 and 21). References: numpy loops
// written here, and ONNX's ReferenceEvaluator (onnx 1.23) for GroupNormalization:
//   X = np.arange(-8, 16, dtype=np.float32).reshape(2, 6, 2) * 0.37; X[1, :, 1] += np.arange(6) * 0.9
//   scale/bias per channel [0.5, 1.5, -1, 2, 0.25, 1] / [0.1, -0.2, 0.3, 0, 1, -1] (opset 21,
//   num_groups 3, epsilon 1e-3) and per group [0.5, 1.5, -1] / [0.1, -0.2, 0.3] (opset 18).
#include <doctest/doctest.h>

#include "one_node.hpp"

#include <cmath>
#include <vector>

using namespace mutiny;
using namespace one_node;

TEST_CASE("LpNormalization: p = 1 sums |x|, p = 2 the squares, a zero norm gives 0") {
    const Tensor x = f32(Shape{2, 3}, {3, -4, 1, 0, 0, 0});
    Attributes a;
    a.set_int("p", 1);
    check_f32(run1({"LpNormalization", {x}, a}), Shape{2, 3}, {3.0f / 8, -4.0f / 8, 1.0f / 8, 0, 0, 0});
    check_f32(run1({"LpNormalization", {x}}), Shape{2, 3}, {3 / std::sqrt(26.0f), -4 / std::sqrt(26.0f), 1 / std::sqrt(26.0f), 0, 0, 0});
    Attributes ax0;
    ax0.set_int("axis", 0);
    const Tensor y = f32(Shape{2, 2}, {3, 1, 4, -1});
    check_f32(run1({"LpNormalization", {y}, ax0}), Shape{2, 2}, {0.6f, 1 / std::sqrt(2.0f), 0.8f, -1 / std::sqrt(2.0f)});
}

TEST_CASE("LpNormalization refuses p other than 1 and 2, a bad axis and integers") {
    Attributes a;
    a.set_int("p", 3);
    check_error({"LpNormalization", {f32(Shape{2}, {1, 2})}, a}, "LpNormalization takes p = 1 or 2");
    Attributes ax;
    ax.set_int("axis", 2);
    check_error({"LpNormalization", {f32(Shape{2}, {1, 2})}, ax}, "axis");
    check_error({"LpNormalization", {i64v({1})}}, "a float type is required");
}

// Naive LpPool over a 2-D input with zero padding (the node tests' definition).
static std::vector<float> naive_lppool(const Tensor& x, int k, int s, int pad, double p) {
    const auto v = x.to_vector<float>();
    const int64_t C = x.shape()[1], H = x.shape()[2], W = x.shape()[3];
    const int64_t oh = (H + 2 * pad - k) / s + 1, ow = (W + 2 * pad - k) / s + 1;
    std::vector<float> out;
    for (int64_t c = 0; c < C; ++c)
        for (int64_t i = 0; i < oh; ++i)
            for (int64_t j = 0; j < ow; ++j) {
                double acc = 0;
                for (int a = 0; a < k; ++a)
                    for (int b = 0; b < k; ++b) {
                        const int64_t h = i * s - pad + a, w = j * s - pad + b;
                        if (h >= 0 && h < H && w >= 0 && w < W) acc += std::pow(std::fabs(static_cast<double>(v[static_cast<size_t>((c * H + h) * W + w)])), p);
                    }
                out.push_back(static_cast<float>(std::pow(acc, 1.0 / p)));
            }
    return out;
}

TEST_CASE("LpPool sums |x|^p over the window (padding adds 0) for p = 1, 2, 3") {
    const Tensor x = random_tensor(Shape{1, 2, 7, 6}, 3, -2, 2);
    for (int p : {1, 2, 3}) {
        INFO("p " << p);
        Attributes a = attrs({{"kernel_shape", {3, 3}}, {"strides", {2, 2}}, {"pads", {1, 1, 1, 1}}});
        a.set_int("p", p);
        check_f32(run1({"LpPool", {x}, a}), Shape{1, 2, 4, 3}, naive_lppool(x, 3, 2, 1, p), 1e-5);
    }
    // Opset 1 wrote p as a float.
    Attributes a1 = attrs({{"kernel_shape", {2, 2}}});
    a1.set_float("p", 2.0);
    check_f32(run1({"LpPool", {x}, a1}), Shape{1, 2, 6, 5}, naive_lppool(x, 2, 1, 0, 2), 1e-5);
    const Tensor big = random_tensor(Shape{2, 3, 40, 40}, 5);
    Attributes a3 = attrs({{"kernel_shape", {3, 3}}});
    a3.set_int("p", 3);
    CHECK(run1({"LpPool", {big}, a3}, {}, 1).to_vector<float>() == run1({"LpPool", {big}, a3}, {}, 2).to_vector<float>());
}

TEST_CASE("LpPool refuses a non-positive p and a missing kernel") {
    Attributes a = attrs({{"kernel_shape", {2}}});
    a.set_int("p", 0);
    check_error({"LpPool", {f32(Shape{1, 1, 4}, {1, 2, 3, 4})}, a}, "LpPool needs a positive p");
    check_error({"LpPool", {f32(Shape{1, 1, 4}, {1, 2, 3, 4})}}, "missing attribute 'kernel_shape'");
}

namespace {
Tensor gn_x() {
    std::vector<float> v(24);
    for (int i = 0; i < 24; ++i) v[static_cast<size_t>(i)] = static_cast<float>(i - 8) * 0.37f;
    for (int c = 0; c < 6; ++c) v[static_cast<size_t>(12 + c * 2 + 1)] += static_cast<float>(c) * 0.9f;
    return f32(Shape{2, 6, 2}, v);
}
}  // namespace

TEST_CASE("GroupNormalization matches ONNX's reference, opset 21 (per channel) and 18 (per group)") {
    Attributes a;
    a.set_int("num_groups", 3);
    a.set_float("epsilon", 1e-3);
    const Tensor sc = f32(Shape{6}, {0.5f, 1.5f, -1, 2, 0.25f, 1}), b = f32(Shape{6}, {0.1f, -0.2f, 0.3f, 0, 1, -1});
    check_f32(run1({"GroupNormalization", {gn_x(), sc, b}, a, 1, 21}), Shape{2, 6, 2},
              {-0.5688697099685669f, -0.12295658141374588f, 0.4688706398010254f, 1.8066105842590332f, 1.6377379894256592f, 0.7459125518798828f,
               0.8918257355690002f, 2.675476551055908f, 0.665565550327301f, 0.8885218501091003f, -0.5540874004364014f, 0.3377377986907959f,
               -0.4148772656917572f, -0.17064067721366882f, -0.27921226620674133f, 2.235764980316162f, 1.4533522129058838f, -0.03639456629753113f,
               -1.2906558513641357f, 2.9245717525482178f, 0.7195584177970886f, 1.1510905027389526f, -1.8000192642211914f, 0.31742286682128906f},
              1e-5);
    Attributes a18;
    a18.set_int("num_groups", 3);
    const Tensor sg = f32(Shape{3}, {0.5f, 1.5f, -1}), bg = f32(Shape{3}, {0.1f, -0.2f, 0.3f});
    check_f32(run1({"GroupNormalization", {gn_x(), sg, bg}, a18, 1, 18}), Shape{2, 6, 2},
              {-0.5708016157150269f, -0.1236005499958992f, 0.3236008286476135f, 0.7708020806312561f, -2.212402582168579f, -0.8708006739616394f,
               0.4708011746406555f, 1.8124029636383057f, 1.6416015625f, 0.7472005486488342f, -0.14720052480697632f, -1.0416016578674316f,
               -0.41532203555107117f, -0.1708744764328003f, 0.07357310503721237f, 0.9126230478286743f, -1.9304320812225342f, 0.30470961332321167f,
               -1.1682177782058716f, 1.9939405918121338f, 1.4218711853027344f, -0.3044186234474182f, 1.1000940799713135f, -1.0175461769104004f},
              1e-5);
}

TEST_CASE("GroupNormalization is the same on every thread count") {
    const Tensor x = random_tensor(Shape{4, 8, 30, 30}, 11);
    Attributes a;
    a.set_int("num_groups", 4);
    const Tensor sc = random_tensor(Shape{8}, 1), b = random_tensor(Shape{8}, 2);
    CHECK(run1({"GroupNormalization", {x, sc, b}, a, 1, 21}, {}, 1).to_vector<float>() ==
          run1({"GroupNormalization", {x, sc, b}, a, 1, 21}, {}, 2).to_vector<float>());
}

TEST_CASE("GroupNormalization refuses groups that do not divide C and parameters of the wrong size") {
    const Tensor sc = f32(Shape{6}, {1, 1, 1, 1, 1, 1});
    Attributes a;
    a.set_int("num_groups", 4);
    check_error({"GroupNormalization", {gn_x(), sc, sc}, a, 1, 21}, "num_groups 4 for 6 channels");
    check_error({"GroupNormalization", {gn_x(), sc, sc}, Attributes{}, 1, 21}, "missing attribute 'num_groups'");
    Attributes a3;
    a3.set_int("num_groups", 3);
    check_error({"GroupNormalization", {gn_x(), sc, sc}, a3, 1, 18}, "expected [3] (one per group, opset 18)");
    const Tensor s3 = f32(Shape{3}, {1, 1, 1});
    check_error({"GroupNormalization", {gn_x(), s3, s3}, a3, 1, 21}, "expected [6] (one per channel, opset 21)");
    check_error({"GroupNormalization", {f32(Shape{6}, {1, 2, 3, 4, 5, 6}), s3, s3}, a3, 1, 21}, "rank < 2");
}
