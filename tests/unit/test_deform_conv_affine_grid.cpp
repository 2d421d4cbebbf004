// DeformConv (opset 19) and AffineGrid (opset 20) against ONNX's ReferenceEvaluator (onnx 1.23):
//   X = (np.arange(24, dtype=np.float32).reshape(1, 2, 3, 4) * 0.3 - 2)
//   W = [[[[1, -.5], [.25, 2]], [[.5, 1], [-1, .75]]], [[[.3, .2], [.1, -.4]], [[1, 1], [1, 1]]]]
//   offset = sin(arange(48)) * 0.8 reshaped [1, 8, 2, 3]; B = [0.5, -1];
//   mask = cos(arange(24)) * 0.5 + 0.5 reshaped [1, 4, 2, 3]; kernel_shape [2, 2]
//   and, without B and mask, offset = cos(arange(32)) * 1.3 reshaped [1, 8, 2, 2] with pads
//   [1, 1, 0, 0], strides [2, 2], dilations [1, 2].
//   theta = [[[1, .5, .1], [-.3, .8, .2]]], size [1, 1, 2, 3], align_corners 0 and 1;
//   3-D theta = [[[1, .5, .1, .2], [-.3, .8, .2, 0], [.1, .2, .9, -.5]]], size [1, 1, 2, 2, 2].
#include <doctest/doctest.h>

#include "one_node.hpp"

#include <cmath>
#include <vector>

using namespace mutiny;
using namespace one_node;

namespace {
Tensor dc_x() { return iota(Shape{1, 2, 3, 4}, -2.0f, 0.3f); }
Tensor dc_w() { return f32(Shape{2, 2, 2, 2}, {1, -0.5f, 0.25f, 2, 0.5f, 1, -1, 0.75f, 0.3f, 0.2f, 0.1f, -0.4f, 1, 1, 1, 1}); }
Tensor wave(Shape s, bool cosine, float amp, float shift = 0) {
    std::vector<float> v(static_cast<size_t>(s.numel()));
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>((cosine ? std::cos(static_cast<double>(i)) : std::sin(static_cast<double>(i))) * amp + shift);
    return f32(std::move(s), v);
}
}  // namespace

TEST_CASE("DeformConv matches ONNX's reference (bias, mask; pads, strides, dilations)") {
    const Tensor x = dc_x();
    check_f32(run1({"DeformConv", {x, dc_w(), wave(Shape{1, 8, 2, 3}, false, 0.8f), f32(Shape{2}, {0.5f, -1}), wave(Shape{1, 4, 2, 3}, true, 0.5f, 0.5f)},
                    attrs({{"kernel_shape", {2, 2}}})}),
              Shape{1, 2, 2, 3},
              {-0.9733552932739258f, 0.7606668472290039f, 1.5833638906478882f, 0.8253387808799744f, 0.6596788167953491f, 1.7530109882354736f,
               3.024599075317383f, 8.829720497131348f, 5.455453395843506f, -0.4724019169807434f, -0.36380165815353394f, 3.6761231422424316f},
              2e-6);
    check_f32(run1({"DeformConv", {x, dc_w(), wave(Shape{1, 8, 2, 2}, true, 1.3f)}, attrs({{"pads", {1, 1, 0, 0}}, {"strides", {2, 2}}, {"dilations", {1, 2}}})}),
              Shape{1, 2, 2, 2},
              {-0.7338438034057617f, 1.324312686920166f, 3.0241811275482178f, 3.2850165367126465f, 2.0938925743103027f, 5.730298042297363f,
               3.9343457221984863f, 4.636367321014404f},
              2e-6);
}

TEST_CASE("DeformConv with zero offsets is Conv; groups and offset groups; thread counts agree") {
    const Tensor x = random_tensor(Shape{2, 4, 9, 8}, 21);
    const Tensor w = random_tensor(Shape{6, 2, 3, 3}, 22);
    Attributes a = attrs({{"pads", {1, 1, 1, 1}}, {"strides", {1, 2}}});
    a.set_int("group", 2);
    Attributes ad = a;
    ad.set_int("offset_group", 2);
    const Tensor zero = f32(Shape{2, 36, 9, 4}, std::vector<float>(2 * 36 * 9 * 4, 0.0f));
    const auto conv = run1({"Conv", {x, w}, a}).to_vector<float>();
    const Tensor y = run1({"DeformConv", {x, w, zero}, ad});
    check_f32(y, Shape{2, 6, 9, 4}, conv, 1e-5);
    const Tensor off = random_tensor(Shape{2, 36, 9, 4}, 23, -2, 2);
    CHECK(run1({"DeformConv", {x, w, off}, ad}, {}, 1).to_vector<float>() == run1({"DeformConv", {x, w, off}, ad}, {}, 2).to_vector<float>());
}

