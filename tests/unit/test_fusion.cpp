// Fusion (exec/cpu/executor.hpp, fuse_groups; docs/architecture.md "Fusion"): run() with the
// element-wise nodes after a Conv applied as the Conv's epilogue gives bitwise the outputs of the
// same executor without fusion, on every instruction-set level the machine runs, at batch 1 and 7:
// on graphs made for it (BatchNormalization, every fusable activation, residual Add and Sum,
// per-channel and scalar constants, buffers that a fused output could alias, sites on the Conv
// and on a fused node, an intermediate that is a graph output) and on the shipped models; the
// groups formed are the expected ones; a campaign's kill matrix is the same with fusion off.
#include <doctest/doctest.h>

#include "support/support.hpp"

#include <mutiny/analysis/campaign.hpp>
#include <mutiny/exec/cpu/executor.hpp>
#include <mutiny/model.hpp>
#include <mutiny/report/campaign_report.hpp>
#include <mutiny/ops/isa/dispatch.hpp>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

using namespace mutiny;

namespace {

struct KeepLevel {
    isa::Level saved = isa::active();
    ~KeepLevel() { isa::force(saved); }
};

Tensor random(Shape s, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
    Tensor t(DType::f32, std::move(s));
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(lo, hi);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
    return t;
}

// A graph built node by node; values named v0, v1, ...
struct Builder {
    Graph g;
    uint32_t seed = 1;
    int x = g.add_input("x", DType::f32, Shape{-1, 3, 10, 12});
    int node(const std::string& op, std::vector<int> in, Attributes a = {}) {
        Node n;
        n.op = op;
        n.name = op + std::to_string(g.nodes.size());
        n.inputs = std::move(in);
        n.attrs = std::move(a);
        n.outputs.push_back(g.add_value("v" + std::to_string(g.values.size())));
        g.nodes.push_back(n);
        return n.outputs[0];
    }
    int constant(Tensor t) { return g.add_constant("c" + std::to_string(g.values.size()), std::move(t)); }
    int conv(int in, int64_t cin, int64_t cout, int64_t k) {
        Attributes a;
        a.set_ints("pads", std::vector<int64_t>(4, k / 2));
        return node("Conv", {in, constant(random(Shape{cout, cin, k, k}, seed++, -0.5f, 0.5f)), constant(random(Shape{cout}, seed++))}, a);
    }
    int bn(int in, int64_t c) {
        Attributes a;
        a.set_float("epsilon", 1e-3);
        return node("BatchNormalization", {in, constant(random(Shape{c}, seed++, 0.5f, 1.5f)), constant(random(Shape{c}, seed++)),
                                           constant(random(Shape{c}, seed++)), constant(random(Shape{c}, seed++, 0.5f, 2.0f))},
                    a);
    }
    Graph done(std::vector<int> outs) {
        g.outputs = std::move(outs);
        infer_types(g, 1);
        return g;
    }
};

// Fused run() == unfused run() == the trace's outputs, bitwise, at batch 1 and 7 on every level.
void check_fused_equals_unfused(const Graph& g, const CpuOptions& base = {}) {
    KeepLevel keep;
    for (int64_t batch : {1, 7}) {
        CAPTURE(batch);
        Shape s = g.value(g.inputs[0]).shape;
        for (auto& d : s.dims())
            if (d < 0) d = batch;
        const Tensor x = random(s, static_cast<uint32_t>(batch), 0.0f, 1.0f);
        for (isa::Level level : isa::supported()) {
            CAPTURE(isa::name(level));
            isa::force(level);
            CpuOptions on = base, off = base;
            on.threads = off.threads = 2;
            off.fuse = false;
            CpuExecutor fused(g, on), plain(g, off);
            const std::vector<Tensor> a = fused.run({x}), b = plain.run({x});
            const Trace t = plain.run_trace({x});
            REQUIRE(a.size() == b.size());
            for (size_t i = 0; i < a.size(); ++i) {
                CHECK(a[i].bitwise_equal(b[i]));
                CHECK(a[i].bitwise_equal(t[static_cast<size_t>(g.outputs[i])]));
            }
            CHECK(plain.fusion_groups(batch).empty());
        }
    }
}

// The op names of each fusion group.
std::vector<std::string> group_ops(CpuExecutor& ex, const Graph& g, int64_t batch) {
    std::vector<std::string> r;
    for (const auto& grp : ex.fusion_groups(batch)) {
        std::string s;
        for (int n : grp) s += (s.empty() ? "" : "+") + g.nodes[static_cast<size_t>(n)].op;
        r.push_back(s);
    }
    return r;
}

}  // namespace

