// How far one tensor departs from a reference tensor (`mutiny diff`, docs/cli.md): the error
// statistics, the NaN/Inf accounting and the tolerance policy, for one pair of tensors of the same
// shape. trace_diff.hpp applies it to every tensor of two runs.
//
// Element pairs (ref r, side s), computed in double:
//   finite      both finite: the statistics are over these pairs, |d| = |s - r|
//   same_inf    the same infinity on both sides: equal (numpy.isclose says so too), no statistic
//   both_nan    NaN on both sides: "both invalid", never "equal"
//   invalid     any pair with a NaN, or an infinity the other side lacks (both_nan included): it
//               fails every tolerance (numpy.allclose with equal_nan=False), so a tensor holding
//               one passes none and its required tolerance is infinite.
// Statistics over the finite pairs: max |d|; max |d|/|r| over the pairs with r != 0; mean |d|; the
// median, p90, p99, p99.9 of |d| as numpy.percentile computes them (linear interpolation); cosine
// sum(r s)/sqrt(sum r^2 sum s^2) (1 when both are all zeros, 0 when one is); SQNR
// 10 log10(sum r^2 / sum d^2) in dB (+inf when d is all zeros). No finite pair: NaN statistics.
//
// Tolerance policy (DiffTolerance): an element is close when |d| <= atol + rtol |r| (numpy.allclose,
// the reference being allclose's second argument). The statistic that must pass:
//   max                      every element is close (numpy.allclose)
//   median, p90, p99, p99.9  at least that fraction of the elements is close (q = 500, 900, 990,
//                            999 per mille of all elements, counted with integers)
//   mean                     mean |d| <= atol + rtol mean |r|
// and any invalid pair fails. The required tolerance is the smallest atol that passes at the given
// rtol and the smallest rtol that passes at the given atol (0 when the given ones pass with room,
// +inf when none would: an invalid pair, or |d| > atol where r = 0 for rtol).
#ifndef MUTINY_ANALYSIS_TENSOR_DIFF_HPP_
#define MUTINY_ANALYSIS_TENSOR_DIFF_HPP_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/tensor.hpp"

