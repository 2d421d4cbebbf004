// Inference latency of one model on the CPU executor: prints a header (machine, threads,
// commit), warms up, then times `--iters` runs of one batch and reports median and spread.
// tools/bench_vs_onnxruntime.py runs this side by side with ONNX Runtime on the same files.
//
//   bench_inference MODEL.onnx [--batch N] [--threads T] [--warmup W] [--iters I] [--json] [--save-io PREFIX]
//   bench_inference --isa      the instruction-set level the kernels run at (MUTINY_ISA forces one)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <mutiny/mutiny.hpp>

#include "bench_common.hpp"

int main(int argc, char** argv) {
    if (argc == 2 && std::strcmp(argv[1], "--isa") == 0) {  // the level the kernels run at (MUTINY_ISA applies)
        std::printf("%s\n", mutiny::isa::name(mutiny::isa::active()));
        return 0;
    }
    if (argc < 2 || std::strcmp(argv[1], "--help") == 0) {
        std::fprintf(stderr, "usage: bench_inference MODEL [--batch N] [--threads T] [--warmup W] [--iters I] [--json] [--save-io PREFIX]\n");
        return 2;
    }
    const std::string path = argv[1];
    long batch = 1, threads = 2, warmup = 3, iters = 20;
    bool json = false;
    std::string save_io;  // PREFIX: the first input and output as raw float32 (PREFIX.input.f32, PREFIX.output.f32)
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&] { return std::strtol(bench::option_value(argc, argv, i, "bench_inference").c_str(), nullptr, 10); };
        if (a == "--batch") batch = next();
        else if (a == "--threads") threads = next();
        else if (a == "--warmup") warmup = next();
        else if (a == "--iters") iters = next();
        else if (a == "--json") json = true;
        else if (a == "--save-io") {
            save_io = bench::option_value(argc, argv, i, "bench_inference");
        }
        else { std::fprintf(stderr, "bench_inference: unknown option %s\n", a.c_str()); return 2; }
    }
    try {
        mutiny::Graph g = mutiny::load_model(path);
        mutiny::CpuOptions opt;
        opt.threads = static_cast<int>(threads);
        mutiny::CpuExecutor ex(g, opt);
        std::vector<mutiny::Tensor> inputs;
        std::mt19937 rng(42);
        std::uniform_real_distribution<float> U(0.0f, 1.0f);
        for (int id : g.inputs) {
            mutiny::Shape s = g.value(id).shape;
            for (auto& d : s.dims()) if (d < 0) d = batch;
            mutiny::Tensor t(mutiny::DType::f32, s);
            for (int64_t k = 0; k < t.numel(); ++k) t.data<float>()[k] = U(rng);
            inputs.push_back(t);
        }
        if (!save_io.empty()) {
            // For tools/bench_vs_onnxruntime.py, which runs ONNX Runtime on the same input and
            // compares the outputs.
            const std::vector<mutiny::Tensor> out = ex.run(inputs);
            auto dump = [](const std::string& file, const mutiny::Tensor& t) {
                std::FILE* f = std::fopen(file.c_str(), "wb");
                if (!f || std::fwrite(t.raw(), 1, t.nbytes(), f) != t.nbytes() || std::fclose(f) != 0)
                    throw std::runtime_error("cannot write " + file);
            };
            dump(save_io + ".input.f32", inputs.at(0));
            dump(save_io + ".output.f32", out.at(0));
        }
        for (long i = 0; i < warmup; ++i) ex.run(inputs);
        std::vector<double> ms;
        for (long i = 0; i < iters; ++i) {
            const auto t0 = std::chrono::steady_clock::now();
            ex.run(inputs);
            ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        }
        std::sort(ms.begin(), ms.end());
        const double med = ms[ms.size() / 2];
        const double q1 = ms[ms.size() / 4], q3 = ms[(3 * ms.size()) / 4];
        if (json) {
            std::printf("{\"engine\":\"mutiny\",\"model\":\"%s\",\"batch\":%ld,\"threads\":%ld,\"isa\":\"%s\",\"median_ms\":%.4f,\"q1_ms\":%.4f,\"q3_ms\":%.4f,\"min_ms\":%.4f,\"iters\":%ld}\n",
                        path.c_str(), batch, threads, mutiny::isa::name(mutiny::isa::active()), med, q1, q3, ms.front(), iters);
        } else {
            std::printf("# mutiny %s | %s | %u hw threads | executor threads %ld | isa %s\n", mutiny::version_string(), bench::cpu_model().c_str(),
                        std::thread::hardware_concurrency(), threads, mutiny::isa::name(mutiny::isa::active()));
            std::printf("%-40s batch %3ld  median %9.3f ms  IQR [%.3f, %.3f]  min %.3f  (%ld iters)\n", path.c_str(), batch, med, q1, q3,
                        ms.front(), iters);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_inference: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
