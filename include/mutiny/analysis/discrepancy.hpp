// Cross-device discrepancy (MutateNN, docs/mutation.md): the same model or mutant run on devices
// A and B, compared input by input: top-1 disagreement, top-5 Jaccard, Kendall's tau of the output
// ranks, largest absolute and relative differences, and whether either device's outputs are
// degenerate (>= 90% of the inputs get the same class). Accumulated batch by batch.
#ifndef MUTINY_ANALYSIS_DISCREPANCY_HPP_
#define MUTINY_ANALYSIS_DISCREPANCY_HPP_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "stats.hpp"

namespace mutiny {

struct Discrepancy {
    int64_t inputs = 0;
    int64_t top1_disagree = 0;
    double top5_jaccard_sum = 0, kendall_sum = 0;
    double max_abs = 0, max_rel = 0;
    std::vector<int64_t> class_count_a, class_count_b;

    double top1_disagreement() const { return inputs ? static_cast<double>(top1_disagree) / static_cast<double>(inputs) : 0.0; }
    double top5_jaccard() const { return inputs ? top5_jaccard_sum / static_cast<double>(inputs) : 1.0; }
    double kendall_tau() const { return inputs ? kendall_sum / static_cast<double>(inputs) : 1.0; }
    static bool degenerate(const std::vector<int64_t>& counts, int64_t n) {
        if (n == 0) return false;
        const int64_t m = counts.empty() ? 0 : *std::max_element(counts.begin(), counts.end());
        return static_cast<double>(m) >= 0.9 * static_cast<double>(n);
    }
    bool degenerate_a() const { return degenerate(class_count_a, inputs); }
    bool degenerate_b() const { return degenerate(class_count_b, inputs); }

    // a, b: [batch x classes] outputs of the two devices.
    void add(const float* a, const float* b, int64_t batch, int64_t classes) {
        if (class_count_a.empty()) {
            class_count_a.assign(static_cast<size_t>(classes), 0);
            class_count_b.assign(static_cast<size_t>(classes), 0);
        }
        const int64_t k = std::min<int64_t>(5, classes);
        for (int64_t i = 0; i < batch; ++i) {
            const float* x = a + i * classes;
            const float* y = b + i * classes;
            const int64_t pa = argmax(x, classes), pb = argmax(y, classes);
            ++class_count_a[static_cast<size_t>(pa)];
            ++class_count_b[static_cast<size_t>(pb)];
            if (pa != pb) ++top1_disagree;
            top5_jaccard_sum += jaccard(top_k(x, classes, k), top_k(y, classes, k));
            kendall_sum += kendall_tau_b(x, y, classes);
            for (int64_t c = 0; c < classes; ++c) {
                const double d = std::fabs(static_cast<double>(x[c]) - static_cast<double>(y[c]));
                const double m = std::max(std::fabs(static_cast<double>(x[c])), std::fabs(static_cast<double>(y[c])));
                if (std::isnan(d)) { max_abs = max_rel = INFINITY; continue; }
                max_abs = std::max(max_abs, d);
                if (m > 0) max_rel = std::max(max_rel, d / m);
            }
        }
        inputs += batch;
    }
};

}  // namespace mutiny

#endif  // MUTINY_ANALYSIS_DISCREPANCY_HPP_
