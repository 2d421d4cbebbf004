// A mutation campaign (docs/architecture.md; what it writes: docs/formats.md): a model, its
// mutants, a labelled data set, one or more devices and the kill criteria. The data set is streamed
// once, batch by batch; for each batch every device runs the original (keeping its activations)
// and then every mutant, and each mutant's outputs are folded into its KillAccumulator per device
// and its discrepancy against the first device. Batches outside, mutants inside: only one batch's
// activations are ever held, however large the data set, and a mutant that touches layer n
// re-executes only what depends on n (CpuExecutor::run_from), from weights it patched in place and
// restores bitwise.
//
// Crash safety: after each batch the outputs of that batch are written to DIR/outputs-<device>.f32
// and the whole state to DIR/checkpoint.bin (durably, by rename); --resume continues after the
// last checkpointed batch and ends with the same results as an uninterrupted run. Verdicts never
// depend on thread count or timing: every kernel is deterministic and the state is per input.
//
// Parts: campaign_device.hpp (CampaignDevice, the CPU device), campaign_options.hpp (options and
// results), campaign_files.hpp (checkpoint serialisation, output files); this file is the runner.
#ifndef MUTINY_ANALYSIS_CAMPAIGN_HPP_
#define MUTINY_ANALYSIS_CAMPAIGN_HPP_

#include <algorithm>
#include <cctype>
#include <cmath>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <tbb/task_arena.h>

#include "../exec/cpu/executor.hpp"
#include "../io/dataset.hpp"
#include "../io/native.hpp"
#include "../io/preprocess.hpp"
#include "../mutate/all.hpp"
#include "../version.hpp"
#include "campaign_device.hpp"
#include "campaign_files.hpp"
#include "campaign_options.hpp"
#include "checkpoint.hpp"
#include "discrepancy.hpp"
#include "kill.hpp"
#include "profile.hpp"
#include "tensor_diff.hpp"

