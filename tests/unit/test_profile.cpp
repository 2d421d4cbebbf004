// Campaign propagation profiles (analysis/profile.hpp): on a hand-built 4-3-2 perceptron, each
// mutant's profile equals what full runs of the mutated graph and of the original give, node by
// node and input by input (computed here from run_trace of each, one input at a time); a unit
// pushed further negative before a ReLU is masked at the ReLU; the profiles do not depend on batch,
// thread count or incremental execution, survive a resume, and bad setups are refused.
#include <doctest/doctest.h>

#include "support/support.hpp"
#include "mutant_spec.hpp"

#include <mutiny/analysis/campaign.hpp>
#include <mutiny/graph/builder.hpp>
#include <mutiny/report/html.hpp>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

using namespace mutiny;

namespace {

constexpr int64_t kInputs = 6;

// x [N,4] -> fc1 (Gemm, 3 units) -> relu -> fc2 (Gemm, 2 classes). Unit 1 of fc1 has weights -1 and
// bias -10: on inputs in [0, 1) its pre-activation is always negative, so the ReLU zeroes it.
Graph perceptron() {
    GraphBuilder b("perceptron");
    const auto x = b.input("x", DType::f32, Shape{-1, 4});
    const auto w1 = b.constant("w1", Tensor::from_vector<float>(Shape{4, 3}, {0.5f, -1, 0.3f, 0.2f, -1, -0.4f, 0.7f, -1, 0.6f, 0.1f, -1, -0.2f}));
    const auto b1 = b.constant("b1", Tensor::from_vector<float>(Shape{3}, {0.1f, -10, 0.05f}));
    const auto w2 = b.constant("w2", Tensor::from_vector<float>(Shape{3, 2}, {1, -1, 0.5f, 0.25f, -0.75f, 1}));
    const auto b2 = b.constant("b2", Tensor::from_vector<float>(Shape{2}, {0.01f, -0.02f}));
    const auto h = b.node("Gemm", {x, w1, b1}, {}, "fc1");
    const auto r = b.node("Relu", {h}, {}, "relu");
    b.output(b.node("Gemm", {r, w2, b2}, {}, "fc2"));
    return b.build();
}

// Six labelled rows of four values in [0, 1).
class Rows : public Dataset {
public:
    Rows() {
        for (int64_t i = 0; i < kInputs * 4; ++i) x_.push_back(static_cast<float>((i * 37 % 23) / 23.0));
    }
    size_t size() const override { return kInputs; }
    Sample get(size_t i) const override {
        Sample s;
        s.label = label(i);
        s.source = "rows[" + std::to_string(i) + "]";
        return s;
    }
    int label(size_t i) const override { return static_cast<int>(i % 2); }
    bool labelled() const override { return true; }
    std::string name() const override { return "rows"; }
    bool holds_tensors() const override { return true; }
    std::vector<Tensor> tensor_batch(const std::vector<size_t>& idx, const std::vector<InputSlot>&) const override {
        Tensor t(DType::f32, Shape{static_cast<int64_t>(idx.size()), 4});
        for (size_t k = 0; k < idx.size(); ++k)
            for (int64_t j = 0; j < 4; ++j) t.data<float>()[k * 4 + static_cast<size_t>(j)] = x_[idx[k] * 4 + static_cast<size_t>(j)];
        return {t};
    }

private:
    std::vector<float> x_;
};

std::vector<Mutant> mutants_of(const Graph& g) {
    std::vector<Mutant> m;
    m.push_back(mutant_from_spec(g, spec("CW", "node:fc1/units:1", {{"p", "1"}})));  // further negative: masked by the ReLU
    m.back().spec.id = "cw_dead";
    m.push_back(mutant_from_spec(g, spec("CW", "node:fc1/units:0", {{"p", "1"}})));  // a live unit: reaches the output
    m.back().spec.id = "cw_live";
    m.push_back(mutant_from_spec(g, spec("NAI", "node:fc2/units:1")));               // the last layer: depth 0 is the output
    m.back().spec.id = "nai_out";
    EnumerateOptions eo;
    eo.ops = {"replace_func_relu_to_sigmoid"};
    m.push_back(enumerate_mutants(g, eo).at(0));
    m.back().spec.id = "graph";
    return m;
}

CampaignResult run(const Graph& g, CampaignOptions opt) {
    const Rows data;
    Campaign c(g, mutants_of(g), data, Recipe("unit"), "rows", std::move(opt), "perceptron", "test");
    return c.run();
}

CampaignOptions profiled(int threads, int64_t batch) {
    CampaignOptions o;
    o.threads = threads;
    o.batch = batch;
    o.profile.inputs = 5;  // of 6: the last batch is partly profiled
    return o;
}

// The expected row of a node output on input i, from full single-input runs.
struct Want {
    bool differs;
    double rel, max_abs;
};
Want want_of(const Tensor& a, const Tensor& b) {
    Want w{false, 0, 0};
    double dd = 0, aa = 0;
    for (int64_t e = 0; e < a.numel(); ++e) {
        const double x = a.data<float>()[e], y = b.data<float>()[e];
        w.differs = w.differs || x != y;
        w.max_abs = std::max(w.max_abs, std::fabs(x - y));
        dd += (x - y) * (x - y);
        aa += x * x;
    }
    w.rel = dd == 0 ? 0 : std::sqrt(dd / aa);
    return w;
}

std::string tmpdir(const std::string& name) {
    const auto p = std::filesystem::temp_directory_path() / ("mutiny-test-profile-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(p);
    return p.string();
}

}  // namespace

TEST_CASE("profiles: each row is what full runs of the mutant and the original give, node by node") {
    const Graph g = perceptron();
    const CampaignResult r = run(g, profiled(2, 4));
    REQUIRE(r.profiles.size() == 4);
    const Rows data;
    const std::vector<InputSlot> slots = input_slots(g);
    const std::vector<Mutant> ms = mutants_of(g);
    for (size_t i = 0; i < 3; ++i) {
        CAPTURE(ms[i].spec.id);
        const MutantProfile& p = r.profiles[i];
        Graph mg = g;
        for (Value& v : mg.values)  // own weights: a copy of a graph shares its constants' storage
            if (v.is_constant()) v.constant = v.constant.clone();
        const Mutation m = apply_mutant(mg, ms[i].spec);
        apply_weights(mg, m);
        CpuExecutor orig(g), mut(mg);
        // Downstream of the mutated node, in topological order.
        std::vector<int> nodes;
        for (size_t n = static_cast<size_t>(m.changed_nodes.at(0)); n < g.nodes.size(); ++n) nodes.push_back(static_cast<int>(n));
        REQUIRE(p.rows.size() == nodes.size());
        REQUIRE(p.inputs() == 5);
        std::vector<int64_t> differing(nodes.size(), 0);
        std::vector<double> sum_rel(nodes.size(), 0), max_abs(nodes.size(), 0);
        for (size_t in = 0; in < 5; ++in) {
            const std::vector<Tensor> x = make_inputs(data, in, 1, Recipe("unit"), slots);
            const Trace a = orig.run_trace(x), b = mut.run_trace(x);
            int last = -1;
            for (size_t k = 0; k < nodes.size(); ++k) {
                const int v = g.nodes[static_cast<size_t>(nodes[k])].outputs[0];
                const Want w = want_of(a[static_cast<size_t>(v)], b[static_cast<size_t>(v)]);
                differing[k] += w.differs;
                sum_rel[k] += w.rel;
                max_abs[k] = std::max(max_abs[k], w.max_abs);
                if (w.differs) last = static_cast<int>(k);
            }
            CHECK(p.last_row[in] == last);
        }
        for (size_t k = 0; k < nodes.size(); ++k) {
            CAPTURE(k);
            CHECK(p.rows[k].node == nodes[k]);
            CHECK(p.rows[k].node_name == g.nodes[static_cast<size_t>(nodes[k])].name);
            CHECK(p.rows[k].differing == differing[k]);
            CHECK(p.rows[k].max_abs == doctest::Approx(max_abs[k]).epsilon(1e-12));
            CHECK(p.rows[k].mean_rel() == doctest::Approx(sum_rel[k] / 5).epsilon(1e-12));
        }
    }
    // The dead unit: fc1's output differs on every input, the ReLU's on none: masked by the ReLU.
    const MutantProfile& dead = r.profiles[0];
    CHECK(dead.rows[0].differing == 5);
    CHECK(dead.rows[0].max_abs > 5);
    CHECK(dead.rows[1].differing == 0);
    CHECK(dead.structurally_weak());
    CHECK(dead.reaching_output() == 0);
    CHECK(dead.last_differing() == 0);
    REQUIRE(dead.masked_row == 1);
    CHECK(dead.rows[1].node_name == "relu");
    // The live unit reaches the output on every input; NAI on the last layer is the output itself.
    CHECK(r.profiles[1].reaching_output() == 5);
    CHECK(!r.profiles[1].structurally_weak());
    CHECK(r.profiles[1].masked_row == -1);
    CHECK(r.profiles[2].rows.size() == 1);
    CHECK(r.profiles[2].output_row == 0);
    // A graph mutant's nodes are not the original's: a note, no rows.
    CHECK(r.profiles[3].empty());
    CHECK(r.profiles[3].note.find("graph mutant") != std::string::npos);

    // The reports: report.json's section, profiles.csv's rows and the HTML summary.
    const std::string json = campaign_report_json(r), csv = profiles_csv(r), html = campaign_report_html(r);
    CHECK(json.find("\"id\": \"cw_dead\"") != std::string::npos);
    CHECK(json.find("\"masked_by\": \"relu\"") != std::string::npos);
    CHECK(csv.find("cw_dead,CW(p=1),1,relu,Relu,relu_out,0,5,0,0\n") != std::string::npos);
    CHECK(html.find("Propagation profiles") != std::string::npos);
    CHECK(html.find("<td class='l'>cw_dead</td><td class='l'>CW(p=1)</td><td class='l'>fc1 (Gemm)</td><td>0</td><td class='l'>relu (Relu)</td>") !=
          std::string::npos);
}

TEST_CASE("profiles: the same bits whatever the batch, threads or incremental execution") {
    const Graph g = perceptron();
    const std::string want = profiles_csv(run(g, profiled(1, 6)));
    for (int64_t batch : {1, 2, 4}) {
        CAPTURE(batch);
        CHECK(profiles_csv(run(g, profiled(3, batch))) == want);
        CampaignOptions full = profiled(2, batch);
        full.incremental = false;
        CHECK(profiles_csv(run(g, full)) == want);
    }
}

TEST_CASE("profiles: a resumed campaign ends with the uninterrupted one's") {
    const Graph g = perceptron();
    const std::string dir = tmpdir("resume"), whole_dir = tmpdir("whole");
    CampaignOptions o = profiled(2, 2);
    o.out_dir = whole_dir;
    const std::string whole = profiles_csv(run(g, o));
    // Interrupted in the second batch (the first's inputs 0..1 profiled and checkpointed), resumed:
    // inputs 2..4 are added to them.
    o.out_dir = dir;
    o.progress = [](int64_t done, int64_t) {
        if (done == 5 + 2) throw std::runtime_error("interrupted");  // 5 steps per batch: the original and 4 mutants
    };
    CHECK_THROWS_WITH(run(g, o), "interrupted");
    o.progress = nullptr;
    o.resume = true;
    const CampaignResult resumed = run(g, o);
    CHECK(resumed.resumed_at_batch == 1);
    CHECK(profiles_csv(resumed) == whole);
    CHECK(resumed.profiles[0].inputs() == 5);
    // Another profile count is another campaign.
    o.profile.inputs = 4;
    CHECK_THROWS_WITH_AS(run(g, o), doctest::Contains("it has 'profiles 5 atol 0 rtol 0' where this campaign has 'profiles 4 atol 0 rtol 0'"), Error);
    std::filesystem::remove_all(dir);
    std::filesystem::remove_all(whole_dir);
}

TEST_CASE("profiles: a tolerance decides what differs; bad setups are refused") {
    const Graph g = perceptron();
    CampaignOptions o = profiled(1, 6);
    o.profile.atol = 1e6;  // nothing differs by more
    const CampaignResult r = run(g, o);
    CHECK(r.profiles[1].reaching_output() == 0);
    CHECK(r.profiles[1].rows[0].differing == 0);
    CHECK(r.profiles[1].rows[0].max_abs > 0);  // the errors are measured all the same
    CampaignOptions bad = profiled(1, 6);
    bad.profile.atol = -1;
    CHECK_THROWS_WITH_AS(run(g, bad), doctest::Contains("atol"), Error);
    bad = profiled(1, 6);
    bad.devices = {"opencl"};
    CHECK_THROWS_WITH_AS(run(g, bad), "profiles need the cpu device at campaign: the CPU device computes them from the original's activations; add cpu to the devices",
                         Error);
}
