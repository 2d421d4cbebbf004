// Estimated scores (analysis/sample.hpp): the stratified sample has the allocated size, is nested
// across sizes of one seed and is the same for the same seed; Wilson's interval matches its
// formula; a sample of the whole list gives the exact score with no width; and, the real check,
// on the exhaustive campaign of a shipped model (fashion_fcnn, vanilla, 100 inputs: 480 mutants)
// the 95% interval of 200 seeded samples of 60 mutants covers the exhaustive kill ratio and
// killed-classes score at least 93% of the time. (Sampling a finished campaign's results is what
// running the sample computes: each mutant's result depends on that mutant alone.)
#include <doctest/doctest.h>

#include "support/support.hpp"

#include <mutiny/analysis/campaign.hpp>
#include <mutiny/analysis/sample.hpp>
#include <mutiny/analysis/sample_coverage.hpp>
#include <mutiny/model.hpp>
#include <mutiny/report/html.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

using namespace mutiny;

TEST_CASE("sample: stratified, nested, seeded; Wilson's interval") {
    const Graph g = load_model((mutiny_test::source_dir() / "models/fashion_fcnn.onnx").string());
    EnumerateOptions eo;
    eo.ops = {"vanilla"};
    const std::vector<Mutant> m = enumerate_mutants(g, eo);  // CW, NAI, NEB: 160 each
    SamplePlan p;
    p.size = 30;
    p.seed = 7;
    const std::vector<size_t> a = stratified_sample(m, p);
    CHECK(a.size() == 30);
    CHECK(stratified_sample(m, p) == a);
    int cw = 0;
    for (size_t i : a) cw += operator_label(m[i].spec) == "CW" ? 1 : 0;
    CHECK(cw == 10);  // proportional: a third per operator
    p.size = 60;
    const std::vector<size_t> b = stratified_sample(m, p);
    CHECK(std::includes(b.begin(), b.end(), a.begin(), a.end()));
    p.seed = 8;
    CHECK(stratified_sample(m, p) != b);
    p.size = 481;
    CHECK_THROWS_WITH_AS(stratified_sample(m, p), "sample larger than the population at --sample 481: the campaign has 480 mutants; run it whole instead", Error);
    // Wilson, by its formula: 8 of 10 -> [0.4902, 0.9433].
    const ScoreEstimate w = wilson(0.8, 10);
    CHECK(w.low == doctest::Approx(0.4902).epsilon(1e-3));
    CHECK(w.high == doctest::Approx(0.9433).epsilon(1e-3));
    // Student's t, 97.5% quantile, against SciPy 1.x's stats.t.ppf(0.975, df).
    const std::vector<std::pair<double, double>> t{{1, 12.706204736174694}, {2, 4.302652729749462}, {3, 3.1824463052837078}, {4, 2.7764451051977934},
                                                   {5, 2.5705818356363146}, {10, 2.228138851986274}, {30, 2.0422724563012378}, {100, 1.9839715185235518},
                                                   {1000, 1.9623390808264083}};
    for (const auto& [df, q] : t) CHECK(t_quantile_975(df) == doctest::Approx(q).epsilon(df < 5 ? 1e-12 : 2e-4));
    CHECK(t_quantile_975(INFINITY) == doctest::Approx(1.959963984540054).epsilon(1e-15));
}

TEST_CASE("sample: the 95% interval covers the exhaustive scores of a shipped model in >= 93% of 200 seeds") {
    const Graph g = load_model((mutiny_test::source_dir() / "models/fashion_fcnn.onnx").string());
    const auto ds = open_dataset("fashion-mnist:test@first=100");
    EnumerateOptions eo;
    eo.ops = {"vanilla"};
    const std::vector<Mutant> all = enumerate_mutants(g, eo);
    CampaignOptions opt;
    opt.threads = 1;
    opt.criteria = parse_criteria("prediction,killed-classes:mutant-label");
    const CampaignResult whole = Campaign(g, all, *ds, Recipe{}, "test", opt, "fcnn", "hash").run();
    const Score exact = campaign_scores(whole, 0, 1, "").at("all");
    std::vector<int64_t> every;
    for (size_t i = 0; i < all.size(); ++i) every.push_back(static_cast<int64_t>(i));
    // The whole list as the sample: the exact scores, no width.
    const SampledScores full = estimate_scores(all, "operator", whole, every, 0, 1);
    CHECK(full.kill_ratio.value == doctest::Approx(exact.kill_ratio()));
    CHECK(full.kill_ratio.half_width() == 0);
    CHECK(full.classes_score.value == doctest::Approx(exact.classes_score(whole.classes)));
    REQUIRE(exact.kill_ratio() > 0.05);
    REQUIRE(exact.kill_ratio() < 0.95);
    int covered_k = 0, covered_c = 0;
    std::vector<double> err_c;  // |estimate - exact| of the killed-classes score, per seed
    for (uint64_t seed = 0; seed < 200; ++seed) {
        SamplePlan p;
        p.size = 60;
        p.seed = seed;
        CampaignResult part = whole;
        part.mutants.clear();
        std::vector<int64_t> index;
        for (size_t i : stratified_sample(all, p)) {
            part.mutants.push_back(whole.mutants[i]);
            index.push_back(static_cast<int64_t>(i));
        }
        const SampledScores e = estimate_scores(all, "operator", part, index, 0, 1);
        covered_k += e.kill_ratio.low <= exact.kill_ratio() && exact.kill_ratio() <= e.kill_ratio.high ? 1 : 0;
        err_c.push_back(std::fabs(e.classes_score.value - exact.classes_score(whole.classes)));
        covered_c += e.classes_score.low <= exact.classes_score(whole.classes) && exact.classes_score(whole.classes) <= e.classes_score.high ? 1 : 0;
    }
    MESSAGE("coverage over 200 seeds: kill ratio " << covered_k << ", killed-classes score " << covered_c);
    // protocol's coverage table (sample_coverage.hpp) counts what this loop counted.
    const SampleCoverage cov = sample_coverage(all, whole, 0, 1, 60, "operator", 200);
    CHECK(cov.kill_covered == covered_k);
    CHECK(cov.classes_covered == covered_c);
    CHECK(cov.kill_ratio == doctest::Approx(exact.kill_ratio()));
    double mean_c = 0;
    for (double e : err_c) mean_c += e / 200;
    std::sort(err_c.begin(), err_c.end());
    CHECK(cov.classes_mean_abs_error == doctest::Approx(mean_c));
    CHECK(cov.classes_p95_abs_error == err_c[189]);  // the 190th of 200: ceil(0.95 x 200)
    CHECK(cov.classes_mean_abs_error > 0);
    // Samples of the whole list: every seed covers, no error, the whole run's time.
    const SampleCoverage whole_list = sample_coverage(all, whole, 0, 1, static_cast<int64_t>(all.size()), "layer", 3);
    CHECK(whole_list.kill_covered == 3);
    CHECK(whole_list.classes_covered == 3);
    CHECK(whole_list.classes_mean_abs_error == doctest::Approx(0).epsilon(1e-12));
    double t = whole.original_seconds[0];
    for (const auto& m : whole.mutants) t += m.runs[0].seconds;
    CHECK(whole_list.mean_seconds == doctest::Approx(t));
    CHECK(covered_k >= 186);
    CHECK(covered_c >= 186);
}