namespace mutiny {

// Two identities (texts of "what value" lines) compared: the first line that differs, as "it has
// 'batch 240' where this campaign has 'batch 1000'" (checkpoints here, shards in merge.hpp).
inline std::string identity_difference(const std::string& theirs, const std::string& ours) {
    size_t a = 0, b = 0;
    while (a < theirs.size() || b < ours.size()) {
        const size_t ea = std::min(theirs.find('\n', std::min(a, theirs.size())), theirs.size());
        const size_t eb = std::min(ours.find('\n', std::min(b, ours.size())), ours.size());
        const std::string la = a < ea ? theirs.substr(a, ea - a) : "", lb = b < eb ? ours.substr(b, eb - b) : "";
        if (la != lb) {
            auto show = [](const std::string& l) { return l.empty() ? std::string("nothing") : "'" + (l.size() > 120 ? l.substr(0, 120) + "..." : l) + "'"; };
            return "it has " + show(la) + " where this campaign has " + show(lb);
        }
        a = ea + 1;
        b = eb + 1;
    }
    return "the identities differ";
}

class Campaign {
public:
    // `model` names the model in reports, `model_hash` identifies its bytes (for resume checks).
    Campaign(Graph graph, std::vector<Mutant> mutants, const Dataset& data, Recipe recipe, std::string data_spec,
             CampaignOptions opt, std::string model, std::string model_hash)
        : graph_(std::move(graph)), mutants_(std::move(mutants)), data_(data), recipe_(std::move(recipe)), opt_(std::move(opt)) {
        r_.model = std::move(model);
        r_.model_hash = std::move(model_hash);
        r_.data = std::move(data_spec);
        // Tensor data are fed as stored: no recipe applies.
        r_.recipe = data_.holds_tensors() ? "none" : recipe_.to_string();
        r_.criteria = opt_.criteria;
        r_.devices = opt_.devices;
        if (opt_.batch < 1) throw Error("bad batch size", "campaign", std::to_string(opt_.batch) + " (must be >= 1)");
        if (opt_.max_memory < 0) throw Error("bad memory budget", "campaign", std::to_string(opt_.max_memory) + " bytes (must be >= 1, or 0 for the default)");
        if (opt_.devices.empty()) throw Error("no device", "campaign", "name at least one, e.g. cpu");
        if (opt_.instances < 1) throw Error("bad instance count", "campaign", std::to_string(opt_.instances) + " (must be >= 1)");
        if (graph_.outputs.size() != 1)
            throw Error("campaigns need a classifier with one output", "model " + r_.model, std::to_string(graph_.outputs.size()) + " outputs");
        r_.inputs = static_cast<int64_t>(data_.size());
        if (r_.inputs == 0) throw Error("empty data set", r_.data, "no samples to run");
        if (!data_.labelled()) throw Error("data set has no labels", r_.data, "kill criteria compare predictions with labels");
        // A batch is one tensor per model input; a data set that cannot feed them fails here, before
        // anything is written (a batch of no samples runs every check).
        slots_ = input_slots(graph_);
        make_inputs(data_, 0, 0, recipe_, slots_);
        // An output computed after data-dependent nodes (NonZero, Unique...) has its shape known per
        // run only: the run on one input that chooses the batch gives it, and every batch's outputs
        // are checked against it (check_output; a mutant giving another shape is crashed).
        const bool per_run = graph_.value(graph_.outputs[0]).data_dependent;
        const Shape& out = graph_.value(graph_.outputs[0]).shape;
        if (!per_run && (out.rank() != 2 || out[1] <= 0))
            throw Error("model output is not [batch, classes]", "model " + r_.model, "output shape " + out.str());
        r_.classes = per_run ? 0 : out[1];
        r_.profile = opt_.profile;
        if (opt_.profile.inputs < 0) throw Error("bad profile input count", "campaign", std::to_string(opt_.profile.inputs) + " (must be >= 0)");
        if (opt_.profile.inputs > 0 && std::find(opt_.devices.begin(), opt_.devices.end(), "cpu") == opt_.devices.end())
            throw Error("profiles need the cpu device", "campaign", "the CPU device computes them from the original's activations; add cpu to the devices");
        check_tolerance(DiffTolerance{opt_.profile.atol, opt_.profile.rtol, DiffStat::max}, "profile tolerance");
        choose_batch();
        if (per_run) {
            if (probe_out_.rank() != 2 || probe_out_[0] != probe_ || probe_out_[1] <= 0)
                throw Error("model output is not [batch, classes]", "model " + r_.model,
                            "its shape depends on run-time values, and a run on " + std::to_string(probe_) + " input(s) gave " + probe_out_.str());
            r_.classes = probe_out_[1];
        }
        r_.data_hash = opt_.data_hash.empty() ? data_hash() : opt_.data_hash;
        r_.identity = identity();
    }

    // "fnv1a64:<hex>" of what the model is fed: every sample's input tensors (dtype, shape, bytes)
    // and its label, in order, one sample at a time, so it changes when the data or the recipe do
    // and not with the batch. It costs one more pass over the data set (decoding included).
    std::string data_hash() const {
        uint64_t h = kFnv1aBasis;
        for (size_t i = 0; i < data_.size(); ++i) {
            for (const Tensor& t : make_inputs(data_, i, 1, recipe_, slots_)) {
                h = fnv1a(std::string(dtype_name(t.dtype())) + t.shape().str(), h);
                h = fnv1a(t.raw(), t.nbytes(), h);
            }
            const int64_t label = data_.label(i);
            h = fnv1a(&label, sizeof label, h);
        }
        char b[40];
        std::snprintf(b, sizeof b, "fnv1a64:%016llx", static_cast<unsigned long long>(h));
        return b;
    }

