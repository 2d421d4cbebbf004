// Hierarchical clustering (include/mutiny/cluster): linkage matrices and fcluster cuts against SciPy
// fixtures (tools/make_cluster_fixtures.py), every method against a naive O(n^3) oracle on random and
// tied inputs, determinism of the parallel distances, and the bad-input errors.
#include <doctest/doctest.h>

#include "support/support.hpp"

#include <mutiny/cluster/all.hpp>

#include <tbb/global_control.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace mc = mutiny::cluster;

const mc::Method kAllMethods[] = {mc::Method::single,   mc::Method::complete, mc::Method::average, mc::Method::weighted,
                                  mc::Method::ward,     mc::Method::centroid, mc::Method::median};

// ---- SciPy fixtures --------------------------------------------------------------------------------

struct Cut {
    bool maxclust;  // else distance
    double param;
    std::vector<int> labels;
};

struct LinkageCase {
    std::string data, method, metric;  // metric "condensed" for a condensed data set
    std::vector<double> z;
    std::vector<Cut> cuts;
};

struct Fixtures {
    struct Data {
        int64_t n = 0, d = 0;
        std::vector<double> values;  // vectors (n x d) or a condensed matrix
        bool condensed = false;
    };
    std::map<std::string, Data> data;
    std::vector<std::pair<std::string, std::string>> pdist_keys;  // (data, metric)
    std::vector<std::vector<double>> pdist_values;
    std::vector<LinkageCase> cases;
};

std::vector<double> read_doubles(std::istream& in, size_t count) {
    std::vector<double> v(count);
    std::string tok;
    for (size_t i = 0; i < count; ++i) {
        in >> tok;
        v[i] = std::strtod(tok.c_str(), nullptr);  // strtod: exact round trip of Python's repr()
    }
    return v;
}

Fixtures load_fixtures() {
    const std::string path = (mutiny_test::source_dir() / "tests/fixtures/cluster/cases.txt").string();
    std::ifstream in(path);
    REQUIRE_MESSAGE(in.good(), "cannot open " << path);
    Fixtures f;
    std::string kw;
    while (in >> kw) {
        if (kw[0] == '#') {
            std::string rest;
            std::getline(in, rest);
        } else if (kw == "data") {
            std::string name;
            Fixtures::Data d;
            in >> name >> d.n >> d.d;
            d.values = read_doubles(in, static_cast<size_t>(d.n * d.d));
            f.data[name] = d;
        } else if (kw == "condensed") {
            std::string name;
            Fixtures::Data d;
            in >> name >> d.n;
            d.condensed = true;
            d.values = read_doubles(in, static_cast<size_t>(d.n * (d.n - 1) / 2));
            f.data[name] = d;
        } else if (kw == "pdist") {
            std::string name, metric;
            in >> name >> metric;
            const int64_t n = f.data.at(name).n;
            f.pdist_keys.emplace_back(name, metric);
            f.pdist_values.push_back(read_doubles(in, static_cast<size_t>(n * (n - 1) / 2)));
        } else if (kw == "linkage") {
            LinkageCase c;
            in >> c.data >> c.method >> c.metric;
            const int64_t n = f.data.at(c.data).n;
            c.z = read_doubles(in, static_cast<size_t>(4 * (n - 1)));
            f.cases.push_back(c);
        } else if (kw == "maxclust" || kw == "distance") {
            Cut cut;
            cut.maxclust = kw == "maxclust";
            std::string p;
            in >> p;
            cut.param = std::strtod(p.c_str(), nullptr);
            const int64_t n = f.data.at(f.cases.back().data).n;
            cut.labels.resize(static_cast<size_t>(n));
            for (auto& l : cut.labels) in >> l;
            f.cases.back().cuts.push_back(cut);
        } else {
            FAIL("unknown fixture keyword '" << kw << "'");
        }
    }
    return f;
}

const Fixtures& fixtures() {
    static const Fixtures f = load_fixtures();
    return f;
}

bool close_rel(double a, double b, double rel = 1e-12) {
    // Relative, with an absolute floor for values that are 0 in one library and ~1e-16 in the other
    // (e.g. the cosine distance of parallel vectors).
    return std::fabs(a - b) <= rel * std::max(std::fabs(a), std::fabs(b)) + 1e-14;
}

