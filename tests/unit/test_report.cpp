// Report files and what is computed for them: per-input verdicts of every criterion (the kill
// matrices), killed-class sets, test-input prioritisation against hand-computed rankings, round
// chart ticks and the manifest reader.
#include <doctest/doctest.h>

#include "support/support.hpp"

#include <mutiny/analysis/kill.hpp>
#include <mutiny/analysis/prioritize.hpp>
#include <mutiny/report/cluster_report.hpp>
#include <mutiny/report/html.hpp>
#include <mutiny/report/json.hpp>
#include <mutiny/report/prioritization.hpp>

#include <cmath>
#include <string>
#include <vector>

using namespace mutiny;

namespace {
// 4 inputs, 3 classes. The original predicts 0, 1, 2, 0; the labels are 0, 1, 2, 1 (input 3 wrong).
const std::vector<float> kOrig = {3, 1, 0, 0, 2, 1, 0, 1, 4, 5, 1, 1};
// The mutant: input 1 now predicts 0 (|diff| 9), input 2 keeps 2 (|diff| 0.5), input 3 predicts 1
// (|diff| 5; the original was wrong there, so no class is killed by it).
const std::vector<float> kMut = {3, 1, 0, 9, 2, 1, 0, 1, 4.5f, 5, 6, 1};
const std::vector<int64_t> kLabels = {0, 1, 2, 1};

std::vector<Criterion> criteria(const std::vector<std::string>& names) {
    std::vector<Criterion> c;
    for (const auto& n : names) c.push_back(parse_criterion(n));
    return c;
}
}  // namespace

TEST_CASE("per-input verdicts: each criterion's kill-matrix row, hand-computed, agrees with its verdict") {
    const auto cs = criteria({"prediction", "killed-classes:true-label", "killed-classes:mutant-label", "distance:max=1", "distance:max=0.4",
                              "distance:kl=1e-9", "statistical"});
    KillAccumulator acc(4, 3, cs);
    acc.add(kOrig.data(), kMut.data(), kLabels.data(), 2, 0);  // in two batches: bits land at their inputs
    acc.add(kOrig.data() + 6, kMut.data() + 6, kLabels.data() + 2, 2, 2);
    const KillSummary& s = acc.summary();
    const std::vector<uint64_t> want[] = {{0b1010}, {0b0010}, {0b0010}, {0b1010}, {0b1110}, {0b1110}};
    for (size_t c = 0; c < 6; ++c) {
        CAPTURE(cs[c].name());
        const std::vector<uint64_t>* row = input_verdicts(s, cs[c], c);
        REQUIRE(row != nullptr);
        CHECK(*row == want[c]);
        CHECK((verdict(s, cs[c]) == Verdict::killed) == ((*row)[0] != 0));
    }
    CHECK(input_verdicts(s, cs[6], 6) == nullptr);  // statistical has no per-input verdict
    CHECK(killed_class_ids(s, cs[1]) == std::vector<int64_t>{1});  // the label of input 1
    CHECK(killed_class_ids(s, cs[2]) == std::vector<int64_t>{0});  // what the mutant says there
    CHECK(killed_class_ids(s, cs[0]).empty());

    // A threshold no input passes: no bit, and the verdict is survived.
    KillAccumulator far(4, 3, criteria({"distance:max=10"}));
    far.add(kOrig.data(), kMut.data(), kLabels.data(), 4, 0);
    CHECK(input_verdicts(far.summary(), parse_criterion("distance:max=10"), 0)->at(0) == 0);
    CHECK(verdict(far.summary(), parse_criterion("distance:max=10")) == Verdict::survived);

    // A checkpointed summary comes back only with rows of the right length and no bit past the
    // inputs done.
    KillAccumulator back(4, 3, cs);
    KillSummary bad = s;
    bad.input_bits[1].push_back(0);
    CHECK_THROWS_WITH_AS(back.restore(bad, 4, "ckpt"), doctest::Contains("of the wrong length"), Error);
    KillAccumulator half(4, 3, cs);
    half.add(kOrig.data(), kMut.data(), kLabels.data(), 2, 0);
    KillSummary early = half.summary();
    early.input_bits[3][0] |= 0b100;  // input 2, not run after one batch of 2
    CHECK_THROWS_WITH_AS(back.restore(early, 2, "ckpt"), doctest::Contains("per-input verdicts set for inputs not yet run"), Error);
    CHECK_NOTHROW(back.restore(half.summary(), 2, "ckpt"));
    CHECK_NOTHROW(back.restore(s, 4, "ckpt"));
}

