// The float model a QDQ model quantizes (`mutiny diff ... --against cpu@float,cpu`, docs/cli.md):
// the same graph with every QuantizeLinear -> DequantizeLinear pair dropped, so the float value
// flows straight from the Q's input to the DQ's readers. Weights need nothing more: the importer
// folds a DequantizeLinear of a constant (fold_constants), so they are dequantized once already.
//
// ONNX Runtime's quantizer removes a Relu (or Clip) that follows a Conv, Gemm, MatMul, Add, ... and
// lets the quantization do its work: the Q of that op's output has its zero point at the type's
// minimum (the range starts at 0), so negative values saturate to 0. Dropping such a pair would lose
// the Relu; the float reference puts one back (restore_relus). A Clip's upper bound is lost: the Q
// saturates at the calibrated maximum, which no float op records.
//
// The correspondence (QdqCorrespondence) says which float tensor each QDQ tensor stands for: a DQ
// output is the float tensor its pair was dropped from (what its readers read), the Q's input is
// that tensor too, a Q's integer output has none. A graph output keeps its name on both sides.
#ifndef MUTINY_ANALYSIS_QDQ_FLOAT_HPP_
#define MUTINY_ANALYSIS_QDQ_FLOAT_HPP_

#include <algorithm>
#include <iterator>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../graph/graph.hpp"
#include "../ops/infer.hpp"
#include "../ops/quant/params.hpp"

