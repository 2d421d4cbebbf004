// Mutant lists: the file `mutiny mutants MODEL --out FILE` writes and `mutiny campaign --mutants
// FILE` runs (docs/formats.md, "Mutant lists"). One spec per line (MutantSpec::str()), so a list can
// be edited by hand: delete lines, change a parameter, add a spec. Lines starting with '#' are
// comments, except the one that says which model the list is for:
//
//   # mutiny mutant list
//   # model-hash: fnv1a64:1b2c3d4e5f607182 models/fashion_fcnn.onnx
//   # mutiny mutants models/fashion_fcnn.onnx --ops vanilla --position all --seed 0
//   id=m000001 op=CW target=node:/fc1/Gemm/units:0 seed=0 p=0.1
//   # not_applicable: id=m000009 op=... -- the reason
//
// The identity is the FNV-1a hash of the model file's bytes, the one campaigns record as
// model_hash (report.json, checkpoints): a list is run only on the file it was made for, since
// node names and unit numbers of another model would select other weights, or none.
#ifndef MUTINY_MUTATE_MUTANT_LIST_HPP_
#define MUTINY_MUTATE_MUTANT_LIST_HPP_

#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "../core/hash.hpp"
#include "../io/file_bytes.hpp"
#include "mutant.hpp"

namespace mutiny {

// "fnv1a64:<16 hex digits>" of a model file's bytes.
inline std::string model_bytes_identity(const uint8_t* p, size_t n) {
    char b[32];
    std::snprintf(b, sizeof b, "fnv1a64:%016llx", static_cast<unsigned long long>(fnv1a(p, n)));
    return b;
}

inline std::string model_file_identity(const std::string& path) {
    const std::vector<uint8_t> bytes = read_file_bytes(path);
    return model_bytes_identity(bytes.data(), bytes.size());
}

struct MutantList {
    std::string model_hash;         // the identity of the model file it was made for
    std::string model;              // that file's name when the list was written (for messages)
    std::vector<MutantSpec> specs;  // the spec lines, in file order
    std::vector<size_t> lines;      // the 1-based line of each
};

namespace mutant_list_detail {
inline const char* kHashKey = "# model-hash: ";
}

// The text of a list: buildable mutants (ok, equivalent) as spec lines, the others as
// `# <status>: <spec> -- <reason>` comments (listed, never run).
inline std::string format_mutant_list(const std::vector<Mutant>& ms, const std::string& model, const std::string& model_hash,
                                      const std::string& command) {
    std::ostringstream f;
    f << "# mutiny mutant list\n" << mutant_list_detail::kHashKey << model_hash << " " << mutate_detail::escape(model) << "\n";
    if (!command.empty()) f << "# " << command << "\n";
    for (const auto& m : ms) {
        if (m.status == MutantStatus::ok || m.status == MutantStatus::equivalent) f << m.spec.str() << "\n";
        else f << "# " << mutant_status_name(m.status) << ": " << m.spec.str() << " -- " << m.reason << "\n";
    }
    return f.str();
}

// Reads a list's text; `where` names it in errors (the file name). A line that is not a spec is an
// error naming the line, as are a second model-hash line and two specs with one id (reports and
// kill matrices are keyed by id).
inline MutantList parse_mutant_list(const std::string& text, const std::string& where) {
    MutantList l;
    std::map<std::string, size_t> ids;
    std::istringstream in(text);
    std::string line;
    size_t n = 0;
    const std::string key = mutant_list_detail::kHashKey;
    while (std::getline(in, line)) {
        ++n;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const std::string at = where + " line " + std::to_string(n);
        if (line.rfind(key, 0) == 0) {
            if (!l.model_hash.empty()) throw Error("bad mutant list", at, "a second '" + key + "' line; a list is made for one model");
            const std::string rest = line.substr(key.size());
            const size_t sp = rest.find(' ');
            l.model_hash = rest.substr(0, sp);
            if (l.model_hash.rfind("fnv1a64:", 0) != 0 || l.model_hash.size() != 24)
                throw Error("bad mutant list", at, "the model hash must be fnv1a64: and 16 hex digits, got '" + l.model_hash + "'");
            if (sp != std::string::npos) l.model = mutate_detail::unescape(rest.substr(sp + 1), line);
            continue;
        }
        size_t first = line.find_first_not_of(" \t");
        if (first == std::string::npos || line[first] == '#') continue;
        MutantSpec s;
        try {
            s = MutantSpec::parse(line);
        } catch (const Error& e) {
            throw Error("bad mutant list", at, e.why_part());
        }
        if (s.id.empty()) throw Error("bad mutant list", at, "the spec has no id=; reports name mutants by id");
        auto seen = ids.emplace(s.id, n);
        if (!seen.second)
            throw Error("bad mutant list", at, "id " + s.id + " is used again (first at line " + std::to_string(seen.first->second) + ")");
        l.specs.push_back(std::move(s));
        l.lines.push_back(n);
    }
    return l;
}

inline MutantList read_mutant_list(const std::string& path) {
    const std::vector<uint8_t> b = read_file_bytes(path);
    return parse_mutant_list(std::string(b.begin(), b.end()), path);
}

// One listed spec as a mutant of graph g, as enumeration would have made it: its status and
// reason (an edited parameter may make it equivalent or not applicable), category, family and
// layer; the parameters resolved (defaults filled in, values in their canonical text). Throws for
// an unknown operator, a bad parameter or a target the model lacks.
inline Mutant mutant_from_spec(const Graph& g, const MutantSpec& s) {
    const ResolvedOp r = resolve_operator(s.op, s.params);
    const Target t = parse_target(g, s.target);
    const Outcome o = mutate_detail::evaluate_target(g, s.op, r, r.op->candidates(g, r.params), t, s.seed);
    Mutant m;
    m.spec = s;
    m.spec.params = spec_params(r);
    m.status = o.status;
    m.reason = o.reason;
    m.category = r.op->category;
    m.family = r.op->family;
    m.layer = mutate_detail::layer_of(g, t);
    return m;
}

// The mutants of a list, for the model whose identity is `model_hash`: refused when the list was
// made for another model (or says for none); a spec that does not resolve on g is an error naming
// its line.
inline std::vector<Mutant> mutants_from_list(const Graph& g, const MutantList& l, const std::string& model_hash, const std::string& where) {
    if (l.model_hash.empty())
        throw Error("mutant list without a model identity", where,
                    "it has no '# model-hash:' line; write the list with mutiny mutants MODEL --out FILE");
    if (l.model_hash != model_hash)
        throw Error("mutant list made for another model", where,
                    "it is for " + l.model_hash + (l.model.empty() ? "" : " (" + l.model + ")") + "; the model given is " + model_hash);
    std::vector<Mutant> out;
    out.reserve(l.specs.size());
    for (size_t i = 0; i < l.specs.size(); ++i) {
        try {
            out.push_back(mutant_from_spec(g, l.specs[i]));
        } catch (const Error& e) {
            throw Error(e.what_part(), where + " line " + std::to_string(l.lines[i]) + (e.where_part().empty() ? "" : ", " + e.where_part()),
                        e.why_part());
        }
    }
    return out;
}

}  // namespace mutiny

#endif  // MUTINY_MUTATE_MUTANT_LIST_HPP_