TEST_CASE("campaign files: a kill matrix per criterion and the killed classes per mutant") {
    CampaignResult r;
    r.devices = {"cpu"};
    r.criteria = criteria({"prediction", "killed-classes:true-label", "distance:max=0.4", "statistical"});
    r.inputs = 4;
    r.classes = 3;
    r.original_correct = {3};
    r.original_seconds = {0};
    r.device_errors = {""};
    for (const char* id : {"m1", "m2"}) {
        MutantResult m;
        m.mutant.spec.id = id;
        m.mutant.spec.op = "NEB";
        m.mutant.layer = "*";
        KillAccumulator acc(4, 3, r.criteria);
        acc.add(kOrig.data(), std::string(id) == "m1" ? kMut.data() : kOrig.data(), kLabels.data(), 4, 0);
        m.runs.push_back(DeviceRun{acc.take(), 0.0});
        r.mutants.push_back(m);
    }
    const auto files = kill_matrix_files(r);
    REQUIRE(files.size() == 3);  // prediction, killed-classes, distance; statistical has none
    CHECK(files[0].name == "kill_matrix-cpu.txt");
    CHECK(files[1].name == "kill_matrix-cpu-killed-classes_true-label.txt");
    CHECK(files[2].name == "kill_matrix-cpu-distance_max_0_4.txt");
    // Bits 1 and 3 = hex digit a; bit 1 = 2; bits 1, 2, 3 = e. m2 is the original: all 0.
    CHECK(campaign_kill_matrix(r, 0, files[0].criterion) == "# mutiny kill matrix v1 device=cpu criterion=prediction inputs=4 mutants=2\nm1 a\nm2 0\n");
    CHECK(campaign_kill_matrix(r, 0, files[1].criterion) ==
          "# mutiny kill matrix v1 device=cpu criterion=killed-classes:true-label inputs=4 mutants=2\nm1 2\nm2 0\n");
    CHECK(campaign_kill_matrix(r, 0, files[2].criterion) == "# mutiny kill matrix v1 device=cpu criterion=distance:max=0.4 inputs=4 mutants=2\nm1 e\nm2 0\n");
    // The files read back as the result holds them.
    const KillMatrix back = parse_kill_matrix(campaign_kill_matrix(r, 0, files[2].criterion), "m.txt");
    CHECK(back.rows == kill_matrix_of(r, 0, files[2].criterion).rows);
    CHECK(back.criterion == "distance:max=0.4");

    const std::string csv = campaign_mutants_csv(r);
    CHECK(csv.find(",cpu killed-classes:true-label classes,reason,spec\n") != std::string::npos);
    CHECK(csv.find("m1,NEB,,,*,ok,killed,killed,killed,survived,0.75,2,0,1,") != std::string::npos);
    const std::string json = campaign_report_json(r);
    const size_t ids = json.find("\"killed_class_ids\": {");
    REQUIRE(ids != std::string::npos);
    CHECK(json.find("\"killed-classes:true-label\": [1]", ids) == json.find("\"killed-classes:true-label\"", ids));
    CHECK(json.find("\"(all layers)\"") != std::string::npos);  // the layer "*" reads as words
    CHECK(json.find("\"file\": \"kill_matrix-cpu-distance_max_0_4.txt\"") != std::string::npos);
    const std::string html = campaign_report_html(r);
    CHECK(html.find("Test-input prioritisation") != std::string::npos);
    CHECK(html.find("DeepCrime compares retrained instances") != std::string::npos);  // the statistical caveat
}

