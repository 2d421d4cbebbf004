// Applying mutant specs and enumerating them: the API campaign code calls.
//
//   std::vector<Mutant> enumerate_mutants(const Graph&, const EnumerateOptions&)
//       every candidate of the requested operators / presets / groups at a position, each with its
//       status; invalid, not applicable and (provably) equivalent ones are listed with the reason.
//   Outcome evaluate_mutant(const Graph&, const MutantSpec&)   status + mutation, no throw for a
//       mutant that merely cannot be built
//   Mutation apply_mutant(const Graph&, const MutantSpec&)     throws mutiny::Error unless ok/equivalent
//   apply_weights(Graph&, const Mutation&) / revert_weights(Graph&, const Mutation&)
//       patch the edited constants in place and restore them bitwise.
//
// Weight edits write into the constants' storage, which every copy of the Graph shares (Tensor
// copies share storage): apply to the graph you mean to mutate, and rebuild executors afterwards
// (the CPU kernels pack constant weights when a plan is made).
//
// Errors (mutiny::Error) for bad requests: an unknown operator (the message lists the known ones),
// an unknown parameter or one out of range, a target naming a node, op kind or unit the model does
// not have, a position past the last candidate, and an operator named explicitly that does not
// apply to the model at all. Inside a group ("mutatenn", "vanilla", ...) the last two are reported
// as not-applicable mutants instead, so one list can run over every model.
#ifndef MUTINY_MUTATE_MUTANT_HPP_
#define MUTINY_MUTATE_MUTANT_HPP_

#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "presets.hpp"
#include "registry.hpp"
#include "spec.hpp"

