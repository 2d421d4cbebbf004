// The tensor comparison of `mutiny diff` (analysis/tensor_diff.hpp) against NumPy: statistics,
// NaN/Inf accounting, the tolerance verdict and the required tolerances on the fixtures of
// tools/make_diff_fixtures.py; the required tolerance is also checked to be the boundary (it passes,
// the next smaller double does not); NaN rules and bad tolerances.
#include <doctest/doctest.h>

#include "support/support.hpp"

#include <mutiny/analysis/tensor_diff.hpp>
#include <mutiny/io/npy.hpp>

#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using namespace mutiny;

namespace {

const char* kKeys[] = {"count", "finite", "same_inf", "both_nan", "invalid", "nan_ref", "nan_side", "inf_ref", "inf_side", "max_abs", "max_rel",
                       "mean_abs", "median", "p90", "p99", "p99.9", "cosine", "sqnr_db", "close", "pass", "required_atol", "required_rtol"};

std::map<std::string, double> actual(const TensorDiff& t) {
    return {{"count", double(t.count)},       {"finite", double(t.finite)},     {"same_inf", double(t.same_inf)}, {"both_nan", double(t.both_nan)},
            {"invalid", double(t.invalid)},   {"nan_ref", double(t.nan_ref)},   {"nan_side", double(t.nan_side)}, {"inf_ref", double(t.inf_ref)},
            {"inf_side", double(t.inf_side)}, {"max_abs", t.max_abs},           {"max_rel", t.max_rel},           {"mean_abs", t.mean_abs},
            {"median", t.median},             {"p90", t.p90},                   {"p99", t.p99},                   {"p99.9", t.p999},
            {"cosine", t.cosine},             {"sqnr_db", t.sqnr_db},           {"close", double(t.close)},       {"pass", t.pass ? 1.0 : 0.0},
            {"required_atol", t.required_atol}, {"required_rtol", t.required_rtol}};
}

// Sums in another order than NumPy's pairwise/BLAS ones (mean, cosine, SQNR) agree to rounding;
// everything else is computed the same way in double and must agree exactly (percentiles follow
// numpy's interpolation formula, allowed one ulp or so).
bool agrees(const std::string& key, double want, double got) {
    if (std::isnan(want)) return std::isnan(got);
    if (std::isinf(want)) return got == want;
    const bool summed = key == "mean_abs" || key == "cosine" || key == "sqnr_db" || key == "required_atol" || key == "required_rtol";
    const double tol = summed ? 1e-12 : key == "median" || key[0] == 'p' ? 1e-15 : 0.0;
    return std::fabs(got - want) <= tol * std::max(1.0, std::fabs(want));
}

size_t close_count(const Tensor& ref, const Tensor& side, double atol, double rtol) {
    DiffTolerance t;
    t.atol = atol;
    t.rtol = rtol;
    return static_cast<size_t>(compare_tensors(ref, side, t, "boundary").close);
}

}  // namespace

