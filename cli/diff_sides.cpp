#include "diff_sides.hpp"

#include <cfloat>
#include <sstream>

#include <mutiny/core/error.hpp>
#include <mutiny/mutate/all.hpp>

#include "args.hpp"

namespace cli {

namespace {

bool diff_device_name(const std::string& d) { return d == "cpu" || d == "opencl" || (d.rfind("opencl:", 0) == 0 && d.size() > 7); }

bool diff_side_start(const std::string& item) {
    const std::string dev = item.substr(0, item.find('@'));
    return diff_device_name(dev) || item.rfind("id=", 0) == 0 || item.rfind("op=", 0) == 0;
}

DiffSideSpec parse_diff_side(const std::string& item) {
    DiffSideSpec s;
    s.label = item;
    if (item.rfind("id=", 0) == 0 || item.rfind("op=", 0) == 0) {
        s.mutant = true;
        std::istringstream in(item);
        std::string tok, rest;
        while (in >> tok) {
            if (tok.rfind("device=", 0) == 0) s.device = tok.substr(7);
            else rest += (rest.empty() ? "" : " ") + tok;
        }
        if (!diff_device_name(s.device)) throw UsageError("--against: device=" + s.device + " is not cpu or opencl[:N|:NAME]");
        s.spec = mutiny::MutantSpec::parse(rest);
        return s;
    }
    const size_t at = item.find('@');
    s.device = item.substr(0, at);
    if (at != std::string::npos) {
        const std::string mode = item.substr(at + 1);
        if (mode == "fp16") s.mode = DiffSideSpec::Mode::fp16;
        else if (mode == "float") s.mode = DiffSideSpec::Mode::float_ref;
        else if (mode == "int8") s.mode = DiffSideSpec::Mode::int8;
        else throw UsageError("--against: '" + item + "': unknown mode '" + mode + "' after '@': expected fp16, float or int8");
    }
    return s;
}

}  // namespace

// Commas separate sides, but a mutant's unit list (target=node:X/units:1,2) holds commas too: an
// item that does not start a side (a device or id=/op=) continues the mutant before it.
std::vector<DiffSideSpec> parse_diff_sides(const std::string& text) {
    std::vector<std::string> items;
    size_t i = 0;
    while (i <= text.size()) {
        size_t j = text.find(',', i);
        if (j == std::string::npos) j = text.size();
        const std::string item = text.substr(i, j - i);
        i = j + 1;
        if (!items.empty() && !diff_side_start(item) && (items.back().rfind("id=", 0) == 0 || items.back().rfind("op=", 0) == 0))
            items.back() += "," + item;
        else if (!diff_side_start(item))
            throw UsageError("--against: '" + item + "' is not a side: expected cpu, opencl[:N|:NAME] (optionally @fp16, @float or @int8) or a mutant spec (op=... target=...)");
        else
            items.push_back(item);
    }
    if (items.size() < 2) throw UsageError("--against needs at least two sides, the reference first (e.g. --against cpu,cpu@fp16)");
    std::vector<DiffSideSpec> sides;
    for (const std::string& it : items) sides.push_back(parse_diff_side(it));
    return sides;
}

void parse_diff_tolerance(const std::string& text, const std::string& option, double& fallback, std::map<std::string, double>& named) {
    for (const std::string& item : split_list(text)) {
        const size_t eq = item.rfind('=');
        if (eq == std::string::npos) fallback = parse_number(item, option, 0, DBL_MAX);
        else named[item.substr(0, eq)] = parse_number(item.substr(eq + 1), option + " " + item.substr(0, eq), 0, DBL_MAX);
    }
}

DiffRunner::DiffRunner(const mutiny::Graph& g, const DiffSideSpec& s, int threads, const std::string& mode_what, bool timing) : graph_(g) {
    mutiny::SiteConfig all;
    if (s.mode == DiffSideSpec::Mode::fp16) all.store = mutiny::SiteConfig::Store::f16;
    std::map<std::string, mutiny::SiteConfig> node_sites;
    std::string mutant;
    if (s.mutant) {
        const mutiny::Mutation m = mutiny::apply_mutant(g, s.spec);
        if (m.graph) graph_ = *m.graph;
        // The model's constants are shared with the reference: copy the edited ones first.
        for (const mutiny::WeightEdit& e : m.weights) graph_.value(e.value).constant = graph_.value(e.value).constant.clone();
        mutiny::apply_weights(graph_, m);
        node_sites = m.node_sites;
        mutant = ", mutant " + mutiny::operator_label(s.spec) + " at " + s.spec.target;
    }
    if (s.device == "cpu") {
        mutiny::CpuOptions opt;
        opt.threads = threads;
        opt.sites = all;
        opt.node_sites = node_sites;
        cpu_ = std::make_unique<mutiny::CpuExecutor>(graph_, opt);
        what_ = "cpu, " + std::to_string(cpu_->threads()) + " threads";
    } else {
#if MUTINY_WITH_OPENCL
        mutiny::OpenClOptions opt;
        opt.device = s.device == "opencl" ? "" : s.device.substr(7);
        opt.sites = all;
        opt.node_sites = node_sites;
        opt.timing = timing;
        ocl_ = std::make_unique<mutiny::OpenClExecutor>(graph_, opt);
        what_ = "opencl, " + ocl_->device().name + " (" + ocl_->device().platform_name + ")";
#else
        throw mutiny::Error("OpenCL backend not built", "--against " + s.label, "rebuild with -DMUTINY_WITH_OPENCL=ON");
#endif
    }
    if (s.mode == DiffSideSpec::Mode::fp16) what_ += ", float16 storage (every float32 result of an op with a store site rounds to float16)";
    what_ += mode_what;
    what_ += mutant;
}

std::vector<mutiny::Tensor> DiffRunner::trace(const std::vector<mutiny::Tensor>& in) {
#if MUTINY_WITH_OPENCL
    if (ocl_) return ocl_->run_trace(in);
#endif
    return cpu_->run_trace(in);
}

std::vector<mutiny::Tensor> DiffRunner::run(const std::vector<mutiny::Tensor>& in, mutiny::NodeTimes& times) {
#if MUTINY_WITH_OPENCL
    if (ocl_) return ocl_->run(in, &times);
#endif
    return cpu_->run(in, &times);
}

}  // namespace cli
