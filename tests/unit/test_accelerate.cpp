// DeepMAACC's accelerations (docs/mutation.md): neuron clustering and mutant clustering (weight
// features) of fashion_lenet5 against SciPy (tests/fixtures/cluster/lenet5_accel.txt, written by
// tools/make_accel_fixtures.py from the ONNX weights, independently of Mutiny); what the clustered
// mutant lists hold; the score estimate against a vanilla campaign's verdicts; bad plans.
#include <doctest/doctest.h>

#include "support/support.hpp"

#include <mutiny/cluster/accelerate.hpp>
#include <mutiny/model.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace mutiny;
using namespace mutiny::cluster;

namespace {

std::string lenet5() { return (mutiny_test::source_dir() / "models/fashion_lenet5.onnx").string(); }

struct LayerFixture {
    std::string name;
    int64_t units = 0, k = 0;
    std::vector<double> ward, average;  // rows of 4
    std::vector<int> maxclust, distance;
    double threshold = 0;
    std::vector<int64_t> medoids;
};

std::vector<LayerFixture> read_fixture() {
    std::ifstream f(mutiny_test::source_dir() / "tests/fixtures/cluster/lenet5_accel.txt");
    REQUIRE(f.good());
    std::vector<LayerFixture> out;
    std::string word;
    auto rows = [&](std::vector<double>& z) {
        int64_t r = 0;
        f >> r;
        z.resize(static_cast<size_t>(4 * r));
        for (auto& v : z) f >> v;
    };
    while (f >> word) {
        if (word == "layer") {
            out.emplace_back();
            f >> out.back().name >> out.back().units;
        } else if (word == "ward") {
            rows(out.back().ward);
        } else if (word == "average") {
            rows(out.back().average);
        } else if (word == "maxclust") {
            f >> out.back().k;
            out.back().maxclust.resize(static_cast<size_t>(out.back().units));
            for (auto& v : out.back().maxclust) f >> v;
        } else if (word == "distance") {
            f >> out.back().threshold;
            out.back().distance.resize(static_cast<size_t>(out.back().units));
            for (auto& v : out.back().distance) f >> v;
        } else if (word == "medoids") {
            int64_t n = 0;
            f >> n;
            out.back().medoids.resize(static_cast<size_t>(n));
            for (auto& v : out.back().medoids) f >> v;
        } else {
            FAIL("unknown fixture line " << word);
        }
    }
    return out;
}

void check_linkage(const LinkageMatrix& Z, const std::vector<double>& ref) {
    REQUIRE(Z.z.size() == ref.size());
    for (size_t i = 0; i < ref.size(); ++i) {
        if (i % 4 == 2) CHECK(std::fabs(Z.z[i] - ref[i]) <= 1e-12 * std::fabs(ref[i]) + 1e-15);
        else CHECK(Z.z[i] == ref[i]);
    }
}

// Flat labels as a partition (sets of members), so label numbering does not matter.
std::set<std::vector<int64_t>> partition(const std::vector<int>& labels) {
    std::set<std::vector<int64_t>> p;
    for (const auto& g : groups_of_labels(labels)) p.insert(g);
    return p;
}

std::vector<Mutant> vanilla(const Graph& g) {
    EnumerateOptions eo;
    eo.ops = {"vanilla"};
    return enumerate_mutants(g, eo);
}

}  // namespace

TEST_CASE("neuron clustering: Ward linkage and maxclust cuts equal SciPy's on every layer of fashion_lenet5") {
    const Graph g = load_model(lenet5());
    const std::vector<LayerFixture> fx = read_fixture();
    REQUIRE(fx.size() == 5);
    for (const auto& L : fx) {
        CAPTURE(L.name);
        int node = -1;
        for (size_t n = 0; n < g.nodes.size(); ++n)
            if (g.nodes[n].name == L.name) node = static_cast<int>(n);
        REQUIRE(node >= 0);
        const LayerClusters c = cluster_layer_neurons(g, node, 3);
        CHECK(c.units == L.units);
        check_linkage(c.Z, L.ward);
        CHECK(static_cast<int64_t>(c.clusters.size()) == L.k);
        CHECK(L.k == (L.units + 2) / 3);
        std::set<std::vector<int64_t>> mine(c.clusters.begin(), c.clusters.end());
        CHECK(mine == partition(L.maxclust));
    }
}

