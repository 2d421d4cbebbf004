// Graph-level mutation operators (docs/mutation.md): MutateNN's Relay mutations (activation and
// arithmetic node replacement; transpose / exp / round inserted before an input or after the
// output of Conv, Gemm/MatMul or BatchNormalization) and DeepMutation++'s layer operators
// (LD layer deletion, LAm layer duplication, AFRm activation removal).
//
// Each mutant is the whole mutated graph, validated: one that does not type-check is *invalid*
// with the validator's message. Operators that provably change nothing (deleting an Identity,
// duplicating an idempotent Relu) come out *equivalent* with the reason.
#ifndef MUTINY_MUTATE_GRAPH_OPS_HPP_
#define MUTINY_MUTATE_GRAPH_OPS_HPP_

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "../ops/infer.hpp"
#include "registry.hpp"

namespace mutiny {
namespace mutate_graph {

using mutate_detail::join;
using mutate_detail::where_node;

// Validates the mutated graph: invalid (with the validator's message) or the finished mutation.
inline Outcome finish(Graph g2, std::vector<int> changed) {
    Outcome o;
    try {
        validate(g2);
    } catch (const Error& e) {
        o.status = MutantStatus::invalid;
        o.reason = std::string("fails validation: ") + e.what();
        return o;
    }
    o.mutation.graph = std::make_shared<Graph>(std::move(g2));
    std::sort(changed.begin(), changed.end());
    o.mutation.changed_nodes = std::move(changed);
    return o;
}

inline std::string unique_node_name(const Graph& g, const std::string& base) {
    std::set<std::string> names;
    for (const Node& n : g.nodes) names.insert(n.name);
    if (!names.count(base)) return base;
    for (int i = 1;; ++i) {
        const std::string s = base + "_" + std::to_string(i);
        if (!names.count(s)) return s;
    }
}

// Replaces every use of value `from` (node inputs and graph outputs) by `to`.
inline void rewire(Graph& g, int from, int to) {
    for (Node& n : g.nodes)
        for (int& in : n.inputs)
            if (in == from) in = to;
    for (int& o : g.outputs)
        if (o == from) o = to;
}

// --- node replacement -----------------------------------------------------------------------------

inline const std::vector<std::string>& activation_kinds() {
    static const std::vector<std::string> v{"Relu", "Sigmoid", "Tanh", "LeakyRelu", "Elu", "Softplus", "Softsign", "HardSigmoid", "HardSwish"};
    return v;
}

inline Outcome replace_nodes(const Graph& g, const std::vector<int>& nodes, const std::string& to) {
    Graph g2 = g;
    for (int n : nodes) {
        Node& node = g2.nodes[static_cast<size_t>(n)];
        node.op = to;
        node.attrs = Attributes{};  // the new op's defaults (e.g. LeakyRelu alpha 0.01)
    }
    return finish(std::move(g2), nodes);
}

// ONNX Sum of two inputs is an Add (MutateNN sees Relay's add, which the importer makes of both).
inline bool is_binary_sum(const Node& n) {
    int data = 0;
    for (int in : n.inputs) data += in >= 0 ? 1 : 0;
    return n.op == "Sum" && data == 2;
}

inline void register_replace_activation(MutationRegistry& r) { r.add([] {
    OperatorDef d;
    d.name = "replace_activation";
    d.family = "graph";
    d.category = "layer node replacement";
    d.summary = "replace every targeted activation `from` by `to` (MutateNN: Relu -> Sigmoid)";
    d.params = {ParamDef::choice("from", "Relu", activation_kinds(), "activation replaced"),
                ParamDef::choice("to", "Sigmoid", activation_kinds(), "activation put in its place")};
    d.expansion = Expansion::one_mutant;
    d.check = [](const Params& p) { return p.str("from") == p.str("to") ? std::string("from and to are both " + p.str("to")) : std::string(); };
    d.candidates = [](const Graph& g, const Params& p) {
        std::vector<Candidate> c;
        for (size_t n = 0; n < g.nodes.size(); ++n)
            if (g.nodes[n].op == p.str("from")) c.push_back({static_cast<int>(n), ""});
        return c;
    };
    d.none_reason = [](const Params& p) { return "the model has no " + p.str("from") + " node"; };
    d.apply = [](const Graph& g, const std::vector<int>& nodes, const Target&, const Params& p, uint64_t) {
        return replace_nodes(g, nodes, p.str("to"));
    };
    return d;
}()); }

inline void register_replace_arith(MutationRegistry& r) { r.add([] {
    OperatorDef d;
    d.name = "replace_arith";
    d.family = "graph";
    d.category = "arithmetic node replacement";
    d.summary = "replace every targeted arithmetic node `from` by `to` (Add -> Sub, Sub -> Add, Mul -> Div, Div -> Mul); "
                "a Sum of two inputs counts as an Add";
    d.params = {ParamDef::choice("from", "Add", {"Add", "Sub", "Mul", "Div"}, "op replaced"),
                ParamDef::choice("to", "Sub", {"Add", "Sub", "Mul", "Div"}, "op put in its place")};
    d.expansion = Expansion::one_mutant;
    d.check = [](const Params& p) { return p.str("from") == p.str("to") ? std::string("from and to are both " + p.str("to")) : std::string(); };
    d.candidates = [](const Graph& g, const Params& p) {
        std::vector<Candidate> c;
        for (size_t n = 0; n < g.nodes.size(); ++n) {
            const Node& node = g.nodes[n];
            if (node.op == p.str("from") || (p.str("from") == "Add" && is_binary_sum(node))) c.push_back({static_cast<int>(n), ""});
        }
        return c;
    };
    d.none_reason = [](const Params& p) {
        return "the model has no " + p.str("from") + " node" + (p.str("from") == "Add" ? " (nor a Sum of two inputs)" : "");
    };
    d.apply = [](const Graph& g, const std::vector<int>& nodes, const Target&, const Params& p, uint64_t) {
        return replace_nodes(g, nodes, p.str("to"));
    };
    return d;
}()); }

// --- transpose / exp / round inserted before an input or after the output ----------------------------

inline std::vector<std::string> layer_kinds(const std::string& layers) {
    if (layers == "conv") return {"Conv"};
    if (layers == "dense") return {"Gemm", "MatMul"};
    if (layers == "conv_dense") return {"Conv", "Gemm", "MatMul"};
    if (layers == "batch_norm") return {"BatchNormalization"};
    return {"Conv", "Gemm", "MatMul", "BatchNormalization"};
}

// The first two axes of equal (known) size, in order (i, j) with i < j; false when there are none.
// The symbolic batch (-1) equals nothing: its size is not known.
inline bool first_equal_axes(const Shape& s, size_t& a, size_t& b) {
    for (size_t i = 0; i < s.rank(); ++i)
        for (size_t j = i + 1; j < s.rank(); ++j)
            if (s[i] >= 0 && s[i] == s[j]) {
                a = i;
                b = j;
                return true;
            }
    return false;
}

// The value an insertion at node n acts on: input k (before) or output 0 (after); -1 with a reason.
inline int insertion_value(const Graph& g, int n, const Params& p, std::string& why) {
    const Node& node = g.nodes[static_cast<size_t>(n)];
    if (p.str("order") == "after") {
        if (node.outputs.empty()) {
            why = where_node(g, n) + " has no output";
            return -1;
        }
        return node.outputs[0];
    }
    const int64_t k = p.integer("input");
    const int v = node.input(static_cast<size_t>(k));
    if (v < 0) why = where_node(g, n) + " has no input " + std::to_string(k);
    return v;
}

inline std::vector<Candidate> insertion_candidates(const Graph& g, const Params& p, bool transpose) {
    const auto kinds = layer_kinds(p.str("layers"));
    std::vector<Candidate> c;
    for (size_t n = 0; n < g.nodes.size(); ++n) {
        if (std::find(kinds.begin(), kinds.end(), g.nodes[n].op) == kinds.end()) continue;
        Candidate cand{static_cast<int>(n), ""};
        const int v = insertion_value(g, cand.node, p, cand.na);
        size_t a = 0, b = 0;
        if (v >= 0 && transpose && g.value(v).data_dependent)
            cand.na = "transpose at " + where_node(g, cand.node) + ": the value's shape depends on run-time values";
        else if (v >= 0 && transpose && !first_equal_axes(g.value(v).shape, a, b))
            cand.na = "transpose at " + where_node(g, cand.node) + " " + (p.str("order") == "after" ? "output" : "input " + p.str("input")) +
                      " " + g.value(v).shape.str() + ": no two axes have the same size";
        c.push_back(cand);
    }
    return c;
}

inline Outcome insert_op(const Graph& g, const std::vector<int>& nodes, const Params& p, const std::string& op) {
    Graph g2 = g;
    const bool after = p.str("order") == "after";
    for (int n : nodes) {
        std::string why;
        const int v = insertion_value(g2, n, p, why);
        Node ins;
        ins.op = op;
        const std::string base = g2.nodes[static_cast<size_t>(n)].name.empty() ? "node" + std::to_string(n) : g2.nodes[static_cast<size_t>(n)].name;
        ins.name = unique_node_name(g2, base + (after ? "/mutant_" : "/mutant_in" + p.str("input") + "_") + op);
        if (op == "Transpose") {
            const Shape& s = g2.value(v).shape;
            size_t a = 0, b = 0;
            first_equal_axes(s, a, b);
            std::vector<int64_t> perm(s.rank());
            for (size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<int64_t>(i);
            std::swap(perm[a], perm[b]);
            ins.attrs.set_ints("perm", perm);
        }
        const std::string vname = g2.value(v).name;
        if (after) {
            // The node now writes a fresh value; the inserted op writes the old one, so every reader
            // (and the graph output) sees the transformed value without being touched.
            const int pre = g2.add_value(g2.unique_name(vname + "_pre_" + op), g2.value(v).dtype, g2.value(v).shape);
            g2.nodes[static_cast<size_t>(n)].outputs[0] = pre;
            ins.inputs = {pre};
            ins.outputs = {v};
        } else {
            // Only this node's input changes (MutateNN rewrites the call's argument, not the value).
            const int post = g2.add_value(g2.unique_name(vname + "_" + op), g2.value(v).dtype, g2.value(v).shape);
            ins.inputs = {v};
            ins.outputs = {post};
            g2.nodes[static_cast<size_t>(n)].inputs[static_cast<size_t>(p.integer("input"))] = post;
        }
        g2.nodes.push_back(std::move(ins));
    }
    return finish(std::move(g2), nodes);
}

inline OperatorDef insertion_operator(const std::string& name, const std::string& op) {
    OperatorDef d;
    d.name = name;
    d.family = "graph";
    d.category = "node input/output modification";
    d.summary = "insert " + op + " before input `input` (order=before) or after the output (order=after) of the targeted " +
                "Conv, Gemm/MatMul or BatchNormalization nodes" +
                (op == "Transpose" ? std::string("; it swaps the first two axes of equal size (not applicable where there are none)") : "");
    d.params = {ParamDef::choice("layers", "conv_dense", {"conv", "dense", "conv_dense", "batch_norm", "all"},
                                 "conv: Conv; dense: Gemm, MatMul; batch_norm: BatchNormalization"),
                ParamDef::integer("input", "0", 0, 8, "input index k (order=before)"),
                ParamDef::choice("order", "before", {"before", "after"}, "before input k or after the output")};
    d.expansion = Expansion::one_mutant;
    const bool transpose = op == "Transpose";
    d.candidates = [transpose](const Graph& g, const Params& p) { return insertion_candidates(g, p, transpose); };
    d.none_reason = [](const Params& p) { return "the model has no " + join(layer_kinds(p.str("layers")), " or ") + " node"; };
    d.apply = [op](const Graph& g, const std::vector<int>& nodes, const Target&, const Params& p, uint64_t) {
        return insert_op(g, nodes, p, op);
    };
    return d;
}

inline void register_insert_transpose(MutationRegistry& r) { r.add(insertion_operator("insert_transpose", "Transpose")); }
inline void register_insert_exp(MutationRegistry& r) { r.add(insertion_operator("insert_exp", "Exp")); }
inline void register_insert_round(MutationRegistry& r) { r.add(insertion_operator("insert_round", "Round")); }

// --- DeepMutation++ layer operators ----------------------------------------------------------------

// Why node n is not a shape-preserving layer with one data input ("" when it is).
inline std::string not_shape_preserving(const Graph& g, int n) {
    const Node& node = g.nodes[static_cast<size_t>(n)];
    const int x = node.input(0);
    if (x < 0 || g.value(x).is_constant()) return where_node(g, n) + " has no data input 0";
    for (size_t i = 1; i < node.inputs.size(); ++i)
        if (node.inputs[i] >= 0 && !g.value(node.inputs[i]).is_constant())
            return where_node(g, n) + " has more than one data input";
    if (node.outputs.empty()) return where_node(g, n) + " has no output";
    for (size_t o = 1; o < node.outputs.size(); ++o)
        if (!mutate_detail::consumers(g, node.outputs[o]).empty() || mutate_detail::is_graph_output(g, node.outputs[o]))
            return where_node(g, n) + " has a second output in use";
    const Value& in = g.value(x);
    const Value& out = g.value(node.outputs[0]);
    if (in.data_dependent || out.data_dependent) return where_node(g, n) + " has shapes that depend on run-time values";
    if (in.shape != out.shape || in.dtype != out.dtype)
        return where_node(g, n) + " changes the shape " + in.shape.str() + " -> " + out.shape.str();
    return "";
}

inline bool reads_graph_input(const Graph& g, int n) {
    for (int in : g.nodes[static_cast<size_t>(n)].inputs)
        if (in >= 0 && g.is_input(in)) return true;
    return false;
}

// Removes node n, its readers reading its data input instead.
inline Outcome remove_node(const Graph& g, int n) {
    Graph g2 = g;
    const Node node = g2.nodes[static_cast<size_t>(n)];
    g2.nodes.erase(g2.nodes.begin() + n);
    rewire(g2, node.outputs[0], node.inputs[0]);
    g2.prune();  // weights only the removed layer read go too
    return finish(std::move(g2), {n});
}

inline void register_ld(MutationRegistry& r) { r.add([] {
    OperatorDef d;
    d.name = "LD";
    d.family = "graph";
    d.category = "layer structure";
    d.summary = "layer deletion (DeepMutation++): remove a shape-preserving layer, never the input or output layer";
    d.expansion = Expansion::per_node;
    d.candidates = [](const Graph& g, const Params&) {
        std::vector<Candidate> c;
        for (size_t i = 0; i < g.nodes.size(); ++i) {
            const int n = static_cast<int>(i);
            Candidate cand{n, not_shape_preserving(g, n)};
            if (cand.na.empty() && reads_graph_input(g, n)) cand.na = where_node(g, n) + " is the input layer";
            if (cand.na.empty())
                for (int o : g.nodes[i].outputs)
                    if (mutate_detail::is_graph_output(g, o)) cand.na = where_node(g, n) + " is the output layer";
            c.push_back(cand);
        }
        return c;
    };
    d.none_reason = [](const Params&) { return std::string("the model has no nodes"); };
    d.apply = [](const Graph& g, const std::vector<int>& nodes, const Target&, const Params&, uint64_t) {
        Outcome o = remove_node(g, nodes.at(0));
        const std::string& op = g.nodes[static_cast<size_t>(nodes[0])].op;
        if (o.status == MutantStatus::ok && (op == "Identity" || op == "Dropout")) {
            o.status = MutantStatus::equivalent;
            o.reason = op + " is the identity at inference: deleting it changes nothing";
        }
        return o;
    };
    return d;
}()); }

inline void register_lam(MutationRegistry& r) { r.add([] {
    OperatorDef d;
    d.name = "LAm";
    d.family = "graph";
    d.category = "layer structure";
    d.summary = "layer addition (DeepMutation++): duplicate a shape-preserving layer (same weights), the copy reading its output";
    d.expansion = Expansion::per_node;
    d.candidates = [](const Graph& g, const Params&) {
        std::vector<Candidate> c;
        for (size_t i = 0; i < g.nodes.size(); ++i) c.push_back({static_cast<int>(i), not_shape_preserving(g, static_cast<int>(i))});
        return c;
    };
    d.none_reason = [](const Params&) { return std::string("the model has no nodes"); };
    d.apply = [](const Graph& g, const std::vector<int>& nodes, const Target&, const Params&, uint64_t) {
        const int n = nodes.at(0);
        Graph g2 = g;
        Node dup = g2.nodes[static_cast<size_t>(n)];
        const int out = dup.outputs[0];
        const int mid = g2.add_value(g2.unique_name(g2.value(out).name + "_dup_in"), g2.value(out).dtype, g2.value(out).shape);
        // The original writes a fresh value the copy reads; the copy writes the original's output.
        g2.nodes[static_cast<size_t>(n)].outputs[0] = mid;
        dup.name = unique_node_name(g2, (dup.name.empty() ? "node" + std::to_string(n) : dup.name) + "_dup");
        dup.inputs[0] = mid;
        dup.outputs = {out};
        g2.nodes.insert(g2.nodes.begin() + n + 1, std::move(dup));
        Outcome o = finish(std::move(g2), {n});
        static const std::set<std::string> idempotent{"Relu", "Clip", "Identity", "Dropout", "Round", "Floor", "Ceil", "Abs"};
        const std::string& op = g.nodes[static_cast<size_t>(n)].op;
        if (o.status == MutantStatus::ok && idempotent.count(op)) {
            o.status = MutantStatus::equivalent;
            o.reason = op + " is idempotent: applying it twice equals applying it once";
        }
        return o;
    };
    return d;
}()); }

inline const std::set<std::string>& removable_activations() {
    static const std::set<std::string> s{"Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Elu",
                                         "Selu", "Softplus", "Softsign", "Clip", "Softmax", "LogSoftmax"};
    return s;
}

inline void register_afrm(MutationRegistry& r) { r.add([] {
    OperatorDef d;
    d.name = "AFRm";
    d.family = "graph";
    d.category = "layer structure";
    d.summary = "activation function removal (DeepMutation++): remove an activation, never the one producing the output";
    d.expansion = Expansion::per_node;
    d.candidates = [](const Graph& g, const Params&) {
        std::vector<Candidate> c;
        for (size_t i = 0; i < g.nodes.size(); ++i) {
            if (!removable_activations().count(g.nodes[i].op)) continue;
            const int n = static_cast<int>(i);
            Candidate cand{n, not_shape_preserving(g, n)};
            if (cand.na.empty())
                for (int o : g.nodes[i].outputs)
                    if (mutate_detail::is_graph_output(g, o)) cand.na = where_node(g, n) + " produces the graph output";
            c.push_back(cand);
        }
        return c;
    };
    d.none_reason = [](const Params&) { return std::string("the model has no activation node"); };
    d.apply = [](const Graph& g, const std::vector<int>& nodes, const Target&, const Params&, uint64_t) {
        return remove_node(g, nodes.at(0));
    };
    return d;
}()); }

}  // namespace mutate_graph
// Registers the graph-level operators, in the order listings show them.
inline void register_graph_operators(MutationRegistry& r) {
    mutate_graph::register_replace_activation(r);
    mutate_graph::register_replace_arith(r);
    mutate_graph::register_insert_transpose(r);
    mutate_graph::register_insert_exp(r);
    mutate_graph::register_insert_round(r);
    mutate_graph::register_ld(r);
    mutate_graph::register_lam(r);
    mutate_graph::register_afrm(r);
}

}  // namespace mutiny

#endif  // MUTINY_MUTATE_GRAPH_OPS_HPP_
