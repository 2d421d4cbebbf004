// The GEMM tuner behind `mutiny tune`: times candidate tile parameters of kernels/gemm.cl on a
// device for a list of product shapes and keeps the fastest per shape class (gemm_tuning.hpp
// holds the classes, the defaults and the cache it writes). A candidate that does not build or
// launch on the device is skipped with its reason; one whose result differs in any bit from the
// default parameters' (every tiling computes the same bits) is rejected as wrong. GemmTiming also
// serves the benchmarks: Mutiny's SGEMM on one device with given parameters.
#ifndef MUTINY_EXEC_OPENCL_TUNER_HPP_
#define MUTINY_EXEC_OPENCL_TUNER_HPP_

#if MUTINY_WITH_OPENCL

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "buffers.hpp"
#include "gemm_tuning.hpp"
#include "planner.hpp"
#include "tiled_gemm.hpp"

namespace mutiny {
namespace opencl {

struct GemmShape {
    int64_t M = 0, N = 0, K = 0;
    std::string str() const { return std::to_string(M) + "x" + std::to_string(N) + "x" + std::to_string(K); }
    double flops() const { return 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K); }
    // "MxNxK", each 1..65536; false (and `why`) otherwise.
    static bool parse(const std::string& s, GemmShape& g, std::string& why) {
        long long v[3];
        char x1 = 0, x2 = 0;
        int used = 0;
        if (std::sscanf(s.c_str(), "%lld%c%lld%c%lld%n", &v[0], &x1, &v[1], &x2, &v[2], &used) != 5 || x1 != 'x' || x2 != 'x' ||
            static_cast<size_t>(used) != s.size()) {
            why = "'" + s + "' is not MxNxK (e.g. 64x3136x576)";
            return false;
        }
        for (long long d : v)
            if (d < 1 || d > 65536) {
                why = "'" + s + "' has a dimension outside 1..65536";
                return false;
            }
        g = GemmShape{v[0], v[1], v[2]};
        return true;
    }
};

// What `mutiny tune` measures without --shapes: one shape per class (a batch of 8 through
// ResNet-50's classifier; a 14x14 3x3 convolution and a 56x56 one of ResNet-50 as GEMM).
inline std::vector<GemmShape> default_tune_shapes() { return {{8, 1000, 2048}, {256, 196, 2304}, {64, 3136, 576}}; }

// The candidates tried per shape (the device's defaults first): register tiles from 1x4 to 8x8,
// work-groups of 16 to 256 work-items, k steps of 16 and 32, vector widths 4 and 8, operands
// through local memory or straight from global memory.
inline std::vector<GemmParams> tune_candidates(const DeviceInfo& d, const std::string& cls) {
    std::vector<GemmParams> c{default_gemm_params(d, cls)};
    const bool l = true, g = false;
    const std::vector<GemmParams> more = cls == "narrow"
        ? std::vector<GemmParams>{{4, 64, 16, 1, 16, 4, g}, {8, 64, 16, 2, 16, 4, g}, {4, 128, 16, 1, 32, 4, g}, {8, 32, 16, 2, 8, 4, g},
                                  {4, 64, 16, 1, 16, 4, l}, {8, 128, 16, 1, 32, 4, l}}
        : std::vector<GemmParams>{{32, 32, 16, 8, 8, 4, g}, {64, 64, 16, 8, 8, 4, g}, {32, 64, 16, 8, 8, 4, g}, {16, 32, 16, 4, 8, 4, g},
                                  {32, 32, 16, 4, 4, 4, g}, {64, 32, 16, 8, 8, 4, g}, {32, 32, 16, 8, 8, 4, l}, {64, 64, 16, 16, 16, 4, l},
                                  {64, 64, 32, 8, 8, 4, l}, {32, 32, 32, 8, 8, 8, l}};
    for (const auto& p : more)
        if (std::find(c.begin(), c.end(), p) == c.end()) c.push_back(p);
    return c;
}

// Mutiny's f32 GEMM Y = A B (A: M x K, B: K x N, row-major, random in [-1, 1)) on one device, for
// timing a parameter set.
class GemmTiming {
public:
    GemmTiming(DeviceContext& ctx, const GemmShape& s, uint32_t seed = 1) : ctx_(ctx), s_(s) {
        cl_int e = CL_SUCCESS;
        queue_ = clCreateCommandQueue(ctx.context(), ctx.device(), 0, &e);
        check(e, "clCreateCommandQueue", ctx.info().label());
        std::vector<float> a(static_cast<size_t>(s.M * s.K)), b(static_cast<size_t>(s.K * s.N));
        uint32_t x = seed;
        auto next = [&x] {
            x = x * 1664525u + 1013904223u;
            return static_cast<float>(x >> 8) / 8388608.0f - 1.0f;
        };
        for (auto& v : a) v = next();
        for (auto& v : b) v = next();
        a_ = create_buffer(ctx, owned_, a.size() * 4, a.data(), "GEMM A");
        b_ = create_buffer(ctx, owned_, b.size() * 4, b.data(), "GEMM B");
        y_ = create_buffer(ctx, owned_, static_cast<size_t>(s.M * s.N) * 4, nullptr, "GEMM Y");
        g_ = TiledGemm::row_major(s.M, s.N, s.K);
        const auto meta = g_.meta();
        meta_ = create_buffer(ctx, owned_, meta.size() * 4, meta.data(), "GEMM metadata");
        const int zero = 0;
        zero_ = create_buffer(ctx, owned_, 4, &zero, "GEMM offsets");
    }
    ~GemmTiming() {
        if (queue_) clReleaseCommandQueue(queue_);
    }
    GemmTiming(const GemmTiming&) = delete;
    GemmTiming& operator=(const GemmTiming&) = delete;

