// First-diverging-node localisation (analysis/trace_diff.hpp, `mutiny diff`): on every shipped
// model, a kernel mutant of node k (every kernel-level operator that applies to node k alone) is
// localised at node k whenever it changes anything, and a float16 store at every node with a store
// site does change it; sides whose outputs differ in shape are an error, other tensors whose
// shapes differ count as diverging; per-tensor tolerances must name a tensor.
#include <doctest/doctest.h>

#include "support/support.hpp"
#include "mutant_spec.hpp"

#include <mutiny/analysis/trace_diff.hpp>
#include <mutiny/exec/cpu/executor.hpp>
#include <mutiny/graph/builder.hpp>
#include <mutiny/model.hpp>
#include <mutiny/mutate/all.hpp>

#include <random>
#include <string>
#include <vector>

using namespace mutiny;

namespace {

std::vector<Tensor> random_inputs(const Graph& g, uint32_t seed) {
    std::vector<Tensor> in;
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    for (int id : g.inputs) {
        Shape s = g.value(id).shape;
        for (size_t d = 0; d < s.rank(); ++d)
            if (s[d] < 0) s.dims()[d] = 1;
        Tensor t(DType::f32, s);
        for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
        in.push_back(t);
    }
    return in;
}

ToleranceSet exact() {
    ToleranceSet t;
    t.fallback.atol = t.fallback.rtol = 0;
    return t;
}

// x -> Relu (a) -> Relu (b) -> output
Graph two_relus() {
    GraphBuilder b("two");
    const auto x = b.input("x", DType::f32, Shape({-1, 4}));
    b.output(b.node("Relu", {b.node("Relu", {x}, {}, "a")}, {}, "b"));
    return b.build();
}

}  // namespace

TEST_CASE("a kernel mutant of node k is localised at node k, for every node of every shipped model") {
    const auto& reg = MutationRegistry::instance();
    std::vector<std::string> kernel_ops;
    for (const auto& n : reg.operator_names())
        if (reg.find_operator(n)->family == "kernel") kernel_ops.push_back(n);
    REQUIRE(kernel_ops.size() >= 5);
    for (const char* name : {"fashion_fcnn", "fashion_lenet5", "fashion_lenet5_int8", "fashion_resnet"}) {
        const Graph g = load_model((mutiny_test::source_dir() / "models" / (std::string(name) + ".onnx")).string());
        const std::vector<Tensor> x = random_inputs(g, 7);
        CpuExecutor ref(g, CpuOptions{1, {}, {}});
        const Trace ref_trace = ref.run_trace(x);
        int localised = 0, tried = 0;
        for (size_t k = 0; k < g.nodes.size(); ++k) {
            bool store_site = false, store_localised = false;
            for (const std::string& op : kernel_ops) {
                const MutantSpec s = spec(op, "node:" + g.nodes[k].name);
                const Outcome o = evaluate_mutant(g, s);
                if (o.status != MutantStatus::ok) continue;
                ++tried;
                store_site = store_site || op == "store_type";
                CpuExecutor side(g, CpuOptions{1, {}, o.mutation.node_sites});
                TraceComparer cmp(g, g, exact(), s.str());
                const int first = cmp.add(ref_trace, side.run_trace(x), false);
                INFO(name << ": " << s.str() << " first diverging row " << first);
                if (first < 0) continue;  // changes nothing on this input
                CHECK(cmp.result().rows[static_cast<size_t>(first)].node == static_cast<int>(k));
                localised += cmp.result().rows[static_cast<size_t>(first)].node == static_cast<int>(k);
                store_localised = store_localised || op == "store_type";
            }
            INFO(name << " node " << k << " " << g.nodes[k].name);
            // Rounding a node's float32 results to float16 changes them: the test cannot pass vacuously.
            if (store_site) CHECK(store_localised);
        }
        MESSAGE(name << ": " << localised << " of " << tried << " kernel mutants localised at their node (the rest change nothing on this input)");
        CHECK(localised > 0);
    }
}