    // The batch: CampaignOptions::batch, lowered until its activations fit the memory budget, or
    // the batch size the model's inputs fix. The estimate runs the original on one input (or one
    // fixed-size batch) and counts every value it keeps (the trace mutants restart from) once, and
    // once more per mutant the CPU runs at once (one per thread; each recomputes at most as much
    // again); inputs are counted too.
    void choose_batch() {
        r_.batch_requested = opt_.batch;
        r_.memory_budget = opt_.max_memory > 0 ? opt_.max_memory : default_campaign_memory();
        // A model whose inputs fix the batch dimension (many exporters write 1) takes batches of
        // that size only; the estimate then runs one such batch.
        int64_t fixed = 0;
        for (int in : graph_.inputs) {
            const Shape& sh = graph_.value(in).shape;
            if (sh.rank() > 0 && sh[0] > 0) fixed = fixed > 0 ? std::min(fixed, sh[0]) : sh[0];
        }
        const int64_t probe = std::min<int64_t>(fixed > 0 ? fixed : 1, r_.inputs);
        const std::vector<Tensor> x = make_inputs(data_, 0, static_cast<size_t>(probe), recipe_, slots_);
        CpuExecutor ex(graph_, CpuOptions{opt_.threads, {}, {}});
        const Trace trace = ex.run_trace(x);
        probe_ = probe;
        probe_out_ = trace.at(static_cast<size_t>(graph_.outputs[0])).shape();
        int64_t bytes = 0;
        for (size_t v = 0; v < trace.size(); ++v)
            if (!graph_.values[v].is_constant()) bytes += static_cast<int64_t>(trace[v].nbytes());
        const bool cpu = std::find(opt_.devices.begin(), opt_.devices.end(), "cpu") != opt_.devices.end();
        const int64_t at_once = cpu ? ex.threads() : 1;
        r_.bytes_per_input = std::max<int64_t>(1, (1 + at_once) * bytes / probe);
        const int64_t fits = std::max<int64_t>(1, r_.memory_budget / r_.bytes_per_input);
        opt_.batch = std::min(opt_.batch, fits);
        if (fixed > 0) opt_.batch = fixed;  // the only size the model takes, whatever the budget
        r_.batch = opt_.batch;
        r_.batch_fixed_by_model = fixed > 0;
    }

    // A stable text naming everything that determines the results and the files; a checkpoint is
    // only resumed by a campaign with the same identity. The batch size is part of it because a
    // checkpoint counts batches; whether outputs are kept, because a resumed run that keeps them
    // needs the earlier batches' outputs on disk.
    std::string identity() const {
        std::string s = "mutiny-campaign v2\nversion " + r_.version + "\nmodel " + r_.model_hash + "\ndata " + r_.data + " " +
                        std::to_string(r_.inputs) + "\nrecipe " + r_.recipe + "\nbatch " + std::to_string(opt_.batch) + "\noutputs " +
                        (opt_.keep_outputs && !opt_.out_dir.empty() ? "kept" : "none") + "\n";
        for (const auto& d : opt_.devices) s += "device " + d + "\n";
        for (const auto& c : opt_.criteria) s += "criterion " + c.name() + "\n";
        if (opt_.instances > 1) s += "instances " + std::to_string(opt_.instances) + "\n";
        if (opt_.profile.inputs > 0)
            s += "profiles " + std::to_string(opt_.profile.inputs) + " atol " + exact(opt_.profile.atol) + " rtol " + exact(opt_.profile.rtol) + "\n";
        for (const auto& m : mutants_) s += "mutant " + m.spec.str() + "\n";
        return s;
    }

