// ONNX Runtime's contrib quantized ops (com.microsoft QLinearAdd, QLinearMul, QLinearSigmoid,
// QLinearLeakyRelu, QLinearGlobalAveragePool, QLinearAveragePool, QLinearConcat, QLinearSoftmax,
// QGemm; ops/quant/contrib_*.hpp): the fixtures of tools/make_contrib_quant_fixtures.py (one-node
// models and a CNN quantized by onnxruntime.quantization in QOperator format) match ONNX Runtime's
// CPU outputs exactly (no tolerance), the importer maps a com.microsoft node to its registry key and refuses other
// domains' ops by name, bad scales, zero points and input counts are clear errors, and the
// quantization mutation operators (QS, QZ, QR) reach the ops' output quantization.
#include <doctest/doctest.h>

#include "mutant_spec.hpp"
#include "support/support.hpp"

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <mutiny/mutiny.hpp>

using namespace mutiny;
using mutiny_test::contains;
using mutiny_test::error_of;

namespace {

std::filesystem::path fixtures() { return std::filesystem::path(MUTINY_SOURCE_DIR) / "tests" / "fixtures" / "contrib_quant"; }

// One node of `op` whose first input is fed at run time and the others are constants ("" absent).
Graph one_node(const std::string& op, const std::vector<Tensor>& in, Attributes at = {}) {
    GraphBuilder b("q");
    std::vector<std::string> names{b.input("x", in[0].dtype(), in[0].shape())};
    for (size_t i = 1; i < in.size(); ++i) names.push_back(in[i].empty() ? "" : b.constant("c" + std::to_string(i), in[i]));
    b.output(b.node(op, names, std::move(at)));
    return b.build();
}
Tensor run(const std::string& op, const std::vector<Tensor>& in, Attributes at = {}) {
    CpuExecutor ex(one_node(op, in, std::move(at)));
    return ex.run({in[0]})[0];
}

Tensor u8(std::vector<uint8_t> v) {
    const int64_t n = static_cast<int64_t>(v.size());
    return Tensor::from_vector<uint8_t>(Shape{n}, v);
}
Tensor f(float v) { return Tensor::scalar<float>(v); }

std::vector<int> ints(const Tensor& t) {
    std::vector<int> v;
    for (int64_t i = 0; i < t.numel(); ++i) v.push_back(static_cast<int>(t.get_i64(i)));
    return v;
}

}  // namespace

TEST_CASE("contrib quantized ops: every fixture matches ONNX Runtime exactly") {
    const auto tests = find_conformance_tests({fixtures().string()});
    REQUIRE(tests.size() == 47);  // the qgemm_zero_k_* references follow ORT's source (its 1.32 binary returns garbage there)
    for (const auto& dir : tests) {
        CAPTURE(dir.filename().string());
        // Integers compared with no tolerance and no fallback to ONNX's runner's.
        for (int threads : {1, 2}) {
            const ConformanceResult r = run_conformance_test(dir, Tolerance{0, 0}, threads, false);
            CHECK_MESSAGE(r.status == ConformanceResult::Status::pass, r.detail);
        }
    }
}

TEST_CASE("contrib quantized ops: a com.microsoft node imports as <domain>.<op>, other domains' ops are refused") {
    const Graph g = load_onnx((fixtures() / "qlinear_add_u8_broadcast" / "model.onnx").string());
    REQUIRE(g.nodes.size() == 1);
    CHECK(g.nodes[0].op == "com.microsoft.QLinearAdd");
    std::string e = error_of([] { load_onnx((fixtures() / "bad" / "unknown_contrib.onnx").string()); });
    CHECK(contains(e, "unsupported op 'com.microsoft.QLinearWhere'"));
    e = error_of([] { load_onnx((fixtures() / "bad" / "other_domain.onnx").string()); });
    CHECK(contains(e, "unsupported op 'com.example.Foo'"));
}