namespace mutiny {

enum class DiffStat { max, mean, median, p90, p99, p999 };

inline const char* diff_stat_name(DiffStat s) {
    switch (s) {
        case DiffStat::max: return "max";
        case DiffStat::mean: return "mean";
        case DiffStat::median: return "median";
        case DiffStat::p90: return "p90";
        case DiffStat::p99: return "p99";
        case DiffStat::p999: return "p99.9";
    }
    return "?";
}

inline DiffStat parse_diff_stat(const std::string& s) {
    for (DiffStat d : {DiffStat::max, DiffStat::mean, DiffStat::median, DiffStat::p90, DiffStat::p99, DiffStat::p999})
        if (s == diff_stat_name(d)) return d;
    throw Error("unknown tolerance statistic '" + s + "'", "--stat", "expected max, mean, median, p90, p99 or p99.9");
}

// The fraction of elements a percentile statistic needs close, per mille (max: all of them).
inline int64_t diff_stat_permille(DiffStat s) {
    switch (s) {
        case DiffStat::median: return 500;
        case DiffStat::p90: return 900;
        case DiffStat::p99: return 990;
        case DiffStat::p999: return 999;
        default: return 1000;
    }
}

struct DiffTolerance {
    double atol = 1e-8, rtol = 1e-5;  // numpy.allclose's defaults
    DiffStat stat = DiffStat::max;
};

// Refuses a tolerance that is negative or not a finite number; `where` names its origin.
inline void check_tolerance(const DiffTolerance& t, const std::string& where) {
    for (const auto& [name, v] : {std::pair<const char*, double>{"atol", t.atol}, {"rtol", t.rtol}})
        if (!std::isfinite(v) || v < 0)
            throw Error(std::string("bad ") + name, where, "a tolerance is a finite number >= 0, got " + std::to_string(v));
}

struct TensorDiff {
    int64_t count = 0;                                  // element pairs
    int64_t finite = 0, same_inf = 0, both_nan = 0, invalid = 0;
    int64_t nan_ref = 0, nan_side = 0, inf_ref = 0, inf_side = 0;  // per side
    double max_abs = NAN, max_rel = NAN, mean_abs = NAN, median = NAN, p90 = NAN, p99 = NAN, p999 = NAN;
    double cosine = NAN, sqnr_db = NAN;
    int64_t argmax_abs = -1;                            // flat index of the largest |d|
    // Sums over the finite pairs, so diffs of several inputs pool (pool_diff()).
    double sum_abs = 0, sum_abs_ref = 0, dot = 0, ref_sq = 0, side_sq = 0, noise_sq = 0;
    // The policy's verdict and the tolerance that would have passed.
    int64_t close = 0;                                  // elements within atol + rtol |r| (same_inf included)
    bool pass = true;
    double required_atol = 0, required_rtol = 0;
};

namespace tensor_diff_detail {

// numpy.percentile(x, pct) with the default linear method, x sorted ascending and not empty:
// numpy's virtual index n q + (1 - q) - 1 and its two-sided lerp, so the result is numpy's to the bit
// in all but pathological cases.
inline double percentile_sorted(const std::vector<double>& x, double pct) {
    const double q = pct / 100.0;
    const double n = static_cast<double>(x.size());
    double vi = n * q + (1.0 - q) - 1.0;
    vi = std::min(std::max(vi, 0.0), n - 1);
    const double lo = std::floor(vi);
    const double t = vi - lo;
    const size_t i = static_cast<size_t>(lo), j = std::min(i + 1, x.size() - 1);
    const double a = x[i], b = x[j], d = b - a;
    return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

// The k-th smallest (1-based) of v; v is reordered.
inline double kth_smallest(std::vector<double>& v, int64_t k) {
    auto it = v.begin() + (k - 1);
    std::nth_element(v.begin(), it, v.end());
    return *it;
}

inline double cosine_of(double dot, double a2, double b2) {
    if (a2 == 0 && b2 == 0) return 1.0;
    if (a2 == 0 || b2 == 0) return 0.0;
    return dot / std::sqrt(a2 * b2);
}

inline double sqnr_of(double signal, double noise) {
    if (noise == 0) return std::numeric_limits<double>::infinity();
    return 10.0 * std::log10(signal / noise);
}

// Applies the policy: close count, pass, required tolerances. `absd` and `ref` are the finite
// pairs' |d| and |r| (reordered here).
inline void apply_tolerance(TensorDiff& t, const std::vector<double>& absd, const std::vector<double>& ref, const DiffTolerance& tol) {
    const double inf = std::numeric_limits<double>::infinity();
    t.close = t.same_inf;
    for (size_t i = 0; i < absd.size(); ++i) t.close += absd[i] <= tol.atol + tol.rtol * ref[i];
    if (t.invalid > 0) {
        t.pass = false;
        t.required_atol = t.required_rtol = inf;
        return;
    }
    if (tol.stat == DiffStat::mean) {
        if (t.finite == 0) {
            t.pass = true;
            t.required_atol = t.required_rtol = 0;
            return;
        }
        const double n = static_cast<double>(t.finite);
        const double md = t.sum_abs / n, mr = t.sum_abs_ref / n;
        t.pass = md <= tol.atol + tol.rtol * mr;
        t.required_atol = std::max(0.0, md - tol.rtol * mr);
        t.required_rtol = md <= tol.atol ? 0.0 : mr == 0 ? inf : (md - tol.atol) / mr;
        return;
    }
    // At least k of the count elements must be close; same_inf pairs always are.
    const int64_t pm = diff_stat_permille(tol.stat);
    const int64_t k = (t.count * pm + 999) / 1000;
    t.pass = t.close >= k;
    const int64_t need = k - t.same_inf;  // close finite pairs needed
    if (need <= 0) {
        t.required_atol = t.required_rtol = 0;
        return;
    }
    std::vector<double> e(absd.size());
    for (size_t i = 0; i < absd.size(); ++i) e[i] = absd[i] - tol.rtol * ref[i];
    t.required_atol = std::max(0.0, kth_smallest(e, need));
    for (size_t i = 0; i < absd.size(); ++i)
        e[i] = absd[i] <= tol.atol ? 0.0 : ref[i] == 0 ? inf : (absd[i] - tol.atol) / ref[i];
    t.required_rtol = kth_smallest(e, need);
}

}  // namespace tensor_diff_detail

// Compares n element pairs (r[i], s[i]) under `tol`.
inline TensorDiff compare_values(const double* r, const double* s, int64_t n, const DiffTolerance& tol) {
    using namespace tensor_diff_detail;
    TensorDiff t;
    t.count = n;
    std::vector<double> absd, absr;
    absd.reserve(static_cast<size_t>(n));
    absr.reserve(static_cast<size_t>(n));
    double max_abs = -1, max_rel = 0;
    bool any_rel = false;
    for (int64_t i = 0; i < n; ++i) {
        const double a = r[i], b = s[i];
        const bool na = std::isnan(a), nb = std::isnan(b), ia = std::isinf(a), ib = std::isinf(b);
        t.nan_ref += na;
        t.nan_side += nb;
        t.inf_ref += ia;
        t.inf_side += ib;
        if (na || nb || ia || ib) {
            if (ia && ib && a == b) {
                ++t.same_inf;
            } else {
                ++t.invalid;
                t.both_nan += na && nb;
            }
            continue;
        }
        ++t.finite;
        const double d = std::fabs(b - a), m = std::fabs(a);
        absd.push_back(d);
        absr.push_back(m);
        if (d > max_abs) {
            max_abs = d;
            t.argmax_abs = i;
        }
        if (m > 0) {
            max_rel = std::max(max_rel, d / m);
            any_rel = true;
        }
        t.sum_abs += d;
        t.sum_abs_ref += m;
        t.dot += a * b;
        t.ref_sq += a * a;
        t.side_sq += b * b;
        t.noise_sq += (b - a) * (b - a);
    }
    if (t.finite > 0) {
        t.max_abs = max_abs;
        t.max_rel = any_rel ? max_rel : 0.0;
        t.mean_abs = t.sum_abs / static_cast<double>(t.finite);
        t.cosine = cosine_of(t.dot, t.ref_sq, t.side_sq);
        t.sqnr_db = sqnr_of(t.ref_sq, t.noise_sq);
        std::vector<double> sorted = absd;
        std::sort(sorted.begin(), sorted.end());
        t.median = percentile_sorted(sorted, 50);
        t.p90 = percentile_sorted(sorted, 90);
        t.p99 = percentile_sorted(sorted, 99);
        t.p999 = percentile_sorted(sorted, 99.9);
    }
    apply_tolerance(t, absd, absr, tol);
    return t;
}

// Element i of a numeric tensor as double (float32 read directly, other dtypes through get_f64).
inline std::vector<double> tensor_as_doubles(const Tensor& x) {
    std::vector<double> v(static_cast<size_t>(x.numel()));
    if (x.dtype() == DType::f32) {
        const float* p = x.data<float>();
        for (size_t i = 0; i < v.size(); ++i) v[i] = p[i];
    } else {
        for (size_t i = 0; i < v.size(); ++i) v[i] = x.get_f64(static_cast<int64_t>(i));
    }
    return v;
}

// Compares `side` with the reference `ref`; both must have the same shape (`where` names the pair
// in the error otherwise). Dtypes may differ (a float16 side against a float32 reference).
inline TensorDiff compare_tensors(const Tensor& ref, const Tensor& side, const DiffTolerance& tol, const std::string& where) {
    if (ref.shape() != side.shape())
        throw Error("shapes differ", where, "the reference has " + ref.shape().str() + ", the other side " + side.shape().str());
    const std::vector<double> r = tensor_as_doubles(ref), s = tensor_as_doubles(side);
    return compare_values(r.data(), s.data(), ref.numel(), tol);
}

// Folds the diff of another input of the same tensor into `into`: counts and sums add (mean,
// cosine, SQNR are recomputed over all inputs); max |d|, max rel, the percentiles and the required
// tolerances are the worst input's; pass only if every input passes.
inline void pool_diff(TensorDiff& into, const TensorDiff& t) {
    using namespace tensor_diff_detail;
    auto worst = [](double a, double b) { return std::isnan(a) ? b : std::isnan(b) ? a : std::max(a, b); };
    into.count += t.count;
    into.finite += t.finite;
    into.same_inf += t.same_inf;
    into.both_nan += t.both_nan;
    into.invalid += t.invalid;
    into.nan_ref += t.nan_ref;
    into.nan_side += t.nan_side;
    into.inf_ref += t.inf_ref;
    into.inf_side += t.inf_side;
    into.close += t.close;
    for (auto [a, b] : {std::pair<double*, double>{&into.sum_abs, t.sum_abs}, {&into.sum_abs_ref, t.sum_abs_ref}, {&into.dot, t.dot},
                        {&into.ref_sq, t.ref_sq}, {&into.side_sq, t.side_sq}, {&into.noise_sq, t.noise_sq}})
        *a += b;
    if (!(t.max_abs <= into.max_abs)) into.argmax_abs = std::isnan(t.max_abs) ? into.argmax_abs : t.argmax_abs;
    into.max_abs = worst(into.max_abs, t.max_abs);
    into.max_rel = worst(into.max_rel, t.max_rel);
    into.median = worst(into.median, t.median);
    into.p90 = worst(into.p90, t.p90);
    into.p99 = worst(into.p99, t.p99);
    into.p999 = worst(into.p999, t.p999);
    into.required_atol = std::max(into.required_atol, t.required_atol);
    into.required_rtol = std::max(into.required_rtol, t.required_rtol);
    into.pass = into.pass && t.pass;
    if (into.finite > 0) {
        into.mean_abs = into.sum_abs / static_cast<double>(into.finite);
        into.cosine = cosine_of(into.dot, into.ref_sq, into.side_sq);
        into.sqnr_db = sqnr_of(into.ref_sq, into.noise_sq);
    }
}

}  // namespace mutiny

#endif  // MUTINY_ANALYSIS_TENSOR_DIFF_HPP_
