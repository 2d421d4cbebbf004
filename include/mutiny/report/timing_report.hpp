// Timing across devices as a view (report.html's "Timing", report.json's "timing"): per device the
// original's and the mutants' seconds, per mutation operator the spread of a mutant's time (median,
// p90, max), and against the first device the ratio of each mutant's time on another device to
// its time on the first. Times vary from run to run; everything here is in report.json's
// "timing" section, never above it. Campaigns time whole mutants; per-node times across devices
// are `mutiny diff --timing`'s (analysis/node_timing.hpp).
#ifndef MUTINY_REPORT_TIMING_REPORT_HPP_
#define MUTINY_REPORT_TIMING_REPORT_HPP_

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "../analysis/campaign_options.hpp"
#include "../analysis/tensor_diff.hpp"
#include "html_util.hpp"
#include "json.hpp"

namespace mutiny {

// Median, p90 (numpy.percentile's linear method) and max of some values; n = 0: none (NaN).
struct Spread {
    int64_t n = 0;
    double median = NAN, p90 = NAN, max = NAN;
};

inline Spread spread_of(std::vector<double> v) {
    Spread s;
    s.n = static_cast<int64_t>(v.size());
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    s.median = tensor_diff_detail::percentile_sorted(v, 50);
    s.p90 = tensor_diff_detail::percentile_sorted(v, 90);
    s.max = v.back();
    return s;
}

// Whether mutant i has a time on device d that means something: it ran to the end there (not
// crashed, not lost with the device).
inline bool timed_on(const CampaignResult& r, size_t i, size_t d) {
    const MutantResult& m = r.mutants[i];
    if (m.mutant.status != MutantStatus::ok || m.runs.size() <= d) return false;
    const KillSummary& s = m.runs[d].summary;
    return !s.crashed && !s.device_lost;
}

// Mutant i's time on device d over its time on device 0; NaN when either has none.
inline double device_time_ratio(const CampaignResult& r, size_t i, size_t d) {
    if (!timed_on(r, i, 0) || !timed_on(r, i, d) || !(r.mutants[i].runs[0].seconds > 0)) return NAN;
    return r.mutants[i].runs[d].seconds / r.mutants[i].runs[0].seconds;
}

// Per operator (and "all"): the spread of device d's mutant seconds, or with `ratio` of their
// ratios to device 0's.
inline std::map<std::string, Spread> timing_by_operator(const CampaignResult& r, size_t d, bool ratio) {
    std::map<std::string, std::vector<double>> v;
    for (size_t i = 0; i < r.mutants.size(); ++i) {
        const double x = ratio ? device_time_ratio(r, i, d) : timed_on(r, i, d) ? r.mutants[i].runs[d].seconds : NAN;
        if (std::isnan(x)) continue;
        v["all"].push_back(x);
        v[operator_label(r.mutants[i].mutant.spec)].push_back(x);
    }
    std::map<std::string, Spread> out;
    for (auto& kv : v) out[kv.first] = spread_of(std::move(kv.second));
    return out;
}

inline void spread_json(JsonWriter& j, const Spread& s) {
    j.begin_object();
    j.key("mutants").value(s.n);
    j.key("median").value(s.median);
    j.key("p90").value(s.p90);
    j.key("max").value(s.max);
    j.end();
}

// report.json's timing entries beyond the totals: each mutant's seconds per device and, per other
// device, the ratios to the first (the original's, and the mutants' per operator).
inline void timing_views_json(JsonWriter& j, const CampaignResult& r) {
    j.key("mutant_seconds_each").begin_object();
    for (size_t i = 0; i < r.mutants.size(); ++i) {
        if (r.mutants[i].mutant.status != MutantStatus::ok) continue;
        std::vector<double> s;
        for (size_t d = 0; d < r.devices.size(); ++d) s.push_back(timed_on(r, i, d) ? r.mutants[i].runs[d].seconds : NAN);
        j.key(r.mutants[i].mutant.spec.id).inline_array(s);
    }
    j.end();
    j.key("device_ratios").begin_object();
    for (size_t d = 1; d < r.devices.size(); ++d) {
        j.key(r.devices[d]).begin_object();
        j.key("against").value(r.devices[0]);
        j.key("original").value(r.original_seconds[0] > 0 ? r.original_seconds[d] / r.original_seconds[0] : NAN);
        j.key("mutants").begin_object();
        for (const auto& [op, s] : timing_by_operator(r, d, true)) {
            j.key(op);
            spread_json(j, s);
        }
        j.end();
        j.end();
    }
    j.end();
}

// report.html's "Timing" section.
inline std::string timing_html(const CampaignResult& r) {
    auto ms = [](double s) { return std::isnan(s) ? std::string("-") : fmt_num(1000 * s, "%.3g"); };
    auto x = [](double v) { return std::isnan(v) ? std::string("-") : fmt_num(v, "%.3g") + "&times;"; };
    std::ostringstream os;
    const bool several = r.devices.size() > 1;
    os << "<h2>Timing</h2>\n<table><tr><th class='l'>device</th><th>original (s)</th><th>mutants (s)</th><th>mutants run</th><th>mean per mutant (ms)</th>"
       << (several ? "<th>original vs " + html_escape(r.devices[0]) + "</th>" : std::string()) << "</tr>\n";
    for (size_t d = 0; d < r.devices.size(); ++d) {
        double t = 0;
        int64_t ran = 0;
        for (const auto& m : r.mutants)
            if (m.mutant.status == MutantStatus::ok && !m.runs.empty()) {
                t += m.runs[d].seconds;
                ++ran;
            }
        os << "<tr><td class='l'>" << html_escape(r.devices[d]) << "</td><td>" << fmt_num(r.original_seconds[d], "%.3f") << "</td><td>" << fmt_num(t, "%.3f")
           << "</td><td>" << ran << "</td><td>" << (ran ? fmt_num(1000 * t / static_cast<double>(ran), "%.2f") : std::string("-")) << "</td>";
        if (several) os << "<td>" << x(r.original_seconds[0] > 0 ? r.original_seconds[d] / r.original_seconds[0] : NAN) << "</td>";
        os << "</tr>\n";
    }
    os << "</table>\n<p class='small'>Campaign wall time " << fmt_num(r.seconds, "%.2f") << " s"
       << (r.resumed_at_batch >= 0 ? " (this process; resumed at batch " + std::to_string(r.resumed_at_batch) + ")" : std::string()) << ".</p>\n";
    // Per operator: a mutant's time on each device over the whole data set, and its ratio to the first device's.
    os << "<table><tr><th class='l'>operator</th>";
    for (size_t d = 0; d < r.devices.size(); ++d) os << "<th>" << html_escape(r.devices[d]) << " median / p90 / max (ms)</th>";
    for (size_t d = 1; d < r.devices.size(); ++d)
        os << "<th>" << html_escape(r.devices[d] + " / " + r.devices[0]) << " median / p90 / max</th>";
    os << "</tr>\n";
    std::vector<std::map<std::string, Spread>> secs, ratios;
    for (size_t d = 0; d < r.devices.size(); ++d) {
        secs.push_back(timing_by_operator(r, d, false));
        ratios.push_back(d ? timing_by_operator(r, d, true) : std::map<std::string, Spread>{});
    }
    for (const auto& kv : secs[0]) {
        os << "<tr><td class='l'>" << html_escape(kv.first) << "</td>";
        for (size_t d = 0; d < r.devices.size(); ++d) {
            const auto it = secs[d].find(kv.first);
            const Spread s = it == secs[d].end() ? Spread{} : it->second;
            os << "<td>" << ms(s.median) << " / " << ms(s.p90) << " / " << ms(s.max) << "</td>";
        }
        for (size_t d = 1; d < r.devices.size(); ++d) {
            const auto it = ratios[d].find(kv.first);
            const Spread s = it == ratios[d].end() ? Spread{} : it->second;
            os << "<td>" << x(s.median) << " / " << x(s.p90) << " / " << x(s.max) << "</td>";
        }
        os << "</tr>\n";
    }
    os << "</table>\n<p class='small'>Each mutant's time per device is in the mutant table below and in report.json (timing). "
          "Per-node times across devices: <code>mutiny diff MODEL --data SPEC --against A,B --timing</code>.</p>\n";
    return os.str();
}

}  // namespace mutiny

#endif  // MUTINY_REPORT_TIMING_REPORT_HPP_