TEST_CASE("QLinearAdd / QLinearMul: omitted zero points are 0, ties round to even, results saturate") {
    // 5 * 0.5 + 0 * 1 = 2.5 -> 2 and 7 * 0.5 = 3.5 -> 4 (half to even); 200 * 0.5 + 255 * 1 = 355
    // and 255 * 0.5 + 255 saturate at 255. No zero point anywhere: ORT's type inference refuses
    // that model, so this is computed by hand.
    const Tensor a = u8({5, 7, 200, 255}), b = u8({0, 0, 255, 255});
    CHECK(ints(run("com.microsoft.QLinearAdd", {a, f(0.5f), Tensor(), b, f(1.0f), Tensor(), f(1.0f)})) == std::vector<int>{2, 4, 255, 255});
    // Mul: (a - 1) * (b - 2) * (0.5 * 0.25 / 0.25) + 3: (4 * -2) * 0.5 + 3 = -1 -> 0 (saturated), 8 * 2 * 0.5 + 3 = 11.
    CHECK(ints(run("com.microsoft.QLinearMul", {u8({5, 9}), f(0.5f), u8({1}), u8({0, 4}), f(0.25f), u8({2}), f(0.25f), u8({3})})) ==
          std::vector<int>{0, 11});
}

TEST_CASE("contrib quantized ops: a zero or negative scale, a wrong zero point type or input count are errors") {
    const Tensor x = u8({1, 2, 3});
    // A constant scale is checked when the graph is built.
    std::string e = error_of([&] { one_node("com.microsoft.QLinearAdd", {x, f(0.0f), u8({0}), x, f(1.0f), u8({0}), f(1.0f), u8({0})}); });
    CHECK(contains(e, "invalid quantization scale"));
    CHECK(contains(e, "scales must be positive"));
    e = error_of([&] { one_node("com.microsoft.QLinearSigmoid", {x, f(0.1f), u8({0}), f(-1.0f), u8({0})}); });
    CHECK(contains(e, "invalid quantization scale"));
    e = error_of([&] { one_node("com.microsoft.QLinearGlobalAveragePool", {Tensor(DType::u8, Shape{1, 2, 2}), f(0.1f), u8({0}), f(0.0f), u8({0})}); });
    CHECK(contains(e, "invalid quantization scale"));
    // A run-time scale is checked when the node runs.
    {
        GraphBuilder b("q");
        const std::string in = b.input("x", DType::u8, Shape{3}), s = b.input("s", DType::f32, Shape{});
        b.output(b.node("com.microsoft.QLinearLeakyRelu", {in, s, b.constant("z", u8({0})), b.constant("ys", f(1.0f))}));
        CpuExecutor ex(b.build());
        e = error_of([&] { ex.run({x, f(-0.5f)}); });
        CHECK(contains(e, "invalid quantization scale"));
    }
    // Zero point of another type than the quantized tensor.
    e = error_of([&] { one_node("com.microsoft.QLinearMul", {x, f(1.0f), Tensor::scalar<int8_t>(0), x, f(1.0f), u8({0}), f(1.0f), u8({0})}); });
    CHECK(contains(e, "A zero point type differs from the quantized tensor's"));
    e = error_of([&] { one_node("com.microsoft.QLinearSigmoid", {x, f(1.0f), u8({0}), f(1.0f), Tensor::scalar<int32_t>(0)}); });
    CHECK(contains(e, "Y zero point type differs"));
    // Input counts: QLinearAdd takes 7 or 8, the lookups 4 or 5, the pool 5.
    e = error_of([&] { one_node("com.microsoft.QLinearAdd", {x, f(1.0f), u8({0}), x, f(1.0f), u8({0})}); });
    CHECK(contains(e, "wrong number of inputs"));
    CHECK(contains(e, "6 given, 7..8 expected"));
    e = error_of([&] { one_node("com.microsoft.QLinearSigmoid", {x, f(1.0f), u8({0})}); });
    CHECK(contains(e, "3 given, 4..5 expected"));
    e = error_of([&] { one_node("com.microsoft.QLinearGlobalAveragePool", {Tensor(DType::u8, Shape{1, 2, 2}), f(1.0f), u8({0}), f(1.0f)}); });
    CHECK(contains(e, "4 given, 5 expected"));
    // Types and shapes: 16-bit data, per-channel scales, a rank-2 pool input.
    e = error_of([&] { one_node("com.microsoft.QLinearSigmoid", {Tensor(DType::u16, Shape{2}), f(1.0f), Tensor(), f(1.0f)}); });
    CHECK(contains(e, "unsupported quantized type"));
    e = error_of([&] { one_node("com.microsoft.QLinearAdd", {x, Tensor::from_vector<float>(Shape{3}, {1, 1, 1}), u8({0}), x, f(1.0f), u8({0}), f(1.0f)}); });
    CHECK(contains(e, "A scale is not per tensor"));
    e = error_of([&] { one_node("com.microsoft.QLinearGlobalAveragePool", {Tensor(DType::u8, Shape{2, 2}), f(1.0f), u8({0}), f(1.0f), u8({0})}); });
    CHECK(contains(e, "input rank below 3"));
}