TEST_CASE("fusion: Conv + BatchNormalization + activation, residual Add and Sum, per-channel constants") {
    Builder b;
    // 16 output channels over 12-wide rows: the implicit-GEMM path where the level has it.
    const int a = b.node("Relu", {b.bn(b.conv(b.x, 3, 16, 3), 16)});
    // The Conv's input `a` dies at this Conv: its buffer must not take the fused output.
    const int c = b.node("Relu", {b.bn(b.conv(a, 16, 16, 3), 16)});
    // Residual: Add(conv(c), a), then Sum(c, conv(...)) with the fused value second.
    const int d = b.node("Relu", {b.node("Add", {b.conv(c, 16, 16, 1), a})});
    const int e = b.node("Sum", {c, b.bn(b.conv(d, 16, 16, 3), 16)});
    // 40 output channels: the im2col path; per-channel Mul, scalar Add, LeakyRelu, Clip, Sigmoid.
    Attributes leaky;
    leaky.set_float("alpha", 0.1);
    const int f = b.node("LeakyRelu", {b.node("Add", {b.constant(Tensor::scalar<float>(0.25f)),
                                                        b.node("Mul", {b.conv(e, 16, 40, 3), b.constant(random(Shape{40, 1, 1}, 99))})})},
                         leaky);
    const int h = b.node("Sigmoid", {b.node("Clip", {b.conv(f, 40, 8, 3), b.constant(Tensor::scalar<float>(-0.5f)),
                                                     b.constant(Tensor::scalar<float>(0.75f))})});
    const Graph g = b.done({h});
    CpuExecutor ex(g, CpuOptions{2, {}, {}});
    CHECK(group_ops(ex, g, 1) == std::vector<std::string>{"Conv+BatchNormalization+Relu", "Conv+BatchNormalization+Relu", "Conv+Add+Relu",
                                                          "Conv+BatchNormalization+Sum", "Conv+Mul+Add+LeakyRelu", "Conv+Clip+Sigmoid"});
    check_fused_equals_unfused(g);
}

TEST_CASE("fusion stops at a node with sites, a graph output, a second reader or a broadcasting operand; Conv sites stay") {
    Builder b;
    const int bn1 = b.bn(b.conv(b.x, 3, 16, 3), 16);
    const int r1 = b.node("Relu", {bn1});
    const int c2 = b.conv(r1, 16, 16, 3);      // read twice: not fused
    const int s2 = b.node("Add", {c2, c2});
    const int c3 = b.conv(s2, 16, 8, 3);       // a graph output: not fused past it
    const int r3 = b.node("Relu", {c3});
    // A full-rank operand that broadcasts along the width is not a residual: not fused.
    const int c4 = b.conv(r3, 8, 8, 3);
    const int a4 = b.node("Add", {c4, b.constant(random(Shape{1, 1, 1, 12}, 7))});
    Graph g = b.done({a4, c3});
    SiteConfig store;
    store.store = SiteConfig::Store::f16;  // on the first Conv: fused, its sites applied before the steps
    SiteConfig lt;
    lt.cmp = SiteConfig::Cmp::lt_to_le;
    CpuOptions o;
    o.node_sites[g.nodes[0].name] = store;
    o.node_sites[g.nodes[2].name] = lt;  // the Relu after the first BN: fusion stops before it
    CpuExecutor ex(g, o);
    CHECK(group_ops(ex, g, 1) == std::vector<std::string>{"Conv+BatchNormalization"});
    check_fused_equals_unfused(g, o);
    // Without sites the Relu joins; the rest stays unfused.
    CpuExecutor ex2(g, CpuOptions{2, {}, {}});
    CHECK(group_ops(ex2, g, 1) == std::vector<std::string>{"Conv+BatchNormalization+Relu"});
    check_fused_equals_unfused(g);
    // MUTINY_FUSION=0 turns it off for every executor.
    ::setenv("MUTINY_FUSION", "0", 1);
    CHECK(CpuExecutor(g, CpuOptions{2, {}, {}}).fusion_groups(1).empty());
    ::unsetenv("MUTINY_FUSION");
}

