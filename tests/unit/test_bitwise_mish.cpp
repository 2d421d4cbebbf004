// BitwiseAnd/Or/Xor/Not (opset 18) against numpy's &, |, ^, ~ (broadcasting, signed and unsigned
// types), and Mish (opset 18) against ONNX's ReferenceEvaluator (onnx 1.23):
//   x = np.array([-20, -3, -1.5, -0.5, 0, 0.25, 0.7, 1, 2.5, 30], np.float32); Mish(x) at opset 18.
#include <doctest/doctest.h>

#include "one_node.hpp"

#include <vector>

using namespace mutiny;
using namespace one_node;

TEST_CASE("Bitwise ops match numpy, with broadcasting") {
    const Tensor a = Tensor::from_vector<int32_t>(Shape{2, 3}, {-1, 0, 5, 12, -8, 0x7fffffff});
    const Tensor b = Tensor::from_vector<int32_t>(Shape{3}, {6, -3, 3});
    CHECK(run1({"BitwiseAnd", {a, b}}).to_vector<int32_t>() == std::vector<int32_t>{6, 0, 1, 4, -8, 3});
    CHECK(run1({"BitwiseOr", {a, b}}).to_vector<int32_t>() == std::vector<int32_t>{-1, -3, 7, 14, -3, 0x7fffffff});
    CHECK(run1({"BitwiseXor", {a, b}}).to_vector<int32_t>() == std::vector<int32_t>{-7, -3, 6, 10, 5, 0x7ffffffc});
    const Tensor u = Tensor::from_vector<uint8_t>(Shape{4}, {0, 1, 0xf0, 0xff});
    CHECK(run1({"BitwiseNot", {u}}).to_vector<uint8_t>() == std::vector<uint8_t>{0xff, 0xfe, 0x0f, 0});
    const Tensor s = Tensor::from_vector<int16_t>(Shape{3}, {0, -1, 300});
    CHECK(run1({"BitwiseNot", {s}}).to_vector<int16_t>() == std::vector<int16_t>{-1, 0, -301});
    const Tensor big = Tensor::from_vector<uint64_t>(Shape{2}, {0xffffffffffffffffULL, 0x8000000000000001ULL});
    const Tensor one = Tensor::from_vector<uint64_t>(Shape{1}, {0x8000000000000000ULL});
    CHECK(run1({"BitwiseXor", {big, one}}).to_vector<uint64_t>() == std::vector<uint64_t>{0x7fffffffffffffffULL, 1});
}

TEST_CASE("Bitwise ops refuse floats, bools and mixed dtypes") {
    check_error({"BitwiseAnd", {f32(Shape{1}, {1}), f32(Shape{1}, {1})}}, "BitwiseAnd takes integers");
    Tensor t(DType::boolean, Shape{1});
    check_error({"BitwiseNot", {t}}, "BitwiseNot takes integers");
    check_error({"BitwiseOr", {i64v({1}), Tensor::from_vector<int32_t>(Shape{1}, {1})}}, "input dtypes differ");
    check_error({"BitwiseXor", {i64v({1, 2}), i64v({1, 2, 3})}}, "BitwiseXor");
}

TEST_CASE("Mish matches ONNX's reference and is the same on every thread count") {
    const Tensor x = f32(Shape{10}, {-20, -3, -1.5f, -0.5f, 0, 0.25f, 0.7f, 1, 2.5f, 30});
    check_f32(run1({"Mish", {x}}), Shape{10},
              {-4.1223074731533416e-08f, -0.14564746618270874f, -0.2980997562408447f, -0.22074377536773682f, 0.0f, 0.16957241296768188f,
               0.5611483454704285f, 0.8650984168052673f, 2.4713923931121826f, 30.0f});
    // Far beyond exp's range y = x (tanh(inf) = 1), no NaN.
    check_f32(run1({"Mish", {f32(Shape{2}, {100, -100})}}), Shape{2}, {100, 0}, 1e-6);
    const Tensor big = random_tensor(Shape{3, 50000}, 7, -6, 6);
    CHECK(run1({"Mish", {big}}, {}, 1).to_vector<float>() == run1({"Mish", {big}}, {}, 2).to_vector<float>());
    check_error({"Mish", {i64v({1})}}, "a float type is required");
}