TEST_CASE("QS, QZ and QR mutate a contrib op's output quantization") {
    // y = QLinearAdd(a, b) with sA = sB = sC = 1 and zero points 0: C = a + b, a fed at run time.
    GraphBuilder b("q");
    const std::string a = b.input("x", DType::u8, Shape{3});
    const std::string one = b.constant("one", f(1.0f)), z = b.constant("z", u8({0})), cb = b.constant("b", u8({1, 2, 3}));
    const std::string cs = b.constant("cs", f(1.0f)), cz = b.constant("cz", u8({0}));
    b.output(b.node("com.microsoft.QLinearAdd", {a, one, z, cb, one, z, cs, cz}, {}, "add"));
    const Graph g = b.build();
    const Tensor x = u8({10, 20, 30});
    auto run = [&](const Graph& graph, const MutantSpec& sp) { return ints(run_mutant(graph, sp, {x})[0]); };
    CHECK(run(g, spec("QZ", "node:add", {{"d", "3"}})) == std::vector<int>{14, 25, 36});
    // C's scale x 4: (11, 22, 33) / 4 = 2.75, 5.5, 8.25 -> 3, 6 (half to even), 8.
    CHECK(run(g, spec("QS", "node:add", {{"p", "3"}})) == std::vector<int>{3, 6, 8});
    // The rounding site (a kernel site, no constant edited): floor, on the same scale x 4.
    Graph scaled = g;
    scaled.value(scaled.nodes[0].input(6)).constant = f(4.0f);
    CHECK(apply_mutant(scaled, spec("QR", "node:add", {{"mode", "floor"}})).weights.empty());
    CHECK(run(scaled, spec("QR", "node:add", {{"mode", "floor"}})) == std::vector<int>{2, 5, 8});
    CHECK(run(scaled, spec("QR", "node:add", {{"mode", "ceil"}})) == std::vector<int>{3, 6, 9});
    // Every quant operator finds the node: QS and QZ its output scale and zero point, QR its rounding.
    EnumerateOptions eo;
    eo.ops = {"quant"};
    std::vector<std::string> found;
    for (const auto& mm : enumerate_mutants(g, eo))
        if (mm.status == MutantStatus::ok) found.push_back(mm.spec.op + " " + mm.spec.target);
    CHECK(found == std::vector<std::string>{"QS node:add", "QZ node:add", "QR node:add"});
}

