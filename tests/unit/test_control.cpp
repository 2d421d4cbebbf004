// Control flow (If, Loop, Scan; ops/control/): the fixtures of tools/make_control_flow_fixtures.py
// (outputs from ONNX Runtime, inputs fed at run time, bodies reading outer values, nesting) and
// the models that must be refused or stopped, each with its message.
#include <doctest/doctest.h>

#include "support/support.hpp"

#include <atomic>
#include <filesystem>
#include <string>

#include <mutiny/mutiny.hpp>

using namespace mutiny;
using mutiny_test::contains;
using mutiny_test::error_of;

namespace {

std::filesystem::path fixtures() { return std::filesystem::path(MUTINY_SOURCE_DIR) / "tests" / "fixtures" / "control_flow"; }
std::string bad(const char* name) { return (fixtures() / "bad" / (std::string(name) + ".onnx")).string(); }

// Restores the process-wide loop limit when a test changes it.
struct LoopLimit {
    int64_t saved = control::max_loop_iterations().load();
    explicit LoopLimit(int64_t n) { control::max_loop_iterations() = n; }
    ~LoopLimit() { control::max_loop_iterations() = saved; }
};

}  // namespace

TEST_CASE("control flow fixtures match ONNX Runtime strictly, run by the kernels (not folded)") {
    for (const char* name : {"loop_runtime", "loop_until", "if_runtime", "scan_axes", "nested", "if_shapes", "loop_count"}) {
        CAPTURE(name);
        // Unbound import: the fixtures' inputs are graph inputs, so the control-flow nodes stay
        // in the graph and run at run time.
        const Graph g = load_onnx((fixtures() / name / "model.onnx").string());
        bool has_control = false;
        for (const Node& n : g.nodes) has_control = has_control || n.op == "If" || n.op == "Loop" || n.op == "Scan";
        CHECK(has_control);
        for (int threads : {1, 2}) {
            const ConformanceResult r = run_conformance_test(fixtures() / name, Tolerance{}, threads, false);
            CHECK_MESSAGE(r.status == ConformanceResult::Status::pass, r.detail);
        }
    }
}

TEST_CASE("a body reads outer values as extra inputs of its node, named by `captures`") {
    const Graph g = load_onnx((fixtures() / "nested" / "model.onnx").string());
    REQUIRE(g.nodes.size() == 1);
    const Node& n = g.nodes[0];
    CHECK(n.op == "If");
    // The If's then-branch holds a Loop whose body reads x: x reaches the If as a capture.
    CHECK(n.attrs.get_strings("captures") == std::vector<std::string>{"x"});
    REQUIRE(n.inputs.size() == 2);
    CHECK(g.value(n.inputs[1]).name == "x");
    const Graph* then_g = n.attrs.get_graph("then_branch");
    REQUIRE(then_g);
    REQUIRE(then_g->nodes.size() == 1);
    const Node& loop = then_g->nodes[0];
    CHECK(loop.op == "Loop");
    CHECK(loop.attrs.get_strings("captures") == std::vector<std::string>{"x"});
    // The loop's trip count M was an initializer of the branch: a constant, not a capture.
    CHECK(then_g->value(loop.inputs[0]).is_constant());
}

TEST_CASE("a loop that never ends stops at the iteration limit with a clear error") {
    const Graph g = load_onnx((fixtures() / "bad" / "loop_forever" / "model.onnx").string());
    CpuExecutor ex(g);
    Tensor v0(DType::f32, Shape{1});
    v0.data<float>()[0] = 1;
    LoopLimit limit(50);
    const std::string e = error_of([&] { ex.run({v0}); });
    CHECK(contains(e, "Loop ran past the iteration limit"));
    CHECK(contains(e, "50 iterations"));
    CHECK(contains(e, "--max-loop-iterations"));
}

TEST_CASE("malformed or unplannable control flow is refused at load with what, where and why") {
    std::string e = error_of([] { load_onnx(bad("body_undefined")); });
    CHECK(contains(e, "input 'nowhere' is not defined before use"));
    CHECK(contains(e, "attribute 'body'"));
    e = error_of([] { load_onnx(bad("body_inputs")); });
    CHECK(contains(e, "subgraph has too few inputs"));
    CHECK(contains(e, "1 declared, the op passes 3"));
}

