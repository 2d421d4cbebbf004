// Exact incremental execution: run_from() over a trace, with overridden kernels,
// must give bitwise the outputs of a full run of the mutated graph, on every shipped model, for
// every Conv/Gemm/MatMul layer, with and without computing only the changed units (one unit, or a
// cluster of three, carried narrow through the activations and pooling that follow), and for
// kernel-site overrides; at 1 and 2 threads, at a small odd batch and at larger ones (where the
// elementwise and pooling kernels split their work into several chunks).
#include <doctest/doctest.h>

#include "support/support.hpp"

#include <mutiny/exec/cpu/executor.hpp>
#include <mutiny/model.hpp>

#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

using namespace mutiny;

namespace {

std::string model_path(const char* name) { return (mutiny_test::source_dir() / "models" / (std::string(name) + ".onnx")).string(); }

Tensor random_input(const Graph& g, int64_t batch, uint32_t seed) {
    Shape s = g.value(g.inputs[0]).shape;
    for (size_t d = 0; d < s.rank(); ++d)
        if (s[d] < 0) s.dims()[d] = batch;
    Tensor t(DType::f32, s);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    float* p = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = u(rng);
    return t;
}

bool bitwise_equal(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (a[i].shape() != b[i].shape() || std::memcmp(a[i].raw(), b[i].raw(), a[i].nbytes()) != 0) return false;
    return true;
}

// NAI on unit u of node n's weights (axis: 0 for Conv's [M,C,kh,kw] and Gemm transB's [N,K], 1 for
// [K,N]), bias kept: negates exactly that unit's incoming weights.
void negate_unit(Tensor& w, int64_t axis, int64_t u) {
    const Shape& s = w.shape();
    float* p = w.data<float>();
    const int64_t rows = s[0], inner = s.numel() / s[0];
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t k = 0; k < inner; ++k)
            if ((axis == 0 && r == u) || (axis == 1 && k == u)) p[r * inner + k] = -p[r * inner + k];
}

int64_t weight_unit_axis(const Node& n) {
    if (n.op == "Conv") return 0;
    if (n.op == "MatMul") return 1;
    return n.attrs.get_int("transB", 0) ? 0 : 1;
}

}  // namespace

TEST_CASE("incremental execution is bitwise equal to full re-execution on the shipped models") {
    const std::vector<std::pair<const char*, int64_t>> cases = {
        {"fashion_fcnn", 7}, {"fashion_lenet5", 7}, {"fashion_resnet", 7},  // odd, so the GEMM tiles have tails
        {"fashion_fcnn", 257}, {"fashion_lenet5", 257}, {"fashion_resnet", 33}};
    for (const auto& [name, batch] : cases) {
        for (int threads : {1, 2}) {
            CAPTURE(name);
            CAPTURE(batch);
            CAPTURE(threads);
            const Graph g = load_model(model_path(name));
            CpuExecutor ex(g, CpuOptions{threads, {}, {}});
            const Tensor x = random_input(g, batch, 42);
            const Trace trace = ex.run_trace({x});
            // The trace's outputs are the plain run's.
            const std::vector<Tensor> plain = ex.run({x});
            std::vector<Tensor> traced;
            for (int o : g.outputs) traced.push_back(trace[static_cast<size_t>(o)]);
            CHECK(bitwise_equal(plain, traced));

            int layers = 0;
            for (size_t n = 0; n < g.nodes.size(); ++n) {
                const Node& node = g.nodes[n];
                if (node.op != "Conv" && node.op != "Gemm" && node.op != "MatMul") continue;
                if (!ex.sliceable(static_cast<int>(n))) continue;
                ++layers;
                CAPTURE(node.name);
                const int wv = node.inputs[1];
                const int64_t axis = weight_unit_axis(node);
                const int64_t units = g.value(wv).shape[static_cast<size_t>(axis)];
                const std::vector<std::vector<int64_t>> unit_sets = {{0}, {units / 2}, {units - 1}, {0, units / 2, units - 1}};
                for (const std::vector<int64_t>& us : unit_sets) {
                    CAPTURE(us.front());
                    CAPTURE(us.size());
                    // Reference: the mutated graph run from scratch.
                    Graph mg = g;  // tensors share storage on copy: give the patched one its own
                    mg.values[static_cast<size_t>(wv)].constant = mg.values[static_cast<size_t>(wv)].constant.clone();
                    for (int64_t u : us) negate_unit(mg.values[static_cast<size_t>(wv)].constant, axis, u);
                    CpuExecutor ref(mg, CpuOptions{threads, {}, {}});
                    const std::vector<Tensor> want = ref.run({x});
                    REQUIRE_FALSE(bitwise_equal(want, plain));  // the mutant changes something

                    Tensor& w = ex.mutable_constant(wv);
                    const Tensor saved = w.clone();
                    for (int64_t u : us) negate_unit(w, axis, u);
                    const NodeOverride whole = ex.prepare_node(static_cast<int>(n), batch, ex.sites_of(static_cast<int>(n)));
                    const NodeOverride narrow = ex.prepare_node(static_cast<int>(n), batch, ex.sites_of(static_cast<int>(n)), us);
                    const std::vector<Tensor> got_whole = ex.run_from(trace, {whole});
                    const std::vector<Tensor> got_narrow = ex.run_from(trace, {narrow});
                    const std::vector<Tensor> got_full = ex.run_from(trace, {narrow}, true);
                    std::memcpy(w.raw(), saved.raw(), w.nbytes());
                    CHECK(bitwise_equal(got_whole, want));
                    CHECK(bitwise_equal(got_narrow, want));
                    CHECK(bitwise_equal(got_full, want));
                }
            }
            CHECK(layers >= 2);
            // After the patches were undone the executor runs the original again.
            CHECK(bitwise_equal(ex.run({x}), plain));
        }
    }
}

TEST_CASE("incremental execution with a kernel-site override equals a full run with that site") {
    const Graph g = load_model(model_path("fashion_fcnn"));
    CpuExecutor ex(g, CpuOptions{2, {}, {}});
    const Tensor x = random_input(g, 5, 7);
    const Trace trace = ex.run_trace({x});
    int relus = 0;
    for (size_t n = 0; n < g.nodes.size(); ++n) {
        if (g.nodes[n].op != "Relu") continue;
        ++relus;
        SiteConfig s;
        s.store = SiteConfig::Store::i8;  // every value the Relu stores goes through int8
        CpuOptions ro{2, {}, {}};
        ro.node_sites[g.nodes[n].name] = s;
        CpuExecutor ref(g, ro);
        const std::vector<Tensor> want = ref.run({x});
        CHECK(bitwise_equal(ex.run_from(trace, {ex.prepare_node(static_cast<int>(n), 5, s)}), want));
    }
    CHECK(relus == 3);
}

TEST_CASE("run_from rejects a foreign trace and a node that does not exist") {
    const Graph g = load_model(model_path("fashion_fcnn"));
    CpuExecutor ex(g, CpuOptions{1, {}, {}});
    const Trace trace = ex.run_trace({random_input(g, 2, 1)});
    CHECK_THROWS_WITH_AS(ex.run_from(Trace(3), {}), doctest::Contains("trace does not belong"), Error);
    CHECK_THROWS_WITH_AS(ex.run_from(trace, {NodeOverride{9999, {}, {}, {}, false, {}}}), doctest::Contains("does not exist"), Error);
    CHECK_THROWS_WITH_AS(ex.mutable_constant(g.inputs[0]), doctest::Contains("not a constant"), Error);
}
