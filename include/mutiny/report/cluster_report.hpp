// What clustering adds to a campaign's report (docs/mutation.md, "Acceleration"; docs/formats.md):
// acceleration.json (the plan, what ran, clustering time, the score estimates), the report.html
// section with its dendrograms, and the speed-up vs error chart of an acceleration protocol.
#ifndef MUTINY_REPORT_CLUSTER_REPORT_HPP_
#define MUTINY_REPORT_CLUSTER_REPORT_HPP_

#include <algorithm>
#include <cmath>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "../cluster/accelerate.hpp"
#include "html.hpp"
#include "json.hpp"

namespace mutiny {

// A dendrogram as SVG, SciPy's truncate_mode='lastp' style: only the last p merges are drawn and a
// truncated subtree is one leaf labelled "(size)". Heights are the linkage distances; a dashed
// line marks the cut.
inline std::string svg_dendrogram(const cluster::Dendrogram& d, int64_t p = 40) {
    const cluster::LinkageMatrix& Z = d.Z;
    const int64_t n = Z.n;
    std::ostringstream os;
    if (n < 2) return "";
    p = std::max<int64_t>(2, std::min(p, n));
    // Merges n - p + 1 .. n - 2 (rows n - p .. n - 2) are drawn; ids below n + (n - p) are leaves.
    const int64_t first_row = n - p, leaf_limit = n + first_row;
    std::vector<int64_t> order;
    std::vector<int64_t> stack{2 * n - 2};
    while (!stack.empty()) {
        const int64_t id = stack.back();
        stack.pop_back();
        if (id < leaf_limit) {
            order.push_back(id);
            continue;
        }
        const int64_t row = id - n;
        stack.push_back(Z.id2(row));
        stack.push_back(Z.id1(row));
    }
    const int W = 900, H = 300, left = 60, top = 30, bottom = 70;
    const double maxh = std::max(Z.distance(n - 2), d.cut) * 1.05;
    const double step = static_cast<double>(W - left - 10) / static_cast<double>(order.size());
    auto ypos = [&](double h) { return top + (H - top - bottom) * (1.0 - (maxh > 0 ? h / maxh : 0)); };
    auto size_of = [&](int64_t id) { return id < n ? int64_t{1} : Z.size(id - n); };
    std::vector<double> x(static_cast<size_t>(2 * n - 1), 0), y(static_cast<size_t>(2 * n - 1), ypos(0));
    os << "<svg xmlns='http://www.w3.org/2000/svg' width='" << W << "' height='" << H << "' role='img' aria-label='dendrogram'>\n";
    os << "<text x='0' y='16' font-size='14' font-weight='bold'>" << html_escape(d.title) << "</text>\n";
    os << "<line x1='" << left << "' y1='" << top << "' x2='" << left << "' y2='" << H - bottom << "' stroke='#888'/>\n";
    for (int t = 0; t <= 4; ++t) {
        const double h = maxh * t / 4;
        os << "<text x='" << left - 4 << "' y='" << fmt_num(ypos(h) + 4, "%.1f") << "' font-size='10' text-anchor='end'>" << fmt_num(h, "%.3g") << "</text>";
    }
    for (size_t i = 0; i < order.size(); ++i) {
        const int64_t id = order[i];
        x[static_cast<size_t>(id)] = left + step * (static_cast<double>(i) + 0.5);
        const std::string label = id < n ? (static_cast<size_t>(id) < d.leaves.size() ? d.leaves[static_cast<size_t>(id)] : std::to_string(id))
                                         : "(" + std::to_string(size_of(id)) + ")";
        const double lx = x[static_cast<size_t>(id)];
        os << "<text transform='translate(" << fmt_num(lx + 3, "%.1f") << "," << H - bottom + 6 << ") rotate(90)' font-size='9'>" << html_escape(label) << "</text>";
    }
    os << "\n";
    for (int64_t row = first_row; row <= n - 2; ++row) {
        const int64_t a = Z.id1(row), b = Z.id2(row), id = n + row;
        const double h = ypos(Z.distance(row));
        const double xa = x[static_cast<size_t>(a)], xb = x[static_cast<size_t>(b)];
        os << "<path d='M" << fmt_num(xa, "%.1f") << "," << fmt_num(y[static_cast<size_t>(a)], "%.1f") << " V" << fmt_num(h, "%.1f") << " H" << fmt_num(xb, "%.1f")
           << " V" << fmt_num(y[static_cast<size_t>(b)], "%.1f") << "' fill='none' stroke='#2c3e50'/>";
        x[static_cast<size_t>(id)] = (xa + xb) / 2;
        y[static_cast<size_t>(id)] = h;
    }
    if (d.cut >= 0)
        os << "\n<line x1='" << left << "' y1='" << fmt_num(ypos(d.cut), "%.1f") << "' x2='" << W - 10 << "' y2='" << fmt_num(ypos(d.cut), "%.1f")
           << "' stroke='#c0392b' stroke-dasharray='5,4'/><text x='" << W - 12 << "' y='" << fmt_num(ypos(d.cut) - 4, "%.1f")
           << "' font-size='11' fill='#c0392b' text-anchor='end'>cut " << fmt_num(d.cut, "%.3g") << "</text>";
    os << "\n</svg>\n";
    return os.str();
}

// One point of a speed-up vs error chart.
struct SpeedupPoint {
    std::string label;   // e.g. "s=3"
    std::string series;  // e.g. "neurons", "mutants/weights"
    double speedup = 0;  // time saved: 1 - t_accelerated / t_vanilla
    double error = 0;    // score error, accelerated - vanilla (fraction)
};

// Round axis ticks covering [lo, hi]: about n steps of 1, 2 or 5 x 10^k, the first at or below lo,
// the last at or above hi (an axis drawn from the first to the last reads +5, 0, -5, not +9.1, +3.2).
inline std::vector<double> nice_ticks(double lo, double hi, int n = 5) {
    if (!(hi > lo)) hi = lo + 1;
    const double raw = (hi - lo) / n, mag = std::pow(10.0, std::floor(std::log10(raw)));
    double step = 10 * mag;
    for (double m : {1.0, 2.0, 5.0})
        if (m * mag >= raw * (1 - 1e-9)) {
            step = m * mag;
            break;
        }
    const double first = std::floor(lo / step + 1e-9);
    std::vector<double> t;
    for (double k = first;; ++k) {
        const double v = k * step;
        t.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
        if (v >= hi - step * 1e-9) break;
    }
    return t;
}

// printf format of a tick at `step` apart, as a percentage: as many decimals as the step needs.
inline const char* tick_format(double step, bool sign) {
    const double pct = 100 * step;
    if (pct >= 1 - 1e-9) return sign ? "%+.0f" : "%.0f";
    if (pct >= 0.1 - 1e-9) return sign ? "%+.1f" : "%.1f";
    return sign ? "%+.2f" : "%.2f";
}

// Speed-up (x, time saved in %) against signed score error (y, percentage points), one colour per
// series, zero error marked.
inline std::string svg_speedup_error(const std::vector<SpeedupPoint>& pts, const std::string& title) {
    const int W = 760, H = 420, left = 70, right = 170, top = 34, bottom = 50;
    double xmin = 0, xmax = 1, ymin = -0.01, ymax = 0.01;
    for (const auto& p : pts) {
        xmin = std::min(xmin, p.speedup);
        xmax = std::max(xmax, p.speedup);
        ymin = std::min(ymin, p.error);
        ymax = std::max(ymax, p.error);
    }
    const std::vector<double> xt = nice_ticks(xmin, xmax), yt = nice_ticks(ymin, ymax);
    xmin = xt.front();
    xmax = xt.back();
    ymin = yt.front();
    ymax = yt.back();
    auto X = [&](double v) { return left + (W - left - right) * (v - xmin) / (xmax - xmin); };
    auto Y = [&](double v) { return top + (H - top - bottom) * (1 - (v - ymin) / (ymax - ymin)); };
    std::vector<std::string> series;
    for (const auto& p : pts)
        if (std::find(series.begin(), series.end(), p.series) == series.end()) series.push_back(p.series);
    static const char* colours[] = {"#c0392b", "#2980b9", "#27ae60", "#8e44ad", "#d35400", "#16a085"};
    std::ostringstream os;
    os << "<svg xmlns='http://www.w3.org/2000/svg' width='" << W << "' height='" << H << "' role='img' aria-label='" << html_escape(title) << "'>\n";
    os << "<text x='0' y='16' font-size='14' font-weight='bold'>" << html_escape(title) << "</text>\n";
    os << "<rect x='" << left << "' y='" << top << "' width='" << W - left - right << "' height='" << H - top - bottom << "' fill='none' stroke='#888'/>\n";
    for (double xv : xt)
        os << "<text x='" << fmt_num(X(xv), "%.1f") << "' y='" << H - bottom + 16 << "' font-size='10' text-anchor='middle'>"
           << fmt_num(100 * xv, tick_format(xt[1] - xt[0], false)) << "%</text>";
    for (double yv : yt)
        os << "<text x='" << left - 4 << "' y='" << fmt_num(Y(yv) + 4, "%.1f") << "' font-size='10' text-anchor='end'>"
           << (yv == 0 ? std::string("0") : fmt_num(100 * yv, tick_format(yt[1] - yt[0], true))) << "</text>";
    os << "\n<line x1='" << left << "' y1='" << fmt_num(Y(0), "%.1f") << "' x2='" << W - right << "' y2='" << fmt_num(Y(0), "%.1f") << "' stroke='#aaa' stroke-dasharray='4,3'/>\n";
    os << "<text x='" << (left + W - right) / 2 << "' y='" << H - 12 << "' font-size='12' text-anchor='middle'>speed-up (time saved against vanilla, clustering included)</text>\n";
    os << "<text transform='translate(14," << (top + H - bottom) / 2 << ") rotate(-90)' font-size='12' text-anchor='middle'>score error (percentage points)</text>\n";
    for (const auto& p : pts) {
        const size_t s = static_cast<size_t>(std::find(series.begin(), series.end(), p.series) - series.begin());
        os << "<circle cx='" << fmt_num(X(p.speedup), "%.1f") << "' cy='" << fmt_num(Y(p.error), "%.1f") << "' r='4' fill='" << colours[s % 6] << "'><title>"
           << html_escape(p.series + " " + p.label) << ": speed-up " << fmt_pct(p.speedup) << ", error " << fmt_num(100 * p.error, "%+.2f") << " pp</title></circle>"
           << "<text x='" << fmt_num(X(p.speedup) + 5, "%.1f") << "' y='" << fmt_num(Y(p.error) - 5, "%.1f") << "' font-size='9' fill='" << colours[s % 6] << "'>"
           << html_escape(p.label) << "</text>\n";
    }
    for (size_t s = 0; s < series.size(); ++s)
        os << "<circle cx='" << W - right + 16 << "' cy='" << top + 10 + 18 * static_cast<int>(s) << "' r='5' fill='" << colours[s % 6] << "'/><text x='"
           << W - right + 26 << "' y='" << top + 14 + 18 * static_cast<int>(s) << "' font-size='12'>" << html_escape(series[s]) << "</text>\n";
    os << "</svg>\n";
    return os.str();
}

// acceleration.json: the plan, what ran, the clustering time and, per device and criterion, the
// score the accelerated run reports (and for neuron clustering its size-weighted variant).
inline std::string acceleration_json(const cluster::Acceleration& a, const CampaignResult& r) {
    JsonWriter j;
    j.begin_object();
    j.key("plan").value(a.plan.str());
    j.key("listed_mutants").value(a.input_listed);
    j.key("counted_mutants").value(a.input_mutants);
    j.key("executed_mutants").value(a.clusters);
    j.key("scores").begin_object();
    for (size_t d = 0; d < r.devices.size(); ++d) {
        j.key(r.devices[d]).begin_object();
        for (size_t c = 0; c < r.criteria.size(); ++c) {
            j.key(r.criteria[c].name()).begin_object();
            const Score s = cluster::estimated_score(r, d, c, a);
            j.key("kill_ratio").value(s.kill_ratio());
            j.key("classes_score").value(s.classes_score(r.classes));
            if (a.plan.mode == cluster::ClusterPlan::Mode::neurons) {
                const Score w = cluster::weighted_score(r, d, c, a.represented);
                j.key("size_weighted_kill_ratio").value(w.kill_ratio());
                j.key("size_weighted_classes_score").value(w.classes_score(r.classes));
            }
            j.end();
        }
        j.end();
    }
    j.end();
    j.key("represented").inline_array(a.represented);
    if (!a.members.empty()) {
        j.key("clusters").begin_object();  // representative id -> the ids it stands for
        for (size_t i = 0; i < a.mutants.size(); ++i) {
            if (a.members[i].empty()) continue;
            j.key(a.mutants[i].spec.id).begin_array();
            for (const auto& id : a.members[i]) j.value(id);
            j.end();
        }
        j.end();
    }
    j.key("timing").begin_object();
    j.key("clustering_seconds").value(a.seconds);
    j.key("probe_seconds").value(a.probe_seconds);
    j.key("campaign_seconds").value(r.seconds);
    j.key("total_seconds").value(a.seconds + r.seconds);
    j.end();
    j.end();
    return j.str() + "\n";
}

// The report.html section of an accelerated campaign: plan, counts, estimates, dendrograms.
inline std::string acceleration_html(const cluster::Acceleration& a, const CampaignResult& r) {
    std::ostringstream os;
    os << "<h2>Clustering</h2>\n<p>Plan <b>" << html_escape(a.plan.str()) << "</b>: " << a.clusters << " mutants executed for " << a.input_mutants
       << " counted mutants of the exhaustive list (" << a.input_listed << " listed); clustering took " << fmt_num(a.seconds, "%.3f") << " s";
    if (a.probe_seconds > 0) os << " (probe runs " << fmt_num(a.probe_seconds, "%.3f") << " s)";
    os << ", the campaign " << fmt_num(r.seconds, "%.3f") << " s.</p>\n";
    os << "<p><b>The estimates below are the campaign's answer</b>: the scores of all " << a.input_mutants
       << " counted mutants, estimated from their clusters' representatives. The mutation scores above count only the " << a.clusters
       << " representatives that ran.</p>\n";
    os << "<table><tr><th class='l'>device</th><th class='l'>criterion</th><th>estimated kill ratio</th><th>estimated classes score</th></tr>\n";
    for (size_t d = 0; d < r.devices.size(); ++d)
        for (size_t c = 0; c < r.criteria.size(); ++c) {
            const Score s = cluster::estimated_score(r, d, c, a);
            os << "<tr><td class='l'>" << html_escape(r.devices[d]) << "</td><td class='l'>" << html_escape(r.criteria[c].name()) << "</td><td>" << fmt_pct(s.kill_ratio())
               << "</td><td>" << classes_score_text(r.criteria[c], s, r.classes) << "</td></tr>\n";
        }
    os << "</table>\n";
    for (const auto& d : a.dendrograms) os << svg_dendrogram(d);
    return os.str();
}

}  // namespace mutiny

#endif  // MUTINY_REPORT_CLUSTER_REPORT_HPP_
