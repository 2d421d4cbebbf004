// Quantization ops beyond the ONNX node tests: round half to even, saturation, NaN, per-axis and
// blocked parameters, the int32 wrap of integer products, and the clear errors for a zero or
// negative scale and for parameters that do not fit.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <mutiny/mutiny.hpp>

using namespace mutiny;

namespace {

// y = op(inputs...), every input a constant except the first, which is fed at run time.
Tensor run(const std::string& op, const std::vector<Tensor>& in, Attributes at = {}) {
    GraphBuilder b("q");
    b.input("x", in[0].dtype(), in[0].shape());
    std::vector<std::string> names{"x"};
    for (size_t i = 1; i < in.size(); ++i) names.push_back(b.constant("c" + std::to_string(i), in[i]));
    b.output(b.node(op, names, at));
    CpuExecutor ex(b.build());
    return ex.run({in[0]})[0];
}

std::vector<int> ints(const Tensor& t) {
    std::vector<int> v;
    for (int64_t i = 0; i < t.numel(); ++i) v.push_back(static_cast<int>(t.get_i64(i)));
    return v;
}

}  // namespace

TEST_CASE("QuantizeLinear: half to even, saturation, NaN to the zero point, uint8 by default") {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const Tensor x = Tensor::from_vector<float>(Shape{6}, {0.5f, 1.5f, 2.5f, -1000.0f, 1000.0f, nan});
    const Tensor s = Tensor::scalar<float>(1.0f);
    CHECK(ints(run("QuantizeLinear", {x, s})) == std::vector<int>{0, 2, 2, 0, 255, 0});
    const Tensor zp = Tensor::scalar<int8_t>(-3);
    const Tensor y = run("QuantizeLinear", {x, s, zp});
    CHECK(y.dtype() == DType::i8);
    CHECK(ints(y) == std::vector<int>{-3, -1, -1, -128, 127, -3});
}

TEST_CASE("QuantizeLinear / DequantizeLinear per axis and per block round-trip") {
    const Tensor x = Tensor::from_vector<float>(Shape{2, 4}, {0, 1, 2, 3, 4, 5, 6, 7});
    Attributes ax;
    ax.set_int("axis", 0);
    const Tensor s = Tensor::from_vector<float>(Shape{2}, {0.5f, 2.0f});
    const Tensor q = run("QuantizeLinear", {x, s, Tensor::from_vector<uint8_t>(Shape{2}, {10, 20})}, ax);
    CHECK(ints(q) == std::vector<int>{10, 12, 14, 16, 22, 22, 23, 24});  // 5/2 = 2.5 -> 2, 7/2 = 3.5 -> 4
    const Tensor d = run("DequantizeLinear", {q, s, Tensor::from_vector<uint8_t>(Shape{2}, {10, 20})}, ax);
    CHECK(d.data<float>()[3] == 3.0f);
    CHECK(d.data<float>()[5] == 4.0f);
    Attributes blk;
    blk.set_int("axis", 1);
    blk.set_int("block_size", 3);
    const Tensor bs = Tensor::from_vector<float>(Shape{2, 2}, {1, 10, 2, 20});  // blocks [0..2], [3]
    CHECK(ints(run("QuantizeLinear", {x, bs}, blk)) == std::vector<int>{0, 1, 2, 0, 2, 2, 3, 0});
}

TEST_CASE("Quantization: a zero, negative or infinite scale, and parameters that do not fit, are errors") {
    const Tensor x = Tensor::from_vector<float>(Shape{2, 2}, {1, 2, 3, 4});
    CHECK_THROWS_WITH_AS(run("QuantizeLinear", {x, Tensor::scalar<float>(0.0f)}), doctest::Contains("scales must be positive"), Error);
    CHECK_THROWS_WITH_AS(run("DequantizeLinear", {Tensor::from_vector<uint8_t>(Shape{1}, {1}), Tensor::scalar<float>(-1.0f)}),
                         doctest::Contains("invalid quantization scale"), Error);
    CHECK_THROWS_WITH_AS(run("QuantizeLinear", {x, Tensor::from_vector<float>(Shape{3}, {1, 1, 1})}), doctest::Contains("does not fit"), Error);
    CHECK_THROWS_WITH_AS(run("DequantizeLinear", {Tensor::from_vector<uint8_t>(Shape{1}, {1}), Tensor::scalar<float>(1.0f), Tensor::scalar<int8_t>(0)}),
                         doctest::Contains("zero point type differs"), Error);
    CHECK_THROWS_WITH_AS(run("QuantizeLinear", {x, Tensor::scalar<float>(1.0f), Tensor::scalar<int32_t>(0)}),
                         doctest::Contains("unsupported quantized type"), Error);
}

TEST_CASE("MatMulInteger: zero points per tensor and per row / column, exact int32 results") {
    const Tensor a = Tensor::from_vector<uint8_t>(Shape{2, 3}, {255, 0, 1, 2, 3, 4});
    const Tensor b = Tensor::from_vector<uint8_t>(Shape{3, 2}, {255, 1, 255, 2, 0, 3});
    const Tensor y = run("MatMulInteger", {a, b, Tensor::from_vector<uint8_t>(Shape{2}, {1, 2}), Tensor::scalar<uint8_t>(0)});
    CHECK(y.dtype() == DType::i32);
    // row 0: (254, -1, 0), row 1: (0, 1, 2)
    CHECK(ints(y) == std::vector<int>{254 * 255 - 255, 254 - 2, 255, 2 + 6});
}

TEST_CASE("QLinearConv: per-channel weight scales and zero points, int32 bias, saturation") {
    const Tensor x = Tensor::from_vector<uint8_t>(Shape{1, 1, 2, 2}, {10, 20, 30, 40});
    const Tensor w = Tensor::from_vector<int8_t>(Shape{2, 1, 1, 1}, {1, -2});
    GraphBuilder g("qc");
    g.input("x", DType::u8, Shape{1, 1, 2, 2});
    const std::string out = g.node("QLinearConv", {"x", g.constant("xs", Tensor::scalar<float>(0.5f)), g.constant("xz", Tensor::scalar<uint8_t>(10)),
                                                   g.constant("w", w), g.constant("ws", Tensor::from_vector<float>(Shape{2}, {1.0f, 4.0f})),
                                                   g.constant("wz", Tensor::from_vector<int8_t>(Shape{2}, {0, 0})), g.constant("ys", Tensor::scalar<float>(1.0f)),
                                                   g.constant("yz", Tensor::scalar<uint8_t>(100)), g.constant("b", Tensor::from_vector<int32_t>(Shape{2}, {1, 0}))});
    g.output(out);
    CpuExecutor ex(g.build());
    const Tensor y = ex.run({x})[0];
    // channel 0: (x - 10 + 1) * 0.5 + 100: 100.5 -> 100 (half to even), 105.5 -> 106, 110.5 -> 110, 115.5 -> 116
    // channel 1: (x - 10) * -2 * 2 + 100: 100, 60, 20, -20 -> 0
    CHECK(ints(y) == std::vector<int>{100, 106, 110, 116, 100, 60, 20, 0});
}
