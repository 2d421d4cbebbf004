// OpenCL executor vs CPU executor, per model: median inference time of one batch on each, and the
// OpenCL program build time first (in-process cache cleared, empty binary cache), from the
// in-process cache, and from the on-disk binary cache. The same program runs unchanged on any
// OpenCL device (--device N|NAME, else MUTINY_OPENCL_DEVICE, else device 0).
//
//   bench_opencl [MODEL.onnx ...] [--device D] [--batch N] [--threads T] [--warmup W] [--iters I]
//
// Without models it runs models/*.onnx (from the current directory) and the models in
// ../shared/data/models. PoCL keeps its own kernel cache (~/.cache/pocl); set POCL_KERNEL_CACHE=0
// to measure builds without it.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <mutiny/mutiny.hpp>

#include "bench_common.hpp"

#if MUTINY_WITH_OPENCL
namespace {

namespace fs = std::filesystem;
using clk = std::chrono::steady_clock;

double ms_since(clk::time_point t0) { return std::chrono::duration<double, std::milli>(clk::now() - t0).count(); }

template <class F>
double median_ms(long warmup, long iters, F f) {
    for (long i = 0; i < warmup; ++i) f();
    std::vector<double> ms;
    for (long i = 0; i < iters; ++i) {
        const auto t0 = clk::now();
        f();
        ms.push_back(ms_since(t0));
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

}  // namespace
#endif

int main(int argc, char** argv) {
#if MUTINY_WITH_OPENCL
    std::vector<std::string> models;
    std::string device;
    long batch = 8, threads = 2, warmup = 2, iters = 10;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&] { return bench::option_value(argc, argv, i, "bench_opencl"); };
        if (a == "--help") {
            std::printf("usage: bench_opencl [MODEL ...] [--device D] [--batch N] [--threads T] [--warmup W] [--iters I]\n");
            return 0;
        } else if (a == "--device") device = next();
        else if (a == "--batch") batch = std::strtol(next().c_str(), nullptr, 10);
        else if (a == "--threads") threads = std::strtol(next().c_str(), nullptr, 10);
        else if (a == "--warmup") warmup = std::strtol(next().c_str(), nullptr, 10);
        else if (a == "--iters") iters = std::strtol(next().c_str(), nullptr, 10);
        else if (a.rfind("--", 0) == 0) {
            std::fprintf(stderr, "bench_opencl: unknown option %s\n", a.c_str());
            return 2;
        } else models.push_back(a);
    }
    if (models.empty()) {
        for (const fs::path& dir : {fs::path("models"), fs::path("../shared/data/models")})
            if (fs::exists(dir))
                for (const auto& e : fs::recursive_directory_iterator(dir))
                    if (e.path().extension() == ".onnx") models.push_back(e.path().string());
        std::sort(models.begin(), models.end());
    }
    try {
        const mutiny::opencl::DeviceInfo dev = mutiny::opencl::select_device(device);
        auto ctx = mutiny::opencl::device_context(dev);
        const fs::path cache = fs::temp_directory_path() / ("mutiny-bench-opencl-" + std::to_string(::getpid()));
        std::printf("# mutiny %s | OpenCL device %d: %s (%s, driver %s) | CPU executor %ld threads | batch %ld | median of %ld\n",
                    mutiny::version_string(), dev.index, dev.name.c_str(), dev.platform_name.c_str(), dev.driver_version.c_str(), threads,
                    batch, iters);
        std::printf("%-28s %6s %10s %10s %8s %12s %11s %11s %10s %9s\n", "model", "batch", "cpu_ms", "opencl_ms", "ratio",
                    "build_first", "build_mem", "build_disk", "first_run", "fallback");
        for (const auto& path : models) {
            const mutiny::Graph g = mutiny::load_model(path);
            bool batched = false;
            for (int id : g.inputs)
                for (auto d : g.value(id).shape) batched = batched || d < 0;
            const int64_t b = batched ? batch : 1;
            std::vector<mutiny::Tensor> in;
            uint32_t s = 42;
            for (int id : g.inputs) {
                mutiny::Shape sh = g.value(id).shape;
                for (auto& d : sh.dims())
                    if (d < 0) d = b;
                mutiny::Tensor t(mutiny::DType::f32, sh);
                for (int64_t k = 0; k < t.numel(); ++k) {
                    s = s * 1664525u + 1013904223u;
                    t.data<float>()[k] = static_cast<float>(s >> 8) / 16777216.0f;
                }
                in.push_back(t);
            }
            mutiny::CpuOptions co;
            co.threads = static_cast<int>(threads);
            mutiny::CpuExecutor cpu(g, co);
            const double cpu_ms = median_ms(warmup, iters, [&] { cpu.run(in); });

            mutiny::OpenClOptions oo;
            oo.device = std::to_string(dev.index);
            oo.binary_cache_dir = cache.string();
            // First build: nothing cached in the process, an empty binary cache.
            std::error_code ec;
            fs::remove_all(cache, ec);
            ctx->clear_programs();
            auto t0 = clk::now();
            mutiny::OpenClExecutor ocl(g, oo);
            ocl.prepare(b);
            const double build_first = ms_since(t0);
            t0 = clk::now();
            ocl.run(in);
            const double first_run = ms_since(t0);
            // From the in-process cache (a second executor, e.g. another mutant of the same kernels).
            t0 = clk::now();
            {
                mutiny::OpenClExecutor again(g, oo);
                again.prepare(b);
            }
            const double build_mem = ms_since(t0);
            // From the on-disk binary cache (a new process would see this).
            ctx->clear_programs();
            t0 = clk::now();
            {
                mutiny::OpenClExecutor disk(g, oo);
                disk.prepare(b);
            }
            const double build_disk = ms_since(t0);
            const double ocl_ms = median_ms(warmup, iters, [&] { ocl.run(in); });
            std::printf("%-28s %6lld %10.3f %10.3f %8.2f %12.1f %11.1f %11.1f %10.1f %9zu\n",
                        fs::path(path).filename().string() == "model.onnx" ? fs::path(path).parent_path().filename().string().c_str()
                                                                           : fs::path(path).filename().string().c_str(),
                        static_cast<long long>(b), cpu_ms, ocl_ms, ocl_ms / cpu_ms, build_first, build_mem, build_disk, first_run,
                        ocl.fallback_nodes(b).size());
            std::fflush(stdout);
        }
        std::error_code ec;
        fs::remove_all(cache, ec);
    } catch (const mutiny::Error& e) {
        std::fprintf(stderr, "bench_opencl: error: %s\n", e.what());
        return 1;
    }
    return 0;
#else
    (void)argc;
    (void)argv;
    std::fprintf(stderr, "bench_opencl: built without MUTINY_WITH_OPENCL\n");
    return 1;
#endif
}