mc::LinkageMatrix run_case(const LinkageCase& c) {
    const auto& d = fixtures().data.at(c.data);
    if (d.condensed) return mc::linkage_condensed(d.values, c.method);
    return mc::linkage(d.values, d.n, d.d, c.method, c.metric);
}

// ---- the naive oracle --------------------------------------------------------------------------------

// Textbook Lance-Williams forms, written independently of the library's (so rounding differs a little).
double lw_oracle(mc::Method m, double dxi, double dyi, double dxy, double nx, double ny, double ni) {
    switch (m) {
        case mc::Method::single: return std::min(dxi, dyi);
        case mc::Method::complete: return std::max(dxi, dyi);
        case mc::Method::average: return (nx * dxi + ny * dyi) / (nx + ny);
        case mc::Method::weighted: return (dxi + dyi) / 2;
        case mc::Method::ward:
            return std::sqrt(std::max(0.0, ((nx + ni) * dxi * dxi + (ny + ni) * dyi * dyi - ni * dxy * dxy) / (nx + ny + ni)));
        case mc::Method::centroid:
            return std::sqrt(std::max(0.0, (nx * dxi * dxi + ny * dyi * dyi) / (nx + ny) - nx * ny * dxy * dxy / ((nx + ny) * (nx + ny))));
        case mc::Method::median: return std::sqrt(std::max(0.0, dxi * dxi / 2 + dyi * dyi / 2 - dxy * dxy / 4));
    }
    return 0;
}

// Replays Z on a full (2n-1)^2 matrix of cluster distances: each row must join two live clusters
// at (up to rounding) the smallest distance between any two live clusters, at the distance the row
// reports, with the right size. Returns a description of the first violation, or "".
std::string oracle_check(const std::vector<double>& condensed, int64_t n, mc::Method method, const mc::LinkageMatrix& Z) {
    const int64_t m = 2 * n - 1;
    std::vector<double> D(static_cast<size_t>(m * m), 0.0);
    auto at = [&](int64_t i, int64_t j) -> double& { return D[static_cast<size_t>(i * m + j)]; };
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = i + 1; j < n; ++j) at(i, j) = at(j, i) = condensed[static_cast<size_t>(mc::condensed_index(n, i, j))];
    std::vector<char> live(static_cast<size_t>(m), 0);
    std::vector<double> size(static_cast<size_t>(m), 1.0);
    for (int64_t i = 0; i < n; ++i) live[static_cast<size_t>(i)] = 1;
    const double tol = 1e-9;
    if (Z.n != n || static_cast<int64_t>(Z.z.size()) != 4 * (n - 1)) return "wrong shape";
    double prev = -std::numeric_limits<double>::infinity();
    for (int64_t k = 0; k < n - 1; ++k) {
        const int64_t a = Z.id1(k), b = Z.id2(k);
        std::ostringstream where;
        where << "row " << k << " (" << a << ", " << b << ", " << Z.distance(k) << "): ";
        if (!(a < b)) return where.str() + "id1 >= id2";
        if (b >= n + k || !live[static_cast<size_t>(a)] || !live[static_cast<size_t>(b)]) return where.str() + "joins a dead cluster";
        double best = std::numeric_limits<double>::infinity();
        for (int64_t i = 0; i < n + k; ++i)
            for (int64_t j = i + 1; j < n + k; ++j)
                if (live[static_cast<size_t>(i)] && live[static_cast<size_t>(j)]) best = std::min(best, at(i, j));
        const double dab = at(a, b);
        if (dab > best + tol * std::max(1.0, std::fabs(best)))
            return where.str() + "not the global minimum (" + std::to_string(dab) + " > " + std::to_string(best) + ")";
        if (std::fabs(Z.distance(k) - dab) > tol * std::max(1.0, std::fabs(dab))) return where.str() + "reported distance differs";
        if (mc::detail::method_is_sorted(method) && Z.distance(k) < prev) return where.str() + "rows not sorted";
        prev = Z.distance(k);
        if (static_cast<double>(Z.size(k)) != size[static_cast<size_t>(a)] + size[static_cast<size_t>(b)]) return where.str() + "wrong size";
        const int64_t c = n + k;
        for (int64_t i = 0; i < c; ++i) {
            if (!live[static_cast<size_t>(i)] || i == a || i == b) continue;
            at(c, i) = at(i, c) = lw_oracle(method, at(a, i), at(b, i), dab, size[static_cast<size_t>(a)], size[static_cast<size_t>(b)],
                                             size[static_cast<size_t>(i)]);
        }
        live[static_cast<size_t>(a)] = live[static_cast<size_t>(b)] = 0;
        live[static_cast<size_t>(c)] = 1;
        size[static_cast<size_t>(c)] = size[static_cast<size_t>(a)] + size[static_cast<size_t>(b)];
    }
    return "";
}

