#include "campaign_devices.hpp"

#include <deque>
#include <map>
#include <utility>
#include <vector>

#include <mutiny/core/error.hpp>
#include <mutiny/exec/opencl/opencl.hpp>
#include <mutiny/mutate/mutant.hpp>

namespace cli {

namespace {

#if MUTINY_WITH_OPENCL
// Runs each mutant as its own executor: the graph with the mutant's weights patched into private
// copies of the edited constants (the original's storage is never touched), its kernel sites as
// build options (a cached program rebuild), or the mutated graph. Up to kKeep executors are kept
// across batches (a campaign with few mutants uploads each mutant's weights once); beyond that the
// oldest is dropped, so memory stays bounded by kKeep copies of the model's device buffers (keeping
// every executor of a 3,000-mutant BERT campaign exhausted a 24 GB machine).
class OpenClCampaignDevice : public mutiny::CampaignDevice {
public:
    OpenClCampaignDevice(const std::string& name, const mutiny::Graph& g) : name_(name), graph_(g) {
        mutiny::OpenClOptions o;
        o.device = name == "opencl" ? "" : name.substr(7);
        device_ = o.device;
        base_ = std::make_unique<mutiny::OpenClExecutor>(g, o);
    }
    std::string name() const override { return name_; }
    std::string identity() const override {
        const mutiny::opencl::DeviceInfo& i = base_->device();
        return name_ + ": '" + i.name + "' (" + i.vendor + ", " + i.type + "), " + i.version + ", driver " + i.driver_version + ", platform '" +
               i.platform_name + "' " + i.platform_version;
    }
    std::vector<mutiny::Tensor> begin_batch(const std::vector<mutiny::Tensor>& inputs) override {
        inputs_ = inputs;
        return base_->run(inputs);
    }
    std::vector<mutiny::Tensor> run_mutant(size_t index, const mutiny::Mutation& m) override {
        auto it = execs_.find(index);
        if (it == execs_.end()) {
            mutiny::OpenClOptions o;
            o.device = device_;
            o.node_sites = m.node_sites;
            mutiny::Graph g = m.graph ? *m.graph : graph_;
            if (!m.graph) {
                // Private copies of the edited constants, so patching leaves the original's weights alone.
                for (const auto& e : m.weights) {
                    auto& c = g.values.at(static_cast<size_t>(e.value)).constant;
                    c = c.clone();
                }
                mutiny::apply_weights(g, m);
            }
            if (execs_.size() >= kKeep) {
                execs_.erase(order_.front());
                order_.pop_front();
            }
            it = execs_.emplace(index, std::make_unique<mutiny::OpenClExecutor>(std::move(g), o)).first;
            order_.push_back(index);
        }
        return it->second->run(inputs_);
    }

private:
    std::string name_, device_;
    mutiny::Graph graph_;
    std::unique_ptr<mutiny::OpenClExecutor> base_;
    static constexpr size_t kKeep = 64;
    std::map<size_t, std::unique_ptr<mutiny::OpenClExecutor>> execs_;
    std::deque<size_t> order_;  // of execs_, oldest first
    std::vector<mutiny::Tensor> inputs_;
};
#endif

}  // namespace

std::unique_ptr<mutiny::CampaignDevice> make_campaign_device(const std::string& name, const mutiny::Graph& g, const mutiny::CampaignOptions&) {
    if (name != "opencl" && name.rfind("opencl:", 0) != 0)
        throw mutiny::Error("unknown device '" + name + "'", "--device", "known: cpu, opencl, opencl:N, opencl:NAME");
#if MUTINY_WITH_OPENCL
    if (name != "opencl" && name.size() == 7) throw mutiny::Error("empty OpenCL device", "--device " + name, "give an index or a name after opencl:");
    return std::make_unique<OpenClCampaignDevice>(name, g);
#else
    (void)g;
    throw mutiny::Error("OpenCL backend not built", "--device " + name, "rebuild with -DMUTINY_WITH_OPENCL=ON");
#endif
}

}  // namespace cli
