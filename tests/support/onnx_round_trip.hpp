// The ONNX writer's oracle on a backend test folder (tests/unit/test_onnx_export.cpp,
// tests/data/test_onnx_export_models.cpp): the model imported as `mutiny conformance` imports it,
// written as ONNX (io/onnx_export.hpp), imported again, and both graphs run on every
// test_data_set_*'s inputs: every output must be bitwise the same.
#ifndef MUTINY_TESTS_ONNX_ROUND_TRIP_HPP_
#define MUTINY_TESTS_ONNX_ROUND_TRIP_HPP_

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <mutiny/mutiny.hpp>

namespace mutiny_test {

struct RoundTrip {
    enum class Status { same, differs, refused, skipped };
    Status status = Status::same;
    std::string detail;  // what differs, the writer's refusal, or why the test was skipped
};

inline RoundTrip onnx_round_trip(const std::filesystem::path& dir) {
    using namespace mutiny;
    namespace fs = std::filesystem;
    RoundTrip r;
    const std::vector<fs::path> sets = test_data_sets(dir);
    const std::string path = (dir / "model.onnx").string();
    Graph g;
    try {
        onnx::ModelProto mp = onnx::load_model(path);
        if (sets.size() == 1) fit_declared_shapes(mp, numbered_files(sets.front(), "input_"));
        g = import_onnx(mp, path);
    } catch (const Error& e) {
        r.status = RoundTrip::Status::skipped;
        r.detail = e.what();
        return r;
    }
    for (const Node& n : g.nodes) {
        const OpDef* d = Registry::instance().find(n.op);
        if (d && d->random) {
            r.status = RoundTrip::Status::skipped;
            r.detail = "random op " + n.op;
            return r;
        }
    }
    std::string bytes;
    try {
        bytes = onnx_model_bytes(g, {}, path);
    } catch (const Error& e) {
        r.status = RoundTrip::Status::refused;
        r.detail = e.what();
        return r;
    }
    r.status = RoundTrip::Status::differs;
    try {
        const Graph back = import_onnx(onnx::parse_model(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "exported " + path),
                                       "exported " + path);
        CpuExecutor a(g), b(back);
        for (const auto& s : sets) {
            std::vector<Tensor> in;
            for (const auto& f : numbered_files(s, "input_")) in.push_back(load_onnx_tensor(f));
            for (size_t j = 0; j < in.size() && j < g.inputs.size(); ++j)
                if (g.value(g.inputs[j]).dtype == DType::bf16 && in[j].dtype() == DType::u16) in[j] = in[j].bitcast(DType::bf16);
            const auto x = a.run(in), y = b.run(in);
            if (x.size() != y.size()) {
                r.detail = std::to_string(x.size()) + " outputs before, " + std::to_string(y.size()) + " after";
                return r;
            }
            for (size_t o = 0; o < x.size(); ++o)
                if (!x[o].bitwise_equal(y[o])) {
                    r.detail = s.filename().string() + " output " + std::to_string(o) + " differs";
                    return r;
                }
        }
    } catch (const Error& e) {
        r.detail = e.what();
        return r;
    }
    r.status = RoundTrip::Status::same;
    return r;
}

}  // namespace mutiny_test

#endif  // MUTINY_TESTS_ONNX_ROUND_TRIP_HPP_
