// MaxPool's Indices output (storage_order 0 and 1) and MaxUnpool (with and without
// output_shape): values from ONNX's reference implementation (onnx 1.23, onnx.reference), bad
// input, sites and thread-count determinism.
//
// The reference values come from snippets of this form:
//   from onnx import helper as h; from onnx.reference import ReferenceEvaluator
//   P = np.array([[[[3,1,4,1,5],[9,2,6,5,3],[5,8,9,7,9],[3,2,3,8,4]]]], np.float32)
//   node = h.make_node("MaxPool", ["x"], ["y", "i"], kernel_shape=[2,3], strides=[2,1],
//                      pads=[1,1,0,0], storage_order=so)
//   ReferenceEvaluator(model_of(node)).run(None, {"x": P})
// (model_of wraps the node in a one-node opset-12 graph; MaxUnpool likewise at opset 11.)
#include <doctest/doctest.h>

#include "one_node.hpp"

#include <string>
#include <vector>

using namespace mutiny;
using namespace one_node;

namespace {

Attributes maxpool_attrs(int64_t storage_order) {
    Attributes a = attrs({{"kernel_shape", {2, 3}}, {"strides", {2, 1}}, {"pads", {1, 1, 0, 0}}});
    a.set_int("storage_order", storage_order);
    return a;
}
const Tensor kP = f32(Shape{1, 1, 4, 5}, {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4});

std::vector<int64_t> ints(const Tensor& t) { return t.to_vector<int64_t>(); }

}  // namespace

TEST_CASE("MaxPool Indices, row and column major (onnx.reference)") {
    // mp_y = [3, 4, 4, 5, 9, 9, 9, 9]; mp_i(so=0) = [0, 2, 2, 4, 5, 5, 12, 12];
    // mp_i(so=1) = [0, 8, 8, 16, 1, 1, 10, 10].
    const auto r0 = run({"MaxPool", {kP}, maxpool_attrs(0), 2});
    check_f32(r0[0], Shape{1, 1, 2, 4}, {3, 4, 4, 5, 9, 9, 9, 9});
    REQUIRE(r0[1].dtype() == DType::i64);
    CHECK(r0[1].shape() == Shape{1, 1, 2, 4});
    CHECK(ints(r0[1]) == std::vector<int64_t>{0, 2, 2, 4, 5, 5, 12, 12});
    const auto r1 = run({"MaxPool", {kP}, maxpool_attrs(1), 2});
    CHECK(r1[0].bitwise_equal(r0[0]));
    CHECK(ints(r1[1]) == std::vector<int64_t>{0, 8, 8, 16, 1, 1, 10, 10});
    // Y equals MaxPool's without the Indices output.
    CHECK(run1({"MaxPool", {kP}, maxpool_attrs(0)}).bitwise_equal(r0[0]));
}

TEST_CASE("MaxPool Indices count batches and channels, 1-D and 3-D") {
    // Planes [n, c] are numbered on: plane p's indices start at p * H * W.
    const Tensor x = iota(Shape{2, 3, 2, 2});
    const auto r = run({"MaxPool", {x}, attrs({{"kernel_shape", {2, 2}}}), 2});
    CHECK(ints(r[1]) == std::vector<int64_t>{3, 7, 11, 15, 19, 23});
    const Tensor x1 = f32(Shape{1, 2, 4}, {1, 5, 2, 0, 7, 7, 1, 9});
    const auto r1 = run({"MaxPool", {x1}, attrs({{"kernel_shape", {2}}, {"strides", {2}}}), 2});
    check_f32(r1[0], Shape{1, 2, 2}, {5, 2, 7, 9});
    CHECK(ints(r1[1]) == std::vector<int64_t>{1, 2, 4, 7});  // ties: the first tap wins
    // 3-D, column major: index = d + h * D + w * D * H within the plane.
    const Tensor x3 = iota(Shape{1, 1, 2, 2, 2});
    Attributes a3 = attrs({{"kernel_shape", {2, 2, 2}}});
    a3.set_int("storage_order", 1);
    const auto r3 = run({"MaxPool", {x3}, a3, 2});
    CHECK(ints(r3[1]) == std::vector<int64_t>{7});
    const Tensor x3b = f32(Shape{1, 1, 2, 2, 2}, {0, 0, 0, 0, 0, 0, 9, 0});  // (d, h, w) = (1, 1, 0)
    CHECK(ints(run({"MaxPool", {x3b}, a3, 2})[1]) == std::vector<int64_t>{1 + 1 * 2 + 0 * 4});
}

