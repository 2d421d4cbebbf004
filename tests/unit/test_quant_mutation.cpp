// Quantization-aware mutation operators (mutate/quant_ops.hpp) on a QDQ pair as ONNX Runtime's
// quantizer writes it: x -> QuantizeLinear(s, z) -> DequantizeLinear(s, z) -> y, one scale and zero
// point initializer shared by both. Expected outputs are worked out by hand from ONNX's
// definitions: q = clip(round_half_even(x / s) + z), y = (q - z) * s.
#include <doctest/doctest.h>

#include "mutant_spec.hpp"
#include "support/support.hpp"

#include <cmath>
#include <string>
#include <vector>

#include <mutiny/mutiny.hpp>

using namespace mutiny;
using mutiny_test::contains;

namespace {

// s = 0.5, z = 0 (int8): x / s = 2 x.
Graph qdq_graph(int8_t zero_point = 0, bool with_zero_point = true) {
    GraphBuilder b("qdq");
    auto x = b.input("x", DType::f32, {-1});
    auto s = b.constant("s", Tensor::from_vector<float>(Shape{}, {0.5f}));
    std::vector<std::string> qin{x, s}, dqin;
    std::string z;
    if (with_zero_point) {
        z = b.constant("z", Tensor::from_vector<int8_t>(Shape{}, {zero_point}));
        qin.push_back(z);
    }
    Attributes none;
    auto q = b.node("QuantizeLinear", qin, none, "q");
    dqin = {q, s};
    if (with_zero_point) dqin.push_back(z);
    b.output(b.node("DequantizeLinear", dqin, none, "dq"));
    return b.build();
}

const Tensor kX = Tensor::from_vector<float>(Shape{6}, {0.25f, 0.75f, -0.25f, 0.6f, 63.9f, -64.2f});

std::vector<float> run_mutant(const Graph& g0, const MutantSpec& s) { return ::run_mutant(g0, s, {kX})[0].to_vector<float>(); }

}  // namespace

TEST_CASE("the unmutated QDQ pair rounds half to even and saturates") {
    CpuExecutor ex(qdq_graph());
    // 2x = 0.5 -> 0, 1.5 -> 2, -0.5 -> -0, 1.2 -> 1, 127.8 -> 127 (clip), -128.4 -> -128
    CHECK(ex.run({kX})[0].to_vector<float>() == std::vector<float>{0, 1, 0, 0.5f, 63.5f, -64});
}

TEST_CASE("QS scales the shared scale: both Q and DQ change, the grid moves") {
    const Graph g = qdq_graph();
    const Mutation m = apply_mutant(g, spec("QS", "node:q", {{"p", "1"}}));  // s = 1
    REQUIRE(m.weights.size() == 1);
    CHECK(m.weights[0].value == g.value_id("s"));
    CHECK(m.weights[0].after == std::vector<float>{1.0f});
    CHECK(m.changed_nodes == std::vector<int>{0, 1});  // every reader of s
    // x / 1: 0.25 -> 0, 0.75 -> 1, -0.25 -> -0, 0.6 -> 1, 63.9 -> 64, -64.2 -> -64
    CHECK(run_mutant(g, spec("QS", "node:q", {{"p", "1"}})) == std::vector<float>{0, 1, 0, 1, 64, -64});
}

TEST_CASE("QZ shifts an int8 zero point, saturating; apply and revert restore its bits") {
    Graph g = qdq_graph(126);
    const Mutation m = apply_mutant(g, spec("QZ", "node:dq", {{"d", "5"}}));
    REQUIRE(m.weights.size() == 1);
    CHECK(m.weights[0].before == std::vector<float>{126});
    CHECK(m.weights[0].after == std::vector<float>{127});  // saturated at int8's maximum
    apply_weights(g, m);
    CHECK(g.value(g.value_id("z")).constant.to_vector<int8_t>() == std::vector<int8_t>{127});
    revert_weights(g, m);
    CHECK(g.value(g.value_id("z")).constant.to_vector<int8_t>() == std::vector<int8_t>{126});
    // z = 127: q = clip(round(2x) + 127) leaves room for 0 above zero: every positive x becomes 0.
    CHECK(run_mutant(qdq_graph(126), spec("QZ", "node:dq", {{"d", "5"}})) == std::vector<float>{0, 0, 0, 0, 0, -64});
    // Already at the maximum: no bit changes, an equivalent mutant.
    const Outcome o = evaluate_mutant(qdq_graph(127), spec("QZ", "node:q"));
    CHECK(o.status == MutantStatus::equivalent);
}

TEST_CASE("QR changes how QuantizeLinear rounds; DequantizeLinear has no rounding site") {
    const Graph g = qdq_graph();
    // 2x = 0.5, 1.5, -0.5, 1.2, 127.8, -128.4
    CHECK(run_mutant(g, spec("QR", "node:q", {{"mode", "half_away"}})) == std::vector<float>{0.5f, 1, -0.5f, 0.5f, 63.5f, -64});
    CHECK(run_mutant(g, spec("QR", "node:q", {{"mode", "toward_zero"}})) == std::vector<float>{0, 0.5f, 0, 0.5f, 63.5f, -64});
    CHECK(run_mutant(g, spec("QR", "node:q", {{"mode", "floor"}})) == std::vector<float>{0, 0.5f, -0.5f, 0.5f, 63.5f, -64});
    CHECK(run_mutant(g, spec("QR", "node:q", {{"mode", "ceil"}})) == std::vector<float>{0.5f, 1, 0, 1, 63.5f, -64});
    EnumerateOptions eo;
    eo.ops = {"QR"};
    const auto ms = enumerate_mutants(g, eo);
    REQUIRE(ms.size() == 1);
    CHECK(ms[0].spec.target == "node:q");
}

