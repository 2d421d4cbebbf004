// Quantization-aware mutation operators (docs/mutation.md) for quantized graphs as ONNX Runtime's
// tools write them (QDQ: QuantizeLinear -> DequantizeLinear around each float op; QOperator:
// QLinearConv, QLinearMatMul and ORT's com.microsoft QLinear* ops computing on integers):
//   QS     quantization scale: the node's scale (every element, per-tensor or per-axis) x (1 + p)
//   QZ     zero-point shift: the node's zero point + d, saturated to its integer type
//   QR     rounding mode of a quantizer (QuantizeLinear, the requantization of QLinearConv,
//          QLinearMatMul and the contrib QLinear* ops and QGemm):
//          half away from zero, toward zero, floor or ceil instead of half to even (a kernel site:
//          the graph and constants stay untouched)
// QS and QZ edit constants like the weight-level operators (apply and revert restore every bit).
// A Q and its DQ usually share one scale and zero-point initializer: the edit then moves the
// quantization grid of both, as a mis-calibrated deployment would; every reader of the edited
// constant is a changed node. Targets: Q and DQ nodes (their scale and zero point, inputs 1 and
// 2) and QOperator nodes (their output's scale and zero point: the quantization they write, which
// a Q node would hold in a QDQ graph) whose scale (zero point) is a constant; others are not
// applicable, with the reason.
#ifndef MUTINY_MUTATE_QUANT_OPS_HPP_
#define MUTINY_MUTATE_QUANT_OPS_HPP_

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "../ops/op.hpp"
#include "kernel_ops.hpp"
#include "registry.hpp"

