// mutiny diff MODEL --data SPEC --against A,B[,C...]: where a device, float16 storage, a quantized
// model's float reference (@float), a float model's simulated int8 deployment (@int8) or a mutant
// first departs from a reference (the first side), tensor by tensor in topological order, within a
// tolerance (analysis/trace_diff.hpp, analysis/tensor_diff.hpp). Every input runs alone (batch 1),
// each side keeps every value (run_trace), and each side's trace is compared with the reference's.
// Prints the first diverging node and the propagation profile; --json FILE and --html FILE write
// them (report/diff_report.hpp). A side whose outputs differ beyond tolerance makes the run fail
// (exit 1) after everything is printed and written. --timing then times every node of every side
// (cli/diff_timing.cpp).
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <mutiny/analysis/int8_simulation.hpp>
#include <mutiny/analysis/qdq_float.hpp>
#include <mutiny/analysis/trace_diff.hpp>
#include <mutiny/core/error.hpp>
#include <mutiny/exec/cpu/executor.hpp>
#include <mutiny/exec/opencl/opencl.hpp>
#include <mutiny/io/dataset.hpp>
#include <mutiny/mutate/all.hpp>
#include <mutiny/report/diff_report.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "diff_reduce.hpp"
#include "diff_sides.hpp"
#include "diff_timing.hpp"
#include "model_file.hpp"
#include "replacing_file.hpp"

