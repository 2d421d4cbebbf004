// The files of `mutiny diff` (docs/cli.md): the JSON of every side's comparison with the
// reference (--json FILE) and a self-contained HTML page (--html FILE) with the propagation profile
// as an inline SVG chart (the largest |side - reference| per tensor, in topological order, on a log
// scale, one line per side) and as a table.
#ifndef MUTINY_REPORT_DIFF_REPORT_HPP_
#define MUTINY_REPORT_DIFF_REPORT_HPP_

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "../analysis/discrepancy.hpp"
#include "../analysis/trace_diff.hpp"
#include "html.hpp"
#include "json.hpp"
#include "node_timing_report.hpp"

namespace mutiny {

// Agreement of one graph output read as class scores (discrepancy.hpp), reference as A, side as B.
struct OutputAgreement {
    std::string tensor;
    Discrepancy d;
};

struct DiffSide {
    std::string label;  // as --against names it
    std::string what;   // what it runs, for people
    TraceDiff diff;
    std::vector<OutputAgreement> agreement;
};

struct DiffReport {
    std::string model, data;
    std::string reference, reference_what;
    DiffTolerance tolerance;  // the default one (per-tensor ones are in each row)
    std::vector<DiffSide> sides;
    // --timing: per-node times of every side, the reference first (runs == 0: not timed). Times
    // vary from run to run, so they come last in the JSON, under "timing".
    NodeTiming timing;
};

inline const char* diff_row_status(const TensorDiffRow& r) {
    switch (r.status) {
        case TensorDiffRow::Status::missing: return "missing";
        case TensorDiffRow::Status::shape_differs: return "shape_differs";
        case TensorDiffRow::Status::compared: break;
    }
    if (r.all.invalid > 0) return "invalid";
    return r.all.pass ? "pass" : "fail";
}

inline std::string diff_report_json(const DiffReport& rep) {
    JsonWriter j;
    j.begin_object();
    j.key("model").value(rep.model);
    j.key("data").value(rep.data);
    j.key("reference").value(rep.reference);
    j.key("reference_runs").value(rep.reference_what);
    j.key("tolerance").begin_object();
    j.key("atol").value(rep.tolerance.atol);
    j.key("rtol").value(rep.tolerance.rtol);
    j.key("stat").value(diff_stat_name(rep.tolerance.stat));
    j.end();
    j.key("sides").begin_array();
    for (const DiffSide& s : rep.sides) {
        const TraceDiff& d = s.diff;
        j.begin_object();
        j.key("side").value(s.label);
        j.key("runs").value(s.what);
        j.key("inputs").value(d.inputs);
        j.key("outputs_pass").value(d.outputs_pass());
        j.key("stopped_at_first").value(d.stopped);
        const int f = d.first_diverging();
        j.key("first_diverging");
        if (f < 0) {
            j.null();
        } else {
            const TensorDiffRow& r = d.rows[static_cast<size_t>(f)];
            j.begin_object();
            j.key("node").value(r.node);
            j.key("node_name").value(r.node_name);
            j.key("op").value(r.op);
            j.key("tensor").value(r.tensor);
            j.end();
        }
        j.key("agreement").begin_array();
        for (const OutputAgreement& a : s.agreement) {
            const Discrepancy& x = a.d;
            j.begin_object();
            j.key("tensor").value(a.tensor);
            j.key("inputs").value(x.inputs);
            j.key("top1_disagreement").value(x.top1_disagreement());
            j.key("k").value(x.k);
            j.key("topk_jaccard").value(x.top5_jaccard());
            j.key("kendall_tau").value(x.kendall_tau());
            j.key("rbo_p").value(x.rbo_p);
            j.key("rbo").value(x.rbo());
            j.key("invalid_reference").value(x.invalid_a);
            j.key("invalid_side").value(x.invalid_b);
            j.key("both_invalid").value(x.both_invalid);
            j.key("degenerate_reference").value(x.degenerate_a());
            j.key("degenerate_side").value(x.degenerate_b());
            const int64_t c = static_cast<int64_t>(x.class_count_a.size());
            j.key("confusion").begin_array();  // rows: the reference's top-1 class, columns: the side's
            for (int64_t r = 0; r < c; ++r)
                j.inline_array(std::vector<int64_t>(x.confusion.begin() + r * c, x.confusion.begin() + (r + 1) * c));
            j.end();
            j.end();
        }
        j.end();
        j.key("first_diverging_node_per_input").begin_array();
        for (int row : d.first_row) {
            if (row < 0) j.null();
            else j.value(d.rows[static_cast<size_t>(row)].node);
        }
        j.end();
        j.key("tensors").begin_array();
        for (const TensorDiffRow& r : d.rows) {
            const TensorDiff& t = r.all;
            j.begin_object();
            j.key("node").value(r.node);
            j.key("node_name").value(r.node_name);
            j.key("op").value(r.op);
            j.key("tensor").value(r.tensor);
            j.key("graph_output").value(r.graph_output);
            j.key("status").value(diff_row_status(r));
            if (r.status == TensorDiffRow::Status::shape_differs) j.key("shapes").value(r.shapes);
            j.key("atol").value(r.tol.atol);
            j.key("rtol").value(r.tol.rtol);
            const std::pair<const char*, int64_t> counts[] = {{"count", t.count},       {"finite", t.finite},     {"same_inf", t.same_inf},
                                                              {"both_nan", t.both_nan}, {"invalid", t.invalid},   {"nan_ref", t.nan_ref},
                                                              {"nan_side", t.nan_side}, {"inf_ref", t.inf_ref},   {"inf_side", t.inf_side},
                                                              {"failing_inputs", r.failing_inputs}, {"worst_input", r.worst_input}};
            for (const auto& [k, v] : counts) j.key(k).value(v);
            const std::pair<const char*, double> stats[] = {
                {"max_abs", t.max_abs}, {"max_rel", t.max_rel}, {"mean_abs", t.mean_abs}, {"median", t.median},
                {"p90", t.p90},         {"p99", t.p99},         {"p99.9", t.p999},        {"cosine", t.cosine},
                {"sqnr_db", t.sqnr_db}, {"required_atol", t.required_atol}, {"required_rtol", t.required_rtol}};
            for (const auto& [k, v] : stats) j.key(k).value(v);
            j.key("per_input").begin_array();
            for (const InputDiff& in : r.inputs) {
                j.begin_object();
                j.key("max_abs").value(in.max_abs);
                j.key("required_atol").value(in.required_atol);
                j.key("required_rtol").value(in.required_rtol);
                j.key("pass").value(in.pass);
                j.end();
            }
            j.end();
            j.end();
        }
        j.end();
        j.end();
    }
    j.end();
    if (rep.timing.runs > 0) {
        j.key("timing");
        node_timing_json(j, rep.timing);
    }
    j.end();
    return j.str() + "\n";
}

// The propagation profile: log10 of the largest |d| per tensor against its position in topological
// order, one polyline per side; tensors without a finite pair (missing, NaN) are left out and an
// invalid one is marked with a red cross; a dashed line marks each side's first diverging tensor.
inline std::string svg_diff_profile(const DiffReport& rep) {
    static const char* colors[] = {"#2c7fb8", "#d95f0e", "#31a354", "#756bb1", "#636363", "#e7298a"};
    const int left = 70, top = 30, width = 720, height = 260;
    size_t rows = 1;
    double lo = INFINITY, hi = -INFINITY;
    for (const DiffSide& s : rep.sides) {
        rows = std::max(rows, s.diff.rows.size());
        for (const TensorDiffRow& r : s.diff.rows)
            if (std::isfinite(r.all.max_abs) && r.all.max_abs > 0) {
                lo = std::min(lo, std::log10(r.all.max_abs));
                hi = std::max(hi, std::log10(r.all.max_abs));
            }
    }
    if (!std::isfinite(lo)) lo = hi = -8;
    lo = std::floor(lo) - 1;  // the floor row holds the exact zeros
    hi = std::max(std::ceil(hi), lo + 2);
    auto x_of = [&](size_t i) { return left + (rows > 1 ? static_cast<double>(i) * width / static_cast<double>(rows - 1) : 0.0); };
    auto y_of = [&](double v) {
        const double l = v > 0 ? std::max(lo, std::log10(v)) : lo;
        return top + height - (l - lo) * height / (hi - lo);
    };
    std::ostringstream os;
    os << "<svg xmlns='http://www.w3.org/2000/svg' width='" << left + width + 180 << "' height='" << top + height + 50
       << "' role='img' aria-label='propagation profile'>\n";
    os << "<text x='0' y='16' font-size='14' font-weight='bold'>max |side - reference| per tensor (log scale), topological order</text>\n";
    for (int e = static_cast<int>(lo); e <= static_cast<int>(hi); ++e) {
        const double y = top + height - (e - lo) * height / (hi - lo);
        os << "<line x1='" << left << "' x2='" << left + width << "' y1='" << fmt_num(y, "%.1f") << "' y2='" << fmt_num(y, "%.1f")
           << "' stroke='#ddd'/><text x='" << left - 6 << "' y='" << fmt_num(y + 4, "%.1f") << "' font-size='11' text-anchor='end'>"
           << (e == static_cast<int>(lo) ? std::string("0") : "1e" + std::to_string(e)) << "</text>\n";
    }
    os << "<text x='" << left << "' y='" << top + height + 20 << "' font-size='11'>first tensor</text><text x='" << left + width << "' y='"
       << top + height + 20 << "' font-size='11' text-anchor='end'>last tensor (" << rows << ")</text>\n";
    for (size_t si = 0; si < rep.sides.size(); ++si) {
        const DiffSide& s = rep.sides[si];
        const char* c = colors[si % (sizeof colors / sizeof *colors)];
        std::string pts;
        for (size_t i = 0; i < s.diff.rows.size(); ++i) {
            const TensorDiffRow& r = s.diff.rows[i];
            if (r.all.invalid > 0)
                os << "<text x='" << fmt_num(x_of(i), "%.1f") << "' y='" << top + 4 << "' font-size='12' fill='#c0392b' text-anchor='middle'>x</text>";
            if (!std::isfinite(r.all.max_abs)) continue;
            pts += fmt_num(x_of(i), "%.1f") + "," + fmt_num(y_of(r.all.max_abs), "%.1f") + " ";
        }
        os << "<polyline fill='none' stroke='" << c << "' stroke-width='1.5' points='" << pts << "'/>\n";
        const int f = s.diff.first_diverging();
        if (f >= 0)
            os << "<line x1='" << fmt_num(x_of(static_cast<size_t>(f)), "%.1f") << "' x2='" << fmt_num(x_of(static_cast<size_t>(f)), "%.1f")
               << "' y1='" << top << "' y2='" << top + height << "' stroke='" << c << "' stroke-dasharray='4,3'/>\n";
        os << "<rect x='" << left + width + 12 << "' y='" << top + 18 * static_cast<int>(si) << "' width='12' height='12' fill='" << c
           << "'/><text x='" << left + width + 30 << "' y='" << top + 10 + 18 * static_cast<int>(si) << "' font-size='12'>" << html_escape(s.label)
           << "</text>\n";
    }
    os << "</svg>\n";
    return os.str();
}

inline std::string diff_report_html(const DiffReport& rep) {
    std::ostringstream os;
    os << "<!doctype html>\n<html><head><meta charset='utf-8'><title>mutiny diff: " << html_escape(rep.model) << "</title>\n"
       << "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;font-size:12px}"
          "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td.l,th.l{text-align:left}tr.bad{background:#fbe3e0}"
          "td.slow{background:#f4b6ae}td.fast{background:#bfe5bf}</style>\n"
       << "</head><body>\n<h1>mutiny diff</h1>\n<p>model " << html_escape(rep.model) << ", data " << html_escape(rep.data) << "; reference "
       << html_escape(rep.reference) << " (" << html_escape(rep.reference_what) << "); tolerance atol " << fmt_num(rep.tolerance.atol) << ", rtol "
       << fmt_num(rep.tolerance.rtol) << ", statistic " << diff_stat_name(rep.tolerance.stat) << "</p>\n";
    os << svg_diff_profile(rep);
    for (const DiffSide& s : rep.sides) {
        const TraceDiff& d = s.diff;
        const int f = d.first_diverging();
        os << "<h2>" << html_escape(s.label) << " vs " << html_escape(rep.reference) << "</h2>\n<p>" << html_escape(s.what) << "; " << d.inputs
           << " inputs; outputs " << (d.outputs_pass() ? "within tolerance" : "beyond tolerance") << "; first diverging node: "
           << (f < 0 ? std::string("none") : "#" + std::to_string(d.rows[static_cast<size_t>(f)].node) + " " + html_escape(d.rows[static_cast<size_t>(f)].node_name) +
                                                   " (" + html_escape(d.rows[static_cast<size_t>(f)].op) + ")")
           << "</p>\n<table><tr><th>node</th><th class='l'>name</th><th class='l'>op</th><th class='l'>tensor</th><th>max abs</th><th>max rel</th>"
              "<th>mean abs</th><th>p99</th><th>cosine</th><th>SQNR dB</th><th>NaN ref/side</th><th>Inf ref/side</th><th>required atol</th>"
              "<th>required rtol</th><th class='l'>status</th></tr>\n";
        for (const TensorDiffRow& r : d.rows) {
            const TensorDiff& t = r.all;
            os << "<tr" << (r.diverges() ? " class='bad'" : "") << "><td>" << r.node << "</td><td class='l'>" << html_escape(r.node_name)
               << "</td><td class='l'>" << html_escape(r.op) << "</td><td class='l'>" << html_escape(r.tensor) << "</td>";
            for (double v : {t.max_abs, t.max_rel, t.mean_abs, t.p99, t.cosine, t.sqnr_db}) os << "<td>" << fmt_num(v) << "</td>";
            os << "<td>" << t.nan_ref << "/" << t.nan_side << "</td><td>" << t.inf_ref << "/" << t.inf_side << "</td><td>" << fmt_num(t.required_atol)
               << "</td><td>" << fmt_num(t.required_rtol) << "</td><td class='l'>" << diff_row_status(r) << "</td></tr>\n";
        }
        os << "</table>\n";
    }
    if (rep.timing.runs > 0) os << node_timing_html(rep.timing);
    os << "</body></html>\n";
    return os.str();
}

}  // namespace mutiny

#endif  // MUTINY_REPORT_DIFF_REPORT_HPP_