TEST_CASE("prioritisation: total and additional rankings of a small kill matrix, computed by hand") {
    // m1 kills inputs 0, 1; m2 kills 1, 2, 3; m3 kills 4.
    const KillMatrix m = parse_kill_matrix("# mutiny kill matrix v1 device=cpu criterion=prediction inputs=5 mutants=3\nm1 30\nm2 e0\nm3 01\n", "t.txt");
    CHECK(kills_per_input(m) == std::vector<int64_t>{1, 2, 1, 1, 1});
    // Total: input 1 (2 kills), then the ties 0, 2, 3, 4 by index.
    const Prioritization t = prioritize_total(m);
    CHECK(t.order == std::vector<int64_t>{1, 0, 2, 3, 4});
    CHECK(t.gain == std::vector<int64_t>{2, 1, 1, 1, 1});
    CHECK(t.cumulative == std::vector<int64_t>{2, 2, 2, 2, 3});
    // Additional: input 1 kills m1 and m2; only input 4 adds one (m3); the rest add none and follow
    // in total order.
    const Prioritization a = prioritize_additional(m);
    CHECK(a.order == std::vector<int64_t>{1, 4, 0, 2, 3});
    CHECK(a.gain == std::vector<int64_t>{2, 1, 0, 0, 0});
    CHECK(a.cumulative == std::vector<int64_t>{2, 3, 3, 3, 3});
    const std::string csv = prioritization_csv(t, a);
    CHECK(csv.rfind("rank,total_input,total_kills,total_killed_so_far,additional_input,additional_new_kills,additional_killed_so_far\n1,1,2,2,1,2,2\n2,0,1,2,4,1,3\n", 0) == 0);
    CHECK(prioritization_html(m).find("first 2 inputs in the additional (greedy) order, by the first 5 in the total order") != std::string::npos);

    const std::string head = "# mutiny kill matrix v1 device=cpu criterion=prediction inputs=5 mutants=2\n";
    CHECK_THROWS_WITH_AS(parse_kill_matrix(head + "m1 30\nm2 3\n", "t.txt"), doctest::Contains("malformed kill matrix row at t.txt line 3"), Error);
    CHECK_THROWS_WITH_AS(parse_kill_matrix(head + "m1 30\nm2 3g\n", "t.txt"), doctest::Contains("'g' is not a lowercase hex digit"), Error);
    CHECK_THROWS_WITH_AS(parse_kill_matrix(head + "m1 30\nm2 02\n", "t.txt"), doctest::Contains("a bit past the last input"), Error);
    CHECK_THROWS_WITH_AS(parse_kill_matrix(head + "m1 30\n", "t.txt"), doctest::Contains("1 rows, the header says 2"), Error);
    CHECK_THROWS_WITH_AS(parse_kill_matrix("id,hex\n", "t.txt"), doctest::Contains("not a kill matrix at t.txt line 1"), Error);
}

TEST_CASE("chart ticks are round values") {
    CHECK(nice_ticks(-0.027, 0.091) == std::vector<double>{-0.05, 0, 0.05, 0.1});
    CHECK(nice_ticks(0, 1) == std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1});
    const auto t = nice_ticks(-0.0012, 0.0031);
    CHECK(t.front() <= -0.0012);
    CHECK(t.back() >= 0.0031);
    CHECK(t[1] - t[0] == doctest::Approx(0.001));
    CHECK(std::string(tick_format(0.001, true)) == "%+.1f");  // 0.1 percentage points apart
    CHECK(std::string(tick_format(0.05, true)) == "%+.0f");
}

TEST_CASE("manifest strings read back as JsonWriter wrote them") {
    JsonWriter j;
    j.begin_object();
    j.key("nested").begin_object().key("command").value("inner").end();
    j.key("command").value("mutiny campaign m.onnx --ops 'GF(ratio=0.5)' \"q\"\\ \ttab");
    j.end();
    std::string v;
    REQUIRE(json_top_string(j.str(), "command", v));
    CHECK(v == "mutiny campaign m.onnx --ops 'GF(ratio=0.5)' \"q\"\\ \ttab");  // the top-level member, not the nested one
    CHECK_FALSE(json_top_string(j.str(), "model", v));
}

