// Runs ONNX backend test folders (model.onnx + test_data_set_*/input_*.pb, output_*.pb) on the
// CPU executor (or a device the caller makes: ConformanceDevice) and compares against the expected outputs with CLBlast-style tolerances: an
// absolute margin near zero, a relative one elsewhere, NaN equal to NaN, integers exact.
// A model Mutiny cannot import because it lacks an op is "skipped" with the op named, and so is
// one holding a random op (whose reference draws no other generator reproduces).
#ifndef MUTINY_EXEC_CONFORMANCE_HPP_
#define MUTINY_EXEC_CONFORMANCE_HPP_

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "../io/onnx_import.hpp"
#include "cpu/executor.hpp"

namespace mutiny {

// Mutiny's own comparison: 100x stricter than ONNX's backend runner.
struct Tolerance {
    double rel = 1e-5;
    double abs = 1e-6;
};
// What ONNX's own backend test runner allows (onnx/backend/test: rtol 1e-3, atol 1e-7). A few
// stored references are themselves rounded (an average stored to four decimals, windows computed
// with a coarse pi); such a test passes ONNX's runner, and Mutiny reports it as passing at ONNX's
// tolerance only, with the mismatch at its own.
inline Tolerance onnx_runner_tolerance() { return Tolerance{1e-3, 1e-7}; }

// Empty string when `got` matches `want`; otherwise the first mismatch, described.
inline std::string compare_tensors(const Tensor& got_, const Tensor& want, Tolerance tol) {
    // ONNX 1.12's test generator wrote bfloat16 tensors as UINT16 bit patterns (and made its
    // float -> bfloat16 references by truncation, later ONNX by rounding to nearest even); its
    // runner compares them as those integers, with its tolerance. Do the same.
    const bool bf16_bits = got_.dtype() == DType::bf16 && want.dtype() == DType::u16;
    const Tensor got = bf16_bits ? got_.bitcast(DType::u16) : got_;
    if (got.dtype() != want.dtype())
        return std::string("dtype ") + dtype_name(got.dtype()) + ", expected " + dtype_name(want.dtype());
    if (got.shape() != want.shape()) return "shape " + got.shape().str() + ", expected " + want.shape().str();
    const bool flt = dtype_is_float(want.dtype()) || bf16_bits;
    double worst = 0;
    int64_t worst_i = -1;
    for (int64_t i = 0; i < want.numel(); ++i) {
        if (flt) {
            const double a = got.get_f64(i), b = want.get_f64(i);
            if (std::isnan(a) && std::isnan(b)) continue;
            if (std::isinf(b) && a == b) continue;
            const double err = std::fabs(a - b);
            const double allowed = tol.abs + tol.rel * std::fabs(b);
            if (!(err <= allowed) && (worst_i < 0 || err / allowed > worst)) {
                worst = err / allowed;
                worst_i = i;
            }
        } else if (got.get_i64(i) != want.get_i64(i)) {
            return "element " + std::to_string(i) + ": " + std::to_string(got.get_i64(i)) + ", expected " + std::to_string(want.get_i64(i));
        }
    }
    if (worst_i < 0) return "";
    char buf[160];
    std::snprintf(buf, sizeof buf, "element %lld: %.9g, expected %.9g", static_cast<long long>(worst_i), got.get_f64(worst_i),
                  want.get_f64(worst_i));
    return buf;
}

// A test folder may hold tolerance.txt, the tolerance its stored outputs need when they do not come
// from a bit-exact reference (a quantized model, where a rounding tie resolved differently moves a
// value by one quantization step; float kernels summing in another order than the reference's):
// lines "rtol R" and "atol A", either may be left out (the default stays), '#' starts a comment.
// Empty when the folder has none; an Error for a file that says anything else.
inline std::optional<Tolerance> folder_tolerance(const std::filesystem::path& dir) {
    const std::filesystem::path p = dir / "tolerance.txt";
    std::ifstream f(p);
    if (!f) return std::nullopt;
    Tolerance t;
    std::string line;
    for (int no = 1; std::getline(f, line); ++no) {
        line = line.substr(0, line.find('#'));
        std::istringstream in(line);
        std::string key, rest;
        double v = 0;
        if (!(in >> key)) continue;
        const std::string where = p.string() + ":" + std::to_string(no);
        if (key != "rtol" && key != "atol") throw Error("unknown key '" + key + "'", where, "tolerance.txt takes 'rtol R' and 'atol A'");
        if (!(in >> v) || (in >> rest) || !std::isfinite(v) || v < 0)
            throw Error("bad " + key, where, "one finite number >= 0 expected after the key");
        (key == "rtol" ? t.rel : t.abs) = v;
    }
    return t;
}

struct ConformanceResult {
    enum class Status { pass, fail, skip };
    std::string name;
    Status status = Status::fail;
    std::string detail;                 // why it failed or was skipped; for a pass at ONNX's tolerance only, the strict mismatch
    bool onnx_tolerance_only = false;   // passed within onnx_runner_tolerance(), not within the requested one
    bool folder_tolerance = false;      // compared with the folder's tolerance.txt
};

// Sorted *_N.pb files of a test data set by their index N (input_10 after input_9).
inline std::vector<std::string> numbered_files(const std::filesystem::path& dir, const std::string& prefix) {
    std::vector<std::pair<long, std::string>> v;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        const std::string f = e.path().filename().string();
        if (f.rfind(prefix, 0) == 0 && f.size() > prefix.size() + 3 && f.substr(f.size() - 3) == ".pb")
            v.emplace_back(std::strtol(f.c_str() + prefix.size(), nullptr, 10), e.path().string());
    }
    std::sort(v.begin(), v.end());
    std::vector<std::string> out;
    for (auto& p : v) out.push_back(p.second);
    return out;
}

