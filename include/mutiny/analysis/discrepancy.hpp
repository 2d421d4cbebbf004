// Cross-device discrepancy (MutateNN, docs/mutation.md): the same model or mutant run on devices
// A and B, compared input by input: top-1 disagreement, top-k Jaccard (k = 5 unless set), Kendall's
// tau of the output ranks, rank-biased overlap (RBO), largest absolute and relative differences,
// optionally the confusion between the two sides' top-1 classes, and whether either side's outputs
// are degenerate. Accumulated batch by batch.
//
// Invalid outputs, explicitly: one input's output row is invalid when a score is NaN or infinite.
//   both valid      every measure as usual
//   one invalid     a top-1 disagreement; nothing else (Jaccard, tau, RBO, differences, confusion)
//   both invalid    likewise, and counted as both_invalid: two NaN outputs are not "equal"
// Jaccard, tau and RBO are means over the inputs where both outputs are valid (NaN when there is
// none, 1 when no input was compared at all); top-1 disagreement is over every input. An invalid
// output has no class; a side is degenerate when >= 90% of the inputs get the same class, invalid
// outputs counting as one class of their own.
#ifndef MUTINY_ANALYSIS_DISCREPANCY_HPP_
#define MUTINY_ANALYSIS_DISCREPANCY_HPP_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include "stats.hpp"

namespace mutiny {

// Rank order of scores: descending, ties by lower index first (as top_k orders them).
inline std::vector<int64_t> rank_order(const float* x, int64_t n) {
    std::vector<int64_t> idx(static_cast<size_t>(n));
    std::iota(idx.begin(), idx.end(), int64_t{0});
    std::stable_sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) { return x[a] > x[b]; });
    return idx;
}

// Extrapolated rank-biased overlap RBO_ext of two rankings of the same n items evaluated to depth k
// (Webber, Moffat, Zobel 2010, eq. 32 for lists of equal length): with X_d the overlap of the two
// top-d prefixes, RBO_ext = X_k/k p^k + (1-p)/p sum_{d=1..k} X_d/d p^d. 1 for identical prefixes,
// 0 for disjoint ones; p in (0, 1) weighs the top (the top d ranks carry 1 - p^d of the weight).
inline double rbo_ext(const std::vector<int64_t>& s, const std::vector<int64_t>& t, int64_t k, double p) {
    k = std::min<int64_t>(k, static_cast<int64_t>(std::min(s.size(), t.size())));
    if (k <= 0) return 1.0;
    int64_t n = 0;
    for (int64_t v : s) n = std::max(n, v + 1);
    for (int64_t v : t) n = std::max(n, v + 1);
    std::vector<uint8_t> seen(static_cast<size_t>(n), 0);  // bit 1: in s's prefix, bit 2: in t's
    int64_t overlap = 0;
    double sum = 0, pd = 1;
    for (int64_t d = 1; d <= k; ++d) {
        const size_t a = static_cast<size_t>(s[static_cast<size_t>(d - 1)]), b = static_cast<size_t>(t[static_cast<size_t>(d - 1)]);
        if (a == b) {
            ++overlap;
        } else {
            overlap += (seen[a] & 2) != 0;
            overlap += (seen[b] & 1) != 0;
        }
        seen[a] |= 1;
        seen[b] |= 2;
        pd *= p;
        sum += static_cast<double>(overlap) / static_cast<double>(d) * pd;
    }
    return static_cast<double>(overlap) / static_cast<double>(k) * pd + (1 - p) / p * sum;
}

// Whether every score of an output row is finite.
inline bool valid_output(const float* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
        if (!std::isfinite(x[i])) return false;
    return true;
}

struct Discrepancy {
    // Settings (fixed for a campaign, so not part of a checkpoint).
    int64_t k = 5;                // top-k of the Jaccard measure
    double rbo_p = 0.9;           // RBO's persistence, over every class
    bool keep_confusion = false;  // fill `confusion` (classes x classes)

