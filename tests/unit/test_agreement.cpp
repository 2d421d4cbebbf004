// Output agreement between two sides (analysis/discrepancy.hpp): extrapolated rank-biased overlap
// and top-k Jaccard against the Python reference of tools/make_agreement_fixtures.py; the explicit
// rules for invalid (NaN/Inf) outputs: two NaN outputs are "both invalid", never agreement; the
// confusion between the sides' top-1 classes.
#include <doctest/doctest.h>

#include "support/support.hpp"

#include <mutiny/analysis/discrepancy.hpp>

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

using namespace mutiny;

TEST_CASE("RBO_ext and top-k Jaccard match the reference of tools/make_agreement_fixtures.py") {
    std::ifstream f(mutiny_test::source_dir() / "tests/fixtures/diff/agreement.txt");
    REQUIRE(f.good());
    std::string line;
    int cases = 0;
    while (std::getline(f, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream in(line);
        int64_t n = 0, depth = 0, k = 0;
        double p = 0, rbo = 0, jac = 0;
        in >> n >> p >> depth >> k >> rbo >> jac;
        std::vector<float> x(static_cast<size_t>(n)), y(static_cast<size_t>(n));
        for (auto* v : {&x, &y})
            for (float& e : *v) {
                double d = 0;
                in >> d;
                e = static_cast<float>(d);
            }
        INFO(line);
        CHECK(rbo_ext(rank_order(x.data(), n), rank_order(y.data(), n), depth, p) == doctest::Approx(rbo).epsilon(1e-12));
        CHECK(jaccard(top_k(x.data(), n, k), top_k(y.data(), n, k)) == doctest::Approx(jac).epsilon(1e-15));
        ++cases;
    }
    CHECK(cases == 237);
}

TEST_CASE("discrepancy: two NaN outputs are both invalid, not equal") {
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    // Inputs: both NaN; A valid and B with an infinity; both valid and equal.
    const std::vector<float> a = {nan, nan, nan, 0.1f, 0.7f, 0.2f, 0.1f, 0.7f, 0.2f};
    const std::vector<float> b = {nan, nan, nan, 0.1f, inf, 0.2f, 0.1f, 0.7f, 0.2f};
    Discrepancy d;
    d.keep_confusion = true;
    d.add(a.data(), b.data(), 3, 3);
    CHECK(d.inputs == 3);
    CHECK(d.both_invalid == 1);
    CHECK(d.invalid_a == 1);
    CHECK(d.invalid_b == 2);
    CHECK(d.valid_pairs() == 1);
    CHECK(d.top1_disagree == 2);  // neither invalid pair agrees
    CHECK(d.top5_jaccard() == 1.0);
    CHECK(d.kendall_tau() == 1.0);
    CHECK(d.rbo() == doctest::Approx(1.0));
    CHECK(d.max_abs == 0.0);      // no NaN or inf leaks into the differences
    CHECK(d.confusion == std::vector<int64_t>{0, 0, 0, 0, 1, 0, 0, 0, 0});
    // Only NaN outputs: no measure claims agreement.
    Discrepancy n;
    n.add(a.data(), b.data(), 1, 3);
    CHECK(n.top1_disagreement() == 1.0);
    CHECK(std::isnan(n.top5_jaccard()));
    CHECK(std::isnan(n.kendall_tau()));
    CHECK(std::isnan(n.rbo()));
    CHECK(n.degenerate_a());  // every output invalid: one "class" holds them all
}

TEST_CASE("discrepancy: top-k for any k, RBO and confusion on valid outputs") {
    // Scores of 4 classes for 2 inputs; B swaps the top two classes of the second input.
    const std::vector<float> a = {0.4f, 0.3f, 0.2f, 0.1f, 0.1f, 0.2f, 0.3f, 0.4f};
    const std::vector<float> b = {0.4f, 0.3f, 0.2f, 0.1f, 0.1f, 0.2f, 0.4f, 0.3f};
    Discrepancy d;
    d.k = 1;
    d.keep_confusion = true;
    d.add(a.data(), b.data(), 2, 4);
    CHECK(d.top1_disagree == 1);
    CHECK(d.top5_jaccard() == doctest::Approx(0.5));  // top-1 sets {3} vs {2}: 0, and 1 for the first input
    // Second input: rankings 3,2,1,0 and 2,3,1,0; X_1 = 0, X_d = d after: RBO_ext at p = 0.9, depth 4.
    const double p = 0.9, second = 1.0 * std::pow(p, 4) + (1 - p) / p * (0 + 1.0 * p * p + 1.0 * p * p * p + 1.0 * std::pow(p, 4));
    CHECK(d.rbo() == doctest::Approx((1.0 + second) / 2).epsilon(1e-12));
    CHECK(d.confusion[0 * 4 + 0] == 1);
    CHECK(d.confusion[3 * 4 + 2] == 1);
}
