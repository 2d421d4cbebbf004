// The tensor-generating, index and normalisation ops added for the ONNX node tests (which cover
// their common cases): Trilu, Range, EyeLike, OneHot, CumSum, DepthToSpace, SpaceToDepth,
// CastLike, LayerNormalization, MeanVarianceNormalization, Hardmax, Compress, NonZero,
// ReverseSequence, Det. Hand-checked values, the legacy opsets import() handles, a clear Error for
// each bad input, and bitwise equality across thread counts.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <mutiny/mutiny.hpp>

using namespace mutiny;

namespace {

// One node: `x` fed at run time, the other inputs constants (an empty tensor: an absent input).
std::vector<Tensor> run_op(const std::string& op, const Tensor& x, const std::vector<Tensor>& consts, Attributes at = {},
                           size_t outputs = 1, int threads = 2) {
    GraphBuilder b("t");
    b.input("x", x.dtype(), x.shape());
    std::vector<std::string> in{"x"};
    for (size_t i = 0; i < consts.size(); ++i)
        in.push_back(consts[i].raw() || consts[i].numel() == 0 ? b.constant("c" + std::to_string(i), consts[i]) : "");
    for (const auto& o : b.nodes(op, in, outputs, at)) b.output(o);
    CpuOptions opt;
    opt.threads = threads;
    CpuExecutor ex(b.build(), opt);
    return ex.run({x});
}
Tensor run1(const std::string& op, const Tensor& x, const std::vector<Tensor>& consts = {}, Attributes at = {}) {
    return run_op(op, x, consts, std::move(at))[0];
}

// A node imported from `opset`: import() runs on the raw node before validation.
Tensor run_imported(const std::string& op, int64_t opset, const Tensor& x, const std::vector<Tensor>& consts, Attributes at) {
    Graph g;
    g.add_input("x", x.dtype(), x.shape());
    Node n;
    n.op = op;
    n.name = "n";
    n.attrs = std::move(at);
    n.inputs.push_back(g.value_id("x"));
    for (size_t i = 0; i < consts.size(); ++i) n.inputs.push_back(g.add_constant("c" + std::to_string(i), consts[i]));
    n.outputs.push_back(g.add_value("y"));
    g.nodes.push_back(n);
    ImportContext ic;
    ic.graph = &g;
    ic.node = &g.nodes[0];
    ic.opset = opset;
    const OpDef& d = Registry::instance().get(op, "test");
    if (d.import) d.import(ic);
    g.outputs.push_back(g.value_id("y"));
    validate(g);
    CpuExecutor ex(g);
    return ex.run({x})[0];
}

template <class T>
std::vector<T> vals(const Tensor& t) {
    return std::vector<T>(t.data<T>(), t.data<T>() + t.numel());
}
Tensor f32(Shape s, std::vector<float> v) { return Tensor::from_vector<float>(std::move(s), v); }
Tensor i64(Shape s, std::vector<int64_t> v) { return Tensor::from_vector<int64_t>(std::move(s), v); }
Tensor iota(Shape s) {
    std::vector<float> v(static_cast<size_t>(s.numel()));
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i + 1);
    return f32(std::move(s), v);
}
Attributes ints(std::initializer_list<std::pair<const char*, int64_t>> kv) {
    Attributes a;
    for (auto& p : kv) a.set_int(p.first, p.second);
    return a;
}

}  // namespace

