// Normalisation: LRN, BatchNormalization, InstanceNormalization, Softmax and LogSoftmax: the ONNX
// formulas, run-time parameters, legacy attributes and opsets, numerical stability, errors.
#include <doctest/doctest.h>

#include "one_node.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

using namespace mutiny;
using namespace one_node;

TEST_CASE("LRN: the ONNX formula") {
    // size 3, alpha/size = 1, beta 1, bias 1: y_c = x_c / (1 + sum of squares of the neighbours).
    Attributes a;
    a.set_int("size", 3);
    a.set_float("alpha", 3.0);
    a.set_float("beta", 1.0);
    a.set_float("bias", 1.0);
    check_f32(run1({"LRN", {f32(Shape{1, 3, 1, 1}, {1, 2, 3})}, a}), Shape{1, 3, 1, 1}, {1.0f / 6, 2.0f / 15, 3.0f / 14});
    // Even size: the window reaches one channel further up than down (floor / ceil of (size-1)/2).
    a.set_int("size", 2);
    a.set_float("alpha", 2.0);
    check_f32(run1({"LRN", {f32(Shape{1, 3, 1, 1}, {1, 2, 3})}, a}), Shape{1, 3, 1, 1}, {1.0f / 6, 2.0f / 14, 3.0f / 10});
    Attributes bad;
    check_error({"LRN", {f32(Shape{1, 3, 1, 1}, {1, 2, 3})}, bad}, "missing attribute 'size'");
}

TEST_CASE("BatchNormalization: constant and run-time parameters, per activation, legacy attributes") {
    const Tensor x = f32(Shape{1, 2, 1, 2}, {1, 2, 3, 4});
    const Tensor scale = f32(Shape{2}, {1, 2}), b = f32(Shape{2}, {0, 1}), mean = f32(Shape{2}, {1, 3}), var = f32(Shape{2}, {4, 1});
    Attributes a;
    a.set_float("epsilon", 0.0);
    Op bn{"BatchNormalization", {x, scale, b, mean, var}, a};
    check_f32(run1(bn), Shape{1, 2, 1, 2}, {0, 0.5f, 1, 3});
    bn.runtime = {false, true, true, true, true};  // parameters fed at run time: same result
    check_f32(run1(bn), Shape{1, 2, 1, 2}, {0, 0.5f, 1, 3});
    // Default epsilon 1e-5, and a 2-D [N, C] input (MLP).
    const Tensor y2 = run1({"BatchNormalization", {f32(Shape{2, 1}, {2, 4}), f32(Shape{1}, {1}), f32(Shape{1}, {0}),
                                                   f32(Shape{1}, {3}), f32(Shape{1}, {1})}});
    check_f32(y2, Shape{2, 1}, {static_cast<float>(-1 / std::sqrt(1 + 1e-5)), static_cast<float>(1 / std::sqrt(1 + 1e-5))});
    // Opset 6 attributes are accepted and dropped; C x D parameters apply per activation.
    Attributes old;
    old.set_int("is_test", 1);
    old.set_int("spatial", 0);
    old.set_ints("consumed_inputs", {0, 0, 0, 1, 1});
    old.set_float("epsilon", 0.0);
    Op pa{"BatchNormalization",
          {x, f32(Shape{2, 1, 2}, {1, 1, 2, 2}), f32(Shape{2, 1, 2}, {0, 0, 1, 1}), f32(Shape{2, 1, 2}, {1, 2, 3, 4}),
           f32(Shape{2, 1, 2}, {1, 1, 1, 1})},
          old, 1, 6};
    const Graph g = make_graph(pa);
    CHECK_FALSE(g.nodes[0].attrs.has("spatial"));
    CHECK_FALSE(g.nodes[0].attrs.has("is_test"));
    check_f32(run1(pa), Shape{1, 2, 1, 2}, {0, 0, 1, 1});
}

