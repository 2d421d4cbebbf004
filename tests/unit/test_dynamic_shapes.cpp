// Dynamic shapes: symbolic input dimensions other than the batch (a sequence length, an image
// size) fixed by each run's tensors. The fixtures of tools/make_dynamic_shape_fixtures.py hold
// data sets of different sizes with ONNX Runtime's outputs; one executor runs them all, keeping a
// plan (types, buffers, kernels, shape arithmetic) per distinct set of input shapes.
#include <doctest/doctest.h>

#include "support/support.hpp"

#include <filesystem>
#include <string>
#include <vector>

#include <mutiny/mutiny.hpp>

using namespace mutiny;
using mutiny_test::contains;
using mutiny_test::error_of;

namespace {

std::filesystem::path fixtures() { return std::filesystem::path(MUTINY_SOURCE_DIR) / "tests" / "fixtures" / "dynamic_shapes"; }

// The data sets of a fixture folder, in order: inputs and ONNX Runtime's outputs.
struct DataSet {
    std::vector<Tensor> in, out;
};
std::vector<DataSet> data_sets(const std::string& name) {
    std::vector<DataSet> sets;
    for (int k = 0;; ++k) {
        const auto dir = fixtures() / name / ("test_data_set_" + std::to_string(k));
        if (!std::filesystem::exists(dir)) break;
        DataSet s;
        for (const auto& f : numbered_files(dir, "input_")) s.in.push_back(load_onnx_tensor(f));
        for (const auto& f : numbered_files(dir, "output_")) s.out.push_back(load_onnx_tensor(f));
        sets.push_back(std::move(s));
    }
    return sets;
}

}  // namespace

TEST_CASE("models with a symbolic sequence length or image size match ONNX Runtime at every size") {
    for (const char* name : {"seq_reshape", "image_size"}) {
        CAPTURE(name);
        for (int threads : {1, 2}) {
            const ConformanceResult r = run_conformance_test(fixtures() / name, Tolerance{}, threads, false);
            CHECK_MESSAGE(r.status == ConformanceResult::Status::pass, r.detail);
        }
    }
}

TEST_CASE("one executor re-plans per input shapes and returns to an earlier plan with the same bits") {
    for (const char* name : {"seq_reshape", "image_size"}) {
        CAPTURE(name);
        const Graph g = load_onnx((fixtures() / name / "model.onnx").string());
        const auto sets = data_sets(name);
        REQUIRE(sets.size() == 4);
        // The fixtures' first and last data sets have the same shapes, the others differ.
        REQUIRE(sets[0].in[0].shape() == sets[3].in[0].shape());
        REQUIRE(!(sets[0].in[0].shape() == sets[1].in[0].shape()));
        CpuExecutor shared(g);
        std::vector<std::vector<Tensor>> got;
        for (const auto& s : sets) got.push_back(shared.run(s.in));
        for (size_t k = 0; k < sets.size(); ++k) {
            CAPTURE(k);
            // A fresh executor planned for this size alone gives the same bits.
            CpuExecutor fresh(g);
            const auto want = fresh.run(sets[k].in);
            REQUIRE(got[k].size() == want.size());
            for (size_t o = 0; o < want.size(); ++o) {
                CHECK(got[k][o].bitwise_equal(want[o]));
                CHECK(got[k][o].shape() == sets[k].out[o].shape());
            }
        }
        // Set 3 is set 0's shapes with other values: the cached plan computes them afresh.
        CHECK(!got[3][0].bitwise_equal(got[0][0]));
    }
}

