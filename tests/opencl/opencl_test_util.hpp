// Shared helpers of the OpenCL tests: the skip check (no platform: every test reports itself
// skipped with the reason, or fails under MUTINY_REQUIRE_DATA: CI has PoCL), CLBlast-style comparison (relative margin, absolute margin near zero,
// NaN equal to NaN) and ONNX backend test folders loaded the way the conformance runner loads them.
#ifndef MUTINY_TESTS_OPENCL_UTIL_HPP_
#define MUTINY_TESTS_OPENCL_UTIL_HPP_

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <mutiny/mutiny.hpp>

#include "support/support.hpp"

namespace octest {

namespace fs = std::filesystem;
using namespace mutiny;

// Empty when an OpenCL device is usable; else why not (the test then reports itself skipped).
inline std::string unavailable() {
#if MUTINY_WITH_OPENCL
    try {
        opencl::select_device();
        return "";
    } catch (const Error& e) {
        return e.what();
    }
#else
    return "built without MUTINY_WITH_OPENCL";
#endif
}

// Returns from the test case, reported skipped (failed under MUTINY_REQUIRE_DATA), without a
// usable OpenCL device.
#define OCTEST_SKIP_WITHOUT_OPENCL()                                                  \
    do {                                                                              \
        const std::string why_ = octest::unavailable();                               \
        if (!why_.empty()) {                                                          \
            ::mutiny_test::missing("a usable OpenCL device (" + why_ + ")");          \
            return;                                                                   \
        }                                                                             \
    } while (0)

// Worst |a - b| / (abs + rel * |b|) over two tensors (<= 1 means within tolerance); integers exact.
struct Diff {
    double ratio = 0;     // worst error / allowed
    double max_rel = 0;   // worst |a - b| / max(|b|, abs / rel): the relative error outside the near-zero band
    std::string detail;   // first problem (dtype, shape), empty when comparable
};
inline Diff compare(const Tensor& got, const Tensor& want, double rel = 1e-4, double abs = 1e-5) {
    Diff d;
    if (got.dtype() != want.dtype()) {
        d.detail = std::string("dtype ") + dtype_name(got.dtype()) + " vs " + dtype_name(want.dtype());
        return d;
    }
    if (got.shape() != want.shape()) {
        d.detail = "shape " + got.shape().str() + " vs " + want.shape().str();
        return d;
    }
    const bool flt = dtype_is_float(want.dtype());
    for (int64_t i = 0; i < want.numel(); ++i) {
        const double a = got.get_f64(i), b = want.get_f64(i);
        if (std::isnan(a) && std::isnan(b)) continue;
        if (a == b) continue;
        if (!flt || std::isinf(a) || std::isinf(b) || std::isnan(a) || std::isnan(b)) {
            d.ratio = std::max(d.ratio, 1e30);
            d.max_rel = std::max(d.max_rel, 1e30);
            if (d.detail.empty()) d.detail = "element " + std::to_string(i) + ": " + std::to_string(a) + " vs " + std::to_string(b);
            continue;
        }
        const double err = std::fabs(a - b);
        d.ratio = std::max(d.ratio, err / (abs + rel * std::fabs(b)));
        d.max_rel = std::max(d.max_rel, err / std::max(std::fabs(b), abs / rel));
    }
    return d;
}

// One ONNX backend test folder: the graph and its data sets' inputs (integer inputs that carry
// shapes bound as constants, so that the nodes they feed are planned on the device).
struct Case {
    Graph graph;
    std::vector<std::vector<Tensor>> inputs;
};
inline bool load_case(const fs::path& dir, Case& c, std::string& why) {
    std::vector<fs::path> sets;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) sets.push_back(e.path());
    std::sort(sets.begin(), sets.end());
    if (sets.empty()) {
        why = "no data set";
        return false;
    }
    bool bound = false;  // integer inputs bound as constants: data sets feed the float ones only
    try {
        const onnx::ModelProto mp = onnx::load_model((dir / "model.onnx").string());
        c.graph = import_onnx(mp, (dir / "model.onnx").string());
        // A graph whose shapes depend on input values runs those nodes on the host; re-imported
        // with its integer inputs bound, its ops run on the device (the fallback-off test needs that).
        bool data_dependent = false;
        for (const Value& v : c.graph.values) data_dependent = data_dependent || v.data_dependent;
        if (data_dependent) {
            if (sets.size() > 1) throw Error("shapes depend on input values", dir.string(), "the data sets differ, so no binding fits them all");
            std::vector<size_t> positions;
            const OnnxImportOptions opt = bound_inputs(
                mp, numbered_files(sets.front(), "input_"), [](size_t, const Tensor& t) { return !dtype_is_float(t.dtype()); }, &positions);
            bound = !positions.empty();
            c.graph = import_onnx(mp, (dir / "model.onnx").string(), opt);
        }
        for (const auto& s : sets) {
            std::vector<Tensor> in;
            for (const auto& f : numbered_files(s, "input_")) {
                Tensor t = load_onnx_tensor(f);
                if (!bound || dtype_is_float(t.dtype())) in.push_back(t);
            }
            c.inputs.push_back(in);
        }
    } catch (const Error& e) {
        why = e.what();
        return false;
    }
    return true;
}

#if MUTINY_WITH_OPENCL
// Runs every data set of a backend test folder on both executors: each output bitwise equal (nodes
// that run on the host under OpenCL run the same CPU kernel on the same inputs).
inline void check_sets_bitwise(const fs::path& dir, CpuExecutor& cpu, OpenClExecutor& ocl) {
    for (const auto& set : fs::directory_iterator(dir)) {
        if (!set.is_directory()) continue;
        std::vector<Tensor> in;
        for (const auto& f : numbered_files(set.path(), "input_")) in.push_back(load_onnx_tensor(f));
        const auto want = cpu.run(in), got = ocl.run(in);
        REQUIRE(got.size() == want.size());
        for (size_t i = 0; i < got.size(); ++i) CHECK(got[i].bitwise_equal(want[i]));
    }
}
#endif

// Random inputs in [0, 1) for a graph (batch for symbolic dimensions).
inline std::vector<Tensor> random_inputs(const Graph& g, int64_t batch, unsigned seed) {
    std::vector<Tensor> in;
    uint32_t s = seed * 2654435761u + 1u;
    for (int id : g.inputs) {
        Shape sh = g.value(id).shape;
        for (auto& d : sh.dims())
            if (d < 0) d = batch;
        Tensor t(g.value(id).dtype, sh);
        for (int64_t k = 0; k < t.numel(); ++k) {
            s = s * 1664525u + 1013904223u;
            const float v = static_cast<float>(s >> 8) / 16777216.0f;
            if (t.dtype() == DType::f32) t.data<float>()[k] = v;
        }
        in.push_back(t);
    }
    return in;
}

}  // namespace octest

#endif  // MUTINY_TESTS_OPENCL_UTIL_HPP_