    int64_t inputs = 0;
    int64_t top1_disagree = 0;
    double top5_jaccard_sum = 0, kendall_sum = 0, rbo_sum = 0;  // top5_jaccard_sum: top-k, k = 5 unless set
    double max_abs = 0, max_rel = 0;
    int64_t invalid_a = 0, invalid_b = 0, both_invalid = 0;  // inputs whose output is invalid on A, on B, on both
    std::vector<int64_t> class_count_a, class_count_b;      // top-1 classes of the valid outputs
    std::vector<int64_t> confusion;                         // [a's top-1 * classes + b's top-1], both valid

    int64_t valid_pairs() const { return inputs - invalid_a - invalid_b + both_invalid; }
    double top1_disagreement() const { return inputs ? static_cast<double>(top1_disagree) / static_cast<double>(inputs) : 0.0; }
    double top5_jaccard() const { return mean_over_valid(top5_jaccard_sum); }
    double kendall_tau() const { return mean_over_valid(kendall_sum); }
    double rbo() const { return mean_over_valid(rbo_sum); }
    // >= 90% of n inputs share one class, `invalid` of them having none (which counts as one class).
    static bool degenerate(const std::vector<int64_t>& counts, int64_t n, int64_t invalid = 0) {
        if (n == 0) return false;
        const int64_t m = std::max(invalid, counts.empty() ? int64_t{0} : *std::max_element(counts.begin(), counts.end()));
        return static_cast<double>(m) >= 0.9 * static_cast<double>(n);
    }
    bool degenerate_a() const { return degenerate(class_count_a, inputs, invalid_a); }
    bool degenerate_b() const { return degenerate(class_count_b, inputs, invalid_b); }

    // a, b: [batch x classes] outputs of the two devices.
    void add(const float* a, const float* b, int64_t batch, int64_t classes) {
        if (class_count_a.empty()) {
            class_count_a.assign(static_cast<size_t>(classes), 0);
            class_count_b.assign(static_cast<size_t>(classes), 0);
            if (keep_confusion) confusion.assign(static_cast<size_t>(classes * classes), 0);
        }
        const int64_t kk = std::min<int64_t>(k, classes);
        for (int64_t i = 0; i < batch; ++i) {
            const float* x = a + i * classes;
            const float* y = b + i * classes;
            const bool va = valid_output(x, classes), vb = valid_output(y, classes);
            const int64_t pa = va ? argmax(x, classes) : -1, pb = vb ? argmax(y, classes) : -1;
            invalid_a += !va;
            invalid_b += !vb;
            both_invalid += !va && !vb;
            if (va) ++class_count_a[static_cast<size_t>(pa)];
            if (vb) ++class_count_b[static_cast<size_t>(pb)];
            if (!va || !vb || pa != pb) ++top1_disagree;
            if (!va || !vb) continue;
            if (keep_confusion) ++confusion[static_cast<size_t>(pa * classes + pb)];
            top5_jaccard_sum += jaccard(top_k(x, classes, kk), top_k(y, classes, kk));
            kendall_sum += kendall_tau_b(x, y, classes);
            rbo_sum += rbo_ext(rank_order(x, classes), rank_order(y, classes), classes, rbo_p);
            for (int64_t c = 0; c < classes; ++c) {
                const double d = std::fabs(static_cast<double>(x[c]) - static_cast<double>(y[c]));
                const double m = std::max(std::fabs(static_cast<double>(x[c])), std::fabs(static_cast<double>(y[c])));
                max_abs = std::max(max_abs, d);
                if (m > 0) max_rel = std::max(max_rel, d / m);
            }
        }
        inputs += batch;
    }

private:
    double mean_over_valid(double sum) const {
        if (inputs == 0) return 1.0;
        const int64_t n = valid_pairs();
        return n ? sum / static_cast<double>(n) : NAN;
    }
};

}  // namespace mutiny

#endif  // MUTINY_ANALYSIS_DISCREPANCY_HPP_