namespace mutiny {
namespace mutate_quant {

// The input holding the scale of the quantization a node's QS / QZ edit (its zero point is the
// next input), or -1 for a node without one: Q and DQ their own, QOperator nodes their output's.
inline int quant_scale_input(const std::string& op) {
    if (op == "QuantizeLinear" || op == "DequantizeLinear") return 1;
    if (op == "QLinearConv" || op == "QLinearMatMul" || op == "com.microsoft.QLinearAdd" || op == "com.microsoft.QLinearMul") return 6;
    if (op == "com.microsoft.QLinearSigmoid" || op == "com.microsoft.QLinearLeakyRelu" || op == "com.microsoft.QLinearGlobalAveragePool" ||
        op == "com.microsoft.QLinearAveragePool" || op == "com.microsoft.QLinearSoftmax")
        return 3;
    if (op == "com.microsoft.QLinearConcat") return 0;  // (Y_scale, Y_zero_point) come first
    if (op == "com.microsoft.QGemm") return 7;          // absent: a float output, nothing to edit
    return -1;
}

// The input QS (scale) or QZ (zero point) edits in node n.
inline int quant_param_input(const Node& node, bool zero_point) { return quant_scale_input(node.op) + (zero_point ? 1 : 0); }

// Nodes with a quantization; its scale (zero point) must be a constant of an accepted type.
inline std::vector<Candidate> qdq_candidates(const Graph& g, bool zero_point) {
    std::vector<Candidate> c;
    for (size_t n = 0; n < g.nodes.size(); ++n) {
        const Node& node = g.nodes[n];
        if (quant_scale_input(node.op) < 0) continue;
        const int input = quant_param_input(node, zero_point);
        Candidate cand{static_cast<int>(n), ""};
        const int v = node.input(static_cast<size_t>(input));
        const char* what = zero_point ? "zero point" : "scale";
        if (v < 0) cand.na = Graph::where(node) + " has no " + what + " input" + (zero_point ? " (it is 0)" : " (its output is float)");
        else if (!g.value(v).is_constant()) cand.na = Graph::where(node) + ": its " + what + " is computed at run time, not a constant";
        else if (!zero_point && g.value(v).constant.dtype() != DType::f32)
            cand.na = Graph::where(node) + ": its scale is " + dtype_name(g.value(v).constant.dtype()) + "; QS edits float32 scales";
        c.push_back(cand);
    }
    return c;
}

// Every reader of the edited constant changes.
inline Outcome edit_outcome(const Graph& g, WeightEdit e) {
    Outcome o;
    if (e.index.empty()) {
        o.status = MutantStatus::equivalent;
        o.reason = "changes no bit of '" + g.value(e.value).name + "'";
        return o;
    }
    o.mutation.changed_nodes = mutate_detail::consumers(g, e.value);
    o.mutation.weights.push_back(std::move(e));
    return o;
}

inline void register_qs(MutationRegistry& r) { r.add([] {
    OperatorDef d;
    d.name = "QS";
    d.family = "quant";
    d.category = "quantization parameters";
    d.summary = "quantization scale: the Q/DQ node's scale, a QLinear* node's output scale, x (1 + p) (every channel of a per-axis scale)";
    d.params = {ParamDef::real("p", "0.1", -1, 100, true, false, "relative change of the scale (> -1)")};
    d.expansion = Expansion::per_node;
    d.candidates = [](const Graph& g, const Params&) { return qdq_candidates(g, false); };
    d.none_reason = [](const Params&) { return std::string("the model has no QuantizeLinear, DequantizeLinear or QLinear* node"); };
    d.apply = [](const Graph& g, const std::vector<int>& nodes, const Target&, const Params& p, uint64_t) {
        const Node& node = g.nodes[static_cast<size_t>(nodes.at(0))];
        const int v = node.input(static_cast<size_t>(quant_param_input(node, false)));
        const Tensor& s = g.value(v).constant;
        const double f = 1.0 + p.num("p");
        WeightEdit e;
        e.value = v;
        for (int64_t i = 0; i < s.numel(); ++i) {
            const float old = s.data<float>()[i], now = static_cast<float>(static_cast<double>(old) * f);
            if (std::memcmp(&old, &now, sizeof(float)) == 0) continue;
            e.index.push_back(i);
            e.before.push_back(old);
            e.after.push_back(now);
        }
        return edit_outcome(g, std::move(e));
    };
    return d;
}()); }

inline void register_qz(MutationRegistry& r) { r.add([] {
    OperatorDef d;
    d.name = "QZ";
    d.family = "quant";
    d.category = "quantization parameters";
    d.summary = "zero-point shift: the Q/DQ node's zero point, a QLinear* node's output zero point, + d, saturated to its integer type";
    d.params = {ParamDef::integer("d", "1", -255, 255, "shift in quantization steps")};
    d.expansion = Expansion::per_node;
    d.candidates = [](const Graph& g, const Params&) { return qdq_candidates(g, true); };
    d.none_reason = [](const Params&) { return std::string("the model has no QuantizeLinear, DequantizeLinear or QLinear* node"); };
    d.apply = [](const Graph& g, const std::vector<int>& nodes, const Target&, const Params& p, uint64_t) {
        const Node& node = g.nodes[static_cast<size_t>(nodes.at(0))];
        const int v = node.input(static_cast<size_t>(quant_param_input(node, true)));
        const Tensor& z = g.value(v).constant;
        int64_t lo = 0, hi = 0;
        switch (z.dtype()) {
            case DType::u8: hi = 255; break;
            case DType::i8: lo = -128; hi = 127; break;
            case DType::u16: hi = 65535; break;
            case DType::i16: lo = -32768; hi = 32767; break;
            default: {
                Outcome o;
                o.status = MutantStatus::not_applicable;
                o.reason = mutate_detail::where_node(g, nodes.at(0)) + ": zero point of type " + dtype_name(z.dtype()) +
                           "; QZ shifts 8- and 16-bit zero points";
                return o;
            }
        }
        const int64_t shift = p.integer("d");
        WeightEdit e;
        e.value = v;
        for (int64_t i = 0; i < z.numel(); ++i) {
            const int64_t old = z.get_i64(i), now = std::min(hi, std::max(lo, old + shift));
            if (now == old) continue;
            e.index.push_back(i);
            e.before.push_back(static_cast<float>(old));  // 16-bit integers are exact in float32
            e.after.push_back(static_cast<float>(now));
        }
        return edit_outcome(g, std::move(e));
    };
    return d;
}()); }

inline void register_qr(MutationRegistry& r) { r.add([] {
    OperatorDef d;
    d.name = "QR";
    d.family = "quant";
    d.category = "quantization rounding";
    d.summary = "rounding mode of a quantizer (QuantizeLinear, QLinearConv, QLinearMatMul, a contrib QLinear* op or QGemm): x / scale rounded `mode` instead of half to even";
    d.params = {ParamDef::choice("mode", "half_away", {"half_away", "toward_zero", "floor", "ceil"},
                                 "half away from zero (std::round), toward zero (truncation), floor or ceil")};
    d.expansion = Expansion::per_node;
    d.candidates = [](const Graph& g, const Params&) {
        std::vector<Candidate> c;
        for (size_t n = 0; n < g.nodes.size(); ++n)
            if (mutate_kernel::has_site(g.nodes[n].op, mutate_kernel::Site::rounding)) c.push_back({static_cast<int>(n), ""});
        return c;
    };
    d.none_reason = [](const Params&) { return std::string("the model has no QuantizeLinear, QLinearConv, QLinearMatMul, contrib QLinear* or QGemm node"); };
    d.apply = [](const Graph& g, const std::vector<int>& nodes, const Target&, const Params& p, uint64_t) {
        SiteConfig s;
        const std::string m = p.str("mode");
        s.round = m == "half_away" ? SiteConfig::Round::half_away
                  : m == "toward_zero" ? SiteConfig::Round::toward_zero
                  : m == "floor" ? SiteConfig::Round::floor
                                 : SiteConfig::Round::ceil;
        return mutate_kernel::with_sites(g, nodes, s);
    };
    return d;
}()); }

}  // namespace mutate_quant

// Registers the quantization operators, in the order listings show them.
inline void register_quant_operators(MutationRegistry& r) {
    mutate_quant::register_qs(r);
    mutate_quant::register_qz(r);
    mutate_quant::register_qr(r);
}

}  // namespace mutiny

#endif  // MUTINY_MUTATE_QUANT_OPS_HPP_
