// Weight- and neuron-level mutation operators (docs/mutation.md: DeepMutation++'s GF, WS, NEB,
// NAI, NS and DeepMAACC's CW) on Conv, Gemm/MatMul and RNN/GRU/LSTM layers with constant float32
// weights.
//
// A neuron (unit) is an output channel of a Conv (W[j, ...], bias B[j]) or an output column of a
// Gemm/MatMul (column j of B, or row j when Gemm has transB = 1; bias C[j] when C holds one value
// per unit; a MatMul's bias is the constant of the Add that alone reads its output, as tf2onnx and
// Keras export Dense). Its incoming weights are those slices. In an RNN, GRU or LSTM a unit is a
// hidden unit of one direction (unit j = direction j / hidden_size): its incoming weights are its
// row in every gate of W (input) and of R (recurrent), its bias its entry in every gate of B (Wb
// and Rb), as DeepMutation++ mutates recurrent layers' weights per hidden unit.
//
// A mutant is a list of WeightEdits: only the weights it changes, with their old and new values,
// so apply_weights / revert_weights patch a model in place and restore it bitwise. A mutant whose
// edits would leave every weight bit unchanged (NEB on a dead neuron, CW with p = 0) is equivalent.
#ifndef MUTINY_MUTATE_NEURON_OPS_HPP_
#define MUTINY_MUTATE_NEURON_OPS_HPP_

#include <cmath>
#include <cstring>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "registry.hpp"

namespace mutiny {

// Where a layer's units live in its constants.
struct LayerWeights {
    int node = -1;
    std::vector<int> weights;         // value ids of the weight tensors: W (RNN ops: W, then R)
    std::vector<int64_t> part_fan_in; // incoming weights per unit in each of them
    int bias = -1;          // value id of the per-unit bias, -1 when there is none
    int bias_node = -1;     // MatMul: the Add holding the bias
    std::string bias_na;    // non-empty: there is a bias, but not one value per unit (why)
    int64_t units = 0;
    int64_t fan_in = 0;     // incoming weights per unit, over every weight tensor
    bool columns = false;   // unit j = column j of a [fan_in, units] matrix; else rows (below)
    // Rows: unit j = hidden unit j % hidden of direction j / hidden; weight tensor p is
    // [directions, gates * hidden, part_fan_in[p] / gates] (Conv, Gemm: one direction, one gate,
    // hidden = units); the bias is [directions, bias_per_unit * hidden].
    int64_t gates = 1, hidden = 0, bias_per_unit = 1;
    std::string na;         // non-empty: not a mutable layer (why)

