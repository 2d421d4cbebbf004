// bfloat16 as a storage dtype: conversions (round to nearest even, as ONNX's reference: numpy's
// astype through ml_dtypes), Cast and CastLike both ways, tensor import from an ONNX TensorProto
// (raw_data and int32_data), copies, and the clear refusal by every other op. Reference bits from
// onnx 1.23:
//   v = np.array([1, 1+2**-8, 1+3*2**-8, -1-2**-8, 3.14159265, 65504, 3.4e38, -0., inf, nan, 1e-40], np.float32)
//   ReferenceEvaluator(model_of(make_node("Cast", ["x"], ["y"], to=TensorProto.BFLOAT16))).run(None, {"x": v})
//   -> 0x3f80 0x3f80 0x3f82 0xbf80 0x4049 0x4780 0x7f80 0x8000 0x7f80 0x7fc0 0x0001
//   from float64 [1+2**-8+2**-30, 1.00390625] -> 0x3f81 0x3f80 (rounded once, not through float)
#include <doctest/doctest.h>

#include "one_node.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <mutiny/io/onnx_import.hpp>

using namespace mutiny;
using namespace one_node;

namespace {

std::vector<uint16_t> bits(const Tensor& t) {
    REQUIRE(t.dtype() == DType::bf16);
    const uint16_t* p = static_cast<const uint16_t*>(t.raw());
    return std::vector<uint16_t>(p, p + t.numel());
}
Tensor bf16_tensor(Shape s, const std::vector<uint16_t>& b) {
    Tensor t(DType::bf16, std::move(s));
    std::memcpy(t.raw(), b.data(), b.size() * 2);
    return t;
}
Attributes to(int64_t code) {
    Attributes a;
    a.set_int("to", code);
    return a;
}
const std::vector<float> kValues = {1.0f, 1.0f + 0x1p-8f, 1.0f + 3 * 0x1p-8f, -1.0f - 0x1p-8f, 3.14159265f, 65504.0f, 3.4e38f, -0.0f,
                                    std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN(), 1e-40f};
const std::vector<uint16_t> kBits = {0x3f80, 0x3f80, 0x3f82, 0xbf80, 0x4049, 0x4780, 0x7f80, 0x8000, 0x7f80, 0x7fc0, 0x0001};

}  // namespace

TEST_CASE("bfloat16 conversions round to nearest even (onnx.reference)") {
    for (size_t i = 0; i < kValues.size(); ++i) {
        INFO("value " << i);
        CHECK(float_to_bf16_bits(kValues[i]) == kBits[i]);
    }
    CHECK(bf16_bits_to_float(0x3f82) == 1.015625f);
    CHECK(std::isnan(bf16_bits_to_float(0x7fc0)));
    CHECK(dtype_size(DType::bf16) == 2);
    CHECK(dtype_from_name("bf16") == DType::bf16);
    CHECK(dtype_is_float(DType::bf16));
}

TEST_CASE("Cast and CastLike to and from bfloat16") {
    const Tensor x = f32(Shape{11}, kValues);
    const Tensor y = run1({"Cast", {x}, to(16)});
    CHECK(bits(y) == kBits);
    // Back to float: exact (bf16 is float's upper half).
    const Tensor back = run1({"Cast", {y}, to(1)});
    const std::vector<float> b = back.to_vector<float>();
    CHECK(b[2] == 1.015625f);
    CHECK(b[4] == 3.140625f);
    CHECK(std::isinf(b[6]));
    CHECK(std::isnan(b[9]));
    CHECK(b[10] == bf16_bits_to_float(1));
    // From double, rounded once.
    const Tensor d = Tensor::from_vector<double>(Shape{2}, {1.0 + 0x1p-8 + 0x1p-30, 1.00390625});
    CHECK(bits(run1({"Cast", {d}, to(16)})) == std::vector<uint16_t>{0x3f81, 0x3f80});
    // Integers and f16 both ways; CastLike takes the dtype of its second input.
    CHECK(bits(run1({"Cast", {i64v({3, -257, 0})}, to(16)})) == std::vector<uint16_t>{0x4040, 0xc380, 0x0000});  // -257 -> -256 (even)
    CHECK(run1({"Cast", {bf16_tensor(Shape{2}, {0x4040, 0xc380})}, to(7)}).to_vector<int64_t>() == std::vector<int64_t>{3, -256});
    const Tensor h = run1({"Cast", {bf16_tensor(Shape{1}, {0x3f82})}, to(10)});
    CHECK(static_cast<float>(h.data<half>()[0]) == 1.015625f);
    CHECK(bits(run1({"CastLike", {x, bf16_tensor(Shape{1}, {0})}})) == kBits);
    CHECK(run1({"CastLike", {y, f32(Shape{1}, {0})}}).to_vector<float>()[4] == 3.140625f);
    // Cast's legacy type names include BFLOAT16.
    Attributes legacy;
    legacy.set_string("to", "BFLOAT16");
    CHECK(bits(run1({"Cast", {x}, legacy, 1, 5})) == kBits);
}