TEST_CASE("fusion: the shipped models give the unfused bits at batch 1 and 7 on every level") {
    for (const char* name : {"fashion_fcnn", "fashion_lenet5", "fashion_resnet", "fashion_lenet5_int8"}) {
        CAPTURE(name);
        const Graph g = load_model((mutiny_test::source_dir() / "models" / (std::string(name) + ".onnx")).string());
        check_fused_equals_unfused(g);
    }
    const Graph resnet = load_model((mutiny_test::source_dir() / "models/fashion_resnet.onnx").string());
    CpuExecutor ex(resnet, CpuOptions{2, {}, {}});
    const auto groups = group_ops(ex, resnet, 1);
    // Every Conv of fashion_resnet is followed by its BatchNormalization; the block outputs add
    // the shortcut before their Relu.
    CHECK(groups.size() == 9);
    int residual = 0;
    for (const auto& s : groups) {
        CHECK(s.rfind("Conv+BatchNormalization", 0) == 0);
        residual += s == "Conv+BatchNormalization+Add+Relu";
    }
    CHECK(residual == 3);
    const Graph lenet = load_model((mutiny_test::source_dir() / "models/fashion_lenet5.onnx").string());
    CpuExecutor ex2(lenet, CpuOptions{2, {}, {}});
    CHECK(group_ops(ex2, lenet, 7) == std::vector<std::string>{"Conv+Sigmoid", "Conv+Sigmoid"});
}

TEST_CASE("fusion: a campaign's kill matrix is the same with fusion off") {
    MUTINY_FASHION_MNIST_OR_SKIP();
    const char* data = "fashion-mnist:test@first=64";
    const Graph g = load_model((mutiny_test::source_dir() / "models/fashion_resnet.onnx").string());
    std::unique_ptr<Dataset> ds = open_dataset(data);
    EnumerateOptions eo;
    eo.ops = {"vanilla"};
    std::vector<Mutant> mutants = enumerate_mutants(g, eo);
    mutants.resize(std::min<size_t>(mutants.size(), 24));
    EnumerateOptions k;
    k.ops = {"float32_to_int8", "replace_func_relu_to_sigmoid"};  // kernel sites; graph mutants run fused
    for (auto& m : enumerate_mutants(g, k)) mutants.push_back(m);
    auto run = [&]() {
        CampaignOptions opt;
        opt.threads = 2;
        opt.batch = 32;
        Campaign c(g, mutants, *ds, Recipe("unit"), data, opt, "fashion_resnet", "test");
        return c.run();
    };
    const CampaignResult fused = run();
    ::setenv("MUTINY_FUSION", "0", 1);
    const CampaignResult plain = run();
    ::unsetenv("MUTINY_FUSION");
    CHECK(campaign_kill_matrix(fused, 0) == campaign_kill_matrix(plain, 0));
    const Score all = campaign_scores(fused, 0, 0, "").at("all");
    CHECK(all.killed > 0);
    CHECK(all.mutants == static_cast<int64_t>(mutants.size()));
}