// A model's fed inputs: its graph inputs that are not initializers, in order (paired with a data
// set's input_N.pb files).
template <class Model>
auto fed_inputs(Model& mp) {
    std::vector<decltype(&mp.graph.input[0])> v;
    for (auto& in : mp.graph.input) {
        bool init = false;
        for (const auto& i : mp.graph.initializer) init = init || i.name == in.name;
        if (!init) v.push_back(&in);
    }
    return v;
}

// Import options that bind some of a model's fed inputs as constants: those for which
// bind(position, tensor) is true. Their positions go to `positions` when given.
template <class Bind>
OnnxImportOptions bound_inputs(const onnx::ModelProto& mp, const std::vector<std::string>& files, Bind bind,
                               std::vector<size_t>* positions = nullptr) {
    OnnxImportOptions opt;
    const auto fed = fed_inputs(mp);
    for (size_t k = 0; k < fed.size() && k < files.size(); ++k) {
        Tensor t = load_onnx_tensor(files[k]);
        if (bind(k, t)) {
            opt.bind[fed[k]->name] = t;
            if (positions) positions->push_back(k);
        }
    }
    return opt;
}

// ONNX's runner feeds a test's data as it is, whatever the model declares: ONNX 1.12's CastLike
// tests declare their 'like' input [3, 4] and feed [1]. A declared shape that the data set
// contradicts gives way to the data's, before import (so inference and validation see it).
inline void fit_declared_shapes(onnx::ModelProto& mp, const std::vector<std::string>& files) {
    const auto fed = fed_inputs(mp);
    for (size_t k = 0; k < fed.size() && k < files.size(); ++k) {
        onnx::ValueInfoProto& in = *fed[k];
        if (!in.has_shape) continue;
        const Shape s = load_onnx_tensor(files[k]).shape();
        bool same = in.dims.size() == s.rank();
        for (size_t i = 0; same && i < s.rank(); ++i) same = !in.dims[i].has_value || in.dims[i].value == s[i];
        if (same) continue;
        in.dims.clear();
        for (const int64_t d : s) in.dims.push_back(onnx::Dim{true, d, ""});
    }
}

// Runs one data set of an imported model: its inputs (in graph order) to its outputs.
using ConformanceRunner = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;
// Makes the runner of an imported model (an OpenCL executor, for the CLI's --device).
using ConformanceDevice = std::function<ConformanceRunner(const Graph&)>;

// A test folder's test_data_set_* folders, sorted by name.
inline std::vector<std::filesystem::path> test_data_sets(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> sets;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) sets.push_back(e.path());
    std::sort(sets.begin(), sets.end());
    return sets;
}