TEST_CASE("QZ says why a node is not applicable") {
    const Graph g = qdq_graph(0, false);
    EnumerateOptions eo;
    eo.ops = {"QZ"};
    const std::string e = mutiny_test::error_of([&] { enumerate_mutants(g, eo); });
    CHECK(contains(e, "operator QZ does not apply"));
    CHECK(contains(e, "node 'q' (QuantizeLinear) has no zero point input (it is 0)"));
    CHECK(evaluate_mutant(g, spec("QZ", "node:dq")).status == MutantStatus::not_applicable);
    eo.ops = {"quant"};
    size_t qs = 0, qr = 0;
    for (const auto& m : enumerate_mutants(g, eo)) {
        qs += m.spec.op == "QS" && m.status == MutantStatus::ok;
        qr += m.spec.op == "QR" && m.status == MutantStatus::ok;
    }
    CHECK(qs == 2);
    CHECK(qr == 1);
}

TEST_CASE("QR reaches QLinearConv's and QLinearMatMul's requantization: ties move, exact values stay") {
    // QLinearConv, per-channel weight scales (1, 4) with x_scale 0.5: channel 0 is
    // (x - 10 + 1) * 0.5 + 100, a tie for every x (100.5, 105.5, 110.5, 115.5); channel 1 is
    // (x - 10) * -2 * 2 + 100, exact (100, 60, 20, -20 saturated to 0): no rounding mode moves it.
    GraphBuilder b("qc");
    const std::string x = b.input("x", DType::u8, Shape{1, 1, 2, 2});
    b.output(b.node("QLinearConv",
                    {x, b.constant("xs", Tensor::scalar<float>(0.5f)), b.constant("xz", Tensor::scalar<uint8_t>(10)),
                     b.constant("w", Tensor::from_vector<int8_t>(Shape{2, 1, 1, 1}, {1, -2})), b.constant("ws", Tensor::from_vector<float>(Shape{2}, {1.0f, 4.0f})),
                     b.constant("wz", Tensor::from_vector<int8_t>(Shape{2}, {0, 0})), b.constant("ys", Tensor::scalar<float>(1.0f)),
                     b.constant("yz", Tensor::scalar<uint8_t>(100)), b.constant("b", Tensor::from_vector<int32_t>(Shape{2}, {1, 0}))},
                    Attributes{}, "conv"));
    const Graph conv = b.build();
    const Tensor in = Tensor::from_vector<uint8_t>(Shape{1, 1, 2, 2}, {10, 20, 30, 40});
    auto conv_out = [&](const char* mode) { return run_mutant(conv, spec("QR", "node:conv", {{"mode", mode}}), {in})[0].to_vector<uint8_t>(); };
    CpuExecutor ex(conv);
    CHECK(ex.run({in})[0].to_vector<uint8_t>() == std::vector<uint8_t>{100, 106, 110, 116, 100, 60, 20, 0});  // half to even
    CHECK(conv_out("half_away") == std::vector<uint8_t>{101, 106, 111, 116, 100, 60, 20, 0});
    CHECK(conv_out("floor") == std::vector<uint8_t>{100, 105, 110, 115, 100, 60, 20, 0});
    CHECK(conv_out("ceil") == std::vector<uint8_t>{101, 106, 111, 116, 100, 60, 20, 0});
    CHECK(apply_mutant(conv, spec("QR", "node:conv")).weights.empty());  // a kernel site: no constant edited

    // QLinearMatMul [1, 2] x [2, 2], int8, scales 0.5 * 1 / 1: column 0 is (a0 + a1) * 0.5, column 1
    // a0 - a1 (exact). a = (3, 2): 2.5 -> 2 (even), toward_zero 2, ceil 3; a = (-3, -2): -2.5 -> -2, floor -3.
    GraphBuilder m("qm");
    const std::string a = m.input("a", DType::i8, Shape{1, 2});
    const Tensor zero = Tensor::scalar<int8_t>(0), one = Tensor::scalar<float>(1.0f);
    m.output(m.node("QLinearMatMul",
                    {a, m.constant("as", Tensor::scalar<float>(0.5f)), m.constant("az", zero), m.constant("b", Tensor::from_vector<int8_t>(Shape{2, 2}, {1, 2, 1, -2})),
                     m.constant("bs", one), m.constant("bz", zero), m.constant("ys", one), m.constant("yz", zero)},
                    Attributes{}, "mm"));
    const Graph mm = m.build();
    auto mm_out = [&](const char* mode, std::vector<int8_t> v) {
        const Tensor t = Tensor::from_vector<int8_t>(Shape{1, 2}, v);
        return run_mutant(mm, spec("QR", "node:mm", {{"mode", mode}}), {t})[0].to_vector<int8_t>();
    };
    CHECK(mm_out("toward_zero", {3, 2}) == std::vector<int8_t>{2, 1});
    CHECK(mm_out("ceil", {3, 2}) == std::vector<int8_t>{3, 1});
    CHECK(mm_out("floor", {-3, -2}) == std::vector<int8_t>{-3, -1});
    CHECK(mm_out("half_away", {-3, -2}) == std::vector<int8_t>{-3, -1});
    // An even sum: no tie, every mode gives the original.
    for (const char* mode : {"half_away", "toward_zero", "floor", "ceil"}) CHECK(mm_out(mode, {4, 2}) == std::vector<int8_t>{3, 2});
    EnumerateOptions eo;
    eo.ops = {"QR"};
    const auto ms = enumerate_mutants(mm, eo);
    REQUIRE(ms.size() == 1);
    CHECK(ms[0].status == MutantStatus::ok);
}