namespace cli {

namespace {

// What the @float and @int8 sides run, and how their tensors correspond to the model's: a diff
// holds either a QDQ model and its float reference (@float) or a float model and its simulated int8
// deployment (@int8), never both (each mode refuses the other's model).
struct DiffModes {
    mutiny::Graph float_graph, int8_graph;
    std::string float_what, int8_what;
    mutiny::QdqCorrespondence names;
    bool used = false;
    bool model_is_qdq = false;  // the model is the QDQ graph (there are @float sides)
    bool qdq(const DiffSideSpec& s) const { return s.mode == DiffSideSpec::Mode::int8 || (s.mode != DiffSideSpec::Mode::float_ref && model_is_qdq); }
    const mutiny::Graph& graph(const DiffSideSpec& s, const mutiny::Graph& model) const {
        return s.mode == DiffSideSpec::Mode::float_ref ? float_graph : s.mode == DiffSideSpec::Mode::int8 ? int8_graph : model;
    }
    std::string what(const DiffSideSpec& s) const {
        return s.mode == DiffSideSpec::Mode::float_ref ? float_what : s.mode == DiffSideSpec::Mode::int8 ? int8_what : "";
    }
    // The side's tensor for each reference tensor whose name differs (TraceComparer's side_names).
    std::map<std::string, std::string> side_names(const DiffSideSpec& ref, const DiffSideSpec& side) const {
        if (!used || qdq(ref) == qdq(side)) return {};
        return qdq(side) ? names.qdq_of : names.float_of;
    }
};

// An error of a mode, located at the side that asked for it.
[[noreturn]] void mode_error(const mutiny::Error& e, const std::string& label) {
    throw mutiny::Error(e.what_part(), "--against " + label + " (" + e.where_part() + ")", e.why_part());
}

DiffModes prepare_modes(const std::vector<DiffSideSpec>& specs, const Feeding& f, const mutiny::Dataset& ds, int threads) {
    DiffModes m;
    const mutiny::Graph& g = f.model.graph;
    bool want_float = false, want_int8 = false;
    for (const DiffSideSpec& s : specs) {
        want_float = want_float || s.mode == DiffSideSpec::Mode::float_ref;
        want_int8 = want_int8 || s.mode == DiffSideSpec::Mode::int8;
    }
    if (want_float && want_int8)
        throw UsageError("--against: @float and @int8 in one diff: @float needs a quantized (QDQ) model, @int8 a float one");
    for (const DiffSideSpec& s : specs) {
        if (s.mode == DiffSideSpec::Mode::float_ref && !m.used) {
            try {
                mutiny::QdqFloat fl = mutiny::qdq_float_reference(g);
                m.float_graph = std::move(fl.graph);
                m.names = std::move(fl.names);
                m.float_what = ", the float model: " + std::to_string(fl.dropped) + " QuantizeLinear -> DequantizeLinear pairs dropped" +
                               (fl.relus ? ", " + std::to_string(fl.relus) + " Relus folded into them put back" : "");
            } catch (const mutiny::Error& e) {
                mode_error(e, s.label);
            }
            m.used = m.model_is_qdq = true;
        }
        if (s.mode == DiffSideSpec::Mode::int8 && !m.used) {
            mutiny::Int8Graph q;
            try {
                mutiny::check_unquantized(g);
                // Calibration: the float model on every input of the diff (min and max per tensor).
                mutiny::CpuOptions opt;
                opt.threads = threads;
                mutiny::CpuExecutor ex(g, opt);
                mutiny::Int8Calibration cal(g);
                for (size_t i = 0; i < ds.size(); ++i) cal.add(ex.run_trace(feed_batch(f, ds, i, 1)));
                q = mutiny::simulate_int8(g, cal);
            } catch (const mutiny::Error& e) {
                mode_error(e, s.label);
            }
            m.int8_what = ", simulated int8 as onnxruntime.quantization.quantize_static's QDQ model: " + std::to_string(q.activations) +
                          " tensors uint8 asymmetric (MinMax over the " + std::to_string(ds.size()) + " inputs), " + std::to_string(q.weights) +
                          " weights int8 symmetric per channel, " + std::to_string(q.biases) + " biases int32";
            m.names = mutiny::qdq_float_reference(q.graph, false).names;
            m.int8_graph = std::move(q.graph);
            m.used = true;
        }
    }
    return m;
}

std::string diff_num(double v) {
    if (std::isnan(v)) return "-";
    char b[32];
    std::snprintf(b, sizeof b, "%.3g", v);
    return b;
}

void print_diff_side(const mutiny::DiffSide& s, const std::string& reference, size_t show_inputs) {
    const mutiny::TraceDiff& d = s.diff;
    std::printf("\n%s vs %s (%s), %lld inputs\n", s.label.c_str(), reference.c_str(), s.what.c_str(), static_cast<long long>(d.inputs));
    std::printf("%5s  %-28s %-14s %9s %9s %9s %9s %9s %9s %9s %8s %8s %9s %9s %9s  %s\n", "node", "name", "op", "max_abs", "max_rel", "mean_abs",
                "median", "p90", "p99", "p99.9", "cosine", "sqnr_db", "nan r/s", "req_atol", "req_rtol", "status");
    for (const mutiny::TensorDiffRow& r : d.rows) {
        const mutiny::TensorDiff& t = r.all;
        const std::string nan = std::to_string(t.nan_ref) + "/" + std::to_string(t.nan_side);
        std::string name = r.node_name.size() > 28 ? "..." + r.node_name.substr(r.node_name.size() - 25) : r.node_name;
        std::printf("%5d  %-28s %-14s %9s %9s %9s %9s %9s %9s %9s %8s %8s %9s %9s %9s  %s%s\n", r.node, name.c_str(), r.op.c_str(),
                    diff_num(t.max_abs).c_str(), diff_num(t.max_rel).c_str(), diff_num(t.mean_abs).c_str(), diff_num(t.median).c_str(),
                    diff_num(t.p90).c_str(), diff_num(t.p99).c_str(), diff_num(t.p999).c_str(), diff_num(t.cosine).c_str(),
                    diff_num(t.sqnr_db).c_str(), nan.c_str(), diff_num(t.required_atol).c_str(), diff_num(t.required_rtol).c_str(),
                    mutiny::diff_row_status(r), r.graph_output ? " (output)" : "");
    }
    for (size_t i = 0; i < d.first_row.size() && i < show_inputs; ++i) {
        const int row = d.first_row[i];
        if (row < 0) std::printf("input %zu: within tolerance at every tensor\n", i);
        else std::printf("input %zu: first diverges at node #%d %s\n", i, d.rows[static_cast<size_t>(row)].node, d.rows[static_cast<size_t>(row)].node_name.c_str());
    }
    if (d.first_row.size() > show_inputs) std::printf("(%zu more inputs: --json FILE lists them)\n", d.first_row.size() - show_inputs);
    for (const mutiny::OutputAgreement& a : s.agreement) {
        const mutiny::Discrepancy& x = a.d;
        if (x.inputs == 0) continue;  // not class scores
        std::printf("output '%s' as class scores: top-1 disagreement %lld of %lld, top-%lld Jaccard %s, Kendall tau %s, RBO (p=%g) %s; "
                    "invalid outputs (NaN/Inf): reference %lld, side %lld, both %lld\n",
                    a.tensor.c_str(), static_cast<long long>(x.top1_disagree), static_cast<long long>(x.inputs), static_cast<long long>(x.k),
                    diff_num(x.top5_jaccard()).c_str(), diff_num(x.kendall_tau()).c_str(), x.rbo_p, diff_num(x.rbo()).c_str(),
                    static_cast<long long>(x.invalid_a), static_cast<long long>(x.invalid_b), static_cast<long long>(x.both_invalid));
        const size_t c = x.class_count_a.size();
        if (x.top1_disagree == 0 || c > 20) continue;
        std::printf("confusion (rows: reference top-1, columns: side top-1, inputs where both are valid):\n");
        for (size_t r = 0; r < c; ++r) {
            std::printf("%4zu |", r);
            for (size_t k = 0; k < c; ++k) std::printf(" %5lld", static_cast<long long>(x.confusion[r * c + k]));
            std::printf("\n");
        }
    }
}

// Graph outputs the agreement measures read as class scores: float outputs of 2 to 4096 values per
// input (Kendall's tau is quadratic and the confusion matrix square in the class count).
std::vector<mutiny::OutputAgreement> diff_agreements(const mutiny::Graph& g, int64_t k, double rbo_p) {
    std::vector<mutiny::OutputAgreement> v;
    for (int o : g.outputs)
        if (mutiny::dtype_is_float(g.value(o).dtype)) {
            mutiny::OutputAgreement a;
            a.tensor = g.value(o).name;
            a.d.k = k;
            a.d.rbo_p = rbo_p;
            a.d.keep_confusion = true;
            v.push_back(std::move(a));
        }
    return v;
}

// Adds one input's outputs (from the two traces) to the agreement measures; `side_names` as for
// TraceComparer.
void add_agreement(std::vector<mutiny::OutputAgreement>& v, const mutiny::Graph& ref_g, const std::vector<mutiny::Tensor>& ref,
                   const mutiny::Graph& side_g, const std::vector<mutiny::Tensor>& side, const std::map<std::string, std::string>& side_names) {
    for (mutiny::OutputAgreement& a : v) {
        const mutiny::Tensor& x = ref.at(static_cast<size_t>(ref_g.value_id(a.tensor)));
        const auto renamed = side_names.find(a.tensor);
        const mutiny::Tensor& y = side.at(static_cast<size_t>(side_g.value_id(renamed == side_names.end() ? a.tensor : renamed->second)));
        if (x.numel() < 2 || x.numel() > 4096 || x.numel() != y.numel()) continue;
        std::vector<float> fx, fy;
        for (const double e : mutiny::tensor_as_doubles(x)) fx.push_back(static_cast<float>(e));
        for (const double e : mutiny::tensor_as_doubles(y)) fy.push_back(static_cast<float>(e));
        a.d.add(fx.data(), fy.data(), 1, x.numel());
    }
}

// The stable line: `SIDE vs REF: diverges at node #K NAME (OP), tensor 'T', input I; required atol A
// at rtol R, required rtol Q at atol B` or `SIDE vs REF: within tolerance at every tensor`.
std::string diff_verdict(const mutiny::DiffSide& s, const std::string& reference) {
    const mutiny::TraceDiff& d = s.diff;
    const int f = d.first_diverging();
    std::string line = s.label + " vs " + reference + ": ";
    if (f < 0) return line + "within tolerance at every tensor";
    const mutiny::TensorDiffRow& r = d.rows[static_cast<size_t>(f)];
    int64_t input = -1;
    for (size_t i = 0; i < d.first_row.size() && input < 0; ++i)
        if (d.first_row[i] == f) input = static_cast<int64_t>(i);
    line += "diverges at node #" + std::to_string(r.node) + " " + r.node_name + " (" + r.op + "), tensor '" + r.tensor + "'";
    if (input >= 0) line += ", input " + std::to_string(input);
    if (r.status == mutiny::TensorDiffRow::Status::shape_differs) return line + "; shapes differ: " + r.shapes;
    if (r.all.invalid > 0) return line + "; " + std::to_string(r.all.invalid) + " NaN/Inf pairs (" + std::to_string(r.all.both_nan) + " both NaN: both invalid)";
    return line + "; required atol " + diff_num(r.all.required_atol) + " at rtol " + diff_num(r.tol.rtol) + ", required rtol " +
           diff_num(r.all.required_rtol) + " at atol " + diff_num(r.tol.atol);
}

}  // namespace

int cmd_diff(int argc, char** argv) {
    Args a(argc, argv, 2, {"data", "preprocess", "against", "atol", "rtol", "stat", "json", "html", "threads", "show-inputs", "top-k", "rbo-p", "reduce", "timing-runs"},
           {"help", "fail-fast", "force", "timing"});
    if (a.has("help")) {
        std::cout << "usage: mutiny diff MODEL --data SPEC --against A,B[,C...] [--atol LIST] [--rtol LIST] [--stat S] [--fail-fast]\n"
                     "                   [--json FILE] [--html FILE] [--top-k K] [--rbo-p P] [--preprocess RECIPE] [--threads N]\n"
                     "                   [--show-inputs N] [--reduce DIR [--force]] [--timing [--timing-runs N]]\n"
                     "Where each side departs from the first (the reference): every node output, matched by name, in\n"
                     "topological order, input by input. A side is\n"
                     "  cpu | opencl[:N|:NAME]       a device\n"
                     "  DEVICE@fp16                  float16 storage: every float32 result of an op with a store site\n"
                     "                               (docs/mutation.md) rounds to float16 (nearest even)\n"
                     "  DEVICE@float                 a QDQ model's float model: every QuantizeLinear -> DequantizeLinear\n"
                     "                               pair dropped (weights stay dequantized); its tensors are compared\n"
                     "                               with the DequantizeLinear outputs that stand for them\n"
                     "  DEVICE@int8                  a float model's int8 deployment, simulated: quantize_static's QDQ\n"
                     "                               graph (uint8 asymmetric activations, MinMax calibration over the\n"
                     "                               --data inputs, int8 symmetric per-channel weights, int32 biases),\n"
                     "                               each float tensor compared with its DequantizeLinear output\n"
                     "  'op=NAME target=T [K=V ...] [device=DEVICE]'  one mutant, the spec `mutiny mutants --out` writes\n"
                     "                               (on the CPU unless device= says otherwise)\n"
                     "Per tensor: max abs / max rel / mean / median / p90 / p99 / p99.9 of |side - reference|, cosine,\n"
                     "SQNR (dB), NaN/Inf counts per side (two NaNs are 'both invalid', never equal), and the tolerance\n"
                     "that would have passed.\n"
                     "  --atol LIST      X and/or TENSOR=X, comma-separated (default 1e-08): absolute tolerance\n"
                     "  --rtol LIST      the same for the relative tolerance (default 1e-05); an element is close when\n"
                     "                   |side - ref| <= atol + rtol |ref| (numpy.allclose)\n"
                     "  --stat S         what must pass: max (every element, default), median, p90, p99, p99.9 (that\n"
                     "                   fraction of the elements), mean (mean |d| <= atol + rtol mean |ref|)\n"
                     "  --fail-fast      stop at the first diverging tensor\n"
                     "  --json FILE      every statistic per tensor and per input; --html FILE: the propagation chart\n"
                     "  --show-inputs N  per-input first diverging nodes printed (default 10)\n"
                     "  --reduce DIR     shrink the first side whose outputs differ beyond tolerance to a reproducer: the\n"
                     "                   first input that shows it, then the smallest piece of the graph from the first\n"
                     "                   diverging node, fed with the reference's values, that still differs (delta\n"
                     "                   debugging); confirmed by running both sides on it again, then written as an ONNX\n"
                     "                   backend test folder: DIR/model.onnx, DIR/test_data_set_0/ (inputs, the reference's\n"
                     "                   output), DIR/side_outputs/output_0.pb, DIR/README.txt and DIR/replay.sh (`mutiny diff\n"
                     "                   DIR/model.onnx --data DIR/test_data_set_0 --against ...`); `mutiny conformance DIR`\n"
                     "                   checks the reference output. A difference that does not reproduce when run again is\n"
                     "                   'not reproducible' (exit 1, nothing written); sides that agree write nothing.\n"
                     "  --force          replace a DIR that exists and is not empty (refused otherwise)\n"
                     "  --timing         after the comparison, run every side --timing-runs more times on the first input\n"
                     "                   (node capture off, the sides taking turns) and time each node: wall time on the CPU\n"
                     "                   (a node fused into the Conv before it counts in the Conv's), device time of its\n"
                     "                   commands on OpenCL (profiling events), host time for a node that falls back to the\n"
                     "                   host. Prints per node, in graph order, each side's median (ms), where it ran and\n"
                     "                   each side's ratio to the reference, then the sums and whole runs; above 40 nodes\n"
                     "                   only the 40 slowest (saying how many are hidden). --json adds a \"timing\" section\n"
                     "                   (every node: name, op, each side's median seconds and where it ran), --html a\n"
                     "                   table sorted by the reference's time, ratios above 2x or below 0.5x marked\n"
                     "  --timing-runs N  timed runs per side (default 5)\n"
                     "Each float graph output is also read as class scores: top-1 disagreement, top-K Jaccard (--top-k,\n"
                     "default 5), Kendall tau, rank-biased overlap RBO_ext (--rbo-p, default 0.9) and the confusion between\n"
                     "the sides' top-1 classes; an output with a NaN or Inf is invalid (two of them: both invalid, not equal).\n"
                     "Exit code 1 when some side's outputs are beyond tolerance (after printing and writing the reports).\n";
        return 0;
    }
    if (a.positionals().size() != 1) throw UsageError("diff needs exactly one MODEL");
    for (const char* k : {"json", "html"})  // the console report is standard output already
        if (a.get(k, "") == "-") throw UsageError(std::string("--") + k + " -: diff prints its report on standard output; name a file");
    if (!a.has("data")) throw UsageError("diff needs --data SPEC");
    if (!a.has("against")) throw UsageError("diff needs --against A,B[,C...] (the reference first)");
    mutiny::ToleranceSet tol;
    if (a.has("atol")) parse_diff_tolerance(a.get("atol"), "--atol", tol.fallback.atol, tol.atol);
    if (a.has("rtol")) parse_diff_tolerance(a.get("rtol"), "--rtol", tol.fallback.rtol, tol.rtol);
    if (a.has("stat")) {
        try {
            tol.fallback.stat = mutiny::parse_diff_stat(a.get("stat"));
        } catch (const mutiny::Error& e) {
            throw UsageError("option --stat: " + e.why_part() + ", got '" + a.get("stat") + "'");
        }
    }
    const size_t show_inputs = static_cast<size_t>(a.get_int("show-inputs", 10, 0, INT64_MAX));
    if (a.has("timing-runs") && !a.has("timing")) throw UsageError("--timing-runs applies to --timing");
    const bool timing = a.has("timing");
    const int64_t timing_runs = a.get_int("timing-runs", 5, 1, INT64_MAX);
    const std::vector<DiffSideSpec> specs = parse_diff_sides(a.get("against"));
    const bool fail_fast = a.has("fail-fast");
    const int64_t top_k = a.get_int("top-k", 5, 1, INT64_MAX);
    const double rbo_p = a.get_number("rbo-p", 0.9, 1e-9, 1 - 1e-9);
    ReduceRequest reduce;
    if (a.has("force") && !a.has("reduce")) throw UsageError("--force applies to --reduce DIR");
    if (a.has("reduce")) {
        reduce.dir = a.get("reduce");
        reduce.force = a.has("force");
        check_reduce_dir(reduce);
        // The reducer rebuilds each side on pieces of the model's graph: a side whose graph is
        // another (the float reference, the int8 simulation) has no piece to rebuild from.
        for (const DiffSideSpec& s : specs)
            if (s.mode == DiffSideSpec::Mode::float_ref || s.mode == DiffSideSpec::Mode::int8)
                throw UsageError("--reduce: '" + s.label + "' runs another graph than the model's (@float, @int8) and is not reduced; reduce a device, @fp16 or mutant side");
    }

    Feeding f = prepare_feeding(a.positionals()[0], a);
    auto ds = mutiny::open_dataset(a.get("data"));
    check_recipe_applies(a, *ds);
    const int threads = threads_option(a);
    const DiffModes modes = prepare_modes(specs, f, *ds, threads);
    std::vector<std::unique_ptr<DiffRunner>> runners;
    for (const DiffSideSpec& s : specs) runners.push_back(std::make_unique<DiffRunner>(modes.graph(s, f.model.graph), s, threads, modes.what(s), timing));
    std::vector<mutiny::TraceComparer> cmp;
    std::vector<std::map<std::string, std::string>> side_names;
    for (size_t s = 1; s < specs.size(); ++s) {
        side_names.push_back(modes.side_names(specs[0], specs[s]));
        cmp.emplace_back(runners[0]->graph(), runners[s]->graph(), tol, specs[s].label, side_names.back());
    }

    std::vector<std::vector<mutiny::OutputAgreement>> agreement;
    for (size_t s = 1; s < specs.size(); ++s) agreement.push_back(diff_agreements(runners[0]->graph(), top_k, rbo_p));
    std::vector<bool> done(specs.size(), false);
    for (size_t i = 0; i < ds->size(); ++i) {
        const std::vector<mutiny::Tensor> x = feed_batch(f, *ds, i, 1);
        const std::vector<mutiny::Tensor> ref = runners[0]->trace(x);
        bool all_done = true;
        for (size_t s = 1; s < specs.size(); ++s) {
            if (done[s]) continue;
            const std::vector<mutiny::Tensor> side = runners[s]->trace(x);
            const int first = cmp[s - 1].add(ref, side, fail_fast);
            add_agreement(agreement[s - 1], runners[0]->graph(), ref, runners[s]->graph(), side, side_names[s - 1]);
            done[s] = fail_fast && first >= 0;
            all_done = all_done && done[s];
        }
        if (all_done) break;
    }

    mutiny::DiffReport rep;
    rep.model = a.positionals()[0];
    rep.data = ds->name();
    rep.reference = specs[0].label;
    rep.reference_what = runners[0]->what();
    rep.tolerance = tol.fallback;
    for (size_t s = 1; s < specs.size(); ++s) rep.sides.push_back({specs[s].label, runners[s]->what(), cmp[s - 1].result(), agreement[s - 1]});
    if (timing && ds->size() > 0) rep.timing = time_diff_sides(runners, specs, feed_batch(f, *ds, 0, 1), timing_runs);

    std::printf("model: %s\ndata: %s\nreference: %s (%s)\ntolerance: atol %g, rtol %g, statistic %s (an element is close when |side - ref| <= atol + rtol |ref|)\n",
                rep.model.c_str(), rep.data.c_str(), rep.reference.c_str(), rep.reference_what.c_str(), tol.fallback.atol, tol.fallback.rtol,
                mutiny::diff_stat_name(tol.fallback.stat));
    for (const mutiny::DiffSide& s : rep.sides) print_diff_side(s, rep.reference, show_inputs);
    if (rep.timing.runs > 0) print_node_timing(rep.timing, 40);
    if (a.has("json")) {
        ReplacingFile file(a.get("json"));
        file.stream() << mutiny::diff_report_json(rep);
        file.commit();
    }
    if (a.has("html")) {
        ReplacingFile file(a.get("html"));
        file.stream() << mutiny::diff_report_html(rep);
        file.commit();
    }
    std::printf("\n");
    std::vector<std::string> failing;
    for (const mutiny::DiffSide& s : rep.sides) {
        std::printf("%s\n", diff_verdict(s, rep.reference).c_str());
        // Stopped early (--fail-fast), a side's outputs were not all compared: it counts as failing.
        if (!s.diff.outputs_pass() || s.diff.stopped) failing.push_back(s.label);
    }
    if (a.has("reduce")) {
        reduce.threads = threads;
        reduce_diff(f, *ds, specs, rep, tol, reduce);
    }
    std::fflush(stdout);
    if (!failing.empty()) {
        std::string names;
        for (const std::string& n : failing) names += (names.empty() ? "" : ", ") + n;
        throw mutiny::Error("outputs differ beyond tolerance", names + " vs " + rep.reference,
                            "see the first diverging node above; --atol/--rtol accept the required tolerance printed there");
    }
    return 0;
}

}  // namespace cli