TEST_CASE("a run's bits do not depend on how many samples share its batch") {
    const Graph g = load_onnx((fixtures() / "seq_reshape" / "model.onnx").string());
    const auto sets = data_sets("seq_reshape");
    const Tensor& x = sets[0].in[0];  // [2, 3, 4]
    REQUIRE(x.shape() == Shape{2, 3, 4});
    CpuExecutor ex(g);
    const Tensor both = ex.run({x})[0];
    for (int64_t b = 0; b < 2; ++b) {
        Tensor one(DType::f32, Shape{1, 3, 4});
        for (int64_t i = 0; i < 12; ++i) one.data<float>()[i] = x.data<float>()[b * 12 + i];
        const Tensor y = ex.run({one})[0];
        for (int64_t j = 0; j < 3; ++j) CHECK(y.data<float>()[j] == both.data<float>()[b * 3 + j]);
    }
}

TEST_CASE("validation gives symbolic dimensions a size the model's layers can take") {
    // A 2x2 MaxPool refuses the 1x1 map of size 1: the image model validates at 8.
    CHECK(symbolic_size(load_onnx((fixtures() / "image_size" / "model.onnx").string())) == 8);
    CHECK(symbolic_size(load_onnx((fixtures() / "seq_reshape" / "model.onnx").string())) == 1);
    // No size up to 2 x 128 fits a 300-wide window: refused with the node and the reason.
    GraphBuilder b("too_small");
    Attributes a;
    a.set_ints("kernel_shape", {300, 300});
    b.output(b.node("MaxPool", {b.input("x", DType::f32, Shape{-1, 1, -1, -1})}, a, "pool"));
    const std::string e = error_of([&] { b.build(); });
    CHECK(contains(e, "pooling window larger than the padded input"));
    CHECK(contains(e, "pool"));
}

TEST_CASE("inputs whose rank, fixed dimensions or dtype contradict the model are refused") {
    const Graph g = load_onnx((fixtures() / "image_size" / "model.onnx").string());
    CpuExecutor ex(g);
    std::string e = error_of([&] { ex.run({Tensor(DType::f32, Shape{1, 4, 16, 16})}); });
    CHECK(contains(e, "wrong input shape"));
    CHECK(contains(e, "input 'x'"));
    CHECK(contains(e, "got [1,4,16,16], the model expects [N,3,N,N] (N: any size)"));
    e = error_of([&] { ex.run({Tensor(DType::f32, Shape{1, 3, 16})}); });
    CHECK(contains(e, "wrong input shape"));
    e = error_of([&] { ex.run({Tensor(DType::f64, Shape{1, 3, 16, 16})}); });
    CHECK(contains(e, "wrong input dtype"));
    // A size the layers cannot take fails at run time with the node, not at load.
    e = error_of([&] { ex.run({Tensor(DType::f32, Shape{1, 3, 1, 1})}); });
    CHECK(contains(e, "pooling window larger than the padded input"));
    CHECK(contains(e, "MaxPool"));
}

TEST_CASE("data-dependent output shapes (NonZero, Unique, TopK with a computed K, Compress) match ONNX Runtime per run") {
    const Graph g = load_onnx((fixtures() / "data_dependent" / "model.onnx").string());
    int dynamic_nodes = 0;
    for (const Node& n : g.nodes) dynamic_nodes += g.value(n.outputs[0]).data_dependent ? 1 : 0;
    CHECK(dynamic_nodes >= 6);  // NonZero and what follows it, Unique, TopK, Compress
    CHECK(!g.value(g.nodes[0].outputs[0]).data_dependent);  // the Gemm stays planned
    for (int threads : {1, 2}) {
        const ConformanceResult r = run_conformance_test(fixtures() / "data_dependent", Tolerance{}, threads, false);
        CHECK_MESSAGE(r.status == ConformanceResult::Status::pass, r.detail);
    }
}