    CampaignResult run() {
        const auto t0 = std::chrono::steady_clock::now();
        const size_t M = mutants_.size(), D = opt_.devices.size();
        const int64_t N = r_.inputs, C = r_.classes, B = opt_.batch;
        const int64_t nbatches = (N + B - 1) / B;
        // Mutations: built once (a neuron mutant is a list of weight edits, a few KB).
        std::vector<Mutation> mutations(M);
        for (size_t i = 0; i < M; ++i) {
            if (mutants_[i].status != MutantStatus::ok) continue;
            try {
                Outcome o = evaluate_mutant(graph_, mutants_[i].spec);
                if (o.status != MutantStatus::ok) {
                    mutants_[i].status = o.status;
                    mutants_[i].reason = o.reason;
                } else {
                    mutations[i] = std::move(o.mutation);
                }
            } catch (const std::exception& e) {
                mutants_[i].status = MutantStatus::invalid;
                mutants_[i].reason = e.what();
            }
        }
        // Instances 1..n-1 of the stochastic mutants (DeepCrime): extra runs whose accuracy alone is
        // kept. A device sees each as index M + j, so it can tell them apart from the mutants.
        struct Instance {
            size_t mutant;
            size_t k;
            Mutation mutation;
            MutantStatus status;
            std::string reason;
        };
        std::vector<Instance> extra;
        std::vector<std::vector<size_t>> extra_of(M);
        for (size_t i = 0; i < M && opt_.instances > 1; ++i) {
            if (mutants_[i].status != MutantStatus::ok || !is_stochastic(mutants_[i].spec)) continue;
            for (int k = 1; k < opt_.instances; ++k) {
                MutantSpec spec = mutants_[i].spec;
                spec.seed = instance_seed(spec.seed, k);
                Instance in{i, static_cast<size_t>(k), Mutation{}, MutantStatus::ok, ""};
                try {
                    Outcome o = evaluate_mutant(graph_, spec);
                    in.status = o.status;
                    in.reason = o.reason;
                    in.mutation = std::move(o.mutation);
                } catch (const std::exception& e) {
                    in.status = MutantStatus::invalid;
                    in.reason = e.what();
                }
                extra_of[i].push_back(extra.size());
                extra.push_back(std::move(in));
            }
        }
        // State.
        r_.mutants.assign(M, MutantResult{});
        std::vector<std::vector<KillAccumulator>> acc(D);
        std::vector<KillAccumulator> orig;
        for (size_t d = 0; d < D; ++d) {
            orig.emplace_back(N, C, opt_.criteria);
            for (size_t i = 0; i < M; ++i) {
                acc[d].emplace_back(N, C, opt_.criteria);
                if (!extra_of[i].empty()) acc[d][i].set_instances(extra_of[i].size() + 1);
            }
        }
        for (size_t i = 0; i < M; ++i) {
            r_.mutants[i].mutant = mutants_[i];
            r_.mutants[i].runs.assign(D, DeviceRun{});
            r_.mutants[i].vs_first.assign(D > 0 ? D - 1 : 0, Discrepancy{});
        }
        r_.profiles.assign(opt_.profile.inputs > 0 ? M : 0, MutantProfile{});
        r_.original_vs_first.assign(D > 0 ? D - 1 : 0, Discrepancy{});
        r_.original_seconds.assign(D, 0.0);
        r_.device_errors.assign(D, "");
        int64_t start = 0;
        const std::string ckpt = opt_.out_dir.empty() ? "" : opt_.out_dir + "/checkpoint.bin";
        if (!opt_.out_dir.empty()) prepare_out_dir();
        const bool keep_outputs = !opt_.out_dir.empty() && opt_.keep_outputs;
        std::vector<uint64_t> output_sums(keep_outputs ? D : 0, kFnv1aBasis);  // per device, over the batches done
        if (opt_.resume && !ckpt.empty() && std::filesystem::exists(ckpt)) {
            start = load_checkpoint(ckpt, nbatches, acc, orig, output_sums);
            r_.resumed_at_batch = start;
        }
        // Devices.
        std::vector<std::unique_ptr<CampaignDevice>> devs;
        for (const auto& name : opt_.devices) {
            if (name == "cpu") devs.push_back(std::make_unique<CpuCampaignDevice>(graph_, opt_.threads, opt_.incremental));
            else if (opt_.make_device) devs.push_back(opt_.make_device(name, graph_, opt_));
            else throw Error("unknown device '" + name + "'", "campaign", "this build knows: cpu");
        }
        r_.device_identities.clear();
        for (const auto& dev : devs) r_.device_identities.push_back(dev->identity());
        // A resumed run verifies each outputs file against the checkpoint before anything is written.
        std::vector<std::unique_ptr<campaign_detail::OutputFile>> files;
        for (size_t d = 0; d < output_sums.size(); ++d)
            files.push_back(std::make_unique<campaign_detail::OutputFile>(opt_.out_dir + "/outputs-" + campaign_detail::device_file_name(opt_.devices[d]) + ".f32",
                                                                          static_cast<int64_t>(M) + 1, N, C, B, start, output_sums[d]));

        // Kill bookkeeping runs in parallel row chunks, with the campaign's thread count.
        tbb::task_arena kill_arena(opt_.threads > 0 ? opt_.threads : tbb::task_arena::automatic);
        const int64_t steps = nbatches * static_cast<int64_t>(M + 1);
        for (int64_t b = start; b < nbatches; ++b) {
            const int64_t first = b * B, n = std::min(B, N - first);
            const std::vector<Tensor> x = make_inputs(data_, static_cast<size_t>(first), static_cast<size_t>(n), recipe_, slots_);
            const std::vector<int> lab = batch_labels(data_, static_cast<size_t>(first), static_cast<size_t>(n));
            std::vector<int64_t> labels(lab.begin(), lab.end());
            // As eval: every label a class of the model (a negative one, e.g. from an IDX file of
            // 32-bit labels, would otherwise count as "unlabelled" and change the scores silently).
            for (int64_t k = 0; k < n; ++k)
                if (labels[static_cast<size_t>(k)] < 0 || labels[static_cast<size_t>(k)] >= C)
                    throw Error("label " + std::to_string(labels[static_cast<size_t>(k)]) + " outside the model's classes", r_.data + " sample " + std::to_string(first + k),
                                "the model has " + std::to_string(C) + " outputs (classes 0.." + std::to_string(C - 1) + ")");
            std::vector<Tensor> base(D);
            std::vector<KillAccumulator::Reference> refs(D);
            for (size_t d = 0; d < D; ++d) {
                if (!r_.device_errors[d].empty()) continue;
                const auto s0 = std::chrono::steady_clock::now();
                try {
                    base[d] = devs[d]->begin_batch(x)[0];
                    check_output(base[d], n, opt_.devices[d]);
                } catch (const std::exception& e) {
                    // The device failed on the original: it is out of the campaign, other devices go on.
                    r_.device_errors[d] = e.what();
                    base[d] = Tensor();
                    continue;
                }
                r_.original_seconds[d] += seconds_since(s0);
                kill_arena.execute([&] {
                    refs[d] = KillAccumulator::reference(base[d].data<float>(), n, C);
                    orig[d].add(base[d].data<float>(), base[d].data<float>(), labels.data(), n, first, &refs[d]);
                });
                if (!files.empty()) files[d]->write(0, first, base[d]);
                if (d > 0 && !base[0].empty()) r_.original_vs_first[d - 1].add(base[0].data<float>(), base[d].data<float>(), n, C);
            }
            report_progress(b * static_cast<int64_t>(M + 1) + 1, steps);
            // Profiles: the CPU device's runs of this batch's inputs below profile.inputs.
            const size_t prof_dev = r_.profiles.empty() ? D : static_cast<size_t>(std::find(opt_.devices.begin(), opt_.devices.end(), "cpu") - opt_.devices.begin());
            if (prof_dev < D) devs[prof_dev]->profile_batch(std::max<int64_t>(0, std::min(n, opt_.profile.inputs - first)), opt_.profile);
            // Mutants in groups: each device runs a group at once where it can (the CPU: one per
            // thread; an asynchronous device: several in flight); results are then taken in
            // mutant order, as one at a time would give them.
            size_t width = 1;
            for (const auto& dev : devs) width = std::max({width, dev->parallel_mutants(), dev->in_flight() + 1});
            const size_t group = width > 1 ? 16 * width : 1;
            for (size_t g0 = 0; g0 < M; g0 += group) {
                const size_t g1 = std::min(M, g0 + group);
                std::vector<size_t> ids;
                std::vector<const Mutation*> muts;
                for (size_t i = g0; i < g1; ++i)
                    if (mutants_[i].status == MutantStatus::ok) {
                        ids.push_back(i);
                        muts.push_back(&mutations[i]);
                    }
                std::vector<std::vector<MutantRun>> runs(D);
                for (size_t d = 0; d < D; ++d)
                    if (!base[d].empty() && !ids.empty()) runs[d] = devs[d]->run_mutants(ids, muts);
                size_t k = 0;
                for (size_t i = g0; i < g1; ++i) {
                    if (mutants_[i].status == MutantStatus::ok) {
                        std::vector<Tensor> outs(D);
                        for (size_t d = 0; d < D; ++d) {
                            if (base[d].empty() || runs[d].empty()) continue;
                            MutantRun& run = runs[d][k];
                            const auto s0 = std::chrono::steady_clock::now();
                            try {
                                if (run.error) std::rethrow_exception(run.error);
                                outs[d] = run.outputs.at(0);
                                check_output(outs[d], n, opt_.devices[d]);
                                kill_arena.execute([&] { acc[d][i].add(base[d].data<float>(), outs[d].data<float>(), labels.data(), n, first, &refs[d]); });
                                if (!files.empty()) files[d]->write(static_cast<int64_t>(i) + 1, first, outs[d]);
                                if (d == prof_dev) add_profile(r_.profiles[i], run.profile);
                                for (size_t j : extra_of[i]) run_instance(*devs[d], M + j, extra[j].k, extra[j].mutation, extra[j].status,
                                                                          extra[j].reason, base[d], acc[d][i], labels, n, opt_.devices[d]);
                            } catch (const std::exception& e) {
                                outs[d] = Tensor();
                                // The mutant's fault, or the device's? A device that still runs the
                                // original as before is fine (the mutant crashed); one that does not is
                                // lost: its mutants from here on are marked device_lost, the other
                                // devices go on.
                                if (device_alive(*devs[d], x, base[d])) {
                                    acc[d][i].crash(e.what());
                                } else {
                                    r_.device_errors[d] = "device lost while running mutant " + mutants_[i].spec.id + " on batch " + std::to_string(b) +
                                                          " (its unfinished mutants are marked device_lost; other devices' results are kept): " + e.what();
                                    base[d] = Tensor();
                                }
                            }
                            r_.mutants[i].runs[d].seconds += run.seconds + seconds_since(s0);
                            run.outputs.clear();
                        }
                        for (size_t d = 1; d < D; ++d)
                            if (!outs[0].empty() && !outs[d].empty())
                                r_.mutants[i].vs_first[d - 1].add(outs[0].data<float>(), outs[d].data<float>(), n, C);
                        ++k;
                    }
                    report_progress(b * static_cast<int64_t>(M + 1) + static_cast<int64_t>(i) + 2, steps);
                }
            }
            for (auto& dev : devs) dev->end_batch();
            if (!ckpt.empty()) {
                for (size_t d = 0; d < files.size(); ++d) {
                    files[d]->finish_batch(b);
                    output_sums[d] = files[d]->checksum();
                }
                save_checkpoint(ckpt, b + 1, acc, orig, output_sums);
            }
        }
        for (size_t d = 0; d < D; ++d) {
            r_.original_correct.push_back(orig[d].summary().original_correct);
            for (size_t i = 0; i < M; ++i) {
                KillSummary s = acc[d][i].take();
                if (!r_.device_errors[d].empty() && mutants_[i].status == MutantStatus::ok && s.inputs < N && !s.crashed) {
                    s.device_lost = true;
                    s.identical = false;
                    s.crash_reason = "device failed: " + r_.device_errors[d];
                }
                r_.mutants[i].runs[d].summary = std::move(s);
            }
        }
        for (auto& p : r_.profiles) label_profile(p, graph_);
        r_.seconds = seconds_since(t0);
        return r_;
    }

private:
    static std::string exact(double v) {
        char b[40];
        std::snprintf(b, sizeof b, "%.17g", v);
        return b;
    }
    static double seconds_since(std::chrono::steady_clock::time_point t) {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    }
    void report_progress(int64_t done, int64_t total) const {
        if (opt_.progress) opt_.progress(done, total);
    }
    void check_output(const Tensor& t, int64_t n, const std::string& dev) const {
        if (t.dtype() != DType::f32 || t.shape().rank() != 2 || t.shape()[0] != n || t.shape()[1] != r_.classes)
            throw Error("unexpected output", "device " + dev, "got " + std::string(dtype_name(t.dtype())) + " " + t.shape().str() + ", expected f32 [" +
                                                                std::to_string(n) + "," + std::to_string(r_.classes) + "]");
    }

