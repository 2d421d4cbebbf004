// The devices a campaign (campaign.hpp) runs on: the CampaignDevice interface and the CPU device,
// which executes mutants incrementally from the original's trace (docs/architecture.md,
// "Incremental execution"). Other backends (OpenCL) implement CampaignDevice where they are linked.
#ifndef MUTINY_ANALYSIS_CAMPAIGN_DEVICE_HPP_
#define MUTINY_ANALYSIS_CAMPAIGN_DEVICE_HPP_

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "../exec/cpu/executor.hpp"
#include "../mutate/all.hpp"
#include "../ops/isa/dispatch.hpp"
#include "profile.hpp"

namespace mutiny {

// One mutant's run on one batch: its outputs, or what it threw, and its time; with profiling on
// (CampaignDevice::profile_batch), its propagation profile over the batch's profiled inputs.
struct MutantRun {
    std::vector<Tensor> outputs;
    std::exception_ptr error;
    double seconds = 0;
    ProfileBatch profile;
};

// One device a campaign runs on. begin_batch() runs the original on a batch; run_mutant() gives a
// mutant's outputs on the same batch. Implementations may keep per-mutant state across batches.
// run_mutants() runs several (the campaign hands them out in groups of parallel_mutants()); a
// device that runs them at once gives each its own outputs, exactly those of run_mutant().
class CampaignDevice {
public:
    virtual ~CampaignDevice() = default;
    virtual std::string name() const = 0;
    // What computes: the CPU's instruction-set level, an OpenCL device's platform, name, version
    // and driver (recorded in manifest.json; results do not depend on it, discrepancies may).
    virtual std::string identity() const { return name(); }
    virtual std::vector<Tensor> begin_batch(const std::vector<Tensor>& inputs) = 0;
    virtual std::vector<Tensor> run_mutant(size_t index, const Mutation& m) = 0;
    // Propagation profiles (profile.hpp): how many leading inputs of the current batch the next
    // run_mutants() calls profile (0: none). Only the CPU device computes them.
    virtual void profile_batch(int64_t /*count*/, const ProfileOptions& /*opt*/) {}
    virtual size_t parallel_mutants() const { return 1; }
    virtual std::vector<MutantRun> run_mutants(const std::vector<size_t>& index, const std::vector<const Mutation*>& m) {
        std::vector<MutantRun> runs(index.size());
        // What starting each mutant ahead took (planning, uploads, an enqueue that works before
        // it returns): part of that mutant's time, not of the one waited for meanwhile. Without
        // it, a mutant submitted ahead showed only its wait (the demo's OpenCL mutants: a median
        // of 0.008x the CPU's time).
        std::vector<double> ahead(index.size(), 0.0);
        for (size_t k = 0; k < index.size(); ++k) {
            // The next mutants start on an asynchronous device before this one is waited for.
            for (size_t j = k + 1; j < index.size() && j <= k + in_flight(); ++j) {
                const auto t0 = std::chrono::steady_clock::now();
                submit(index[j], *m[j]);
                ahead[j] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            }
            runs[k] = timed_run([&] { return run_mutant(index[k], *m[k]); });
            runs[k].seconds += ahead[k];
        }
        return runs;
    }
    virtual void end_batch() {}
    // Asynchronous devices: how many mutants the campaign may submit ahead of the one it waits
    // for, and submit(), which starts a mutant on the current batch without waiting (its
    // run_mutant() then returns the result; an error is kept for it and never thrown here).
    virtual size_t in_flight() const { return 0; }
    virtual void submit(size_t /*index*/, const Mutation& /*m*/) {}

protected:
    // One mutant's run, its wall time, and its error kept rather than thrown (the campaign decides
    // what an error means for the mutant).
    template <class Run>
    static MutantRun timed_run(Run run) {
        MutantRun r;
        const auto t0 = std::chrono::steady_clock::now();
        try {
            r.outputs = run();
        } catch (...) {
            r.error = std::current_exception();
        }
        r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        return r;
    }
};

// The CPU device: incremental execution from the original's trace. Weight mutants re-prepare the
// nodes that read their edited constants from mutated copies (patched_constants; only the changed
// units when the layer allows) and re-run what depends on them; kernel mutants re-prepare their
// nodes with the mutated sites; graph mutants run whole on an executor of their own.
// With T threads, T mutants run at once, each on an executor of its own (own plan and buffers:
// the device's, and T - 1 of one thread each) from the same trace, writing nothing shared: every kernel gives the same bits on any
// thread count, so a mutant's outputs do not depend on which worker ran it or beside what.
// Whole mutants side by side keep the cores busy where one mutant's small kernels (LeNet's
// 84-unit Gemm) leave little to split between threads.
class CpuCampaignDevice : public CampaignDevice {
public:
    CpuCampaignDevice(const Graph& g, int threads, bool incremental)
        : graph_(g), exec_(g, CpuOptions{threads, {}, {}}), threads_(threads), incremental_(incremental) {}

    std::string name() const override { return "cpu"; }
    std::string identity() const override { return std::string("cpu, instruction set ") + isa::name(isa::active()); }

