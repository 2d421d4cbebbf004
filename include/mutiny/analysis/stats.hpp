// Small statistics the kill criteria and device comparisons need: Fisher's exact test on a 2x2
// table (the `statistical` criterion), the Wilcoxon signed-rank test and Cohen's d (DeepCrime's
// rule over the seeded instances of stochastic mutants), Kendall's tau-b of two score vectors
// (output-rank agreement across devices), and top-k sets. Written out here so the numbers do not
// depend on a library version; each is checked against SciPy's values in tests/unit/test_analysis.cpp
// (the Wilcoxon test and Cohen's d against fixtures made by tools/make_stats_fixtures.py).
#ifndef MUTINY_ANALYSIS_STATS_HPP_
#define MUTINY_ANALYSIS_STATS_HPP_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include "../core/error.hpp"

namespace mutiny {

// Two-sided p-value of Fisher's exact test on [[a, b], [c, d]], as scipy.stats.fisher_exact
// computes it: the sum of the hypergeometric probabilities of every table with the same margins
// that is no more likely than the observed one (with SciPy's relative tolerance 1e-7, so tables
// equal in probability up to rounding count as equal).
inline double fisher_exact_two_sided(int64_t a, int64_t b, int64_t c, int64_t d) {
    if (a < 0 || b < 0 || c < 0 || d < 0) throw Error("negative count in a 2x2 table", "fisher_exact", "counts must be >= 0");
    const int64_t r1 = a + b, r2 = c + d, c1 = a + c, n = a + b + c + d;
    if (r1 == 0 || r2 == 0 || c1 == 0 || c1 == n) return 1.0;
    auto lchoose = [](int64_t nn, int64_t k) {
        return std::lgamma(static_cast<double>(nn + 1)) - std::lgamma(static_cast<double>(k + 1)) - std::lgamma(static_cast<double>(nn - k + 1));
    };
    const double lden = lchoose(n, c1);
    auto logp = [&](int64_t x) { return lchoose(r1, x) + lchoose(r2, c1 - x) - lden; };
    const int64_t lo = std::max<int64_t>(0, c1 - r2), hi = std::min(r1, c1);
    const double lobs = logp(a);
    double p = 0;
    for (int64_t x = lo; x <= hi; ++x) {
        const double lx = logp(x);
        if (lx <= lobs + std::log1p(1e-7)) p += std::exp(lx);
    }
    return std::min(1.0, p);
}

// Two-sided p-value of the Wilcoxon signed-rank test of the differences d (H0: symmetric about 0),
// as scipy.stats.wilcoxon(d) computes it with its defaults (zero_method "wilcox": zeros dropped;
// no continuity correction; method "auto"): the statistic is the rank sum of the positive
// differences (average ranks of |d| over ties); its null distribution is exact, from the 2^n sign
// patterns, when n <= 50 and there are no ties and no zeros, or when n <= 13 (SciPy's exact
// permutation test); otherwise the normal approximation with the tie correction. d holding only
// zeros gives 1 (nothing differs; SciPy gives 1 for n <= 13 and NaN above).
inline double wilcoxon_signed_rank_p(const std::vector<double>& d) {
    const size_t n = d.size();
    std::vector<double> a;
    std::vector<bool> pos;
    for (double x : d) {
        if (std::isnan(x)) throw Error("NaN difference", "wilcoxon", "the test needs numbers");
        if (x != 0) {
            a.push_back(std::fabs(x));
            pos.push_back(x > 0);
        }
    }
    const size_t m = a.size();
    if (m == 0) return 1.0;
    // Average ranks, doubled so that they are integers (a tie of k at ranks r..r+k-1 averages to
    // r + (k-1)/2).
    std::vector<size_t> order(m);
    std::iota(order.begin(), order.end(), size_t{0});
    std::sort(order.begin(), order.end(), [&](size_t i, size_t j) { return a[i] < a[j]; });
    std::vector<int64_t> rank2(m);
    bool ties = false;
    double tie_term = 0;
    for (size_t i = 0; i < m;) {
        size_t j = i;
        while (j + 1 < m && a[order[j + 1]] == a[order[i]]) ++j;
        const int64_t k = static_cast<int64_t>(j - i + 1);
        if (k > 1) ties = true;
        tie_term += static_cast<double>(k * k * k - k);
        for (size_t t = i; t <= j; ++t) rank2[order[t]] = static_cast<int64_t>(i + 1 + j + 1);  // 2 x average rank
        i = j + 1;
    }
    int64_t rplus2 = 0, total2 = 0;
    for (size_t i = 0; i < m; ++i) {
        total2 += rank2[i];
        if (pos[i]) rplus2 += rank2[i];
    }
    const bool exact = n <= 50 && ((!ties && m == n) || n <= 13);
    if (exact) {
        // Distribution of the doubled positive rank sum over the 2^m sign patterns.
        std::vector<double> count(static_cast<size_t>(total2 + 1), 0.0);
        count[0] = 1;
        int64_t reach = 0;
        for (size_t i = 0; i < m; ++i) {
            for (int64_t s = reach; s >= 0; --s)
                if (count[static_cast<size_t>(s)] != 0) count[static_cast<size_t>(s + rank2[i])] += count[static_cast<size_t>(s)];
            reach += rank2[i];
        }
        double le = 0, ge = 0, all = 0;
        for (int64_t s = 0; s <= total2; ++s) {
            const double c = count[static_cast<size_t>(s)];
            all += c;
            if (s <= rplus2) le += c;
            if (s >= rplus2) ge += c;
        }
        return std::min(1.0, 2 * std::min(le, ge) / all);
    }
    const double cnt = static_cast<double>(m);
    const double mean = cnt * (cnt + 1) * 0.25;
    const double se = std::sqrt((cnt * (cnt + 1) * (2 * cnt + 1) - tie_term / 2) / 24);
    const double z = (static_cast<double>(rplus2) / 2 - mean) / se;
    return std::min(1.0, std::erfc(std::fabs(z) / std::sqrt(2.0)));
}

// Cohen's d of one sample against 0: mean(d) / sd(d) (sd with n - 1), the standardized mean
// difference of paired data (d_z). A constant nonzero sample gives +-infinity, an all-zero one 0.
inline double cohen_d_one_sample(const std::vector<double>& d) {
    if (d.size() < 2) throw Error("Cohen's d needs at least two values", "cohen_d", std::to_string(d.size()) + " given");
    double mean = 0;
    for (double x : d) mean += x;
    mean /= static_cast<double>(d.size());
    double ss = 0;
    for (double x : d) ss += (x - mean) * (x - mean);
    const double sd = std::sqrt(ss / static_cast<double>(d.size() - 1));
    if (sd == 0) return mean == 0 ? 0.0 : std::copysign(INFINITY, mean);
    return mean / sd;
}

// Kendall's tau-b of x and y (equal length), O(n^2): n is a class count here, so the simple form
// is the fast one. 1 for identical orderings, -1 for reversed; 1 when either vector is constant
// everywhere (no ordering to disagree about; SciPy returns NaN there, which would poison means).
inline double kendall_tau_b(const float* x, const float* y, int64_t n) {
    int64_t conc = 0, disc = 0, tx = 0, ty = 0;
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = i + 1; j < n; ++j) {
            const float dx = x[i] - x[j], dy = y[i] - y[j];
            if (dx == 0 && dy == 0) continue;
            if (dx == 0) { ++tx; continue; }
            if (dy == 0) { ++ty; continue; }
            if ((dx > 0) == (dy > 0)) ++conc; else ++disc;
        }
    const double den = std::sqrt(static_cast<double>(conc + disc + tx) * static_cast<double>(conc + disc + ty));
    if (den == 0) return 1.0;
    return static_cast<double>(conc - disc) / den;
}