    struct Loc {
        size_t part;
        int64_t index;
    };
    // Incoming weight k (0 <= k < fan_in) of a unit: which weight tensor, and where in it.
    Loc at(int64_t unit, int64_t k) const {
        size_t p = 0;
        while (k >= part_fan_in[p]) k -= part_fan_in[p++];
        if (columns) return {p, k * units + unit};
        const int64_t in = part_fan_in[p] / gates, d = unit / hidden, u = unit % hidden;
        return {p, ((d * gates + k / in) * hidden + u) * in + k % in};
    }
    // Bias value m (0 <= m < bias_per_unit) of a unit.
    int64_t bias_index(int64_t unit, int64_t m) const { return (unit / hidden * bias_per_unit + m) * hidden + unit % hidden; }
};

namespace mutate_neuron {

using mutate_detail::where_node;

inline int64_t rnn_gates(const std::string& op) { return op == "LSTM" ? 4 : op == "GRU" ? 3 : op == "RNN" ? 1 : 0; }
inline bool is_layer_kind(const std::string& op) { return op == "Conv" || op == "Gemm" || op == "MatMul" || rnn_gates(op) > 0; }

// A weight input of node n that weight mutations can edit: a float32 constant ("" when it is).
inline std::string weight_na(const Graph& g, int n, int w, const char* what) {
    if (w < 0 || !g.value(w).is_constant()) return where_node(g, n) + ": its " + what + " are computed at run time, not a constant";
    const Tensor& W = g.value(w).constant;
    if (W.dtype() != DType::f32) return where_node(g, n) + ": " + what + " are " + dtype_name(W.dtype()) + "; weight mutations edit float32 weights only";
    return "";
}

// RNN, GRU, LSTM: W [D, G*H, I] and R [D, G*H, H] per hidden unit and gate; B [D, 2*G*H].
inline LayerWeights rnn_layer_weights(const Graph& g, int n) {
    LayerWeights L;
    L.node = n;
    const Node& node = g.nodes[static_cast<size_t>(n)];
    L.gates = rnn_gates(node.op);
    for (size_t i : {1, 2}) {
        L.na = weight_na(g, n, node.input(i), i == 1 ? "input weights W (input 1)" : "recurrent weights R (input 2)");
        if (!L.na.empty()) return L;
    }
    const Shape& ws = g.value(node.input(1)).constant.shape();
    const Shape& rs = g.value(node.input(2)).constant.shape();
    if (ws.rank() != 3 || rs.rank() != 3 || ws[1] % L.gates != 0 || rs[1] != ws[1] || rs[0] != ws[0] || rs[2] * L.gates != rs[1]) {
        L.na = where_node(g, n) + ": weights of shapes " + ws.str() + " and " + rs.str() + " are not [D, gates*H, I] and [D, gates*H, H]";
        return L;
    }
    L.weights = {node.input(1), node.input(2)};
    L.hidden = rs[2];
    L.units = ws[0] * L.hidden;
    L.part_fan_in = {L.gates * ws[2], L.gates * rs[2]};
    L.fan_in = L.part_fan_in[0] + L.part_fan_in[1];
    L.bias_per_unit = 2 * L.gates;
    const int b = node.input(3);
    if (b >= 0) {
        const Value& bv = g.value(b);
        if (bv.is_constant() && bv.constant.dtype() == DType::f32 && bv.constant.numel() == L.units * L.bias_per_unit) L.bias = b;
        else L.bias_na = where_node(g, n) + ": bias B of shape " + bv.shape.str() + " is not a float32 constant [D, " + std::to_string(L.bias_per_unit) + "*H]";
    }
    return L;
}

inline LayerWeights layer_weights(const Graph& g, int n) {
    const Node& node = g.nodes[static_cast<size_t>(n)];
    if (rnn_gates(node.op) > 0) return rnn_layer_weights(g, n);
    LayerWeights L;
    L.node = n;
    const int w = node.input(1);
    L.na = weight_na(g, n, w, "weights (input 1)");
    if (!L.na.empty()) return L;
    const Tensor& W = g.value(w).constant;
    L.weights = {w};
    const Shape& s = W.shape();
    if (node.op == "Conv") {
        if (s.rank() < 3 || s[0] <= 0) {
            L.na = where_node(g, n) + ": weights of shape " + s.str() + " are not [M, C/group, k...]";
            return L;
        }
        L.units = s[0];
        L.fan_in = W.numel() / s[0];
    } else {
        if (s.rank() != 2) {
            L.na = where_node(g, n) + ": weights of shape " + s.str() + " are not a matrix";
            return L;
        }
        const bool tb = node.op == "Gemm" && node.attrs.get_int("transB", 0) != 0;
        L.columns = !tb;
        L.units = tb ? s[0] : s[1];
        L.fan_in = tb ? s[1] : s[0];
    }
    L.hidden = L.units;
    L.part_fan_in = {L.fan_in};
    auto per_unit = [&](int b, const std::string& what) {
        if (b < 0) return;
        const Value& bv = g.value(b);
        const Shape& bs = bv.shape;
        const bool one_per_unit = bv.is_constant() && bv.constant.dtype() == DType::f32 && bs.rank() >= 1 && bs[bs.rank() - 1] == L.units &&
                                  bv.constant.numel() == L.units;
        if (one_per_unit) L.bias = b;
        else L.bias_na = where_node(g, n) + ": " + what + " of shape " + bs.str() + " is not one float32 constant per unit";
    };
    if (node.op == "Conv" || node.op == "Gemm") {
        per_unit(node.input(2), node.op == "Conv" ? "bias B" : "C");
    } else {
        // MatMul: the bias of a Dense layer lives in the Add that alone reads the product.
        const auto readers = mutate_detail::consumers(g, node.outputs[0]);
        if (readers.size() == 1 && g.nodes[static_cast<size_t>(readers[0])].op == "Add" && !mutate_detail::is_graph_output(g, node.outputs[0])) {
            const Node& add = g.nodes[static_cast<size_t>(readers[0])];
            const int other = add.input(0) == node.outputs[0] ? add.input(1) : add.input(0);
            if (other >= 0 && g.value(other).is_constant()) {
                per_unit(other, "the bias of the following Add");
                if (L.bias >= 0) L.bias_node = readers[0];
                else L.bias_na.clear();  // an Add of something else: the layer just has no bias
            }
        }
    }
    return L;
}

inline std::vector<Candidate> layer_candidates(const Graph& g) {
    std::vector<Candidate> c;
    for (size_t n = 0; n < g.nodes.size(); ++n)
        if (is_layer_kind(g.nodes[n].op)) c.push_back({static_cast<int>(n), layer_weights(g, static_cast<int>(n)).na});
    return c;
}

// Collects edits to one constant, keeping only those that change bits (revert restores bits).
class EditBuilder {
public:
    EditBuilder(const Graph& g, int value) : t_(&g.value(value).constant) { e_.value = value; }
    float get(int64_t i) const { return t_->data<float>()[i]; }
    void set(int64_t i, float v) {
        const float old = get(i);
        if (std::memcmp(&old, &v, sizeof(float)) == 0) return;
        e_.index.push_back(i);
        e_.before.push_back(old);
        e_.after.push_back(v);
    }
    bool empty() const { return e_.index.empty(); }
    WeightEdit take() { return std::move(e_); }

private:
    const Tensor* t_;
    WeightEdit e_;
};

// The edits of one mutant to a layer's weight tensors and bias, addressed by unit.
class LayerEdits {
public:
    LayerEdits(const Graph& g, const LayerWeights& L) : L_(&L) {
        for (int w : L.weights) eb_.emplace_back(g, w);
        if (L.bias >= 0) eb_.emplace_back(g, L.bias);
    }
    float get(int64_t unit, int64_t k) const {
        const auto l = L_->at(unit, k);
        return eb_[l.part].get(l.index);
    }
    void set(int64_t unit, int64_t k, float v) {
        const auto l = L_->at(unit, k);
        eb_[l.part].set(l.index, v);
    }
    bool has_bias() const { return L_->bias >= 0; }
    float bias_get(int64_t unit, int64_t m) const { return eb_.back().get(L_->bias_index(unit, m)); }
    void bias_set(int64_t unit, int64_t m, float v) { eb_.back().set(L_->bias_index(unit, m), v); }
    std::vector<EditBuilder>& builders() { return eb_; }

private:
    const LayerWeights* L_;
    std::vector<EditBuilder> eb_;  // one per weight tensor, then the bias
};

// Unit list of the target (all units when none is given), each checked against the layer.
inline std::vector<int64_t> target_units(const LayerWeights& L, const Target& t, const Graph& g) {
    std::vector<int64_t> u;
    if (!t.has_units) {
        for (int64_t j = 0; j < L.units; ++j) u.push_back(j);
        return u;
    }
    for (int64_t j : t.units)
        if (j >= L.units)
            throw Error("no such unit", "target unit " + std::to_string(j) + " of " + where_node(g, L.node),
                        "the layer has " + std::to_string(L.units) + " units (0.." + std::to_string(L.units - 1) + ")");
    return t.units;
}

// Finishes a weight mutant: edits, changed nodes (every reader of an edited constant), units.
inline Outcome finish(const Graph& g, const LayerWeights& L, std::vector<EditBuilder>& eb, std::vector<int64_t> units, bool all_units) {
    Outcome o;
    std::set<int> changed;
    for (auto& b : eb) {
        if (b.empty()) continue;
        WeightEdit e = b.take();
        for (int r : mutate_detail::consumers(g, e.value)) changed.insert(r);
        o.mutation.weights.push_back(std::move(e));
    }
    o.mutation.changed_nodes.assign(changed.begin(), changed.end());
    o.mutation.unit_node = L.node;
    if (!all_units) {
        std::sort(units.begin(), units.end());
        o.mutation.units = std::move(units);
    }
    if (o.mutation.weights.empty()) {
        o.status = MutantStatus::equivalent;
        o.reason = "changes no weight bit";
    }
    return o;
}

// Shared apply for the per-unit operators: f(unit, weights, bias) edits them.
template <class F>
Outcome per_unit_apply(const Graph& g, int n, const Target& t, bool touches_bias, F f) {
    const LayerWeights L = layer_weights(g, n);
    Outcome o;
    if (!L.na.empty()) {
        o.status = MutantStatus::not_applicable;
        o.reason = L.na;
        return o;
    }
    if (touches_bias && !L.bias_na.empty()) {
        o.status = MutantStatus::not_applicable;
        o.reason = L.bias_na;
        return o;
    }
    const std::vector<int64_t> units = target_units(L, t, g);
    LayerEdits e(g, L);
    for (int64_t j : units) f(L, j, e);
    return finish(g, L, e.builders(), units, !t.has_units);
}

inline OperatorDef unit_operator(std::string name, std::string category, std::string summary) {
    OperatorDef d;
    d.name = std::move(name);
    d.family = "neuron";
    d.category = std::move(category);
    d.summary = std::move(summary);
    d.expansion = Expansion::per_unit;
    d.candidates = [](const Graph& g, const Params&) { return layer_candidates(g); };
    d.none_reason = [](const Params&) { return std::string("the model has no Conv, Gemm, MatMul, RNN, GRU or LSTM layer"); };
    return d;
}

inline float scaled(float w, double factor) { return static_cast<float>(static_cast<double>(w) * factor); }

inline void register_neb(MutationRegistry& r) { r.add([] {
    OperatorDef d = unit_operator("NEB", "neuron level", "neuron effect block: incoming weights -> 0; bias kept (DeepMAACC) or zeroed");
    d.params = {ParamDef::choice("bias", "keep", {"keep", "zero"}, "keep (DeepMAACC) or zero the bias")};
    d.apply = [](const Graph& g, const std::vector<int>& nodes, const Target& t, const Params& p, uint64_t) {
        const bool zero_bias = p.str("bias") == "zero";
        return per_unit_apply(g, nodes.at(0), t, zero_bias, [&](const LayerWeights& L, int64_t j, LayerEdits& e) {
            for (int64_t k = 0; k < L.fan_in; ++k) e.set(j, k, 0.0f);
            if (zero_bias && e.has_bias())
                for (int64_t m = 0; m < L.bias_per_unit; ++m) e.bias_set(j, m, 0.0f);
        });
    };
    return d;
}()); }

inline void register_nai(MutationRegistry& r) { r.add([] {
    OperatorDef d = unit_operator("NAI", "neuron level", "neuron activation inverse: incoming weights x -1; bias kept (DeepMAACC) or negated");
    d.params = {ParamDef::choice("bias", "keep", {"keep", "negate"}, "keep (DeepMAACC) or negate the bias")};
    d.apply = [](const Graph& g, const std::vector<int>& nodes, const Target& t, const Params& p, uint64_t) {
        const bool neg_bias = p.str("bias") == "negate";
        return per_unit_apply(g, nodes.at(0), t, neg_bias, [&](const LayerWeights& L, int64_t j, LayerEdits& e) {
            for (int64_t k = 0; k < L.fan_in; ++k) e.set(j, k, -e.get(j, k));
            if (neg_bias && e.has_bias())
                for (int64_t m = 0; m < L.bias_per_unit; ++m) e.bias_set(j, m, -e.bias_get(j, m));
        });
    };
    return d;
}()); }

inline void register_cw(MutationRegistry& r) { r.add([] {
    OperatorDef d = unit_operator("CW", "neuron level", "change weight (DeepMAACC): incoming weights and bias x (1 + p)");
    d.params = {ParamDef::real("p", "0.1", -10, 10, false, false, "relative change (DeepMAACC: 0.1)")};
    d.apply = [](const Graph& g, const std::vector<int>& nodes, const Target& t, const Params& p, uint64_t) {
        const double f = 1.0 + p.num("p");
        return per_unit_apply(g, nodes.at(0), t, true, [&](const LayerWeights& L, int64_t j, LayerEdits& e) {
            for (int64_t k = 0; k < L.fan_in; ++k) e.set(j, k, scaled(e.get(j, k), f));
            if (e.has_bias())
                for (int64_t m = 0; m < L.bias_per_unit; ++m) e.bias_set(j, m, scaled(e.bias_get(j, m), f));
        });
    };
    return d;
}()); }

inline void register_ws(MutationRegistry& r) { r.add([] {
    OperatorDef d = unit_operator("WS", "weight level", "weight shuffling: the incoming weights of the neuron are permuted (seeded)");
    d.uses_seed = true;
    d.apply = [](const Graph& g, const std::vector<int>& nodes, const Target& t, const Params&, uint64_t seed) {
        const LayerWeights L0 = layer_weights(g, nodes.at(0));
        if (L0.na.empty() && L0.fan_in < 2) {
            Outcome o;
            o.status = MutantStatus::not_applicable;
            o.reason = where_node(g, L0.node) + ": a unit has one incoming weight, nothing to shuffle";
            return o;
        }
        return per_unit_apply(g, nodes.at(0), t, false, [&](const LayerWeights& L, int64_t j, LayerEdits& e) {
            // One stream per unit, so a cluster's shuffle of unit j equals the single-unit mutant's.
            MutationRng rng(mix_seed(seed, "WS/" + g.nodes[static_cast<size_t>(L.node)].name + "/" + std::to_string(j)));
            const size_t n = static_cast<size_t>(L.fan_in);
            std::vector<size_t> perm(n);
            bool identity = true;
            while (identity) {  // a shuffle must move something (n >= 2, so this ends)
                for (size_t i = 0; i < n; ++i) perm[i] = i;
                for (size_t i = n - 1; i > 0; --i) std::swap(perm[i], perm[static_cast<size_t>(rng.below(i + 1))]);
                for (size_t i = 0; i < n && identity; ++i) identity = perm[i] == i;
            }
            std::vector<float> old(n);
            for (size_t k = 0; k < n; ++k) old[k] = e.get(j, static_cast<int64_t>(k));
            for (size_t k = 0; k < n; ++k) e.set(j, static_cast<int64_t>(k), old[perm[k]]);
        });
    };
    return d;
}()); }

inline void register_ns(MutationRegistry& r) { r.add([] {
    OperatorDef d = unit_operator("NS", "neuron level", "neuron switch: two units of a layer swap incoming weights and bias");
    d.expansion = Expansion::per_unit_pair;
    d.apply = [](const Graph& g, const std::vector<int>& nodes, const Target& t, const Params&, uint64_t) {
        const int n = nodes.at(0);
        const LayerWeights L = layer_weights(g, n);
        Outcome o;
        if (!L.na.empty() || !L.bias_na.empty()) {
            o.status = MutantStatus::not_applicable;
            o.reason = L.na.empty() ? L.bias_na : L.na;
            return o;
        }
        if (!t.has_units || t.units.size() != 2)
            throw Error("NS needs two units", "target of " + where_node(g, n), "write node:NAME/units:A,B");
        const std::vector<int64_t> u = target_units(L, t, g);
        LayerEdits e(g, L);
        for (int64_t k = 0; k < L.fan_in; ++k) {
            const float a = e.get(u[0], k), b = e.get(u[1], k);
            e.set(u[0], k, b);
            e.set(u[1], k, a);
        }
        if (e.has_bias())
            for (int64_t m = 0; m < L.bias_per_unit; ++m) {
                const float a = e.bias_get(u[0], m), b = e.bias_get(u[1], m);
                e.bias_set(u[0], m, b);
                e.bias_set(u[1], m, a);
            }
        return finish(g, L, e.builders(), u, false);
    };
    return d;
}()); }

inline void register_gf(MutationRegistry& r) { r.add([] {
    OperatorDef d = unit_operator("GF", "weight level", "gaussian fuzzing: a fraction `ratio` of the layer's weights get w + N(0, sigma), seeded");
    d.expansion = Expansion::per_node;
    d.uses_seed = true;
    d.params = {ParamDef::real("ratio", "0.01", 0, 1, true, false, "fraction of the weights fuzzed"),
                ParamDef::real("sigma", "0.1", 0, 1e6, true, false, "standard deviation of the noise")};
    d.apply = [](const Graph& g, const std::vector<int>& nodes, const Target& t, const Params& p, uint64_t seed) {
        const int n = nodes.at(0);
        const LayerWeights L = layer_weights(g, n);
        Outcome o;
        if (!L.na.empty()) {
            o.status = MutantStatus::not_applicable;
            o.reason = L.na;
            return o;
        }
        // The pool: every weight of the layer, or of the target's units only.
        const std::vector<int64_t> units = target_units(L, t, g);
        const uint64_t pool = static_cast<uint64_t>(units.size()) * static_cast<uint64_t>(L.fan_in);
        const double ratio = p.num("ratio"), sigma = p.num("sigma");
        const uint64_t count = static_cast<uint64_t>(std::llround(ratio * static_cast<double>(pool)));
        if (count == 0) {
            o.status = MutantStatus::not_applicable;
            o.reason = where_node(g, n) + ": ratio " + p.str("ratio") + " of " + std::to_string(pool) + " weights rounds to none";
            return o;
        }
        MutationRng rng(mix_seed(seed, "GF/" + g.nodes[static_cast<size_t>(n)].name + "/" + format_units(t.units)));
        // Floyd's sampling: `count` distinct positions of the pool, in O(count) draws.
        std::unordered_set<uint64_t> chosen;
        chosen.reserve(static_cast<size_t>(count) * 2);
        for (uint64_t j = pool - count; j < pool; ++j) {
            const uint64_t r = rng.below(j + 1);
            chosen.insert(chosen.count(r) ? j : r);
        }
        std::vector<uint64_t> pos(chosen.begin(), chosen.end());
        std::sort(pos.begin(), pos.end());
        // Positions in storage order (weight tensor, then index), so the noise draws do not depend
        // on how units map to storage.
        std::vector<std::pair<size_t, int64_t>> idx;
        idx.reserve(pos.size());
        std::set<int64_t> touched_units;
        for (uint64_t q : pos) {
            const int64_t u = units[static_cast<size_t>(q / static_cast<uint64_t>(L.fan_in))];
            const auto l = L.at(u, static_cast<int64_t>(q % static_cast<uint64_t>(L.fan_in)));
            idx.emplace_back(l.part, l.index);
            touched_units.insert(u);
        }
        std::sort(idx.begin(), idx.end());
        LayerEdits edits(g, L);
        std::vector<EditBuilder>& eb = edits.builders();
        for (const auto& pi : idx) {
            EditBuilder& b = eb[pi.first];
            const int64_t i = pi.second;
            const float w = b.get(i);
            float v = w;
            // Noise below half an ulp of w would leave it unchanged: draw again, so exactly
            // round(ratio x n) weights change.
            for (int tries = 0; tries < 64 && std::memcmp(&v, &w, sizeof(float)) == 0; ++tries)
                v = static_cast<float>(static_cast<double>(w) + sigma * rng.normal());
            b.set(i, v);
        }
        o = finish(g, L, eb, std::vector<int64_t>(touched_units.begin(), touched_units.end()), false);
        return o;
    };
    return d;
}()); }

}  // namespace mutate_neuron
// Registers the neuron-level operators, in the order listings show them.
inline void register_neuron_operators(MutationRegistry& r) {
    mutate_neuron::register_neb(r);
    mutate_neuron::register_nai(r);
    mutate_neuron::register_cw(r);
    mutate_neuron::register_ws(r);
    mutate_neuron::register_ns(r);
    mutate_neuron::register_gf(r);
}

}  // namespace mutiny

#endif  // MUTINY_MUTATE_NEURON_OPS_HPP_
