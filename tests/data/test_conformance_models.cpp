// Data-heavy checks against references nobody here wrote (label "data"):
//  * every ONNX backend node test of the supported ops (shared/data and Debian's libonnx-testdata)
//    within rel 1e-5 / abs 1e-6: no test may fail; tests of ops Mutiny lacks are skipped;
//  * the nine ONNX "light" ImageNet models against their reference outputs;
//  * bitwise determinism across 1, 2 and 4 threads on real models.
#include <doctest/doctest.h>

#include "support/support.hpp"

#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include <mutiny/mutiny.hpp>

#include <tbb/global_control.h>

using namespace mutiny;
namespace fs = std::filesystem;

// Tests whose stored expectations are rounded, so they pass ONNX's own runner tolerance (rtol
// 1e-3) but not Mutiny's (rel 1e-5): run_conformance_test reports them onnx_tolerance_only, and only
// these may be. Evidence: test_averagepool_2d_ceil_last_window_starts_on_pad (onnx 1.22) stores the
// average to four decimals (0.1511; exact 0.15105554, which Mutiny, onnxruntime and onnx 1.23's
// ReferenceEvaluator give); the *window_*_expanded tests store windows computed with a coarse pi
// (hannwindow element 1: stored 0.0954860, ReferenceEvaluator and Mutiny 0.0954913); the
// GridSample bicubic and RoiAlign tests (onnx 1.12) store outputs printed to four decimals
// (gridsample_bicubic element 0: stored -0.1406, ReferenceEvaluator and Mutiny -0.140625;
// roialign_aligned_false element 33: stored 0.3172, both 0.317132); ONNX 1.12's Cast to bfloat16
// tests store truncated values where ONNX's ReferenceEvaluator (onnx 1.23) and Mutiny round to
// nearest even, as the Cast spec says (cast_FLOAT_to_BFLOAT16 element 6, 0.21087195 = 0x3e57eed1:
// stored 0x3e57, rounded 0x3e58).
static bool known_rounded_reference(const std::string& name) {
    static const std::set<std::string> names = {
        "test_averagepool_2d_ceil_last_window_starts_on_pad", "test_blackmanwindow_expanded", "test_blackmanwindow_symmetric_expanded",
        "test_hammingwindow_expanded", "test_hammingwindow_symmetric_expanded", "test_hannwindow_expanded", "test_hannwindow_symmetric_expanded",
        "test_gridsample_bicubic", "test_roialign_aligned_false", "test_roialign_aligned_true",
        "test_cast_FLOAT_to_BFLOAT16", "test_castlike_FLOAT_to_BFLOAT16", "test_castlike_FLOAT_to_BFLOAT16_expanded"};
    return names.count(name) > 0;
}

static void run_suite(const fs::path& dir, int min_pass, const std::string& source = "") {
    MUTINY_DATA_OR_SKIP(dir, source);
    int pass = 0, fail = 0, skip = 0;
    std::map<std::string, int> skipped;
    for (const auto& t : find_conformance_tests({dir.string()})) {
        const auto r = run_conformance_test(t);
        if (r.status == ConformanceResult::Status::pass && r.onnx_tolerance_only) {
            ++pass;
            MESSAGE("passes at ONNX's runner tolerance only: " << r.name << ": " << r.detail);
            CHECK_MESSAGE(known_rounded_reference(r.name), "a new test passes only at ONNX's tolerance: " << r.name << ": " << r.detail);
        } else if (r.status == ConformanceResult::Status::pass) ++pass;
        else if (r.status == ConformanceResult::Status::skip) { ++skip; ++skipped[r.detail]; }
        else { ++fail; FAIL_CHECK("conformance test failed: " << r.name << ": " << r.detail); }
    }
    MESSAGE(dir.string() << ": " << pass << " passed, " << fail << " failed, " << skip << " skipped");
    CHECK(fail == 0);
    CHECK(pass >= min_pass);
}

TEST_CASE("ONNX backend node tests (shared/data)") {
    run_suite(mutiny_test::shared_data() / "onnx/node", 150);
}
TEST_CASE("ONNX backend PyTorch-converted tests (shared/data)") {
    run_suite(mutiny_test::shared_data() / "onnx/pytorch-converted", 50);
}
TEST_CASE("ONNX backend node tests (Debian libonnx-testdata)") {
    run_suite("/usr/share/libonnx-testdata/data/node", 863, "Debian's libonnx-testdata");
}

static Tensor arange_input(const Graph& g) {
    const Value& v = g.value(g.inputs.at(0));
    Shape s = v.shape;
    for (auto& d : s.dims()) if (d < 0) d = 1;
    Tensor t(DType::f32, s);
    const int64_t n = t.numel();
    for (int64_t i = 0; i < n; ++i) t.data<float>()[i] = static_cast<float>(i) / static_cast<float>(n);
    return t;
}

