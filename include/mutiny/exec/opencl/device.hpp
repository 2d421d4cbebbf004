// OpenCL platforms and devices: discovery, selection (index, name substring, MUTINY_OPENCL_DEVICE),
// one shared context per device, and the program cache. Programs are composed CLBlast-style from
// the embedded kernel sources (prelude + common + one op family) and cached per (device, source
// hash, build options) in the process, plus optionally on disk as binaries keyed with the driver
// version, so a kernel mutant (other -D options) is a cached rebuild. A build failure raises an
// Error carrying the build log.
#ifndef MUTINY_EXEC_OPENCL_DEVICE_HPP_
#define MUTINY_EXEC_OPENCL_DEVICE_HPP_

#if MUTINY_WITH_OPENCL

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#ifndef CL_HPP_TARGET_OPENCL_VERSION
#define CL_HPP_TARGET_OPENCL_VERSION 120
#endif
#ifndef CL_HPP_MINIMUM_OPENCL_VERSION
#define CL_HPP_MINIMUM_OPENCL_VERSION 120
#endif
#include <CL/opencl.hpp>

#include "../../core/error.hpp"
#include "../../core/hash.hpp"
#include "../../core/memory.hpp"
#include "kernels_embedded.hpp"

namespace mutiny {
namespace opencl {

// Readable name of an OpenCL error code (the common ones; others print as numbers).
inline std::string error_name(cl_int e) {
    switch (e) {
        case CL_SUCCESS: return "CL_SUCCESS";
        case CL_DEVICE_NOT_FOUND: return "CL_DEVICE_NOT_FOUND";
        case CL_DEVICE_NOT_AVAILABLE: return "CL_DEVICE_NOT_AVAILABLE";
        case CL_COMPILER_NOT_AVAILABLE: return "CL_COMPILER_NOT_AVAILABLE";
        case CL_MEM_OBJECT_ALLOCATION_FAILURE: return "CL_MEM_OBJECT_ALLOCATION_FAILURE";
        case CL_OUT_OF_RESOURCES: return "CL_OUT_OF_RESOURCES";
        case CL_OUT_OF_HOST_MEMORY: return "CL_OUT_OF_HOST_MEMORY";
        case CL_BUILD_PROGRAM_FAILURE: return "CL_BUILD_PROGRAM_FAILURE";
        case CL_INVALID_VALUE: return "CL_INVALID_VALUE";
        case CL_INVALID_PLATFORM: return "CL_INVALID_PLATFORM";
        case CL_INVALID_DEVICE: return "CL_INVALID_DEVICE";
        case CL_INVALID_BINARY: return "CL_INVALID_BINARY";
        case CL_INVALID_BUILD_OPTIONS: return "CL_INVALID_BUILD_OPTIONS";
        case CL_INVALID_KERNEL_NAME: return "CL_INVALID_KERNEL_NAME";
        case CL_INVALID_KERNEL_ARGS: return "CL_INVALID_KERNEL_ARGS";
        case CL_INVALID_ARG_SIZE: return "CL_INVALID_ARG_SIZE";
        case CL_INVALID_WORK_GROUP_SIZE: return "CL_INVALID_WORK_GROUP_SIZE";
        case CL_INVALID_GLOBAL_WORK_SIZE: return "CL_INVALID_GLOBAL_WORK_SIZE";
        case CL_INVALID_BUFFER_SIZE: return "CL_INVALID_BUFFER_SIZE";
        case CL_INVALID_MEM_OBJECT: return "CL_INVALID_MEM_OBJECT";
        case -1001: return "CL_PLATFORM_NOT_FOUND_KHR";
        default: return "OpenCL error " + std::to_string(e);
    }
}

inline bool is_out_of_memory(cl_int e) {
    return e == CL_MEM_OBJECT_ALLOCATION_FAILURE || e == CL_OUT_OF_RESOURCES || e == CL_OUT_OF_HOST_MEMORY;
}

// Throws an Error for a failed OpenCL call: what failed, where (device or node), why (the code).
inline void check(cl_int e, const std::string& what, const std::string& where) {
    if (e == CL_SUCCESS) return;
    if (is_out_of_memory(e))
        throw Error("out of device memory", where, what + " failed with " + error_name(e));
    throw Error(what + " failed", where, error_name(e));
}

struct DeviceInfo {
    int index = -1;           // position in list_devices(): what `--device opencl:N` selects
    int platform_index = -1;
    std::string platform_name, platform_version;
    std::string name, vendor, version, driver_version, opencl_c_version, extensions;
    std::string type;  // cpu, gpu, accelerator, other
    uint64_t global_mem = 0, max_alloc = 0, local_mem = 0;
    uint32_t compute_units = 0, max_clock_mhz = 0;
    size_t max_work_group = 0;
    bool fp64 = false, fp16 = false;
    // Set by MUTINY_OPENCL_MEMORY_LIMIT (apply_device_stubs): global_mem is then enforced on the
    // bytes every executor of the process allocates on this device, as a smaller device would.
    bool memory_limited = false;
    bool correctly_rounded_divide_sqrt = false;  // -cl-fp32-correctly-rounded-divide-sqrt accepted
    cl_device_id id = nullptr;
    cl_platform_id platform = nullptr;