TEST_CASE("trace_diff: outputs of different shapes are an error, an intermediate of another shape diverges") {
    const Graph g = two_relus();
    CpuExecutor ex(g);
    Tensor x(DType::f32, Shape({1, 4}));
    for (int i = 0; i < 4; ++i) x.data<float>()[i] = static_cast<float>(i) - 1.5f;
    const Trace t = ex.run_trace({x});
    const int a = g.value_id("a_out"), b = g.value_id("b_out");
    Trace wrong = t;
    wrong[static_cast<size_t>(b)] = Tensor(DType::f32, Shape({2, 2}));
    TraceComparer cmp(g, g, exact(), "side");
    CHECK(mutiny_test::contains(mutiny_test::error_of([&] { cmp.add(t, wrong, false); }),
                                "the sides' outputs differ in shape at output 'b_out', side: the reference gives [1,4], the other side [2,2]"));
    Trace inner = t;
    inner[static_cast<size_t>(a)] = Tensor(DType::f32, Shape({4}));
    TraceComparer cmp2(g, g, exact(), "side");
    CHECK(cmp2.add(t, inner, false) == 0);
    CHECK(cmp2.result().rows[0].status == TensorDiffRow::Status::shape_differs);
    CHECK(cmp2.result().outputs_pass());
    // The same trace: nothing diverges, on any input.
    TraceComparer same(g, g, exact(), "side");
    CHECK(same.add(t, t, false) == -1);
    CHECK(same.result().first_diverging() == -1);
}

TEST_CASE("trace_diff: per-tensor tolerances, fail-fast, NaN outputs") {
    const Graph g = two_relus();
    CpuExecutor ex(g);
    Tensor x(DType::f32, Shape({1, 4}));
    for (int i = 0; i < 4; ++i) x.data<float>()[i] = static_cast<float>(i);
    const Trace t = ex.run_trace({x});
    Trace side = t;
    for (int v : {g.value_id("a_out"), g.value_id("b_out")}) {
        side[static_cast<size_t>(v)] = t[static_cast<size_t>(v)].clone();
        side[static_cast<size_t>(v)].data<float>()[3] += 0.01f;
    }
    ToleranceSet tol = exact();
    tol.atol["a_out"] = 0.02;
    TraceComparer cmp(g, g, tol, "side");
    CHECK(cmp.add(t, side, false) == 1);  // a_out within its own atol, b_out not
    CHECK(cmp.result().rows[1].all.required_atol == doctest::Approx(0.01).epsilon(1e-5));
    CHECK_FALSE(cmp.result().outputs_pass());
    TraceComparer ff(g, g, exact(), "side");
    CHECK(ff.add(t, side, true) == 0);
    CHECK(ff.result().stopped);
    CHECK(ff.result().rows[1].inputs.empty());  // not compared after the stop
    ToleranceSet bad = exact();
    bad.atol["nope"] = 1;
    CHECK(mutiny_test::contains(mutiny_test::error_of([&] { TraceComparer(g, g, bad, "side"); }), "no tensor named 'nope'"));
    bad = exact();
    bad.rtol["b_out"] = -1;
    CHECK(mutiny_test::contains(mutiny_test::error_of([&] { TraceComparer(g, g, bad, "side"); }), "bad tolerance for tensor 'b_out'"));
    // Two NaN outputs are both invalid: the outputs do not agree.
    Trace nan_ref = t, nan_side = t;
    for (Trace* tr : {&nan_ref, &nan_side}) {
        Tensor y = t[static_cast<size_t>(g.value_id("b_out"))].clone();
        y.data<float>()[0] = std::nanf("");
        (*tr)[static_cast<size_t>(g.value_id("b_out"))] = y;
    }
    TraceComparer n(g, g, exact(), "side");
    CHECK(n.add(nan_ref, nan_side, false) == 1);
    CHECK(n.result().rows[1].all.both_nan == 1);
    CHECK_FALSE(n.result().outputs_pass());
}