TEST_CASE("ONNX light models match their reference outputs and are deterministic across threads and instruction sets") {
    const fs::path dir = mutiny_test::shared_data() / "onnx/light";
    MUTINY_DATA_OR_SKIP(dir);
    for (const char* name : {"light_bvlc_alexnet", "light_densenet121", "light_inception_v1", "light_inception_v2",
                             "light_resnet50", "light_shufflenet", "light_squeezenet", "light_vgg19", "light_zfnet512"}) {
        CAPTURE(name);
        Graph g = load_onnx((dir / (std::string(name) + ".onnx")).string());
        const Tensor in = arange_input(g);
        const Tensor want = load_onnx_tensor((dir / (std::string(name) + "_output_0.pb")).string());
        Tensor first;
        tbb::global_control allow(tbb::global_control::max_allowed_parallelism, 4);  // really 4, even on 2 cores
        for (int threads : {1, 2, 4}) {
            CpuOptions o;
            o.threads = threads;
            const Tensor got = CpuExecutor(g, o).run({in})[0];
            if (first.empty()) {
                first = got;
                CHECK(compare_tensors(got, want, Tolerance{1e-4, 1e-5}) == "");
            } else {
                CHECK(got.bitwise_equal(first));
            }
        }
        // Every instruction-set level the machine runs gives the same bits (ops/isa/dispatch.hpp).
        // The portable level (std::fma calls) is left to the shipped models of tests/unit/test_isa.cpp
        // where SSE2 exists: here it would add a minute and test nothing SSE2 does not.
        const isa::Level saved = isa::active();
        const auto levels = isa::supported();
        for (isa::Level level : levels) {
            if (level == isa::Level::generic && levels.size() > 1) continue;
            CAPTURE(isa::name(level));
            isa::force(level);
            CpuOptions o;
            o.threads = 2;
            CHECK(CpuExecutor(g, o).run({in})[0].bitwise_equal(first));
        }
        isa::force(saved);
    }
}

// A light model with a symbolic batch (its Reshape targets' leading 1 made 0, "copy") and seeded
// random weights instead of its constant 0.02s (vectors, such as BatchNormalization's parameters
// and variances, in [0.5, 1.5]), as tools/bench_vs_onnxruntime.py makes them.
static Graph batchable_seeded(Graph g) {
    g.values[static_cast<size_t>(g.inputs.at(0))].shape.dims()[0] = -1;
    std::mt19937 rng(7);
    for (const Node& n : g.nodes)
        if (n.op == "Reshape" && n.inputs.size() > 1 && g.value(n.inputs[1]).is_constant()) {
            Tensor& t = g.values[static_cast<size_t>(n.inputs[1])].constant;
            if (t.numel() > 0 && t.data<int64_t>()[0] == 1) t.data<int64_t>()[0] = 0;
        }
    for (Value& v : g.values) {
        if (!v.is_constant() || v.constant.dtype() != DType::f32 || v.constant.numel() < 2) continue;
        const Shape& s = v.constant.shape();
        const float r = s.rank() == 1 ? 0.5f : 1.0f / std::sqrt(static_cast<float>(s.numel() / s[0]));
        std::uniform_real_distribution<float> u(s.rank() == 1 ? 0.5f : -r, s.rank() == 1 ? 1.5f : r);
        for (int64_t i = 0; i < v.constant.numel(); ++i) v.constant.data<float>()[i] = u(rng);
    }
    return g;
}

// Fusion (docs/architecture.md, "Fusion"): run() with the element-wise nodes after each Conv fused
// into it gives the bits of the same executor without fusion, at batch 1 and 7 on the best level
// and at batch 1 on AVX2 (the other implicit-GEMM tile). The slow exact SSE2 level and the portable
// one are left to tests/unit/test_fusion.cpp (the shipped models on every level): run on these
// nine models they took a quarter of an hour of CPU.
TEST_CASE("ONNX light models: fused runs give the unfused bits at batch 1 and 7") {
    const fs::path dir = mutiny_test::shared_data() / "onnx/light";
    MUTINY_DATA_OR_SKIP(dir);
    const isa::Level saved = isa::active();
    const auto levels = isa::supported();
    for (const char* name : {"light_bvlc_alexnet", "light_densenet121", "light_inception_v1", "light_inception_v2",
                             "light_resnet50", "light_shufflenet", "light_squeezenet", "light_vgg19", "light_zfnet512"}) {
        CAPTURE(name);
        const Graph g = batchable_seeded(load_onnx((dir / (std::string(name) + ".onnx")).string()));
        for (int64_t batch : {1, 7}) {
            CAPTURE(batch);
            Shape s = g.value(g.inputs.at(0)).shape;
            s.dims()[0] = batch;
            Tensor in(DType::f32, s);
            std::mt19937 rng(static_cast<uint32_t>(batch));
            std::uniform_real_distribution<float> u(0.0f, 1.0f);
            for (int64_t i = 0; i < in.numel(); ++i) in.data<float>()[i] = u(rng);
            for (isa::Level level : levels) {
                const bool wanted = level == saved || (batch == 1 && level == isa::Level::avx2);
                if (!wanted) continue;
                CAPTURE(isa::name(level));
                isa::force(level);
                CpuOptions on, off;
                on.threads = off.threads = 2;
                off.fuse = false;
                CpuExecutor fused(g, on);
                CHECK(!fused.fusion_groups(batch).empty());  // every one of them has a Conv + Relu or BN
                CHECK(fused.run({in})[0].bitwise_equal(CpuExecutor(g, off).run({in})[0]));
            }
        }
    }
    isa::force(saved);
}

TEST_CASE("mnist-8 at batch 1 and batched inputs is deterministic across threads") {
    const fs::path p = mutiny_test::shared_data() / "models/mnist-8/test_data_set_0/input_0.pb";
    MUTINY_DATA_OR_SKIP(p);
    Graph g = load_onnx((p.parent_path().parent_path() / "model.onnx").string());
    const Tensor in = load_onnx_tensor(p.string());
    Tensor first;
    tbb::global_control allow(tbb::global_control::max_allowed_parallelism, 4);
    for (int threads : {1, 2, 4}) {
        CpuOptions o;
        o.threads = threads;
        const Tensor got = CpuExecutor(g, o).run({in})[0];
        if (first.empty()) first = got;
        else CHECK(got.bitwise_equal(first));
    }
}
