// Analysis: statistics against SciPy's values (scipy.stats.fisher_exact, kendalltau, printed by
// SciPy 1.x and pasted here), kill criteria and verdicts on hand-made outputs, scores, redundant
// and trivial mutants, device discrepancy.
#include <doctest/doctest.h>

#include "support/support.hpp"

#include <mutiny/analysis/discrepancy.hpp>
#include <mutiny/analysis/kill.hpp>
#include <mutiny/analysis/scores.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

using namespace mutiny;

TEST_CASE("Fisher's exact test matches scipy.stats.fisher_exact (two-sided)") {
    CHECK(fisher_exact_two_sided(8, 2, 1, 5) == doctest::Approx(0.034965034965034975).epsilon(1e-12));
    CHECK(fisher_exact_two_sided(8861, 1139, 8700, 1300) == doctest::Approx(0.0005433126640142346).epsilon(1e-9));
    CHECK(fisher_exact_two_sided(100, 0, 95, 5) == doctest::Approx(0.059383210468586585).epsilon(1e-12));
    CHECK(fisher_exact_two_sided(3, 1, 1, 3) == doctest::Approx(0.48571428571428565).epsilon(1e-12));
    CHECK(fisher_exact_two_sided(10, 10, 10, 10) == doctest::Approx(1.0));
    CHECK(fisher_exact_two_sided(0, 5, 5, 0) == doctest::Approx(0.007936507936507938).epsilon(1e-12));
    CHECK_THROWS_AS(fisher_exact_two_sided(-1, 0, 0, 0), Error);
}