namespace mutiny {

namespace mutate_detail {

// The applicable candidate nodes a target selects, or why there are none.
struct Selection {
    std::vector<int> nodes;
    std::vector<std::string> skipped;  // candidates the operator cannot change, with the reason
    std::string na;                    // non-empty: nothing applicable
};

inline std::string summarize(const std::vector<std::string>& v, size_t keep = 3) {
    std::vector<std::string> head(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(std::min(keep, v.size())));
    std::string s = join(head, "; ");
    if (v.size() > keep) s += "; and " + std::to_string(v.size() - keep) + " more";
    return s;
}

inline Selection select_nodes(const Graph& g, const std::string& opname, const OperatorDef& op, const Params& p,
                              const std::vector<Candidate>& cands, const Target& t) {
    Selection s;
    if (t.kind == Target::Kind::node) {
        for (const Candidate& c : cands)
            if (c.node == t.node) {
                if (c.na.empty()) s.nodes.push_back(c.node);
                else s.na = c.na;
                return s;
            }
        s.na = where_node(g, t.node) + " is not a node " + opname + " can mutate";
        if (op.family == "kernel") s.na += ": its kernel has no such site";
        return s;
    }
    for (const Candidate& c : cands) {
        if (t.kind == Target::Kind::op_kind && g.nodes[static_cast<size_t>(c.node)].op != t.op_kind) continue;
        if (c.na.empty()) s.nodes.push_back(c.node);
        else s.skipped.push_back(c.na);
    }
    if (s.nodes.empty()) {
        if (!s.skipped.empty()) s.na = summarize(s.skipped);
        else if (t.kind == Target::Kind::op_kind) s.na = "no " + t.op_kind + " node is a node " + opname + " can mutate";
        else s.na = op.none_reason(p);
    }
    return s;
}

// The outcome of an operator on a parsed target (the one place statuses are decided).
inline Outcome evaluate_target(const Graph& g, const std::string& opname, const ResolvedOp& r, const std::vector<Candidate>& cands,
                               const Target& t, uint64_t seed) {
    const OperatorDef& op = *r.op;
    const bool single = op.family == "neuron" || op.expansion == Expansion::per_node;
    if (single && t.kind != Target::Kind::node)
        throw Error("operator " + opname + " needs a node target", "target", "write node:NAME" + std::string(op.family == "neuron" ? "[/units:LIST]" : ""));
    if (t.has_units && op.family != "neuron")
        throw Error("units in the target of " + opname, "target", "only neuron operators (" + join({"GF", "WS", "NEB", "NAI", "NS", "CW"}) + ") take units");
    const Selection s = select_nodes(g, opname, op, r.params, cands, t);
    Outcome o;
    if (!s.na.empty()) {
        o.status = MutantStatus::not_applicable;
        o.reason = s.na;
        return o;
    }
    o = op.apply(g, s.nodes, t, r.params, seed);
    if (!s.skipped.empty()) {
        const std::string note = "skipped " + std::to_string(s.skipped.size()) + " occurrence(s): " + summarize(s.skipped);
        o.reason = o.reason.empty() ? note : o.reason + "; " + note;
    }
    return o;
}

inline std::string layer_of(const Graph& g, const Target& t) {
    if (t.kind == Target::Kind::node) return node_label(g, t.node);
    if (t.kind == Target::Kind::op_kind) return t.op_kind;
    return "*";
}

}  // namespace mutate_detail

inline Outcome evaluate_mutant(const Graph& g, const MutantSpec& spec) {
    const ResolvedOp r = resolve_operator(spec.op, spec.params);
    const Target t = parse_target(g, spec.target);
    return mutate_detail::evaluate_target(g, spec.op, r, r.op->candidates(g, r.params), t, spec.seed);
}

inline Mutation apply_mutant(const Graph& g, const MutantSpec& spec) {
    Outcome o = evaluate_mutant(g, spec);
    if (o.status == MutantStatus::invalid || o.status == MutantStatus::not_applicable)
        throw Error(std::string("mutant is ") + (o.status == MutantStatus::invalid ? "invalid" : "not applicable"),
                    "mutant '" + spec.str() + "'", o.reason);
    return std::move(o.mutation);
}

namespace mutate_detail {

inline void check_edits(const Graph& g, const Mutation& m) {
    for (const WeightEdit& e : m.weights) {
        if (e.value < 0 || static_cast<size_t>(e.value) >= g.values.size() || !g.value(e.value).is_constant())
            throw Error("weight edit of a value that is not a constant", "value " + std::to_string(e.value), "the mutation belongs to another graph");
        const Tensor& t = g.value(e.value).constant;
        const bool narrow_int = t.dtype() == DType::u8 || t.dtype() == DType::i8 || t.dtype() == DType::u16 || t.dtype() == DType::i16;
        if (t.dtype() != DType::f32 && !narrow_int)
            throw Error("weight edit of a constant that is neither float32 nor an 8- or 16-bit integer", "value '" + g.value(e.value).name + "'",
                        std::string("it is ") + dtype_name(t.dtype()));
        if (e.before.size() != e.index.size() || e.after.size() != e.index.size())
            throw Error("malformed weight edit", "value '" + g.value(e.value).name + "'", "index, before and after differ in length");
        // Integer constants (zero points) carry their values in the float vectors, exactly.
        if (narrow_int)
            for (const auto* v : {&e.before, &e.after})
                for (float x : *v)
                    if (!(x == std::trunc(x)) || x < -32768.0f || x > 65535.0f)
                        throw Error("malformed weight edit", "value '" + g.value(e.value).name + "'", "a non-integer value for an integer constant");
        for (int64_t i : e.index)
            if (i < 0 || i >= t.numel())
                throw Error("weight edit out of range", "value '" + g.value(e.value).name + "'",
                            "index " + std::to_string(i) + " of " + std::to_string(t.numel()));
    }
}

// Writes edit e's values (after or before) into t, a tensor of e's constant's dtype and size.
inline void write_edit(Tensor& t, const WeightEdit& e, bool after) {
    const std::vector<float>& v = after ? e.after : e.before;
    if (t.dtype() == DType::f32) {
        float* p = t.data<float>();
        for (size_t k = 0; k < e.index.size(); ++k) std::memcpy(p + e.index[k], &v[k], sizeof(float));
    } else {
        auto put = [&](auto* p) {
            using I = std::remove_pointer_t<decltype(p)>;
            for (size_t k = 0; k < e.index.size(); ++k) p[e.index[k]] = static_cast<I>(v[k]);
        };
        if (t.dtype() == DType::u8) put(t.data<uint8_t>());
        else if (t.dtype() == DType::i8) put(t.data<int8_t>());
        else if (t.dtype() == DType::u16) put(t.data<uint16_t>());
        else put(t.data<int16_t>());
    }
}

inline void write_edits(Graph& g, const Mutation& m, bool after) {
    check_edits(g, m);  // everything is checked before anything is written: no half-applied mutant
    for (const WeightEdit& e : m.weights) write_edit(g.value(e.value).constant, e, after);
}

}  // namespace mutate_detail

inline void apply_weights(Graph& g, const Mutation& m) { mutate_detail::write_edits(g, m, true); }
inline void revert_weights(Graph& g, const Mutation& m) { mutate_detail::write_edits(g, m, false); }

// The mutated copies of the constants a weight mutant edits, by value id, leaving g untouched:
// what several mutants run at once use instead of patching the shared weights in place.
inline std::map<int, Tensor> patched_constants(const Graph& g, const Mutation& m) {
    mutate_detail::check_edits(g, m);
    std::map<int, Tensor> out;
    for (const WeightEdit& e : m.weights) {
        auto it = out.find(e.value);
        if (it == out.end()) it = out.emplace(e.value, g.value(e.value).constant.clone()).first;
        mutate_detail::write_edit(it->second, e, true);
    }
    return out;
}

// The operator and preset names an operator list reaches (groups expanded, order kept, duplicates
// dropped; resolve_operator_lists for their parameters). Throws for an unknown name with the known
// ones. `explicit_names` receives the names not reached through a group.
inline std::vector<std::string> expand_operator_names(const std::vector<std::string>& names, std::set<std::string>* explicit_names = nullptr) {
    std::vector<std::string> out;
    std::set<std::string> seen;
    for (const RequestedOp& q : resolve_operator_lists(names)) {
        if (q.is_explicit && explicit_names) explicit_names->insert(q.name);
        if (seen.insert(q.name).second) out.push_back(q.name);
    }
    return out;
}

inline std::vector<Mutant> enumerate_mutants(const Graph& g, const EnumerateOptions& opt) {
    using namespace mutate_detail;
    // Position: all | first | last | random | N >= 1.
    const std::string& pos = opt.position;
    uint64_t nth = 0;
    if (pos != "all" && pos != "first" && pos != "last" && pos != "random") {
        bool digits = !pos.empty();
        for (char c : pos) digits = digits && c >= '0' && c <= '9';
        if (!digits) throw Error("bad position '" + pos + "'", "", "expected all, first, last, random or a number N >= 1");
        nth = parse_u64(pos, "position", "position '" + pos + "'");
        if (nth == 0) throw Error("bad position '0'", "", "positions count from 1");
    }
    const std::vector<RequestedOp> requests = resolve_operator_lists(opt.ops);
    if (requests.empty()) throw Error("no mutation operators given", "", "known " + MutationRegistry::instance().known_text());

    std::vector<Mutant> out;
    auto push = [&](const std::string& opname, const ResolvedOp& r, const std::string& target, const Target* t, const Outcome* o,
                    MutantStatus st, const std::string& reason) {
        Mutant m;
        m.spec.op = opname;
        m.spec.params = spec_params(r);
        m.spec.target = target;
        m.spec.seed = opt.seed;
        m.status = o ? o->status : st;
        m.reason = o ? o->reason : reason;
        m.category = r.op->category;
        m.family = r.op->family;
        m.layer = t ? layer_of(g, *t) : "*";
        out.push_back(std::move(m));
    };
    for (const RequestedOp& rq : requests) {
        const std::string& opname = rq.name;
        const ResolvedOp& r = rq.resolved;
        const OperatorDef& op = *r.op;
        const bool is_explicit = rq.is_explicit;
        const std::string kind = (r.preset ? "preset " : "operator ") + operator_label(opname, rq.given);
        const std::vector<Candidate> cands = op.candidates(g, r.params);
        std::vector<std::string> na_reasons;
        for (const Candidate& c : cands)
            if (!c.na.empty()) na_reasons.push_back(c.na);
        if (na_reasons.size() == cands.size()) {  // nothing applicable anywhere
            const std::string why = cands.empty() ? op.none_reason(r.params) : summarize(na_reasons);
            if (is_explicit) throw Error(kind + " does not apply to the model", "graph '" + g.name + "'", why);
            push(opname, r, "all", nullptr, nullptr, MutantStatus::not_applicable, why);
            continue;
        }
        // The candidates the position selects (all of them, or one).
        std::vector<Candidate> chosen = cands;
        if (pos != "all") {
            size_t k = 0;
            if (pos == "first") k = 0;
            else if (pos == "last") k = cands.size() - 1;
            else if (pos == "random") k = static_cast<size_t>(MutationRng(mix_seed(opt.seed, "position/" + opname)).below(cands.size()));
            else if (nth > cands.size()) {
                const std::string why = "the model has " + std::to_string(cands.size()) + " candidate node(s) for " + opname;
                if (is_explicit) throw Error("position " + pos + " does not exist", "graph '" + g.name + "'", why);
                push(opname, r, "all", nullptr, nullptr, MutantStatus::not_applicable, "position " + pos + " does not exist: " + why);
                continue;
            } else {
                k = static_cast<size_t>(nth - 1);
            }
            chosen = {cands[k]};
        }
        auto node_target = [&](int n) {
            Target t;
            t.kind = Target::Kind::node;
            t.node = n;
            return t;
        };
        auto run = [&](const Target& t, const std::string& text) {
            const Outcome o = evaluate_target(g, opname, r, cands, t, opt.seed);
            push(opname, r, text, &t, &o, o.status, "");
        };
        const bool whole = pos == "all";
        switch (op.expansion) {
            case Expansion::one_mutant:
                if (whole) {
                    Target t;
                    run(t, "all");
                } else {
                    run(node_target(chosen[0].node), "node:" + node_label(g, chosen[0].node));
                }
                break;
            case Expansion::per_op_kind:
                if (whole) {
                    std::vector<std::string> kinds;
                    for (const Candidate& c : cands) {
                        const std::string& k = g.nodes[static_cast<size_t>(c.node)].op;
                        if (std::find(kinds.begin(), kinds.end(), k) == kinds.end()) kinds.push_back(k);
                    }
                    for (const std::string& k : kinds) {
                        Target t;
                        t.kind = Target::Kind::op_kind;
                        t.op_kind = k;
                        run(t, "op:" + k);
                    }
                } else {
                    run(node_target(chosen[0].node), "node:" + node_label(g, chosen[0].node));
                }
                break;
            case Expansion::per_node:
                for (const Candidate& c : chosen) run(node_target(c.node), "node:" + node_label(g, c.node));
                break;
            case Expansion::per_unit:
            case Expansion::per_unit_pair:
                for (const Candidate& c : chosen) {
                    const std::string label = "node:" + node_label(g, c.node);
                    if (!c.na.empty()) {
                        const Target t = node_target(c.node);
                        push(opname, r, label, &t, nullptr, MutantStatus::not_applicable, c.na);
                        continue;
                    }
                    const int64_t units = mutate_neuron::layer_weights(g, c.node).units;
                    Target t = node_target(c.node);
                    t.has_units = true;
                    if (op.expansion == Expansion::per_unit_pair && units < 2) {
                        push(opname, r, label, &t, nullptr, MutantStatus::not_applicable, where_node(g, c.node) + " has one unit, nothing to switch");
                        continue;
                    }
                    const int64_t last = op.expansion == Expansion::per_unit ? units : units - 1;
                    for (int64_t j = 0; j < last; ++j) {
                        t.units = op.expansion == Expansion::per_unit ? std::vector<int64_t>{j} : std::vector<int64_t>{j, j + 1};
                        run(t, label + "/units:" + format_units(t.units));
                    }
                }
                break;
        }
    }
    // Stable ids: the position in the list.
    const int width = out.size() < 1000000 ? 6 : 9;
    for (size_t i = 0; i < out.size(); ++i) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "m%0*zu", width, i + 1);
        out[i].spec.id = buf;
    }
    return out;
}

}  // namespace mutiny

#endif  // MUTINY_MUTATE_MUTANT_HPP_