TEST_CASE("QLinearConcat, QLinearSoftmax, QLinearAveragePool and QGemm: bad attributes, inputs and shapes are errors") {
    const Tensor x = u8({1, 2, 3});
    const Tensor m23(DType::u8, Shape{2, 3});
    Attributes axis0;
    axis0.set_int("axis", 0);
    // QLinearConcat: (Y_scale, Y_zero_point) first, then (X, X_scale, X_zero_point) triples. The
    // helper feeds input 0 at run time, so Y_scale is the fed one here.
    std::string e = error_of([&] { one_node("com.microsoft.QLinearConcat", {f(1.0f), u8({0}), x, f(1.0f), u8({0}), x, f(1.0f)}, axis0); });
    CHECK(contains(e, "inputs are not (X, X_scale, X_zero_point) triples"));
    e = error_of([&] { one_node("com.microsoft.QLinearConcat", {f(1.0f), u8({0}), x, f(1.0f), u8({0})}); });
    CHECK(contains(e, "missing attribute 'axis'"));
    e = error_of([&] { one_node("com.microsoft.QLinearConcat", {f(1.0f), u8({0}), m23, f(1.0f), u8({0}), x, f(1.0f), u8({0})}, axis0); });
    CHECK(contains(e, "input shapes do not fit"));
    e = error_of([&] { one_node("com.microsoft.QLinearConcat", {f(1.0f), u8({0}), x, f(1.0f), u8({0}), Tensor::scalar<int8_t>(1), f(1.0f), u8({0})}, axis0); });
    CHECK(contains(e, "input 1 type differs from the output's"));
    e = error_of([&] { one_node("com.microsoft.QLinearConcat", {f(1.0f), u8({0}), x, f(0.0f), u8({0})}, axis0); });
    CHECK(contains(e, "invalid quantization scale"));
    // QLinearSoftmax needs `opset` (ORT requires it: it picks the axis semantics).
    e = error_of([&] { one_node("com.microsoft.QLinearSoftmax", {m23, f(0.1f), u8({0}), f(1.0f / 256), u8({0})}); });
    CHECK(contains(e, "missing attribute 'opset'"));
    Attributes bad_axis;
    bad_axis.set_int("opset", 13);
    bad_axis.set_int("axis", 2);
    e = error_of([&] { one_node("com.microsoft.QLinearSoftmax", {m23, f(0.1f), u8({0}), f(1.0f / 256), u8({0})}, bad_axis); });
    CHECK(contains(e, "axis"));
    // QLinearAveragePool: dilations (ORT's kernel ignores them) and a missing kernel shape.
    Attributes pool;
    pool.set_ints("kernel_shape", {2, 2});
    pool.set_ints("dilations", {2, 1});
    const Tensor img(DType::u8, Shape{1, 1, 4, 4});
    e = error_of([&] { one_node("com.microsoft.QLinearAveragePool", {img, f(0.1f), u8({0}), f(0.1f), u8({0})}, pool); });
    CHECK(contains(e, "unsupported dilations"));
    e = error_of([&] { one_node("com.microsoft.QLinearAveragePool", {img, f(0.1f), u8({0}), f(0.1f), u8({0})}); });
    CHECK(contains(e, "missing attribute 'kernel_shape'"));
    // QGemm: inner dimensions, bias shape, int8 A with uint8 B, per-column scale length.
    const Tensor a(DType::u8, Shape{2, 3});
    auto qgemm = [&](const Tensor& b, const Tensor& bs, const Tensor& bz, const Tensor& c) {
        return error_of([&] { one_node("com.microsoft.QGemm", {a, f(0.1f), u8({0}), b, bs, bz, c, f(0.5f), u8({0})}); });
    };
    const Tensor b34(DType::i8, Shape{3, 4}), z8 = Tensor::scalar<int8_t>(0);
    e = qgemm(Tensor(DType::i8, Shape{4, 4}), f(0.1f), z8, Tensor());
    CHECK(contains(e, "QGemm inner dimensions differ"));
    e = qgemm(b34, f(0.1f), z8, Tensor(DType::i32, Shape{3}));
    CHECK(contains(e, "bias C does not broadcast to the output"));
    e = qgemm(b34, Tensor::from_vector<float>(Shape{3}, {0.1f, 0.1f, 0.1f}), Tensor::from_vector<int8_t>(Shape{3}, {0, 0, 0}), Tensor());
    CHECK(contains(e, "b scale does not fit"));
    e = qgemm(b34, Tensor::from_vector<float>(Shape{4}, {0.1f, 0.1f, 0.1f, 0.1f}), z8, Tensor());
    CHECK(contains(e, "b scale and zero point shapes differ"));
    e = error_of([&] {
        one_node("com.microsoft.QGemm", {Tensor(DType::i8, Shape{2, 3}), f(0.1f), Tensor::scalar<int8_t>(0), Tensor(DType::u8, Shape{3, 4}), f(0.1f), u8({0})});
    });
    CHECK(contains(e, "A is int8 and B uint8"));
}

