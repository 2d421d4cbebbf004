// Kernel-level mutation operators (docs/mutation.md, MutateNN's TIR mutations). A mutant is a
// SiteConfig for the targeted nodes (by name); the backends apply it where their kernels expose the
// site, so the graph and the weights stay untouched.
//
// Which op kind has which site is data on its OpDef (OpDef::sites, set where the op's kernels are):
//   LT comparison  Relu, LeakyRelu, PRelu (`x < 0`), Clip (`x < min`)
//   GT comparison  MaxPool, GlobalMaxPool (`v > best`), Clip (`x > max`)
//   store          float32 results of the unary float ops, Conv, ConvTranspose, Gemm, MatMul,
//                  BatchNormalization, InstanceNormalization, Softmax, LogSoftmax, pools, LRN
//   reduction      Conv, ConvTranspose, Gemm, MatMul (K), pools (window), InstanceNormalization,
//                  Softmax, LogSoftmax, LRN
// A node whose op kind lacks the site is *not applicable*. A threshold shift moves the right-hand
// side of every comparison site of the node (Clip has both an LT and a GT site).
//
// Equivalence: `v * (1 + 1e-8)` is computed in float32, where 1 + 1e-8 rounds to exactly 1, so
// multiply_store_value is equivalent on every input and is reported so. `v - 1e-8` and the narrow
// stores change a value only when it is small or not representable; whether that happens on a
// data set can only be found by running it: the campaign marks mutants whose outputs are bitwise
// identical to the original's as equivalent.
#ifndef MUTINY_MUTATE_KERNEL_OPS_HPP_
#define MUTINY_MUTATE_KERNEL_OPS_HPP_

#include <map>
#include <string>
#include <vector>

#include "../ops/op.hpp"
#include "registry.hpp"

