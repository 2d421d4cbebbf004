// The ONNX writer on real models (label "data"): every ONNX backend test folder of the shared data
// (node tests, PyTorch-converted layers, mnist-8) and two of the light ImageNet models, imported,
// written as ONNX, imported again: the outputs on the stored inputs are bitwise those of the
// original import (tests/support/onnx_round_trip.hpp). The writer may refuse a legacy form opset 21
// cannot state (named in its error), never write a model that computes something else.
// tools/check_onnx_export.py checks the written files with ONNX Runtime.
#include <doctest/doctest.h>

#include "support/onnx_round_trip.hpp"
#include "support/support.hpp"

#include <filesystem>

#include <mutiny/mutiny.hpp>

using namespace mutiny;
namespace fs = std::filesystem;

static void round_trip_suite(const fs::path& dir, int min_same) {
    MUTINY_DATA_OR_SKIP(dir);
    int same = 0, refused = 0, skipped = 0;
    for (const auto& t : find_conformance_tests({dir.string()})) {
        const mutiny_test::RoundTrip r = mutiny_test::onnx_round_trip(t);
        CAPTURE(t.string());
        CHECK_MESSAGE(r.status != mutiny_test::RoundTrip::Status::differs, r.detail);
        if (r.status == mutiny_test::RoundTrip::Status::refused) {
            ++refused;
            MESSAGE("refused: " << r.detail);
            CHECK(mutiny_test::contains(r.detail, "as ONNX opset 21"));
        }
        same += r.status == mutiny_test::RoundTrip::Status::same;
        skipped += r.status == mutiny_test::RoundTrip::Status::skipped;
    }
    MESSAGE(dir.string() << ": " << same << " bitwise the same, " << refused << " refused, " << skipped << " skipped");
    CHECK(same >= min_same);
}

TEST_CASE("ONNX backend node tests round-trip through the writer bitwise") { round_trip_suite(mutiny_test::shared_data() / "onnx/node", 150); }

TEST_CASE("PyTorch-converted layers round-trip through the writer bitwise") {
    round_trip_suite(mutiny_test::shared_data() / "onnx/pytorch-converted", 60);
}

TEST_CASE("mnist-8 round-trips through the writer bitwise") { round_trip_suite(mutiny_test::shared_data() / "models/mnist-8", 1); }

TEST_CASE("light SqueezeNet and ShuffleNet round-trip through the writer bitwise") {
    for (const char* name : {"light_squeezenet", "light_shufflenet"}) {
        const fs::path p = mutiny_test::shared_data() / "onnx/light" / (std::string(name) + ".onnx");
        MUTINY_DATA_OR_SKIP(p);
        CAPTURE(name);
        const Graph g = load_onnx(p.string());
        const std::string bytes = onnx_model_bytes(g);
        const Graph back = import_onnx(onnx::parse_model(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "exported"), "exported");
        Tensor x(DType::f32, g.value(g.inputs[0]).shape);
        for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>(i) / static_cast<float>(x.numel());
        const auto a = CpuExecutor(g).run({x}), b = CpuExecutor(back).run({x});
        REQUIRE(a.size() == b.size());
        for (size_t o = 0; o < a.size(); ++o) CHECK(a[o].bitwise_equal(b[o]));
    }
}
