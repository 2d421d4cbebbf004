// Mutiny's OpenCL SGEMM (kernels/gemm.cl with the tuner cache's parameters, else the defaults)
// against CLBlast's SGEMM on the same device, buffers and queue: GFLOP/s of each and the ratio,
// per shape. Default shapes: ResNet-50's convolutions as GEMM at batch 1 (M = output channels,
// N = output positions, K = input channels x kernel taps) and its classifier, then square 256..2048.
// Without CLBlast (Debian libclblast-dev) at build time only Mutiny's column is printed.
//
//   bench_opencl_gemm [--device D] [--shapes MxNxK,...] [--warmup W] [--iters I]
//
// Each cell is the median of I timed runs after W warm-up runs, each run waited for (clFinish);
// the spread is (max - min) / median. The results of the two are compared (max relative
// difference) so a fast wrong kernel shows.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <mutiny/mutiny.hpp>

#include "bench_common.hpp"

#if MUTINY_WITH_OPENCL && MUTINY_WITH_CLBLAST
#include <clblast_c.h>
#endif

int main(int argc, char** argv) {
#if MUTINY_WITH_OPENCL
    namespace ocl = mutiny::opencl;
    std::string device, shapes_arg;
    int warmup = 2, iters = 7;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&] { return bench::option_value(argc, argv, i, "bench_opencl_gemm"); };
        if (a == "--help") {
            std::printf("usage: bench_opencl_gemm [--device D] [--shapes MxNxK,...] [--warmup W] [--iters I]\n");
            return 0;
        } else if (a == "--device") device = next();
        else if (a == "--shapes") shapes_arg = next();
        else if (a == "--warmup") warmup = std::atoi(next().c_str());
        else if (a == "--iters") iters = std::max(1, std::atoi(next().c_str()));
        else {
            std::fprintf(stderr, "bench_opencl_gemm: unknown argument %s\n", a.c_str());
            return 2;
        }
    }
    std::vector<ocl::GemmShape> shapes;
    if (shapes_arg.empty()) {
        shapes = {{64, 12544, 147}, {64, 3136, 64},   {64, 3136, 576},  {256, 3136, 64},  {128, 3136, 256}, {128, 784, 1152},
                  {512, 784, 128},  {256, 784, 512},  {256, 196, 2304}, {1024, 196, 256}, {512, 196, 1024}, {512, 49, 4608},
                  {2048, 49, 512},  {1, 1000, 2048},  {256, 256, 256},  {512, 512, 512},  {1024, 1024, 1024}, {2048, 2048, 2048}};
    } else {
        size_t start = 0;
        while (start <= shapes_arg.size()) {
            const size_t end = std::min(shapes_arg.find(',', start), shapes_arg.size());
            ocl::GemmShape g;
            std::string why;
            if (!ocl::GemmShape::parse(shapes_arg.substr(start, end - start), g, why)) {
                std::fprintf(stderr, "bench_opencl_gemm: --shapes: %s\n", why.c_str());
                return 2;
            }
            shapes.push_back(g);
            start = end + 1;
        }
    }
    try {
        const ocl::DeviceInfo dev = ocl::select_device(device);
        auto ctx = ocl::device_context(dev);
        double load[3] = {0, 0, 0};
        std::ifstream("/proc/loadavg") >> load[0] >> load[1] >> load[2];
        std::printf("# device: %s, %s, driver %s, %u compute units\n", dev.label().c_str(), dev.vendor.c_str(),
                    dev.driver_version.c_str(), dev.compute_units);
        std::printf("# load average: %.2f %.2f %.2f; %d warm-up + %d timed runs per cell (median, spread = (max-min)/median)\n",
                    load[0], load[1], load[2], warmup, iters);
#if MUTINY_WITH_CLBLAST
        std::printf("# CLBlast: SGEMM, row-major, no transposes, on the same buffers and queue\n");
#else
        std::printf("# CLBlast: not built in (install libclblast-dev and reconfigure)\n");
#endif
        std::printf("%-18s %-7s %-22s %14s %7s %14s %7s %7s %9s\n", "shape MxNxK", "class", "mutiny params", "mutiny GFLOP/s",
                    "spread", "clblast GFLOP/s", "spread", "ratio", "max rel");
        for (const auto& s : shapes) {
            const std::string cls = ocl::gemm_shape_class(s.M, s.N, s.K);
            const ocl::GemmParams p = ocl::gemm_params(dev, "", s.M, s.N, s.K, 4);
            ocl::GemmTiming t(*ctx, s);
            t.use(p);
            const auto ms = t.times_ms(warmup, iters);
            const double med = ms[ms.size() / 2];
            const double gf = s.flops() / (med * 1e6);
            const std::vector<float> ours = t.result();
            std::printf("%-18s %-7s %-22s %14.2f %6.0f%%", s.str().c_str(), cls.c_str(), p.str().c_str(), gf,
                        100.0 * (ms.back() - ms.front()) / med);
#if MUTINY_WITH_CLBLAST
            cl_command_queue q = t.queue();
            const auto sgemm = [&] {
                const CLBlastStatusCode st =
                    CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeNo, static_cast<size_t>(s.M),
                                 static_cast<size_t>(s.N), static_cast<size_t>(s.K), 1.0f, t.a(), 0, static_cast<size_t>(s.K), t.b(), 0,
                                 static_cast<size_t>(s.N), 0.0f, t.y(), 0, static_cast<size_t>(s.N), &q, nullptr);
                if (st != CLBlastSuccess) throw mutiny::Error("CLBlastSgemm failed", s.str(), "status " + std::to_string(st));
                ocl::check(clFinish(q), "clFinish", dev.label());
            };
            const auto cms = t.times_ms(warmup, iters, sgemm);
            const double cmed = cms[cms.size() / 2];
            const double cgf = s.flops() / (cmed * 1e6);
            const std::vector<float> theirs = t.result();
            double rel = 0;
            for (size_t i = 0; i < ours.size(); ++i)
                rel = std::max(rel, std::fabs(static_cast<double>(ours[i]) - theirs[i]) / std::max(1e-3, std::fabs(static_cast<double>(theirs[i]))));
            std::printf(" %14.2f %6.0f%% %7.2f %9.2e\n", cgf, 100.0 * (cms.back() - cms.front()) / cmed, gf / cgf, rel);
#else
            std::printf(" %14s %7s %7s %9s\n", "-", "-", "-", "-");
#endif
            std::fflush(stdout);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_opencl_gemm: %s\n", e.what());
        return 1;
    }
    return 0;
#else
    (void)argc;
    (void)argv;
    std::printf("bench_opencl_gemm: built without MUTINY_WITH_OPENCL\n");
    return 0;
#endif
}