std::vector<double> random_vectors(std::mt19937_64& rng, int64_t n, int64_t d, bool ties) {
    std::vector<double> x(static_cast<size_t>(n * d));
    std::normal_distribution<double> N(0.0, 1.0);
    std::uniform_int_distribution<int> I(0, 3);
    for (auto& v : x) v = ties ? static_cast<double>(I(rng)) : N(rng);  // small integers: many exact ties
    return x;
}

}  // namespace

TEST_CASE("cluster: pdist matches SciPy") {
    const auto& f = fixtures();
    REQUIRE(!f.pdist_keys.empty());
    for (size_t c = 0; c < f.pdist_keys.size(); ++c) {
        const auto& d = f.data.at(f.pdist_keys[c].first);
        CAPTURE(f.pdist_keys[c].first);
        CAPTURE(f.pdist_keys[c].second);
        const std::vector<double> D = mc::pdist(d.values, d.n, d.d, mc::parse_metric(f.pdist_keys[c].second));
        REQUIRE(D.size() == f.pdist_values[c].size());
        for (size_t p = 0; p < D.size(); ++p) {
            CAPTURE(p);
            REQUIRE(close_rel(D[p], f.pdist_values[c][p]));
        }
    }
}

TEST_CASE("cluster: linkage and fcluster match SciPy on every fixture") {
    const auto& f = fixtures();
    REQUIRE(f.cases.size() >= 100);
    int cuts = 0;
    for (const auto& c : f.cases) {
        CAPTURE(c.data);
        CAPTURE(c.method);
        CAPTURE(c.metric);
        const mc::LinkageMatrix Z = run_case(c);
        const int64_t n = f.data.at(c.data).n;
        REQUIRE(Z.n == n);
        REQUIRE(Z.z.size() == c.z.size());
        for (int64_t k = 0; k < n - 1; ++k) {
            CAPTURE(k);
            const double* e = c.z.data() + 4 * k;
            REQUIRE(Z.id1(k) == static_cast<int64_t>(e[0]));
            REQUIRE(Z.id2(k) == static_cast<int64_t>(e[1]));
            REQUIRE(close_rel(Z.distance(k), e[2]));
            REQUIRE(Z.size(k) == static_cast<int64_t>(e[3]));
        }
        for (const auto& cut : c.cuts) {
            CAPTURE(cut.maxclust);
            CAPTURE(cut.param);
            const std::vector<int> got = cut.maxclust ? mc::fcluster_maxclust(Z, static_cast<int64_t>(cut.param))
                                                      : mc::fcluster_distance(Z, cut.param);
            CHECK(got == cut.labels);
            ++cuts;
        }
    }
    CHECK(cuts > 500);
}

