// report.html: one self-contained file (no scripts, no fonts, no network) with inline SVG charts,
// so it opens offline in any browser and can be mailed as is: the scores, per-operator score
// bars, a kill-matrix heatmap, the device discrepancy table and the mutant table. Extra sections
// (a dendrogram, a speed-up vs error chart) are passed in as ready SVG/HTML fragments.
#ifndef MUTINY_REPORT_HTML_HPP_
#define MUTINY_REPORT_HTML_HPP_

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "campaign_report.hpp"
#include "html_util.hpp"
#include "prioritization.hpp"

namespace mutiny {

// The killed-classes score exists for the killed-classes criteria only; elsewhere a dash, not 0%.
inline bool has_classes_score(const Criterion& c) {
    return c.kind == Criterion::Kind::classes_true || c.kind == Criterion::Kind::classes_mutant;
}

inline std::string classes_score_text(const Criterion& c, const Score& s, int64_t classes) {
    return has_classes_score(c) ? fmt_pct(s.classes_score(classes)) : std::string("-");
}

// Horizontal bars, one per (label, value in [0, 1]), with the value printed.
inline std::string svg_bars(const std::vector<std::pair<std::string, double>>& bars, const std::string& title) {
    // The label column is as wide as the longest label (about 7 px a character at 12 px), so long
    // operator names (MutateNN presets with parameters) are not cut at the left edge.
    size_t longest = 0;
    for (const auto& b : bars) longest = std::max(longest, b.first.size());
    const int row = 22, width = 420, left = std::max(120, static_cast<int>(longest) * 7 + 12);
    const int h = static_cast<int>(bars.size()) * row + 40;
    std::ostringstream os;
    os << "<svg xmlns='http://www.w3.org/2000/svg' width='" << left + width + 80 << "' height='" << h << "' role='img' aria-label='" << html_escape(title) << "'>\n";
    os << "<text x='0' y='16' font-size='14' font-weight='bold'>" << html_escape(title) << "</text>\n";
    for (size_t i = 0; i < bars.size(); ++i) {
        const int y = 30 + static_cast<int>(i) * row;
        const double v = std::max(0.0, std::min(1.0, bars[i].second));
        os << "<text x='" << left - 6 << "' y='" << y + 14 << "' font-size='12' text-anchor='end'>" << html_escape(bars[i].first) << "</text>";
        os << "<rect x='" << left << "' y='" << y + 2 << "' width='" << width << "' height='" << row - 6 << "' fill='#eee'/>";
        os << "<rect x='" << left << "' y='" << y + 2 << "' width='" << fmt_num(v * width, "%.1f") << "' height='" << row - 6 << "' fill='#c0392b'/>";
        os << "<text x='" << left + width + 6 << "' y='" << y + 14 << "' font-size='12'>" << fmt_pct(bars[i].second) << "</text>\n";
    }
    os << "</svg>\n";
    return os.str();
}

// The kill matrix (mutants x inputs, prediction criterion) binned to at most 120 x 200 cells;
// a cell's darkness = the fraction of its (mutant, input) pairs that kill.
inline std::string svg_kill_heatmap(const CampaignResult& r, size_t d) {
    std::vector<size_t> rows;
    for (size_t i = 0; i < r.mutants.size(); ++i)
        if (r.mutants[i].mutant.status == MutantStatus::ok) rows.push_back(i);
    if (rows.empty() || r.inputs == 0) return "<p>No mutant ran.</p>\n";
    const int64_t R = std::min<int64_t>(120, static_cast<int64_t>(rows.size())), Cn = std::min<int64_t>(200, r.inputs);
    // Up to 40 rows, each row is one mutant, tall enough for its id; beyond, rows are binned, every
    // row says which mutants it holds on hover, and every k-th is labelled with its first id.
    const int cw = 4, ch = R <= 40 ? 11 : 4, top = 24;
    size_t id_len = 0;
    for (size_t i : rows) id_len = std::max(id_len, r.mutants[i].mutant.spec.id.size());
    const int left = static_cast<int>(id_len) * 6 + 10;
    const int64_t label_every = ch >= 11 ? 1 : (R + 11) / 12;
    std::ostringstream os;
    os << "<svg xmlns='http://www.w3.org/2000/svg' width='" << left + Cn * cw + 20 << "' height='" << top + R * ch + 40 << "' role='img' aria-label='kill matrix'>\n";
    os << "<text x='0' y='14' font-size='13' font-weight='bold'>Kill matrix on " << html_escape(r.devices[d]) << ": " << rows.size() << " mutants (rows) x "
       << r.inputs << " inputs (columns), binned to " << R << " x " << Cn << "</text>\n";
    os << "<rect x='" << left << "' y='" << top << "' width='" << Cn * cw << "' height='" << R * ch << "' fill='#fff' stroke='#999'/>\n";
    for (int64_t a = 0; a < R; ++a) {
        const size_t r0 = static_cast<size_t>(a * static_cast<int64_t>(rows.size()) / R), r1 = static_cast<size_t>((a + 1) * static_cast<int64_t>(rows.size()) / R);
        for (int64_t b = 0; b < Cn; ++b) {
            const int64_t c0 = b * r.inputs / Cn, c1 = (b + 1) * r.inputs / Cn;
            int64_t k = 0;
            for (size_t q = r0; q < r1; ++q) {
                const KillSummary& s = r.mutants[rows[q]].runs[d].summary;
                if (s.kill_bits.empty()) continue;
                for (int64_t x = c0; x < c1; ++x) k += (s.kill_bits[static_cast<size_t>(x / 64)] >> (x % 64)) & 1u;
            }
            if (k == 0) continue;
            const double f = static_cast<double>(k) / static_cast<double>((r1 - r0) * static_cast<size_t>(c1 - c0));
            const int shade = static_cast<int>(220.0 * (1.0 - std::min(1.0, 0.15 + f)));
            os << "<rect x='" << left + b * cw << "' y='" << top + a * ch << "' width='" << cw << "' height='" << ch << "' fill='rgb(" << 255 << ',' << shade << ','
               << shade << ")'/>";
        }
        const std::string& first_id = r.mutants[rows[r0]].mutant.spec.id;
        const std::string span = r1 - r0 > 1 ? first_id + " .. " + r.mutants[rows[r1 - 1]].mutant.spec.id : first_id;
        os << "<rect x='0' y='" << top + a * ch << "' width='" << left << "' height='" << ch << "' fill='transparent'><title>" << html_escape(span)
           << "</title></rect>";
        if (a % label_every == 0)
            os << "<text x='" << left - 4 << "' y='" << top + a * ch + std::min(ch, 10) << "' font-size='" << (ch >= 11 ? 10 : 9)
               << "' text-anchor='end'>" << html_escape(first_id) << "</text>";
        os << "\n";
    }
    os << "<text x='" << left << "' y='" << top + R * ch + 16 << "' font-size='11'>input 0</text>";
    os << "<text x='" << left + Cn * cw << "' y='" << top + R * ch + 16 << "' font-size='11' text-anchor='end'>" << r.inputs - 1 << "</text>\n";
    os << "</svg>\n";
    return os.str();
}

inline std::string campaign_report_html(const CampaignResult& r, const std::vector<std::string>& extra_sections = {}) {
    std::ostringstream os;
    os << "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>Mutiny report: " << html_escape(r.model) << "</title>\n"
       << "<style>body{font-family:sans-serif;margin:24px;max-width:1200px;color:#222}table{border-collapse:collapse;margin:8px 0 20px}"
          "td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:right}th{background:#f4f4f4}td.l,th.l{text-align:left}"
          "h2{border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:28px}.killed{color:#c0392b}.survived{color:#27ae60}"
          ".small{font-size:12px;color:#666}</style></head><body>\n";
    os << "<h1>Mutation campaign: " << html_escape(r.model) << "</h1>\n";
    os << "<p>Data <b>" << html_escape(r.data) << "</b> (" << r.inputs << " inputs, " << r.classes << " classes, recipe " << html_escape(r.recipe)
       << "); devices <b>";
    for (size_t d = 0; d < r.devices.size(); ++d) os << (d ? ", " : "") << html_escape(r.devices[d]);
    os << "</b>; " << r.mutants.size() << " mutants; Mutiny " << html_escape(r.version) << ". Model hash " << html_escape(r.model_hash) << ".</p>\n";

    os << "<h2>Original model</h2>\n<table><tr><th class='l'>device</th><th>accuracy</th><th>time (s)</th><th class='l'>error</th></tr>\n";
    for (size_t d = 0; d < r.devices.size(); ++d)
        os << "<tr><td class='l'>" << html_escape(r.devices[d]) << "</td><td>" << fmt_pct(r.inputs ? static_cast<double>(r.original_correct[d]) / static_cast<double>(r.inputs) : 0)
           << "</td><td>" << fmt_num(r.original_seconds[d], "%.3f") << "</td><td class='l'>" << html_escape(r.device_errors[d]) << "</td></tr>\n";
    os << "</table>\n";

    os << "<h2>Mutation scores</h2>\n<table><tr><th class='l'>device</th><th class='l'>criterion</th><th>mutants</th><th>killed</th><th>survived</th><th>crashed</th>"
          "<th>equivalent</th><th>invalid</th><th>not applicable</th><th>device lost</th><th>kill ratio</th><th>killed-classes score</th></tr>\n";
    for (size_t d = 0; d < r.devices.size(); ++d)
        for (size_t c = 0; c < r.criteria.size(); ++c) {
            const Score s = campaign_scores(r, d, c, "").at("all");
            os << "<tr><td class='l'>" << html_escape(r.devices[d]) << "</td><td class='l'>" << html_escape(r.criteria[c].name()) << "</td><td>" << s.mutants << "</td><td>"
               << s.killed << "</td><td>" << s.survived << "</td><td>" << s.crashed << "</td><td>" << s.equivalent << "</td><td>" << s.invalid << "</td><td>"
               << s.not_applicable << "</td><td>" << s.device_lost << "</td><td>" << fmt_pct(s.kill_ratio()) << "</td><td>" << classes_score_text(r.criteria[c], s, r.classes) << "</td></tr>\n";
        }
    os << "</table>\n";
    for (const auto& c : r.criteria)
        if (c.kind == Criterion::Kind::statistical) {
            int instances = 1;
            for (const auto& m : r.mutants)
                for (const auto& run : m.runs) instances = std::max(instances, static_cast<int>(run.summary.instance_correct.size()));
            os << "<p class='small'>Note: " << html_escape(statistical_caveat(instances)) << ".</p>\n";
            break;
        }

    // Per device and operator, with the ratios to the first device (report.json: "timing").
    os << timing_html(r);

    for (size_t c = 0; c < r.criteria.size(); ++c) {
        std::vector<std::pair<std::string, double>> bars;
        for (const auto& kv : campaign_scores(r, 0, c, "operator"))
            if (kv.second.counted() > 0) bars.emplace_back(kv.first + " (" + std::to_string(kv.second.counted()) + ")", kv.second.kill_ratio());
        if (!bars.empty()) os << svg_bars(bars, "Kill ratio per operator, " + r.criteria[c].name() + ", " + r.devices[0]);
    }
    {
        std::vector<std::pair<std::string, double>> bars;
        for (const auto& kv : campaign_scores(r, 0, 0, "layer"))
            if (kv.second.counted() > 0) bars.emplace_back(kv.first + " (" + std::to_string(kv.second.counted()) + ")", kv.second.kill_ratio());
        if (!bars.empty()) os << svg_bars(bars, "Kill ratio per layer, " + r.criteria[0].name() + ", " + r.devices[0]);
    }

    os << "<h2>Kill matrix</h2>\n" << svg_kill_heatmap(r, 0);
    {
        std::vector<size_t> which;
        const auto rows = killed_rows(r, 0, &which);
        const auto groups = redundant_groups(rows);
        int64_t trivial = 0, redundant = 0;
        for (const auto* row : rows) trivial += is_trivial(*row, r.inputs) ? 1 : 0;
        for (const auto& g : groups) redundant += static_cast<int64_t>(g.size()) - 1;
        const auto kills = per_input_kills(rows, r.inputs);
        int64_t never = 0;
        for (int64_t k : kills) never += k == 0 ? 1 : 0;
        os << "<p>" << rows.size() << " mutants kill at least one input; " << redundant << " are redundant (same kill vector as another, " << groups.size()
           << " groups); " << trivial << " are trivial (killed by &ge; 90% of the inputs); " << never << " inputs kill no mutant.</p>\n";
    }

    os << prioritization_html(kill_matrix_of(r, 0));

    if (r.devices.size() > 1) {
        // Per device pair: the original, how many mutants disagree at all, and the ten that
        // disagree most (every mutant's numbers are in report.json).
        constexpr size_t kShown = 10;
        os << "<h2>Device discrepancy</h2>\n";
        for (size_t d = 1; d < r.devices.size(); ++d) {
            std::vector<size_t> idx;
            size_t disagree = 0, verdicts = 0;
            for (size_t i = 0; i < r.mutants.size(); ++i) {
                if (r.mutants[i].mutant.status != MutantStatus::ok) continue;
                idx.push_back(i);
                disagree += r.mutants[i].vs_first[d - 1].top1_disagree > 0 ? 1 : 0;
                for (size_t c = 0; c < r.criteria.size(); ++c)
                    if (r.verdict_of(i, 0, c) != r.verdict_of(i, d, c)) {
                        ++verdicts;
                        break;
                    }
            }
            std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
                return r.mutants[a].vs_first[d - 1].top1_disagree > r.mutants[b].vs_first[d - 1].top1_disagree;
            });
            os << "<p><b>" << html_escape(r.devices[0] + " vs " + r.devices[d]) << "</b>: " << disagree << " of " << idx.size()
               << " mutants that ran give a different top-1 on at least one input; " << verdicts << " get a different verdict under some criterion."
               << (idx.size() > kShown ? " The " + std::to_string(kShown) + " that disagree most:" : std::string()) << "</p>\n";
            os << "<table><tr><th class='l'>model</th><th class='l'>operator</th><th class='l'>layer</th><th>top-1 disagreement</th><th>top-5 Jaccard</th>"
                  "<th>Kendall &tau;</th><th>max |&Delta;|</th><th>max rel &Delta;</th><th>degenerate</th></tr>\n";
            auto row = [&](const std::string& what, const std::string& op, const std::string& layer, const Discrepancy& x) {
                os << "<tr><td class='l'>" << html_escape(what) << "</td><td class='l'>" << html_escape(op) << "</td><td class='l'>" << html_escape(layer) << "</td><td>"
                   << fmt_pct(x.top1_disagreement()) << "</td><td>" << fmt_num(x.top5_jaccard()) << "</td><td>" << fmt_num(x.kendall_tau()) << "</td><td>"
                   << fmt_num(x.max_abs, "%.3g") << "</td><td>" << fmt_num(x.max_rel, "%.3g") << "</td><td>"
                   << (x.degenerate_a() || x.degenerate_b() ? "yes" : "no") << "</td></tr>\n";
            };
            row("original", "", "", r.original_vs_first[d - 1]);
            for (size_t k = 0; k < idx.size() && k < kShown; ++k) {
                const Mutant& m = r.mutants[idx[k]].mutant;
                row(m.spec.id, operator_label(m.spec), layer_label(m.layer), r.mutants[idx[k]].vs_first[d - 1]);
            }
            os << "</table>\n";
        }
    }

    if (r.profile.inputs > 0) os << profiles_html(r);

    for (const auto& s : extra_sections) os << s;

    os << "<h2>Mutants</h2>\n<table><tr><th class='l'>id</th><th class='l'>operator</th><th class='l'>layer</th><th class='l'>status</th>";
    for (const auto& d : r.devices)
        for (const auto& c : r.criteria) os << "<th class='l'>" << html_escape(d + " " + c.name()) << "</th>";
    os << "<th>accuracy</th>";
    for (size_t d = 0; d < r.devices.size(); ++d) os << "<th>" << html_escape(r.devices[d]) << " (ms)</th>";
    for (size_t d = 1; d < r.devices.size(); ++d) os << "<th>" << html_escape(r.devices[d] + " / " + r.devices[0]) << "</th>";
    os << "<th class='l'>note</th></tr>\n";
    const size_t shown = std::min<size_t>(r.mutants.size(), 2000);
    for (size_t i = 0; i < shown; ++i) {
        const MutantResult& m = r.mutants[i];
        os << "<tr><td class='l'>" << html_escape(m.mutant.spec.id) << "</td><td class='l'>" << html_escape(operator_label(m.mutant.spec)) << "</td><td class='l'>"
           << html_escape(layer_label(m.mutant.layer)) << "</td><td class='l'>" << mutant_status_name(m.mutant.status) << "</td>";
        for (size_t d = 0; d < r.devices.size(); ++d)
            for (size_t c = 0; c < r.criteria.size(); ++c) {
                const char* v = verdict_name(r.verdict_of(i, d, c));
                os << "<td class='l " << v << "'>" << v << "</td>";
            }
        const KillSummary& s = m.runs.empty() ? KillSummary{} : m.runs[0].summary;
        os << "<td>" << (m.mutant.status == MutantStatus::ok && s.inputs ? fmt_pct(static_cast<double>(s.correct) / static_cast<double>(s.inputs)) : "") << "</td>";
        for (size_t d = 0; d < r.devices.size(); ++d) os << "<td>" << (timed_on(r, i, d) ? fmt_num(1000 * m.runs[d].seconds, "%.3g") : std::string()) << "</td>";
        for (size_t d = 1; d < r.devices.size(); ++d) {
            const double x = device_time_ratio(r, i, d);
            os << "<td>" << (std::isnan(x) ? std::string() : fmt_num(x, "%.3g")) << "</td>";
        }
        os << "<td class='l'>"
           << html_escape(m.mutant.status == MutantStatus::ok ? s.crash_reason : m.mutant.reason) << "</td></tr>\n";
    }
    os << "</table>\n";
    if (shown < r.mutants.size()) os << "<p class='small'>" << r.mutants.size() - shown << " more mutants in mutants.csv.</p>\n";
    os << "<p class='small'>Written by Mutiny " << html_escape(r.version) << ". Full results: report.json, mutants.csv, kill_matrix-*.txt.</p>\n</body></html>\n";
    return os.str();
}

// Writes report.json, mutants.csv, the kill matrices (kill_matrix_files), manifest.json and
// report.html to dir: every file from the result alone, so a run and a merge of its shards write
// the same bytes.
inline void write_campaign_report(const std::string& dir, const CampaignResult& r, const CampaignOptions& opt, const std::string& command_line,
                                  const std::vector<std::string>& extra_html = {}) {
    write_durable(dir + "/report.json", campaign_report_json(r));
    write_durable(dir + "/mutants.csv", campaign_mutants_csv(r));
    for (const auto& f : kill_matrix_files(r)) write_durable(dir + "/" + f.name, campaign_kill_matrix(r, f.device, f.criterion));
    write_durable(dir + "/manifest.json", campaign_manifest_json(r, opt, command_line));
    if (r.profile.inputs > 0) write_durable(dir + "/profiles.csv", profiles_csv(r));
    write_durable(dir + "/report.html", campaign_report_html(r, extra_html));
}

}  // namespace mutiny

#endif  // MUTINY_REPORT_HTML_HPP_
