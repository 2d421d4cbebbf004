// Per-node timing on the OpenCL executor (exec/node_times.hpp): device times from the queue's
// profiling events, host times for the nodes that run on the host, each node said which; the
// outputs the same bits as an untimed run. Times are checked only for being there, >= 0 and
// consistent (the nodes' sum within the run's wall time).
#include "opencl_test_util.hpp"
#include "support/node_times.hpp"

#include <string>
#include <vector>

using namespace mutiny;
using namespace octest;

#if MUTINY_WITH_OPENCL

namespace {

// Runs `in` untimed and timed on an executor with timing; checks the outputs bitwise and the
// times' consistency, and returns them.
NodeTimes timed_run(const Graph& g, const std::vector<Tensor>& in) {
    OpenClOptions opt;
    opt.timing = true;
    OpenClExecutor ex(g, opt);
    const std::vector<Tensor> plain = ex.run(in);
    NodeTimes t;
    const std::vector<Tensor> timed = ex.run(in, &t);
    mutiny_test::check_timed_run(g, plain, timed, t);
    // An untimed run after a timed one (Plan::profile_event off again) gives the same bits.
    const std::vector<Tensor> again = ex.run(in);
    for (size_t i = 0; i < again.size(); ++i) CHECK(again[i].bitwise_equal(plain[i]));
    return t;
}

// Set 0 of a backend test folder: the model and its inputs.
NodeTimes timed_run(const fs::path& dir, Graph& g) {
    g = load_onnx((dir / "model.onnx").string());
    std::vector<Tensor> in;
    for (const auto& f : numbered_files(dir / "test_data_set_0", "input_")) in.push_back(load_onnx_tensor(f));
    return timed_run(g, in);
}

}  // namespace

TEST_CASE("node times on OpenCL: every node of LeNet-5 on the device, timed by its commands") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    const Graph g = load_model((fs::path(MUTINY_SOURCE_DIR) / "models" / "fashion_lenet5.onnx").string());
    Tensor x(DType::f32, Shape({2, 1, 28, 28}));
    for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>(i % 17) / 17.0f;
    const NodeTimes t = timed_run(g, {x});
    size_t on_device = 0;
    for (size_t n = 0; n < g.nodes.size(); ++n) {
        CAPTURE(g.nodes[n].name);
        // Every op of LeNet-5 has a kernel (cli.inspect_opencl_lenet): on the device, or nothing
        // at run time (a Reshape's shape written when the plan was made).
        CHECK((t.where[n] == NodeTimes::Where::device || t.where[n] == NodeTimes::Where::none));
        on_device += t.where[n] == NodeTimes::Where::device;
        if (g.nodes[n].op == "Conv" || g.nodes[n].op == "Gemm") {
            CHECK(t.where[n] == NodeTimes::Where::device);
            CHECK(t.seconds[n] > 0);
        }
        if (t.where[n] == NodeTimes::Where::none) CHECK(t.seconds[n] == 0);
    }
    CHECK(on_device >= 10);
}

TEST_CASE("node times on OpenCL: host nodes are marked, data-dependent or fallen back") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    const fs::path fixtures = fs::path(MUTINY_SOURCE_DIR) / "tests" / "fixtures";
    {
        // masked_cnn: the Conv layers on the device, the masking (data-dependent shapes) on the host.
        Graph g;
        const NodeTimes t = timed_run(fixtures / "dynamic_shapes" / "masked_cnn", g);
        size_t dd = 0;
        for (size_t n = 0; n < g.nodes.size(); ++n) {
            CAPTURE(g.nodes[n].name);
            const bool dynamic = g.value(g.nodes[n].outputs[0]).data_dependent;
            CHECK((t.where[n] == NodeTimes::Where::host_data_dependent) == dynamic);
            dd += dynamic;
            if (g.nodes[n].op == "Conv") CHECK(t.where[n] == NodeTimes::Where::device);
        }
        CHECK(dd >= 4);
    }
    {
        // if_runtime: If has no OpenCL kernel and runs its CPU kernel on the host (a fallback).
        Graph g;
        const NodeTimes t = timed_run(fixtures / "control_flow" / "if_runtime", g);
        size_t fallback = 0;
        for (size_t n = 0; n < g.nodes.size(); ++n)
            if (g.nodes[n].op == "If") {
                CHECK(t.where[n] == NodeTimes::Where::host_fallback);
                ++fallback;
            }
        CHECK(fallback == 1);
    }
}

TEST_CASE("node times on OpenCL: asked of an executor made without timing, an error") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    const Graph g = load_model((fs::path(MUTINY_SOURCE_DIR) / "models" / "fashion_lenet5.onnx").string());
    OpenClExecutor ex(g);
    NodeTimes t;
    const std::string e = mutiny_test::error_of([&] { ex.run({Tensor(DType::f32, Shape({1, 1, 28, 28}))}, &t); });
    CHECK(e.find("per-node timing asked of an executor without it") != std::string::npos);
    CHECK(e.find("OpenClOptions::timing") != std::string::npos);
}

#endif  // MUTINY_WITH_OPENCL
