// mutiny conformance DIR...: runs ONNX backend test folders, one line per test, then a summary.
#include <cfloat>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <mutiny/exec/conformance.hpp>
#include <mutiny/graph/builder.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "device_backend.hpp"

namespace cli {

int cmd_conformance(int argc, char** argv) {
    Args a(argc, argv, 2, {"threads", "rtol", "atol", "device"}, {"help", "quiet", "strict"});
    if (a.has("help")) {
        std::cout << "usage: mutiny conformance DIR... [--device cpu|opencl[:N|:NAME]] [--threads N] [--rtol R] [--atol A] [--strict] [--quiet]\n"
                     "Runs ONNX backend test folders (model.onnx + test_data_set_*/input_*.pb, output_*.pb)\n"
                     "and prints PASS/FAIL/SKIP per test and a closing line 'N passed, M failed, K skipped'.\n"
                     "Tests whose model uses an op Mutiny lacks are skipped and the op is listed.\n"
                     "Outputs are compared within rtol 1e-5, atol 1e-6 (100x stricter than ONNX's own runner); a\n"
                     "test that misses that but meets ONNX's runner tolerance (rtol 1e-3, atol 1e-7: some stored\n"
                     "references are rounded) passes as 'PASS*', with the mismatch shown and counted in a line\n"
                     "before the summary. --strict, --rtol or --atol: only that tolerance counts.\n"
                     "A folder holding tolerance.txt ('rtol R', 'atol A' lines: docs/formats.md) is compared with\n"
                     "that tolerance alone, unless --rtol or --atol is given.\n"
                     "--device opencl runs each model on an OpenCL device (as eval and run do): ops without a\n"
                     "kernel, and nodes whose shapes depend on data, run on the host.\n";
        return 0;
    }
    if (a.positionals().empty()) throw UsageError("conformance needs at least one DIR");
    mutiny::Tolerance tol;
    tol.rel = a.get_number("rtol", tol.rel, 0, DBL_MAX);
    tol.abs = a.get_number("atol", tol.abs, 0, DBL_MAX);
    const int threads = threads_option(a);
    const bool onnx_fallback = !a.has("strict") && !a.has("rtol") && !a.has("atol");
    const bool folder_tolerance = !a.has("rtol") && !a.has("atol");
    const auto tests = mutiny::find_conformance_tests(a.positionals());
    mutiny::ConformanceDevice device;
    if (a.has("device")) {
        // A bad --device is a usage error, and a missing device an error, before any test runs.
        mutiny::GraphBuilder probe("device check");
        probe.output(probe.node("Identity", {probe.input("x", mutiny::DType::f32, mutiny::Shape{1})}));
        DeviceBackend check(probe.build(), a);
        std::cout << "device: " << check.label() << "\n";
        device = [&a](const mutiny::Graph& g) {
            auto be = std::make_shared<DeviceBackend>(g, a);
            return mutiny::ConformanceRunner([be](const std::vector<mutiny::Tensor>& in) { return be->run(in); });
        };
    }
    int pass = 0, fail = 0, skip = 0;
    std::map<std::string, int> missing;
    std::vector<std::string> loose;
    int own_tolerance = 0;
    for (const auto& t : tests) {
        const auto r = mutiny::run_conformance_test(t, tol, threads, onnx_fallback, folder_tolerance, device);
        own_tolerance += r.folder_tolerance ? 1 : 0;
        using S = mutiny::ConformanceResult::Status;
        if (r.status == S::pass && r.onnx_tolerance_only) {
            ++pass;
            loose.push_back(r.name);
            std::cout << "PASS* " << r.name << ": within ONNX's runner tolerance only; " << r.detail << "\n";
        } else if (r.status == S::pass) {
            ++pass;
            if (!a.has("quiet")) {
                std::cout << "PASS " << r.name << "\n";
            }
        } else if (r.status == S::skip) {
            ++skip;
            ++missing[r.detail];
            if (!a.has("quiet")) std::cout << "SKIP " << r.name << ": " << r.detail << "\n";
        } else {
            ++fail;
            std::cout << "FAIL " << r.name << ": " << r.detail << "\n";
        }
        std::cout.flush();
    }
    if (!missing.empty()) {
        std::cout << "skipped for:";
        for (auto& kv : missing) std::cout << " [" << kv.first << " x" << kv.second << "]";
        std::cout << "\n";
    }
    if (!loose.empty()) {
        std::cout << loose.size() << " passed within ONNX's runner tolerance (rtol 1e-3, atol 1e-7) only:";
        for (const auto& n : loose) std::cout << " " << n;
        std::cout << "\n";
    }
    if (own_tolerance > 0) std::cout << own_tolerance << " compared with their folder's tolerance.txt\n";
    std::cout << pass << " passed, " << fail << " failed, " << skip << " skipped\n";
    return fail == 0 ? 0 : 1;
}

}  // namespace cli
