// Shrinking a failing case (`mutiny diff --reduce`, cli/diff_reduce.cpp): pieces of a graph fed
// from a run's trace, the node sets between a first diverging node and an output, and delta
// debugging (Zeller's ddmin) over a node set.
//
// A piece (extract_case) is a set of the graph's nodes and the values it must compute: every value
// its nodes read but no node of the set produces is a constant when the graph holds it as one, a
// constant too when it is a small int64 tensor computed by the graph (shape arithmetic: a Reshape's
// target, Pad's pads), and otherwise an input of the piece, fed with the trace's tensor (the
// reference run's value) at its concrete shape. Nodes keep their names, so a mutant that names a
// node applies to the piece as to the model.
#ifndef MUTINY_ANALYSIS_REDUCE_CASE_HPP_
#define MUTINY_ANALYSIS_REDUCE_CASE_HPP_

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/tensor.hpp"
#include "../graph/graph.hpp"
#include "../ops/infer.hpp"

namespace mutiny {

struct CasePiece {
    Graph graph;
    std::vector<Tensor> feeds;  // one per graph input, in order
};

// The piece of `g` made of `nodes` (indices into g.nodes) computing `outputs` (value ids of g), its
// inputs fed from `trace` (run_trace of g: one tensor per value id).
inline CasePiece extract_case(const Graph& g, std::vector<int> nodes, const std::vector<int>& outputs, const std::vector<Tensor>& trace) {
    std::sort(nodes.begin(), nodes.end());
    CasePiece p;
    p.graph.name = g.name + "_reduced";
    std::vector<int> map(g.values.size(), -1);
    std::vector<bool> produced(g.values.size(), false);
    for (const int n : nodes)
        for (const int o : g.nodes.at(static_cast<size_t>(n)).outputs) produced[static_cast<size_t>(o)] = true;
    auto bring = [&](int v) -> int {
        int& m = map[static_cast<size_t>(v)];
        if (m >= 0) return m;
        const Value& val = g.value(v);
        if (val.is_constant()) return m = p.graph.add_constant(val.name, val.constant);
        const Tensor& t = trace.at(static_cast<size_t>(v));
        if (t.empty()) throw Error("cannot feed '" + val.name + "'", "reduced case of graph " + g.name, "the run kept no value for it");
        if (!g.is_input(v) && t.dtype() == DType::i64 && t.numel() <= 64) return m = p.graph.add_constant(val.name, t.clone());
        m = p.graph.add_input(val.name, t.dtype(), t.shape());
        p.feeds.push_back(t);
        return m;
    };
    for (const int n : nodes) {
        const Node& src = g.nodes.at(static_cast<size_t>(n));
        Node c = src;
        for (int& in : c.inputs)
            if (in >= 0) in = produced[static_cast<size_t>(in)] ? map[static_cast<size_t>(in)] : bring(in);
        for (int& o : c.outputs) {
            const Value& val = g.value(o);
            const int id = p.graph.add_value(val.name, val.dtype, val.shape);
            map[static_cast<size_t>(o)] = id;
            o = id;
        }
        p.graph.nodes.push_back(std::move(c));
    }
    for (const int o : outputs) {
        if (!produced[static_cast<size_t>(o)]) throw Error("reduced case has no node computing '" + g.value(o).name + "'", "graph " + g.name, "internal error");
        p.graph.outputs.push_back(map[static_cast<size_t>(o)]);
    }
    p.graph.sort();
    validate(p.graph);
    return p;
}

// Nodes of `g` that depend on node `k`'s outputs, k included (a bitmap over g.nodes).
inline std::vector<bool> downstream_of(const Graph& g, int k) {
    std::vector<bool> dirty(g.values.size(), false), in(g.nodes.size(), false);
    for (size_t n = static_cast<size_t>(k); n < g.nodes.size(); ++n) {
        bool hit = static_cast<int>(n) == k;
        for (const int i : g.nodes[n].inputs) hit = hit || (i >= 0 && dirty[static_cast<size_t>(i)]);
        if (!hit) continue;
        in[n] = true;
        for (const int o : g.nodes[n].outputs) dirty[static_cast<size_t>(o)] = true;
    }
    return in;
}

// The nodes of `allowed` (a bitmap over g.nodes) that value `v` needs, walking up through values
// those nodes produce; sorted.
inline std::vector<int> needed_within(const Graph& g, const std::vector<bool>& allowed, int v) {
    const std::vector<int> prod = g.producers();
    std::vector<bool> want(g.values.size(), false), take(g.nodes.size(), false);
    want[static_cast<size_t>(v)] = true;
    for (size_t n = g.nodes.size(); n-- > 0;) {
        if (!allowed[n]) continue;
        bool needed = false;
        for (const int o : g.nodes[n].outputs) needed = needed || want[static_cast<size_t>(o)];
        if (!needed) continue;
        take[n] = true;
        for (const int i : g.nodes[n].inputs)
            if (i >= 0 && prod[static_cast<size_t>(i)] >= 0) want[static_cast<size_t>(i)] = true;
    }
    std::vector<int> out;
    for (size_t n = 0; n < take.size(); ++n)
        if (take[n]) out.push_back(static_cast<int>(n));
    return out;
}

// ddmin: a 1-minimal subset of `items` for which `fails` holds (it must hold for `items`), trying
// complements of ever smaller chunks; at most `max_tests` calls of `fails`.
inline std::vector<int> ddmin(std::vector<int> items, const std::function<bool(const std::vector<int>&)>& fails, int max_tests) {
    size_t n = 2;
    int tests = 0;
    while (items.size() >= 2 && tests < max_tests) {
        const size_t chunk = (items.size() + n - 1) / n;
        bool reduced = false;
        for (size_t start = 0; start < items.size() && tests < max_tests; start += chunk) {
            std::vector<int> rest(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(start));
            rest.insert(rest.end(), items.begin() + static_cast<std::ptrdiff_t>(std::min(items.size(), start + chunk)), items.end());
            if (rest.empty()) continue;
            ++tests;
            if (fails(rest)) {
                items = std::move(rest);
                n = std::max<size_t>(n - 1, 2);
                reduced = true;
                break;
            }
        }
        if (reduced) continue;
        if (n >= items.size()) break;
        n = std::min(items.size(), n * 2);
    }
    return items;
}

}  // namespace mutiny

#endif  // MUTINY_ANALYSIS_REDUCE_CASE_HPP_
