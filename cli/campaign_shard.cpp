#include "campaign_shard.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <mutiny/analysis/campaign.hpp>

namespace cli {

mutiny::ShardSpec shard_option(const Args& a) {
    const std::string v = a.get("shard");
    const size_t slash = v.find('/');
    const std::string bad = "option --shard needs K/N with 1 <= K <= N, got '" + v + "'";
    if (slash == std::string::npos) throw UsageError(bad);
    mutiny::ShardSpec s;
    try {
        s.count = parse_int(v.substr(slash + 1), "--shard", 1, INT32_MAX);
        s.index = parse_int(v.substr(0, slash), "--shard", 1, s.count);
    } catch (const UsageError&) {
        throw UsageError(bad);
    }
    return s;
}

std::string whole_campaign_key(const SplitCampaign& s, const std::vector<mutiny::Mutant>& all) {
    const std::string recipe = s.data.holds_tensors() ? "none" : s.feeding.recipe.to_string();
    const std::string fp = mutiny::dataset_fingerprint(s.data, s.feeding.recipe, mutiny::input_slots(s.feeding.model.graph));
    return mutiny::campaign_key(s.model_hash, static_cast<int64_t>(s.data.size()), fp, recipe, s.options, all);
}

mutiny::CampaignPart run_campaign_part(const SplitCampaign& s, const std::vector<mutiny::Mutant>& all, const std::string& key,
                                       const std::vector<size_t>& indices, const std::string& kind, int64_t index, int64_t count) {
    std::vector<mutiny::Mutant> mine;
    for (size_t i : indices) mine.push_back(all[i]);
    mutiny::Campaign campaign(s.feeding.model.graph, mine, s.data, s.feeding.recipe, s.data_spec, s.options, s.model_path, s.model_hash);
    mutiny::CampaignPart p;
    p.kind = kind;
    p.index = index;
    p.count = count;
    p.key = key;
    p.total = static_cast<int64_t>(all.size());
    p.indices.assign(indices.begin(), indices.end());
    p.batch = s.options.batch;
    p.max_memory = s.options.max_memory;
    p.threads = s.options.threads;
    p.instances = s.options.instances;
    p.incremental = s.options.incremental;
    p.r = campaign.run();
    return p;
}

void check_some_device_ran(const mutiny::CampaignResult& r, const std::string& model_path) {
    if (!r.device_errors.empty() && std::all_of(r.device_errors.begin(), r.device_errors.end(), [](const std::string& e) { return !e.empty(); }))
        throw mutiny::Error("every device failed", "campaign " + model_path, r.device_errors[0]);
}

int run_campaign_shard(const SplitCampaign& s, const std::vector<mutiny::Mutant>& all, const mutiny::ShardSpec& shard) {
    const std::vector<double> cost = mutiny::mutant_costs(s.feeding.model.graph, all, s.options.instances);
    const std::vector<size_t> mine = mutiny::shard_mutants(cost, shard);
    double total = 0, part = 0;
    for (double c : cost) total += c;
    for (size_t i : mine) part += cost[i];
    const std::string key = whole_campaign_key(s, all);
    // A shard.bin left by an earlier run of this folder must not outlive this run's start: merge
    // would take it for this shard's result if this run were interrupted.
    const std::string result = s.options.out_dir + "/shard.bin";
    std::error_code ec;
    std::filesystem::remove(result, ec);
    if (!s.quiet)
        std::cerr << "shard " << shard.str() << ": " << mine.size() << " of " << all.size() << " mutants x " << s.data.size() << " inputs -> "
                  << s.options.out_dir << (s.options.resume ? " (resuming)" : "") << "\n";
    const mutiny::CampaignPart p = run_campaign_part(s, all, key, mine, "shard", shard.index, shard.count);
    mutiny::write_part(result, p);
    char line[256];
    std::snprintf(line, sizeof line, "shard %s: %zu of %zu mutants, %.1f%% of the estimated work, %.2f s%s\n", shard.str().c_str(), mine.size(), all.size(),
                  total > 0 ? 100 * part / total : 0.0, p.r.seconds,
                  p.r.resumed_at_batch >= 0 ? (", resumed at batch " + std::to_string(p.r.resumed_at_batch)).c_str() : "");
    std::cout << line << "result: " << result << " (merge every shard's folder with: mutiny merge DIR... --out DIR)\n";
    check_some_device_ran(p.r, s.model_path);
    return 0;
}

}  // namespace cli
