// mutiny campaign: runs the original model and its mutants over a labelled data set on one or more
// devices, decides kills, and writes the report (report.json, mutants.csv, kill matrices,
// manifest.json, report.html) to --out, checkpointing after every batch (--resume continues).
#include <algorithm>
#include <cfloat>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

#include <unistd.h>

#include <mutiny/analysis/campaign.hpp>
#include <mutiny/analysis/scores.hpp>
#include <mutiny/cluster/accelerate.hpp>
#include <mutiny/io/dataset.hpp>
#include <mutiny/mutate/all.hpp>
#include <mutiny/report/campaign_report.hpp>
#include <mutiny/report/cluster_report.hpp>

#include "args.hpp"
#include "campaign_devices.hpp"
#include "campaign_shard.hpp"
#include "commands.hpp"
#include "model_file.hpp"
#include "shell_words.hpp"

namespace cli {

namespace {

// Progress on stderr: a bar with rate and ETA on a terminal, plain lines (every 10%) in a pipe.
class Progress {
public:
    explicit Progress(bool quiet) : quiet_(quiet), tty_(::isatty(2) != 0), t0_(std::chrono::steady_clock::now()) {}
    void operator()(int64_t done, int64_t total) {
        if (quiet_ || total <= 0) return;
        const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
        const double f = static_cast<double>(done) / static_cast<double>(total);
        const double rate = t > 0 ? static_cast<double>(done) / t : 0;
        const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0;
        if (tty_) {
            if (done < total && t - last_ < 0.1) return;
            last_ = t;
            const int w = 30, fill = static_cast<int>(f * w);
            std::fprintf(stderr, "\r[%s%s] %5.1f%%  %lld/%lld runs  %.1f/s  ETA %.0fs   ", std::string(static_cast<size_t>(fill), '#').c_str(),
                         std::string(static_cast<size_t>(w - fill), '.').c_str(), 100 * f, static_cast<long long>(done), static_cast<long long>(total), rate, eta);
            if (done == total) std::fprintf(stderr, "\n");
        } else {
            const int decile = static_cast<int>(f * 10);
            if (decile <= printed_ && done < total) return;
            printed_ = decile;
            std::fprintf(stderr, "progress %lld/%lld (%.0f%%), %.1f/s, ETA %.0fs\n", static_cast<long long>(done), static_cast<long long>(total), 100 * f, rate, eta);
        }
    }

private:
    bool quiet_, tty_;
    std::chrono::steady_clock::time_point t0_;
    double last_ = -1;
    int printed_ = -1;
};

void print_scores(std::ostream& os, const mutiny::CampaignResult& r) {
    char line[512];
    for (size_t d = 0; d < r.devices.size(); ++d) {
        std::snprintf(line, sizeof line, "original on %s: accuracy %.2f%%%s\n", r.devices[d].c_str(),
                      r.inputs ? 100.0 * static_cast<double>(r.original_correct[d]) / static_cast<double>(r.inputs) : 0.0,
                      r.device_errors[d].empty() ? "" : ("  DEVICE FAILED: " + r.device_errors[d]).c_str());
        os << line;
    }
    os << "device   criterion                     mutants  killed survived crashed equiv invalid n/a lost   kill ratio  classes score\n";
    for (size_t d = 0; d < r.devices.size(); ++d)
        for (size_t c = 0; c < r.criteria.size(); ++c) {
            const mutiny::Score s = mutiny::campaign_scores(r, d, c, "").at("all");
            std::snprintf(line, sizeof line, "%-8s %-29s %7lld %7lld %8lld %7lld %5lld %7lld %3lld %4lld %10.2f%% %14s\n", r.devices[d].c_str(),
                          r.criteria[c].name().c_str(), static_cast<long long>(s.mutants), static_cast<long long>(s.killed),
                          static_cast<long long>(s.survived), static_cast<long long>(s.crashed), static_cast<long long>(s.equivalent),
                          static_cast<long long>(s.invalid), static_cast<long long>(s.not_applicable), static_cast<long long>(s.device_lost),
                          100 * s.kill_ratio(),
                          mutiny::classes_score_text(r.criteria[c], s, r.classes).c_str());
            os << line;
        }
    // Cross-device agreement of the verdicts: the first device against each other one.
    for (size_t d = 1; d < r.devices.size(); ++d)
        for (size_t c = 0; c < r.criteria.size(); ++c) {
            size_t differ = 0;
            std::string first;
            for (size_t i = 0; i < r.mutants.size(); ++i) {
                const mutiny::Verdict a = r.verdict_of(i, 0, c), b = r.verdict_of(i, d, c);
                if (a == b) continue;
                if (differ++ < 3)
                    first += std::string(first.empty() ? "" : ", ") + r.mutants[i].mutant.spec.id + " (" + mutiny::verdict_name(a) + " on " +
                             r.devices[0] + ", " + mutiny::verdict_name(b) + " on " + r.devices[d] + ")";
            }
            os << r.devices[0] << " vs " << r.devices[d] << " (" << r.criteria[c].name() << "): ";
            if (differ == 0) os << "the same verdict for all " << r.mutants.size() << " mutants\n";
            else os << "verdicts differ for " << differ << " of " << r.mutants.size() << " mutants: " << first << (differ > 3 ? ", ..." : "") << "\n";
        }
    // Per operator, first device and criterion. An operator none of whose mutants counts has no
    // kill ratio (a "0.00%" would read as a score): it says why instead; presets that do not apply
    // (MutateNN's list is long) are summed up in one line.
    os << "per operator (" << r.devices[0] << ", " << r.criteria[0].name() << "):\n";
    std::vector<std::string> presets_na;
    for (const auto& kv : mutiny::campaign_scores(r, 0, 0, "operator")) {
        const mutiny::Score& s = kv.second;
        if (s.counted() > 0) {
            std::snprintf(line, sizeof line, "  %-36s %5lld counted  %6.2f%% killed\n", kv.first.c_str(), static_cast<long long>(s.counted()), 100 * s.kill_ratio());
        } else if (s.not_applicable == s.mutants) {
            const std::string base = kv.first.substr(0, kv.first.find('('));
            if (mutiny::MutationRegistry::instance().find_preset(base)) {
                presets_na.push_back(kv.first);
                continue;
            }
            std::snprintf(line, sizeof line, "  %-36s does not apply to the model\n", kv.first.c_str());
        } else {
            std::snprintf(line, sizeof line, "  %-36s none counted (%lld equivalent, %lld invalid, %lld n/a, %lld lost)\n", kv.first.c_str(),
                          static_cast<long long>(s.equivalent), static_cast<long long>(s.invalid), static_cast<long long>(s.not_applicable),
                          static_cast<long long>(s.device_lost));
        }
        os << line;
    }
    if (!presets_na.empty()) {
        os << "  " << presets_na.size() << (presets_na.size() == 1 ? " preset does" : " presets do") << " not apply to the model:";
        for (size_t i = 0; i < presets_na.size(); ++i) os << (i ? ", " : " ") << presets_na[i];
        os << "\n";
    }
}

// Per other device, a mutant's time over its time on the first device (report.html has them per
// operator), and with --profiles, per operator how far the mutants' effects travel.
void print_views(std::ostream& os, const mutiny::CampaignResult& r) {
    char line[512];
    for (size_t d = 1; d < r.devices.size(); ++d) {
        const auto all = mutiny::timing_by_operator(r, d, true);
        const auto it = all.find("all");
        if (it == all.end()) continue;
        std::snprintf(line, sizeof line, "time %s / %s per mutant: median %.3gx, p90 %.3gx, max %.3gx (%lld mutants)\n", r.devices[d].c_str(),
                      r.devices[0].c_str(), it->second.median, it->second.p90, it->second.max, static_cast<long long>(it->second.n));
        os << line;
    }
    if (r.profile.inputs <= 0) return;
    os << "profiles (first " << r.profile.inputs << " inputs; profiles.csv):\n";
    for (const auto& [op, s] : mutiny::profile_by_operator(r)) {
        std::snprintf(line, sizeof line, "  %-36s %5lld profiled  %6.2f%% reach the output  %5lld structurally weak  median last depth %.1f\n",
                      op.c_str(), static_cast<long long>(s.profiled), 100.0 * static_cast<double>(s.reaching_output) / static_cast<double>(s.profiled),
                      static_cast<long long>(s.weak), s.median_last_depth);
        os << line;
    }
}

// Said where a statistical criterion is chosen: what its instances are, next to DeepCrime's.
void print_statistical_note(std::ostream& os, const mutiny::CampaignOptions& opt) {
    for (const auto& c : opt.criteria)
        if (c.kind == mutiny::Criterion::Kind::statistical) {
            os << "note: " << mutiny::statistical_caveat(opt.instances) << "\n";
            return;
        }
}

// The scores an accelerated campaign stands for (cluster/accelerate.hpp), and its total time.
void print_estimates(std::ostream& os, const mutiny::CampaignResult& r, const mutiny::cluster::Acceleration& a) {
    char line[512];
    std::snprintf(line, sizeof line, "clustering %s: %lld of %lld counted mutants executed; clustering %.3f s + campaign %.3f s = %.3f s\n",
                  a.plan.str().c_str(), static_cast<long long>(a.clusters), static_cast<long long>(a.input_mutants), a.seconds, r.seconds, a.seconds + r.seconds);
    os << line;
    os << "the campaign's answer: the estimated score of all " << a.input_mutants
       << " counted mutants (the table above scores only the representatives that ran):\n";
    for (size_t d = 0; d < r.devices.size(); ++d)
        for (size_t c = 0; c < r.criteria.size(); ++c) {
            const mutiny::Score s = mutiny::cluster::estimated_score(r, d, c, a);
            std::snprintf(line, sizeof line, "estimate %-8s %-29s kill ratio %6.2f%%  classes score %7s\n", r.devices[d].c_str(), r.criteria[c].name().c_str(),
                          100 * s.kill_ratio(), mutiny::classes_score_text(r.criteria[c], s, r.classes).c_str());
            os << line;
        }
}

// When the memory budget lowered the batch: what was asked, what ran and why.
void print_batch_choice(std::ostream& os, const mutiny::CampaignResult& r) {
    if (r.batch_fixed_by_model) {
        if (r.batch != r.batch_requested)
            os << "batch: " << r.batch << (r.batch == 1 ? " input" : " inputs") << " at a time: the model's input fixes its batch dimension\n";
        return;
    }
    if (r.batch >= r.batch_requested) return;
    os << "batch: " << r.batch << " inputs instead of " << r.batch_requested << ", to keep a batch's activations within "
       << mutiny::memory_size_str(r.memory_budget) << " (about " << mutiny::memory_size_str(r.bytes_per_input)
       << " per input; --max-memory sets the budget; results are the same whatever the batch)\n";
}

// Whether outputs-DEVICE.f32 is written: --outputs, --no-outputs, or by default when all of them
// take at most kDefaultOutputsBound (a 1000-mutant campaign over 10000 inputs would leave 400 MB).
constexpr int64_t kDefaultOutputsBound = int64_t{64} << 20;
struct OutputsChoice {
    bool keep;
    std::string summary;  // the line the run ends with, naming the option that changes it
};
OutputsChoice choose_outputs(const Args& a, size_t mutants, size_t inputs, const mutiny::Graph& g, size_t devices) {
    const mutiny::Shape& out = g.value(g.outputs.at(0)).shape;
    const double classes = out.rank() == 2 && out[1] > 0 ? static_cast<double>(out[1]) : 1.0;
    const double bytes = static_cast<double>(mutants + 1) * static_cast<double>(inputs) * classes * 4.0 * static_cast<double>(devices);
    char size[32];
    std::snprintf(size, sizeof size, "%.1f MiB", bytes / (1 << 20));
    if (a.has("no-outputs")) return {false, std::string("not kept (--no-outputs; they would take ") + size + ")"};
    if (a.has("outputs")) return {true, std::string("outputs-DEVICE.f32, ") + size + " (--outputs)"};
    if (bytes <= static_cast<double>(kDefaultOutputsBound))
        return {true, std::string("outputs-DEVICE.f32, ") + size + " (kept by default up to 64 MiB; --no-outputs skips them)"};
    return {false, std::string("not kept: they would take ") + size + ", over the default bound of 64 MiB (--outputs keeps them)"};
}

}  // namespace

int cmd_campaign(int argc, char** argv) {
    Args a(argc, argv, 2, {"data", "ops", "preset", "mutants", "position", "seed", "device", "kill", "out", "threads", "batch", "preprocess", "instances", "cluster", "shard", "sample", "until", "chunks",
                              "profile-inputs", "profile-atol", "profile-rtol"},
           {"help", "resume", "no-incremental", "outputs", "no-outputs", "quiet", "mpi", "profiles"});
    if (a.has("help")) {
        std::cout << "usage: mutiny campaign MODEL --data SPEC --ops LIST|--preset NAME|--mutants FILE --out DIR\n"
                     "                       [--device cpu,opencl[:N|:NAME]]\n"
                     "                       [--kill LIST] [--position P] [--seed S] [--threads N] [--batch N]\n"
                     "                       [--max-memory SIZE] [--resume]\n"
                     "                       [--no-incremental] [--outputs | --no-outputs] [--preprocess RECIPE] [--quiet]\n"
                     "                       [--shard K/N | --mpi [--chunks N] | --sample N [--until ci=H]]\n"
                     "                       [--profiles [--profile-inputs N] [--profile-atol A] [--profile-rtol R]]\n"
                     "                       [--cluster neurons:s=N | mutants:threshold=T[,features=weights|behaviour]\n"
                     "                                  [,rep=medoid|random][,probe=P][,seed=S]]\n"
                     "Runs MODEL and its mutants over the labelled data set SPEC (see `mutiny eval --help`) on each device\n"
                     "and writes DIR/report.json, mutants.csv, kill_matrix-DEVICE[-CRITERION].txt, manifest.json, report.html\n"
                     "and outputs-DEVICE.f32 (every output, float32, [1 + mutants][inputs][classes], row 0 = original):\n"
                     "the latter by default only when all of them take at most 64 MiB; --outputs keeps them whatever\n"
                     "their size, --no-outputs never. `mutiny replay DIR/manifest.json` reruns the campaign and checks it.\n"
                     "--ops: operators, MutateNN presets or groups (vanilla, mutatenn, deepmutation, graph, kernel,\n"
                     "  neuron, quant, all), comma-separated; an operator or preset may carry parameters,\n"
                     "  NAME(KEY=VALUE,...): --ops 'GF(ratio=0.5,sigma=0.1),CW(p=0.2)'. --preset NAME is the same as\n"
                     "  --ops NAME (parameters and ranges: `mutiny mutants --help`).\n"
                     "--mutants FILE: exactly the mutants of a list `mutiny mutants MODEL --out FILE` wrote (edited or\n"
                     "  not: deleted lines, changed parameters), ids kept; refused when it was made for another model\n"
                     "  file. Not with --ops, --preset, --position or --seed.\n"
                     "--kill: criteria, comma-separated (default prediction): prediction, killed-classes[:true-label|\n"
                     "  :mutant-label], statistical[:alpha=A], distance[:max=T|:kl=T]. Score table: equiv, invalid,\n"
                     "  n/a (criterion not applicable) and lost (device failed before the mutant was judged) do not count.\n"
                     "--batch: inputs per batch (default 1000); a checkpoint is written after each batch and --resume\n"
                     "  continues from it, given the same options (--batch included); it verifies the checkpoint and\n"
                     "  outputs-DEVICE.f32 first and refuses, changing nothing, when either does not match.\n"
                     "--max-memory SIZE (every command): also what one batch's activations may take (e.g. 512M, 4G;\n"
                     "  default here 1G, at most a quarter of the machine's memory); the batch is lowered to fit,\n"
                     "  and the summary says so.\n"
                     "  Results are the same bits whatever the batch.\n"
                     "--no-incremental re-executes every node for every mutant (for comparison).\n"
                     "--instances N: run each stochastic mutant (GF, WS: operators with a seed) as N seeded instances;\n"
                     "  `statistical` then applies DeepCrime's rule (Wilcoxon p < alpha, Cohen's d >= 0.5) to their\n"
                     "  accuracies against the original's (N >= 6 to be able to kill; default 1: Fisher's test).\n"
                     "  Unlike DeepCrime, which compares retrained instances of both models, the instances here are\n"
                     "  seeded mutants of one fixed original, compared with that original's accuracy.\n"
                     "--cluster: DeepMAACC's acceleration (docs/mutation.md, acceleration). neurons:s=N merges each layer's per-unit mutants\n"
                     "  into one mutant per cluster of ceil(units / N) Ward clusters of its neurons; mutants:threshold=T\n"
                     "  runs one representative per average-linkage cluster of mutants (distances in [0, 1]; features\n"
                     "  weights = the mutated neurons' scaled weights, behaviour = softmax outputs on P probe inputs,\n"
                     "  default 100) and counts its verdict once per member. Writes DIR/acceleration.json too.\n"
                     "--profiles: per mutant, how far its effect travels before it is masked: on the first N inputs\n"
                     "  (--profile-inputs, default 8), every float32 node output downstream of the mutated node is\n"
                     "  compared with the original's (it differs beyond A + R |original|; default 0, 0: any change),\n"
                     "  with its relative error ||mutant - original|| / ||original||. Writes DIR/profiles.csv, a\n"
                     "  \"profiles\" section in report.json and report.html (per operator; structurally weak mutants:\n"
                     "  masked before the output on every profiled input). Computed by the cpu device, which must be\n"
                     "  one of the devices; graph mutants are not profiled. Costs a pass over each recomputed node\n"
                     "  output of the profiled batches; not with --shard, --mpi or --sample.\n"
                     "--shard K/N: run part K of N of the mutant list (dealt by estimated cost, the same split on every\n"
                     "  machine) into DIR, checkpointed as a whole campaign is; DIR/shard.bin holds its results, and\n"
                     "  `mutiny merge DIR1 ... DIRN --out DIR` writes the whole campaign's report.\n"
                     "--mpi: run under mpirun (`mpirun -np R mutiny campaign ... --mpi`): every rank loads the model and\n"
                     "  data, rank 0 hands out chunks of mutants and writes the report; --resume after a rank died\n"
                     "  continues from the chunks done and each chunk's checkpoint (builds with MUTINY_WITH_MPI only).\n"
                     "  --chunks N deals the mutants into N chunks (default: one per rank, plus up to one more per rank\n"
                     "  while the extra chunks' fixed cost, a rerun of the original each, stays within 2.5% of the\n"
                     "  estimated work; a resumed run keeps the count it started with). With --sample, each round of the\n"
                     "  sample runs over the ranks this way.\n"
                     "--sample N[:SEED][,strata=operator|layer|operator*layer]: run a stratified random sample of N mutants\n"
                     "  (default seed 0, strata operator) and estimate the whole list's scores with 95% intervals\n"
                     "  (DIR/estimate.json; the report covers the sampled mutants). --until ci=H doubles the sample until\n"
                     "  every interval's half-width is at most H (starting from N, or 1% of the list).\n";
        return 0;
    }
    if (a.positionals().size() != 1) throw UsageError("campaign needs exactly one MODEL");
    if (!a.has("data")) throw UsageError("campaign needs --data SPEC");
    if (!a.has("out")) throw UsageError("campaign needs --out DIR");
    if (a.get("out") == "-") throw UsageError("--out -: campaign writes a folder of files, not to stdout; name a folder");
    if (a.has("mutants")) {
        for (const char* o : {"ops", "preset", "position", "seed"})
            if (a.has(o)) throw UsageError(std::string("--mutants FILE names the mutants; it cannot be combined with --") + o);
    } else if (!a.has("ops") && !a.has("preset")) {
        throw UsageError("campaign needs --ops LIST, --preset NAME or --mutants FILE");
    }
    const int64_t batch = batch_option(a, 1000);
    const bool sample = a.has("sample") || a.has("until");
    const bool split = a.has("shard") || a.has("mpi") || sample;
    if (a.has("shard") && (a.has("mpi") || sample))
        throw UsageError(std::string("--shard cannot be combined with --") + (a.has("mpi") ? "mpi" : "sample") +
                         " (a shard is one process's part; --mpi runs the whole campaign or its sample over the ranks)");
    if (split && a.has("cluster"))
        throw UsageError(std::string("--cluster cannot be combined with --") + (a.has("mpi") ? "mpi" : sample ? "sample" : "shard"));
    for (const char* o : {"profile-inputs", "profile-atol", "profile-rtol"})
        if (a.has(o) && !a.has("profiles")) throw UsageError(std::string("--") + o + " sets how --profiles profiles: give --profiles too");
    if (a.has("profiles") && split)
        throw UsageError(std::string("--profiles cannot be combined with --") + (a.has("mpi") ? "mpi" : sample ? "sample" : "shard") +
                         " (a split campaign's parts do not carry profiles)");
    const SampleOption sampling = sample_option(a);
    const mutiny::ShardSpec shard = a.has("shard") ? shard_option(a) : mutiny::ShardSpec{};
    if (a.has("chunks") && !a.has("mpi")) throw UsageError("--chunks N sets how an --mpi campaign is dealt out: give --mpi too");
    const int64_t chunks = a.has("chunks") ? parse_int(a.get("chunks"), "--chunks", 1, INT32_MAX) : 0;
    const std::string path = a.positionals()[0];
    mutiny::EnumerateOptions eo;
    if (a.has("ops")) eo.ops.push_back(a.get("ops"));
    if (a.has("preset")) eo.ops.push_back(a.get("preset"));
    eo.position = a.get("position", "all");
    eo.seed = seed_option(a);
    // The operator list or the mutant list is checked (syntax, names, parameters) before the model loads.
    mutiny::MutantList list;
    if (a.has("mutants")) list = mutiny::read_mutant_list(a.get("mutants"));
    else mutiny::resolve_operator_lists(eo.ops);
    Feeding f = prepare_feeding(path, a);
    const std::string hash = model_file_hash(path);

    std::vector<mutiny::Mutant> mutants = a.has("mutants") ? mutiny::mutants_from_list(f.model.graph, list, hash, a.get("mutants"))
                                                           : mutiny::enumerate_mutants(f.model.graph, eo);
    const mutiny::cluster::ClusterPlan plan =
        a.has("cluster") ? mutiny::cluster::ClusterPlan::parse(a.get("cluster")) : mutiny::cluster::ClusterPlan{};

    mutiny::CampaignOptions opt;
    opt.devices = split_list(a.get("device", "cpu"));
    opt.criteria = mutiny::parse_criteria(a.get("kill", "prediction"));
    opt.threads = threads_option(a);
    opt.batch = batch;
    opt.max_memory = global_max_memory();
    opt.instances = static_cast<int>(a.get_int("instances", 1, 1, INT32_MAX));
    opt.incremental = !a.has("no-incremental");
    if (a.has("profiles")) {
        opt.profile.inputs = a.get_int("profile-inputs", 8, 1, INT32_MAX);
        opt.profile.atol = a.get_number("profile-atol", 0, 0, DBL_MAX);
        opt.profile.rtol = a.get_number("profile-rtol", 0, 0, DBL_MAX);
        if (std::find(opt.devices.begin(), opt.devices.end(), "cpu") == opt.devices.end())
            throw UsageError("--profiles needs the cpu device (it computes them from the original's activations): add cpu to --device");
    }
    if (a.has("outputs") && a.has("no-outputs")) throw UsageError("--outputs and --no-outputs contradict each other");
    opt.out_dir = a.get("out");
    opt.resume = a.has("resume");
    opt.make_device = make_campaign_device;
    if (!a.has("quiet")) print_statistical_note(std::cerr, opt);
    Progress progress(a.has("quiet"));
    opt.progress = [&](int64_t done, int64_t total) { progress(done, total); };

    auto ds = mutiny::open_dataset(a.get("data"));
    check_recipe_applies(a, *ds);
    const mutiny::cluster::Acceleration accel = mutiny::cluster::accelerate(f.model.graph, mutants, plan, ds.get(), &f.recipe, opt.threads);
    if (plan.mode != mutiny::cluster::ClusterPlan::Mode::none) {
        mutants = accel.mutants;
        if (!a.has("quiet"))
            std::cerr << "clustering " << plan.str() << ": " << accel.clusters << " of " << accel.input_mutants << " counted mutants run ("
                      << std::fixed << std::setprecision(3) << accel.seconds << " s)\n";
    }
    const OutputsChoice outputs = choose_outputs(a, mutants.size(), ds->size(), f.model.graph, opt.devices.size());
    opt.keep_outputs = outputs.keep;
    // The command as a shell reads it (manifest.json; `mutiny replay` splits it again).
    std::string command = "mutiny";
    for (int i = 1; i < argc; ++i) command += " " + shell_quote(argv[i]);
    if (split) {
        const SplitCampaign s{f, *ds, a.get("data"), path, hash, opt, a.has("quiet")};
        if (sample) return run_campaign_sample(s, mutants, sampling, command, a.has("mpi"), chunks);
        return a.has("mpi") ? run_campaign_mpi(s, mutants, command, chunks) : run_campaign_shard(s, mutants, shard);
    }
    mutiny::Campaign campaign(f.model.graph, mutants, *ds, f.recipe, a.get("data"), opt, path, hash);
    if (!a.has("quiet"))
        std::cerr << "campaign: " << mutants.size() << " mutants x " << ds->size() << " inputs on " << a.get("device", "cpu") << " -> " << opt.out_dir
                  << (opt.resume ? " (resuming)" : "") << "\n";
    const mutiny::CampaignResult r = campaign.run();
    const bool accelerated = plan.mode != mutiny::cluster::ClusterPlan::Mode::none;
    mutiny::write_campaign_report(opt.out_dir, r, opt, command,
                                  accelerated ? std::vector<std::string>{mutiny::acceleration_html(accel, r)} : std::vector<std::string>{});
    if (accelerated) mutiny::write_durable(opt.out_dir + "/acceleration.json", mutiny::acceleration_json(accel, r));
    if (accelerated)
        std::cout << "representatives that ran (" << accel.clusters << " of " << accel.input_mutants
                  << " counted mutants; not the campaign's score, see the estimate below):\n";
    print_scores(std::cout, r);
    print_views(std::cout, r);
    if (accelerated) print_estimates(std::cout, r, accel);
    print_batch_choice(std::cout, r);
    std::cout << "outputs: " << outputs.summary << "\n";
    std::cout << "report: " << opt.out_dir << "/report.html (" << std::fixed << std::setprecision(2) << r.seconds << " s"
              << (r.resumed_at_batch >= 0 ? ", resumed at batch " + std::to_string(r.resumed_at_batch) : std::string()) << ")\n";
    // A report in which no device ran is not a result: say so with the exit code too.
    if (!r.device_errors.empty() && std::all_of(r.device_errors.begin(), r.device_errors.end(), [](const std::string& e) { return !e.empty(); }))
        throw mutiny::Error("every device failed", "campaign " + path, r.device_errors.empty() ? "no device ran" : r.device_errors[0]);
    return 0;
}

}  // namespace cli
