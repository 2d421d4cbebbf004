// Mutant specs and what applying one produces (docs/mutation.md).
//
// A MutantSpec = {id, operator, parameters, target, seed} is small and travels as one line of
// stable text, `id=m000001 op=NAI target=node:/conv1/Conv/units:3 seed=0 bias=keep`: the four
// fixed keys first, then the parameters sorted by name; values are percent-escaped where they
// hold a space, '%' or a non-printable byte, so a spec round-trips whatever the node names are.
//
// Targets:  all                      every node the operator can mutate
//           op:KIND                  every such node of one op kind
//           node:NAME                one node (node:#INDEX when a node has no unique name)
//           node:NAME/units:3,7,9    a set (cluster) of output units of a Conv/Gemm/MatMul layer
//
// A Mutation is what applying a spec yields, kept as small as the operator allows: weight edits
// (flat indices with the old and new values, so a mutant is applied and reverted in place with no
// copy of the model), per-node kernel site configurations, or, for graph-level operators only,
// the whole mutated and validated graph.
#ifndef MUTINY_MUTATE_SPEC_HPP_
#define MUTINY_MUTATE_SPEC_HPP_

#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/hash.hpp"
#include "../graph/graph.hpp"
#include "../ops/op.hpp"

namespace mutiny {

enum class MutantStatus { ok, invalid, not_applicable, equivalent };

inline const char* mutant_status_name(MutantStatus s) {
    switch (s) {
        case MutantStatus::ok: return "ok";
        case MutantStatus::invalid: return "invalid";
        case MutantStatus::not_applicable: return "not_applicable";
        case MutantStatus::equivalent: return "equivalent";
    }
    return "?";
}

namespace mutate_detail {

inline bool spec_key_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

// Spaces separate fields and '%' introduces an escape; everything else printable stays readable
// (node names such as "/conv1/Conv" are common and must stay legible in a spec file).
inline std::string escape(const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string o;
    for (char ch : s) {
        const unsigned char c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c >= 0x7f || c == '%') {
            o += '%';
            o += hex[c >> 4];
            o += hex[c & 15];
        } else {
            o += ch;
        }
    }
    return o;
}

inline int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

inline std::string unescape(const std::string& s, const std::string& line) {
    std::string o;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            o += s[i];
            continue;
        }
        const int hi = i + 1 < s.size() ? hex_value(s[i + 1]) : -1;
        const int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
        if (hi < 0 || lo < 0) throw Error("bad escape in mutant spec", "'" + line + "'", "'%' must be followed by two hex digits");
        o += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return o;
}

inline uint64_t parse_u64(const std::string& v, const std::string& what, const std::string& where) {
    if (v.empty() || v.size() > 20) throw Error("bad " + what, where, "expected an unsigned integer, got '" + v + "'");
    uint64_t x = 0;
    for (char c : v) {
        if (c < '0' || c > '9') throw Error("bad " + what, where, "expected an unsigned integer, got '" + v + "'");
        const uint64_t d = static_cast<uint64_t>(c - '0');
        if (x > (UINT64_MAX - d) / 10) throw Error("bad " + what, where, "'" + v + "' does not fit 64 bits");
        x = x * 10 + d;
    }
    return x;
}

}  // namespace mutate_detail

// One operator, preset or group as a list names it, with the parameters written after it:
// "GF(ratio=0.5,sigma=0.1)". The syntax is the same wherever operators are named (--ops, --preset,
// EnumerateOptions::ops, op= in a spec line), so what a list says is what a spec records.
struct OperatorRequest {
    std::string name;
    std::map<std::string, std::string> params;  // as written; checked when the name is resolved
    std::string text;                           // the item as written, e.g. "GF(ratio=0.5)"
    size_t pos = 0;                             // 1-based position of the item in the list text
};

