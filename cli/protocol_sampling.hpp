// `mutiny protocol`'s sampling tables: how often a stratified sample's 95% interval covers the
// exhaustive scores (--sample-seeds seeds per sample size), and sampling against each clustering
// run at equal speed-up. Computed from the exhaustive run's results (sample_coverage.hpp).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <mutiny/analysis/campaign_options.hpp>
#include <mutiny/report/json.hpp>

namespace cli {

// A clustering run of the protocol, as the comparison needs it.
struct ClusteringRun {
    std::string series, config;
    double speedup = 0;          // CPU time saved against the exhaustive run, clustering included
    double classes_error = 0;    // estimated minus exhaustive killed-classes score
};

// Writes the tables as Markdown (md), HTML (html) and a "sampling" member of the JSON object j.
void protocol_sampling(const std::vector<mutiny::Mutant>& all, const mutiny::CampaignResult& exhaustive, const std::string& strata, int seeds,
                       const std::vector<ClusteringRun>& runs, std::ostream& md, std::ostream& html, mutiny::JsonWriter& j);

}  // namespace cli
