// Test-input prioritisation by mutation (as in mutation-based test prioritisation, e.g. PRIMA and
// DeepMutation++'s use of kill matrices): inputs ranked by the mutants they kill, read from a kill
// matrix (report/campaign_report.hpp has its format).
//
//   total       inputs by the number of mutants each kills, most first
//   additional  greedy: each next input is the one that kills the most mutants no earlier input
//               kills; once no input adds any, the rest follow in total order
//
// Ties go to the lower input index, so a ranking is a function of the matrix alone.
#ifndef MUTINY_ANALYSIS_PRIORITIZE_HPP_
#define MUTINY_ANALYSIS_PRIORITIZE_HPP_

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../core/error.hpp"

namespace mutiny {

// A kill matrix as kill_matrix-*.txt holds it: per mutant the inputs it is killed on.
struct KillMatrix {
    std::string device, criterion;
    int64_t inputs = 0;
    std::vector<std::string> ids;              // per mutant
    std::vector<std::vector<uint64_t>> rows;   // per mutant, bit i = killed on input i
    bool kills(size_t mutant, int64_t input) const { return (rows[mutant][static_cast<size_t>(input / 64)] >> (input % 64)) & 1u; }
};

// Parses kill_matrix-*.txt text; errors name `where` and the line.
inline KillMatrix parse_kill_matrix(const std::string& text, const std::string& where) {
    KillMatrix m;
    std::istringstream in(text);
    std::string line;
    if (!std::getline(in, line) || line.rfind("# mutiny kill matrix v1 ", 0) != 0)
        throw Error("not a kill matrix", where + " line 1", "expected '# mutiny kill matrix v1 device=D criterion=C inputs=N mutants=M'");
    int64_t mutants = -1;
    std::istringstream head(line.substr(24));
    std::string kv;
    while (head >> kv) {
        const size_t eq = kv.find('=');
        const std::string k = kv.substr(0, eq), v = eq == std::string::npos ? "" : kv.substr(eq + 1);
        try {
            if (k == "device") m.device = v;
            else if (k == "criterion") m.criterion = v;
            else if (k == "inputs") m.inputs = std::stoll(v);
            else if (k == "mutants") mutants = std::stoll(v);
        } catch (const std::exception&) {
            throw Error("malformed kill matrix header", where + " line 1", "'" + kv + "' is not a number");
        }
    }
    if (m.inputs < 0 || mutants < 0) throw Error("malformed kill matrix header", where + " line 1", "it needs inputs=N and mutants=M");
    const size_t digits = static_cast<size_t>((m.inputs + 3) / 4), words = static_cast<size_t>((m.inputs + 63) / 64);
    for (size_t n = 2; std::getline(in, line); ++n) {
        const std::string at = where + " line " + std::to_string(n);
        const size_t sp = line.find(' ');
        if (sp == std::string::npos || line.size() - sp - 1 != digits)
            throw Error("malformed kill matrix row", at, "expected 'ID' and " + std::to_string(digits) + " hex digits");
        std::vector<uint64_t> row(words, 0);
        for (size_t k = 0; k < digits; ++k) {
            const char c = line[sp + 1 + k];
            const int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (v < 0) throw Error("malformed kill matrix row", at, std::string("'") + c + "' is not a lowercase hex digit");
            if (v && static_cast<int64_t>(4 * k) + (63 - __builtin_clzll(static_cast<unsigned long long>(v))) >= m.inputs)
                throw Error("malformed kill matrix row", at, "a bit past the last input");
            row[4 * k / 64] |= static_cast<uint64_t>(v) << ((4 * k) % 64);
        }
        m.ids.push_back(line.substr(0, sp));
        m.rows.push_back(std::move(row));
    }
    if (static_cast<int64_t>(m.rows.size()) != mutants)
        throw Error("truncated kill matrix", where, std::to_string(m.rows.size()) + " rows, the header says " + std::to_string(mutants));
    return m;
}

struct Prioritization {
    std::vector<int64_t> order;       // input indices, best first
    std::vector<int64_t> gain;        // per rank: mutants the input kills (total) or newly kills (additional)
    std::vector<int64_t> cumulative;  // per rank: mutants killed by the inputs up to and including it
};

// Per input, the mutants it kills.
inline std::vector<int64_t> kills_per_input(const KillMatrix& m) {
    std::vector<int64_t> k(static_cast<size_t>(m.inputs), 0);
    for (size_t r = 0; r < m.rows.size(); ++r)
        for (int64_t i = 0; i < m.inputs; ++i) k[static_cast<size_t>(i)] += m.kills(r, i) ? 1 : 0;
    return k;
}

namespace prioritize_detail {

// Fills `cumulative` for an order: the mutants killed by its first k inputs.
inline void accumulate(const KillMatrix& m, Prioritization& p) {
    std::vector<bool> killed(m.rows.size(), false);
    int64_t n = 0;
    for (int64_t input : p.order) {
        for (size_t r = 0; r < m.rows.size(); ++r)
            if (!killed[r] && m.kills(r, input)) {
                killed[r] = true;
                ++n;
            }
        p.cumulative.push_back(n);
    }
}

}  // namespace prioritize_detail

inline Prioritization prioritize_total(const KillMatrix& m) {
    const std::vector<int64_t> k = kills_per_input(m);
    Prioritization p;
    for (int64_t i = 0; i < m.inputs; ++i) p.order.push_back(i);
    std::stable_sort(p.order.begin(), p.order.end(), [&](int64_t a, int64_t b) { return k[static_cast<size_t>(a)] > k[static_cast<size_t>(b)]; });
    for (int64_t i : p.order) p.gain.push_back(k[static_cast<size_t>(i)]);
    prioritize_detail::accumulate(m, p);
    return p;
}

inline Prioritization prioritize_additional(const KillMatrix& m) {
    // Per input, the mutants it kills as a bit set over mutants, so a step counts new kills by words.
    const size_t words = (m.rows.size() + 63) / 64;
    std::vector<std::vector<uint64_t>> by_input(static_cast<size_t>(m.inputs), std::vector<uint64_t>(words, 0));
    for (size_t r = 0; r < m.rows.size(); ++r)
        for (int64_t i = 0; i < m.inputs; ++i)
            if (m.kills(r, i)) by_input[static_cast<size_t>(i)][r / 64] |= uint64_t{1} << (r % 64);
    std::vector<uint64_t> killed(words, 0);
    std::vector<bool> taken(static_cast<size_t>(m.inputs), false);
    Prioritization p;
    for (;;) {
        int64_t best = -1, best_gain = 0;
        for (int64_t i = 0; i < m.inputs; ++i) {
            if (taken[static_cast<size_t>(i)]) continue;
            int64_t g = 0;
            for (size_t w = 0; w < words; ++w) g += __builtin_popcountll(by_input[static_cast<size_t>(i)][w] & ~killed[w]);
            if (g > best_gain) {
                best = i;
                best_gain = g;
            }
        }
        if (best < 0) break;  // no input adds a kill
        taken[static_cast<size_t>(best)] = true;
        for (size_t w = 0; w < words; ++w) killed[w] |= by_input[static_cast<size_t>(best)][w];
        p.order.push_back(best);
        p.gain.push_back(best_gain);
    }
    for (int64_t i : prioritize_total(m).order)
        if (!taken[static_cast<size_t>(i)]) {
            p.order.push_back(i);
            p.gain.push_back(0);
        }
    prioritize_detail::accumulate(m, p);
    return p;
}

}  // namespace mutiny

#endif  // MUTINY_ANALYSIS_PRIORITIZE_HPP_
