// mutiny devices: the CPU's instruction-set level the kernels run at, and the OpenCL platforms and
// devices `--device opencl:N|NAME` can select.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <iostream>

#include <mutiny/core/error.hpp>
#include <mutiny/exec/opencl/opencl.hpp>
#include <mutiny/ops/isa/dispatch.hpp>

#include "args.hpp"
#include "commands.hpp"

namespace cli {

int cmd_devices(int argc, char** argv) {
    Args a(argc, argv, 2, {}, {"help"});
    if (a.has("help")) {
        std::cout << "usage: mutiny devices\n"
                     "Prints the instruction-set level the CPU kernels run at (the best this CPU has; the MUTINY_ISA\n"
                     "environment variable forces one of those listed: results are the same bits on every level)\n"
                     "and lists the OpenCL platforms and devices; `mutiny eval|run --device opencl:N` selects device N\n"
                     "(or opencl:NAME, a case-insensitive substring of platform, device or vendor name; the\n"
                     "MUTINY_OPENCL_DEVICE environment variable applies when --device opencl names none).\n";
        return 0;
    }
    if (!a.positionals().empty()) throw UsageError("devices takes no arguments");
    std::string levels;
    for (const auto l : mutiny::isa::supported()) levels += (levels.empty() ? "" : ", ") + std::string(mutiny::isa::name(l));
    const char* forced = std::getenv("MUTINY_ISA");
    std::printf("cpu: instruction set %s (%s; this CPU runs %s)\n", mutiny::isa::name(mutiny::isa::active()),
                forced && *forced ? "forced by MUTINY_ISA" : "the best it has", levels.c_str());
#if MUTINY_WITH_OPENCL
    const auto devs = mutiny::opencl::list_devices();
    int platform = -1;
    for (const auto& d : devs) {
        if (d.platform_index != platform) {
            platform = d.platform_index;
            std::printf("platform %d: %s (%s)\n", platform, d.platform_name.c_str(), d.platform_version.c_str());
        }
        std::printf("  device %d: %s [%s] %s, driver %s, %s\n", d.index, d.name.c_str(), d.type.c_str(), d.version.c_str(),
                    d.driver_version.c_str(), d.opencl_c_version.c_str());
        std::printf("    %u compute units, %.1f GiB global memory, %.1f GiB max buffer, fp64 %s, fp16 %s\n", d.compute_units,
                    static_cast<double>(d.global_mem) / (1u << 30), static_cast<double>(d.max_alloc) / (1u << 30),
                    d.fp64 ? "yes" : "no", d.fp16 ? "yes" : "no");
    }
    if (devs.empty()) std::printf("no OpenCL devices\n");
    return 0;
#else
    std::printf("no OpenCL backend in this build (rebuild with -DMUTINY_WITH_OPENCL=ON)\n");
    return 0;
#endif
}

}  // namespace cli
