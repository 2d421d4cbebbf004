// mutiny tune: searches the tile parameters of the OpenCL GEMM (Gemm, MatMul, Conv) on one device
// per shape class and writes them to the tuner cache the OpenCL executor reads
// (include/mutiny/exec/opencl/tuner.hpp, gemm_tuning.hpp).
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <mutiny/core/error.hpp>
#include <mutiny/exec/opencl/opencl.hpp>

#include "args.hpp"
#include "commands.hpp"

namespace cli {

int cmd_tune(int argc, char** argv) {
    Args a(argc, argv, 2, {"device", "shapes", "params", "cache", "reps"}, {"help"});
    if (a.has("help")) {
        std::cout << "usage: mutiny tune [--device opencl[:N|:NAME]] [--shapes MxNxK,...] [--params LIST] [--cache DIR] [--reps N]\n"
                     "Times tile parameter sets of the OpenCL GEMM kernel (Gemm, MatMul and Conv run on it) on one device\n"
                     "and writes the fastest per shape class (narrow: M <= 16; small: M*N*K <= 2^24; large) to the tuner\n"
                     "cache, which the OpenCL executor reads (without one it uses defaults). Every parameter set computes\n"
                     "the same bits: tuning changes speed only. A set that fails to build or run is skipped and reported.\n"
                     "  --device D     opencl (default: MUTINY_OPENCL_DEVICE, else device 0), opencl:N or opencl:NAME\n"
                     "  --shapes LIST  products to time (default 8x1000x2048,256x196x2304,64x3136x576: one per class)\n"
                     "  --params LIST  time these sets (TMxTNxTK/WMxWN/VW/l|g: work-group tile, work-group shape, vector\n"
                     "                 width, operands through local (l) or from global memory (g); e.g. 32x32x16/8x8/4/l)\n"
                     "                 besides the defaults, instead of the built-in candidates\n"
                     "  --cache DIR    the cache folder (default: MUTINY_OPENCL_CACHE, else $XDG_CACHE_HOME/mutiny/opencl,\n"
                     "                 else ~/.cache/mutiny/opencl); the file is named after the device\n"
                     "  --reps N       timed runs per set and shape, the median counts (default 5, 1..100)\n";
        return 0;
    }
    if (!a.positionals().empty()) throw UsageError("tune takes no positional arguments, got '" + a.positionals()[0] + "'");
#if MUTINY_WITH_OPENCL
    namespace ocl = mutiny::opencl;
    const std::string spec = a.get("device", "opencl");
    if (spec != "opencl" && spec.rfind("opencl:", 0) != 0) throw UsageError("--device must be opencl[:N|:NAME], got '" + spec + "'");
    if (spec == "opencl:") throw UsageError("--device opencl: needs a device index or name");
    std::vector<ocl::GemmShape> shapes;
    std::string why;
    for (const auto& s : split_list(a.get("shapes"))) {
        ocl::GemmShape g;
        if (!ocl::GemmShape::parse(s, g, why)) throw UsageError("--shapes: " + why);
        shapes.push_back(g);
    }
    if (a.has("shapes") && shapes.empty()) throw UsageError("--shapes is empty");
    if (shapes.empty()) shapes = ocl::default_tune_shapes();
    std::vector<ocl::GemmParams> params;
    for (const auto& s : split_list(a.get("params"))) {
        ocl::GemmParams p;
        if (!ocl::GemmParams::parse(s, p, why)) throw UsageError("--params: " + why);
        params.push_back(p);
    }
    if (a.has("params") && params.empty()) throw UsageError("--params is empty");
    const int reps = static_cast<int>(a.get_int("reps", 5, 1, 100));
    const std::string dir = ocl::tune_cache_dir(a.get("cache"));
    if (dir.empty()) throw UsageError("no cache folder: pass --cache DIR (neither MUTINY_OPENCL_CACHE, XDG_CACHE_HOME nor HOME is set)");

    const ocl::DeviceInfo dev = ocl::select_device(spec == "opencl" ? "" : spec.substr(7));
    auto ctx = ocl::device_context(dev);
    std::printf("device: %s, %s, driver %s\n", dev.label().c_str(), dev.vendor.c_str(), dev.driver_version.c_str());
    const std::string hash = ocl::gemm_source_hash();
    const ocl::TuneCacheRead old = ocl::read_tune_cache(dir, dev, hash);
    if (!old.message.empty()) std::fprintf(stderr, "mutiny tune: %s\n", old.message.c_str());

    const auto results = ocl::tune_gemm(*ctx, shapes, params, reps, [](const std::string& line) { std::fprintf(stderr, "  %s\n", line.c_str()); });
    for (const auto& r : results) {
        const ocl::TuneTrial* best = nullptr;
        int skipped = 0;
        for (const auto& t : r.trials) {
            if (t.ms < 0) ++skipped;
            else if (!best || t.ms < best->ms) best = &t;
        }
        const ocl::TuneTrial& def = r.trials.front();
        auto rate = [&](const ocl::TuneTrial& t) {
            char b[64];
            std::snprintf(b, sizeof b, "%.2f GFLOP/s", r.shape.flops() / (t.ms * 1e6));
            return std::string(b);
        };
        if (best)
            std::printf("%s (%s): best %s at %s; default %s %s; %d of %zu sets skipped\n", r.shape.str().c_str(), r.cls.c_str(),
                        best->params.str().c_str(), rate(*best).c_str(), def.params.str().c_str(),
                        def.ms < 0 ? "skipped" : ("at " + rate(def)).c_str(), skipped, r.trials.size());
        for (const auto& t : r.trials)
            if (t.ms < 0) std::printf("  skipped %s on %s: %s\n", t.params.str().c_str(), r.shape.str().c_str(), t.skip.c_str());
        if (!best) throw mutiny::Error("no parameter set ran", "shape " + r.shape.str() + " on " + dev.label(), "every set was skipped (listed above)");
    }
    ocl::TuneCache cache = old.cache;
    for (const auto& kv : ocl::best_per_class(results)) cache.gemm[kv.first] = kv.second;
    const std::string file = ocl::write_tune_cache(dir, dev, hash, cache);
    for (const auto& kv : cache.gemm) std::printf("class %s: %s\n", kv.first.c_str(), kv.second.str().c_str());
    std::printf("wrote %s\n", file.c_str());
    return 0;
#else
    throw mutiny::Error("no OpenCL backend in this build", "mutiny tune", "rebuild with -DMUTINY_WITH_OPENCL=ON");
#endif
}

}  // namespace cli
