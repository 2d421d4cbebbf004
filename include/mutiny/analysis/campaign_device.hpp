// The devices a campaign (campaign.hpp) runs on: the CampaignDevice interface and the CPU device,
// which executes mutants incrementally from the original's trace (docs/architecture.md,
// "Incremental execution"). Other backends (OpenCL) implement CampaignDevice where they are linked.
#ifndef MUTINY_ANALYSIS_CAMPAIGN_DEVICE_HPP_
#define MUTINY_ANALYSIS_CAMPAIGN_DEVICE_HPP_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "../exec/cpu/executor.hpp"
#include "../mutate/all.hpp"
#include "../ops/isa/dispatch.hpp"

namespace mutiny {

// One device a campaign runs on. begin_batch() runs the original on a batch; run_mutant() gives a
// mutant's outputs on the same batch. Implementations may keep per-mutant state across batches.
class CampaignDevice {
public:
    virtual ~CampaignDevice() = default;
    virtual std::string name() const = 0;
    // What computes: the CPU's instruction-set level, an OpenCL device's platform, name, version
    // and driver (recorded in manifest.json; results do not depend on it, discrepancies may).
    virtual std::string identity() const { return name(); }
    virtual std::vector<Tensor> begin_batch(const std::vector<Tensor>& inputs) = 0;
    virtual std::vector<Tensor> run_mutant(size_t index, const Mutation& m) = 0;
    virtual void end_batch() {}
    // Asynchronous devices: how many mutants the campaign may submit ahead of the one it waits
    // for, and submit(), which starts a mutant on the current batch without waiting (its
    // run_mutant() then returns the result; an error is kept for it and never thrown here).
    virtual size_t in_flight() const { return 0; }
    virtual void submit(size_t /*index*/, const Mutation& /*m*/) {}
};

// The CPU device: incremental execution from the original's trace. Weight mutants patch the
// shared constants, re-prepare the nodes that read them (only the changed units when the layer
// allows) and re-run what depends on them; kernel mutants re-prepare their nodes with the
// mutated sites; graph mutants run their own executor (kept across batches).
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

    std::vector<Tensor> run_mutant(size_t index, const Mutation& m) override {
        if (m.graph) {
            auto it = graph_execs_.find(index);
            if (it == graph_execs_.end())
                it = graph_execs_.emplace(index, std::make_unique<CpuExecutor>(*m.graph, CpuOptions{threads_, {}, {}})).first;
            return it->second->run(inputs_);
        }
        // Weight edits are undone whatever happens (a kernel may throw).
        struct Patch {
            Graph& g;
            const Mutation& m;
            Patch(Graph& gg, const Mutation& mm) : g(gg), m(mm) { apply_weights(g, m); }
            ~Patch() { revert_weights(g, m); }
        } patch(graph_, m);
        std::vector<NodeOverride> ov;
        std::vector<int> nodes = m.changed_nodes;
        for (const auto& kv : m.node_sites)
            for (size_t n = 0; n < graph_.nodes.size(); ++n)
                if (graph_.nodes[n].name == kv.first) nodes.push_back(static_cast<int>(n));
        std::sort(nodes.begin(), nodes.end());
        nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
        for (int n : nodes) {
            const auto ns = m.node_sites.find(graph_.nodes[static_cast<size_t>(n)].name);
            const SiteConfig& sites = ns != m.node_sites.end() ? ns->second : exec_.sites_of(n);
            const bool narrow = incremental_ && n == m.unit_node && !m.units.empty() && exec_.sliceable(n);
            ov.push_back(exec_.prepare_node(n, shapes_, sites, narrow ? m.units : std::vector<int64_t>{}));
        }
        if (ov.empty()) throw Error("mutant changes nothing the executor can run", "cpu", "no changed nodes, sites or graph");
        return exec_.run_from(trace_, ov, !incremental_);
    }

    void end_batch() override { trace_.clear(); }

private:
    Graph graph_;  // shares constant storage with exec_'s graph: weight patches reach both
    CpuExecutor exec_;
    int threads_;
    bool incremental_;
    std::vector<Tensor> inputs_;
    Trace trace_;
    InputShapes shapes_;  // of the current batch
    std::map<size_t, std::unique_ptr<CpuExecutor>> graph_execs_;
};

}  // namespace mutiny

#endif  // MUTINY_ANALYSIS_CAMPAIGN_DEVICE_HPP_
