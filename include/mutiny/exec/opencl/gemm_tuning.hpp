// The tile parameters of the tiled GEMM (kernels/gemm.cl) and the tuner cache that holds the best
// ones per device and shape class: the parameters, their -D options and checks against a device,
// the defaults used without tuning, and the cache file `mutiny tune` writes and executors read.
//
// The cache is a text file per device in the cache folder (beside the program binaries):
//   mutiny-tune-<hash of platform and device name>.txt
//   format 1
//   device NAME / vendor VENDOR / driver VERSION / source HASH   (one per line: the key)
//   gemm CLASS TMxTNxTK/WMxWN/VW/l|g                              (one line per shape class)
// A cache whose key differs from the running device, driver or kernel source (another machine's
// file, a driver upgrade, a new Mutiny) is ignored with a note; a cache that does not parse is
// ignored with a warning naming the file and line. Either way the defaults apply and nothing else
// changes: every tile shape computes the same bits, so the cache only ever changes speed.
#ifndef MUTINY_EXEC_OPENCL_GEMM_TUNING_HPP_
#define MUTINY_EXEC_OPENCL_GEMM_TUNING_HPP_

#if MUTINY_WITH_OPENCL

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "device.hpp"

namespace mutiny {
namespace opencl {

struct GemmParams {
    int tm = 32, tn = 32, tk = 16;  // work-group tile: outputs (tm x tn), k step
    int wm = 8, wn = 8;             // work-group shape (wn x wm work-items)
    int vw = 4;                     // vector width of the operand loads
    bool local = true;              // tiles through local memory (l), or operands straight from global memory (g)

    // "TMxTNxTK/WMxWN/VW/l|g", the form of the cache and of `mutiny tune --params`.
    std::string str() const {
        return std::to_string(tm) + "x" + std::to_string(tn) + "x" + std::to_string(tk) + "/" + std::to_string(wm) + "x" +
               std::to_string(wn) + "/" + std::to_string(vw) + (local ? "/l" : "/g");
    }
    std::string options() const {
        return " -DMUTINY_GEMM_TM=" + std::to_string(tm) + " -DMUTINY_GEMM_TN=" + std::to_string(tn) +
               " -DMUTINY_GEMM_TK=" + std::to_string(tk) + " -DMUTINY_GEMM_WM=" + std::to_string(wm) +
               " -DMUTINY_GEMM_WN=" + std::to_string(wn) + " -DMUTINY_GEMM_VW=" + std::to_string(vw) +
               " -DMUTINY_GEMM_LOCAL=" + (local ? "1" : "0");
    }
    bool operator==(const GemmParams& o) const {
        return std::tie(tm, tn, tk, wm, wn, vw, local) == std::tie(o.tm, o.tn, o.tk, o.wm, o.wn, o.vw, o.local);
    }

    // Parses str()'s form; false (and `why`) when `s` is not six positive numbers in that form.
    static bool parse(const std::string& s, GemmParams& p, std::string& why) {
        int v[6];
        char sep[5];
        int used = 0;
        if (std::sscanf(s.c_str(), "%d%c%d%c%d%c%d%c%d%c%d%n", &v[0], &sep[0], &v[1], &sep[1], &v[2], &sep[2], &v[3], &sep[3],
                        &v[4], &sep[4], &v[5], &used) != 11 ||
            static_cast<size_t>(used) + 2 != s.size() || sep[0] != 'x' || sep[1] != 'x' || sep[2] != '/' || sep[3] != 'x' ||
            sep[4] != '/' || s[static_cast<size_t>(used)] != '/' || (s.back() != 'l' && s.back() != 'g')) {
            why = "'" + s + "' is not TMxTNxTK/WMxWN/VW/l|g (e.g. 32x32x16/8x8/4/l)";
            return false;
        }
        for (int x : v)
            if (x < 1 || x > 1024) {
                why = "'" + s + "' has a value outside 1..1024";
                return false;
            }
        p = GemmParams{v[0], v[1], v[2], v[3], v[4], v[5], s.back() == 'l'};
        return true;
    }

