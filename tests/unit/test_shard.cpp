// Scale out (analysis/shard.hpp, shard_cost.hpp, merge.hpp): mutants are dealt to shards by
// estimated cost (largest first to the least loaded shard, checked against a hand-worked oracle),
// every mutant lands in exactly one shard, a mutant of an early layer costs more than one of a late
// layer; the parts of a campaign, saved and loaded, merge into the single run's report (timings
// aside); merge refuses duplicates, gaps, parts of another campaign and a changed byte, by name.
#include <doctest/doctest.h>

#include "support/support.hpp"

#include <mutiny/analysis/merge.hpp>
#include <mutiny/analysis/shard.hpp>
#include <mutiny/model.hpp>
#include <mutiny/report/html.hpp>

#include <set>
#include <string>
#include <vector>

using namespace mutiny;

namespace {

std::string without_timing(const std::string& json) { return json.substr(0, json.find("\"timing\"")); }

}  // namespace

TEST_CASE("shards: dealt by cost, largest first to the least loaded, each mutant once") {
    // LPT by hand: 7->0, 6->1, 5->2, 4->2 (9), 3->1 (9), 2->0 (9), 1->0 (10).
    const std::vector<double> cost{7, 6, 5, 4, 3, 2, 1};
    const auto parts = deal_by_cost(cost, 3);
    CHECK(parts[0] == std::vector<size_t>{0, 5, 6});
    CHECK(parts[1] == std::vector<size_t>{1, 4});
    CHECK(parts[2] == std::vector<size_t>{2, 3});
    CHECK(shard_mutants(cost, ShardSpec{2, 3}) == parts[1]);
    // Ties go to the lower shard, and more shards than items leave the last ones empty.
    const auto tied = deal_by_cost({1, 1, 1}, 5);
    CHECK(tied[0] == std::vector<size_t>{0});
    CHECK(tied[2] == std::vector<size_t>{2});
    CHECK(tied[4].empty());
    CHECK_THROWS_WITH_AS(shard_mutants(cost, ShardSpec{4, 3}), "no such shard at shard 4/3: K/N needs 1 <= K <= N", Error);
}

TEST_CASE("shards: a mutant of an early layer costs more than one of a late layer") {
    const Graph g = load_model((mutiny_test::source_dir() / "models/fashion_lenet5.onnx").string());
    EnumerateOptions eo;
    eo.ops = {"vanilla"};
    const std::vector<Mutant> m = enumerate_mutants(g, eo);
    const std::vector<double> cost = mutant_costs(g, m);
    REQUIRE(cost.size() == m.size());
    // vanilla lists layers in topological order: the first mutant is in the first layer, the last
    // in the last; the whole model is at least the first layer's cost.
    CHECK(cost.front() > 10 * cost.back());
    CHECK(cost.front() <= 1.01 * graph_flops(g, 1) + 1);
    // Every mutant in exactly one of 16 shards; the shards' estimated work within 10% of each other.
    std::set<size_t> seen;
    double lo = 1e300, hi = 0;
    for (int64_t k = 1; k <= 16; ++k) {
        double w = 0;
        for (size_t i : shard_mutants(cost, ShardSpec{k, 16})) {
            CHECK(seen.insert(i).second);
            w += cost[i];
        }
        lo = std::min(lo, w);
        hi = std::max(hi, w);
    }
    CHECK(seen.size() == m.size());
    CHECK(hi <= 1.1 * lo);
}

TEST_CASE("mpi chunks: one per rank while more would cost over 2.5% of the work, at most two") {
    // Work in model passes: extra chunks = floor(0.025 * work / 8), capped at one per rank.
    const std::vector<double> small(100, 1.0);  // 100 passes: 0.31 of a chunk's cost
    CHECK(mpi_chunk_count(small, 1.0, 1) == 1);
    CHECK(mpi_chunk_count(small, 1.0, 2) == 2);
    CHECK(mpi_chunk_count(small, 1.0, 4) == 4);
    const std::vector<double> medium(1000, 1.0);  // 1000 passes: 3 extra chunks
    CHECK(mpi_chunk_count(medium, 1.0, 2) == 4);
    CHECK(mpi_chunk_count(medium, 1.0, 8) == 11);
    const std::vector<double> big(100000, 1.0);
    CHECK(mpi_chunk_count(big, 1.0, 16) == 32);
    // Never more chunks than mutants, never fewer than one.
    CHECK(mpi_chunk_count(std::vector<double>(3, 1e9), 1.0, 8) == 3);
    CHECK(mpi_chunk_count({}, 1.0, 8) == 1);
    CHECK_THROWS_WITH_AS(mpi_chunk_count(small, 1.0, 0), "bad rank count at mpi: 0 (must be >= 1)", Error);
    // The shipped LeNet-5's vanilla campaign (708 mutants, about 116 passes): one chunk per rank.
    const Graph g = load_model((mutiny_test::source_dir() / "models/fashion_lenet5.onnx").string());
    EnumerateOptions eo;
    eo.ops = {"vanilla"};
    const std::vector<double> cost = mutant_costs(g, enumerate_mutants(g, eo));
    CHECK(mpi_chunk_count(cost, graph_flops(g, symbolic_size(g)), 2) == 2);
}