TEST_CASE("Trilu: upper and lower triangles with a diagonal offset, batched") {
    const Tensor x = iota(Shape{3, 4});
    CHECK(vals<float>(run1("Trilu", x)) == std::vector<float>{1, 2, 3, 4, 0, 6, 7, 8, 0, 0, 11, 12});
    CHECK(vals<float>(run1("Trilu", x, {Tensor::scalar<int64_t>(-1)}, ints({{"upper", 0}}))) ==
          std::vector<float>{0, 0, 0, 0, 5, 0, 0, 0, 9, 10, 0, 0});
    CHECK(vals<float>(run1("Trilu", x, {Tensor::scalar<int64_t>(2)})) == std::vector<float>{0, 0, 3, 4, 0, 0, 0, 8, 0, 0, 0, 0});
    CHECK(vals<float>(run1("Trilu", x, {Tensor::scalar<int64_t>(-5)})) == vals<float>(x));
    const Tensor b = Tensor::from_vector<int32_t>(Shape{2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
    CHECK(vals<int32_t>(run1("Trilu", b, {}, ints({{"upper", 0}}))) == std::vector<int32_t>{1, 0, 3, 4, 5, 0, 7, 8});
    CHECK_THROWS_WITH_AS(run1("Trilu", iota(Shape{4})), doctest::Contains("rank < 2"), Error);
    CHECK_THROWS_WITH_AS(run1("Trilu", x, {i64(Shape{2}, {1, 2})}), doctest::Contains("one element"), Error);
    CHECK_THROWS_WITH_AS(run1("Trilu", x, {Tensor::scalar<float>(1)}), doctest::Contains("dtype"), Error);
}

TEST_CASE("Range: integer and float sequences, lengths, and constant bounds") {
    auto range = [&](const Tensor& s, const Tensor& l, const Tensor& d) {
        GraphBuilder g("range");
        g.output(g.node("Range", {g.constant("s", s), g.constant("l", l), g.constant("d", d)}));
        CpuExecutor ex(g.build());
        return ex.run({})[0];
    };
    const Tensor a = range(Tensor::scalar<int32_t>(10), Tensor::scalar<int32_t>(4), Tensor::scalar<int32_t>(-2));
    CHECK(a.dtype() == DType::i32);
    CHECK(vals<int32_t>(a) == std::vector<int32_t>{10, 8, 6});
    CHECK(range(Tensor::scalar<int64_t>(3), Tensor::scalar<int64_t>(9), Tensor::scalar<int64_t>(3)).numel() == 2);
    CHECK(range(Tensor::scalar<int64_t>(3), Tensor::scalar<int64_t>(3), Tensor::scalar<int64_t>(1)).numel() == 0);
    CHECK(range(Tensor::scalar<int64_t>(5), Tensor::scalar<int64_t>(0), Tensor::scalar<int64_t>(1)).numel() == 0);
    // Each value is start + i * delta, rounded once (not an accumulated sum).
    const Tensor f = range(Tensor::scalar<float>(1), Tensor::scalar<float>(2), Tensor::scalar<float>(0.3f));
    REQUIRE(f.numel() == 4);
    CHECK(f.data<float>()[3] == static_cast<float>(1.0 + 3.0 * static_cast<double>(0.3f)));
    CHECK_THROWS_WITH_AS(range(Tensor::scalar<int64_t>(0), Tensor::scalar<int64_t>(5), Tensor::scalar<int64_t>(0)),
                         doctest::Contains("delta is zero"), Error);
    CHECK_THROWS_WITH_AS(range(Tensor::scalar<int64_t>(0), Tensor::scalar<int32_t>(5), Tensor::scalar<int64_t>(1)),
                         doctest::Contains("differ in dtype"), Error);
    CHECK_THROWS_WITH_AS(range(Tensor::scalar<uint8_t>(0), Tensor::scalar<uint8_t>(5), Tensor::scalar<uint8_t>(1)),
                         doctest::Contains("unsupported Range dtype"), Error);
    // A bound fed at run time: the output length is known per run, one executor, two lengths.
    GraphBuilder g("range");
    g.input("s", DType::i64, Shape{});
    g.output(g.node("Range", {"s", g.constant("l", Tensor::scalar<int64_t>(4)), g.constant("d", Tensor::scalar<int64_t>(1))}));
    CpuExecutor ex(g.build());
    CHECK(vals<int64_t>(ex.run({Tensor::scalar<int64_t>(1)})[0]) == std::vector<int64_t>{1, 2, 3});
    CHECK(vals<int64_t>(ex.run({Tensor::scalar<int64_t>(-2)})[0]) == std::vector<int64_t>{-2, -1, 0, 1, 2, 3});
}

TEST_CASE("EyeLike: diagonal k, dtype from the attribute or the input") {
    const Tensor x(DType::f32, Shape{3, 4});
    Tensor y = run1("EyeLike", x, {}, ints({{"k", 1}, {"dtype", 7}}));
    CHECK(y.dtype() == DType::i64);
    CHECK(vals<int64_t>(y) == std::vector<int64_t>{0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1});
    y = run1("EyeLike", Tensor::from_vector<int32_t>(Shape{2, 2}, {5, 5, 5, 5}), {}, ints({{"k", -1}}));
    CHECK(y.dtype() == DType::i32);
    CHECK(vals<int32_t>(y) == std::vector<int32_t>{0, 0, 1, 0});
    CHECK(vals<float>(run1("EyeLike", x, {}, ints({{"k", 7}}))) == std::vector<float>(12, 0.0f));
    CHECK_THROWS_WITH_AS(run1("EyeLike", Tensor(DType::f32, Shape{2, 2, 2})), doctest::Contains("not 2-D"), Error);
    CHECK_THROWS_WITH_AS(run1("EyeLike", x, {}, ints({{"dtype", 8}})), doctest::Contains("unsupported"), Error);
}

TEST_CASE("OneHot: axis, negative indices, out-of-range lines, legacy opset 9") {
    const Tensor idx = i64(Shape{4}, {0, -1, 3, 5});
    const Tensor depth = Tensor::scalar<int64_t>(4);
    const Tensor onoff = f32(Shape{2}, {-1, 7});
    Tensor y = run1("OneHot", idx, {depth, onoff});
    CHECK(y.shape() == Shape{4, 4});
    CHECK(vals<float>(y) == std::vector<float>{7, -1, -1, -1, -1, -1, -1, 7, -1, -1, -1, 7, -1, -1, -1, -1});
    y = run1("OneHot", idx, {depth, onoff}, ints({{"axis", 0}}));
    CHECK(vals<float>(y) == std::vector<float>{7, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 7, 7, -1});
    // Float indices and depth are truncated; the output takes values' dtype.
    y = run1("OneHot", f32(Shape{2}, {1.7f, 0.2f}), {Tensor::scalar<float>(3.9f), Tensor::from_vector<int32_t>(Shape{2}, {0, 1})});
    CHECK(y.dtype() == DType::i32);
    CHECK(vals<int32_t>(y) == std::vector<int32_t>{0, 1, 0, 1, 0, 0});
    // Opset 9: a negative index is out of range.
    y = run_imported("OneHot", 9, idx, {depth, onoff}, {});
    CHECK(vals<float>(y)[4 + 3] == -1);
    CHECK_THROWS_WITH_AS(run1("OneHot", idx, {depth, f32(Shape{3}, {0, 1, 2})}), doctest::Contains("off_value, on_value"), Error);
    CHECK_THROWS_WITH_AS(run1("OneHot", idx, {Tensor::scalar<int64_t>(0), onoff}), doctest::Contains("not positive"), Error);
    CHECK_THROWS_WITH_AS(run1("OneHot", idx, {depth, onoff}, ints({{"axis", 2}})), doctest::Contains("axis out of range"), Error);
    // Depth fed at run time: the output width is known per run.
    GraphBuilder g("onehot");
    g.input("i", DType::i64, Shape{4});
    g.input("d", DType::i64, Shape{});
    g.output(g.node("OneHot", {"i", "d", g.constant("v", onoff)}));
    CpuExecutor ex(g.build());
    const Tensor fed = ex.run({idx, depth})[0];
    CHECK(fed.bitwise_equal(run1("OneHot", idx, {depth, onoff})));
}

TEST_CASE("CumSum: exclusive, reverse, axes, and one rounding per output") {
    const Tensor x = f32(Shape{3}, {1, 2, 3});
    const Tensor ax = Tensor::scalar<int64_t>(0);
    CHECK(vals<float>(run1("CumSum", x, {ax})) == std::vector<float>{1, 3, 6});
    CHECK(vals<float>(run1("CumSum", x, {ax}, ints({{"exclusive", 1}}))) == std::vector<float>{0, 1, 3});
    CHECK(vals<float>(run1("CumSum", x, {ax}, ints({{"reverse", 1}}))) == std::vector<float>{6, 5, 3});
    CHECK(vals<float>(run1("CumSum", x, {ax}, ints({{"reverse", 1}, {"exclusive", 1}}))) == std::vector<float>{5, 3, 0});
    const Tensor m = Tensor::from_vector<int32_t>(Shape{2, 3}, {1, 2, 3, 4, 5, 6});
    CHECK(vals<int32_t>(run1("CumSum", m, {Tensor::scalar<int32_t>(-1)})) == std::vector<int32_t>{1, 3, 6, 4, 9, 15});
    CHECK(vals<int32_t>(run1("CumSum", m, {i64(Shape{1}, {0})})) == std::vector<int32_t>{1, 2, 3, 5, 7, 9});
    // A float32 running sum would lose the 1 (1e8 + 1 rounds to 1e8); the double sum keeps it.
    CHECK(vals<float>(run1("CumSum", f32(Shape{3}, {1e8f, 1, -1e8f}), {ax}))[2] == 1.0f);
    CHECK_THROWS_WITH_AS(run1("CumSum", x, {Tensor::scalar<int64_t>(1)}), doctest::Contains("axis out of range"), Error);
    CHECK_THROWS_WITH_AS(run1("CumSum", x, {Tensor::scalar<float>(0)}), doctest::Contains("axis dtype"), Error);
    CHECK_THROWS_WITH_AS(run1("CumSum", x, {i64(Shape{2}, {0, 0})}), doctest::Contains("one element"), Error);
}

TEST_CASE("DepthToSpace (DCR, CRD) and SpaceToDepth") {
    const Tensor x = Tensor::from_vector<int32_t>(Shape{1, 8, 1, 1}, {0, 1, 2, 3, 4, 5, 6, 7});
    Attributes a = ints({{"blocksize", 2}});
    Tensor y = run1("DepthToSpace", x, {}, a);
    CHECK(y.shape() == Shape{1, 2, 2, 2});
    CHECK(vals<int32_t>(y) == std::vector<int32_t>{0, 2, 4, 6, 1, 3, 5, 7});
    Attributes crd = a;
    crd.set_string("mode", "CRD");
    CHECK(vals<int32_t>(run1("DepthToSpace", x, {}, crd)) == std::vector<int32_t>{0, 1, 2, 3, 4, 5, 6, 7});
    // SpaceToDepth inverts DepthToSpace (DCR), on a larger shape.
    const Tensor big = iota(Shape{2, 12, 3, 5});
    const Tensor s = run1("DepthToSpace", big, {}, a);
    CHECK(s.shape() == Shape{2, 3, 6, 10});
    CHECK(vals<float>(run1("SpaceToDepth", s, {}, a)) == vals<float>(big));
    CHECK_THROWS_WITH_AS(run1("DepthToSpace", x), doctest::Contains("blocksize"), Error);
    CHECK_THROWS_WITH_AS(run1("DepthToSpace", x, {}, ints({{"blocksize", 3}})), doctest::Contains("not divisible"), Error);
    Attributes bad = a;
    bad.set_string("mode", "RCD");
    CHECK_THROWS_WITH_AS(run1("DepthToSpace", x, {}, bad), doctest::Contains("mode"), Error);
    CHECK_THROWS_WITH_AS(run1("SpaceToDepth", iota(Shape{1, 1, 3, 4}), {}, a), doctest::Contains("not divisible"), Error);
    CHECK_THROWS_WITH_AS(run1("SpaceToDepth", iota(Shape{4, 4}), {}, a), doctest::Contains("not 4-D"), Error);
}

TEST_CASE("CastLike: casts to the second input's dtype") {
    const Tensor y = run1("CastLike", f32(Shape{3}, {1.5f, -2.7f, 300.0f}), {Tensor::scalar<int32_t>(0)});
    CHECK(y.dtype() == DType::i32);
    CHECK(vals<int32_t>(y) == std::vector<int32_t>{1, -2, 300});
}

TEST_CASE("LayerNormalization: Y, Mean and InvStdDev by hand; broadcast Scale; errors") {
    const Tensor x = f32(Shape{2, 3}, {1, 2, 3, 4, 6, 8});
    Attributes a;
    a.set_float("epsilon", 0.0);
    const auto out = run_op("LayerNormalization", x, {f32(Shape{3}, {2, 1, 0.5f}), f32(Shape{3}, {0, 1, 0})}, a, 3);
    const float r = static_cast<float>(std::sqrt(1.5));
    const float y[] = {-2 * r, 1, 0.5f * r};
    for (int i = 0; i < 6; ++i) CHECK(out[0].data<float>()[i] == doctest::Approx(y[i % 3]).epsilon(1e-7));
    CHECK(out[1].shape() == Shape{2, 1});
    CHECK(vals<float>(out[1]) == std::vector<float>{2, 6});
    CHECK(out[2].data<float>()[0] == static_cast<float>(std::sqrt(1.5)));
    CHECK(out[2].data<float>()[1] == static_cast<float>(std::sqrt(3.0 / 8.0)));
    // axis 0 normalises everything; a [1]-shaped Scale broadcasts; no B.
    a.set_int("axis", 0);
    const Tensor all = run_op("LayerNormalization", x, {f32(Shape{1}, {1})}, a)[0];
    double s = 0;
    for (float v : vals<float>(all)) s += v;
    CHECK(std::fabs(s) < 1e-6);
    // stash_type 11: Mean in double.
    a.set_int("stash_type", 11);
    CHECK(run_op("LayerNormalization", x, {f32(Shape{1}, {1})}, a, 2)[1].dtype() == DType::f64);
    a.set_int("stash_type", 7);
    CHECK_THROWS_WITH_AS(run_op("LayerNormalization", x, {f32(Shape{1}, {1})}, a), doctest::Contains("stash_type"), Error);
    CHECK_THROWS_WITH_AS(run1("LayerNormalization", x, {f32(Shape{2}, {1, 1})}), doctest::Contains("does not broadcast"), Error);
    CHECK_THROWS_WITH_AS(run1("LayerNormalization", x, {Tensor::from_vector<double>(Shape{3}, {1, 1, 1})}), doctest::Contains("dtype differs"), Error);
    CHECK_THROWS_WITH_AS(run1("LayerNormalization", Tensor::from_vector<int32_t>(Shape{3}, {1, 2, 3}), {Tensor::from_vector<int32_t>(Shape{3}, {1, 1, 1})}),
                         doctest::Contains("dtype"), Error);
    CHECK_THROWS_WITH_AS(run1("LayerNormalization", x, {f32(Shape{3}, {1, 1, 1})}, ints({{"axis", 2}})), doctest::Contains("axis out of range"), Error);
}

TEST_CASE("MeanVarianceNormalization: per-channel by default, and over given axes") {
    const Tensor x = f32(Shape{1, 2, 1, 2}, {1, 3, 10, 20});
    CHECK(vals<float>(run1("MeanVarianceNormalization", x)) == std::vector<float>{-1, 1, -1, 1});
    Attributes a;
    a.set_ints("axes", {1, 3});
    // All four values: mean 8.5, variance (7.5^2 + 5.5^2 + 1.5^2 + 11.5^2) / 4 = 55.25.
    const Tensor y = run1("MeanVarianceNormalization", x, {}, a);
    CHECK(y.data<float>()[0] == static_cast<float>(-7.5 / (std::sqrt(55.25) + 1e-9)));
    CHECK(y.data<float>()[3] == static_cast<float>(11.5 / (std::sqrt(55.25) + 1e-9)));
    a.set_ints("axes", {4});
    CHECK_THROWS_WITH_AS(run1("MeanVarianceNormalization", x, {}, a), doctest::Contains("axis out of range"), Error);
    CHECK_THROWS_WITH_AS(run1("MeanVarianceNormalization", Tensor::from_vector<int32_t>(Shape{1, 1, 1, 1}, {1})), doctest::Contains("dtype"), Error);
}

TEST_CASE("Hardmax: the first maximum, NaN first; legacy opsets flatten the trailing axes") {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const Tensor x = f32(Shape{3, 3}, {1, 3, 3, 2, nan, 5, -1, -2, -3});
    CHECK(vals<float>(run1("Hardmax", x)) == std::vector<float>{0, 1, 0, 0, 1, 0, 1, 0, 0});
    CHECK(vals<float>(run1("Hardmax", x, {}, ints({{"axis", 0}}))) == std::vector<float>{0, 0, 0, 1, 1, 1, 0, 0, 0});
    // Opset 11, axis 1 (default) of [1, 2, 2]: one maximum over all four elements.
    const Tensor z = f32(Shape{1, 2, 2}, {1, 4, 9, 2});
    CHECK(vals<float>(run_imported("Hardmax", 11, z, {}, {})) == std::vector<float>{0, 0, 1, 0});
    CHECK(vals<float>(run_imported("Hardmax", 13, z, {}, {})) == std::vector<float>{0, 1, 1, 0});
    CHECK_THROWS_WITH_AS(run1("Hardmax", x, {}, ints({{"axis", 2}})), doctest::Contains("axis out of range"), Error);
}

TEST_CASE("the new ops give bitwise the same results on 1 and 2 threads") {
    std::vector<float> v(64 * 1031);
    uint64_t s = 88172645463325252ull;
    for (auto& e : v) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        e = static_cast<float>(static_cast<int64_t>(s % 20001) - 10000) / 997.0f;
    }
    const Tensor x = f32(Shape{64, 1031}, v);
    Attributes ln;
    ln.set_int("axis", 1);
    const Tensor scale = f32(Shape{1031}, std::vector<float>(1031, 1.5f));
    for (int axis : {0, 1}) {
        const Tensor ax = Tensor::scalar<int64_t>(axis);
        CHECK(run_op("CumSum", x, {ax}, {}, 1, 1)[0].bitwise_equal(run_op("CumSum", x, {ax}, {}, 1, 2)[0]));
    }
    CHECK(run_op("LayerNormalization", x, {scale}, ln, 3, 1)[0].bitwise_equal(run_op("LayerNormalization", x, {scale}, ln, 3, 2)[0]));
    CHECK(run_op("Hardmax", x, {}, {}, 1, 1)[0].bitwise_equal(run_op("Hardmax", x, {}, {}, 1, 2)[0]));
    v.resize(4 * 16 * 31 * 33);
    const Tensor x4 = f32(Shape{4, 16, 31, 33}, v);
    CHECK(run_op("MeanVarianceNormalization", x4, {}, {}, 1, 1)[0].bitwise_equal(run_op("MeanVarianceNormalization", x4, {}, {}, 1, 2)[0]));
}

TEST_CASE("Compress: along an axis, flattened, short conditions; the condition must be constant") {
    const Tensor x = iota(Shape{3, 2});
    auto cond = [](std::vector<uint8_t> v) {
        Tensor t(DType::boolean, Shape{static_cast<int64_t>(v.size())});
        for (size_t i = 0; i < v.size(); ++i) t.data<uint8_t>()[i] = v[i];
        return t;
    };
    Tensor y = run1("Compress", x, {cond({0, 1, 1})}, ints({{"axis", 0}}));
    CHECK(y.shape() == Shape{2, 2});
    CHECK(vals<float>(y) == std::vector<float>{3, 4, 5, 6});
    y = run1("Compress", x, {cond({0, 1})}, ints({{"axis", -1}}));
    CHECK(vals<float>(y) == std::vector<float>{2, 4, 6});
    y = run1("Compress", x, {cond({0, 1, 0, 0, 1})});
    CHECK(vals<float>(y) == std::vector<float>{2, 5});
    CHECK_THROWS_WITH_AS(run1("Compress", x, {cond({1, 1, 1})}, ints({{"axis", 1}})), doctest::Contains("longer"), Error);
    CHECK_THROWS_WITH_AS(run1("Compress", x, {i64(Shape{1}, {1})}), doctest::Contains("condition dtype"), Error);
}

TEST_CASE("NonZero: row-major indices of a constant input") {
    GraphBuilder g("nz");
    g.output(g.node("NonZero", {g.constant("x", Tensor::from_vector<int32_t>(Shape{2, 2}, {1, 0, 3, 4}))}));
    CpuExecutor ex(g.build());
    const Tensor y = ex.run({})[0];
    CHECK(y.shape() == Shape{2, 3});
    CHECK(vals<int64_t>(y) == std::vector<int64_t>{0, 1, 1, 0, 0, 1});
}

TEST_CASE("NonZero on run-time data: the output shape follows each run's values") {
    GraphBuilder g("nz");
    g.input("x", DType::f32, Shape{2, 3});
    g.output(g.node("Transpose", {g.node("NonZero", {"x"})}));
    const Graph built = g.build();
    CHECK(built.value(built.outputs[0]).data_dependent);
    CpuExecutor ex(built);
    const Tensor a = ex.run({f32(Shape{2, 3}, {0, 1, 0, 2, 0, 0})})[0];
    CHECK(a.shape() == Shape{2, 2});
    CHECK(vals<int64_t>(a) == std::vector<int64_t>{0, 1, 1, 0});
    const Tensor b = ex.run({f32(Shape{2, 3}, {1, 1, 1, 0, 0, 3})})[0];  // the same plan, another count
    CHECK(b.shape() == Shape{4, 2});
    CHECK(vals<int64_t>(b) == std::vector<int64_t>{0, 0, 0, 1, 0, 2, 1, 2});
    CHECK(ex.run({f32(Shape{2, 3}, {0, 0, 0, 0, 0, 0})})[0].shape() == Shape{0, 2});
}

TEST_CASE("ReverseSequence: batch-major and time-major, lengths checked at run time") {
    const Tensor x = iota(Shape{4, 2});  // time 4, batch 2
    Tensor y = run1("ReverseSequence", x, {i64(Shape{2}, {4, 2})});
    CHECK(vals<float>(y) == std::vector<float>{7, 4, 5, 2, 3, 6, 1, 8});
    y = run1("ReverseSequence", iota(Shape{2, 3}), {i64(Shape{2}, {3, 0})}, ints({{"time_axis", 1}, {"batch_axis", 0}}));
    CHECK(vals<float>(y) == std::vector<float>{3, 2, 1, 4, 5, 6});
    CHECK_THROWS_WITH_AS(run1("ReverseSequence", x, {i64(Shape{2}, {5, 1})}), doctest::Contains("out of range"), Error);
    CHECK_THROWS_WITH_AS(run1("ReverseSequence", x, {i64(Shape{3}, {1, 1, 1})}), doctest::Contains("does not match"), Error);
    CHECK_THROWS_WITH_AS(run1("ReverseSequence", x, {i64(Shape{2}, {1, 1})}, ints({{"time_axis", 2}})), doctest::Contains("axes"), Error);
}

TEST_CASE("Det: LU with pivoting, batched") {
    const Tensor x = f32(Shape{2, 2, 2}, {1, 2, 3, 4, 0, 1, 1, 0});
    CHECK(vals<float>(run1("Det", x)) == std::vector<float>{-2, -1});
    const Tensor m = Tensor::from_vector<double>(Shape{3, 3}, {2, 0, 1, 1, 3, 2, 1, 1, 2});
    const Tensor d = run1("Det", m);
    CHECK(d.shape() == Shape{});
    CHECK(d.data<double>()[0] == doctest::Approx(6.0));
    CHECK(run1("Det", f32(Shape{2, 2}, {1, 2, 2, 4})).data<float>()[0] == 0.0f);
    CHECK_THROWS_WITH_AS(run1("Det", iota(Shape{2, 3})), doctest::Contains("square"), Error);
}