TEST_CASE("cluster: every merge joins the global minimum (naive oracle, random and tied inputs)") {
    const uint64_t seed = 0x5eed2024u;
    INFO("seed " << seed);  // printed with any failure, to replay it
    std::mt19937_64 rng(seed);
    int checked = 0;
    for (int rep = 0; rep < 24; ++rep) {
        const bool ties = rep % 2 == 1;
        const int64_t n = 2 + static_cast<int64_t>(rng() % 39), d = 1 + static_cast<int64_t>(rng() % 4);
        const std::vector<double> x = random_vectors(rng, n, d, ties);
        for (mc::Metric metric : {mc::Metric::euclidean, mc::Metric::sqeuclidean, mc::Metric::cosine}) {
            bool zero_row = false;
            for (int64_t i = 0; i < n; ++i) {
                bool z = true;
                for (int64_t k = 0; k < d; ++k) z = z && x[static_cast<size_t>(i * d + k)] == 0;
                zero_row = zero_row || z;
            }
            if (metric == mc::Metric::cosine && zero_row) continue;
            const std::vector<double> D = mc::pdist(x, n, d, metric);
            for (mc::Method method : kAllMethods) {
                if (mc::method_needs_euclidean(method) && metric != mc::Metric::euclidean) continue;
                CAPTURE(rep);
                CAPTURE(n);
                CAPTURE(d);
                CAPTURE(ties);
                CAPTURE(mc::metric_name(metric));
                CAPTURE(mc::method_name(method));
                const mc::LinkageMatrix Z = mc::linkage(x, n, d, method, metric);
                CHECK(oracle_check(D, n, method, Z) == "");
                // The condensed input gives the same matrix, bit for bit, and so does the
                // condensed working layout (used for very large n).
                const mc::LinkageMatrix Zc = mc::linkage_condensed(D, method);
                CHECK(Zc.z == Z.z);
                const int64_t saved = mc::detail::square_max_n();
                mc::detail::square_max_n() = 0;
                const mc::LinkageMatrix Zl = mc::linkage(x, n, d, method, metric);
                mc::detail::square_max_n() = saved;
                CHECK(Zl.z == Z.z);
                ++checked;
            }
        }
    }
    // Non-metric condensed input with many ties, for the methods that accept any dissimilarity.
    for (int rep = 0; rep < 8; ++rep) {
        const int64_t n = 2 + static_cast<int64_t>(rng() % 30);
        std::vector<double> D(static_cast<size_t>(n * (n - 1) / 2));
        for (auto& v : D) v = static_cast<double>(1 + rng() % 4);
        for (mc::Method method : {mc::Method::single, mc::Method::complete, mc::Method::average, mc::Method::weighted, mc::Method::ward}) {
            CAPTURE(rep);
            CAPTURE(mc::method_name(method));
            CHECK(oracle_check(D, n, method, mc::linkage_condensed(D, method)) == "");
            ++checked;
        }
    }
    CHECK(checked > 150);
}

TEST_CASE("cluster: distances and linkage do not depend on the thread count") {
    std::mt19937_64 rng(7);
    const int64_t n = 301, d = 37;
    const std::vector<double> x = random_vectors(rng, n, d, false);
    std::vector<std::vector<double>> D;
    std::vector<std::vector<double>> Z;
    for (int threads : {1, 2, 3}) {
        tbb::global_control gc(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));
        D.push_back(mc::pdist(x, n, d, mc::Metric::euclidean));
        Z.push_back(mc::linkage(x, n, d, mc::Method::ward).z);
    }
    CHECK(D[0] == D[1]);
    CHECK(D[0] == D[2]);
    CHECK(Z[0] == Z[1]);
    CHECK(Z[0] == Z[2]);
    // Row-by-row reference: each entry is the plain sequential sum.
    for (int64_t i = 0; i < n; i += 17)
        for (int64_t j = i + 1; j < n; j += 13) {
            double s = 0;
            for (int64_t k = 0; k < d; ++k) {
                const double t = x[static_cast<size_t>(i * d + k)] - x[static_cast<size_t>(j * d + k)];
                s += t * t;
            }
            CHECK(close_rel(D[0][static_cast<size_t>(mc::condensed_index(n, i, j))], std::sqrt(s), 1e-14));
        }
}

TEST_CASE("cluster: fcluster edge cases") {
    const std::vector<double> x = {0, 0, 0, 1, 10, 10, 10, 11, 30, 30};
    const auto Z = mc::linkage(x, 5, 2, mc::Method::average);
    CHECK(mc::fcluster_maxclust(Z, 1) == std::vector<int>{1, 1, 1, 1, 1});
    CHECK(mc::fcluster_maxclust(Z, 5) == std::vector<int>{1, 2, 3, 4, 5});
    const auto three = mc::fcluster_maxclust(Z, 3);
    CHECK(three[0] == three[1]);
    CHECK(three[2] == three[3]);
    CHECK(three[0] != three[2]);
    CHECK(three[4] != three[0]);
    CHECK(mc::fcluster_distance(Z, 0.0) == std::vector<int>{1, 2, 3, 4, 5});
    CHECK(mc::fcluster_distance(Z, 1.0) == three);  // merges at exactly t join (<=)
    CHECK(mc::fcluster_distance(Z, std::numeric_limits<double>::infinity()) == std::vector<int>{1, 1, 1, 1, 1});
    // Two points: the smallest problem.
    const auto Z2 = mc::linkage(std::vector<double>{1.0, 4.0}, 2, 1, mc::Method::single);
    CHECK(Z2.z == std::vector<double>{0, 1, 3, 2});
}