TEST_CASE("Wilcoxon signed-rank test and Cohen's d match SciPy and numpy (tools/make_stats_fixtures.py)") {
    std::ifstream f(mutiny_test::source_dir() / "tests/fixtures/stats/wilcoxon.txt");
    REQUIRE(f.good());
    std::string line;
    int cases = 0, large = 0;
    while (std::getline(f, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream is(line);
        std::string ptext, dtext;
        size_t n = 0;
        is >> ptext >> dtext >> n;
        std::vector<double> d(n);
        for (double& x : d) is >> x;
        REQUIRE(is);
        const double p = std::strtod(ptext.c_str(), nullptr), dz = std::strtod(dtext.c_str(), nullptr);
        INFO(line);
        CHECK(wilcoxon_signed_rank_p(d) == doctest::Approx(p).epsilon(1e-9));
        if (std::isinf(dz)) CHECK(cohen_d_one_sample(d) == dz);
        else CHECK(cohen_d_one_sample(d) == doctest::Approx(dz).epsilon(1e-12));
        ++cases;
        large += n > 13 ? 1 : 0;  // exact Wilcoxon distribution or normal approximation
    }
    CHECK(cases > 200);
    CHECK(large > 50);
    // By hand: 6 positive distinct differences: p = 2 / 2^6; 10 equal ones (ties: SciPy's exact
    // permutation test): 2 / 2^10; n = 5 can never reach 0.05.
    CHECK(wilcoxon_signed_rank_p({3, 5, 8, 13, 21, 34}) == doctest::Approx(0.03125));
    CHECK(wilcoxon_signed_rank_p(std::vector<double>(10, 7.0)) == doctest::Approx(2.0 / 1024));
    CHECK(wilcoxon_signed_rank_p({1, 2, 3, 4, 5}) == doctest::Approx(0.0625));
    CHECK(wilcoxon_signed_rank_p({0, 0, 0}) == 1.0);
    CHECK_THROWS_AS(cohen_d_one_sample({1.0}), Error);
}

TEST_CASE("statistical criterion over seeded instances: DeepCrime's rule") {
    // 20 inputs of 2 classes, labels all 0; the original is right on all 20.
    const int64_t n = 20;
    std::vector<float> o(static_cast<size_t>(2 * n), 0.0f);
    std::vector<int64_t> y(static_cast<size_t>(n), 0);
    for (int64_t i = 0; i < n; ++i) o[static_cast<size_t>(2 * i)] = 1.0f;
    // An output right on the first `right` inputs.
    auto outputs = [&](int64_t right) {
        std::vector<float> m(static_cast<size_t>(2 * n), 0.0f);
        for (int64_t i = 0; i < n; ++i) m[static_cast<size_t>(2 * i + (i < right ? 0 : 1))] = 1.0f;
        return m;
    };
    auto run = [&](const std::vector<int64_t>& right) {
        KillAccumulator acc(n, 2);
        acc.set_instances(right.size());
        const auto m0 = outputs(right[0]);
        acc.add(o.data(), m0.data(), y.data(), n, 0);
        for (size_t k = 1; k < right.size(); ++k) {
            const auto mk = outputs(right[k]);
            acc.add_instance(k, mk.data(), y.data(), n);
        }
        return acc.take();
    };
    const Criterion st = parse_criterion("statistical");
    SUBCASE("every instance clearly worse: killed") {
        const KillSummary s = run({15, 16, 14, 17, 15, 16, 13, 15});
        CHECK(s.instance_correct == std::vector<int64_t>{15, 16, 14, 17, 15, 16, 13, 15});
        const DeepCrimeTest t = deepcrime_test(s);
        CHECK(t.p == doctest::Approx(0.0078125));  // scipy.stats.wilcoxon([5,4,6,3,5,4,7,5]): ties -> exact permutation, 2/2^8
        CHECK(t.d > 0.5);
        CHECK(verdict(s, st) == Verdict::killed);
    }
    SUBCASE("instance 0 alone is worse, the others are not: survived although Fisher would not say so") {
        const KillSummary s = run({12, 20, 20, 20, 20, 20, 20, 20});
        CHECK(deepcrime_test(s).p == doctest::Approx(1.0));
        CHECK(verdict(s, st) == Verdict::survived);
        // The same instance 0 judged alone (no instances): Fisher's test on 20/20 vs 12/20 kills.
        KillSummary one = s;
        one.instance_correct.clear();
        CHECK(verdict(one, st) == Verdict::killed);
    }
    SUBCASE("worse but too few instances to reach p < 0.05: survived") {
        const KillSummary s = run({10, 11, 12, 13, 14});
        CHECK(deepcrime_test(s).p == doctest::Approx(0.0625));
        CHECK(verdict(s, st) == Verdict::survived);
    }
    SUBCASE("more accurate instances never kill") {
        std::vector<float> o2 = outputs(10);  // original right on 10 only
        KillAccumulator acc(n, 2);
        acc.set_instances(8);
        const auto m0 = outputs(18);
        acc.add(o2.data(), m0.data(), y.data(), n, 0);
        for (size_t k = 1; k < 8; ++k) {
            const auto mk = outputs(static_cast<int64_t>(12 + k));
            acc.add_instance(k, mk.data(), y.data(), n);
        }
        const KillSummary s = acc.take();
        CHECK(deepcrime_test(s).p < 0.05);
        CHECK(deepcrime_test(s).d < 0);
        CHECK(verdict(s, st) == Verdict::survived);
    }
}

TEST_CASE("Kendall's tau-b matches scipy.stats.kendalltau") {
    const float a[] = {1, 2, 3, 4, 5}, b[] = {1, 3, 2, 5, 4};
    CHECK(kendall_tau_b(a, b, 5) == doctest::Approx(0.6).epsilon(1e-12));
    const float c[] = {1, 2, 2, 4, 5}, d[] = {1, 3, 3, 3, 4};
    CHECK(kendall_tau_b(c, d, 5) == doctest::Approx(0.8819171036881969).epsilon(1e-12));
    const float e[] = {0.1f, 0.5f, 0.2f, 0.9f}, f[] = {0.9f, 0.2f, 0.5f, 0.1f};
    CHECK(kendall_tau_b(e, f, 4) == doctest::Approx(-1.0));
}

TEST_CASE("top-k, Jaccard and argmax") {
    const float x[] = {0.1f, 0.9f, 0.3f, 0.9f, 0.0f, 0.5f};
    CHECK(argmax(x, 6) == 1);  // first of the tied maxima, as numpy.argmax
    CHECK(top_k(x, 6, 3) == std::vector<int64_t>{1, 3, 5});
    CHECK(jaccard({1, 3, 5}, {1, 2, 5}) == doctest::Approx(0.5));
}

namespace {
// 4 inputs, 3 classes. Original predicts 0, 1, 2, 0; labels 0, 1, 2, 1 (the last is wrong).
const std::vector<float> kOrig = {3, 1, 0, 0, 2, 1, 0, 1, 4, 5, 1, 1};
const std::vector<int64_t> kLabels = {0, 1, 2, 1};
}  // namespace

TEST_CASE("kill criteria on hand-made outputs") {
    SUBCASE("identical outputs are equivalent under every criterion") {
        KillAccumulator acc(4, 3);
        acc.add(kOrig.data(), kOrig.data(), kLabels.data(), 4, 0);
        for (const char* c : {"prediction", "killed-classes", "statistical", "distance"})
            CHECK(verdict(acc.summary(), parse_criterion(c)) == Verdict::equivalent);
    }
    SUBCASE("one flipped prediction") {
        std::vector<float> m = kOrig;
        m[3 * 1 + 0] = 9;  // input 1 now predicts class 0 instead of its (correct) label 1
        KillAccumulator acc(4, 3);
        acc.add(m.data(), m.data(), kLabels.data(), 0, 0);  // an empty batch changes nothing
        acc.add(kOrig.data(), m.data(), kLabels.data(), 2, 0);
        acc.add(kOrig.data() + 6, m.data() + 6, kLabels.data() + 2, 2, 2);
        const KillSummary& s = acc.summary();
        CHECK(s.inputs == 4);
        CHECK(s.prediction_kills == 1);
        CHECK(s.kill_bits[0] == 0b10u);
        CHECK(s.original_correct == 3);
        CHECK(s.correct == 2);
        CHECK(verdict(s, parse_criterion("prediction")) == Verdict::killed);
        CHECK(verdict(s, parse_criterion("killed-classes:true-label")) == Verdict::killed);
        CHECK(killed_classes(s, parse_criterion("killed-classes:true-label")) == 1);   // class 1 (the label)
        CHECK(s.classes_true == std::vector<uint8_t>{0, 1, 0});
        CHECK(s.classes_mutant == std::vector<uint8_t>{1, 0, 0});                      // class 0 (the mutant's label)
        CHECK(verdict(s, parse_criterion("statistical")) == Verdict::survived);        // 3/4 vs 2/4: p = 1
        CHECK(s.max_abs_diff == doctest::Approx(9.0));
        CHECK(verdict(s, parse_criterion("distance:max=8.5")) == Verdict::killed);
        CHECK(verdict(s, parse_criterion("distance:max=9.5")) == Verdict::survived);
        CHECK(s.max_kl > 1.0);
    }
    SUBCASE("a changed prediction on an input the original gets wrong kills no class") {
        std::vector<float> m = kOrig;
        m[9 + 1] = 9;  // input 3: original says 0 (label 1), mutant says 1
        KillAccumulator acc(4, 3);
        acc.add(kOrig.data(), m.data(), kLabels.data(), 4, 0);
        CHECK(verdict(acc.summary(), parse_criterion("prediction")) == Verdict::killed);
        CHECK(verdict(acc.summary(), parse_criterion("killed-classes")) == Verdict::survived);
    }
    SUBCASE("NaN or Inf is a crash, which counts as a kill") {
        std::vector<float> m = kOrig;
        m[5] = std::numeric_limits<float>::quiet_NaN();
        KillAccumulator acc(4, 3);
        acc.add(kOrig.data(), m.data(), kLabels.data(), 4, 0);
        CHECK(verdict(acc.summary(), parse_criterion("prediction")) == Verdict::crashed);
        CHECK(acc.summary().crash_reason.find("NaN in the output for input 1") != std::string::npos);
        m[5] = std::numeric_limits<float>::infinity();
        KillAccumulator acc2(4, 3);
        acc2.add(kOrig.data(), m.data(), kLabels.data(), 4, 0);
        CHECK(acc2.summary().crash_reason.find("Inf") != std::string::npos);
    }
    SUBCASE("the statistical criterion kills a clearly worse mutant only") {
        // 100 inputs of 2 classes: original right on 90, mutant on 60.
        const int64_t n = 100;
        std::vector<float> o(static_cast<size_t>(2 * n)), m(static_cast<size_t>(2 * n));
        std::vector<int64_t> y(static_cast<size_t>(n), 0);
        for (int64_t i = 0; i < n; ++i) {
            o[static_cast<size_t>(2 * i)] = i < 90 ? 1.0f : 0.0f;
            o[static_cast<size_t>(2 * i + 1)] = i < 90 ? 0.0f : 1.0f;
            m[static_cast<size_t>(2 * i)] = i < 60 ? 1.0f : 0.0f;
            m[static_cast<size_t>(2 * i + 1)] = i < 60 ? 0.0f : 1.0f;
        }
        KillAccumulator worse(n, 2);
        worse.add(o.data(), m.data(), y.data(), n, 0);
        CHECK(verdict(worse.summary(), parse_criterion("statistical")) == Verdict::killed);
        KillAccumulator better(n, 2);  // roles swapped: the "mutant" is more accurate
        better.add(m.data(), o.data(), y.data(), n, 0);
        CHECK(verdict(better.summary(), parse_criterion("statistical")) == Verdict::survived);
    }
}

TEST_CASE("kill criteria parse, and bad ones are refused with the known list") {
    CHECK(parse_criteria("prediction,killed-classes:mutant-label").size() == 2);
    CHECK(parse_criterion("statistical:alpha=0.01").param == doctest::Approx(0.01));
    CHECK(parse_criterion("distance:kl=0.5").kind == Criterion::Kind::distance_kl);
    CHECK(parse_criterion("distance:max=0.5").name() == "distance:max=0.5");
    CHECK_THROWS_WITH_AS(parse_criterion("frob"), doctest::Contains("known: prediction"), Error);
    CHECK_THROWS_WITH_AS(parse_criterion("statistical:alpha=2"), doctest::Contains("alpha out of range"), Error);
    CHECK_THROWS_WITH_AS(parse_criterion("distance:max=-1"), doctest::Contains("positive number"), Error);
    CHECK_THROWS_WITH_AS(parse_criteria(","), doctest::Contains("no kill criterion"), Error);
}

TEST_CASE("scores: kill ratio, killed-classes score and breakdowns") {
    const std::vector<Verdict> v = {Verdict::killed, Verdict::survived, Verdict::crashed, Verdict::equivalent, Verdict::invalid, Verdict::killed};
    const std::vector<int64_t> kc = {2, 0, 0, 0, 0, 1};
    const std::vector<std::string> op = {"NAI", "NAI", "CW", "CW", "CW", "NEB"};
    const auto all = score_by({}, v, kc, 10).at("all");
    CHECK(all.counted() == 4);
    CHECK(all.kill_ratio() == doctest::Approx(0.75));           // 2 killed + 1 crashed of 4
    CHECK(all.classes_score(10) == doctest::Approx(13.0 / 40));  // 2 + 0 + 10 (crash) + 1
    const auto by = score_by(op, v, kc, 10);
    CHECK(by.at("NAI").kill_ratio() == doctest::Approx(0.5));
    CHECK(by.at("CW").counted() == 1);
    CHECK(by.at("NEB").kill_ratio() == doctest::Approx(1.0));
}

TEST_CASE("kill matrix products: per-input counts, redundant and trivial mutants") {
    const std::vector<uint64_t> a = {0b0111}, b = {0b0111}, c = {0b0001}, d = {0};
    const std::vector<const std::vector<uint64_t>*> rows = {&a, &b, &c, &d};
    CHECK(per_input_kills(rows, 4) == std::vector<int64_t>{3, 2, 2, 0});
    const auto groups = redundant_groups(rows);
    REQUIRE(groups.size() == 1);
    CHECK(groups[0] == std::vector<size_t>{0, 1});
    CHECK(is_trivial(a, 3));
    CHECK_FALSE(is_trivial(a, 4));
}

TEST_CASE("device discrepancy metrics") {
    const std::vector<float> a = {3, 1, 0, 0, 2, 1};
    const std::vector<float> b = {3, 1, 0, 2, 0, 1};
    Discrepancy d;
    d.add(a.data(), b.data(), 2, 3);
    CHECK(d.inputs == 2);
    CHECK(d.top1_disagreement() == doctest::Approx(0.5));
    CHECK(d.max_abs == doctest::Approx(2.0));
    CHECK(d.max_rel == doctest::Approx(1.0));
    CHECK(d.kendall_tau() == doctest::Approx(0.0));  // tau 1 on input 0, -1 on input 1
    CHECK(d.degenerate_a() == false);
    Discrepancy same;
    same.add(a.data(), a.data(), 2, 3);
    CHECK(same.top1_disagreement() == 0);
    CHECK(same.top5_jaccard() == doctest::Approx(1.0));
}