namespace mutiny {

namespace mutate_kernel {

enum class Site { lt, gt, store, reduction, rounding };

// Whether op kind `op` has site s: the op's definition says (OpDef::sites).
inline bool has_site(const std::string& op, Site s) {
    const OpDef* def = Registry::instance().find(op);
    if (!def) return false;
    switch (s) {
        case Site::lt: return def->sites.lt;
        case Site::gt: return def->sites.gt;
        case Site::store: return def->sites.store;
        case Site::reduction: return def->sites.reduction;
        case Site::rounding: return def->sites.rounding;
    }
    return false;
}

inline const char* site_text(Site s) {
    switch (s) {
        case Site::lt: return "an LT comparison site";
        case Site::gt: return "a GT comparison site";
        case Site::store: return "a store site";
        case Site::reduction: return "a reduction loop site";
        case Site::rounding: return "a quantizer rounding site";
    }
    return "?";
}

inline std::string kinds_with(Site s) {
    std::vector<std::string> v;
    for (const auto& name : Registry::instance().names())
        if (has_site(name, s)) v.push_back(name);
    return mutate_detail::join(v);
}

// Nodes whose kernel has the site; stores must be float32 (site_store acts on float32 results).
inline std::vector<Candidate> site_candidates(const Graph& g, Site s) {
    std::vector<Candidate> c;
    for (size_t n = 0; n < g.nodes.size(); ++n) {
        const Node& node = g.nodes[n];
        if (!has_site(node.op, s)) continue;
        Candidate cand{static_cast<int>(n), ""};
        if (s == Site::store && (node.outputs.empty() || g.value(node.outputs[0]).dtype != DType::f32))
            cand.na = Graph::where(node) + " stores " + (node.outputs.empty() ? std::string("nothing") : dtype_name(g.value(node.outputs[0]).dtype)) +
                      "; store mutations act on float32 results";
        c.push_back(cand);
    }
    return c;
}

// The node sites of the mutant: one SiteConfig per node, keyed by its (unique) name.
inline Outcome with_sites(const Graph& g, const std::vector<int>& nodes, const SiteConfig& s) {
    Outcome o;
    for (int n : nodes) {
        const std::string& name = g.nodes[static_cast<size_t>(n)].name;
        if (name.empty() || mutate_detail::node_label(g, n) != name) {
            o.status = MutantStatus::invalid;
            o.reason = mutate_detail::where_node(g, n) + " has no unique name; kernel sites are configured by node name";
            o.mutation = Mutation{};
            return o;
        }
        o.mutation.node_sites[name] = s;
        o.mutation.changed_nodes.push_back(n);
    }
    return o;
}

inline Site swap_site(const std::string& swap) { return swap.rfind("lt", 0) == 0 ? Site::lt : Site::gt; }

inline void register_cmp_swap(MutationRegistry& r) { r.add([] {
    OperatorDef d;
    d.name = "cmp_swap";
    d.family = "kernel";
    d.category = "conditional operators";
    d.summary = "comparator replacement at the kernels' comparison sites: < -> <=, < -> >, > -> <, > -> >=";
    d.params = {ParamDef::choice("swap", "lt_to_le", {"lt_to_le", "lt_to_gt", "gt_to_lt", "gt_to_ge"}, "the replacement")};
    d.expansion = Expansion::per_op_kind;
    d.candidates = [](const Graph& g, const Params& p) { return site_candidates(g, swap_site(p.str("swap"))); };
    d.none_reason = [](const Params& p) {
        const Site s = swap_site(p.str("swap"));
        return std::string("no node has ") + site_text(s) + " (" + kinds_with(s) + ")";
    };
    d.apply = [](const Graph& g, const std::vector<int>& nodes, const Target&, const Params& p, uint64_t) {
        SiteConfig s;
        const std::string& w = p.str("swap");
        s.cmp = w == "lt_to_le" ? SiteConfig::Cmp::lt_to_le : w == "lt_to_gt" ? SiteConfig::Cmp::lt_to_gt
              : w == "gt_to_lt" ? SiteConfig::Cmp::gt_to_lt : SiteConfig::Cmp::gt_to_ge;
        return with_sites(g, nodes, s);
    };
    return d;
}()); }

inline void register_threshold_shift(MutationRegistry& r) { r.add([] {
    OperatorDef d;
    d.name = "threshold_shift";
    d.family = "kernel";
    d.category = "conditional operators";
    d.summary = "threshold shift at comparison sites: a < b -> a < b' with b' = b + t, b - t, b * t, b / t, b +- |b| t / 100";
    d.params = {ParamDef::choice("site", "lt", {"lt", "gt"}, "nodes with this comparison site are targeted"),
                ParamDef::choice("action", "add", {"add", "sub", "mul", "div", "add_percent", "sub_percent"}, "how b moves"),
                ParamDef::real("t", "0.5", -1e6, 1e6, false, false, "the shift")};
    d.expansion = Expansion::per_op_kind;
    d.check = [](const Params& p) {
        return p.str("action") == "div" && p.num("t") == 0.0 ? std::string("action div needs t != 0") : std::string();
    };
    d.candidates = [](const Graph& g, const Params& p) { return site_candidates(g, p.str("site") == "lt" ? Site::lt : Site::gt); };
    d.none_reason = [](const Params& p) {
        const Site s = p.str("site") == "lt" ? Site::lt : Site::gt;
        return std::string("no node has ") + site_text(s) + " (" + kinds_with(s) + ")";
    };
    d.apply = [](const Graph& g, const std::vector<int>& nodes, const Target&, const Params& p, uint64_t) {
        SiteConfig s;
        const std::string& a = p.str("action");
        s.shift = a == "add" ? SiteConfig::Shift::add : a == "sub" ? SiteConfig::Shift::sub : a == "mul" ? SiteConfig::Shift::mul
                : a == "div" ? SiteConfig::Shift::div : a == "add_percent" ? SiteConfig::Shift::add_percent : SiteConfig::Shift::sub_percent;
        s.threshold = p.num("t");
        Outcome o = with_sites(g, nodes, s);
        const double t = p.num("t");
        const bool neutral = ((a == "mul" || a == "div") && t == 1.0) || (a != "mul" && a != "div" && t == 0.0);
        if (o.status == MutantStatus::ok && neutral) {
            o.status = MutantStatus::equivalent;
            o.reason = "action " + a + " with t = " + p.str("t") + " leaves every threshold unchanged";
        }
        return o;
    };
    return d;
}()); }

inline void register_store_type(MutationRegistry& r) { r.add([] {
    OperatorDef d;
    d.name = "store_type";
    d.family = "kernel";
    d.category = "arithmetic types";
    d.summary = "values stored by the kernel pass through a narrower type: f16 (round to nearest even), i32/i16/i8 "
                "(truncate toward zero, saturate)";
    d.params = {ParamDef::choice("type", "f16", {"f16", "i32", "i16", "i8"}, "the narrower type")};
    d.expansion = Expansion::per_op_kind;
    d.candidates = [](const Graph& g, const Params&) { return site_candidates(g, Site::store); };
    d.none_reason = [](const Params&) { return std::string("no node has ") + site_text(Site::store) + " (" + kinds_with(Site::store) + ")"; };
    d.apply = [](const Graph& g, const std::vector<int>& nodes, const Target&, const Params& p, uint64_t) {
        SiteConfig s;
        const std::string& t = p.str("type");
        s.store = t == "f16" ? SiteConfig::Store::f16 : t == "i32" ? SiteConfig::Store::i32 : t == "i16" ? SiteConfig::Store::i16 : SiteConfig::Store::i8;
        return with_sites(g, nodes, s);
    };
    return d;
}()); }

inline void register_store_tweak(MutationRegistry& r) { r.add([] {
    OperatorDef d;
    d.name = "store_tweak";
    d.family = "kernel";
    d.category = "kernel variables and stores";
    d.summary = "store value v -> v - 1e-8 (sub_eps) or v * (1 + 1e-8) (mul_eps, always equivalent in float32)";
    d.params = {ParamDef::choice("action", "sub_eps", {"sub_eps", "mul_eps"}, "the tweak")};
    d.expansion = Expansion::per_op_kind;
    d.candidates = [](const Graph& g, const Params&) { return site_candidates(g, Site::store); };
    d.none_reason = [](const Params&) { return std::string("no node has ") + site_text(Site::store) + " (" + kinds_with(Site::store) + ")"; };
    d.apply = [](const Graph& g, const std::vector<int>& nodes, const Target&, const Params& p, uint64_t) {
        SiteConfig s;
        s.store = p.str("action") == "sub_eps" ? SiteConfig::Store::sub_eps : SiteConfig::Store::mul_eps;
        Outcome o = with_sites(g, nodes, s);
        // The kernels compute v * (1.0f + 1e-8f); the factor rounds to exactly 1.0f.
        const float factor = 1.0f + 1e-8f;
        if (o.status == MutantStatus::ok && s.store == SiteConfig::Store::mul_eps && factor == 1.0f) {
            o.status = MutantStatus::equivalent;
            o.reason = "1 + 1e-8 rounds to 1 in float32, so v * (1 + 1e-8) == v for every v";
        }
        return o;
    };
    return d;
}()); }

inline void register_reduction_drop(MutationRegistry& r) { r.add([] {
    OperatorDef d;
    d.name = "reduction_drop";
    d.family = "kernel";
    d.category = "kernel variables and stores";
    d.summary = "reduction loop bound: one accumulation term fewer (the last)";
    d.expansion = Expansion::per_op_kind;
    d.candidates = [](const Graph& g, const Params&) { return site_candidates(g, Site::reduction); };
    d.none_reason = [](const Params&) {
        return std::string("no node has ") + site_text(Site::reduction) + " (" + kinds_with(Site::reduction) + ")";
    };
    d.apply = [](const Graph& g, const std::vector<int>& nodes, const Target&, const Params&, uint64_t) {
        SiteConfig s;
        s.reduction_drop_last = true;
        return with_sites(g, nodes, s);
    };
    return d;
}()); }

}  // namespace mutate_kernel
// Registers the kernel-level operators, in the order listings show them.
inline void register_kernel_operators(MutationRegistry& r) {
    mutate_kernel::register_cmp_swap(r);
    mutate_kernel::register_threshold_shift(r);
    mutate_kernel::register_store_type(r);
    mutate_kernel::register_store_tweak(r);
    mutate_kernel::register_reduction_drop(r);
}

}  // namespace mutiny

#endif  // MUTINY_MUTATE_KERNEL_OPS_HPP_