TEST_CASE("DeformConv refuses offsets and masks of the wrong shape, bad offset groups, other ranks") {
    const Tensor x = dc_x(), w = dc_w();
    check_error({"DeformConv", {x, w, f32(Shape{1, 4, 2, 3}, std::vector<float>(24))}}, "DeformConv offset has the wrong shape");
    check_error({"DeformConv", {x, w, wave(Shape{1, 8, 2, 3}, false, 1), Tensor(), f32(Shape{1, 4, 2, 2}, std::vector<float>(16))}},
                "DeformConv mask has the wrong shape");
    Attributes og = attrs({});
    og.set_int("offset_group", 3);
    check_error({"DeformConv", {x, w, wave(Shape{1, 24, 2, 3}, false, 1)}, og}, "DeformConv offset_group does not divide the channels");
    check_error({"DeformConv", {iota(Shape{1, 2, 5}), f32(Shape{2, 2, 2}, std::vector<float>(8)), iota(Shape{1, 4, 4})}}, "DeformConv input X has an unsupported rank");
    check_error({"DeformConv", {x, f32(Shape{2, 3, 2, 2}, std::vector<float>(24)), wave(Shape{1, 8, 2, 3}, false, 1)}}, "DeformConv channels do not match the weights");
}

TEST_CASE("AffineGrid matches ONNX's reference, 2-D and 3-D, with and without align_corners") {
    const Tensor th = f32(Shape{1, 2, 3}, {1, 0.5f, 0.1f, -0.3f, 0.8f, 0.2f});
    check_f32(run1({"AffineGrid", {th, i64v({1, 1, 2, 3})}}), Shape{1, 2, 3, 2},
              {-0.8166666626930237f, 4.967053879312289e-09f, -0.15000000596046448f, -0.20000000298023224f, 0.5166666507720947f, -0.4000000059604645f,
               -0.3166666626930237f, 0.800000011920929f, 0.3499999940395355f, 0.6000000238418579f, 1.0166666507720947f, 0.4000000059604645f},
              2e-7);
    Attributes ac;
    ac.set_int("align_corners", 1);
    check_f32(run1({"AffineGrid", {th, i64v({1, 1, 2, 3})}, ac}), Shape{1, 2, 3, 2},
              {-1.399999976158142f, -0.30000001192092896f, -0.4000000059604645f, -0.6000000238418579f, 0.6000000238418579f, -0.9000000357627869f,
               -0.4000000059604645f, 1.3000000715255737f, 0.6000000238418579f, 1.0f, 1.600000023841858f, 0.699999988079071f});
    const Tensor th3 = f32(Shape{1, 3, 4}, {1, 0.5f, 0.1f, 0.2f, -0.3f, 0.8f, 0.2f, 0, 0.1f, 0.2f, 0.9f, -0.5f});
    check_f32(run1({"AffineGrid", {th3, i64v({1, 1, 2, 2, 2})}, ac}), Shape{1, 2, 2, 2, 3},
              {-1.399999976158142f, -0.699999988079071f, -1.6999999284744263f, 0.6000000238418579f, -1.3000000715255737f, -1.5f,
               -0.4000000059604645f, 0.9000000357627869f, -1.2999999523162842f, 1.600000023841858f, 0.30000001192092896f, -1.100000023841858f,
               -1.2000000476837158f, -0.30000001192092896f, 0.09999997168779373f, 0.800000011920929f, -0.9000000357627869f, 0.29999998211860657f,
               -0.19999998807907104f, 1.3000000715255737f, 0.4999999701976776f, 1.7999999523162842f, 0.699999988079071f, 0.699999988079071f});
}

TEST_CASE("AffineGrid refuses theta of the wrong shape, a bad size and align_corners") {
    const Tensor th = f32(Shape{1, 2, 3}, {1, 0, 0, 0, 1, 0});
    check_error({"AffineGrid", {th, i64v({2, 1, 2, 3})}}, "AffineGrid theta has the wrong shape");
    check_error({"AffineGrid", {th, i64v({1, 1, 2, 3, 4})}}, "AffineGrid theta has the wrong shape");
    check_error({"AffineGrid", {th, i64v({1, 1, 3})}}, "AffineGrid size has the wrong length");
    check_error({"AffineGrid", {th, i64v({1, 1, 0, 3})}}, "AffineGrid size is not positive");
    Attributes ac;
    ac.set_int("align_corners", 2);
    check_error({"AffineGrid", {th, i64v({1, 1, 2, 3})}, ac}, "attribute 'align_corners' out of range");
}