// Parses `NAME[(KEY=VALUE[,KEY=VALUE...])][,NAME...]`. Blanks around names, keys, values and
// punctuation are allowed; empty items are dropped (a trailing comma is harmless). Names and keys
// are [A-Za-z0-9_.-]; a value is anything up to the next ',' or ')' without blanks, '(' or '='.
// Only the syntax is checked here: whether the name exists and the values fit their parameters is
// the registry's business (resolve_operator). A syntax error names the 1-based position.
inline std::vector<OperatorRequest> parse_operator_list(const std::string& s) {
    std::vector<OperatorRequest> out;
    size_t i = 0;
    auto fail = [&](size_t at, const std::string& why) {
        throw Error("syntax error in operator list", "'" + s + "' position " + std::to_string(at + 1), why);
    };
    auto blank = [](char c) { return c == ' ' || c == '\t'; };
    auto skip = [&] {
        while (i < s.size() && blank(s[i])) ++i;
    };
    auto word = [&] {
        const size_t b = i;
        while (i < s.size() && mutate_detail::spec_key_char(s[i])) ++i;
        return s.substr(b, i - b);
    };
    auto got = [&](size_t at) { return at < s.size() ? "'" + std::string(1, s[at]) + "'" : std::string("the end"); };
    for (;;) {
        skip();
        if (i >= s.size()) break;
        if (s[i] == ',') {
            ++i;
            continue;
        }
        OperatorRequest r;
        const size_t start = i;
        r.pos = i + 1;
        r.name = word();
        if (r.name.empty()) fail(i, "expected an operator, preset or group name, got " + got(i));
        size_t end = i;
        skip();
        if (i < s.size() && s[i] == '(') {
            ++i;
            skip();
            if (i < s.size() && s[i] == ')') {
                ++i;  // NAME(): no parameters
            } else {
                for (;;) {
                    skip();
                    const size_t kpos = i;
                    const std::string key = word();
                    if (key.empty()) fail(i, "expected a parameter name, got " + got(i));
                    skip();
                    if (i >= s.size() || s[i] != '=') fail(i, "expected '=' after parameter '" + key + "', got " + got(i));
                    ++i;
                    skip();
                    const size_t b = i;
                    while (i < s.size() && s[i] != ',' && s[i] != ')' && s[i] != '(' && s[i] != '=' && !blank(s[i])) ++i;
                    if (i == b) fail(i, "expected a value for parameter '" + key + "', got " + got(i));
                    if (!r.params.emplace(key, s.substr(b, i - b)).second) fail(kpos, "parameter '" + key + "' appears twice");
                    skip();
                    if (i < s.size() && s[i] == ',') {
                        ++i;
                        continue;
                    }
                    if (i < s.size() && s[i] == ')') {
                        ++i;
                        break;
                    }
                    fail(i, "expected ',' or ')' after the value of '" + key + "', got " + got(i));
                }
            }
            end = i;
            skip();
            if (i < s.size() && s[i] != ',') fail(i, "expected ',' after ')', got " + got(i));
        } else if (i < s.size() && s[i] != ',') {
            // "GF:ratio=0.5" and "GF ratio=0.5" are the likely slips: say how parameters are written.
            fail(i, "expected ',' or '(' after '" + r.name + "', got " + got(i) + "; parameters are written NAME(KEY=VALUE,...)");
        }
        r.text = s.substr(start, end - start);
        out.push_back(std::move(r));
    }
    return out;
}

struct MutantSpec {
    std::string id;
    std::string op;                              // operator or preset name
    std::map<std::string, std::string> params;   // parameter name -> value text
    std::string target;                          // see the header comment
    uint64_t seed = 0;

    // One line, no trailing newline; parse(str()) == *this.
    std::string str() const {
        using mutate_detail::escape;
        std::string s = "id=" + escape(id) + " op=" + escape(op) + " target=" + escape(target) + " seed=" + std::to_string(seed);
        for (const auto& kv : params) s += " " + kv.first + "=" + escape(kv.second);
        return s;
    }

    static MutantSpec parse(const std::string& line) {
        using namespace mutate_detail;
        MutantSpec m;
        bool has_op = false, has_target = false, has_id = false, has_seed = false;
        size_t i = 0;
        while (i < line.size()) {
            if (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n') {
                ++i;
                continue;
            }
            size_t j = i;
            while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r' && line[j] != '\n') ++j;
            const std::string tok = line.substr(i, j - i);
            i = j;
            const size_t eq = tok.find('=');
            if (eq == std::string::npos || eq == 0)
                throw Error("bad mutant spec", "'" + line + "'", "field '" + tok + "' is not key=value");
            const std::string key = tok.substr(0, eq);
            for (char c : key)
                if (!spec_key_char(c)) throw Error("bad mutant spec", "'" + line + "'", "key '" + key + "' has a character outside [A-Za-z0-9_.-]");
            const std::string val = unescape(tok.substr(eq + 1), line);
            auto once = [&](bool& seen) {
                if (seen) throw Error("bad mutant spec", "'" + line + "'", "key '" + key + "' appears twice");
                seen = true;
            };
            if (key == "id") { once(has_id); m.id = val; }
            else if (key == "op") { once(has_op); m.op = val; }
            else if (key == "target") { once(has_target); m.target = val; }
            else if (key == "seed") { once(has_seed); m.seed = parse_u64(val, "seed", "'" + line + "'"); }
            else if (!m.params.emplace(key, val).second)
                throw Error("bad mutant spec", "'" + line + "'", "parameter '" + key + "' appears twice");
        }
        if (!has_op || m.op.empty()) throw Error("bad mutant spec", "'" + line + "'", "no op=");
        // op=NAME(KEY=VALUE,...), the syntax of operator lists, is the same as op=NAME KEY=VALUE ...
        if (m.op.find('(') != std::string::npos) {
            std::vector<OperatorRequest> rq;
            try {
                rq = parse_operator_list(m.op);
            } catch (const Error& e) {
                throw Error("bad mutant spec", "'" + line + "'", "op=" + m.op + ": " + e.why_part() + " (" + e.where_part() + ")");
            }
            if (rq.size() != 1) throw Error("bad mutant spec", "'" + line + "'", "op= names " + std::to_string(rq.size()) + " operators; a spec has one");
            m.op = rq[0].name;
            for (const auto& kv : rq[0].params)
                if (!m.params.emplace(kv.first, kv.second).second)
                    throw Error("bad mutant spec", "'" + line + "'", "parameter '" + kv.first + "' appears twice");
        }
        if (!has_target || m.target.empty()) throw Error("bad mutant spec", "'" + line + "'", "no target=");
        return m;
    }