    std::vector<Tensor> begin_batch(const std::vector<Tensor>& inputs) override {
        inputs_ = inputs;
        trace_ = exec_.run_trace(inputs);
        shapes_ = input_shapes_of(exec_.graph(), inputs);
        std::vector<Tensor> out;
        for (int o : graph_.outputs) out.push_back(trace_[static_cast<size_t>(o)]);
        return out;
    }

    std::vector<Tensor> run_mutant(size_t, const Mutation& m) override { return run_one(m, exec_, threads_); }

    void profile_batch(int64_t count, const ProfileOptions& opt) override {
        profile_count_ = count;
        profile_opt_ = opt;
        if (count > 0 && per_input_.empty()) per_input_ = per_input_values(graph_);
    }

    size_t parallel_mutants() const override { return static_cast<size_t>(exec_.threads()); }

    std::vector<MutantRun> run_mutants(const std::vector<size_t>& index, const std::vector<const Mutation*>& m) override {
        const size_t W = std::min(index.size(), parallel_mutants());
        // Worker 0 is exec_ itself (its plan's buffers are free while mutants run): W - 1 more plans.
        while (workers_.size() + 1 < W) workers_.push_back(std::make_unique<CpuExecutor>(graph_, CpuOptions{1, {}, {}}));
        std::vector<MutantRun> runs(index.size());
        std::atomic<size_t> next{0};
        // Each worker takes the next mutant; which worker runs which changes no result, and each
        // mutant's profile is its own.
        auto work = [&](size_t w) {
            for (size_t k; (k = next.fetch_add(1)) < index.size();) {
                ProfileBatch profile;
                ProfileBatch* prof = profile_count_ > 0 ? &profile : nullptr;
                runs[k] = timed_run([&] { return w == 0 ? run_one(*m[k], exec_, threads_, prof) : run_one(*m[k], *workers_[w - 1], 1, prof); });
                runs[k].profile = std::move(profile);
            }
        };
        std::vector<std::thread> pool;
        for (size_t w = 1; w < W; ++w) pool.emplace_back(work, w);
        work(0);
        for (auto& t : pool) t.join();
        return runs;
    }

    // Mutant m on executor ex (exec_ or a worker's) from the batch's trace; a graph mutant
    // on an executor of its own with `threads` threads (made for the run). With `prof`,
    // the batch's profiled inputs are added to it (a graph mutant's nodes are not the original's:
    // it gets a note instead).
    std::vector<Tensor> run_one(const Mutation& m, CpuExecutor& ex, int threads, ProfileBatch* prof = nullptr) {
        if (m.graph && prof) prof->note = "graph mutant: its nodes are not the original's, no profile";
        if (m.graph) {
            // Planned for this batch and dropped once it ran: kept across batches, every graph
            // mutant's executor held its plan's buffers (half the demo campaign's peak memory),
            // and planning again costs little beside the whole forward pass it runs.
            CpuExecutor gx(*m.graph, CpuOptions{threads, {}, {}});
            return gx.run(inputs_);
        }
        // The edited weights as copies: the shared ones (read by every mutant running) stay as they are.
        const std::map<int, Tensor> patched = patched_constants(graph_, m);
        std::vector<NodeOverride> ov;
        std::vector<int> nodes = m.changed_nodes;
        for (const auto& kv : m.node_sites)
            for (size_t n = 0; n < graph_.nodes.size(); ++n)
                if (graph_.nodes[n].name == kv.first) nodes.push_back(static_cast<int>(n));
        std::sort(nodes.begin(), nodes.end());
        nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
        for (int n : nodes) {
            const auto ns = m.node_sites.find(graph_.nodes[static_cast<size_t>(n)].name);
            const SiteConfig& sites = ns != m.node_sites.end() ? ns->second : ex.sites_of(n);
            const bool narrow = incremental_ && n == m.unit_node && !m.units.empty() && ex.sliceable(n);
            ov.push_back(ex.prepare_node(n, shapes_, sites, narrow ? m.units : std::vector<int64_t>{}, &patched));
        }
        if (ov.empty()) throw Error("mutant changes nothing the executor can run", "cpu", "no changed nodes, sites or graph");
        if (!prof) return ex.run_from(trace_, ov, !incremental_);
        // Every input tensor of a campaign's batch has the samples on its first axis.
        ProfileRecorder rec(trace_, per_input_, inputs_.at(0).shape()[0], profile_count_, profile_opt_);
        const ValueObserver see = [&](int node, int value, const Tensor& t) { rec.observe(node, value, t); };
        std::vector<Tensor> out = ex.run_from(trace_, ov, !incremental_, &see);
        *prof = rec.take();
        return out;
    }

    void end_batch() override {
        trace_.clear();
        profile_count_ = 0;
    }

private:
    Graph graph_;  // shares constant storage with exec_'s graph (read only)
    CpuExecutor exec_;
    std::vector<std::unique_ptr<CpuExecutor>> workers_;  // run_mutants()' workers 1..T-1: one thread each
    int threads_;
    bool incremental_;
    std::vector<Tensor> inputs_;
    Trace trace_;
    InputShapes shapes_;  // of the current batch
    int64_t profile_count_ = 0;      // leading inputs of this batch to profile
    ProfileOptions profile_opt_;
    std::vector<char> per_input_;    // per_input_values(graph_), made when first profiling
};

}  // namespace mutiny

#endif  // MUTINY_ANALYSIS_CAMPAIGN_DEVICE_HPP_
