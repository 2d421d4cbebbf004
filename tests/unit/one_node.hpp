// One ONNX node as a graph, for the unit tests of pooling, normalisation and shape ops: built from
// its inputs (constants, or graph inputs fed at run time; legacy opsets imported as the ONNX
// importer does), run on the CPU executor or folded by infer_types; small tensor makers, a
// tolerance check and the error check.
#ifndef MUTINY_TESTS_UNIT_ONE_NODE_HPP_
#define MUTINY_TESTS_UNIT_ONE_NODE_HPP_

#include <doctest/doctest.h>

#include <mutiny/exec/cpu/executor.hpp>
#include <mutiny/ops/infer.hpp>

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace one_node {

using namespace mutiny;

// One node with its inputs (an empty tensor is an absent optional input). Inputs flagged in
// `runtime` are graph inputs fed at run time; the others are constants. opset > 0 runs the op's
// import() for that opset first, as the ONNX importer does.
struct Op {
    std::string op;
    std::vector<Tensor> inputs;
    Attributes attrs;
    size_t outputs = 1;
    int64_t opset = 0;
    std::vector<bool> runtime;
    Op(std::string name, std::vector<Tensor> in = {}, Attributes a = {}, size_t nout = 1, int64_t from_opset = 0)
        : op(std::move(name)), inputs(std::move(in)), attrs(std::move(a)), outputs(nout), opset(from_opset) {}
};

inline Graph make_graph(const Op& o) {
    Graph g;
    Node n;
    n.op = o.op;
    n.name = "n0";
    n.attrs = o.attrs;
    for (size_t i = 0; i < o.inputs.size(); ++i) {
        const Tensor& t = o.inputs[i];
        const std::string name = "in" + std::to_string(i);
        if (t.empty()) n.inputs.push_back(-1);
        else if (i < o.runtime.size() && o.runtime[i]) n.inputs.push_back(g.add_input(name, t.dtype(), t.shape()));
        else n.inputs.push_back(g.add_constant(name, t));
    }
    for (size_t k = 0; k < o.outputs; ++k) n.outputs.push_back(g.add_value("out" + std::to_string(k)));
    g.nodes.push_back(n);
    if (o.opset > 0) {
        const OpDef& def = Registry::instance().get(o.op, "test");
        if (def.import) {
            ImportContext ic;
            ic.graph = &g;
            ic.node = &g.nodes.back();
            ic.opset = o.opset;
            def.import(ic);
        }
    }
    g.outputs = g.nodes.back().outputs;
    return g;
}

// Runs the node on the CPU executor (optionally with kernel sites and a thread count).
inline std::vector<Tensor> run(const Op& o, const SiteConfig& sites = {}, int threads = 0) {
    CpuOptions opt;
    opt.sites = sites;
    opt.threads = threads;
    CpuExecutor ex(make_graph(o), opt);
    std::vector<Tensor> feeds;
    for (size_t i = 0; i < o.inputs.size(); ++i)
        if (i < o.runtime.size() && o.runtime[i] && !o.inputs[i].empty()) feeds.push_back(o.inputs[i]);
    return ex.run(feeds);
}
inline Tensor run1(const Op& o, const SiteConfig& sites = {}, int threads = 0) { return run(o, sites, threads)[0]; }

// The same node evaluated by infer_types' constant folding (all inputs constant).
inline Tensor fold1(const Op& o) {
    Graph g = make_graph(o);
    std::vector<Tensor> folded;
    infer_types(g, 1, &folded);
    return folded[static_cast<size_t>(g.nodes[0].outputs[0])];
}

inline Tensor f32(Shape s, std::vector<float> v) { return Tensor::from_vector<float>(std::move(s), v); }
inline Tensor i64(Shape s, std::vector<int64_t> v) { return Tensor::from_vector<int64_t>(std::move(s), v); }
inline Tensor i64v(std::vector<int64_t> v) {
    const int64_t n = static_cast<int64_t>(v.size());
    return Tensor::from_vector<int64_t>(Shape{n}, v);
}
inline Tensor iota(Shape s, float start = 0, float step = 1) {
    std::vector<float> v(static_cast<size_t>(s.numel()));
    for (size_t i = 0; i < v.size(); ++i) v[i] = start + step * static_cast<float>(i);
    return f32(std::move(s), v);
}
inline Tensor random_tensor(Shape s, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(static_cast<size_t>(s.numel()));
    for (auto& x : v) x = d(rng);
    return f32(std::move(s), v);
}

inline Attributes attrs(std::initializer_list<std::pair<const char*, std::vector<int64_t>>> ints) {
    Attributes a;
    for (auto& kv : ints) a.set_ints(kv.first, kv.second);
    return a;
}

inline void check_f32(const Tensor& t, const Shape& shape, const std::vector<float>& want, double tol = 1e-6) {
    REQUIRE(t.dtype() == DType::f32);
    REQUIRE(t.shape() == shape);
    const auto got = t.to_vector<float>();
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < want.size(); ++i) {
        INFO("element " << i);
        CHECK(std::fabs(static_cast<double>(got[i]) - static_cast<double>(want[i])) <= tol * (1.0 + std::fabs(static_cast<double>(want[i]))));
    }
}

inline void check_error(const Op& o, const char* text) {
    CHECK_THROWS_WITH_AS(run(o), doctest::Contains(text), Error);
}

// For a node whose output shapes depend on the values of its run-time inputs (o.runtime): the
// graph marks its outputs data-dependent (the executor infers and prepares it per run), and every
// output is bitwise the one the same node gives with all inputs constant (planned statically,
// checked against ONNX's values elsewhere).
inline void check_data_dependent(const Op& o) {
    Graph g = make_graph(o);
    validate(g);
    CHECK(g.value(g.outputs[0]).data_dependent);
    Op c = o;
    c.runtime.clear();
    const std::vector<Tensor> want = run(c), got = run(o);
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) {
        INFO("output " << i);
        CHECK(got[i].dtype() == want[i].dtype());
        CHECK(got[i].shape() == want[i].shape());
        CHECK(got[i].bitwise_equal(want[i]));
    }
}

}  // namespace one_node

#endif  // MUTINY_TESTS_UNIT_ONE_NODE_HPP_