// With onnx_fallback, a test whose outputs miss `tol` but meet onnx_runner_tolerance() passes,
// flagged onnx_tolerance_only. With use_folder_tolerance, a folder holding tolerance.txt is compared
// with that tolerance instead of `tol`, and only with it (the file says what its outputs need).
// `device`, when given, runs the model instead of a CpuExecutor with `threads`.
inline ConformanceResult run_conformance_test(const std::filesystem::path& dir, Tolerance tol = {}, int threads = 0, bool onnx_fallback = true,
                                              bool use_folder_tolerance = true, const ConformanceDevice& device = {}) {
    ConformanceResult r;
    r.name = dir.filename().string();
    if (use_folder_tolerance) {
        try {
            if (const auto ft = folder_tolerance(dir)) {
                tol = *ft;
                onnx_fallback = false;
                r.folder_tolerance = true;
            }
        } catch (const Error& e) {
            r.detail = e.what();
            return r;
        }
    }
    Graph g;
    const std::vector<std::filesystem::path> sets = test_data_sets(dir);
    try {
        onnx::ModelProto mp = onnx::load_model((dir / "model.onnx").string());
        if (sets.size() == 1) fit_declared_shapes(mp, numbered_files(sets.front(), "input_"));
        // A model whose shapes depend on an input's value (Reshape's target, NonZero, Pad's pads
        // fed as inputs) runs those nodes per run (data-dependent shapes, CpuExecutor).
        g = import_onnx(mp, (dir / "model.onnx").string());
    } catch (const Error& e) {
        const std::string what = e.what_part();
        if (what.rfind("unsupported", 0) == 0) {
            r.status = ConformanceResult::Status::skip;
            r.detail = what;
        } else {
            r.detail = e.what();
        }
        return r;
    }
    // A random op's reference values are numpy's draws, which Mutiny's seeded generator does not
    // reproduce (ops/tensor/random.hpp): nothing to compare, so the test is skipped, the op named.
    for (const Node& n : g.nodes) {
        const OpDef* d = Registry::instance().find(n.op);
        if (d && d->random) {
            r.status = ConformanceResult::Status::skip;
            r.detail = "random op '" + n.op + "' (its reference is numpy's draws)";
            return r;
        }
    }
    try {
        ConformanceRunner run;
        if (device) {
            run = device(g);
        } else {
            CpuOptions opt;
            opt.threads = threads;
            auto ex = std::make_shared<CpuExecutor>(g, opt);
            run = [ex](const std::vector<Tensor>& in) { return ex->run(in); };
        }
        if (sets.empty()) throw Error("no test_data_set_* folder", dir.string(), "nothing to compare against");
        for (const auto& s : sets) {
            std::vector<Tensor> inputs;
            const auto files = numbered_files(s, "input_");
            for (const auto& f : files) inputs.push_back(load_onnx_tensor(f));
            // ONNX 1.12 stored bfloat16 inputs as UINT16 bit patterns (see compare_tensors).
            for (size_t j = 0; j < inputs.size() && j < g.inputs.size(); ++j)
                if (g.value(g.inputs[j]).dtype == DType::bf16 && inputs[j].dtype() == DType::u16) inputs[j] = inputs[j].bitcast(DType::bf16);
            std::vector<Tensor> want;
            for (const auto& f : numbered_files(s, "output_")) want.push_back(load_onnx_tensor(f));
            const auto got = run(inputs);
            if (got.size() < want.size())
                throw Error("too few outputs", s.string(), std::to_string(got.size()) + " produced, " + std::to_string(want.size()) + " expected");
            for (size_t i = 0; i < want.size(); ++i) {
                const std::string d = compare_tensors(got[i], want[i], tol);
                if (d.empty()) continue;
                const std::string where = s.filename().string() + " output " + std::to_string(i) + ": " + d;
                if (!onnx_fallback || !compare_tensors(got[i], want[i], onnx_runner_tolerance()).empty()) {
                    r.detail = where;
                    r.onnx_tolerance_only = false;
                    return r;
                }
                if (!r.onnx_tolerance_only) r.detail = where;
                r.onnx_tolerance_only = true;
            }
        }
        r.status = ConformanceResult::Status::pass;
    } catch (const Error& e) {
        r.detail = e.what();
    }
    return r;
}

// Every test folder under the given paths: a path holding model.onnx is one test, any other
// folder is searched one level down. Sorted by name within each path.
inline std::vector<std::filesystem::path> find_conformance_tests(const std::vector<std::string>& paths) {
    std::vector<std::filesystem::path> out;
    for (const auto& p : paths) {
        const std::filesystem::path dir(p);
        if (!std::filesystem::is_directory(dir)) throw Error("not a directory", p, "conformance takes ONNX backend test folders");
        if (std::filesystem::exists(dir / "model.onnx")) {
            out.push_back(dir);
            continue;
        }
        std::vector<std::filesystem::path> sub;
        for (const auto& e : std::filesystem::directory_iterator(dir))
            if (e.is_directory() && std::filesystem::exists(e.path() / "model.onnx")) sub.push_back(e.path());
        std::sort(sub.begin(), sub.end());
        out.insert(out.end(), sub.begin(), sub.end());
    }
    return out;
}

}  // namespace mutiny

#endif  // MUTINY_EXEC_CONFORMANCE_HPP_
