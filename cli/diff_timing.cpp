#include "diff_timing.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>

#include <mutiny/report/html_util.hpp>

namespace cli {

mutiny::NodeTiming time_diff_sides(std::vector<std::unique_ptr<DiffRunner>>& runners, const std::vector<DiffSideSpec>& specs,
                                   const std::vector<mutiny::Tensor>& x, int64_t runs) {
    mutiny::NodeTimingRecorder rec;
    for (size_t s = 0; s < runners.size(); ++s) rec.add_side(specs[s].label, runners[s]->what(), runners[s]->graph());
    mutiny::NodeTimes t;
    for (int64_t r = 0; r < runs; ++r)
        for (size_t s = 0; s < runners.size(); ++s) {
            runners[s]->run(x, t);
            rec.add(s, t);
        }
    return rec.result();
}

namespace {

std::string ms_text(double s) { return std::isnan(s) ? "-" : mutiny::fmt_num(1000 * s, "%.3f"); }
std::string ratio_text(double v) { return std::isnan(v) ? "-" : mutiny::fmt_num(v, "%.2fx"); }

// A short form of where a node ran, for the terminal's narrow column.
const char* where_short(int w) {
    if (w < 0) return "-";
    switch (static_cast<mutiny::NodeTimes::Where>(w)) {
        case mutiny::NodeTimes::Where::cpu: return "cpu";
        case mutiny::NodeTimes::Where::fused: return "fused";
        case mutiny::NodeTimes::Where::device: return "device";
        case mutiny::NodeTimes::Where::host_fallback: return "host";
        case mutiny::NodeTimes::Where::host_data_dependent: return "host-dd";
        case mutiny::NodeTimes::Where::none: break;
    }
    return "none";
}

double slowest_side(const mutiny::NodeTimingRow& r) {
    double m = 0;
    for (double s : r.seconds)
        if (!std::isnan(s)) m = std::max(m, s);
    return m;
}

}  // namespace

void print_node_timing(const mutiny::NodeTiming& t, size_t max_rows) {
    const size_t ns = t.sides.size();
    std::vector<size_t> shown(t.rows.size());
    std::iota(shown.begin(), shown.end(), size_t(0));
    double hidden_max = 0;
    if (shown.size() > max_rows) {
        std::stable_sort(shown.begin(), shown.end(), [&](size_t a, size_t b) { return slowest_side(t.rows[a]) > slowest_side(t.rows[b]); });
        for (size_t i = max_rows; i < shown.size(); ++i) hidden_max = std::max(hidden_max, slowest_side(t.rows[shown[i]]));
        shown.resize(max_rows);
        std::sort(shown.begin(), shown.end());  // back to graph order
    }
    std::printf("\ntiming: median of %lld runs of input 0 per side, node capture off (ms; where: cpu, fused into the node before, device,\n"
                "host = CPU fallback, host-dd = data-dependent on the host, none = nothing at run time)\n",
                static_cast<long long>(t.runs));
    // Columns hold 12 characters of a side's label: a longer one (a mutant spec) is written out once.
    for (size_t s = 0; s < ns; ++s)
        if (t.sides[s].size() > 12) std::printf("side %zu: %s (its column: '%s')\n", s, t.sides[s].c_str(), t.sides[s].substr(0, 12).c_str());
    int op_width = 14;  // as the diff's tables, wider for a longer op name (GlobalAveragePool)
    for (size_t i : shown) op_width = std::max(op_width, static_cast<int>(t.rows[i].op.size()));
    std::printf("%5s  %-28s %-*s", "node", "name", op_width, "op");
    for (size_t s = 0; s < ns; ++s) {
        const std::string l = t.sides[s].size() > 12 ? t.sides[s].substr(0, 12) : t.sides[s];
        std::printf(" %12s %-7s", l.c_str(), "where");
    }
    for (size_t s = 1; s < ns; ++s) {
        const std::string l = t.sides[s] + "/" + t.sides[0];
        std::printf(" %12s", (l.size() > 12 ? l.substr(0, 12) : l).c_str());
    }
    std::printf("\n");
    for (size_t i : shown) {
        const mutiny::NodeTimingRow& r = t.rows[i];
        const std::string name = r.name.size() > 28 ? "..." + r.name.substr(r.name.size() - 25) : r.name;
        std::printf("%5zu  %-28s %-*s", i, name.c_str(), op_width, r.op.c_str());
        for (size_t s = 0; s < ns; ++s) std::printf(" %12s %-7s", ms_text(r.seconds[s]).c_str(), where_short(r.where[s]));
        for (size_t s = 1; s < ns; ++s) std::printf(" %12s", ratio_text(r.ratio(s)).c_str());
        std::printf("\n");
    }
    if (shown.size() < t.rows.size())
        std::printf("(%zu more nodes hidden, each at most %s ms on every side; --json FILE holds all)\n", t.rows.size() - shown.size(),
                    ms_text(hidden_max).c_str());
    for (const char* what : {"sum of nodes", "whole run"}) {
        const bool sum = what[0] == 's';
        std::printf("%5s  %-*s", "", 29 + op_width, what);
        for (size_t s = 0; s < ns; ++s) std::printf(" %12s %-7s", ms_text(sum ? t.node_seconds[s] : t.total_seconds[s]).c_str(), "");
        for (size_t s = 1; s < ns; ++s) {
            const double v = sum ? (t.node_seconds[0] > 0 ? t.node_seconds[s] / t.node_seconds[0] : NAN) : t.total_ratio(s);
            std::printf(" %12s", ratio_text(v).c_str());
        }
        std::printf("\n");
    }
}

}  // namespace cli