TEST_CASE("neuron clustering: cluster mutants replace the per-unit mutants, one per (operator, cluster)") {
    const Graph g = load_model(lenet5());
    const std::vector<Mutant> v = vanilla(g);
    REQUIRE(v.size() == 708);
    // s = 1: every unit alone, the same mutants (ids and specs) as the exhaustive list.
    const NeuronClustering one = cluster_neuron_mutants(g, v, 1);
    REQUIRE(one.mutants.size() == v.size());
    for (size_t i = 0; i < v.size(); ++i) CHECK(one.mutants[i].spec == v[i].spec);
    // s = 3: ceil(units / 3) per layer (2 + 6 + 40 + 28 + 4 = 80) for each of CW, NAI, NEB.
    const NeuronClustering three = cluster_neuron_mutants(g, v, 3);
    CHECK(three.mutants.size() == 240);
    int64_t represented = 0;
    std::map<std::string, int64_t> per_op;
    for (size_t i = 0; i < three.mutants.size(); ++i) {
        const Mutant& m = three.mutants[i];
        represented += three.represented[i];
        ++per_op[m.spec.op];
        const Target t = parse_target(g, m.spec.target);
        CHECK(t.has_units);
        CHECK(static_cast<int64_t>(t.units.size()) == three.represented[i]);
        CHECK(m.status == MutantStatus::ok);
    }
    CHECK(represented == 708);
    CHECK(per_op == std::map<std::string, int64_t>{{"CW", 80}, {"NAI", 80}, {"NEB", 80}});
    // A cluster mutant changes exactly its units' weights: NEB of a cluster zeroes all of them.
    const Mutant& first = three.mutants[0];
    const Outcome o = evaluate_mutant(g, first.spec);
    REQUIRE(o.status == MutantStatus::ok);
    CHECK(o.mutation.units == parse_target(g, first.spec.target).units);
    CHECK_THROWS_WITH_AS(cluster_neuron_mutants(g, v, 0), doctest::Contains("s (units per cluster) must be >= 1"), Error);
}

TEST_CASE("mutant clustering (weights): average linkage, distance cut and medoids equal SciPy's") {
    const Graph g = load_model(lenet5());
    const std::vector<Mutant> v = vanilla(g);
    const std::vector<LayerFixture> fx = read_fixture();
    MutantClusterOptions o;
    o.threshold = 0.3;
    const MutantClustering mc = cluster_mutants(g, v, o);
    // Groups: (operator, layer): 3 x 5, each with the layer's units as members.
    CHECK(mc.groups.size() == 15);
    for (const MutantGroup& grp : mc.groups) {
        CAPTURE(grp.key);
        const Target t0 = parse_target(g, v[grp.members[0]].spec.target);
        const std::string layer = g.nodes[static_cast<size_t>(t0.node)].name;
        const LayerFixture* L = nullptr;
        for (const auto& l : fx)
            if (l.name == layer) L = &l;
        REQUIRE(L);
        REQUIRE(static_cast<int64_t>(grp.members.size()) == L->units);
        check_linkage(grp.Z, L->average);
        // The clusters of this group, as unit sets, and their representatives' units.
        std::map<size_t, int64_t> unit_of;
        for (size_t i : grp.members) unit_of[i] = parse_target(g, v[i].spec.target).units[0];
        std::set<std::vector<int64_t>> mine;
        std::set<int64_t> rep_units;
        for (size_t c = 0; c < mc.clusters.size(); ++c) {
            if (!unit_of.count(mc.clusters[c][0])) continue;
            std::vector<int64_t> units;
            for (size_t i : mc.clusters[c]) units.push_back(unit_of.at(i));
            std::sort(units.begin(), units.end());
            mine.insert(units);
            rep_units.insert(unit_of.at(mc.reps[c]));
        }
        CHECK(mine == partition(L->distance));
        CHECK(rep_units == std::set<int64_t>(L->medoids.begin(), L->medoids.end()));
    }
    // The run list: one representative per cluster, each standing for its cluster's size.
    int64_t total = 0;
    for (int64_t r : mc.represented) total += r;
    CHECK(total == 708);
    CHECK(mc.mutants.size() == mc.clusters.size());
    // Threshold 0 keeps every mutant whose features differ; 1 leaves one per group.
    MutantClusterOptions all = o;
    all.threshold = 1;
    CHECK(cluster_mutants(g, v, all).mutants.size() == 15);
}