TEST_CASE("QLinearSoftmax: rows by hand, a saturated probability of 1 and the rounding site") {
    // X_scale 1, rows of 4. Row (0, 0, 0, 0): every e is t[255], s = 4 t[255] (exact: powers of
    // two), each output e * floor(1 / Y_scale) / s. Row (200, 0, 0, 0): e^-200 t[255] underflows to
    // 0 beside t[255], so the first output is floor(1 / Y_scale) and the others 0.
    Attributes at;
    at.set_int("opset", 13);
    const Tensor x = Tensor::from_vector<uint8_t>(Shape{2, 4}, {0, 0, 0, 0, 200, 0, 0, 0});
    // Y_scale 1/256: 256 / 4 = 64 each; 256 saturates at 255.
    CHECK(ints(run("com.microsoft.QLinearSoftmax", {x, f(1.0f), u8({0}), f(1.0f / 256), u8({0})}, at)) == std::vector<int>{64, 64, 64, 64, 255, 0, 0, 0});
    // Y_scale 1/2: 2 / 4 = 0.5, a tie: half to even gives 0, the QR site's half_away and ceil 1.
    GraphBuilder b("s");
    b.output(b.node("com.microsoft.QLinearSoftmax",
                    {b.input("x", DType::u8, Shape{2, 4}), b.constant("xs", f(1.0f)), b.constant("xz", u8({0})), b.constant("ys", f(0.5f)),
                     b.constant("yz", u8({0}))},
                    at, "sm"));
    const Graph g = b.build();
    CpuExecutor ex(g);
    CHECK(ints(ex.run({x})[0]) == std::vector<int>{0, 0, 0, 0, 2, 0, 0, 0});
    CHECK(ints(run_mutant(g, spec("QR", "node:sm", {{"mode", "half_away"}}), {x})[0]) == std::vector<int>{1, 1, 1, 1, 2, 0, 0, 0});
    CHECK(ints(run_mutant(g, spec("QR", "node:sm", {{"mode", "ceil"}}), {x})[0]) == std::vector<int>{1, 1, 1, 1, 2, 0, 0, 0});
    CHECK(ints(run_mutant(g, spec("QR", "node:sm", {{"mode", "floor"}}), {x})[0]) == std::vector<int>{0, 0, 0, 0, 2, 0, 0, 0});
}

TEST_CASE("QS, QZ and QR find the new contrib ops of the QOperator CNN quantized by onnxruntime.quantization") {
    const Graph g = load_onnx((fixtures() / "qoperator_cnn" / "model.onnx").string());
    EnumerateOptions eo;
    eo.ops = {"quant"};
    std::map<std::string, std::set<std::string>> found;  // op type -> operators with a runnable mutant
    for (const auto& mm : enumerate_mutants(g, eo)) {
        if (mm.status != MutantStatus::ok) continue;
        const std::string node = mm.spec.target.substr(mm.spec.target.find(':') + 1);
        for (const Node& n : g.nodes)
            if (n.name == node) found[n.op].insert(mm.spec.op);
    }
    for (const char* op : {"com.microsoft.QLinearAveragePool", "com.microsoft.QLinearConcat", "com.microsoft.QGemm", "com.microsoft.QLinearSoftmax",
                           "QLinearConv"}) {
        CAPTURE(op);
        CHECK(found[op] == std::set<std::string>{"QR", "QS", "QZ"});
    }
    // The original equals ORT's probabilities; a QR mutant (ceil) of the QGemm moves its uint8
    // logits (the Softmax after it may absorb a shift common to a row).
    const std::filesystem::path set = fixtures() / "qoperator_cnn" / "test_data_set_0";
    const Tensor in = load_onnx_tensor((set / "input_0.pb").string());
    CpuExecutor ex(g);
    CHECK(ex.run({in})[0].to_vector<float>() == load_onnx_tensor((set / "output_0.pb").string()).to_vector<float>());
    Graph logits = g;
    std::string gemm;
    for (const Node& n : g.nodes)
        if (n.op == "com.microsoft.QGemm") {
            logits.outputs = {n.outputs[0]};
            gemm = "node:" + n.name;
        }
    REQUIRE(!gemm.empty());
    CpuExecutor plain(logits);
    const std::vector<int> before = ints(plain.run({in})[0]), after = ints(run_mutant(logits, spec("QR", gemm, {{"mode", "ceil"}}), {in})[0]);
    REQUIRE(before.size() == 20);
    int up = 0;
    for (size_t i = 0; i < before.size(); ++i) {
        CHECK((after[i] == before[i] || after[i] == before[i] + 1));  // ceil moves a value up by at most one step
        up += after[i] == before[i] + 1;
    }
    CHECK(up > 0);
}