TEST_CASE("MaxPool Indices: sites and threads") {
    SiteConfig lt;
    lt.cmp = SiteConfig::Cmp::gt_to_lt;  // the max becomes a min, and its index follows
    const auto r = run({"MaxPool", {kP}, maxpool_attrs(0), 2}, lt);
    check_f32(r[0], Shape{1, 1, 2, 4}, {1, 1, 1, 1, 2, 2, 2, 3});
    CHECK(ints(r[1]) == std::vector<int64_t>{1, 1, 1, 3, 6, 6, 6, 9});  // equal later taps do not replace the first
    const Tensor big = random_tensor(Shape{2, 5, 23, 19}, 7);
    const Op o{"MaxPool", {big}, attrs({{"kernel_shape", {3, 3}}, {"strides", {2, 2}}, {"pads", {1, 1, 1, 1}}}), 2};
    const auto a = run(o, {}, 1), b = run(o, {}, 2);
    CHECK(a[0].bitwise_equal(b[0]));
    CHECK(a[1].bitwise_equal(b[1]));
}

TEST_CASE("MaxUnpool with and without output_shape (onnx.reference)") {
    // X = [[[[1, 2], [3, 4]]]], I = [[[[5, 7], [13, 15]]]], kernel 2x2, strides 2.
    const Tensor x = f32(Shape{1, 1, 2, 2}, {1, 2, 3, 4});
    const Tensor i = i64(Shape{1, 1, 2, 2}, {5, 7, 13, 15});
    const Attributes a = attrs({{"kernel_shape", {2, 2}}, {"strides", {2, 2}}});
    check_f32(run1({"MaxUnpool", {x, i}, a}), Shape{1, 1, 4, 4}, {0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4});
    // With output_shape [1, 1, 5, 5] the indices still number the 4x4 unpooled shape.
    check_f32(run1({"MaxUnpool", {x, i, i64v({1, 1, 5, 5})}, a}), Shape{1, 1, 5, 5},
              {0, 0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0, 0});
    // MaxPool's Indices undo: unpooling puts each maximum back where it was.
    const Tensor big = random_tensor(Shape{2, 3, 6, 8}, 5);
    const Attributes pa = attrs({{"kernel_shape", {2, 2}}, {"strides", {2, 2}}});
    const auto pooled = run({"MaxPool", {big}, pa, 2});
    const Tensor un = run1({"MaxUnpool", {pooled[0], pooled[1]}, pa});
    REQUIRE(un.shape() == big.shape());
    const int64_t* ip = pooled[1].data<int64_t>();
    for (int64_t k = 0; k < pooled[1].numel(); ++k) CHECK(un.data<float>()[ip[k]] == big.data<float>()[ip[k]]);
}

TEST_CASE("MaxUnpool errors") {
    const Tensor x = f32(Shape{1, 1, 2, 2}, {1, 2, 3, 4});
    const Attributes a = attrs({{"kernel_shape", {2, 2}}, {"strides", {2, 2}}});
    Op out_of_range{"MaxUnpool", {x, i64(Shape{1, 1, 2, 2}, {5, 7, 13, 16})}, a};
    out_of_range.runtime = {false, true};  // indices known at run time only
    check_error(out_of_range, "MaxUnpool index out of range");
    check_error({"MaxUnpool", {x, i64(Shape{1, 1, 2, 2}, {0, 1, 2, -1})}, a}, "MaxUnpool index out of range");
    check_error({"MaxUnpool", {x, i64(Shape{1, 1, 4}, {0, 1, 2, 3})}, a}, "MaxUnpool X and I shapes differ");
    check_error({"MaxUnpool", {x, f32(Shape{1, 1, 2, 2}, {0, 1, 2, 3})}, a}, "unsupported MaxUnpool indices dtype");
    check_error({"MaxUnpool", {x, i64(Shape{1, 1, 2, 2}, {0, 1, 2, 3}), i64v({1, 1, 3, 5})}, a}, "MaxUnpool output_shape does not fit the input");
    check_error({"MaxUnpool", {x, i64(Shape{1, 1, 2, 2}, {0, 1, 2, 3}), i64v({1, 1, 5})}, a}, "MaxUnpool output_shape has the wrong length");
    Op fed{"MaxUnpool", {x, i64(Shape{1, 1, 2, 2}, {0, 1, 2, 3}), i64v({1, 1, 5, 5})}, a};
    fed.runtime = {false, false, true};
    check_data_dependent(fed);
    check_error({"MaxUnpool", {x, i64(Shape{1, 1, 2, 2}, {0, 1, 2, 3})}, Attributes{}}, "missing attribute 'kernel_shape'");
}