    // Instance k of a stochastic mutant on the current batch: only its correct count is kept. An
    // instance that comes out equivalent is the original (its accuracy is the original's); one that
    // cannot be built or run makes the mutant crashed, with the instance named.
    void run_instance(CampaignDevice& dev, size_t index, size_t k, const Mutation& m, MutantStatus status, const std::string& reason,
                      const Tensor& base, KillAccumulator& acc, const std::vector<int64_t>& labels, int64_t n, const std::string& dev_name) const {
        const std::string who = "instance " + std::to_string(k) + " of " + std::to_string(opt_.instances);
        if (status == MutantStatus::equivalent) {
            acc.add_instance(k, base.data<float>(), labels.data(), n);
            return;
        }
        if (status != MutantStatus::ok) throw Error(who + " is " + mutant_status_name(status), "campaign", reason);
        Tensor out;
        try {
            out = dev.run_mutant(index, m)[0];
            check_output(out, n, dev_name);
        } catch (const std::exception& e) {
            throw Error(who + " failed", "device " + dev_name, e.what());
        }
        acc.add_instance(k, out.data<float>(), labels.data(), n);
    }

    // Whether a device that just threw still runs the original on the current batch (bitwise as it
    // did at the batch's start).
    static bool device_alive(CampaignDevice& dev, const std::vector<Tensor>& x, const Tensor& base) {
        try {
            const std::vector<Tensor> again = dev.begin_batch(x);
            return !again.empty() && again[0].nbytes() == base.nbytes() && std::memcmp(again[0].raw(), base.raw(), base.nbytes()) == 0;
        } catch (const std::exception&) {
            return false;
        }
    }

