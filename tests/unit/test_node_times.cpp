// Per-node timing (exec/node_times.hpp) on the CPU executor, and the table across sides built from
// it (analysis/node_timing.hpp) and written to JSON and HTML (report/node_timing_report.hpp).
// Times are only checked for being there, >= 0 and consistent (the nodes' sum within the run's
// wall time); the table's arithmetic is checked on given times.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include <mutiny/analysis/node_timing.hpp>
#include <mutiny/exec/cpu/executor.hpp>
#include <mutiny/model.hpp>
#include <mutiny/report/node_timing_report.hpp>

#include "support/node_times.hpp"
#include "support/support.hpp"

using namespace mutiny;

namespace {

Tensor lenet_input(int64_t batch) {
    Tensor x(DType::f32, Shape({batch, 1, 28, 28}));
    float* d = x.data<float>();
    for (int64_t i = 0; i < x.numel(); ++i) d[i] = static_cast<float>((i * 37) % 101) / 101.0f;
    return x;
}

}  // namespace

TEST_CASE("node times: the CPU executor times every node, the outputs the same bits as untimed") {
    const Graph g = load_model((mutiny_test::source_dir() / "models/fashion_lenet5.onnx").string());
    for (const bool fuse : {true, false}) {
        CAPTURE(fuse);
        CpuOptions opt;
        opt.threads = 2;
        opt.fuse = fuse;
        CpuExecutor ex(g, opt);
        const std::vector<Tensor> in{lenet_input(3)};
        const std::vector<Tensor> plain = ex.run(in);
        NodeTimes t;
        t.total = -1;
        const std::vector<Tensor> timed = ex.run(in, &t);
        mutiny_test::check_timed_run(g, plain, timed, t);
        size_t fused = 0;
        for (size_t n = 0; n < g.nodes.size(); ++n) {
            CAPTURE(g.nodes[n].name);
            if (t.where[n] == NodeTimes::Where::fused) {
                ++fused;
                CHECK(t.seconds[n] == 0);
                // Fused into the Conv right before it (or a node fused into that Conv).
                REQUIRE(n > 0);
                CHECK((g.nodes[n - 1].op == "Conv" || t.where[n - 1] == NodeTimes::Where::fused));
            } else {
                CHECK(t.where[n] == NodeTimes::Where::cpu);
            }
        }
        // LeNet-5's two Conv+Sigmoid groups run fused in run() (test_fusion.cpp).
        CHECK(fused == (fuse ? 2u : 0u));
        // A second timed run overwrites the first's times.
        ex.run(in, &t);
        CHECK(t.seconds.size() == g.nodes.size());
    }
}

TEST_CASE("node times: the table across sides matches nodes by name, takes medians and ratios") {
    Graph a, b;
    for (const char* n : {"x", "q", "y"}) {
        Node node;
        node.name = n;
        node.op = std::string(n) == "q" ? "QuantizeLinear" : "Relu";
        a.nodes.push_back(node);
    }
    for (const char* n : {"x", "y", "extra"}) {
        Node node;
        node.name = n;
        node.op = "Relu";
        b.nodes.push_back(node);
    }
    NodeTimingRecorder rec;
    rec.add_side("cpu", "cpu, 1 thread", a);
    rec.add_side("opencl", "opencl, PoCL", b);
    auto times = [](std::vector<double> s, NodeTimes::Where w, double total) {
        NodeTimes t;
        t.seconds = s;
        t.where.assign(s.size(), w);
        t.total = total;
        return t;
    };
    // Three runs: medians 2, 1, 4 ms on the reference; 6, 1, 0.5 ms on the other side.
    rec.add(0, times({0.001, 0.003, 0.004}, NodeTimes::Where::cpu, 0.010));
    rec.add(0, times({0.002, 0.001, 0.005}, NodeTimes::Where::cpu, 0.009));
    rec.add(0, times({0.003, 0.001, 0.004}, NodeTimes::Where::cpu, 0.011));
    for (int r = 0; r < 3; ++r) rec.add(1, times({0.006, 0.001, 0.0005}, NodeTimes::Where::device, 0.008));
    CHECK_THROWS_AS(rec.add(1, times({0.1}, NodeTimes::Where::device, 0.2)), Error);
    const NodeTiming t = rec.result();
    CHECK(t.runs == 3);
    REQUIRE(t.rows.size() == 4);  // x, q, y of the reference, then the other side's extra
    CHECK(t.rows[0].name == "x");
    CHECK(t.rows[1].name == "q");
    CHECK(t.rows[2].name == "y");
    CHECK(t.rows[3].name == "extra");
    CHECK(t.rows[0].seconds[0] == doctest::Approx(0.002));
    CHECK(t.rows[0].seconds[1] == doctest::Approx(0.006));
    CHECK(t.rows[0].ratio(1) == doctest::Approx(3.0));
    CHECK(std::isnan(t.rows[0].ratio(0)));
    CHECK(std::isnan(t.rows[1].seconds[1]));  // the other side has no q
    CHECK(t.rows[1].where[1] == -1);
    CHECK(std::isnan(t.rows[1].ratio(1)));
    CHECK(t.rows[2].seconds[0] == doctest::Approx(0.004));
    CHECK(t.rows[2].ratio(1) == doctest::Approx(0.001 / 0.004));
    CHECK(std::isnan(t.rows[3].seconds[0]));
    CHECK(t.rows[3].where[1] == static_cast<int>(NodeTimes::Where::device));
    CHECK(t.total_seconds[0] == doctest::Approx(0.010));
    CHECK(t.total_ratio(1) == doctest::Approx(0.8));
    CHECK(t.node_seconds[0] == doctest::Approx(0.002 + 0.001 + 0.004));
    CHECK(t.node_seconds[1] == doctest::Approx(0.006 + 0.001 + 0.0005));

    JsonWriter j;
    node_timing_json(j, t);
    const std::string js = j.str();
    // Every row once, with a place per side (the JSON's parse is tested in cli.diff_timing).
    size_t rows = 0;
    for (size_t at = js.find("\"where\""); at != std::string::npos; at = js.find("\"where\"", at + 1)) ++rows;
    CHECK(rows == 4);
    CHECK(js.find("\"QuantizeLinear\"") != std::string::npos);
    CHECK(js.find("null") != std::string::npos);
    const std::string html = node_timing_html(t);
    // Sorted by the reference's time: y (4 ms), x (2 ms), q (1 ms), extra (none) last; x's 3x is
    // marked slow, y's 0.25x fast.
    CHECK(html.find(">y<") < html.find(">x<"));
    CHECK(html.find(">x<") < html.find(">q<"));
    CHECK(html.find(">q<") < html.find(">extra<"));
    CHECK(html.find("<td class='slow'>3&times;</td>") != std::string::npos);
    CHECK(html.find("<td class='fast'>0.25&times;</td>") != std::string::npos);
}