TEST_CASE("mutant clustering: the estimate counts each representative's vanilla verdict once per member") {
    MUTINY_FASHION_MNIST_OR_SKIP();
    const char* data = "fashion-mnist:test@first=200";
    const Graph g = load_model((mutiny_test::source_dir() / "models/fashion_fcnn.onnx").string());
    std::vector<Mutant> v = vanilla(g);
    auto ds = open_dataset(data);
    CampaignOptions opt;
    opt.criteria = parse_criteria("killed-classes:mutant-label");
    opt.threads = 2;
    const CampaignResult base = Campaign(g, v, *ds, Recipe("unit"), data, opt, "fcnn", "test").run();
    const Recipe unit("unit");
    for (const char* features : {"weights", "behaviour"}) {
        CAPTURE(features);
        const ClusterPlan plan = ClusterPlan::parse(std::string("mutants:threshold=0.2,features=") + features + ",probe=50");
        const Acceleration a = accelerate(g, v, plan, ds.get(), &unit, 2);
        REQUIRE(a.mutants.size() < v.size());
        const CampaignResult r = Campaign(g, a.mutants, *ds, Recipe("unit"), data, opt, "fcnn", "test").run();
        // By hand: each representative's verdict in the exhaustive run, counted |c| times.
        std::map<std::string, size_t> in_base;
        for (size_t i = 0; i < base.mutants.size(); ++i) in_base[base.mutants[i].mutant.spec.id] = i;
        double killed_classes = 0, counted = 0, killed = 0;
        int equivalent_reps = 0;
        for (size_t i = 0; i < r.mutants.size(); ++i) {
            const size_t b = in_base.at(r.mutants[i].mutant.spec.id);
            CHECK(r.mutants[i].runs[0].summary.kill_bits == base.mutants[b].runs[0].summary.kill_bits);
            const Verdict vb = base.verdict_of(b, 0, 0);
            if (vb == Verdict::equivalent || vb == Verdict::invalid || vb == Verdict::not_applicable) {
                counted += static_cast<double>(a.represented[i] - 1);  // the others survive, no class killed
                equivalent_reps += a.represented[i] > 1 ? 1 : 0;
                continue;
            }
            const double w = static_cast<double>(a.represented[i]);
            counted += w;
            killed += (vb == Verdict::killed || vb == Verdict::crashed) ? w : 0;
            killed_classes += w * static_cast<double>(vb == Verdict::crashed ? base.classes : base.killed_classes_of(b, 0, 0));
        }
        const Score s = estimated_score(r, 0, 0, a);
        MESSAGE(features << ": " << equivalent_reps << " representatives of larger clusters are equivalent");
        CHECK(static_cast<double>(s.counted()) == counted);
        CHECK(s.kill_ratio() == doctest::Approx(killed / counted).epsilon(1e-12));
        CHECK(s.classes_score(r.classes) == doctest::Approx(killed_classes / (counted * static_cast<double>(r.classes))).epsilon(1e-12));
    }
    // Behaviour clusters do not depend on the thread count.
    MutantClusterOptions b;
    b.features = MutantFeatures::behaviour;
    b.probe = 40;
    b.threads = 1;
    const MutantClustering one = cluster_mutants(g, v, b, ds.get(), &unit);
    b.threads = 2;
    const MutantClustering two = cluster_mutants(g, v, b, ds.get(), &unit);
    CHECK(one.clusters == two.clusters);
    CHECK(one.reps == two.reps);
}

TEST_CASE("clustering plans: syntax and bad values") {
    CHECK(ClusterPlan::parse("neurons:s=4").str() == "neurons:s=4");
    CHECK(ClusterPlan::parse("mutants:threshold=0.25").str() == "mutants:threshold=0.25,features=weights,rep=medoid");
    CHECK(ClusterPlan::parse("mutants:threshold=0.5,features=behaviour,probe=30,seed=7,rep=random").str() ==
          "mutants:threshold=0.5,features=behaviour,rep=random,probe=30,seed=7");
    CHECK_THROWS_WITH_AS(ClusterPlan::parse("neurons:s=0"), doctest::Contains("s (units per cluster) must be >= 1"), Error);
    CHECK_THROWS_WITH_AS(ClusterPlan::parse("mutants:threshold=1.5"), doctest::Contains("threshold 1.5 out of range"), Error);
    CHECK_THROWS_WITH_AS(ClusterPlan::parse("mutants:threshold=-0.1"), doctest::Contains("out of range"), Error);
    CHECK_THROWS_WITH_AS(ClusterPlan::parse("mutants:threshold=abc"), doctest::Contains("bad value for threshold: 'abc'"), Error);
    CHECK_THROWS_WITH_AS(ClusterPlan::parse("mutants:features=pixels"), doctest::Contains("unknown features 'pixels'"), Error);
    CHECK_THROWS_WITH_AS(ClusterPlan::parse("neurons:threshold=0.3"), doctest::Contains("unknown option 'threshold' for neurons clustering"), Error);
    CHECK_THROWS_WITH_AS(ClusterPlan::parse("kmeans:k=3"), doctest::Contains("unknown clustering 'kmeans'"), Error);
    CHECK_THROWS_WITH_AS(ClusterPlan::parse("mutants:probe=0"), doctest::Contains("at least 1 input"), Error);
    const Graph g = load_model(lenet5());
    MutantClusterOptions b;
    b.features = MutantFeatures::behaviour;
    CHECK_THROWS_WITH_AS(cluster_mutants(g, vanilla(g), b), doctest::Contains("behaviour features need the data set"), Error);
}
