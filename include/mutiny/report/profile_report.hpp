// The mutants' propagation profiles in a campaign's report (analysis/profile.hpp; `mutiny campaign
// --profiles`): the "profiles" object of report.json, profiles.csv (one row per mutant and node
// output) and the report.html section that sums them up per mutation operator, with the
// structurally weak mutants (masked before the output on every profiled input).
#ifndef MUTINY_REPORT_PROFILE_REPORT_HPP_
#define MUTINY_REPORT_PROFILE_REPORT_HPP_

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "../analysis/campaign_options.hpp"
#include "../analysis/tensor_diff.hpp"
#include "csv.hpp"
#include "html_util.hpp"
#include "json.hpp"

namespace mutiny {

// Per mutation operator, over its profiled mutants (those with at least one profiled input).
struct ProfileOperatorSummary {
    int64_t profiled = 0;
    int64_t reaching_output = 0;    // mutants whose effect reaches the output on some input
    int64_t weak = 0;               // structurally weak: masked before the output on every input
    double median_last_depth = 0;   // median over the mutants of the deepest row that differs (-1: none)
    // Per depth: the mean over the mutants with that row of their mean relative error (finite ones).
    std::vector<double> mean_rel_by_depth;
    std::vector<int64_t> mutants_by_depth;
};

inline std::map<std::string, ProfileOperatorSummary> profile_by_operator(const CampaignResult& r) {
    std::map<std::string, ProfileOperatorSummary> out;
    std::map<std::string, std::vector<double>> depths;
    for (size_t i = 0; i < r.profiles.size(); ++i) {
        const MutantProfile& p = r.profiles[i];
        if (p.empty()) continue;
        const std::string op = operator_label(r.mutants[i].mutant.spec);
        ProfileOperatorSummary& s = out[op];
        ++s.profiled;
        s.reaching_output += p.reaching_output() > 0;
        s.weak += p.structurally_weak();
        depths[op].push_back(p.last_differing());
        if (s.mean_rel_by_depth.size() < p.rows.size()) {
            s.mean_rel_by_depth.resize(p.rows.size(), 0.0);
            s.mutants_by_depth.resize(p.rows.size(), 0);
        }
        for (size_t k = 0; k < p.rows.size(); ++k)
            if (std::isfinite(p.rows[k].mean_rel())) {
                s.mean_rel_by_depth[k] += p.rows[k].mean_rel();
                ++s.mutants_by_depth[k];
            }
    }
    for (auto& [op, s] : out) {
        std::vector<double>& d = depths[op];
        std::sort(d.begin(), d.end());
        s.median_last_depth = tensor_diff_detail::percentile_sorted(d, 50);
        for (size_t k = 0; k < s.mean_rel_by_depth.size(); ++k)
            s.mean_rel_by_depth[k] = s.mutants_by_depth[k] ? s.mean_rel_by_depth[k] / static_cast<double>(s.mutants_by_depth[k]) : NAN;
    }
    return out;
}

// report.json's "profiles": the options, the per-operator summary and every mutant's summary
// (the rows themselves are in profiles.csv).
inline void profiles_json(JsonWriter& j, const CampaignResult& r) {
    j.begin_object();
    j.key("inputs").value(r.profile.inputs);
    j.key("atol").value(r.profile.atol);
    j.key("rtol").value(r.profile.rtol);
    j.key("file").value("profiles.csv");
    j.key("by_operator").begin_object();
    for (const auto& [op, s] : profile_by_operator(r)) {
        j.key(op).begin_object();
        j.key("profiled").value(s.profiled);
        j.key("reaching_output").value(s.reaching_output);
        j.key("structurally_weak").value(s.weak);
        j.key("median_last_differing_depth").value(s.median_last_depth);
        j.key("mean_rel_error_by_depth").inline_array(s.mean_rel_by_depth);
        j.end();
    }
    j.end();
    j.key("mutants").begin_array();
    for (size_t i = 0; i < r.profiles.size(); ++i) {
        const MutantProfile& p = r.profiles[i];
        if (p.empty() && p.note.empty()) continue;
        auto node_of = [&](int k) { return k < 0 ? std::string() : p.rows[static_cast<size_t>(k)].node_name; };
        j.begin_object();
        j.key("id").value(r.mutants[i].mutant.spec.id);
        j.key("profiled_inputs").value(p.inputs());
        j.key("rows").value(p.rows.size());
        j.key("reaching_output_inputs").value(p.reaching_output());
        j.key("last_differing_depth").value(p.last_differing());
        j.key("last_differing_node").value(node_of(p.last_differing()));
        j.key("masked_by").value(node_of(p.masked_row));
        j.key("structurally_weak").value(p.structurally_weak());
        j.key("note").value(p.note);
        j.end();
    }
    j.end();
    j.end();
}

// profiles.csv: per mutant, one line per node output downstream of its first changed node, in
// topological order (depth 0 first).
inline std::string profiles_csv(const CampaignResult& r) {
    auto num = [](double v) { return std::isfinite(v) ? json_number(v) : std::string(v > 0 ? "inf" : "nan"); };
    std::ostringstream os;
    os << "id,operator,depth,node,op,tensor,differing_inputs,profiled_inputs,max_abs,mean_rel_error\n";
    for (size_t i = 0; i < r.profiles.size(); ++i) {
        const MutantProfile& p = r.profiles[i];
        const MutantSpec& spec = r.mutants[i].mutant.spec;
        for (size_t k = 0; k < p.rows.size(); ++k) {
            const ProfileRow& x = p.rows[k];
            os << report_detail::csv_field(spec.id) << ',' << report_detail::csv_field(operator_label(spec)) << ',' << k << ','
               << report_detail::csv_field(x.node_name) << ',' << report_detail::csv_field(x.op) << ',' << report_detail::csv_field(x.tensor) << ','
               << x.differing << ',' << x.inputs << ',' << num(x.max_abs) << ',' << num(x.mean_rel()) << '\n';
        }
    }
    return os.str();
}

// Mean relative error against depth, one line per operator, log scale (0 on the floor line).
inline std::string svg_profile_depths(const std::map<std::string, ProfileOperatorSummary>& ops) {
    static const char* colors[] = {"#2c7fb8", "#d95f0e", "#31a354", "#756bb1", "#636363", "#e7298a", "#a6761d", "#1b9e77"};
    const int left = 60, top = 30, width = 560, height = 220;
    size_t depth = 1;
    double lo = INFINITY, hi = -INFINITY;
    for (const auto& kv : ops) {
        depth = std::max(depth, kv.second.mean_rel_by_depth.size());
        for (double v : kv.second.mean_rel_by_depth)
            if (std::isfinite(v) && v > 0) {
                lo = std::min(lo, std::floor(std::log10(v)));
                hi = std::max(hi, std::ceil(std::log10(v)));
            }
    }
    if (!std::isfinite(lo)) lo = hi = -6;
    lo -= 1;  // the floor line holds the zeros
    hi = std::max(hi, lo + 2);
    auto x = [&](size_t k) { return left + (depth > 1 ? static_cast<double>(k) * width / static_cast<double>(depth - 1) : 0.0); };
    auto y = [&](double v) { return top + height - ((v > 0 ? std::max(lo, std::log10(v)) : lo) - lo) * height / (hi - lo); };
    std::ostringstream os;
    os << "<svg xmlns='http://www.w3.org/2000/svg' width='" << left + width + 260 << "' height='" << top + height + 44
       << "' role='img' aria-label='mean relative error per depth'>\n"
       << "<text x='0' y='16' font-size='14' font-weight='bold'>Mean relative error ||mutant - original|| / ||original|| per depth (log scale)</text>\n";
    for (int e = static_cast<int>(lo); e <= static_cast<int>(hi); ++e) {
        const std::string ys = fmt_num(top + height - (e - lo) * height / (hi - lo), "%.1f");
        os << "<line x1='" << left << "' x2='" << left + width << "' y1='" << ys << "' y2='" << ys << "' stroke='#ddd'/><text x='" << left - 6
           << "' y='" << ys << "' font-size='11' text-anchor='end'>" << (e == static_cast<int>(lo) ? std::string("0") : "1e" + std::to_string(e)) << "</text>\n";
    }
    os << "<text x='" << left << "' y='" << top + height + 18 << "' font-size='11'>depth 0 (the mutated node)</text><text x='" << left + width << "' y='"
       << top + height + 18 << "' font-size='11' text-anchor='end'>depth " << depth - 1 << "</text>\n";
    size_t c = 0;
    for (const auto& [op, s] : ops) {
        const char* col = colors[c % (sizeof colors / sizeof *colors)];
        std::string pts;
        for (size_t k = 0; k < s.mean_rel_by_depth.size(); ++k)
            if (!std::isnan(s.mean_rel_by_depth[k])) pts += fmt_num(x(k), "%.1f") + "," + fmt_num(y(s.mean_rel_by_depth[k]), "%.1f") + " ";
        os << "<polyline fill='none' stroke='" << col << "' stroke-width='1.5' points='" << pts << "'/>\n<rect x='" << left + width + 12 << "' y='"
           << top + 16 * static_cast<int>(c) << "' width='10' height='10' fill='" << col << "'/><text x='" << left + width + 28 << "' y='"
           << top + 9 + 16 * static_cast<int>(c) << "' font-size='11'>" << html_escape(op) << "</text>\n";
        ++c;
    }
    os << "</svg>\n";
    return os.str();
}

// report.html's section: per operator, the structurally weak mutants, and the chart.
inline std::string profiles_html(const CampaignResult& r) {
    constexpr size_t kWeakShown = 20;
    const auto ops = profile_by_operator(r);
    std::ostringstream os;
    os << "<h2>Propagation profiles</h2>\n<p>How far each mutant's effect travels, on the first " << r.profile.inputs
       << " inputs: per node output downstream of the mutated node (depth 0), whether it differs from the original's (atol "
       << fmt_num(r.profile.atol) << ", rtol " << fmt_num(r.profile.rtol)
       << ") and by how much. A mutant is <b>structurally weak</b> when its effect is masked before the output on every profiled input."
          " Every row: profiles.csv.</p>\n";
    os << "<table><tr><th class='l'>operator</th><th>profiled</th><th>reach the output</th><th>structurally weak</th>"
          "<th>median last differing depth</th></tr>\n";
    for (const auto& [op, s] : ops)
        os << "<tr><td class='l'>" << html_escape(op) << "</td><td>" << s.profiled << "</td><td>"
           << fmt_pct(static_cast<double>(s.reaching_output) / static_cast<double>(s.profiled)) << "</td><td>" << s.weak << "</td><td>"
           << fmt_num(s.median_last_depth, "%.1f") << "</td></tr>\n";
    os << "</table>\n";
    if (!ops.empty()) os << svg_profile_depths(ops);
    std::vector<size_t> weak;
    int64_t not_profiled = 0;
    for (size_t i = 0; i < r.profiles.size(); ++i) {
        if (r.profiles[i].structurally_weak()) weak.push_back(i);
        not_profiled += !r.profiles[i].note.empty();
    }
    os << "<p>" << weak.size() << " structurally weak mutants" << (weak.size() > kWeakShown ? " (the first " + std::to_string(kWeakShown) + ")" : "")
       << (weak.empty() ? "." : ":") << (not_profiled ? " " + std::to_string(not_profiled) + " graph mutants are not profiled (their nodes are not the original's)." : "")
       << "</p>\n";
    if (!weak.empty()) {
        os << "<table><tr><th class='l'>id</th><th class='l'>operator</th><th class='l'>last differing node</th><th>depth</th>"
              "<th class='l'>masked by</th><th>rows</th></tr>\n";
        for (size_t k = 0; k < weak.size() && k < kWeakShown; ++k) {
            const MutantProfile& p = r.profiles[weak[k]];
            const int last = p.last_differing();
            auto node = [&](int row) {
                return row < 0 ? std::string("-") : p.rows[static_cast<size_t>(row)].node_name + " (" + p.rows[static_cast<size_t>(row)].op + ")";
            };
            os << "<tr><td class='l'>" << html_escape(r.mutants[weak[k]].mutant.spec.id) << "</td><td class='l'>"
               << html_escape(operator_label(r.mutants[weak[k]].mutant.spec)) << "</td><td class='l'>" << html_escape(node(last)) << "</td><td>" << last
               << "</td><td class='l'>" << html_escape(node(p.masked_row)) << "</td><td>" << p.rows.size() << "</td></tr>\n";
        }
        os << "</table>\n";
    }
    return os.str();
}

}  // namespace mutiny

#endif  // MUTINY_REPORT_PROFILE_REPORT_HPP_
