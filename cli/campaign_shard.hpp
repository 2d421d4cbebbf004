// The split forms of `mutiny campaign` (docs/cli.md, "Scale out"): --shard K/N runs one
// deterministic part of the mutant list and writes DIR/shard.bin for `mutiny merge`; --mpi runs
// the whole campaign over the ranks of an MPI job (mpi_campaign.cpp); --sample / --until run a
// stratified sample and estimate the scores with confidence intervals (campaign_sample.cpp), here
// or, with --mpi too, each round over the ranks.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include <mutiny/analysis/campaign_options.hpp>
#include <mutiny/analysis/merge.hpp>
#include <mutiny/analysis/sample.hpp>
#include <mutiny/analysis/shard.hpp>
#include <mutiny/io/dataset_base.hpp>

#include "args.hpp"
#include "model_file.hpp"

namespace cli {

// Everything a split run needs besides the mutants: what cmd_campaign prepared.
struct SplitCampaign {
    const Feeding& feeding;
    const mutiny::Dataset& data;
    std::string data_spec, model_path, model_hash;
    mutiny::CampaignOptions options;
    bool quiet = false;
};

// --shard K/N, checked before anything loads: K and N integers, 1 <= K <= N (a bad call otherwise).
mutiny::ShardSpec shard_option(const Args& a);

// The key of the whole campaign (shard.hpp) and a part over the mutants `indices` of `all`, run.
mutiny::CampaignPart run_campaign_part(const SplitCampaign& s, const std::vector<mutiny::Mutant>& all, const std::string& key,
                                       const std::vector<size_t>& indices, const std::string& kind, int64_t index, int64_t count);
std::string whole_campaign_key(const SplitCampaign& s, const std::vector<mutiny::Mutant>& all);

// Runs shard K/N into options.out_dir (checkpointed; --resume continues) and writes shard.bin.
int run_campaign_shard(const SplitCampaign& s, const std::vector<mutiny::Mutant>& all, const mutiny::ShardSpec& shard);

// Runs the campaign over the ranks of an MPI job and writes the report (rank 0); without
// MUTINY_WITH_MPI a bad call naming the build option. `chunks`: --chunks N, 0 when not given (then
// mpi_chunk_count chooses, or a resumed run keeps the count its chunk files were written with).
int run_campaign_mpi(const SplitCampaign& s, const std::vector<mutiny::Mutant>& all, const std::string& command_line, int64_t chunks);

// What a run over an MPI job's ranks gives rank 0 (MpiJob::run): every chunk's part in chunk order,
// where each is kept, and how the run went; the other ranks get an empty one.
struct MpiRun {
    std::vector<mutiny::CampaignPart> parts;
    std::vector<std::string> where;  // per part: its file, for merge_parts' messages
    int64_t chunks = 0, resumed = 0, from_checkpoint = 0;
    // Gathers the chunks' kept outputs into DIR/outputs-DEVICE.f32 once merged (unset: none kept).
    std::function<void(const mutiny::CampaignResult&)> outputs;
};

// An MPI job, started for the life of the object (mpi_campaign.cpp; without MUTINY_WITH_MPI
// constructing one is a bad call naming the build option). Every rank calls the same methods in
// the same order.
class MpiJob {
public:
    MpiJob();
    ~MpiJob();
    MpiJob(const MpiJob&) = delete;
    MpiJob& operator=(const MpiJob&) = delete;
    int rank = 0, ranks = 1;
    // Runs the mutants `indices` of `all` in chunks (folders and part files under `dir`, --resume
    // continues them) over the ranks: rank 0 deals them by cost (`chunks`: --chunks N, or 0 to let
    // mpi_chunk_count choose), hands them out and returns their parts; the others run what they
    // are given.
    MpiRun run(const SplitCampaign& s, const std::vector<mutiny::Mutant>& all, const std::string& key, const std::vector<size_t>& indices,
               const std::string& dir, int64_t chunks);
    // Rank 0's `value`, on every rank.
    bool agree(bool value) const;
    // Ends the whole job after this rank's error (the others would wait for it forever).
    [[noreturn]] void abort(const std::exception& e) const;

private:
    std::string data_hash_;     // this rank's, once its first chunk computed it
    std::vector<double> cost_;  // mutant_costs of the campaign's list, once the first run computed it
};

// --sample N[:SEED][,strata=operator|layer|operator*layer] and --until ci=H, checked before
// anything loads (a bad call otherwise).
struct SampleOption {
    mutiny::SamplePlan plan;
    double until = 0;  // the largest half-width wanted; 0: one sample of plan.size
};
SampleOption sample_option(const Args& a);

// Runs the sample (growing it with --until), writes the sampled mutants' report and estimate.json.
// With `mpi`, every round runs over the ranks of an MPI job (MpiJob; `chunks` as --chunks).
int run_campaign_sample(const SplitCampaign& s, const std::vector<mutiny::Mutant>& all, const SampleOption& o, const std::string& command_line, bool mpi = false,
                        int64_t chunks = 0);

// Throws when every device failed (a report in which no device ran is not a result).
void check_some_device_ran(const mutiny::CampaignResult& r, const std::string& model_path);

}  // namespace cli
