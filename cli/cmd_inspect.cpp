// mutiny inspect MODEL: inputs, outputs, op counts, parameters and FLOPs per input.
#include <cstdint>
#include <iostream>
#include <map>
#include <string>

#include <mutiny/analysis/shard_cost.hpp>
#include <mutiny/ops/infer.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "device_backend.hpp"
#include "model_file.hpp"

namespace cli {

int cmd_inspect(int argc, char** argv) {
    Args a(argc, argv, 2, {"device"}, {"help"});
    if (a.has("help")) {
        std::cout << "usage: mutiny inspect MODEL [--device opencl[:N|:NAME]]\n"
                     "Prints the model's inputs, outputs, op counts, parameter count and FLOPs per input.\n"
                     "With --device, plans the model on that device and lists the nodes that run their CPU\n"
                     "kernel on the host there (no OpenCL kernel for their op or dtype).\n";
        return 0;
    }
    if (a.positionals().size() != 1) throw UsageError("inspect needs exactly one MODEL");
    const mutiny::Graph g = load_model_file(a.positionals()[0]);
    std::cout << "model: " << a.positionals()[0] << " (graph '" << g.name << "')\n";
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
        const auto host = dev.host_nodes();
        std::cout << "device: " << dev.label() << "\n";
        std::cout << "nodes on the host (no kernel on the device): " << host.size() << " of " << g.nodes.size() << "\n";
        for (const auto& n : host) std::cout << "  " << n << "\n";
    }
    return 0;
}

}  // namespace cli