namespace mutiny {

struct QdqCorrespondence {
    std::map<std::string, std::string> float_of;  // QDQ tensor -> float tensor
    std::map<std::string, std::string> qdq_of;    // float tensor -> the QDQ tensor its readers see
};

struct QdqFloat {
    Graph graph;  // the float reference, validated
    QdqCorrespondence names;
    int dropped = 0;  // Q -> DQ pairs dropped
    int relus = 0;    // Relus put back
};

// Ops computing on quantized integers (QOperator format): a graph holding one is not a QDQ graph
// whose pairs can simply be dropped.
inline bool computes_on_integers(const std::string& op) {
    static const std::set<std::string> ops = {"QLinearConv", "QLinearMatMul", "ConvInteger", "MatMulInteger", "DynamicQuantizeLinear"};
    return ops.count(op) > 0 || op.rfind("com.microsoft.Q", 0) == 0;
}

// A model quantized in either format (a QuantizeLinear, DequantizeLinear or integer op).
inline const Node* first_quantized_node(const Graph& g) {
    for (const Node& n : g.nodes)
        if (n.op == "QuantizeLinear" || n.op == "DequantizeLinear" || computes_on_integers(n.op)) return &n;
    return nullptr;
}

namespace qdq_detail {

// Ops whose output may be negative, so a pair saturating at 0 after them is a Relu ONNX Runtime
// folded into the quantization (after a Sigmoid or an AveragePool of one, it changes nothing).
inline bool signed_output(const std::string& op) {
    static const std::set<std::string> ops = {"Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Sub", "Mul",
                                              "BatchNormalization", "InstanceNormalization", "LayerNormalization"};
    return ops.count(op) > 0;
}

// The Q node's zero point is its type's minimum: every real value below 0 saturates to 0.
inline bool saturates_at_zero(const Graph& g, const Node& q) {
    const int out = q.outputs.at(0);
    int64_t lo, hi;
    quant::range_of(g.value(out).dtype, lo, hi);
    const int zp = q.input(2);
    if (zp < 0) return lo == 0;
    const Value& z = g.value(zp);
    if (!z.is_constant() || z.constant.numel() != 1) return false;
    return z.constant.get_i64(0) == lo;
}

}  // namespace qdq_detail

// The float reference of a QDQ graph. Throws when it has no pair to drop or computes on integers.
inline QdqFloat qdq_float_reference(const Graph& qdq, bool restore_relus = true) {
    QdqFloat r;
    Graph& g = r.graph;
    g = qdq;
    const size_t original = g.values.size();
    const std::vector<int> prod = g.producers();
    std::vector<int> src(g.values.size());  // the value a reader reads instead
    std::iota(src.begin(), src.end(), 0);
    std::map<int, int> relu_of;  // Q input -> the Relu put back after it
    std::vector<Node> kept;
    for (size_t n = 0; n < g.nodes.size(); ++n) {
        Node node = g.nodes[n];
        for (int& in : node.inputs)
            if (in >= 0) in = src[static_cast<size_t>(in)];
        g.nodes[n].inputs = node.inputs;  // a later DQ reads its Q's input through here
        const int v = node.input(0);
        const int p = v >= 0 ? prod[static_cast<size_t>(v)] : -1;
        if (node.op != "DequantizeLinear" || p < 0 || g.nodes[static_cast<size_t>(p)].op != "QuantizeLinear" ||
            !dtype_is_float(g.value(g.nodes[static_cast<size_t>(p)].input(0)).dtype)) {
            kept.push_back(std::move(node));
            continue;
        }
        const Node& q = g.nodes[static_cast<size_t>(p)];
        int x = q.input(0);
        const int xp = x < static_cast<int>(prod.size()) ? prod[static_cast<size_t>(x)] : -1;
        if (restore_relus && xp >= 0 && qdq_detail::signed_output(g.nodes[static_cast<size_t>(xp)].op) && qdq_detail::saturates_at_zero(g, q)) {
            auto it = relu_of.find(x);
            if (it == relu_of.end()) {
                const int y = g.add_value(g.unique_name(g.value(x).name + "_relu"), g.value(x).dtype);
                src.push_back(y);
                Node relu;
                relu.op = "Relu";
                relu.name = g.value(y).name;
                relu.inputs = {x};
                relu.outputs = {y};
                kept.push_back(std::move(relu));
                it = relu_of.emplace(x, y).first;
                ++r.relus;
            }
            x = it->second;
        }
        src[static_cast<size_t>(node.outputs.at(0))] = x;
        ++r.dropped;
    }
    if (r.dropped == 0)
        throw Error("no QuantizeLinear -> DequantizeLinear pair on a float tensor", "graph " + g.name,
                    "@float is the float model of a QDQ model (onnxruntime.quantization's QDQ format); this one has no quantized activation");
    g.nodes = std::move(kept);
    for (const Node& n : g.nodes)
        if (computes_on_integers(n.op))
            throw Error("the model computes on integers", Graph::where(n),
                        "@float needs the QDQ format (QuantizeLinear -> DequantizeLinear around float ops), not QOperator");
    // A graph output keeps its name: the float value takes it where it can, else an Identity does.
    for (int& o : g.outputs) {
        const int s = src[static_cast<size_t>(o)];
        if (s == o) continue;
        bool free = static_cast<size_t>(s) < prod.size() ? prod[static_cast<size_t>(s)] >= 0 : true;
        free = free && !g.is_input(s) && !g.value(s).is_constant() && std::find(g.outputs.begin(), g.outputs.end(), s) == g.outputs.end();
        if (free) {
            const std::string name = g.value(o).name;
            g.value(o).name = g.unique_name(name + "_dropped");
            g.value(s).name = name;
            g.reindex();
            src[static_cast<size_t>(o)] = s;
            o = s;
        } else {
            Node id;
            id.op = "Identity";
            id.name = g.value(o).name + "_float";
            id.inputs = {s};
            id.outputs = {o};
            g.nodes.push_back(std::move(id));
            src[static_cast<size_t>(o)] = o;
        }
    }
    // Names before pruning changes the ids. Q outputs (integers) stand for no float tensor.
    std::map<int, int> reader_side;  // float value -> the QDQ value (latest DQ output) its readers see
    for (size_t v = 0; v < original; ++v) {
        const int p = prod[v];
        if (p >= 0 && qdq.nodes[static_cast<size_t>(p)].op == "QuantizeLinear") continue;
        const int f = src[v];
        r.names.float_of[qdq.values[v].name] = g.value(f).name;
        auto it = reader_side.find(f);
        const bool dq = p >= 0 && qdq.nodes[static_cast<size_t>(p)].op == "DequantizeLinear";
        if (it == reader_side.end() || (dq && static_cast<int>(v) != f)) reader_side[f] = static_cast<int>(v);
    }
    for (const auto& kv : reader_side) r.names.qdq_of[g.value(kv.first).name] = qdq.values[static_cast<size_t>(kv.second)].name;
    g.prune();
    fold_constants(g);
    validate(g);
    for (auto it = r.names.float_of.begin(); it != r.names.float_of.end();)
        it = g.find_value(it->second) < 0 ? r.names.float_of.erase(it) : std::next(it);
    for (auto it = r.names.qdq_of.begin(); it != r.names.qdq_of.end();)
        it = g.find_value(it->first) < 0 ? r.names.qdq_of.erase(it) : std::next(it);
    return r;
}

}  // namespace mutiny

#endif  // MUTINY_ANALYSIS_QDQ_FLOAT_HPP_
