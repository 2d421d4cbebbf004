// Running one kernel in the unit tests of Conv, ConvTranspose, Gemm and MatMul: through
// infer_types' constant folding, through shape inference only (errors), or prepared with a
// SiteConfig; random and constant inputs; a tolerance check against a double-precision reference;
// and a body run under 1, 2 and 4 TBB threads.
#ifndef MUTINY_TESTS_UNIT_KERNEL_HARNESS_HPP_
#define MUTINY_TESTS_UNIT_KERNEL_HARNESS_HPP_

#include <doctest/doctest.h>

#include <mutiny/ops/common.hpp>
#include <mutiny/ops/infer.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <tbb/global_control.h>
#include <tbb/task_arena.h>

namespace kernel_harness {

using namespace mutiny;

// Runs one node whose inputs are all constants through infer_types' folding (a one-node
// executor). Absent optional inputs: empty tensors.
inline Tensor run_node(const std::string& op, const std::vector<Tensor>& inputs, const Attributes& attrs = {}) {
    Graph g;
    Node n;
    n.op = op;
    n.name = "n0";
    n.attrs = attrs;
    for (size_t i = 0; i < inputs.size(); ++i)
        n.inputs.push_back(inputs[i].empty() ? -1 : g.add_constant("in" + std::to_string(i), inputs[i]));
    n.outputs.push_back(g.add_value("out"));
    g.nodes.push_back(n);
    g.outputs.push_back(n.outputs[0]);
    std::vector<Tensor> folded;
    infer_types(g, 1, &folded);
    return folded[static_cast<size_t>(n.outputs[0])];
}

// Infers the node only (for error tests).
inline void infer_node(const std::string& op, const std::vector<Tensor>& inputs, const Attributes& attrs = {}) {
    Graph g;
    Node n;
    n.op = op;
    n.name = "bad";
    n.attrs = attrs;
    for (size_t i = 0; i < inputs.size(); ++i)
        n.inputs.push_back(inputs[i].empty() ? -1 : g.add_input("in" + std::to_string(i), inputs[i].dtype(), inputs[i].shape()));
    n.outputs.push_back(g.add_value("out"));
    g.nodes.push_back(n);
    g.outputs.push_back(n.outputs[0]);
    infer_types(g, 1);
}

// Prepares and runs a kernel with a SiteConfig (infer_types' folding always uses the default).
inline Tensor run_with_sites(const std::string& op, const std::vector<Tensor>& inputs, const Attributes& attrs, const SiteConfig& sites,
                      bool const_weights = true) {
    Graph g;
    Node n;
    n.op = op;
    n.name = "n0";
    n.attrs = attrs;
    std::vector<TypeInfo> in;
    std::vector<const Tensor*> cin;
    for (size_t i = 0; i < inputs.size(); ++i) {
        n.inputs.push_back(inputs[i].empty() ? -1 : g.add_constant("in" + std::to_string(i), inputs[i]));
        in.push_back(TypeInfo{inputs[i].dtype(), inputs[i].shape()});
        cin.push_back(inputs[i].empty() || (!const_weights && i > 0) ? nullptr : &inputs[i]);
    }
    n.outputs.push_back(g.add_value("out"));
    const OpDef& def = Registry::instance().get(op, "test");
    InferContext ic(g, n, in, cin);
    def.infer(ic);
    PrepareContext pc;
    pc.graph = &g;
    pc.node = &n;
    pc.in = in;
    pc.out = ic.outputs();
    pc.consts = cin;
    pc.sites = sites;
    Kernel k = def.prepare(pc);
    Tensor out(ic.outputs()[0].dtype, ic.outputs()[0].shape);
    ExecContext ec;
    ec.node = &n;
    for (auto& t : inputs) ec.in.push_back(t.empty() ? nullptr : &t);
    ec.out.push_back(&out);
    ec.sites = &pc.sites;
    k(ec);
    return out;
}

inline Tensor random_tensor(Shape s, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(static_cast<size_t>(s.numel()));
    for (auto& x : v) x = d(rng);
    return Tensor::from_vector<float>(std::move(s), v);
}

inline Tensor filled(Shape s, float v) {
    return Tensor::from_vector<float>(s, std::vector<float>(static_cast<size_t>(s.numel()), v));
}

// Relative tolerance 1e-5 against the magnitude of the terms (sums of products of [-1,1] values).
inline void check_close(const Tensor& got, const std::vector<double>& want, double scale) {
    REQUIRE(static_cast<size_t>(got.numel()) == want.size());
    const float* g = got.data<float>();
    size_t bad = 0;
    for (size_t i = 0; i < want.size(); ++i) {
        const double tol = 1e-5 * std::max(1.0, std::max(std::fabs(want[i]), scale));
        if (!(std::fabs(g[i] - want[i]) <= tol)) {
            if (bad < 5) MESSAGE("index " << i << ": got " << g[i] << ", want " << want[i]);
            ++bad;
        }
    }
    CHECK(bad == 0);
}

// Runs f inside task arenas of 1, 2 and 4 threads (4 even on a 2-core machine: global_control
// lifts TBB's default cap of one worker per core).
template <class F>
void for_threads(F f) {
    tbb::global_control allow(tbb::global_control::max_allowed_parallelism, 4);
    for (int t : {1, 2, 4}) {
        tbb::task_arena arena(t);
        arena.execute([&] { f(t); });
    }
}

}  // namespace kernel_harness

#endif  // MUTINY_TESTS_UNIT_KERNEL_HARNESS_HPP_