    bool has_extension(const std::string& e) const {
        return (" " + extensions + " ").find(" " + e + " ") != std::string::npos;
    }
    // "PoCL: pthread-haswell (cpu)": how devices are named in listings and errors.
    std::string label() const { return "OpenCL device " + std::to_string(index) + " '" + name + "' (" + platform_name + ")"; }
};

inline std::string device_string(cl_device_id d, cl_device_info what) {
    size_t n = 0;
    if (clGetDeviceInfo(d, what, 0, nullptr, &n) != CL_SUCCESS || n == 0) return "";
    std::string s(n, '\0');
    clGetDeviceInfo(d, what, n, s.data(), nullptr);
    while (!s.empty() && (s.back() == '\0' || s.back() == ' ')) s.pop_back();
    return s;
}
inline std::string platform_string(cl_platform_id p, cl_platform_info what) {
    size_t n = 0;
    if (clGetPlatformInfo(p, what, 0, nullptr, &n) != CL_SUCCESS || n == 0) return "";
    std::string s(n, '\0');
    clGetPlatformInfo(p, what, n, s.data(), nullptr);
    while (!s.empty() && (s.back() == '\0' || s.back() == ' ')) s.pop_back();
    return s;
}
template <class V>
V device_value(cl_device_id d, cl_device_info what) {
    V v{};
    clGetDeviceInfo(d, what, sizeof v, &v, nullptr);
    return v;
}

// Device-query stubs, so tests (and users) can see how Mutiny behaves on a smaller or plainer
// device than the one installed: MUTINY_OPENCL_HIDE_EXTENSIONS (names separated by commas or
// spaces, e.g. cl_khr_fp64) removes extensions from every device's list, and
// MUTINY_OPENCL_MEMORY_LIMIT (a size: 64M, 1.5G) caps its global memory and largest allocation.
inline void apply_device_stubs(DeviceInfo& i) {
    if (const char* hide = std::getenv("MUTINY_OPENCL_HIDE_EXTENSIONS")) {
        std::string names = hide;
        for (char& c : names)
            if (c == ',') c = ' ';
        size_t at = 0;
        while (at < names.size()) {
            const size_t end = std::min(names.find(' ', at), names.size());
            const std::string e = names.substr(at, end - at);
            at = end + 1;
            if (e.empty()) continue;
            if (e.rfind("cl_", 0) != 0)
                throw Error("bad extension name '" + e + "'", "environment variable MUTINY_OPENCL_HIDE_EXTENSIONS",
                            "expected OpenCL extension names such as cl_khr_fp64, separated by commas");
            const std::string padded = " " + i.extensions + " ";
            const size_t pos = padded.find(" " + e + " ");
            if (pos != std::string::npos) i.extensions = padded.substr(1, pos) + padded.substr(pos + e.size() + 2);
            while (!i.extensions.empty() && i.extensions.back() == ' ') i.extensions.pop_back();
            if (e == "cl_khr_fp64") i.fp64 = false;  // also when the double config would say otherwise
            if (e == "cl_khr_fp16") i.fp16 = false;
        }
    }
    if (const char* lim = std::getenv("MUTINY_OPENCL_MEMORY_LIMIT")) {
        const uint64_t bytes = static_cast<uint64_t>(parse_memory_size(lim, "environment variable MUTINY_OPENCL_MEMORY_LIMIT"));
        i.global_mem = i.global_mem ? std::min(i.global_mem, bytes) : bytes;
        i.max_alloc = i.max_alloc ? std::min(i.max_alloc, bytes) : bytes;
        i.memory_limited = true;
    }
}

// Every device of every platform, numbered across platforms in the order the ICD loader reports.
// Throws when there is no platform at all (the reason says what to install).
inline std::vector<DeviceInfo> list_devices() {
    cl_uint np = 0;
    const cl_int e = clGetPlatformIDs(0, nullptr, &np);
    if (e == -1001 || (e == CL_SUCCESS && np == 0))
        throw Error("no OpenCL platform", "OpenCL ICD loader",
                    "no OpenCL driver is installed or visible (install one, e.g. pocl-opencl-icd for the CPU)");
    check(e, "clGetPlatformIDs", "OpenCL ICD loader");
    std::vector<cl_platform_id> ps(np);
    check(clGetPlatformIDs(np, ps.data(), nullptr), "clGetPlatformIDs", "OpenCL ICD loader");
    std::vector<DeviceInfo> out;
    for (cl_uint pi = 0; pi < np; ++pi) {
        cl_uint nd = 0;
        if (clGetDeviceIDs(ps[pi], CL_DEVICE_TYPE_ALL, 0, nullptr, &nd) != CL_SUCCESS || nd == 0) continue;
        std::vector<cl_device_id> ds(nd);
        if (clGetDeviceIDs(ps[pi], CL_DEVICE_TYPE_ALL, nd, ds.data(), nullptr) != CL_SUCCESS) continue;
        for (cl_device_id d : ds) {
            DeviceInfo i;
            i.index = static_cast<int>(out.size());
            i.platform_index = static_cast<int>(pi);
            i.platform_name = platform_string(ps[pi], CL_PLATFORM_NAME);
            i.platform_version = platform_string(ps[pi], CL_PLATFORM_VERSION);
            i.name = device_string(d, CL_DEVICE_NAME);
            i.vendor = device_string(d, CL_DEVICE_VENDOR);
            i.version = device_string(d, CL_DEVICE_VERSION);
            i.driver_version = device_string(d, CL_DRIVER_VERSION);
            i.opencl_c_version = device_string(d, CL_DEVICE_OPENCL_C_VERSION);
            i.extensions = device_string(d, CL_DEVICE_EXTENSIONS);
            const auto type = device_value<cl_device_type>(d, CL_DEVICE_TYPE);
            i.type = (type & CL_DEVICE_TYPE_GPU) ? "gpu" : (type & CL_DEVICE_TYPE_CPU) ? "cpu"
                     : (type & CL_DEVICE_TYPE_ACCELERATOR) ? "accelerator" : "other";
            i.global_mem = device_value<cl_ulong>(d, CL_DEVICE_GLOBAL_MEM_SIZE);
            i.max_alloc = device_value<cl_ulong>(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE);
            i.local_mem = device_value<cl_ulong>(d, CL_DEVICE_LOCAL_MEM_SIZE);
            i.compute_units = device_value<cl_uint>(d, CL_DEVICE_MAX_COMPUTE_UNITS);
            i.max_clock_mhz = device_value<cl_uint>(d, CL_DEVICE_MAX_CLOCK_FREQUENCY);
            i.max_work_group = device_value<size_t>(d, CL_DEVICE_MAX_WORK_GROUP_SIZE);
            i.fp64 = i.has_extension("cl_khr_fp64") || device_value<cl_device_fp_config>(d, CL_DEVICE_DOUBLE_FP_CONFIG) != 0;
            i.fp16 = i.has_extension("cl_khr_fp16");
            i.correctly_rounded_divide_sqrt =
                (device_value<cl_device_fp_config>(d, CL_DEVICE_SINGLE_FP_CONFIG) & CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) != 0;
            i.id = d;
            i.platform = ps[pi];
            apply_device_stubs(i);
            out.push_back(std::move(i));
        }
    }
    return out;
}

inline std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// Selects a device: `spec` is empty (then MUTINY_OPENCL_DEVICE, then device 0), an index into
// list_devices(), or a case-insensitive substring of "platform name device name vendor".
inline DeviceInfo select_device(std::string spec = "") {
    std::string origin = "--device";
    if (spec.empty()) {
        if (const char* env = std::getenv("MUTINY_OPENCL_DEVICE")) {
            spec = env;
            origin = "MUTINY_OPENCL_DEVICE";
        }
    }
    const auto devs = list_devices();
    auto available = [&] {
        std::string s;
        for (const auto& d : devs) s += (s.empty() ? "" : ", ") + std::to_string(d.index) + ": " + d.name + " (" + d.platform_name + ")";
        return s.empty() ? std::string("none") : s;
    };
    if (devs.empty()) throw Error("no OpenCL device", "OpenCL", "the installed platforms report no device");
    if (spec.empty()) return devs.front();
    const bool numeric = std::all_of(spec.begin(), spec.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
    if (numeric) {
        const long i = std::strtol(spec.c_str(), nullptr, 10);
        if (i < 0 || i >= static_cast<long>(devs.size()))
            throw Error("no OpenCL device " + spec, origin, "there are " + std::to_string(devs.size()) + " devices: " + available());
        return devs[static_cast<size_t>(i)];
    }
    const std::string want = lower(spec);
    for (const auto& d : devs)
        if (lower(d.platform_name + " " + d.name + " " + d.vendor).find(want) != std::string::npos) return d;
    throw Error("no OpenCL device matching '" + spec + "'", origin, "devices: " + available());
}

inline std::string hex64(uint64_t v) {
    char b[17];
    std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
    return b;
}

// Counters of the program cache (benchmarks and tests read them).
struct ProgramStats {
    int built = 0;          // compiled from source
    int from_disk = 0;      // loaded from the on-disk binary cache
    int memory_hits = 0;    // found in the in-process cache
    double build_ms = 0;    // time spent compiling or loading
};

// What the executors of a device enqueued (counted on the host as the calls are made; benchmarks,
// tests and MUTINY_OPENCL_STATS read them): kernel launches, host-to-device writes, device-to-host
// reads, device-to-device copies, and their bytes. They do not depend on load or timing.
struct TransferStats {
    uint64_t launches = 0, writes = 0, reads = 0, copies = 0;
    uint64_t bytes_written = 0, bytes_read = 0, bytes_copied = 0;
    std::string str() const {
        return std::to_string(launches) + " kernel launches, " + std::to_string(writes) + " writes (" + std::to_string(bytes_written) +
               " bytes), " + std::to_string(reads) + " reads (" + std::to_string(bytes_read) + " bytes), " + std::to_string(copies) +
               " device copies (" + std::to_string(bytes_copied) + " bytes)";
    }
};

// One context per device, shared by every executor on it, and its program cache.
class DeviceContext {
public:
    explicit DeviceContext(DeviceInfo info) : info_(std::move(info)) {
        cl_int e = CL_SUCCESS;
        cl_context_properties props[] = {CL_CONTEXT_PLATFORM, reinterpret_cast<cl_context_properties>(info_.platform), 0};
        context_ = clCreateContext(props, 1, &info_.id, nullptr, nullptr, &e);
        check(e, "clCreateContext", info_.label());
    }
    DeviceContext(const DeviceContext&) = delete;
    DeviceContext& operator=(const DeviceContext&) = delete;
    ~DeviceContext() {
        for (auto& kv : programs_) clReleaseProgram(kv.second);
        if (context_) clReleaseContext(context_);
    }

    const DeviceInfo& info() const { return info_; }
    cl_context context() const { return context_; }
    cl_device_id device() const { return info_.id; }

    // The program for (source, options): from the in-process cache, else from the binary cache in
    // `cache_dir` (when not empty), else compiled (and then stored there). The returned program is
    // owned by the cache and lives as long as this context.
    cl_program program(const std::string& source, const std::string& options, const std::string& cache_dir = "") {
        std::lock_guard<std::mutex> lock(mu_);
        const auto key = std::make_pair(fnv1a(source), options);
        auto it = programs_.find(key);
        if (it != programs_.end()) {
            ++stats_.memory_hits;
            return it->second;
        }
        const auto t0 = std::chrono::steady_clock::now();
        cl_program p = nullptr;
        std::filesystem::path file;
        if (!cache_dir.empty()) {
            // The driver version and the device are in the key: a binary never outlives its compiler.
            const std::string id = info_.platform_name + "\n" + info_.platform_version + "\n" + info_.name + "\n" +
                                   info_.driver_version + "\n" + hex64(key.first) + "\n" + options;
            file = std::filesystem::path(cache_dir) / ("mutiny-" + hex64(fnv1a(id)) + ".clbin");
            p = load_binary(file, options);
            if (p) ++stats_.from_disk;
        }
        if (!p) {
            p = build(source, options);
            ++stats_.built;
            if (!file.empty()) store_binary(p, file);
        }
        stats_.build_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        programs_[key] = p;
        return p;
    }

    // Compiles `source` with `options`; a failure throws with the build log.
    cl_program build(const std::string& source, const std::string& options) {
        cl_int e = CL_SUCCESS;
        const char* src = source.c_str();
        const size_t len = source.size();
        cl_program p = clCreateProgramWithSource(context_, 1, &src, &len, &e);
        check(e, "clCreateProgramWithSource", info_.label());
        e = clBuildProgram(p, 1, &info_.id, options.c_str(), nullptr, nullptr);
        if (e != CL_SUCCESS) {
            const std::string log = build_log(p);
            clReleaseProgram(p);
            throw Error("OpenCL program build failed", info_.label(),
                        error_name(e) + " with options '" + options + "'; build log:\n" + log);
        }
        return p;
    }

    ProgramStats stats() const {
        std::lock_guard<std::mutex> lock(mu_);
        return stats_;
    }

    // Transfer counters (TransferStats); count_* are called where the commands are enqueued.
    TransferStats transfers() const {
        std::lock_guard<std::mutex> lock(mu_);
        return transfers_;
    }
    void count_launch() {
        std::lock_guard<std::mutex> lock(mu_);
        ++transfers_.launches;
    }
    void count_write(size_t bytes) {
        std::lock_guard<std::mutex> lock(mu_);
        ++transfers_.writes;
        transfers_.bytes_written += bytes;
    }
    void count_read(size_t bytes) {
        std::lock_guard<std::mutex> lock(mu_);
        ++transfers_.reads;
        transfers_.bytes_read += bytes;
    }
    void count_copy(size_t bytes) {
        std::lock_guard<std::mutex> lock(mu_);
        ++transfers_.copies;
        transfers_.bytes_copied += bytes;
    }

    // Device memory held by the executors' buffers. Under MUTINY_OPENCL_MEMORY_LIMIT, reserve()
    // refuses what would go past the limit with the error a full device gives; a real device's
    // driver refuses by itself (clCreateBuffer fails), so there it only counts.
    void reserve(uint64_t bytes, const std::string& what) {
        std::lock_guard<std::mutex> lock(mu_);
        if (info_.memory_limited && allocated_ + bytes > info_.global_mem)
            throw Error("out of device memory", info_.label(),
                        what + " needs " + std::to_string(bytes) + " bytes; " + std::to_string(allocated_) + " of the device's " +
                            std::to_string(info_.global_mem) + " bytes are in use (MUTINY_OPENCL_MEMORY_LIMIT)");
        allocated_ += bytes;
    }
    void release(uint64_t bytes) {
        std::lock_guard<std::mutex> lock(mu_);
        allocated_ -= std::min(allocated_, bytes);
    }
    uint64_t allocated() const {
        std::lock_guard<std::mutex> lock(mu_);
        return allocated_;
    }
    // Drops every cached program (benchmarks measure cold builds; programs in use stay alive).
    void clear_programs() {
        std::lock_guard<std::mutex> lock(mu_);
        for (auto& kv : programs_) clReleaseProgram(kv.second);
        programs_.clear();
    }

private:
    std::string build_log(cl_program p) const {
        size_t n = 0;
        clGetProgramBuildInfo(p, info_.id, CL_PROGRAM_BUILD_LOG, 0, nullptr, &n);
        std::string log(n, '\0');
        if (n) clGetProgramBuildInfo(p, info_.id, CL_PROGRAM_BUILD_LOG, n, log.data(), nullptr);
        while (!log.empty() && (log.back() == '\0' || log.back() == '\n')) log.pop_back();
        return log.empty() ? "(empty)" : log;
    }

    cl_program load_binary(const std::filesystem::path& file, const std::string& options) {
        std::ifstream f(file, std::ios::binary);
        if (!f) return nullptr;
        std::vector<unsigned char> bin((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        if (bin.empty()) return nullptr;
        const unsigned char* b = bin.data();
        const size_t n = bin.size();
        cl_int status = CL_SUCCESS, e = CL_SUCCESS;
        cl_program p = clCreateProgramWithBinary(context_, 1, &info_.id, &n, &b, &status, &e);
        if (e != CL_SUCCESS || status != CL_SUCCESS) {
            if (p) clReleaseProgram(p);
            return nullptr;  // a stale or foreign binary: rebuild from source
        }
        if (clBuildProgram(p, 1, &info_.id, options.c_str(), nullptr, nullptr) != CL_SUCCESS) {
            clReleaseProgram(p);
            return nullptr;
        }
        return p;
    }

    void store_binary(cl_program p, const std::filesystem::path& file) const {
        size_t n = 0;
        if (clGetProgramInfo(p, CL_PROGRAM_BINARY_SIZES, sizeof n, &n, nullptr) != CL_SUCCESS || n == 0) return;
        std::vector<unsigned char> bin(n);
        unsigned char* ptr = bin.data();
        if (clGetProgramInfo(p, CL_PROGRAM_BINARIES, sizeof ptr, &ptr, nullptr) != CL_SUCCESS) return;
        std::error_code ec;
        std::filesystem::create_directories(file.parent_path(), ec);
        // Written beside and renamed, so a concurrent reader never sees half a binary.
        const std::filesystem::path tmp = file.string() + ".tmp" + std::to_string(reinterpret_cast<uintptr_t>(this));
        {
            std::ofstream o(tmp, std::ios::binary);
            if (!o) return;
            o.write(reinterpret_cast<const char*>(bin.data()), static_cast<std::streamsize>(n));
            if (!o) return;
        }
        std::filesystem::rename(tmp, file, ec);
        if (ec) std::filesystem::remove(tmp, ec);
    }

    DeviceInfo info_;
    cl_context context_ = nullptr;
    mutable std::mutex mu_;
    std::map<std::pair<uint64_t, std::string>, cl_program> programs_;
    ProgramStats stats_;
    TransferStats transfers_;
    uint64_t allocated_ = 0;
};

// The process-wide context of a device (created on first use, kept for the process's lifetime so
// its program cache serves every executor).
// A device seen through other stubs (apply_device_stubs: a test changing the environment) is
// another context, so its executors plan for what it reports.
inline std::shared_ptr<DeviceContext> device_context(const DeviceInfo& info) {
    static std::mutex mu;
    static std::map<std::tuple<cl_device_id, std::string, uint64_t>, std::shared_ptr<DeviceContext>> contexts;
    std::lock_guard<std::mutex> lock(mu);
    const auto key = std::make_tuple(info.id, info.extensions, info.memory_limited ? info.global_mem : 0);
    auto it = contexts.find(key);
    if (it != contexts.end()) return it->second;
    auto c = std::make_shared<DeviceContext>(info);
    contexts[key] = c;
    return c;
}

// The full source of an op family's program: prelude + common + kernels/<family>.cl.
inline std::string program_source(const std::string& family) {
    const char* f = embedded::find(family.c_str());
    if (!f) throw Error("no OpenCL kernel file '" + family + ".cl'", "embedded kernels", "kernels_embedded.hpp is stale or the name is wrong");
    return std::string(embedded::prelude) + "\n" + embedded::common + "\n" + f;
}

}  // namespace opencl
}  // namespace mutiny

#endif  // MUTINY_WITH_OPENCL
#endif  // MUTINY_EXEC_OPENCL_DEVICE_HPP_