TEST_CASE("shards: parts saved, loaded and merged give the single run's report; bad merges are named") {
    const Graph g = load_model((mutiny_test::source_dir() / "models/fashion_fcnn.onnx").string());
    const auto ds = open_dataset("fashion-mnist:test@first=30");
    EnumerateOptions eo;
    eo.ops = {"vanilla"};
    std::vector<Mutant> all = enumerate_mutants(g, eo);
    all.resize(20);  // 20 neuron mutants of the first layer, and a kernel mutant
    EnumerateOptions k;
    k.ops = {"replace_func_relu_to_sigmoid"};
    all.push_back(enumerate_mutants(g, k).at(0));
    CampaignOptions opt;
    opt.threads = 1;
    opt.batch = 8;
    opt.criteria = parse_criteria("prediction,killed-classes:mutant-label,statistical");
    const CampaignResult whole = Campaign(g, all, *ds, Recipe{}, "test", opt, "fcnn", "hash").run();

    const std::string key = campaign_key("hash", 30, dataset_fingerprint(*ds, Recipe{}, input_slots(g)), "raw", opt, all);
    const std::vector<double> cost = mutant_costs(g, all);
    std::vector<CampaignPart> parts;
    for (int64_t k = 3; k >= 1; --k) {
        CampaignPart p;
        p.index = k;
        p.count = 3;
        p.key = key;
        p.total = static_cast<int64_t>(all.size());
        std::vector<Mutant> mine;
        for (size_t i : shard_mutants(cost, ShardSpec{k, 3})) {
            p.indices.push_back(static_cast<int64_t>(i));
            mine.push_back(all[i]);
        }
        CampaignOptions o = opt;
        o.batch = 5 + k;  // results do not depend on the batch
        p.r = Campaign(g, mine, *ds, Recipe{}, "test", o, "fcnn", "hash").run();
        parts.push_back(load_part(save_part(p), "part " + std::to_string(k)));  // through the file format
    }
    const std::vector<std::string> where{"c", "b", "a"};
    const CampaignResult merged = merge_parts(parts, where);
    CHECK(without_timing(campaign_report_json(merged)) == without_timing(campaign_report_json(whole)));
    CHECK(campaign_kill_matrix(merged, 0) == campaign_kill_matrix(whole, 0));

    CHECK_THROWS_WITH_AS(merge_parts({parts[0], parts[2]}, {"c", "a"}), "missing shard 2/3 at merge: 2 of 3 given; run the missing ones and merge every part", Error);
    CHECK_THROWS_WITH_AS(merge_parts({parts[0], parts[1], parts[2], parts[1]}, {"c", "b", "a", "b2"}), "shard 2/3 given twice at b and b2: merge each part once", Error);
    CampaignPart other = parts[1];
    other.key = campaign_key("other", 30, "fp", "raw", opt, all);
    CHECK_THROWS_WITH_AS(merge_parts({parts[0], other, parts[2]}, {"c", "b", "a"}),
                         doctest::Contains("parts of different campaigns at shard 2/3 at b and shard 1/3 at a: it has 'model other' where this campaign has 'model hash'"),
                         Error);
    std::vector<uint8_t> bytes = save_part(parts[1]);
    bytes[bytes.size() / 2] ^= 1;
    CHECK_THROWS_WITH_AS(load_part(bytes, "s2/shard.bin"), doctest::Contains("corrupt part at s2/shard.bin: checksum mismatch"), Error);
}
