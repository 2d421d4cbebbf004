// The tensor-graph IR: named values (graph inputs, constants, intermediate results), nodes with an
// op kind, attributes and input/output values, and the graph's outputs. Op kinds and attribute
// meanings follow ONNX (normalised to one opset by the importer), so a reader who knows ONNX
// knows the IR. Graph-level shapes may carry -1 for the symbolic batch dimension.
#ifndef MUTINY_GRAPH_GRAPH_HPP_
#define MUTINY_GRAPH_GRAPH_HPP_

#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

#include "../core/error.hpp"
#include "../core/tensor.hpp"
#include "attributes.hpp"

namespace mutiny {

struct Value {
    std::string name;
    DType dtype = DType::f32;
    Shape shape;
    Tensor constant;  // non-empty: a weight or folded constant; never fed at run time
    // The shape depends on run-time values (downstream of NonZero, Unique, a Loop whose carried
    // value grows...): `shape` is empty and each run infers it (set by validate()).
    bool data_dependent = false;
    bool is_constant() const { return !constant.empty(); }
};

struct Node {
    std::string op;
    std::string name;
    std::vector<int> inputs;   // value ids; -1 marks an absent optional input
    std::vector<int> outputs;  // value ids
    Attributes attrs;

    int input(size_t i) const { return i < inputs.size() ? inputs[i] : -1; }
};

class Graph {
public:
    std::string name = "graph";
    std::vector<Value> values;
    std::vector<Node> nodes;  // kept in topological order by sort()
    std::vector<int> inputs;  // values fed at run time
    std::vector<int> outputs;

    int find_value(const std::string& n) const {
        auto it = index_.find(n);
        return it == index_.end() ? -1 : it->second;
    }
    int value_id(const std::string& n) const {
        const int id = find_value(n);
        if (id < 0) throw Error("unknown value '" + n + "'", "graph " + name, "no value has that name");
        return id;
    }
    int add_value(const std::string& n, DType t = DType::f32, Shape s = {}) {
        if (find_value(n) >= 0) throw Error("duplicate value '" + n + "'", "graph " + name, "value names must be unique");
        values.push_back(Value{n, t, std::move(s), Tensor{}});
        index_[n] = static_cast<int>(values.size() - 1);
        return static_cast<int>(values.size() - 1);
    }
    int add_input(const std::string& n, DType t, Shape s) {
        const int id = add_value(n, t, std::move(s));
        inputs.push_back(id);
        return id;
    }
    int add_constant(const std::string& n, Tensor t) {
        const int id = add_value(n, t.dtype(), t.shape());
        values[static_cast<size_t>(id)].constant = std::move(t);
        return id;
    }
    // A fresh value name derived from `base` (for nodes and values a pass inserts).
    std::string unique_name(const std::string& base) const {
        if (find_value(base) < 0) return base;
        for (int i = 1;; ++i) {
            std::string n = base + "_" + std::to_string(i);
            if (find_value(n) < 0) return n;
        }
    }
    Value& value(int id) { return values.at(static_cast<size_t>(id)); }
    const Value& value(int id) const { return values.at(static_cast<size_t>(id)); }

    // Where a node is, for error messages: "node 'conv1' (Conv)".
    static std::string where(const Node& n) {
        return "node '" + (n.name.empty() ? std::string("?") : n.name) + "' (" + n.op + ")";
    }

    // Rebuilds the name index after values were edited in place.
    void reindex() {
        index_.clear();
        for (size_t i = 0; i < values.size(); ++i) {
            if (!index_.emplace(values[i].name, static_cast<int>(i)).second)
                throw Error("duplicate value '" + values[i].name + "'", "graph " + name, "value names must be unique");
        }
    }

    // Index of the node producing each value, -1 for inputs and constants.
    std::vector<int> producers() const {
        std::vector<int> p(values.size(), -1);
        for (size_t n = 0; n < nodes.size(); ++n)
            for (int o : nodes[n].outputs) p[static_cast<size_t>(o)] = static_cast<int>(n);
        return p;
    }