TEST_CASE("bar charts make room for long labels") {
    const std::string svg = svg_bars({{"killed-classes-heavy-preset(p=0.25,ratio=0.5) (12)", 0.5}}, "t");
    // 50 characters at 7 px each + 12 = 362: the label column (its text ends 6 px left of the bars).
    CHECK(svg.find("<text x='356' y='44' font-size='12' text-anchor='end'>") != std::string::npos);
    CHECK(layer_label("*") == "(all layers)");
    CHECK(layer_label("/fc1/Gemm") == "/fc1/Gemm");
}

TEST_CASE("timing across devices: per mutant and operator, the ratios to the first device") {
    // cpu and opencl; CW mutants take 1 s and 2 s on the cpu, 0.5 s and 3 s on opencl (ratios 0.5,
    // 1.5); NAI 4 s and 2 s (0.5); a crashed mutant's time counts nowhere.
    CampaignResult r;
    r.devices = {"cpu", "opencl"};
    r.original_seconds = {2.0, 1.0};
    auto mutant = [&](const std::string& id, const std::string& op, double cpu, double ocl, bool crashed = false) {
        MutantResult m;
        m.mutant.spec.id = id;
        m.mutant.spec.op = op;
        m.runs.resize(2);
        m.runs[0].seconds = cpu;
        m.runs[1].seconds = ocl;
        m.runs[1].summary.crashed = crashed;
        r.mutants.push_back(m);
    };
    mutant("a", "CW", 1, 0.5);
    mutant("b", "CW", 2, 3);
    mutant("c", "NAI", 4, 2);
    mutant("d", "NAI", 8, 0.1, true);
    CHECK(device_time_ratio(r, 0, 1) == 0.5);
    CHECK(device_time_ratio(r, 1, 1) == 1.5);
    CHECK(std::isnan(device_time_ratio(r, 3, 1)));
    const auto ratios = timing_by_operator(r, 1, true);
    // numpy.percentile([0.5, 0.5, 1.5], [50, 90]) = 0.5, 1.3; of [0.5, 1.5]: 1.0, 1.4.
    CHECK(ratios.at("all").n == 3);
    CHECK(ratios.at("all").median == 0.5);
    CHECK(ratios.at("all").p90 == doctest::Approx(1.3));
    CHECK(ratios.at("all").max == 1.5);
    CHECK(ratios.at("CW").median == 1.0);
    CHECK(ratios.at("CW").p90 == doctest::Approx(1.4));
    // Seconds on the cpu: [1, 2, 4, 8] (median 3, p90 6.8); on opencl [0.5, 3, 2] (2, 2.8).
    const auto cpu = timing_by_operator(r, 0, false);
    CHECK(cpu.at("NAI").n == 2);  // the crash was on opencl: its cpu time counts
    CHECK(cpu.at("NAI").max == 8);
    const std::string html = timing_html(r);
    CHECK(html.find("<td class='l'>all</td><td>3e+03 / 6.8e+03 / 8e+03</td><td>2e+03 / 2.8e+03 / 3e+03</td><td>0.5&times; / 1.3&times; / 1.5&times;</td>") !=
          std::string::npos);
    CHECK(html.find("<td class='l'>CW</td><td>1.5e+03 / 1.9e+03 / 2e+03</td><td>1.75e+03 / 2.75e+03 / 3e+03</td><td>1&times; / 1.4&times; / 1.5&times;</td>") !=
          std::string::npos);
    CHECK(html.find("<td>0.5&times;</td></tr>") != std::string::npos);  // the original: 1 s over 2 s
    JsonWriter j;
    j.begin_object();
    timing_views_json(j, r);
    j.end();
    CHECK(j.str().find("\"a\": [1, 0.5]") != std::string::npos);
    CHECK(j.str().find("\"d\": [8, null]") != std::string::npos);
    CHECK(j.str().find("\"original\": 0.5") != std::string::npos);
    CHECK(j.str().find("\"CW\"") != std::string::npos);
}
