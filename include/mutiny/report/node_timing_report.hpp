// Per-node timing across sides (analysis/node_timing.hpp) in `mutiny diff`'s files: the "timing"
// section of --json (every node, each side's median seconds and where it ran) and a table for
// --html, sorted by the reference's time, each side's ratio to the reference marked when it is
// above 2x or below 0.5x.
#ifndef MUTINY_REPORT_NODE_TIMING_REPORT_HPP_
#define MUTINY_REPORT_NODE_TIMING_REPORT_HPP_

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "../analysis/node_timing.hpp"
#include "html_util.hpp"
#include "json.hpp"

namespace mutiny {

// "where" per side as JSON: the NodeTimes::Where name, null when the side lacks the node.
inline void node_where_json(JsonWriter& j, int where) {
    if (where < 0) j.null();
    else j.value(node_where_name(static_cast<NodeTimes::Where>(where)));
}

inline void node_timing_json(JsonWriter& j, const NodeTiming& t) {
    j.begin_object();
    j.key("runs").value(t.runs);
    j.key("sides").begin_array();
    for (size_t s = 0; s < t.sides.size(); ++s) {
        j.begin_object();
        j.key("side").value(t.sides[s]);
        j.key("runs").value(t.whats[s]);
        j.key("total_seconds").value(t.total_seconds[s]);
        j.key("node_seconds").value(t.node_seconds[s]);
        if (s > 0) j.key("total_ratio").value(t.total_ratio(s));
        j.end();
    }
    j.end();
    j.key("nodes").begin_array();
    for (const NodeTimingRow& r : t.rows) {
        j.begin_object();
        j.key("name").value(r.name);
        j.key("op").value(r.op);
        j.key("seconds").inline_array(r.seconds);
        j.key("where").begin_array();
        for (int w : r.where) node_where_json(j, w);
        j.end();
        std::vector<double> ratios;
        for (size_t s = 1; s < t.sides.size(); ++s) ratios.push_back(r.ratio(s));
        j.key("ratios").inline_array(ratios);
        j.end();
    }
    j.end();
    j.end();
}

// A ratio cell: marked 'slow' above 2x and 'fast' below 0.5x.
inline std::string node_ratio_cell(double v) {
    if (std::isnan(v)) return "<td>-</td>";
    const char* cls = v > 2 ? " class='slow'" : v < 0.5 ? " class='fast'" : "";
    return std::string("<td") + cls + ">" + fmt_num(v, "%.3g") + "&times;</td>";
}

inline std::string node_timing_html(const NodeTiming& t) {
    auto ms = [](double s) { return std::isnan(s) ? std::string("-") : fmt_num(1000 * s, "%.4g"); };
    auto where = [](int w) { return w < 0 ? std::string("-") : std::string(node_where_name(static_cast<NodeTimes::Where>(w))); };
    std::ostringstream os;
    os << "<h2>Timing per node</h2>\n<p>Median of " << t.runs
       << " runs of the first input per side; ratios are each side's time over " << html_escape(t.sides[0])
       << "'s (red: more than 2&times;, green: less than 0.5&times;). Rows sorted by " << html_escape(t.sides[0]) << "'s time.</p>\n";
    os << "<table><tr><th class='l'>side</th><th>run (ms)</th><th>sum of nodes (ms)</th><th>vs " << html_escape(t.sides[0]) << "</th><th class='l'>runs</th></tr>\n";
    for (size_t s = 0; s < t.sides.size(); ++s)
        os << "<tr><td class='l'>" << html_escape(t.sides[s]) << "</td><td>" << ms(t.total_seconds[s]) << "</td><td>" << ms(t.node_seconds[s]) << "</td>"
           << (s ? node_ratio_cell(t.total_ratio(s)) : std::string("<td>-</td>")) << "<td class='l'>" << html_escape(t.whats[s]) << "</td></tr>\n";
    os << "</table>\n<table><tr><th class='l'>node</th><th class='l'>op</th>";
    for (const std::string& s : t.sides) os << "<th>" << html_escape(s) << " (ms)</th><th class='l'>where</th>";
    for (size_t s = 1; s < t.sides.size(); ++s) os << "<th>" << html_escape(t.sides[s] + " / " + t.sides[0]) << "</th>";
    os << "</tr>\n";
    std::vector<size_t> order(t.rows.size());
    std::iota(order.begin(), order.end(), size_t(0));
    // Slowest first on the reference; nodes it lacks last; ties in graph order.
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        const double x = t.rows[a].seconds[0], y = t.rows[b].seconds[0];
        if (std::isnan(y)) return !std::isnan(x);
        return !std::isnan(x) && x > y;
    });
    for (size_t i : order) {
        const NodeTimingRow& r = t.rows[i];
        os << "<tr><td class='l'>" << html_escape(r.name) << "</td><td class='l'>" << html_escape(r.op) << "</td>";
        for (size_t s = 0; s < t.sides.size(); ++s) os << "<td>" << ms(r.seconds[s]) << "</td><td class='l'>" << where(r.where[s]) << "</td>";
        for (size_t s = 1; s < t.sides.size(); ++s) os << node_ratio_cell(r.ratio(s));
        os << "</tr>\n";
    }
    os << "</table>\n";
    return os.str();
}

}  // namespace mutiny

#endif  // MUTINY_REPORT_NODE_TIMING_REPORT_HPP_