// Index of the largest score; the first one on ties (as numpy.argmax), NaN never wins.
inline int64_t argmax(const float* x, int64_t n) {
    int64_t best = 0;
    for (int64_t i = 1; i < n; ++i)
        if (x[i] > x[best] || (std::isnan(x[best]) && !std::isnan(x[i]))) best = i;
    return best;
}

// The indices of the k largest scores (ties: lower index first), sorted ascending so two sets can
// be intersected by merging.
inline std::vector<int64_t> top_k(const float* x, int64_t n, int64_t k) {
    std::vector<int64_t> idx(static_cast<size_t>(n));
    std::iota(idx.begin(), idx.end(), int64_t{0});
    k = std::min(k, n);
    std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int64_t a, int64_t b) {
        return x[a] > x[b] || (x[a] == x[b] && a < b);
    });
    idx.resize(static_cast<size_t>(k));
    std::sort(idx.begin(), idx.end());
    return idx;
}

// |A n B| / |A u B| of two sorted index sets.
inline double jaccard(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
    size_t i = 0, j = 0, inter = 0;
    while (i < a.size() && j < b.size()) {
        if (a[i] == b[j]) { ++inter; ++i; ++j; }
        else if (a[i] < b[j]) ++i;
        else ++j;
    }
    const size_t uni = a.size() + b.size() - inter;
    return uni == 0 ? 1.0 : static_cast<double>(inter) / static_cast<double>(uni);
}

}  // namespace mutiny

#endif  // MUTINY_ANALYSIS_STATS_HPP_