TEST_CASE("BatchNormalization errors") {
    const Tensor x = f32(Shape{1, 2, 1, 2}, {1, 2, 3, 4});
    const Tensor p = f32(Shape{2}, {1, 1});
    Attributes tm;
    tm.set_int("training_mode", 1);
    check_error({"BatchNormalization", {x, p, p, p, p}, tm}, "unsupported BatchNormalization training mode");
    check_error({"BatchNormalization", {x, p, p, p, p}, {}, 3}, "unsupported BatchNormalization training outputs");
    check_error({"BatchNormalization", {x, f32(Shape{3}, {1, 1, 1}), p, p, p}}, "BatchNormalization scale has the wrong size");
    check_error({"BatchNormalization", {x, p, p, p}}, "wrong number of inputs");
}

TEST_CASE("InstanceNormalization") {
    Attributes a;
    a.set_float("epsilon", 0.0);
    check_f32(run1({"InstanceNormalization", {f32(Shape{1, 2, 2}, {1, 3, 5, 7}), f32(Shape{2}, {2, 1}), f32(Shape{2}, {0, 7})}, a}),
              Shape{1, 2, 2}, {-2, 2, 6, 8});
    check_error({"InstanceNormalization", {f32(Shape{1, 2, 2}, {1, 3, 5, 5}), f32(Shape{3}, {2, 1, 1}), f32(Shape{2}, {0, 7})}},
                "InstanceNormalization scale has the wrong shape");
}

TEST_CASE("Softmax and LogSoftmax: axis, legacy coercion, stability") {
    auto softmax = [](std::vector<double> v) {
        double m = -INFINITY, s = 0;
        for (double x : v) m = std::max(m, x);
        for (double x : v) s += std::exp(x - m);
        std::vector<float> out;
        for (double x : v) out.push_back(static_cast<float>(std::exp(x - m) / s));
        return out;
    };
    const Tensor x = f32(Shape{2, 3}, {1, 2, 3, -1, 0, 5});
    auto r0 = softmax({1, 2, 3}), r1 = softmax({-1, 0, 5});
    std::vector<float> rows = r0;
    rows.insert(rows.end(), r1.begin(), r1.end());
    check_f32(run1({"Softmax", {x}}), Shape{2, 3}, rows);  // opset 13 default axis -1
    Attributes ax0;
    ax0.set_int("axis", 0);
    auto c0 = softmax({1, -1}), c1 = softmax({2, 0}), c2 = softmax({3, 5});
    check_f32(run1({"Softmax", {x}, ax0}), Shape{2, 3}, {c0[0], c1[0], c2[0], c0[1], c1[1], c2[1]});
    // Opset 11, axis 0: the whole tensor is one 2-D row (coerced), softmax over all 6 values.
    const Op legacy{"Softmax", {x}, ax0, 1, 11};
    CHECK(make_graph(legacy).nodes[0].attrs.get_int("legacy_coerce", 0) == 1);
    check_f32(run1(legacy), Shape{2, 3}, softmax({1, 2, 3, -1, 0, 5}));
    // Opset 11 default axis 1 on [2, 3] equals opset 13's last axis.
    check_f32(run1({"Softmax", {x}, {}, 1, 11}), Shape{2, 3}, rows);
    // Large values: the max is subtracted first.
    check_f32(run1({"Softmax", {f32(Shape{2}, {1000, 1001})}}), Shape{2}, softmax({1000, 1001}));
    const Tensor ls = run1({"LogSoftmax", {f32(Shape{3}, {1000, 1001, 1002})}});
    check_f32(ls, Shape{3}, {static_cast<float>(std::log(softmax({0, 1, 2})[0])), static_cast<float>(std::log(softmax({0, 1, 2})[1])),
                             static_cast<float>(std::log(softmax({0, 1, 2})[2]))},
              1e-6);
    // 3-D, middle axis, odd sizes.
    const Tensor z = random_tensor(Shape{3, 13, 12}, 5, -4, 4);
    Attributes ax1;
    ax1.set_int("axis", 1);
    const Tensor y = run1({"Softmax", {z}, ax1});
    for (int64_t o = 0; o < 3; ++o)
        for (int64_t i = 0; i < 12; ++i) {
            double s = 0;
            for (int64_t k = 0; k < 13; ++k) s += y.data<float>()[(o * 13 + k) * 12 + i];
            CHECK(std::fabs(s - 1) < 1e-6);
        }
    Attributes bad;
    bad.set_int("axis", 2);
    check_error({"Softmax", {x}, bad}, "axis out of range");
}