TEST_CASE("control flow whose output shapes follow run-time values runs per run (data-dependent shapes)") {
    // If's branches differ in shape under a fed condition; a Loop's trip count is fed: both nodes
    // are data-dependent, and one executor gives each data set its own shape (values: the
    // fixtures' ONNX Runtime outputs, checked above).
    const Graph g = load_onnx((fixtures() / "if_shapes" / "model.onnx").string());
    CHECK(g.value(g.outputs[0]).data_dependent);
    CpuExecutor ex(g);
    const Tensor x = Tensor::from_vector<float>(Shape{2}, {1.5f, -2});
    auto cond = [](bool v) {
        Tensor c(DType::boolean, Shape{});
        *static_cast<uint8_t*>(c.raw()) = v ? 1 : 0;
        return c;
    };
    CHECK(ex.run({cond(true), x})[0].shape() == Shape{2});
    CHECK(ex.run({cond(false), x})[0].shape() == Shape{4});
    const Graph l = load_onnx((fixtures() / "loop_count" / "model.onnx").string());
    // The scan output's length is the trip count; the node runs per run as a whole.
    CHECK(l.value(l.outputs[0]).data_dependent);
    CHECK(l.value(l.outputs[1]).data_dependent);
    CpuExecutor lx(l);
    const Tensor v0 = Tensor::from_vector<float>(Shape{1}, {0.5f});
    CHECK(lx.run({Tensor::scalar<int64_t>(3), v0})[1].shape() == Shape{3, 1});
    CHECK(lx.run({Tensor::scalar<int64_t>(0), v0})[1].shape() == Shape{0, 1});
    // A dtype that differs between branches is still refused, with both dtypes.
    const std::string e = error_of([] { load_onnx(bad("if_dtypes")); });
    CHECK(contains(e, "the branches give output 0 different dtypes"));
    CHECK(contains(e, "f32 and i64"));
}

namespace {

// Counts the calls of every Mul kernel while it lives (the registry's Mul wrapped, then restored).
std::atomic<int64_t> mul_calls{0};
Kernel (*real_mul)(const PrepareContext&) = nullptr;
Kernel counted_mul(const PrepareContext& pc) {
    Kernel k = real_mul(pc);
    return [k](ExecContext& c) {
        ++mul_calls;
        k(c);
    };
}
struct CountMul {
    CountMul() {
        OpDef* d = Registry::instance().find("Mul");
        real_mul = d->prepare;
        d->prepare = counted_mul;
        mul_calls = 0;
    }
    ~CountMul() { Registry::instance().find("Mul")->prepare = real_mul; }
};

}  // namespace

TEST_CASE("a data-dependent Loop runs its body once per run: its Mul as many times as the trip count") {
    // loop_count's body computes s = v * v (one Mul) per iteration; the fed trip count makes the
    // Loop data-dependent, so each run infers its output shapes by running it, and those outputs
    // are the node's (not a second run of the body by its kernel).
    const Graph l = load_onnx((fixtures() / "loop_count" / "model.onnx").string());
    CpuExecutor lx(l);
    const Tensor v0 = Tensor::from_vector<float>(Shape{1}, {0.5f});
    CountMul count;
    for (int64_t trips : {0, 3, 5}) {
        CAPTURE(trips);
        mul_calls = 0;
        const auto y = lx.run({Tensor::scalar<int64_t>(trips), v0});
        CHECK(mul_calls == trips);
        // v counts up by one per iteration; the scan output holds v * v before each step.
        CHECK(y[0].to_vector<float>() == std::vector<float>{0.5f + static_cast<float>(trips)});
        REQUIRE(y[1].shape() == Shape{trips, 1});
        for (int64_t i = 0; i < trips; ++i) CHECK(y[1].data<float>()[i] == (0.5f + i) * (0.5f + i));
    }
}

TEST_CASE("the native format refuses subgraphs instead of dropping them") {
    NativeModel m;
    m.graph = load_onnx((fixtures() / "if_runtime" / "model.onnx").string());
    const std::string e = error_of([&] { save_native_bytes(m); });
    CHECK(contains(e, "the native format cannot store subgraphs"));
}