TEST_CASE("tensor_diff matches NumPy on the fixtures of tools/make_diff_fixtures.py") {
    const auto dir = mutiny_test::source_dir() / "tests/fixtures/diff";
    std::ifstream f(dir / "expected.txt");
    REQUIRE(f.good());
    std::string line;
    int cases = 0, boundaries = 0;
    while (std::getline(f, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream in(line);
        std::string name, stat, atol, rtol;
        in >> name >> stat >> atol >> rtol;
        DiffTolerance tol;
        tol.stat = parse_diff_stat(stat);
        tol.atol = std::strtod(atol.c_str(), nullptr);
        tol.rtol = std::strtod(rtol.c_str(), nullptr);
        const Tensor ref = read_npy((dir / (name + "_ref.npy")).string());
        const Tensor side = read_npy((dir / (name + "_side.npy")).string());
        const TensorDiff t = compare_tensors(ref, side, tol, name);
        const auto got = actual(t);
        for (const char* key : kKeys) {
            std::string text;
            in >> text;
            const double want = std::strtod(text.c_str(), nullptr);
            INFO(name << " " << stat << " atol " << atol << " rtol " << rtol << ": " << key << " numpy " << text << ", mutiny " << got.at(key));
            CHECK(agrees(key, want, got.at(key)));
        }
        ++cases;
        // The required atol is the smallest that passes: at it the policy passes, below it fails. It
        // is computed as |d| - rtol |r|, so "below" is beyond the rounding of that expression.
        if (tol.stat == DiffStat::max && t.invalid == 0) {
            DiffTolerance at = tol;
            at.atol = t.required_atol;
            CHECK(compare_tensors(ref, side, at, name).pass);
            CHECK(close_count(ref, side, t.required_atol, tol.rtol) == static_cast<size_t>(t.count));
            if (t.required_atol > 0) {
                at.atol = t.required_atol * (1 - 1e-9);
                CHECK_FALSE(compare_tensors(ref, side, at, name).pass);
                ++boundaries;
            }
        }
    }
    CHECK(cases == 117);
    CHECK(boundaries > 10);
}

TEST_CASE("tensor_diff: two NaNs are both invalid, never equal; the same infinity is equal") {
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    const std::vector<double> r = {nan, 1.0, inf, -inf, 2.0}, s = {nan, 1.0, inf, inf, 2.0};
    const TensorDiff t = compare_values(r.data(), s.data(), 5, DiffTolerance{});
    CHECK(t.both_nan == 1);
    CHECK(t.same_inf == 1);
    CHECK(t.invalid == 2);  // the NaN pair and -inf vs inf
    CHECK(t.finite == 2);
    CHECK(t.max_abs == 0.0);
    CHECK_FALSE(t.pass);    // however equal the rest is
    CHECK(std::isinf(t.required_atol));
    // Both sides all NaN: nothing is finite, nothing is equal, and no statistic pretends otherwise.
    const std::vector<double> n2 = {nan, nan};
    const TensorDiff u = compare_values(n2.data(), n2.data(), 2, DiffTolerance{});
    CHECK(u.both_nan == 2);
    CHECK_FALSE(u.pass);
    CHECK(std::isnan(u.max_abs));
    CHECK(std::isnan(u.cosine));
    // The same infinity everywhere: equal, as numpy.allclose says.
    const std::vector<double> i2 = {inf, -inf};
    CHECK(compare_values(i2.data(), i2.data(), 2, DiffTolerance{}).pass);
}

TEST_CASE("tensor_diff: pooled inputs take the worst input's tolerance and every input's sums") {
    const std::vector<double> r1 = {1, 2, 3}, s1 = {1, 2, 3.5}, r2 = {1, 1}, s2 = {1.25, 1};
    DiffTolerance tol;
    tol.atol = 0.3;
    tol.rtol = 0;
    TensorDiff all;
    pool_diff(all, compare_values(r1.data(), s1.data(), 3, tol));
    pool_diff(all, compare_values(r2.data(), s2.data(), 2, tol));
    CHECK(all.count == 5);
    CHECK(all.max_abs == 0.5);
    CHECK(all.required_atol == 0.5);
    CHECK_FALSE(all.pass);  // the first input fails
    CHECK(all.mean_abs == doctest::Approx(0.75 / 5));
    CHECK(all.close == 4);
}

TEST_CASE("tensor_diff: bad tolerances and shapes are refused with the reason") {
    DiffTolerance t;
    t.atol = -1;
    CHECK(mutiny_test::contains(mutiny_test::error_of([&] { check_tolerance(t, "--atol"); }), "bad atol at --atol: a tolerance is a finite number >= 0"));
    t.atol = 0;
    t.rtol = std::numeric_limits<double>::quiet_NaN();
    CHECK(mutiny_test::contains(mutiny_test::error_of([&] { check_tolerance(t, "--rtol"); }), "bad rtol at --rtol"));
    CHECK(mutiny_test::contains(mutiny_test::error_of([] { parse_diff_stat("p95"); }), "unknown tolerance statistic 'p95'"));
    Tensor a(DType::f32, Shape({2, 3})), b(DType::f32, Shape({3, 2}));
    CHECK(mutiny_test::contains(mutiny_test::error_of([&] { compare_tensors(a, b, DiffTolerance{}, "tensor 'y'"); }),
                                "shapes differ at tensor 'y': the reference has [2,3], the other side [3,2]"));
}
