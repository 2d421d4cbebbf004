#include "protocol_sampling.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>

#include <mutiny/analysis/sample_coverage.hpp>
#include <mutiny/report/html.hpp>

namespace cli {

namespace {

// The sample sizes of the coverage table: 2, 5, 10, 20 and 50% of the list (at least 2 mutants).
std::vector<int64_t> coverage_sizes(int64_t n) {
    std::vector<int64_t> sizes;
    for (double f : {0.02, 0.05, 0.10, 0.20, 0.50}) {
        const int64_t s = std::min(n, std::max<int64_t>(2, static_cast<int64_t>(std::llround(f * static_cast<double>(n)))));
        if (sizes.empty() || sizes.back() != s) sizes.push_back(s);
    }
    return sizes;
}

// "187/200 (93.5%)"
std::string covered(int k, int seeds) {
    char b[64];
    std::snprintf(b, sizeof b, "%d/%d (%.1f%%)", k, seeds, seeds > 0 ? 100.0 * k / seeds : 0.0);
    return b;
}

std::string pp(double x) { return mutiny::fmt_num(100 * x, "%.2f"); }

void coverage_json(mutiny::JsonWriter& j, const mutiny::SampleCoverage& c) {
    j.key("sample").value(c.size);
    j.key("seeds").value(c.seeds);
    j.key("kill_ratio_covered").value(c.kill_covered);
    j.key("classes_score_covered").value(c.classes_covered);
    j.key("kill_ratio_mean_abs_error").value(c.kill_mean_abs_error);
    j.key("classes_score_mean_abs_error").value(c.classes_mean_abs_error);
    j.key("classes_score_p95_abs_error").value(c.classes_p95_abs_error);
    j.key("classes_score_mean_half_width").value(c.classes_mean_half_width);
    j.key("estimated_seconds").value(c.mean_seconds);
}

}  // namespace

void protocol_sampling(const std::vector<mutiny::Mutant>& all, const mutiny::CampaignResult& exhaustive, const std::string& strata, int seeds,
                       const std::vector<ClusteringRun>& runs, std::ostream& md, std::ostream& html, mutiny::JsonWriter& j) {
    const int64_t n = static_cast<int64_t>(all.size());
    auto run = [&](int64_t size) { return mutiny::sample_coverage(all, exhaustive, 0, 0, size, strata, seeds); };
    const double base_seconds = exhaustive.seconds;
    j.key("sampling").begin_object();
    j.key("strata").value(strata);
    j.key("seeds").value(seeds);
    j.key("interval").value("95%: Wilson's score interval (Student's t quantile, n - H degrees of freedom) at the effective sample size of the stratified combined ratio estimator, with finite-population correction");

    md << "\nSampling (strata " << strata << ", seeds 0.." << seeds - 1
       << "): how often the 95% interval covers the exhaustive score; errors in percentage points; the time is estimated from the exhaustive run's "
          "per-mutant times (original + sampled mutants)\n\n"
       << "| sample | of mutants | kill ratio covered | classes score covered | mean abs error kill (pp) | mean abs error classes (pp) | p95 abs error classes (pp) | mean half-width classes (pp) | est. s |\n"
          "|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    html << "<h2>Sampling: coverage of the 95% interval</h2>\n<p>Stratified samples (strata " << mutiny::html_escape(strata) << ", seeds 0.." << seeds - 1
         << ") of the exhaustive run's results; a sample's time is estimated from the exhaustive run's per-mutant times.</p>\n"
         << "<table><tr><th>sample</th><th>kill ratio covered</th><th>classes score covered</th><th>mean abs error classes (pp)</th>"
            "<th>p95 abs error classes (pp)</th><th>est. s</th></tr>\n";
    j.key("coverage").begin_array();
    for (int64_t size : coverage_sizes(n)) {
        const mutiny::SampleCoverage c = run(size);
        md << "| " << size << " | " << mutiny::fmt_pct(static_cast<double>(size) / static_cast<double>(n)) << " | " << covered(c.kill_covered, seeds) << " | "
           << covered(c.classes_covered, seeds) << " | " << pp(c.kill_mean_abs_error) << " | " << pp(c.classes_mean_abs_error) << " | " << pp(c.classes_p95_abs_error) << " | "
           << pp(c.classes_mean_half_width) << " | " << mutiny::fmt_num(c.mean_seconds, "%.2f") << " |\n";
        html << "<tr><td>" << size << "</td><td>" << covered(c.kill_covered, seeds) << "</td><td>" << covered(c.classes_covered, seeds) << "</td><td>"
             << pp(c.classes_mean_abs_error) << "</td><td>" << pp(c.classes_p95_abs_error) << "</td><td>" << mutiny::fmt_num(c.mean_seconds, "%.2f") << "</td></tr>\n";
        j.begin_object();
        coverage_json(j, c);
        j.end();
    }
    j.end();
    html << "</table>\n";

    // At equal speed-up: the sample that saves the clustering run's share of the exhaustive time
    // (a random sample costs the average mutant per mutant, so its size is that share of the list).
    md << "\nSampling against clustering at equal speed-up (sample = list x (1 - clustering's CPU speed-up)); killed-classes score\n\n"
       << "| series | configuration | speed-up (CPU) | clustering error (pp) | sample | sampling mean abs error (pp) | sampling p95 abs error (pp) | "
          "interval covered | sampling est. s (exhaustive " << mutiny::fmt_num(base_seconds, "%.2f") << " s) |\n"
       << "|---|---|---:|---:|---:|---:|---:|---:|---:|\n";
    html << "<h2>Sampling against clustering at equal speed-up</h2>\n<table><tr><th class='l'>series</th><th class='l'>configuration</th><th>speed-up</th>"
            "<th>clustering error (pp)</th><th>sample</th><th>sampling mean abs error (pp)</th><th>p95 (pp)</th><th>covered</th></tr>\n";
    j.key("vs_clustering").begin_array();
    for (const ClusteringRun& r : runs) {
        const double share = std::min(1.0, std::max(0.0, 1 - r.speedup));
        const int64_t size = std::min(n, std::max<int64_t>(1, static_cast<int64_t>(std::llround(share * static_cast<double>(n)))));
        const mutiny::SampleCoverage c = run(size);
        md << "| " << r.series << " | " << r.config << " | " << mutiny::fmt_pct(r.speedup) << " | " << mutiny::fmt_num(100 * r.classes_error, "%+.2f") << " | " << size << " | "
           << pp(c.classes_mean_abs_error) << " | " << pp(c.classes_p95_abs_error) << " | " << covered(c.classes_covered, seeds) << " | "
           << mutiny::fmt_num(c.mean_seconds, "%.2f") << " |\n";
        html << "<tr><td class='l'>" << mutiny::html_escape(r.series) << "</td><td class='l'>" << mutiny::html_escape(r.config) << "</td><td>" << mutiny::fmt_pct(r.speedup)
             << "</td><td>" << mutiny::fmt_num(100 * r.classes_error, "%+.2f") << "</td><td>" << size << "</td><td>" << pp(c.classes_mean_abs_error) << "</td><td>"
             << pp(c.classes_p95_abs_error) << "</td><td>" << covered(c.classes_covered, seeds) << "</td></tr>\n";
        j.begin_object();
        j.key("series").value(r.series);
        j.key("config").value(r.config);
        j.key("speedup").value(r.speedup);
        j.key("clustering_error_pp").value(100 * r.classes_error);
        coverage_json(j, c);
        j.end();
    }
    j.end();
    html << "</table>\n";
    j.end();
}

}  // namespace cli