    bool operator==(const MutantSpec& o) const {
        return id == o.id && op == o.op && params == o.params && target == o.target && seed == o.seed;
    }
    bool operator!=(const MutantSpec& o) const { return !(*this == o); }
};

struct Mutant {
    MutantSpec spec;
    MutantStatus status = MutantStatus::ok;
    std::string reason;    // why it is invalid, not applicable or equivalent (notes for ok ones)
    std::string category;  // the operator's category, e.g. "conditional operators"
    std::string layer;     // node name, or the op kind ("Relu"), or "*" for the whole model
    std::string family;    // "graph", "kernel" or "neuron"
};

struct EnumerateOptions {
    // Operator lists (parse_operator_list): operator, preset or group names, comma-separated, an
    // operator or preset optionally with parameters, "GF(ratio=0.5,sigma=0.1),CW(p=0.2),vanilla".
    // Groups: "vanilla" (DeepMAACC: CW, NAI, NEB), "mutatenn" (MutateNN's 22 presets),
    // "deepmutation" (DeepMutation++), "graph", "kernel", "neuron", "quant", "all".
    std::vector<std::string> ops;
    std::string position = "all";  // all | first | last | random | N (1-based, topological order)
    uint64_t seed = 0;
};

// One edited constant: flat indices into a float32 tensor, with the values before and after.
struct WeightEdit {
    int value = -1;
    std::vector<int64_t> index;
    std::vector<float> before, after;
};

struct Mutation {
    std::vector<WeightEdit> weights;                   // weight / neuron level
    std::map<std::string, SiteConfig> node_sites;      // kernel level, by node name
    std::shared_ptr<Graph> graph;                      // graph level: the whole mutated, validated graph
    // Indices of original-graph nodes whose behaviour changes. Weight level: every node reading an
    // edited constant; kernel level: the nodes given sites; graph level: the original nodes that were
    // replaced, removed, duplicated or given a new neighbour (their indices in the *original* graph).
    std::vector<int> changed_nodes;
    int unit_node = -1;             // neuron level: the layer
    std::vector<int64_t> units;     // its output units that can change; empty = all
};

// --- deterministic randomness --------------------------------------------------------------------
// std::mt19937_64's output sequence is fixed by the standard; the distributions below are written
// out here because std::uniform_int_distribution and std::normal_distribution differ between
// standard libraries, and a seed must give the same mutant everywhere.

inline uint64_t fnv1a64(const std::string& s) { return fnv1a(s); }

inline uint64_t splitmix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

// A stream per (seed, salt): the same seed on two layers gives two independent streams.
inline uint64_t mix_seed(uint64_t seed, const std::string& salt) { return splitmix64(seed ^ fnv1a64(salt)); }

class MutationRng {
public:
    explicit MutationRng(uint64_t seed) : e_(seed) {}
    uint64_t next() { return e_(); }
    // Uniform in [0, n) by rejection (no modulo bias); n > 0.
    uint64_t below(uint64_t n) {
        const uint64_t limit = (0 - n) % n;  // 2^64 mod n: values below it would bias the result
        for (;;) {
            const uint64_t r = e_();
            if (r >= limit) return r % n;
        }
    }
    // Uniform in [0, 1) with 53 random bits.
    double uniform01() { return static_cast<double>(e_() >> 11) * (1.0 / 9007199254740992.0); }
    // Standard normal by Box-Muller (the cosine branch only, so one draw uses two uniforms).
    // log, sqrt and cos of glibc are correctly rounded in practice; a last-bit difference in
    // another libm would not survive the rounding of w + sigma * z to float32.
    double normal() {
        const double u1 = 1.0 - uniform01();  // (0, 1]: log is finite
        const double u2 = uniform01();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586476925286766559 * u2);
    }

private:
    std::mt19937_64 e_;
};

}  // namespace mutiny

#endif  // MUTINY_MUTATE_SPEC_HPP_
