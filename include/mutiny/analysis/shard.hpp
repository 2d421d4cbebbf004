// Splitting one campaign over processes (docs/architecture.md, "Scale out"): which mutants shard
// K of N runs, and what identifies the whole campaign so that the parts of one campaign, and only
// they, are merged (merge.hpp).
//
// A shard is a deterministic function of the mutant list and the model: every process that is
// given the same campaign computes the same split, with no coordination. Mutants are dealt by
// estimated cost (shard_cost.hpp), largest first, each to the shard with the least work so far
// (the LPT rule: at most 4/3 of the best possible longest shard), ties to the lower shard; a
// shard then runs its mutants in list order.
#ifndef MUTINY_ANALYSIS_SHARD_HPP_
#define MUTINY_ANALYSIS_SHARD_HPP_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/hash.hpp"
#include "../io/dataset.hpp"
#include "../io/preprocess.hpp"
#include "../mutate/all.hpp"
#include "../version.hpp"
#include "campaign_options.hpp"
#include "shard_cost.hpp"

namespace mutiny {

// Part `index` (1-based) of `count`.
struct ShardSpec {
    int64_t index = 1, count = 1;
    std::string str() const { return std::to_string(index) + "/" + std::to_string(count); }
};

// For each of `count` parts, the indices (ascending) of the items it gets, dealt by cost.
inline std::vector<std::vector<size_t>> deal_by_cost(const std::vector<double>& cost, int64_t count) {
    if (count < 1) throw Error("bad shard count", "shard", std::to_string(count) + " (must be >= 1)");
    std::vector<size_t> order(cost.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return cost[a] > cost[b]; });
    std::vector<double> load(static_cast<size_t>(count), 0.0);
    std::vector<std::vector<size_t>> parts(static_cast<size_t>(count));
    for (size_t i : order) {
        const size_t k = static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
        load[k] += cost[i];
        parts[k].push_back(i);
    }
    for (auto& p : parts) std::sort(p.begin(), p.end());
    return parts;
}

// How many chunks an MPI campaign deals its mutant list into (cli/mpi_campaign.cpp) when the user
// does not say (--chunks): one per rank, plus up to one more per rank while what the extra chunks
// cost stays within 2.5% of the campaign's estimated work. Chunks beyond one per rank let rank 0
// even out a slow rank, but every chunk reruns the original over every input (the activations its
// mutants restart from) and sets up a campaign of its own: a fixed cost of about 8 model passes in
// mutant_costs' units (measured: LeNet-5, vanilla, 10,000 inputs, 0.6 s of CPU per extra chunk
// against 10.8 s for the 708 mutants, which mutant_costs puts at 116 passes). So a campaign of
// seconds runs one chunk per rank and one of hours two. `cost`: mutant_costs; `model_flops`:
// graph_flops of the model (one pass, the same units).
inline int64_t mpi_chunk_count(const std::vector<double>& cost, double model_flops, int64_t ranks) {
    if (ranks < 1) throw Error("bad rank count", "mpi", std::to_string(ranks) + " (must be >= 1)");
    const int64_t mutants = static_cast<int64_t>(cost.size());
    if (mutants == 0) return 1;
    double work = 0;
    for (double c : cost) work += c;
    constexpr double kChunkPasses = 8, kBudget = 0.025;
    const double affordable = model_flops > 0 ? std::floor(kBudget * work / (kChunkPasses * model_flops)) : static_cast<double>(ranks);
    const int64_t extra = static_cast<int64_t>(std::min(static_cast<double>(ranks), std::max(0.0, affordable)));
    return std::max<int64_t>(1, std::min(mutants, ranks + extra));
}

// The mutants (indices into the campaign's list, ascending) shard s runs.
inline std::vector<size_t> shard_mutants(const std::vector<double>& cost, const ShardSpec& s) {
    if (s.index < 1 || s.index > s.count) throw Error("no such shard", "shard " + s.str(), "K/N needs 1 <= K <= N");
    return deal_by_cost(cost, s.count)[static_cast<size_t>(s.index - 1)];
}

// "fnv1a64:<hex>" of everything the campaign feeds the model and judges it by: every input tensor
// as the model receives it (after preprocessing) and every label, in order. Two data sets with the
// same fingerprint give the same results, wherever their files are and however the spec names
// them; one changed pixel changes it. Reads the data set once, `block` samples at a time.
inline std::string dataset_fingerprint(const Dataset& ds, const Recipe& recipe, const std::vector<InputSlot>& slots, size_t block = 256) {
    uint64_t h = kFnv1aBasis;
    for (size_t b = 0; b < ds.size(); b += block) {
        const size_t n = std::min(block, ds.size() - b);
        for (const Tensor& t : make_inputs(ds, b, n, recipe, slots)) h = fnv1a(t.raw(), t.nbytes(), h);
        const std::vector<int> lab = batch_labels(ds, b, n);
        h = fnv1a(lab.data(), lab.size() * sizeof(int), h);
    }
    char buf[40];
    std::snprintf(buf, sizeof buf, "fnv1a64:%016llx", static_cast<unsigned long long>(h));
    return buf;
}

// The identity of a whole campaign, one "what value" per line: everything its results depend on
// (the Mutiny version, the model's bytes, the data as fed, devices, criteria, instances and the
// whole mutant list) and nothing they do not (paths, batch size, threads, the split itself). The
// mutant list enters as its count and a hash of its lines, so the key stays short for 10^5 mutants.
inline std::string campaign_key(const std::string& model_hash, int64_t inputs, const std::string& data_fingerprint, const std::string& recipe,
                                const CampaignOptions& opt, const std::vector<Mutant>& mutants) {
    uint64_t h = kFnv1aBasis;
    for (const Mutant& m : mutants) h = fnv1a(m.spec.str() + "\n", h);
    char buf[40];
    std::snprintf(buf, sizeof buf, "fnv1a64:%016llx", static_cast<unsigned long long>(h));
    std::string s = std::string("mutiny-campaign-key v1\nversion ") + version_string() + "\nmodel " + model_hash + "\ndata " + std::to_string(inputs) + " inputs " +
                    data_fingerprint + "\nrecipe " + recipe + "\n";
    for (const auto& d : opt.devices) s += "device " + d + "\n";
    for (const auto& c : opt.criteria) s += "criterion " + c.name() + "\n";
    s += "instances " + std::to_string(opt.instances) + "\n";
    s += "mutants " + std::to_string(mutants.size()) + " " + buf + "\n";
    return s;
}

}  // namespace mutiny

#endif  // MUTINY_ANALYSIS_SHARD_HPP_
