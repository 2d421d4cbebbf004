// How well a sampled campaign (sample.hpp) estimates the scores, measured against an exhaustive
// run of the same list (`mutiny protocol`): over many seeds, how often the 95% interval covers the
// exhaustive kill ratio and killed-classes score, how far the estimate falls from them, and what
// the sample would have cost. A mutant's result depends on that mutant alone, so sampling the
// exhaustive run's results is what running the sample computes; no campaign runs here.
#ifndef MUTINY_ANALYSIS_SAMPLE_COVERAGE_HPP_
#define MUTINY_ANALYSIS_SAMPLE_COVERAGE_HPP_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "campaign_options.hpp"
#include "sample.hpp"
#include "scores.hpp"

namespace mutiny {

// One sample size over `seeds` seeds (0 .. seeds-1).
struct SampleCoverage {
    int64_t size = 0;
    int seeds = 0;
    int kill_covered = 0, classes_covered = 0;  // seeds whose interval holds the exhaustive score
    // Over the seeds, in score units (1 = 100 percentage points): mean and 95th percentile of the
    // absolute error of the estimate, and the mean interval half-width.
    double kill_mean_abs_error = 0, classes_mean_abs_error = 0;
    double kill_p95_abs_error = 0, classes_p95_abs_error = 0;
    double kill_mean_half_width = 0, classes_mean_half_width = 0;
    // The sampled campaign's estimated wall time, mean over the seeds: the exhaustive run's
    // original time plus the sampled mutants' own times (device d).
    double mean_seconds = 0;
    double kill_ratio = 0, classes_score = 0;  // the exhaustive scores
};

inline double percentile_95(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[static_cast<size_t>(std::ceil(0.95 * static_cast<double>(v.size()))) - 1];
}

// Samples of `size` mutants (strata `strata`) drawn from `exhaustive`, a campaign over all of
// `all`, judged on device d under criterion c.
inline SampleCoverage sample_coverage(const std::vector<Mutant>& all, const CampaignResult& exhaustive, size_t d, size_t c, int64_t size,
                                      const std::string& strata, int seeds) {
    if (exhaustive.mutants.size() != all.size())
        throw Error("campaign does not match the mutant list", "sample coverage",
                    std::to_string(exhaustive.mutants.size()) + " results for " + std::to_string(all.size()) + " mutants");
    // Each mutant's stratum, whether it counts and its values, once.
    std::vector<int64_t> population;
    const std::vector<size_t> of = strata_of(all, strata, population);
    std::vector<SampledScore> kills, classes;
    Score exact;
    for (size_t i = 0; i < all.size(); ++i) {
        exact.add(exhaustive.verdict_of(i, d, c), exhaustive.killed_classes_of(i, d, c), exhaustive.classes);
        const SampledPair v = sampled_values(exhaustive, i, d, c, of[i]);
        kills.push_back(v.kill);
        classes.push_back(v.classes);
    }
    SampleCoverage out;
    out.size = size;
    out.seeds = seeds;
    out.kill_ratio = exact.kill_ratio();
    out.classes_score = exact.classes_score(exhaustive.classes);
    // Whether an interval holds the exact score; the tolerance absorbs the rounding of a sample of
    // the whole list (its interval has no width, its estimate the exact ratio summed otherwise).
    auto holds = [](const ScoreEstimate& e, double x) { return e.low - 1e-12 <= x && x <= e.high + 1e-12; };
    std::vector<double> ek, ec;
    double secs = 0;
    for (int s = 0; s < seeds; ++s) {
        SamplePlan plan;
        plan.size = size;
        plan.seed = static_cast<uint64_t>(s);
        plan.strata = strata;
        std::vector<SampledScore> sk, sc;
        double t = d < exhaustive.original_seconds.size() ? exhaustive.original_seconds[d] : 0.0;
        for (size_t i : stratified_sample(all, plan)) {
            sk.push_back(kills[i]);
            sc.push_back(classes[i]);
            if (d < exhaustive.mutants[i].runs.size()) t += exhaustive.mutants[i].runs[d].seconds;
        }
        const ScoreEstimate k = estimate_ratio(population, sk), cl = estimate_ratio(population, sc);
        out.kill_covered += holds(k, out.kill_ratio) ? 1 : 0;
        out.classes_covered += holds(cl, out.classes_score) ? 1 : 0;
        ek.push_back(std::fabs(k.value - out.kill_ratio));
        ec.push_back(std::fabs(cl.value - out.classes_score));
        out.kill_mean_half_width += k.half_width();
        out.classes_mean_half_width += cl.half_width();
        secs += t;
    }
    if (seeds > 0) {
        const double n = static_cast<double>(seeds);
        for (double e : ek) out.kill_mean_abs_error += e / n;
        for (double e : ec) out.classes_mean_abs_error += e / n;
        out.kill_mean_half_width /= n;
        out.classes_mean_half_width /= n;
        out.mean_seconds = secs / n;
    }
    out.kill_p95_abs_error = percentile_95(ek);
    out.classes_p95_abs_error = percentile_95(ec);
    return out;
}

}  // namespace mutiny

#endif  // MUTINY_ANALYSIS_SAMPLE_COVERAGE_HPP_