    // Builds the kernel with `p` (throws the build error with its log) and makes it current.
    void use(const GemmParams& p) {
        cl_program prog = ctx_.program(program_source("gemm"), base_build_options(ctx_.info(), DType::f32) + p.options());
        cl_int e = CL_SUCCESS;
        kernel_ = Kern(clCreateKernel(prog, "gemm", &e));
        check(e, "clCreateKernel 'gemm'", ctx_.info().label());
        cl_kernel k = kernel_.get();
        const float alpha = 1.0f, beta = 0.0f;
        const cl_mem args[] = {a_, b_, a_, y_, meta_, zero_, zero_, zero_};
        for (cl_uint i = 0; i < 8; ++i) check(clSetKernelArg(k, i, sizeof(cl_mem), &args[i]), "clSetKernelArg", ctx_.info().label());
        check(clSetKernelArg(k, 8, sizeof alpha, &alpha), "clSetKernelArg", ctx_.info().label());
        check(clSetKernelArg(k, 9, sizeof beta, &beta), "clSetKernelArg", ctx_.info().label());
        range_ = tiled_gemm_range(g_, p);
    }
    // One product, waited for.
    void run() {
        check(clEnqueueNDRangeKernel(queue_, kernel_.get(), 3, nullptr, range_.first.data(), range_.second.data(), 0, nullptr, nullptr),
              "clEnqueueNDRangeKernel", ctx_.info().label());
        check(clFinish(queue_), "clFinish", ctx_.info().label());
    }
    // Milliseconds of `reps` runs of f (default: this product) after `warmup`, sorted.
    std::vector<double> times_ms(int warmup, int reps, const std::function<void()>& f = {}) {
        const auto one = [&] {
            if (f) f();
            else run();
        };
        for (int i = 0; i < warmup; ++i) one();
        std::vector<double> ms;
        for (int i = 0; i < reps; ++i) {
            const auto t0 = std::chrono::steady_clock::now();
            one();
            ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        }
        std::sort(ms.begin(), ms.end());
        return ms;
    }
    double median_ms(int warmup, int reps) {
        const auto ms = times_ms(warmup, reps);
        return ms[ms.size() / 2];
    }
    std::vector<float> result() {
        std::vector<float> y(static_cast<size_t>(s_.M * s_.N));
        check(clEnqueueReadBuffer(queue_, y_, CL_TRUE, 0, y.size() * 4, y.data(), 0, nullptr, nullptr), "reading the GEMM result",
              ctx_.info().label());
        return y;
    }
    cl_command_queue queue() const { return queue_; }
    cl_mem a() const { return a_; }
    cl_mem b() const { return b_; }
    cl_mem y() const { return y_; }

private:
    DeviceContext& ctx_;
    GemmShape s_;
    cl_command_queue queue_ = nullptr;
    std::vector<Mem> owned_;
    cl_mem a_ = nullptr, b_ = nullptr, y_ = nullptr, meta_ = nullptr, zero_ = nullptr;
    TiledGemm g_;
    Kern kernel_;
    std::pair<std::array<size_t, 3>, std::array<size_t, 3>> range_;
};

struct TuneTrial {
    GemmParams params;
    double ms = -1;    // median, when it ran
    std::string skip;  // why it was skipped ("" when it ran)
};
struct TuneShapeResult {
    GemmShape shape;
    std::string cls;
    std::vector<TuneTrial> trials;  // the default first
};

// Times every candidate on every shape. `progress` receives one line per trial.
inline std::vector<TuneShapeResult> tune_gemm(DeviceContext& ctx, const std::vector<GemmShape>& shapes,
                                              const std::vector<GemmParams>& extra, int reps,
                                              const std::function<void(const std::string&)>& progress = {}) {
    std::vector<TuneShapeResult> out;
    for (const auto& s : shapes) {
        TuneShapeResult r;
        r.shape = s;
        r.cls = gemm_shape_class(s.M, s.N, s.K);
        auto cands = extra.empty() ? tune_candidates(ctx.info(), r.cls) : std::vector<GemmParams>{default_gemm_params(ctx.info(), r.cls)};
        for (const auto& p : extra)
            if (std::find(cands.begin(), cands.end(), p) == cands.end()) cands.push_back(p);
        GemmTiming t(ctx, s);
        std::vector<float> reference;
        for (const auto& p : cands) {
            TuneTrial tr;
            tr.params = p;
            tr.skip = p.unfit(ctx.info(), 4);
            if (tr.skip.empty()) {
                try {
                    t.use(p);
                    tr.ms = t.median_ms(1, reps);
                    std::vector<float> y = t.result();
                    if (reference.empty()) reference = std::move(y);
                    else if (std::memcmp(y.data(), reference.data(), y.size() * 4) != 0) {
                        tr.ms = -1;
                        tr.skip = "wrong result: differs from the default parameters' bits";
                    }
                } catch (const Error& e) {
                    // A build failure's log can be long: its first error line says enough.
                    std::string why = e.why_part();
                    const auto at = why.find("error");
                    if (e.what_part() == "OpenCL program build failed" && at != std::string::npos) {
                        const auto bol = why.rfind('\n', at), eol = why.find('\n', at);
                        why = "build failed: " + why.substr(bol == std::string::npos ? 0 : bol + 1, eol == std::string::npos ? std::string::npos : eol - (bol == std::string::npos ? 0 : bol + 1));
                    } else {
                        why = e.what_part() + ": " + why.substr(0, why.find('\n'));
                    }
                    tr.skip = why;
                    tr.ms = -1;
                }
            }
            if (progress)
                progress(s.str() + " (" + r.cls + ") " + p.str() + ": " +
                         (tr.skip.empty() ? std::to_string(tr.ms) + " ms" : "skipped, " + tr.skip));
            r.trials.push_back(tr);
        }
        out.push_back(std::move(r));
    }
    return out;
}

// The fastest parameters per class: the candidate with the least total time over the class's
// shapes, among those that ran on all of them.
inline std::map<std::string, GemmParams> best_per_class(const std::vector<TuneShapeResult>& rs) {
    std::map<std::string, std::vector<std::pair<GemmParams, double>>> total;  // class -> (params, total ms)
    std::map<std::string, int> shapes;
    for (const auto& r : rs) {
        ++shapes[r.cls];
        auto& v = total[r.cls];
        for (const auto& t : r.trials) {
            if (t.ms < 0) continue;
            auto it = std::find_if(v.begin(), v.end(), [&](const auto& e) { return e.first == t.params; });
            if (it == v.end()) v.emplace_back(t.params, t.ms), it = v.end() - 1;
            else it->second += t.ms;
        }
    }
    std::map<std::string, GemmParams> best;
    for (auto& kv : total) {
        double bms = std::numeric_limits<double>::infinity();
        for (const auto& e : kv.second) {
            int ran = 0;
            for (const auto& r : rs)
                if (r.cls == kv.first)
                    for (const auto& t : r.trials) ran += t.params == e.first && t.ms >= 0;
            if (ran == shapes[kv.first] && e.second < bms) {
                bms = e.second;
                best[kv.first] = e.first;
            }
        }
    }
    return best;
}

}  // namespace opencl
}  // namespace mutiny

#endif  // MUTINY_WITH_OPENCL
#endif  // MUTINY_EXEC_OPENCL_TUNER_HPP_
