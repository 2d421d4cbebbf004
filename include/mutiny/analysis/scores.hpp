// Mutation scores (docs/mutation.md) and what the kill matrix gives: kill ratio and DeepMAACC's
// killed-classes score, broken down by any key (operator, layer, category); per-input kill counts;
// redundant mutants (identical kill vectors) and trivial ones (killed by >= 90% of the inputs).
#ifndef MUTINY_ANALYSIS_SCORES_HPP_
#define MUTINY_ANALYSIS_SCORES_HPP_

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "kill.hpp"

namespace mutiny {

struct Score {
    int64_t mutants = 0, killed = 0, survived = 0, crashed = 0, equivalent = 0, invalid = 0, not_applicable = 0, device_lost = 0;
    int64_t killed_classes = 0;  // summed over the counted mutants
    // killed (crashed included) / (mutants - equivalent - invalid - not applicable - device lost); 0 when
    // nothing counts.
    double kill_ratio() const {
        const int64_t d = counted();
        return d > 0 ? static_cast<double>(killed + crashed) / static_cast<double>(d) : 0.0;
    }
    int64_t counted() const { return mutants - equivalent - invalid - not_applicable - device_lost; }
    // DeepMAACC: sum over counted mutants of |killed classes| / (|M| x |C|).
    double classes_score(int64_t classes) const {
        const int64_t d = counted() * classes;
        return d > 0 ? static_cast<double>(killed_classes) / static_cast<double>(d) : 0.0;
    }
    void add(Verdict v, int64_t kc, int64_t classes) {
        ++mutants;
        switch (v) {
            case Verdict::killed: ++killed; killed_classes += kc; break;
            case Verdict::survived: ++survived; killed_classes += kc; break;
            case Verdict::crashed: ++crashed; killed_classes += classes; break;  // unusable outputs: every class lost
            case Verdict::equivalent: ++equivalent; break;
            case Verdict::invalid: ++invalid; break;
            case Verdict::not_applicable: ++not_applicable; break;
            case Verdict::device_lost: ++device_lost; break;
        }
    }
};

// Scores of the mutants grouped by key[i] ("" = all mutants under the key "all").
inline std::map<std::string, Score> score_by(const std::vector<std::string>& key, const std::vector<Verdict>& v,
                                             const std::vector<int64_t>& kc, int64_t classes) {
    std::map<std::string, Score> out;
    for (size_t i = 0; i < v.size(); ++i) out[key.empty() ? "all" : key[i]].add(v[i], kc.empty() ? 0 : kc[i], classes);
    return out;
}

// Number of mutants killing each input (prediction criterion): DeepMutation++'s KS1 ranking.
inline std::vector<int64_t> per_input_kills(const std::vector<const std::vector<uint64_t>*>& rows, int64_t inputs) {
    std::vector<int64_t> k(static_cast<size_t>(inputs), 0);
    for (const auto* r : rows)
        for (int64_t i = 0; i < inputs; ++i)
            if (((*r)[static_cast<size_t>(i / 64)] >> (i % 64)) & 1u) ++k[static_cast<size_t>(i)];
    return k;
}

inline int64_t popcount_bits(const std::vector<uint64_t>& r) {
    int64_t n = 0;
    for (uint64_t w : r) n += __builtin_popcountll(w);
    return n;
}

// Groups of killed mutants with identical kill vectors (each group of size >= 2, mutant indices
// ascending, groups ordered by their first member): all but one per group are redundant.
inline std::vector<std::vector<size_t>> redundant_groups(const std::vector<const std::vector<uint64_t>*>& rows) {
    std::map<std::vector<uint64_t>, std::vector<size_t>> by;
    for (size_t i = 0; i < rows.size(); ++i)
        if (popcount_bits(*rows[i]) > 0) by[*rows[i]].push_back(i);
    std::vector<std::vector<size_t>> out;
    for (auto& kv : by)
        if (kv.second.size() > 1) out.push_back(kv.second);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.front() < b.front(); });
    return out;
}

// Killed by at least `fraction` of the inputs (90% by default).
inline bool is_trivial(const std::vector<uint64_t>& row, int64_t inputs, double fraction = 0.9) {
    return inputs > 0 && static_cast<double>(popcount_bits(row)) >= fraction * static_cast<double>(inputs);
}

}  // namespace mutiny

#endif  // MUTINY_ANALYSIS_SCORES_HPP_