TEST_CASE("bfloat16 tensors import from ONNX and pass through copies") {
    onnx::TensorProto p;
    p.data_type = onnx::BFLOAT16;
    p.dims = {3};
    p.int32_data = {0x3f80, 0x4049, 0xbf80};
    const Tensor t = onnx_import::tensor_from_proto(p, "test");
    CHECK(bits(t) == std::vector<uint16_t>{0x3f80, 0x4049, 0xbf80});
    CHECK(t.get_f64(1) == 3.140625);
    onnx::TensorProto r;
    r.data_type = onnx::BFLOAT16;
    r.dims = {2};
    r.raw_data = std::string("\x80\x3f\x49\x40", 4);
    r.has_raw_data = true;
    CHECK(bits(onnx_import::tensor_from_proto(r, "test")) == std::vector<uint16_t>{0x3f80, 0x4049});
    CHECK(onnx_import::dtype_to_onnx(DType::bf16) == onnx::BFLOAT16);
    // Copies keep the bits.
    const Tensor x = bf16_tensor(Shape{2, 2}, {1, 2, 3, 4});
    CHECK(bits(run1({"Reshape", {x, i64v({4})}})) == std::vector<uint16_t>{1, 2, 3, 4});
    CHECK(bits(run1({"Identity", {x}})) == std::vector<uint16_t>{1, 2, 3, 4});
    CHECK(bits(run1({"Unsqueeze", {x, i64v({0})}})) == std::vector<uint16_t>{1, 2, 3, 4});
}

TEST_CASE("bfloat16 errors: truncated data, ops that do not take it") {
    onnx::TensorProto r;
    r.data_type = onnx::BFLOAT16;
    r.dims = {2};
    r.raw_data = std::string("\x80\x3f\x49", 3);
    r.has_raw_data = true;
    CHECK_THROWS_WITH_AS(onnx_import::tensor_from_proto(r, "test"), doctest::Contains("tensor raw_data does not match its shape"), Error);
    onnx::TensorProto p;
    p.data_type = onnx::BFLOAT16;
    p.dims = {3};
    p.int32_data = {0x3f80};
    CHECK_THROWS_WITH_AS(onnx_import::tensor_from_proto(p, "test"), doctest::Contains("tensor data does not match its shape"), Error);
    const Tensor x = bf16_tensor(Shape{2}, {0x3f80, 0x4000});
    check_error({"Relu", {x}}, "unsupported dtype bfloat16");
    check_error({"Add", {x, x}}, "unsupported dtype bfloat16");
    check_error({"ConstantOfShape", {i64v({2})}, [] {
                     Attributes a;
                     a.set_tensor("value", bf16_tensor(Shape{1}, {0x3f80}));
                     return a;
                 }()},
                "unsupported dtype bfloat16");
    // dispatch_dtype leaves bfloat16 out, with a clear message.
    CHECK_THROWS_WITH_AS(dispatch_dtype(DType::bf16, [](auto) { return 0; }), doctest::Contains("unsupported dtype bfloat16"), Error);
}
