// Mutants applied and reverted per second, per operator family: prints a header (machine, commit
// of the library), warms up, then times `--iters` passes over a sample of each family's mutants and
// reports the median rate and the spread (min..max over passes).
//   graph   apply_mutant (copy of the graph, mutation, validation); reverting is dropping the copy
//   kernel  apply_mutant (a site configuration per node)
//   neuron  apply_mutant + apply_weights + revert_weights (in place, bitwise)
// Run from the repository root:
//   bench_mutate [MODEL...] [--iters I] [--max M]
// Default models: models/fashion_lenet5.onnx and ../shared/data/onnx/light/light_resnet50.onnx.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <mutiny/mutiny.hpp>

#include "bench_common.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) { return std::chrono::duration<double>(clock_type::now() - t0).count(); }

// Applies (and for weight mutants reverts) every spec once; returns the number applied.
size_t pass(mutiny::Graph& g, const std::vector<mutiny::MutantSpec>& specs, bool weights) {
    size_t n = 0;
    for (const auto& s : specs) {
        const mutiny::Mutation m = mutiny::apply_mutant(g, s);
        if (weights) {
            mutiny::apply_weights(g, m);
            mutiny::revert_weights(g, m);
        }
        ++n;
    }
    return n;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> models;
    long iters = 5, max_mutants = 2000;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&] { return std::strtol(bench::option_value(argc, argv, i, "bench_mutate").c_str(), nullptr, 10); };
        if (a == "--help") {
            std::fprintf(stderr, "usage: bench_mutate [MODEL...] [--iters I] [--max M]\n");
            return 2;
        } else if (a == "--iters") iters = std::max(1L, next());
        else if (a == "--max") max_mutants = std::max(1L, next());
        else if (a.rfind("--", 0) == 0) { std::fprintf(stderr, "bench_mutate: unknown option %s\n", a.c_str()); return 2; }
        else models.push_back(a);
    }
    if (models.empty()) models = {"models/fashion_lenet5.onnx", "../shared/data/onnx/light/light_resnet50.onnx"};
    std::printf("# mutiny %s | %s | %u hw threads | single thread | passes %ld, at most %ld mutants per family\n",
                mutiny::version_string(), bench::cpu_model().c_str(), std::thread::hardware_concurrency(), iters, max_mutants);
    std::printf("%-28s %-7s %9s %9s %14s %14s %14s\n", "model", "family", "listed", "timed", "median /s", "min /s", "max /s");
    try {
        for (const std::string& path : models) {
            mutiny::Graph g = mutiny::load_model(path);
            const std::string name = path.substr(path.find_last_of('/') + 1);
            for (const char* family : {"graph", "kernel", "neuron"}) {
                mutiny::EnumerateOptions opt;
                opt.ops = {family};
                const auto t0 = clock_type::now();
                const auto ms = mutiny::enumerate_mutants(g, opt);
                const double enum_s = seconds_since(t0);
                std::vector<mutiny::MutantSpec> all;
                for (const auto& m : ms)
                    if (m.status == mutiny::MutantStatus::ok || m.status == mutiny::MutantStatus::equivalent) all.push_back(m.spec);
                // An even sample over the list, so every operator and layer is represented.
                std::vector<mutiny::MutantSpec> specs;
                const size_t take = std::min(all.size(), static_cast<size_t>(max_mutants));
                for (size_t k = 0; k < take; ++k) specs.push_back(all[k * all.size() / take]);
                const bool weights = std::strcmp(family, "neuron") == 0;
                pass(g, specs, weights);  // warm-up
                std::vector<double> rate;
                for (long it = 0; it < iters; ++it) {
                    const auto t1 = clock_type::now();
                    const size_t n = pass(g, specs, weights);
                    rate.push_back(static_cast<double>(n) / seconds_since(t1));
                }
                std::sort(rate.begin(), rate.end());
                std::printf("%-28s %-7s %9zu %9zu %14.0f %14.0f %14.0f   (enumeration %.3f s)\n", name.c_str(), family, ms.size(), specs.size(),
                            rate[rate.size() / 2], rate.front(), rate.back(), enum_s);
                std::fflush(stdout);
            }
        }
    } catch (const mutiny::Error& e) {
        std::fprintf(stderr, "bench_mutate: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
