#include "campaign_devices.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include <mutiny/core/error.hpp>
#include <mutiny/exec/opencl/opencl.hpp>
#include <mutiny/mutate/mutant.hpp>

namespace cli {

namespace {

#if MUTINY_WITH_OPENCL
// Mutants on an OpenCL device, as the CPU runs them (docs/architecture.md, "Campaigns on an OpenCL
// device"): the original runs once per batch and its activations stay in device memory; a weight or
// kernel mutant is a suffix executor that runs from its first changed node on them, with only its
// edited weights uploaded (the other constants are the original's buffers); a graph mutant runs
// whole (its own graph). The campaign submits the next mutants before waiting for one, so several
// queues are busy at once (in_flight). Idle executors are kept for the next batch (a mutant runs
// again there without being planned again) while they hold no more device memory than the original
// does (its constants and activations) and number at most kKeep; the oldest go first beyond.
// Memory stays bounded by the model and batch: keeping every executor of a 3,000-mutant BERT
// campaign exhausted a 24 GB machine, and keeping 64 made the demo's 40-mutant device campaign
// (one batch: nothing to reuse) take 1.2-1.6 GB on PoCL, where device memory is the host's.
//
// Out of device memory while a mutant is planned: the cached executors are dropped (those in flight
// once collected); if that is not enough, the original's activations are no longer kept (mutants run whole, recomputing the prefix:
// one set of activations instead of two); a mutant that still does not fit fails with "mutant too
// large for the device", which the campaign marks as that mutant's crash.
class OpenClCampaignDevice : public mutiny::CampaignDevice {
public:
    OpenClCampaignDevice(const std::string& name, const mutiny::Graph& g, bool incremental)
        : name_(name), graph_(g), keep_trace_(incremental) {
        mutiny::OpenClOptions o;
        o.device = name == "opencl" ? "" : name.substr(7);
        device_ = o.device;
        base_ = std::make_unique<mutiny::OpenClExecutor>(g, o);
        start_ = base_->device_context().transfers();
    }
    ~OpenClCampaignDevice() override {
        // MUTINY_OPENCL_STATS: what this campaign enqueued (load-independent counts, docs/cli.md).
        if (std::getenv("MUTINY_OPENCL_STATS")) {
            const mutiny::opencl::TransferStats t = base_->device_context().transfers();
            mutiny::opencl::TransferStats d;
            d.launches = t.launches - start_.launches;
            d.writes = t.writes - start_.writes;
            d.reads = t.reads - start_.reads;
            d.copies = t.copies - start_.copies;
            d.bytes_written = t.bytes_written - start_.bytes_written;
            d.bytes_read = t.bytes_read - start_.bytes_read;
            d.bytes_copied = t.bytes_copied - start_.bytes_copied;
            std::fprintf(stderr, "mutiny: %s campaign device: %s; the original held %llu bytes%s\n", name_.c_str(), d.str().c_str(),
                         static_cast<unsigned long long>(original_bytes_),
                         keep_trace_ ? "" : "; mutants recomputed the prefix (the original's activations were not kept)");
        }
        pending_.clear();
        execs_.clear();  // before base_, whose buffers and constants they use
    }
    std::string name() const override { return name_; }
    std::string identity() const override {
        const mutiny::opencl::DeviceInfo& i = base_->device();
        return name_ + ": '" + i.name + "' (" + i.vendor + ", " + i.type + "), " + i.version + ", driver " + i.driver_version + ", platform '" +
               i.platform_name + "' " + i.platform_version;
    }
    std::vector<mutiny::Tensor> begin_batch(const std::vector<mutiny::Tensor>& inputs) override {
        drain();
        inputs_ = inputs;
        std::vector<mutiny::Tensor> out;
        const uint64_t before = base_->device_context().allocated();
        try {
            out = base_->run(inputs);
        } catch (const mutiny::Error& e) {
            // The kept mutant executors may hold what the original needs (after a mutant too large).
            if (!out_of_memory(e) || !evict_idle()) throw;
            out = base_->run(inputs);
        }
        if (original_bytes_ == 0) original_bytes_ = base_->device_context().allocated() - before;
        if (!keep_trace_) base_->release_plans();
        return out;
    }
    size_t in_flight() const override { return kInFlight; }
    void submit(size_t index, const mutiny::Mutation& m) override {
        if (pending_.count(index)) return;
        Pending& pd = pending_[index];
        try {
            pd.exec = start_mutant(index, m);
        } catch (...) {
            pd.error = std::current_exception();
        }
    }
    std::vector<mutiny::Tensor> run_mutant(size_t index, const mutiny::Mutation& m) override {
        submit(index, m);
        Pending pd = std::move(pending_.at(index));
        pending_.erase(index);
        if (pd.error) std::rethrow_exception(pd.error);
        std::vector<mutiny::Tensor> out = pd.exec ? pd.exec->collect() : std::move(pd.outputs);
        trim();
        return out;
    }
    void end_batch() override { drain(); }

private:
    struct Pending {
        mutiny::OpenClExecutor* exec = nullptr;  // submitted, not collected
        std::vector<mutiny::Tensor> outputs;     // collected early (drain)
        std::exception_ptr error;
    };

    static bool out_of_memory(const mutiny::Error& e) { return e.what_part() == "out of device memory"; }