    void prepare_out_dir() const {
        std::error_code ec;
        std::filesystem::create_directories(opt_.out_dir, ec);
        if (ec || !std::filesystem::is_directory(opt_.out_dir))
            throw Error("cannot create the output folder", opt_.out_dir, ec ? ec.message() : "exists and is not a folder");
        // Probe writability now rather than after the first batch's work.
        write_durable(opt_.out_dir + "/.write-test", std::string("ok\n"));
        std::filesystem::remove(opt_.out_dir + "/.write-test", ec);
    }

    // checkpoint.bin (docs/formats.md): sealed with a checksum, so a changed byte is refused on resume.
    void save_checkpoint(const std::string& path, int64_t batches_done, const std::vector<std::vector<KillAccumulator>>& acc,
                         const std::vector<KillAccumulator>& orig, const std::vector<uint64_t>& output_sums) const {
        ByteWriter w;
        w.str(kCheckpointMagic);
        w.str(r_.identity);
        w.i64(batches_done);
        const size_t D = acc.size();
        for (size_t d = 0; d < D; ++d) {
            w.str(r_.device_errors[d]);
            w.f64(r_.original_seconds[d]);
            campaign_detail::save_summary(w, orig[d].summary());
            for (size_t i = 0; i < acc[d].size(); ++i) {
                campaign_detail::save_summary(w, acc[d][i].summary());
                w.f64(r_.mutants[i].runs[d].seconds);
            }
        }
        for (const auto& x : r_.original_vs_first) campaign_detail::save_disc(w, x);
        for (const auto& m : r_.mutants)
            for (const auto& x : m.vs_first) campaign_detail::save_disc(w, x);
        w.vec(output_sums);
        for (const auto& p : r_.profiles) campaign_detail::save_profile(w, p);
        write_durable(path, sealed(w.bytes()));
    }

