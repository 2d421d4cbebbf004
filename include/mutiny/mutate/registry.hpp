// The mutation operator registry. Operators, MutateNN's presets and named groups are data: one
// OperatorDef per operator (name, family, category, typed parameters with defaults and ranges, the
// nodes it can target, and apply), registered by the file of its family, so adding an operator
// touches one file and a user can register their own without patching Mutiny.
#ifndef MUTINY_MUTATE_REGISTRY_HPP_
#define MUTINY_MUTATE_REGISTRY_HPP_

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "spec.hpp"

namespace mutiny {

enum class ParamKind { integer, real, choice };

struct ParamDef {
    std::string name;
    ParamKind kind = ParamKind::real;
    std::string def;                   // default, as text
    double lo = 0, hi = 0;             // range of integer and real parameters
    bool lo_open = false, hi_open = false;
    std::vector<std::string> choices;  // choice parameters
    std::string help;

    static ParamDef real(std::string n, std::string d, double lo, double hi, bool lo_open, bool hi_open, std::string h) {
        ParamDef p;
        p.name = std::move(n); p.kind = ParamKind::real; p.def = std::move(d);
        p.lo = lo; p.hi = hi; p.lo_open = lo_open; p.hi_open = hi_open; p.help = std::move(h);
        return p;
    }
    static ParamDef integer(std::string n, std::string d, double lo, double hi, std::string h) {
        ParamDef p;
        p.name = std::move(n); p.kind = ParamKind::integer; p.def = std::move(d); p.lo = lo; p.hi = hi; p.help = std::move(h);
        return p;
    }
    static ParamDef choice(std::string n, std::string d, std::vector<std::string> c, std::string h) {
        ParamDef p;
        p.name = std::move(n); p.kind = ParamKind::choice; p.def = std::move(d); p.choices = std::move(c); p.help = std::move(h);
        return p;
    }
    std::string range_text() const {
        if (kind == ParamKind::choice) {
            std::string s = "one of ";
            for (size_t i = 0; i < choices.size(); ++i) s += (i ? ", " : "") + choices[i];
            return s;
        }
        auto num = [](double v) {
            std::string s = std::to_string(v);
            while (s.size() > 1 && s.back() == '0') s.pop_back();
            if (!s.empty() && s.back() == '.') s.pop_back();
            return s;
        };
        return std::string(lo_open ? "(" : "[") + num(lo) + ", " + num(hi) + (hi_open ? ")" : "]");
    }
};

// Resolved parameters: every parameter of the operator present, checked against its range.
class Params {
public:
    std::map<std::string, std::string> text;
    const std::string& str(const std::string& k) const {
        auto it = text.find(k);
        if (it == text.end()) throw Error("missing parameter '" + k + "'", "mutation operator", "internal: not resolved");
        return it->second;
    }
    double num(const std::string& k) const { return std::strtod(str(k).c_str(), nullptr); }
    int64_t integer(const std::string& k) const { return std::strtoll(str(k).c_str(), nullptr, 10); }
};

// A node an operator could mutate. `na` non-empty: it is of the right kind but the operator
// cannot change it there (the reason is reported, never dropped).
struct Candidate {
    int node = -1;
    std::string na;
};

struct Target {
    enum class Kind { all, op_kind, node };
    Kind kind = Kind::all;
    std::string op_kind;
    int node = -1;
    bool has_units = false;
    std::vector<int64_t> units;
};

struct Outcome {
    MutantStatus status = MutantStatus::ok;
    std::string reason;
    Mutation mutation;
};

// How position "all" expands an operator into mutants.
enum class Expansion {
    one_mutant,     // one mutant over every candidate (MutateNN's "all occurrences")
    per_op_kind,    // one per op kind (kernel level: all kernels of one op kind)
    per_node,       // one per candidate node (DeepMutation++'s layer operators, GF)
    per_unit,       // one per output unit of every candidate layer (NEB, NAI, CW, WS)
    per_unit_pair,  // one per pair of neighbouring units (NS)
};

struct OperatorDef {
    std::string name;
    std::string family;    // graph | kernel | neuron
    std::string category;  // e.g. "conditional operators" (docs/mutation.md)
    std::string summary;
    std::vector<ParamDef> params;
    Expansion expansion = Expansion::per_node;
    bool uses_seed = false;  // a stochastic operator (GF, WS)
    // Candidate nodes in topological order (positions count over these).
    std::function<std::vector<Candidate>(const Graph&, const Params&)> candidates;
    // Why there are no candidates at all (e.g. "no node has an LT comparison site").
    std::function<std::string(const Params&)> none_reason;
    // Applies to the selected nodes. Never throws for a well-formed request: a mutant that cannot
    // be built comes back as invalid / not_applicable with the reason.
    std::function<Outcome(const Graph&, const std::vector<int>& nodes, const Target&, const Params&, uint64_t seed)> apply;
    // Extra checks across parameters (e.g. from != to); returns an error text or "".
    std::function<std::string(const Params&)> check;
};

struct PresetDef {
    std::string name;
    std::string op;      // the operator it configures
    std::string source;  // "MutateNN"
    std::string summary;
    std::map<std::string, std::string> fixed;  // parameters the preset sets (cannot be overridden)
};

class MutationRegistry;
namespace link_check {
// Defined with the built-in ops (see ops/op.hpp): the built-in mutation operators.
void builtin_mutation_operators(MutationRegistry& r);
}

// The mutation operators, presets and groups: filled with the built-in ones on first use.
class MutationRegistry {
public:
    static MutationRegistry& instance() {
        static MutationRegistry r = [] {
            MutationRegistry b;
            link_check::builtin_mutation_operators(b);
            return b;
        }();
        return r;
    }
    bool add(OperatorDef d) {
        const std::string n = d.name;
        if (!order_.count(n)) order_[n] = order_.size();
        ops_[n] = std::move(d);
        return true;
    }
    bool add_preset(PresetDef p) {
        const std::string n = p.name;
        if (!order_.count(n)) order_[n] = order_.size();
        presets_[n] = std::move(p);
        return true;
    }
    bool add_group(const std::string& name, std::vector<std::string> members) {
        groups_[name] = std::move(members);
        return true;
    }
    const OperatorDef* find_operator(const std::string& n) const {
        auto it = ops_.find(n);
        return it == ops_.end() ? nullptr : &it->second;
    }
    const PresetDef* find_preset(const std::string& n) const {
        auto it = presets_.find(n);
        return it == presets_.end() ? nullptr : &it->second;
    }
    const std::vector<std::string>* find_group(const std::string& n) const {
        auto it = groups_.find(n);
        return it == groups_.end() ? nullptr : &it->second;
    }
    // Names in registration order (operators, then presets as their files register them).
    std::vector<std::string> operator_names() const { return ordered(ops_); }
    std::vector<std::string> preset_names() const { return ordered(presets_); }
    std::vector<std::string> group_names() const {
        std::vector<std::string> v;
        for (auto& kv : groups_) v.push_back(kv.first);
        return v;
    }
    // "operators: GF, ...; presets: ...; groups: ..." for error messages and --help.
    std::string known_text() const {
        auto join = [](const std::vector<std::string>& v) {
            std::string s;
            for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
            return s;
        };
        return "operators: " + join(operator_names()) + "; presets: " + join(preset_names()) + "; groups: " + join(group_names());
    }

private:
    template <class M>
    std::vector<std::string> ordered(const M& m) const {
        std::vector<std::string> v;
        for (auto& kv : m) v.push_back(kv.first);
        std::sort(v.begin(), v.end(), [&](const std::string& a, const std::string& b) { return order_.at(a) < order_.at(b); });
        return v;
    }
    std::map<std::string, OperatorDef> ops_;
    std::map<std::string, PresetDef> presets_;
    std::map<std::string, std::vector<std::string>> groups_;
    std::map<std::string, size_t> order_;
};

// --- helpers shared by the operator families ------------------------------------------------------
namespace mutate_detail {

inline std::string join(const std::vector<std::string>& v, const std::string& sep = ", ") {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
    return s;
}

// How a target names a node: its name when that is non-empty and unique, else "#INDEX".
inline std::string node_label(const Graph& g, int n) {
    const std::string& name = g.nodes[static_cast<size_t>(n)].name;
    if (!name.empty() && name[0] != '#') {
        int count = 0;
        for (const Node& m : g.nodes) count += m.name == name ? 1 : 0;
        if (count == 1) return name;
    }
    return "#" + std::to_string(n);
}

inline std::string where_node(const Graph& g, int n) { return Graph::where(g.nodes[static_cast<size_t>(n)]); }

inline bool is_graph_output(const Graph& g, int v) { return std::find(g.outputs.begin(), g.outputs.end(), v) != g.outputs.end(); }

// The nodes reading value v.
inline std::vector<int> consumers(const Graph& g, int v) {
    std::vector<int> r;
    for (size_t n = 0; n < g.nodes.size(); ++n)
        for (int in : g.nodes[n].inputs)
            if (in == v) {
                r.push_back(static_cast<int>(n));
                break;
            }
    return r;
}

// The one text of a numeric parameter value, so that "0.50", "0.5" and "5e-1" make the same spec,
// the same mutant name and the same key wherever mutants are grouped: integral values without a
// fraction ("2", not "2.0"), others in the fewest significant digits that read back to the same
// double.
inline std::string canonical_number(double x) {
    if (x == 0) x = 0;  // -0 -> 0
    char b[40];
    if (x == std::trunc(x) && std::fabs(x) < 1e15) {
        std::snprintf(b, sizeof b, "%.0f", x);
        return b;
    }
    for (int digits = 1; digits <= 17; ++digits) {
        std::snprintf(b, sizeof b, "%.*g", digits, x);
        if (std::strtod(b, nullptr) == x) break;
    }
    return b;
}

// Checks one parameter value against its definition (ParamDef: kind, range or choices, declared
// where the operator is); returns the canonical text. Numbers are read strictly: the whole text is
// one decimal number, no blanks, no leading '+', no hexadecimal, inf or nan.
inline std::string check_param(const OperatorDef& op, const ParamDef& p, const std::string& v) {
    const std::string where = "operator " + op.name;
    if (p.kind == ParamKind::choice) {
        if (std::find(p.choices.begin(), p.choices.end(), v) == p.choices.end())
            throw Error("parameter '" + p.name + "' out of range", where, "'" + v + "' is not " + p.range_text());
        return v;
    }
    const bool integer = p.kind == ParamKind::integer;
    const char* kind = integer ? "an integer" : "a number";
    bool ok = !v.empty() && (std::isdigit(static_cast<unsigned char>(v[0])) || v[0] == '-' || (!integer && v[0] == '.'));
    for (char c : v) ok = ok && (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || (!integer && (c == '.' || c == 'e' || c == 'E' || c == '+')));
    double x = 0;
    if (ok) {
        char* e = nullptr;
        errno = 0;
        x = integer ? static_cast<double>(std::strtoll(v.c_str(), &e, 10)) : std::strtod(v.c_str(), &e);
        ok = *e == '\0' && errno != ERANGE && std::isfinite(x);
    }
    if (!ok)
        throw Error("wrong type for parameter '" + p.name + "'", where,
                    "'" + v + "' is not " + kind + "; " + p.name + " takes " + kind + " in " + p.range_text());
    const bool below = p.lo_open ? !(x > p.lo) : !(x >= p.lo);
    const bool above = p.hi_open ? !(x < p.hi) : !(x <= p.hi);
    if (below || above)
        throw Error("parameter '" + p.name + "' out of range", where, v + " is outside " + p.range_text());
    return canonical_number(x);
}

}  // namespace mutate_detail

// The operator a name stands for, with its parameters resolved: defaults, then the preset's fixed
// values, then the spec's. Throws for an unknown name, an unknown parameter, a value out of range,
// or an attempt to override what a preset fixes.
struct ResolvedOp {
    const OperatorDef* op = nullptr;
    const PresetDef* preset = nullptr;
    Params params;
};

inline ResolvedOp resolve_operator(const std::string& name, const std::map<std::string, std::string>& given = {}) {
    const MutationRegistry& reg = MutationRegistry::instance();
    ResolvedOp r;
    r.preset = reg.find_preset(name);
    r.op = reg.find_operator(r.preset ? r.preset->op : name);
    if (!r.op) throw Error("unknown mutation operator '" + name + "'", "", "known " + reg.known_text());
    std::map<std::string, std::string> v;
    for (const ParamDef& p : r.op->params) v[p.name] = p.def;
    if (r.preset)
        for (const auto& kv : r.preset->fixed) v[kv.first] = kv.second;
    for (const auto& kv : given) {
        auto it = std::find_if(r.op->params.begin(), r.op->params.end(), [&](const ParamDef& p) { return p.name == kv.first; });
        if (it == r.op->params.end()) {
            std::vector<std::string> names;
            for (const ParamDef& p : r.op->params) names.push_back(p.name);
            throw Error("unknown parameter '" + kv.first + "'", "operator " + name,
                        names.empty() ? std::string("it takes no parameters") : "it takes " + mutate_detail::join(names));
        }
        if (r.preset && r.preset->fixed.count(kv.first) &&
            mutate_detail::check_param(*r.op, *it, r.preset->fixed.at(kv.first)) != mutate_detail::check_param(*r.op, *it, kv.second))
            throw Error("parameter '" + kv.first + "' is fixed", "preset " + name,
                        "the preset sets it to " + r.preset->fixed.at(kv.first) + "; use operator " + r.op->name + " to choose");
        v[kv.first] = kv.second;
    }
    for (const ParamDef& p : r.op->params) r.params.text[p.name] = mutate_detail::check_param(*r.op, p, v[p.name]);
    if (r.op->check) {
        const std::string bad = r.op->check(r.params);
        if (!bad.empty()) throw Error("bad parameters", "operator " + name, bad);
    }
    return r;
}

// The spec's parameters as enumeration writes them: everything the preset does not fix.
inline std::map<std::string, std::string> spec_params(const ResolvedOp& r) {
    std::map<std::string, std::string> m;
    for (const auto& kv : r.params.text)
        if (!r.preset || !r.preset->fixed.count(kv.first)) m[kv.first] = kv.second;
    return m;
}

// How listings and reports name a mutant's operator: its name, followed by the parameters whose
// values differ from their defaults (in the order the operator declares them), so that two
// parameterisations of one operator are told apart: "CW", "CW(p=0.2)", "GF(ratio=0.5,sigma=0.2)".
// A preset's fixed parameters are part of its name and not repeated. The text is itself a valid
// operator-list item: `--ops 'LABEL'` enumerates those mutants again.
inline std::string operator_label(const std::string& name, const std::map<std::string, std::string>& params) {
    ResolvedOp r;
    try {
        r = resolve_operator(name, params);
    } catch (const Error&) {
        return name;  // not resolvable (an operator since unregistered): the name alone
    }
    std::string extra;
    for (const ParamDef& p : r.op->params) {
        if (r.preset && r.preset->fixed.count(p.name)) continue;
        const std::string& v = r.params.text.at(p.name);
        if (v == mutate_detail::check_param(*r.op, p, p.def)) continue;
        extra += (extra.empty() ? "" : ",") + p.name + "=" + v;
    }
    return extra.empty() ? name : name + "(" + extra + ")";
}

inline std::string operator_label(const MutantSpec& s) { return operator_label(s.op, s.params); }

// An operator or preset to enumerate, resolved: what an operator list expands to.
struct RequestedOp {
    std::string name;                           // operator or preset name
    std::map<std::string, std::string> given;   // the parameters the list gave
    ResolvedOp resolved;
    bool is_explicit = false;                   // named in the list itself, not reached through a group
};

// Parses operator lists (parse_operator_list; each string may hold several items) and resolves
// every item against the registry: groups are expanded (a group takes no parameters), each
// operator's parameters are checked against their declared kinds and ranges, and duplicates (the
// same name with the same resolved parameters) are dropped, order kept. Errors say which item, at
// which position, is wrong: unknown name (with the known ones), unknown parameter (with the valid
// ones), wrong type, out of range (with the range), a parameter a preset fixes.
inline std::vector<RequestedOp> resolve_operator_lists(const std::vector<std::string>& lists) {
    const MutationRegistry& reg = MutationRegistry::instance();
    std::vector<RequestedOp> out;
    std::set<std::string> seen;
    auto add = [&](const std::string& name, const std::map<std::string, std::string>& given, bool is_explicit) {
        RequestedOp q;
        q.name = name;
        q.given = given;
        q.resolved = resolve_operator(name, given);
        q.is_explicit = is_explicit;
        std::string key = name;
        for (const auto& kv : spec_params(q.resolved)) key += " " + kv.first + "=" + kv.second;
        if (seen.insert(key).second) {
            out.push_back(std::move(q));
        } else if (is_explicit) {
            for (RequestedOp& o : out)  // named in a group and on its own: it counts as named
                if (o.name == name && spec_params(o.resolved) == spec_params(q.resolved)) o.is_explicit = true;
        }
    };
    for (const std::string& list : lists)
        for (const OperatorRequest& rq : parse_operator_list(list)) {
            const std::string where = "'" + rq.text + "'" +
                                      (rq.text == list ? std::string() : " (position " + std::to_string(rq.pos) + " of the operator list '" + list + "')");
            try {
                if (const auto* grp = reg.find_group(rq.name)) {
                    if (!rq.params.empty())
                        throw Error("group " + rq.name + " takes no parameters", "",
                                    "parameters belong to one operator: name it, e.g. " + (grp->empty() ? std::string("CW") : grp->front()) + "(...)");
                    for (const std::string& m : *grp) add(m, {}, false);
                    continue;
                }
                add(rq.name, rq.params, true);
            } catch (const Error& e) {
                throw Error(e.what_part(), e.where_part().empty() ? where : e.where_part() + " in " + where, e.why_part());
            }
        }
    return out;
}

// Parses a target against a graph. Throws when it names a node, op kind or unit that does not
// exist; whether the operator applies there is the operator's business (not applicable, not an error).
inline Target parse_target(const Graph& g, const std::string& text) {
    Target t;
    const std::string where = "target '" + text + "'";
    if (text == "all") return t;
    if (text.rfind("op:", 0) == 0) {
        t.kind = Target::Kind::op_kind;
        t.op_kind = text.substr(3);
        bool found = false;
        for (const Node& n : g.nodes) found = found || n.op == t.op_kind;
        if (!found) throw Error("no such op kind in the model", where, "no node of the graph is a " + t.op_kind);
        return t;
    }
    if (text.rfind("node:", 0) != 0)
        throw Error("bad target", where, "expected all, op:KIND, node:NAME or node:NAME/units:LIST");
    std::string label = text.substr(5);
    const size_t u = label.rfind("/units:");
    if (u != std::string::npos) {
        const std::string list = label.substr(u + 7);
        label = label.substr(0, u);
        t.has_units = true;
        size_t i = 0;
        while (i <= list.size()) {
            size_t j = list.find(',', i);
            if (j == std::string::npos) j = list.size();
            const std::string item = list.substr(i, j - i);
            t.units.push_back(static_cast<int64_t>(mutate_detail::parse_u64(item, "unit list", where)));
            i = j + 1;
        }
        std::vector<int64_t> sorted = t.units;
        std::sort(sorted.begin(), sorted.end());
        if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
            throw Error("bad target", where, "a unit appears twice");
    }
    if (!label.empty() && label[0] == '#') {
        const uint64_t idx = mutate_detail::parse_u64(label.substr(1), "node index", where);
        if (idx >= g.nodes.size())
            throw Error("no such node", where, "the graph has " + std::to_string(g.nodes.size()) + " nodes");
        t.node = static_cast<int>(idx);
    } else {
        for (size_t n = 0; n < g.nodes.size(); ++n)
            if (g.nodes[n].name == label) {
                if (t.node >= 0) throw Error("ambiguous node name", where, "two nodes are called '" + label + "'; use node:#INDEX");
                t.node = static_cast<int>(n);
            }
        if (t.node < 0) throw Error("no such node", where, "no node of graph '" + g.name + "' is called '" + label + "'");
    }
    t.kind = Target::Kind::node;
    return t;
}

inline std::string format_units(const std::vector<int64_t>& units) {
    std::string s;
    for (size_t i = 0; i < units.size(); ++i) s += (i ? "," : "") + std::to_string(units[i]);
    return s;
}

}  // namespace mutiny

#endif  // MUTINY_MUTATE_REGISTRY_HPP_