    // Submits mutant `index` on the current batch, making room on the device when it does not fit.
    mutiny::OpenClExecutor* start_mutant(size_t index, const mutiny::Mutation& m) {
        for (;;) {
            try {
                const uint64_t before = base_->device_context().allocated();
                mutiny::OpenClExecutor& e = executor(index, m);
                e.submit(inputs_);
                // What planning this run allocated (0 for a kept executor that fits again).
                bytes_[index] += base_->device_context().allocated() - std::min(before, base_->device_context().allocated());
                return &e;
            } catch (const mutiny::Error& err) {
                if (!out_of_memory(err)) throw;
                drop(index);
                if (evict_idle()) continue;
                if (any_busy()) {  // the mutants in flight hold memory until collected
                    drain();
                    continue;
                }
                if (keep_trace_) {
                    stop_keeping_trace();
                    continue;
                }
                throw mutiny::Error("mutant too large for the device", base_->device().label(),
                                    "it does not fit even with no other mutant and without the original's activations kept: " +
                                        std::string(err.what()));
            }
        }
    }

    mutiny::OpenClExecutor& executor(size_t index, const mutiny::Mutation& m) {
        auto it = execs_.find(index);
        if (it != execs_.end()) return *it->second;
        mutiny::OpenClOptions o;
        o.device = device_;
        o.node_sites = m.node_sites;
        std::unique_ptr<mutiny::OpenClExecutor> e;
        if (m.graph) {
            e = std::make_unique<mutiny::OpenClExecutor>(*m.graph, o);
        } else {
            // Private copies of the edited constants, so patching leaves the original's weights alone.
            mutiny::Graph g = graph_;
            std::set<int> own;
            for (const auto& w : m.weights) {
                auto& c = g.values.at(static_cast<size_t>(w.value)).constant;
                if (own.insert(w.value).second) c = c.clone();
            }
            mutiny::apply_weights(g, m);
            if (keep_trace_) {
                e = std::make_unique<mutiny::OpenClExecutor>(std::move(g), o, *base_, first_changed(m), std::move(own));
            } else {
                e = std::make_unique<mutiny::OpenClExecutor>(std::move(g), o);
                e->share_constants(*base_, std::move(own));
            }
        }
        while (execs_.size() >= kKeep && evict_oldest_idle()) {
        }
        order_.push_back(index);
        return *(execs_[index] = std::move(e));
    }

    // The first node whose behaviour the mutant changes (its edited weights' readers, its sites' nodes).
    size_t first_changed(const mutiny::Mutation& m) const {
        size_t first = graph_.nodes.size();
        for (int n : m.changed_nodes) first = std::min(first, static_cast<size_t>(n));
        for (size_t n = 0; n < graph_.nodes.size(); ++n)
            if (m.node_sites.count(graph_.nodes[n].name)) first = std::min(first, n);
        return first == graph_.nodes.size() ? 0 : first;
    }

    bool busy(size_t index) const {
        auto p = pending_.find(index);
        return p != pending_.end() && p->second.exec;
    }
    void drop(size_t index) {
        execs_.erase(index);
        bytes_.erase(index);
        order_.erase(std::remove(order_.begin(), order_.end(), index), order_.end());
    }
    bool any_busy() const {
        for (const auto& kv : pending_)
            if (kv.second.exec) return true;
        return false;
    }
    bool evict_oldest_idle() {
        for (size_t i : order_)
            if (!busy(i)) {
                drop(i);
                return true;
            }
        return false;
    }
    // Drops the oldest idle executors while the idle ones hold more than the original.
    void trim() {
        for (;;) {
            uint64_t idle = 0;
            for (const auto& kv : bytes_)
                if (!busy(kv.first)) idle += kv.second;
            if (idle <= original_bytes_ || !evict_oldest_idle()) return;
        }
    }
    bool evict_idle() {
        bool any = false;
        while (evict_oldest_idle()) any = true;
        return any;
    }
    // Collects every submitted run (before the original runs again or its buffers go).
    void drain() {
        for (auto& kv : pending_) {
            if (!kv.second.exec) continue;
            try {
                kv.second.outputs = kv.second.exec->collect();
            } catch (...) {
                kv.second.error = std::current_exception();
            }
            kv.second.exec = nullptr;
        }
    }
    void stop_keeping_trace() {
        drain();
        execs_.clear();
        bytes_.clear();
        order_.clear();
        keep_trace_ = false;
        base_->release_plans();
    }

    std::string name_, device_;
    mutiny::Graph graph_;
    bool keep_trace_;  // mutants run from the original's activations on the device
    std::unique_ptr<mutiny::OpenClExecutor> base_;
    mutiny::opencl::TransferStats start_;
    uint64_t original_bytes_ = 0;  // device memory of the original's first run (constants and activations)
    static constexpr size_t kKeep = 64;
    static constexpr size_t kInFlight = 4;
    std::map<size_t, std::unique_ptr<mutiny::OpenClExecutor>> execs_;
    std::map<size_t, uint64_t> bytes_;  // of execs_: the device memory each allocated when planned
    std::deque<size_t> order_;  // of execs_, oldest first
    std::map<size_t, Pending> pending_;
    std::vector<mutiny::Tensor> inputs_;
};
#endif

}  // namespace

std::unique_ptr<mutiny::CampaignDevice> make_campaign_device(const std::string& name, const mutiny::Graph& g, const mutiny::CampaignOptions& options) {
    if (name != "opencl" && name.rfind("opencl:", 0) != 0)
        throw mutiny::Error("unknown device '" + name + "'", "--device", "known: cpu, opencl, opencl:N, opencl:NAME");
#if MUTINY_WITH_OPENCL
    if (name != "opencl" && name.size() == 7) throw mutiny::Error("empty OpenCL device", "--device " + name, "give an index or a name after opencl:");
    return std::make_unique<OpenClCampaignDevice>(name, g, options.incremental);
#else
    (void)g;
    (void)options;
    throw mutiny::Error("OpenCL backend not built", "--device " + name, "rebuild with -DMUTINY_WITH_OPENCL=ON");
#endif
}

}  // namespace cli
