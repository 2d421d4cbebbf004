// ONNX Runtime's com.microsoft quantized ops (ops/quant/contrib_*.hpp) under the OpenCL executor:
// they have no OpenCL kernel, so each runs its CPU kernel on the host (per-node fallback), named in
// the fallback list, with the CPU executor's bits: every fixture of tools/make_contrib_quant_fixtures.py
// (its QOperator CNN with QLinearAveragePool, QLinearConcat, QGemm and QLinearSoftmax among them)
// and the QOperator SE-CNN whose every op is quantized (tests/fixtures/exporters).
#include "opencl_test_util.hpp"

using namespace mutiny;
using namespace octest;

#if MUTINY_WITH_OPENCL

TEST_CASE("contrib quantized ops run on the host under OpenCL with the CPU's bits") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    const fs::path src(MUTINY_SOURCE_DIR);
    std::vector<fs::path> dirs = find_conformance_tests({(src / "tests" / "fixtures" / "contrib_quant").string()});
    REQUIRE(dirs.size() == 47);
    dirs.push_back(src / "tests" / "fixtures" / "exporters" / "se_cnn_qoperator_all_ops");
    for (const auto& dir : dirs) {
        CAPTURE(dir.filename().string());
        const Graph g = load_onnx((dir / "model.onnx").string());
        CpuExecutor cpu(g);
        OpenClExecutor ocl(g);
        size_t contrib_nodes = 0, contrib_on_host = 0;
        for (const Node& n : g.nodes) contrib_nodes += n.op.rfind("com.microsoft.", 0) == 0;
        for (const auto& n : ocl.fallback_nodes()) contrib_on_host += n.find("(com.microsoft.") != std::string::npos;
        CHECK(contrib_nodes > 0);
        CHECK(contrib_on_host == contrib_nodes);
        check_sets_bitwise(dir, cpu, ocl);
    }
}

#else
TEST_CASE("OpenCL contrib quantized ops") { mutiny_test::missing("OpenCL support (built without MUTINY_WITH_OPENCL)"); }
#endif
