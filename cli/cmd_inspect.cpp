// mutiny inspect MODEL: inputs, outputs, op counts, parameters and FLOPs per input.
#include <cstdint>
#include <iostream>
#include <map>
#include <string>

#include <mutiny/ops/infer.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "device_backend.hpp"
#include "model_file.hpp"

namespace cli {

namespace {

// Multiply-accumulates of the compute-heavy ops, counted as 2 FLOPs each, with every symbolic
// dimension at `m` (1: per input of a model with only a batch dimension).
double flops_at(const mutiny::Graph& g, int64_t m) {
    std::vector<char> dynamic;
    const auto types = mutiny::infer_types(g, m, nullptr, &dynamic);
    double f = 0;
    for (const auto& n : g.nodes) {
        bool dyn = false;  // shapes known per run only: not counted (inspect says so)
        for (int o : n.outputs) dyn = dyn || dynamic[static_cast<size_t>(o)];
        if (dyn) continue;
        auto out = [&](size_t i) { return types[static_cast<size_t>(n.outputs[i])].shape; };
        auto in = [&](size_t i) { return types[static_cast<size_t>(n.inputs[i])].shape; };
        if (n.op == "Conv" || n.op == "ConvTranspose") {
            const auto w = in(1);
            f += 2.0 * static_cast<double>(out(0).numel()) * static_cast<double>(w.numel() / w[0]);
        } else if (n.op == "Gemm" || n.op == "MatMul") {
            const auto a = in(0);
            const double k = static_cast<double>(a[a.rank() - 1 - (n.op == "Gemm" && n.attrs.get_int("transA", 0) ? 1 : 0)]);
            f += 2.0 * static_cast<double>(out(0).numel()) * k;
        } else {
            f += static_cast<double>(n.outputs.empty() ? 0 : out(0).numel());
        }
    }
    return f;
}

}  // namespace

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
    if (m == 1) std::cout << "FLOPs per input: " << static_cast<long long>(flops_at(g, 1)) << "\n";
    else std::cout << "FLOPs with every symbolic dimension at " << m << ": " << static_cast<long long>(flops_at(g, m)) << "\n";
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