TEST_CASE("incremental execution through data-dependent nodes equals a full run of the mutated graph") {
    const Graph g = load_onnx((fixtures() / "data_dependent" / "model.onnx").string());
    const auto sets = data_sets("data_dependent");
    int gemm = -1, wv = -1;
    for (size_t n = 0; n < g.nodes.size(); ++n)
        if (g.nodes[n].op == "Gemm") {
            gemm = static_cast<int>(n);
            wv = g.nodes[n].inputs[1];
        }
    REQUIRE(gemm >= 0);
    CpuExecutor ex(g);
    CHECK(!ex.sliceable(static_cast<int>(g.nodes.size()) - 1));  // a data-dependent node is never narrowed
    for (const auto& s : sets) {
        const Trace trace = ex.run_trace(s.in);
        // A weight mutant of the Gemm (every weight negated) changes which activations pass the
        // threshold, so every data-dependent node downstream runs again with new shapes.
        Tensor& w = ex.mutable_constant(wv);
        const Tensor saved = w.clone();
        float* p = w.data<float>();
        for (int64_t i = 0; i < w.numel(); ++i) p[i] = -p[i];
        const NodeOverride o = ex.prepare_node(gemm, input_shapes_of(g, s.in), ex.sites_of(gemm));
        Graph mutated = g;
        mutated.value(wv).constant = w.clone();
        std::memcpy(w.raw(), saved.raw(), saved.nbytes());
        const auto got = ex.run_from(trace, {o});
        const auto want = CpuExecutor(mutated).run(s.in);
        REQUIRE(got.size() == want.size());
        bool some_shape_changed = false;
        for (size_t k = 0; k < want.size(); ++k) {
            CAPTURE(k);
            CHECK(got[k].shape() == want[k].shape());
            CHECK(got[k].bitwise_equal(want[k]));
            some_shape_changed = some_shape_changed || !(want[k].shape() == s.out[k].shape());
        }
        CHECK(some_shape_changed);
        // Nothing overridden: the original outputs, as ONNX Runtime's shapes.
        const auto same = ex.run_from(trace, {});
        for (size_t k = 0; k < same.size(); ++k) CHECK(same[k].shape() == s.out[k].shape());
    }
}

TEST_CASE("an override of a data-dependent node is prepared per run from a snapshot of its weights") {
    // x -> NonZero -> Cast -> Mul(c): the Mul is data-dependent; a weight mutant patches c, makes
    // the override, restores c: the run must see the patched c, not the restored one.
    GraphBuilder b("per_run");
    b.input("x", DType::f32, Shape{2, 3});
    const std::string c = b.constant("c", Tensor::from_vector<float>(Shape{1}, {3}));
    Attributes to;
    to.set_int("to", 1);  // ONNX's FLOAT
    b.output(b.node("Mul", {b.node("Cast", {b.node("NonZero", {"x"})}, to), c}, {}, "mul"));
    const Graph g = b.build();
    int mul = -1;
    for (size_t n = 0; n < g.nodes.size(); ++n)
        if (g.nodes[n].op == "Mul") mul = static_cast<int>(n);
    REQUIRE(mul >= 0);
    CpuExecutor ex(g);
    const Tensor x = Tensor::from_vector<float>(Shape{2, 3}, {0, 1, 0, 2, 0, 0});
    const Trace trace = ex.run_trace({x});
    const int cv = g.nodes[static_cast<size_t>(mul)].inputs[1];
    ex.mutable_constant(cv).data<float>()[0] = -1;
    const NodeOverride o = ex.prepare_node(mul, input_shapes_of(g, {x}), ex.sites_of(mul));
    ex.mutable_constant(cv).data<float>()[0] = 3;
    CHECK(o.per_run);
    const Tensor y = ex.run_from(trace, {o})[0];
    CHECK(y.shape() == Shape{2, 2});
    CHECK(y.to_vector<float>() == std::vector<float>{-0.0f, -1, -1, -0.0f});
    CHECK(ex.run({x})[0].to_vector<float>() == std::vector<float>{0, 3, 3, 0});
    CHECK_THROWS_WITH_AS(ex.prepare_node(mul, input_shapes_of(g, {x}), ex.sites_of(mul), {0}), doctest::Contains("depend on run-time values"), Error);
}
