// mutiny inspect MODEL: the file's format (a native file's version, checksum and self-test), inputs,
// outputs, op counts, parameters and FLOPs per input.
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <ostream>
#include <map>
#include <string>
#include <vector>

#include <mutiny/analysis/shard_cost.hpp>
#include <mutiny/model.hpp>
#include <mutiny/ops/infer.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "device_backend.hpp"

namespace cli {

namespace {

std::string hex64(uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
    return b;
}

// The file's format and version; for a native file its checksum and self-test (m: the loaded
// model, null when loading failed).
void print_format(std::ostream& os, const mutiny::ModelFileInfo& info, const mutiny::NativeModel* m) {
    if (!info.native) {
        os << "format: ONNX, IR version " << info.ir_version << ", opsets";
        for (const auto& o : info.opsets) os << " " << (o.domain.empty() ? "ai.onnx" : o.domain) << " " << o.version;
        os << "\n";
        return;
    }
    const mutiny::NativeHeader& h = info.header;
    os << "format: Mutiny native model, version " << h.version << " (this Mutiny writes " << mutiny::native::kVersion << ")\n";
    os << "checksum: fnv1a64 " << hex64(h.stored_checksum)
       << (h.checksum_ok() ? std::string(", verified (covers ") + (h.version == 1 ? "the sections, not the header" : "every byte but its own") + ")"
                           : ", MISMATCH: the file's bytes give " + hex64(h.computed_checksum))
       << "\n";
    if (!m) return;
    if (m->selftest.empty()) {
        os << "self-test: none (mutiny convert MODEL --out FILE.mutiny --self-test DATA adds one)\n";
    } else {
        const int64_t n = m->selftest.inputs.empty() || m->selftest.inputs[0].shape().rank() == 0 ? 0 : m->selftest.inputs[0].shape()[0];
        os << "self-test: " << m->selftest.inputs.size() << " input tensor(s) of " << n << " sample(s), " << m->selftest.outputs.size()
           << " expected output(s), tolerance rel " << m->selftest.rel_tol << " abs " << m->selftest.abs_tol << ": passed on load\n";
    }
}

// Where each node runs on the device (why): the nodes on the host, then per op type how many
// nodes run on the device and how many on the host, by reason.
void print_placement(std::ostream& os, const mutiny::Graph& g, const std::string& label, const std::vector<std::string>& why) {
    struct OpPlace {
        int device = 0;
        std::map<std::string, int> host;  // by reason
    };
    std::map<std::string, OpPlace> ops;
    std::vector<std::string> host;
    for (size_t n = 0; n < g.nodes.size(); ++n) {
        OpPlace& o = ops[g.nodes[n].op];
        if (why[n].empty()) {
            ++o.device;
            continue;
        }
        ++o.host[why[n]];
        host.push_back(g.nodes[n].name + " (" + g.nodes[n].op + "): " + why[n]);
    }
    os << "device: " << label << "\n";
    os << "nodes on the host: " << host.size() << " of " << g.nodes.size() << "\n";
    for (size_t i = 0; i < host.size() && i < 10; ++i) os << "  " << host[i] << "\n";
    if (host.size() > 10) os << "  ... and " << host.size() - 10 << " more\n";
    os << "ops by placement:\n";
    for (const auto& kv : ops) {
        os << "  " << kv.first << ":";
        if (kv.second.device) os << " " << kv.second.device << " on the device" << (kv.second.host.empty() ? "" : ",");
        bool first = true;
        for (const auto& h : kv.second.host) {
            os << (first ? "" : ",") << " " << h.second << " on the host (" << h.first << ")";
            first = false;
        }
        os << "\n";
    }
}

}  // namespace

int cmd_inspect(int argc, char** argv) {
    Args a(argc, argv, 2, {"device"}, {"help"});
    if (a.has("help")) {
        std::cout << "usage: mutiny inspect MODEL [--device opencl[:N|:NAME]]\n"
                     "Prints the model file's format and version (for a native file its checksum and self-test), the\n"
                     "model's inputs, outputs, op counts, parameter count and FLOPs per input.\n"
                     "With --device, plans the model on that device and lists the nodes that run their CPU\n"
                     "kernel on the host there, and per op type how many nodes run on the device and how many\n"
                     "on the host, with the reason (no OpenCL kernel for the op, a dtype its kernel does not\n"
                     "take, parameters computed at run time, ...).\n";
        return 0;
    }
    if (a.positionals().size() != 1) throw UsageError("inspect needs exactly one MODEL");
    const std::string path = a.positionals()[0];
    mutiny::ModelFileInfo info;
    mutiny::NativeModel model;
    try {
        model = mutiny::load_model_with_metadata(path, &info);
    } catch (const mutiny::Error&) {
        // A corrupt native file: its header as stored, with what its checksum comes to, then the error.
        if (info.native) print_format(std::cout, info, nullptr);
        throw;
    }
    const mutiny::Graph& g = model.graph;
    std::cout << "model: " << path << " (graph '" << g.name << "')\n";
    print_format(std::cout, info, &model);
    for (const auto& kv : model.metadata) std::cout << "metadata: " << kv.first << " = " << kv.second << "\n";
    for (int i : g.inputs)
        std::cout << "input:  " << g.value(i).name << " " << mutiny::dtype_name(g.value(i).dtype) << g.value(i).shape.str() << "\n";
    for (int o : g.outputs)
        std::cout << "output: " << g.value(o).name << " " << mutiny::dtype_name(g.value(o).dtype)
                  << (g.value(o).data_dependent ? std::string(" (shape known per run)") : g.value(o).shape.str()) << "\n";
    std::map<std::string, int> ops;
    for (const auto& n : g.nodes) ++ops[n.op];
    std::cout << "nodes: " << g.nodes.size() << " (";
    bool first = true;
    for (auto& kv : ops) {
        std::cout << (first ? "" : ", ") << kv.first << " " << kv.second;
        first = false;
    }
    std::cout << ")\n";
    int64_t params = 0;
    for (const auto& v : g.values)
        if (v.is_constant() && mutiny::dtype_is_float(v.dtype)) params += v.constant.numel();
    std::cout << "parameters: " << params << "\n";
    std::vector<std::string> dyn;
    for (const auto& n : g.nodes)
        if (!n.outputs.empty() && g.value(n.outputs[0]).data_dependent) dyn.push_back(n.name + " (" + n.op + ")");
    if (!dyn.empty()) {  // the CPU executor infers these per run; FLOPs leave them out
        std::cout << "nodes with data-dependent shapes (inferred per run, on the CPU, not in FLOPs): " << dyn.size() << "\n";
        for (size_t i = 0; i < dyn.size() && i < 10; ++i) std::cout << "  " << dyn[i] << "\n";
        if (dyn.size() > 10) std::cout << "  ... and " << dyn.size() - 10 << " more\n";
    }
    const int64_t m = mutiny::symbolic_size(g);
    if (m == 1) std::cout << "FLOPs per input: " << static_cast<long long>(mutiny::graph_flops(g, 1)) << "\n";
    else std::cout << "FLOPs with every symbolic dimension at " << m << ": " << static_cast<long long>(mutiny::graph_flops(g, m)) << "\n";
    if (a.has("device")) {
        DeviceBackend dev(g, a);
        print_placement(std::cout, g, dev.label(), dev.host_reasons());
    }
    return 0;
}

}  // namespace cli
