// CenterCropPad (opset 18) against ONNX's reference slicing (an odd difference puts the extra
// element at the end), and Col2Im (opset 18) against ONNX's ReferenceEvaluator (onnx 1.23):
//   x = np.arange(32, dtype=np.float32).reshape(1, 8, 4) * 0.5
//   Col2Im(x, image_shape=[3, 4], block_shape=[2, 2], strides=[2, 2], pads=[1, 0, 0, 1])
#include <doctest/doctest.h>

#include "one_node.hpp"

#include <vector>

using namespace mutiny;
using namespace one_node;

TEST_CASE("CenterCropPad crops and pads about the centre, the odd element at the end") {
    const Tensor x = iota(Shape{3, 5});  // rows 0..2, columns 0..4
    // Rows 3 -> 2 keep rows 0, 1; columns 5 -> 8 put the input at columns 1..5.
    check_f32(run1({"CenterCropPad", {x, i64v({2, 8})}}), Shape{2, 8},
              {0, 0, 1, 2, 3, 4, 0, 0, 0, 5, 6, 7, 8, 9, 0, 0});
    Attributes a = attrs({{"axes", {-1}}});
    const Tensor y = iota(Shape{2, 4});
    check_f32(run1({"CenterCropPad", {y, i64v({2})}, a}), Shape{2, 2}, {1, 2, 5, 6});
    // Integers and an int32 shape.
    const Tensor xi = Tensor::from_vector<int32_t>(Shape{1, 3}, {7, 8, 9});
    CHECK(run1({"CenterCropPad", {xi, Tensor::from_vector<int32_t>(Shape{2}, {1, 4})}}).to_vector<int32_t>() == std::vector<int32_t>{7, 8, 9, 0});
}

TEST_CASE("CenterCropPad refuses a shape of the wrong length, repeated axes and negative sizes") {
    const Tensor x = iota(Shape{3, 5});
    check_error({"CenterCropPad", {x, i64v({2})}}, "CenterCropPad shape has the wrong length");
    check_error({"CenterCropPad", {x, i64v({2, 2})}, attrs({{"axes", {1, -1}}})}, "CenterCropPad axes repeat an axis");
    check_error({"CenterCropPad", {x, i64v({-1, 2})}}, "CenterCropPad shape is negative");
    check_error({"CenterCropPad", {x, f32(Shape{2}, {1, 1})}}, "must be a 1-D integer tensor");
}

TEST_CASE("Col2Im matches ONNX's reference (strides, asymmetric pads)") {
    const Tensor x = iota(Shape{1, 8, 4}, 0, 0.5f);
    Attributes a = attrs({{"strides", {2, 2}}, {"pads", {1, 0, 0, 1}}});
    check_f32(run1({"Col2Im", {x, i64v({3, 4}), i64v({2, 2})}, a}), Shape{1, 2, 3, 4},
              {4.0f, 6.0f, 4.5f, 6.5f, 1.0f, 3.0f, 1.5f, 3.5f, 5.0f, 7.0f, 5.5f, 7.5f,
               12.0f, 14.0f, 12.5f, 14.5f, 9.0f, 11.0f, 9.5f, 11.5f, 13.0f, 15.0f, 13.5f, 15.5f});
    // 1-D with overlapping blocks and a dilation: y[p] sums every block tap landing on p.
    // image 5, block 2, dilation 2: blocks start at 0, 1, 2; taps at b and b + 2.
    const Tensor c = f32(Shape{1, 2, 3}, {1, 2, 3, 10, 20, 30});
    check_f32(run1({"Col2Im", {c, i64v({5}), i64v({2})}, attrs({{"dilations", {2}}})}), Shape{1, 1, 5}, {1, 2, 13, 20, 30});
}

TEST_CASE("Col2Im refuses inputs that do not fit the geometry") {
    const Tensor x = iota(Shape{1, 8, 5});
    check_error({"Col2Im", {x, i64v({3, 4}), i64v({2, 2})}}, "Col2Im input has the wrong number of blocks");
    check_error({"Col2Im", {iota(Shape{1, 7, 6}), i64v({3, 4}), i64v({2, 2})}}, "not a multiple of the block size");
    check_error({"Col2Im", {x, i64v({3, 4}), i64v({2})}}, "block_shape does not match image_shape");
    check_error({"Col2Im", {iota(Shape{8, 6}), i64v({3, 4}), i64v({2, 2})}}, "Col2Im input has the wrong rank");
    check_error({"Col2Im", {iota(Shape{1, 4, 6}), i64v({3, 4}), i64v({2, 2})}, attrs({{"strides", {0, 1}}})}, "Col2Im strides out of range");
}