    // Why this set cannot run on `d` with elements of `elem_bytes` ("" when it can): the host's
    // share of the checks (work-group and local-memory limits); the kernel's #errors are the rest.
    std::string unfit(const DeviceInfo& d, size_t elem_bytes) const {
        if (tm % wm || tn % wn) return "the work-group shape " + std::to_string(wm) + "x" + std::to_string(wn) + " does not divide the tile";
        if (d.max_work_group && static_cast<size_t>(wm) * static_cast<size_t>(wn) > d.max_work_group)
            return std::to_string(wm * wn) + " work-items per group, the device allows " + std::to_string(d.max_work_group);
        const uint64_t local = static_cast<uint64_t>(tk) * static_cast<uint64_t>(tm + tn) * elem_bytes;
        if (this->local && d.local_mem && local > d.local_mem)
            return std::to_string(local) + " bytes of local memory, the device has " + std::to_string(d.local_mem);
        return "";
    }
};

// The shape classes parameters are tuned for: products with few rows (a batch through a fully
// connected layer), small products, and large ones (convolutions as GEMM, big matrices).
inline std::string gemm_shape_class(int64_t M, int64_t N, int64_t K) {
    if (M <= 16) return "narrow";
    if (static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K) <= 16777216.0) return "small";
    return "large";
}
inline const std::vector<std::string>& gemm_shape_classes() {
    static const std::vector<std::string> c{"narrow", "small", "large"};
    return c;
}

// The parameters without tuning: on CPUs register tiles of 8x8 behind 8x8 work-items reading
// global memory (PoCL runs a work-group without barriers as loops the compiler vectorises, and
// the caches tile; `mutiny tune` on PoCL 3.1 / AVX-512 picked 64x64x16/8x8/4/g for the small and
// large classes, 2x the 4x4 tiles' GFLOP/s), on GPUs 16x16 work-items tiling through local
// memory; narrow products keep the tile's rows few so the work-items are not spent on rows that
// do not exist.
inline GemmParams default_gemm_params(const DeviceInfo& d, const std::string& cls) {
    const bool gpu = d.type == "gpu";
    if (cls == "narrow") return gpu ? GemmParams{4, 128, 16, 1, 64, 4, true} : GemmParams{4, 128, 16, 1, 32, 4, false};
    return gpu ? GemmParams{64, 64, 16, 16, 16, 4, true} : GemmParams{64, 64, 16, 8, 8, 4, false};
}

// The hash of the GEMM program's source: a cache tuned for other kernels is not used.
inline std::string gemm_source_hash() { return hex64(fnv1a(program_source("gemm"))); }

struct TuneCache {
    std::map<std::string, GemmParams> gemm;  // shape class -> parameters
};

// The key lines a cache for `d` carries (the device, its driver, the kernel source).
inline std::vector<std::pair<std::string, std::string>> tune_cache_key(const DeviceInfo& d, const std::string& source_hash) {
    return {{"device", d.name}, {"vendor", d.vendor}, {"driver", d.driver_version}, {"source", source_hash}};
}

inline std::filesystem::path tune_cache_file(const std::string& dir, const DeviceInfo& d) {
    return std::filesystem::path(dir) / ("mutiny-tune-" + hex64(fnv1a(d.platform_name + "\n" + d.name)) + ".txt");
}

// The cache folder: `dir` when given (the executor's binary_cache_dir), else MUTINY_OPENCL_CACHE,
// else $XDG_CACHE_HOME/mutiny/opencl, else $HOME/.cache/mutiny/opencl ("" when none is set).
inline std::string tune_cache_dir(const std::string& dir = "") {
    if (!dir.empty()) return dir;
    if (const char* e = std::getenv("MUTINY_OPENCL_CACHE"); e && *e) return e;
    if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return (std::filesystem::path(x) / "mutiny" / "opencl").string();
    if (const char* h = std::getenv("HOME"); h && *h) return (std::filesystem::path(h) / ".cache" / "mutiny" / "opencl").string();
    return "";
}

struct TuneCacheRead {
    TuneCache cache;      // empty unless used
    bool found = false;   // the file exists
    bool used = false;    // it matched the device and parsed
    std::string message;  // why not used: "note: ..." (another device/driver/source) or "warning: ..." (corrupt)
};

// Reads the cache for `d` in `dir`.
inline TuneCacheRead read_tune_cache(const std::string& dir, const DeviceInfo& d, const std::string& source_hash) {
    TuneCacheRead r;
    if (dir.empty()) return r;
    const auto file = tune_cache_file(dir, d);
    std::ifstream f(file);
    if (!f) return r;
    r.found = true;
    const auto want = tune_cache_key(d, source_hash);
    std::map<std::string, std::string> key;
    TuneCache c;
    std::string line;
    int no = 0;
    auto corrupt = [&](const std::string& why) {
        r.message = "warning: tuner cache " + file.string() + " line " + std::to_string(no) + ": " + why +
                    "; ignored, the default GEMM parameters apply (mutiny tune rewrites it)";
        return r;
    };
    bool format = false;
    while (std::getline(f, line)) {
        ++no;
        if (line.empty() || line[0] == '#') continue;
        const auto sp = line.find(' ');
        const std::string k = line.substr(0, sp), v = sp == std::string::npos ? "" : line.substr(sp + 1);
        if (!format) {
            if (k != "format" || v != "1") return corrupt("expected 'format 1', found '" + line + "'");
            format = true;
        } else if (k == "gemm") {
            const auto sp2 = v.find(' ');
            const std::string cls = v.substr(0, sp2);
            bool known = false;
            for (const auto& kc : gemm_shape_classes()) known = known || kc == cls;
            if (!known) return corrupt("unknown shape class '" + cls + "'");
            std::string why;
            GemmParams p;
            if (sp2 == std::string::npos || !GemmParams::parse(v.substr(sp2 + 1), p, why)) return corrupt(why.empty() ? "no parameters" : why);
            c.gemm[cls] = p;
        } else if (k == "device" || k == "vendor" || k == "driver" || k == "source") {
            key[k] = v;
        } else {
            return corrupt("unknown entry '" + k + "'");
        }
    }
    if (!format) return corrupt("empty file");
    for (const auto& kv : want) {
        auto it = key.find(kv.first);
        if (it == key.end()) return corrupt("no '" + kv.first + "' line");
        if (it->second != kv.second) {
            r.message = "note: tuner cache " + file.string() + " was made for " + kv.first + " '" + it->second + "', this is '" +
                        kv.second + "'; ignored, the default GEMM parameters apply (run mutiny tune)";
            return r;
        }
    }
    r.used = true;
    r.cache = std::move(c);
    return r;
}

// Writes the cache for `d` (replacing the file atomically: a concurrent reader sees the old or the new one).
inline std::string write_tune_cache(const std::string& dir, const DeviceInfo& d, const std::string& source_hash, const TuneCache& c) {
    const auto file = tune_cache_file(dir, d);
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    std::ostringstream s;
    s << "# mutiny OpenCL tuner cache (written by mutiny tune): tiled GEMM parameters per shape class\nformat 1\n";
    for (const auto& kv : tune_cache_key(d, source_hash)) s << kv.first << " " << kv.second << "\n";
    for (const auto& kv : c.gemm) s << "gemm " << kv.first << " " << kv.second.str() << "\n";
    const auto tmp = file.string() + ".tmp";
    {
        std::ofstream o(tmp);
        o << s.str();
        if (!o) throw Error("cannot write the tuner cache", tmp, "the folder is not writable or the disk is full");
    }
    std::filesystem::rename(tmp, file, ec);
    if (ec) throw Error("cannot write the tuner cache", file.string(), ec.message());
    return file.string();
}

// The parameters an executor uses for an M x N x K product of `elem_bytes` elements on `d`: the
// cached ones for its shape class when the cache in tune_cache_dir(dir) matches the device and
// they fit, else the defaults. The cache is read once per (device, folder); its note or warning
// goes to stderr once.
inline GemmParams gemm_params(const DeviceInfo& d, const std::string& dir, int64_t M, int64_t N, int64_t K, size_t elem_bytes) {
    static std::mutex mu;
    static std::map<std::pair<cl_device_id, std::string>, TuneCache> read;
    const std::string folder = tune_cache_dir(dir);
    TuneCache cache;
    {
        std::lock_guard<std::mutex> lock(mu);
        auto it = read.find({d.id, folder});
        if (it == read.end()) {
            TuneCacheRead r = read_tune_cache(folder, d, gemm_source_hash());
            if (!r.message.empty()) std::fprintf(stderr, "mutiny: %s\n", r.message.c_str());
            it = read.emplace(std::make_pair(d.id, folder), r.cache).first;
        }
        cache = it->second;
    }
    const std::string cls = gemm_shape_class(M, N, K);
    auto it = cache.gemm.find(cls);
    if (it != cache.gemm.end() && it->second.unfit(d, elem_bytes).empty()) return it->second;
    GemmParams p = default_gemm_params(d, cls);
    // A device smaller than the defaults assume (few work-items or little local memory).
    if (!p.unfit(d, elem_bytes).empty()) p = GemmParams{8, 8, 8, 2, 2, 1, false};
    return p;
}

}  // namespace opencl
}  // namespace mutiny

#endif  // MUTINY_WITH_OPENCL
#endif  // MUTINY_EXEC_OPENCL_GEMM_TUNING_HPP_