namespace {

// The error must be a mutiny::Error with all three parts filled in.
template <class F>
void check_error(F&& f, const std::string& what_contains) {
    bool thrown = false;
    try {
        f();
    } catch (const mutiny::Error& e) {
        thrown = true;
        CAPTURE(e.what());
        CHECK(e.what_part().find(what_contains) != std::string::npos);
        CHECK(!e.where_part().empty());
        CHECK(!e.why_part().empty());
    }
    CHECK_MESSAGE(thrown, "expected mutiny::Error containing '" << what_contains << "'");
}

}  // namespace

TEST_CASE("cluster: bad input is a mutiny::Error (what, where, why)") {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    const std::vector<double> good = {0, 0, 1, 0, 0, 2, 5, 5};  // 4 points in 2-D
    const auto Z = mc::linkage(good, 4, 2, mc::Method::single);

    SUBCASE("NaN in vectors") { check_error([&] { mc::linkage(std::vector<double>{0, 1, nan, 3}, 2, 2, mc::Method::ward); }, "non-finite"); }
    SUBCASE("Inf in vectors") { check_error([&] { mc::pdist(std::vector<double>{0, 1, 2, -inf}, 2, 2); }, "non-finite"); }
    SUBCASE("fewer than 2 points") {
        check_error([&] { mc::linkage(std::vector<double>{1, 2}, 1, 2, mc::Method::single); }, "vector");
        check_error([&] { mc::linkage(std::vector<double>{}, 0, 2, mc::Method::single); }, "vector");
        check_error([&] { mc::linkage_condensed(std::vector<double>{}, mc::Method::single); }, "condensed");
    }
    SUBCASE("data size does not match n x d") { check_error([&] { mc::linkage(good, 3, 2, mc::Method::single); }, "values"); }
    SUBCASE("k greater than n or below 1") {
        check_error([&] { mc::fcluster_maxclust(Z, 5); }, "maxclust");
        check_error([&] { mc::fcluster_maxclust(Z, 0); }, "maxclust");
        check_error([&] { mc::fcluster_maxclust(Z, -3); }, "maxclust");
    }
    SUBCASE("threshold negative or NaN") {
        check_error([&] { mc::fcluster_distance(Z, -0.5); }, "threshold");
        check_error([&] { mc::fcluster_distance(Z, nan); }, "threshold");
    }
    SUBCASE("condensed length not n(n-1)/2") {
        check_error([&] { mc::linkage_condensed(std::vector<double>{1, 2}, mc::Method::average); }, "condensed");
        check_error([&] { mc::linkage_condensed(std::vector<double>(7, 1.0), mc::Method::ward); }, "condensed");
    }
    SUBCASE("non-finite condensed entry") {
        check_error([&] { mc::linkage_condensed(std::vector<double>{1, nan, 2}, mc::Method::complete); }, "non-finite");
    }
    SUBCASE("unknown method or metric name") {
        check_error([&] { mc::linkage(good, 4, 2, "wards", "euclidean"); }, "unknown linkage method");
        check_error([&] { mc::linkage(good, 4, 2, "ward", "manhattan"); }, "unknown distance metric");
        check_error([&] { mc::linkage_condensed(std::vector<double>{1.0}, "avg"); }, "unknown linkage method");
    }
    SUBCASE("ward, centroid, median need euclidean") {
        check_error([&] { mc::linkage(good, 4, 2, mc::Method::ward, mc::Metric::cosine); }, "ward");
        check_error([&] { mc::linkage(good, 4, 2, mc::Method::median, mc::Metric::sqeuclidean); }, "median");
    }
    SUBCASE("cosine of a zero vector") { check_error([&] { mc::pdist(good, 4, 2, mc::Metric::cosine); }, "zero vector"); }
    SUBCASE("malformed linkage matrix") {
        mc::LinkageMatrix bad = Z;
        bad.z[0] = 17;
        check_error([&] { mc::fcluster_distance(bad, 1.0); }, "invalid ids");
    }
}