    // Reads checkpoint.bin into the state and returns the batches done. Nothing in the file is
    // trusted: the checksum first, then the identity, then every count and length against this
    // campaign; any mismatch throws before the state or a file is touched on disk.
    int64_t load_checkpoint(const std::string& path, int64_t nbatches, std::vector<std::vector<KillAccumulator>>& acc,
                            std::vector<KillAccumulator>& orig, std::vector<uint64_t>& output_sums) {
        const std::vector<uint8_t> bytes = unsealed(read_file_bytes(path), path);
        ByteReader r(bytes, path);
        if (r.str() != kCheckpointMagic) throw Error("not a Mutiny checkpoint", path, std::string("bad magic (expected ") + kCheckpointMagic + ")");
        const std::string id = r.str();
        if (id != r_.identity)
            throw Error("checkpoint belongs to another campaign", path,
                        identity_difference(id, r_.identity) + "; use another --out folder, or drop --resume to start over (which overwrites it)");
        const int64_t done = r.i64();
        if (done < 1 || done > nbatches)
            throw Error("corrupt checkpoint", path, std::to_string(done) + " batches done, the campaign has " + std::to_string(nbatches));
        const int64_t processed = std::min(done * opt_.batch, r_.inputs);
        for (size_t d = 0; d < acc.size(); ++d) {
            const std::string where = path + " (device " + opt_.devices[d] + ")";
            r_.device_errors[d] = r.str();
            r_.original_seconds[d] = seconds(r.f64(), path);
            KillSummary o = campaign_detail::load_summary(r);
            // A device that has not failed ran the original on every input so far.
            if (r_.device_errors[d].empty() && o.inputs != processed)
                throw Error("checkpoint does not fit this campaign", where,
                            "the original ran on " + std::to_string(o.inputs) + " inputs, " + std::to_string(done) + " batches hold " + std::to_string(processed));
            orig[d].restore(std::move(o), processed, where);
            for (size_t i = 0; i < acc[d].size(); ++i) {
                acc[d][i].restore(campaign_detail::load_summary(r), processed, where + " mutant " + mutants_[i].spec.id);
                r_.mutants[i].runs[d].seconds = seconds(r.f64(), path);
            }
        }
        for (auto& x : r_.original_vs_first) x = campaign_detail::load_disc(r, processed, r_.classes, path);
        for (auto& m : r_.mutants)
            for (auto& x : m.vs_first) x = campaign_detail::load_disc(r, processed, r_.classes, path);
        const std::vector<uint64_t> sums = r.vec<uint64_t>();
        if (sums.size() != output_sums.size()) throw Error("corrupt checkpoint", path, "its outputs checksums do not match its devices");
        output_sums = sums;
        for (size_t i = 0; i < r_.profiles.size(); ++i)
            r_.profiles[i] = campaign_detail::load_profile(r, graph_, std::min(processed, opt_.profile.inputs), path + " (profile of mutant " + mutants_[i].spec.id + ")");
        if (!r.done()) throw Error("corrupt checkpoint", path, "trailing bytes");
        return done;
    }
    static double seconds(double s, const std::string& path) {
        if (!(s >= 0) || !std::isfinite(s)) throw Error("corrupt checkpoint", path, "a time that is negative or not finite");
        return s;
    }
    static constexpr const char* kCheckpointMagic = "MUTINY-CHECKPOINT-3";  // 3: per-criterion input verdicts

    Graph graph_;
    std::vector<Mutant> mutants_;
    const Dataset& data_;
    Recipe recipe_;
    CampaignOptions opt_;
    std::vector<InputSlot> slots_;
    CampaignResult r_;
    int64_t probe_ = 0;  // inputs of choose_batch()'s run, and its output's shape
    Shape probe_out_;
};

}  // namespace mutiny

#endif  // MUTINY_ANALYSIS_CAMPAIGN_HPP_