    // Stable topological sort (Kahn, ties by original position, so the order is deterministic).
    // Fails on cycles, on values produced twice and on inputs nobody produces.
    void sort() {
        const size_t nn = nodes.size();
        std::vector<int> prod(values.size(), -1);
        for (size_t n = 0; n < nn; ++n)
            for (int o : nodes[n].outputs) {
                if (o < 0 || static_cast<size_t>(o) >= values.size())
                    throw Error("node output out of range", where(nodes[n]), "bad value id");
                if (prod[static_cast<size_t>(o)] >= 0)
                    throw Error("value '" + values[static_cast<size_t>(o)].name + "' produced twice", where(nodes[n]),
                                "each value has one producer");
                if (values[static_cast<size_t>(o)].is_constant() || is_input(o))
                    throw Error("node overwrites '" + values[static_cast<size_t>(o)].name + "'", where(nodes[n]),
                                "it is a graph input or constant");
                prod[static_cast<size_t>(o)] = static_cast<int>(n);
            }
        std::vector<int> pending(nn, 0);
        std::vector<std::vector<int>> users(nn);
        for (size_t n = 0; n < nn; ++n)
            for (int in : nodes[n].inputs) {
                if (in < 0) continue;
                if (static_cast<size_t>(in) >= values.size())
                    throw Error("node input out of range", where(nodes[n]), "bad value id");
                const int p = prod[static_cast<size_t>(in)];
                if (p < 0) {
                    if (!values[static_cast<size_t>(in)].is_constant() && !is_input(in))
                        throw Error("undefined input '" + values[static_cast<size_t>(in)].name + "'", where(nodes[n]),
                                    "no node, graph input or constant defines it");
                    continue;
                }
                ++pending[n];
                users[static_cast<size_t>(p)].push_back(static_cast<int>(n));
            }
        // A min-heap on position keeps the original order where the dependencies allow.
        std::vector<int> ready;
        for (size_t n = 0; n < nn; ++n)
            if (pending[n] == 0) ready.push_back(static_cast<int>(n));
        std::make_heap(ready.begin(), ready.end(), std::greater<int>());
        std::vector<Node> out;
        out.reserve(nn);
        while (!ready.empty()) {
            std::pop_heap(ready.begin(), ready.end(), std::greater<int>());
            const int n = ready.back();
            ready.pop_back();
            for (int u : users[static_cast<size_t>(n)])
                if (--pending[static_cast<size_t>(u)] == 0) {
                    ready.push_back(u);
                    std::push_heap(ready.begin(), ready.end(), std::greater<int>());
                }
            out.push_back(std::move(nodes[static_cast<size_t>(n)]));
        }
        if (out.size() != nn) {
            for (size_t n = 0; n < nn; ++n)
                if (pending[n] > 0)
                    throw Error("graph has a cycle", where(nodes[n]), "its inputs depend on its own outputs");
        }
        nodes = std::move(out);
        for (int o : outputs)
            if (o < 0 || static_cast<size_t>(o) >= values.size())
                throw Error("graph output out of range", "graph " + name, "bad value id");
    }

    bool is_input(int id) const { return std::find(inputs.begin(), inputs.end(), id) != inputs.end(); }

    // Drops nodes no output depends on and values nothing refers to (after folding or a mutation).
    void prune() {
        std::vector<char> live(values.size(), 0);
        for (int o : outputs) live[static_cast<size_t>(o)] = 1;
        std::vector<char> keep(nodes.size(), 0);
        for (size_t n = nodes.size(); n-- > 0;) {
            bool needed = false;
            for (int o : nodes[n].outputs) needed = needed || live[static_cast<size_t>(o)];
            if (!needed) continue;
            keep[n] = 1;
            for (int in : nodes[n].inputs)
                if (in >= 0) live[static_cast<size_t>(in)] = 1;
        }
        std::vector<Node> kept;
        for (size_t n = 0; n < nodes.size(); ++n)
            if (keep[n]) kept.push_back(std::move(nodes[n]));
        nodes = std::move(kept);
        for (int i : inputs) live[static_cast<size_t>(i)] = 1;
        for (auto& n : nodes)
            for (int o : n.outputs) live[static_cast<size_t>(o)] = 1;
        std::vector<int> remap(values.size(), -1);
        std::vector<Value> vs;
        for (size_t v = 0; v < values.size(); ++v)
            if (live[v]) {
                remap[v] = static_cast<int>(vs.size());
                vs.push_back(std::move(values[v]));
            }
        values = std::move(vs);
        auto re = [&](std::vector<int>& ids) {
            for (int& id : ids)
                if (id >= 0) id = remap[static_cast<size_t>(id)];
        };
        for (auto& n : nodes) {
            re(n.inputs);
            re(n.outputs);
        }
        re(inputs);
        re(outputs);
        reindex();
    }

private:
    std::unordered_map<std::string, int> index_;
};

}  // namespace mutiny

#endif  // MUTINY_GRAPH_GRAPH_HPP_
