// Neg, Abs and Sign on integers (ONNX allows them; LayerNormalization's function body negates an
// int64 axis): numpy's values, wrapping at the minimum (numpy: -np.int8(-128) == -128), and the
// dtypes refused.
#include <doctest/doctest.h>

#include "one_node.hpp"

#include <vector>

using namespace mutiny;
using namespace one_node;

TEST_CASE("Neg, Abs, Sign on integers") {
    const Tensor x = i64v({-3, 0, 7, INT64_MIN});
    CHECK(run1({"Neg", {x}}).to_vector<int64_t>() == std::vector<int64_t>{3, 0, -7, INT64_MIN});
    CHECK(run1({"Abs", {x}}).to_vector<int64_t>() == std::vector<int64_t>{3, 0, 7, INT64_MIN});
    CHECK(run1({"Sign", {x}}).to_vector<int64_t>() == std::vector<int64_t>{-1, 0, 1, -1});
    const Tensor b = Tensor::from_vector<int8_t>(Shape{3}, {-128, -5, 5});
    CHECK(run1({"Neg", {b}}).to_vector<int8_t>() == std::vector<int8_t>{-128, 5, -5});
    const Tensor u = Tensor::from_vector<uint8_t>(Shape{2}, {0, 200});
    CHECK(run1({"Abs", {u}}).to_vector<uint8_t>() == std::vector<uint8_t>{0, 200});
    CHECK(run1({"Sign", {u}}).to_vector<uint8_t>() == std::vector<uint8_t>{0, 1});
    // Floats keep their kernels: NaN passes through Sign, -0 through Neg.
    const Tensor f = f32(Shape{2}, {-0.0f, 2.5f});
    CHECK(std::signbit(run1({"Neg", {f32(Shape{1}, {0.0f})}}).to_vector<float>()[0]));
    check_f32(run1({"Abs", {f}}), Shape{2}, {0, 2.5f});
}

TEST_CASE("Neg, Abs, Sign refuse bool, Neg unsigned") {
    check_error({"Neg", {Tensor::from_vector<uint8_t>(Shape{1}, {1})}}, "Neg takes floats and signed integers");
    Tensor t(DType::boolean, Shape{1});
    check_error({"Abs", {t}}, "a number type is required");
}
