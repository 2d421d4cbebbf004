// What a campaign (campaign.hpp) is asked for and what it returns: CampaignOptions (devices,
// criteria, batch size, output folder, resume, seeded instances of stochastic mutants) and
// CampaignResult (per mutant and device: kill summaries, timings, discrepancies).
#ifndef MUTINY_ANALYSIS_CAMPAIGN_OPTIONS_HPP_
#define MUTINY_ANALYSIS_CAMPAIGN_OPTIONS_HPP_

#include <algorithm>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../core/memory.hpp"
#include "../graph/graph.hpp"
#include "../mutate/all.hpp"
#include "../version.hpp"
#include "campaign_device.hpp"
#include "discrepancy.hpp"
#include "kill.hpp"

namespace mutiny {

struct CampaignOptions {
    std::vector<std::string> devices{"cpu"};
    std::vector<Criterion> criteria{Criterion{}};
    int threads = 0;
    // Inputs per batch, at most: the campaign lowers it so that a batch's activations fit
    // max_memory (the original's trace, which mutants restart from, and a mutant's recomputed
    // values; estimated from one input). Results are the same bits whatever the batch.
    int64_t batch = 1000;
    // Bytes a batch's activations may take on the host; 0: default_campaign_memory() (1 GiB, at
    // most a quarter of the physical memory).
    int64_t max_memory = 0;
    bool incremental = true;
    std::string out_dir;        // empty: nothing written (no checkpoint, no outputs)
    bool keep_outputs = true;   // every output of every mutant, float32, in out_dir
    bool resume = false;
    // Seeded instances of each stochastic mutant (operators whose result depends on the seed: GF,
    // WS). With n >= 2, instance 0 is the mutant as specified and instances 1..n-1 use the seeds
    // instance_seed(seed, k); every criterion but `statistical` judges instance 0, and
    // `statistical` applies DeepCrime's rule to the n accuracies (kill.hpp, deepcrime_test).
    int instances = 1;
    // The data hash (Campaign::data_hash) when the caller already knows it for this data set and
    // recipe: the parts of one split campaign (shards, MPI chunks, sample rounds) in one process
    // pass the first part's, sparing a pass over the data per part. Empty: computed.
    std::string data_hash;
    // Propagation profiles of the mutants (profile.hpp) on the first profile.inputs inputs (0:
    // none), computed by the CPU device, which must be one of the devices.
    ProfileOptions profile;
    // Called after each mutant of each batch: (steps done, total steps).
    std::function<void(int64_t, int64_t)> progress;
    // Makes a device from its name ("opencl:1"); the CPU is built in. Set by callers that link
    // other backends (the CLI adds OpenCL).
    std::function<std::unique_ptr<CampaignDevice>(const std::string&, const Graph&, const CampaignOptions&)> make_device;
};

// The default memory budget of a campaign's batch: 1 GiB, or a quarter of the physical memory on a
// smaller machine. (A larger batch gains little: per-batch costs are small next to a mutant's work.)
inline int64_t default_campaign_memory() {
    const int64_t gib = int64_t{1} << 30, phys = physical_memory_bytes();
    return phys > 0 ? std::min(gib, phys / 4) : gib;
}

struct DeviceRun {
    KillSummary summary;
    double seconds = 0;
};

struct MutantResult {
    Mutant mutant;
    std::vector<DeviceRun> runs;          // per device
    std::vector<Discrepancy> vs_first;    // device d (d >= 1) against device 0; index d - 1
};

struct CampaignResult {
    std::string version = version_string();
    std::string model, model_hash, data, recipe, identity;
    std::string data_hash;                   // "fnv1a64:<hex>" of the inputs as fed and their labels
    std::vector<std::string> device_identities;  // per device: CampaignDevice::identity()
    int64_t inputs = 0, classes = 0, batch = 0;
    int64_t batch_requested = 0;   // CampaignOptions::batch; `batch` is lower when the memory budget says so
    int64_t memory_budget = 0;     // bytes (CampaignOptions::max_memory or its default)
    int64_t bytes_per_input = 0;   // the estimate the batch was chosen from
    bool batch_fixed_by_model = false;  // the model's inputs fix the batch dimension: `batch` is it
    std::vector<std::string> devices;
    std::vector<std::string> device_errors;  // per device: why it stopped ("" = fine)
    std::vector<Criterion> criteria;
    std::vector<int64_t> original_correct;   // per device
    std::vector<double> original_seconds;    // per device
    std::vector<Discrepancy> original_vs_first;
    std::vector<MutantResult> mutants;
    ProfileOptions profile;                  // profile.inputs == 0: no profiles
    std::vector<MutantProfile> profiles;     // per mutant when profiled (empty ones: did not run)
    double seconds = 0;                      // wall time of the run (this process, resumed or not)
    int64_t resumed_at_batch = -1;

    // The verdict of mutant i on device d under criterion c.
    Verdict verdict_of(size_t i, size_t d, size_t c) const {
        const MutantResult& m = mutants[i];
        switch (m.mutant.status) {
            case MutantStatus::invalid: return Verdict::invalid;
            case MutantStatus::not_applicable: return Verdict::not_applicable;
            case MutantStatus::equivalent: return Verdict::equivalent;
            case MutantStatus::ok: break;
        }
        return verdict(m.runs[d].summary, criteria[c]);
    }
    int64_t killed_classes_of(size_t i, size_t d, size_t c) const {
        return mutants[i].mutant.status == MutantStatus::ok ? killed_classes(mutants[i].runs[d].summary, criteria[c]) : 0;
    }
};

// The seed of instance k of a stochastic mutant whose spec has seed `seed` (instance 0: the spec's).
inline uint64_t instance_seed(uint64_t seed, int k) { return k == 0 ? seed : mix_seed(seed, "instance/" + std::to_string(k)); }

// Whether a mutant's operator is stochastic (its result depends on the seed).
inline bool is_stochastic(const MutantSpec& spec) {
    try {
        return resolve_operator(spec.op, spec.params).op->uses_seed;
    } catch (const std::exception&) {
        return false;  // an unknown operator is reported invalid elsewhere
    }
}

}  // namespace mutiny

#endif  // MUTINY_ANALYSIS_CAMPAIGN_OPTIONS_HPP_
