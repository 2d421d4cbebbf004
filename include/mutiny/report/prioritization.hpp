// What `mutiny prioritize` writes, and the section report.html shows: the total and additional
// rankings of the inputs (analysis/prioritize.hpp) as CSV, and their kill-ratio curves as SVG.
#ifndef MUTINY_REPORT_PRIORITIZATION_HPP_
#define MUTINY_REPORT_PRIORITIZATION_HPP_

#include <algorithm>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "../analysis/prioritize.hpp"
#include "html_util.hpp"

namespace mutiny {

// One row per rank: rank (from 1), then for each ranking the input, the mutants it kills (total) or
// newly kills (additional), and the mutants the inputs up to this rank kill.
inline std::string prioritization_csv(const Prioritization& total, const Prioritization& additional) {
    std::ostringstream os;
    os << "rank,total_input,total_kills,total_killed_so_far,additional_input,additional_new_kills,additional_killed_so_far\n";
    for (size_t k = 0; k < total.order.size(); ++k)
        os << k + 1 << ',' << total.order[k] << ',' << total.gain[k] << ',' << total.cumulative[k] << ',' << additional.order[k] << ','
           << additional.gain[k] << ',' << additional.cumulative[k] << '\n';
    return os.str();
}

// The fraction of the mutants that all inputs kill, killed by the first k inputs, k = 1..N, for
// both rankings: the sooner a curve reaches 1, the better the ranking.
inline std::string svg_prioritization(const Prioritization& total, const Prioritization& additional, const std::string& title) {
    const int W = 700, H = 320, left = 60, right = 150, top = 30, bottom = 44;
    const size_t n = total.order.size();
    const int64_t all = n ? std::max<int64_t>(total.cumulative.back(), 1) : 1;
    auto X = [&](double k) { return left + (W - left - right) * (n > 1 ? k / static_cast<double>(n - 1) : 0.0); };
    auto Y = [&](double f) { return top + (H - top - bottom) * (1 - f); };
    std::ostringstream os;
    os << "<svg xmlns='http://www.w3.org/2000/svg' width='" << W << "' height='" << H << "' role='img' aria-label='" << html_escape(title) << "'>\n";
    os << "<text x='0' y='16' font-size='14' font-weight='bold'>" << html_escape(title) << "</text>\n";
    os << "<rect x='" << left << "' y='" << top << "' width='" << W - left - right << "' height='" << H - top - bottom << "' fill='none' stroke='#888'/>\n";
    for (int t = 0; t <= 4; ++t) {
        const double f = t / 4.0;
        os << "<text x='" << left - 4 << "' y='" << fmt_num(Y(f) + 4, "%.1f") << "' font-size='10' text-anchor='end'>" << t * 25 << "%</text>";
        os << "<text x='" << fmt_num(X(f * static_cast<double>(n ? n - 1 : 0)), "%.1f") << "' y='" << H - bottom + 14
           << "' font-size='10' text-anchor='middle'>" << static_cast<int64_t>(f * static_cast<double>(n ? n - 1 : 0)) + 1 << "</text>";
    }
    os << "\n<text x='" << (left + W - right) / 2 << "' y='" << H - 8 << "' font-size='12' text-anchor='middle'>inputs run, in ranked order</text>\n";
    os << "<text transform='translate(14," << (top + H - bottom) / 2 << ") rotate(-90)' font-size='12' text-anchor='middle'>mutants killed</text>\n";
    const char* colours[] = {"#2980b9", "#c0392b"};
    const Prioritization* ps[] = {&total, &additional};
    const char* names[] = {"total", "additional"};
    for (int s = 0; s < 2; ++s) {
        // At most 400 points: a step curve, thinned evenly (the last point always kept).
        const size_t step = n > 400 ? (n + 399) / 400 : 1;
        os << "<polyline fill='none' stroke='" << colours[s] << "' stroke-width='1.5' points='";
        for (size_t k = 0; k < n; k += step)
            os << fmt_num(X(static_cast<double>(k)), "%.1f") << ',' << fmt_num(Y(static_cast<double>(ps[s]->cumulative[k]) / static_cast<double>(all)), "%.1f") << ' ';
        if (n && (n - 1) % step != 0)
            os << fmt_num(X(static_cast<double>(n - 1)), "%.1f") << ',' << fmt_num(Y(static_cast<double>(ps[s]->cumulative[n - 1]) / static_cast<double>(all)), "%.1f");
        os << "'/>\n";
        os << "<line x1='" << W - right + 10 << "' y1='" << top + 10 + 18 * s << "' x2='" << W - right + 30 << "' y2='" << top + 10 + 18 * s << "' stroke='" << colours[s]
           << "' stroke-width='2'/><text x='" << W - right + 36 << "' y='" << top + 14 + 18 * s << "' font-size='12'>" << names[s] << "</text>\n";
    }
    os << "</svg>\n";
    return os.str();
}

// The report.html section: both curves and how many inputs each ranking needs to kill every
// mutant the data set kills.
inline std::string prioritization_html(const KillMatrix& m) {
    const Prioritization total = prioritize_total(m), additional = prioritize_additional(m);
    std::ostringstream os;
    os << "<h2>Test-input prioritisation</h2>\n";
    const int64_t all = total.cumulative.empty() ? 0 : total.cumulative.back();
    if (all == 0) return os.str() + "<p>No input kills a mutant (" + html_escape(m.criterion) + ", " + html_escape(m.device) + ").</p>\n";
    auto needed = [&](const Prioritization& p) {
        for (size_t k = 0; k < p.cumulative.size(); ++k)
            if (p.cumulative[k] == all) return static_cast<int64_t>(k) + 1;
        return static_cast<int64_t>(p.cumulative.size());
    };
    os << "<p>Inputs ranked by the mutants they kill (" << html_escape(m.criterion) << ", " << html_escape(m.device) << "; `mutiny prioritize` writes the "
       << "rankings as CSV). All " << all << " killed mutants are killed by the first " << needed(additional) << " inputs in the additional (greedy) order, by the first "
       << needed(total) << " in the total order, of " << m.inputs << ".</p>\n";
    os << svg_prioritization(total, additional, "Mutants killed by the first k inputs");
    return os.str();
}

}  // namespace mutiny

#endif  // MUTINY_REPORT_PRIORITIZATION_HPP_
