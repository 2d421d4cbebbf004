// The reducer of `mutiny diff --reduce DIR` (see diff_reduce.hpp). For the first side whose outputs
// differ beyond tolerance:
//  (a) the input: the first input whose outputs still differ when both sides run it again (none:
//      "not reproducible");
//  (b) the graph: from that input's traces, the first diverging node k and the first graph output
//      beyond tolerance; the nodes that depend on k and that output needs, fed with the reference
//      run's values of what they read, are run on both sides; the first tensor of that piece beyond
//      tolerance is the target T, and the piece shrinks to the nodes T needs, then by ddmin (a node
//      left out is fed with the reference's value). If the piece fed from the reference does not
//      differ (the difference needs what the side computed before k), the piece is everything the
//      output needs from the model's inputs.
//  (c) the piece is written as ONNX and read back, both sides run it again, and only a difference
//      beyond tolerance there writes the bundle (model.onnx, test_data_set_0/ with the inputs and the
//      reference's output, side_outputs/output_0.pb, README.txt, replay.sh).
// MUTINY_DIFF_REDUCE_FLAKY=1 makes the re-runs of (a) give the reference's values (the side "agrees
// when run again"): the test hook for a flaky difference, which a deterministic executor never shows.
#include "diff_reduce.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <mutiny/analysis/reduce_case.hpp>
#include <mutiny/core/error.hpp>
#include <mutiny/io/onnx_export.hpp>
#include <mutiny/version.hpp>

#include "args.hpp"
#include "shell_words.hpp"

namespace cli {

namespace {

namespace fs = std::filesystem;

// Whether the value called `name` differs beyond tolerance between two traces (shapes differ: it does).
bool beyond_tolerance(const mutiny::Graph& ga, const std::vector<mutiny::Tensor>& ta, const mutiny::Graph& gb,
                      const std::vector<mutiny::Tensor>& tb, const std::string& name, const mutiny::ToleranceSet& tol) {
    const int ia = ga.find_value(name), ib = gb.find_value(name);
    if (ia < 0 || ib < 0) return false;
    const mutiny::Tensor& a = ta.at(static_cast<size_t>(ia));
    const mutiny::Tensor& b = tb.at(static_cast<size_t>(ib));
    if (a.empty() || b.empty()) return false;
    if (a.shape() != b.shape()) return true;
    return !mutiny::compare_tensors(a, b, tol.of(name), "tensor '" + name + "'").pass;
}

// Both sides' traces of one run of `g` on `x`.
struct TracePair {
    std::unique_ptr<DiffRunner> ref, side;
    std::vector<mutiny::Tensor> r, s;
};

TracePair run_both(const mutiny::Graph& g, const DiffSideSpec& ref, const DiffSideSpec& side, const std::vector<mutiny::Tensor>& x, int threads) {
    TracePair p;
    p.ref = std::make_unique<DiffRunner>(g, ref, threads);
    p.side = std::make_unique<DiffRunner>(g, side, threads);
    p.r = p.ref->trace(x);
    p.s = p.side->trace(x);
    return p;
}

// The first value produced by g's nodes (in order) that differs beyond tolerance; -1 for none.
// Sets `node` to its producer.
int first_beyond(const mutiny::Graph& g, const TracePair& p, const mutiny::ToleranceSet& tol, int* node = nullptr) {
    for (size_t n = 0; n < g.nodes.size(); ++n)
        for (const int o : g.nodes[n].outputs)
            if (beyond_tolerance(p.ref->graph(), p.r, p.side->graph(), p.s, g.value(o).name, tol)) {
                if (node) *node = static_cast<int>(n);
                return o;
            }
    return -1;
}

std::vector<bool> as_bitmap(const std::vector<int>& nodes, size_t n) {
    std::vector<bool> b(n, false);
    for (const int k : nodes) b[static_cast<size_t>(k)] = true;
    return b;
}

void write_bytes(const fs::path& p, const std::string& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) throw mutiny::Error("cannot write the bundle", p.string(), "the write failed (disk full or no permission?)");
}

std::string num17(double v) {
    char b[40];
    std::snprintf(b, sizeof b, "%.17g", v);
    return b;
}

// DIR without trailing separators ("out/" is "out").
fs::path bundle_path(const std::string& dir) {
    fs::path p = fs::path(dir).lexically_normal();
    if (p.filename().empty()) p = p.parent_path();
    return p;
}

}  // namespace

void check_reduce_dir(const ReduceRequest& r) {
    const fs::path p = bundle_path(r.dir);
    std::error_code ec;
    if (p.empty()) throw UsageError("--reduce needs a folder name");
    if (!fs::exists(p, ec)) return;
    if (!fs::is_directory(p, ec)) throw UsageError("--reduce " + r.dir + ": exists and is not a folder");
    if (!r.force && !fs::is_empty(p, ec)) throw UsageError("--reduce " + r.dir + ": the folder exists and is not empty; add --force to replace it");
}

void reduce_diff(const Feeding& f, const mutiny::Dataset& ds, const std::vector<DiffSideSpec>& specs, const mutiny::DiffReport& rep,
                 const mutiny::ToleranceSet& tol, const ReduceRequest& req) {
    size_t side = 0;
    for (size_t s = 0; s < rep.sides.size() && side == 0; ++s)
        if (!rep.sides[s].diff.outputs_pass()) side = s + 1;
    if (side == 0) {
        std::printf("--reduce: every side is within tolerance at the outputs: nothing to reduce, no bundle written\n");
        return;
    }
    const DiffSideSpec& ref_spec = specs[0];
    const DiffSideSpec& side_spec = specs[side];
    const mutiny::Graph& g = f.model.graph;
    const mutiny::TraceDiff& d = rep.sides[side - 1].diff;
    const bool flaky_hook = [] {
        const char* e = std::getenv("MUTINY_DIFF_REDUCE_FLAKY");
        return e && std::string(e) == "1";
    }();

    // (a) The first input whose outputs differ again when both sides run it once more.
    int64_t input = -1;
    int out = -1;
    TracePair full;
    std::vector<mutiny::Tensor> x;
    for (size_t i = 0; i < d.first_row.size() && input < 0; ++i) {
        if (d.first_row[i] < 0) continue;
        x = feed_batch(f, ds, i, 1);
        full = run_both(g, ref_spec, side_spec, x, req.threads);
        if (flaky_hook) full.s = full.r;  // the side agrees when run again
        for (const int o : g.outputs)
            if (beyond_tolerance(full.ref->graph(), full.r, full.side->graph(), full.s, g.value(o).name, tol)) {
                out = o;
                break;
            }
        if (out >= 0) input = static_cast<int64_t>(i);
    }
    if (input < 0)
        throw mutiny::Error("not reproducible", side_spec.label + " vs " + ref_spec.label,
                            "run again on the inputs where it diverged, its outputs are within tolerance (a flaky difference); no bundle written");

    // (b) The first diverging node, the first output that shows it, and the piece between.
    int k = -1;
    first_beyond(g, full, tol, &k);
    if (k < 0) throw mutiny::Error("not reproducible", side_spec.label + " vs " + ref_spec.label, "no node output differs on the re-run; no bundle written");
    const std::vector<int> prod = g.producers();
    out = -1;  // the output beyond tolerance whose node comes first
    for (size_t n = 0; n < g.nodes.size() && out < 0; ++n)
        for (const int o : g.nodes[n].outputs)
            if (out < 0 && std::find(g.outputs.begin(), g.outputs.end(), o) != g.outputs.end() &&
                beyond_tolerance(full.ref->graph(), full.r, full.side->graph(), full.s, g.value(o).name, tol))
                out = o;
    if (out < 0) throw mutiny::Error("not reproducible", side_spec.label + " vs " + ref_spec.label, "no output node differs on the re-run; no bundle written");
    const std::vector<bool> after_k = mutiny::downstream_of(g, k);
    const std::vector<int> between = mutiny::needed_within(g, after_k, out);
    const bool k_shows = std::find(between.begin(), between.end(), k) != between.end();

    // Whether the piece of `nodes` that `target` needs, fed from the reference, differs at target.
    auto piece_fails = [&](const std::vector<int>& nodes, int target) {
        const std::vector<int> need = mutiny::needed_within(g, as_bitmap(nodes, g.nodes.size()), target);
        if (need.empty() || prod[static_cast<size_t>(target)] != need.back()) return false;
        try {
            const mutiny::CasePiece p = mutiny::extract_case(g, need, {target}, full.r);
            const TracePair t = run_both(p.graph, ref_spec, side_spec, p.feeds, req.threads);
            return beyond_tolerance(t.ref->graph(), t.r, t.side->graph(), t.s, g.value(target).name, tol);
        } catch (const mutiny::Error&) {
            return false;  // e.g. the mutant does not apply to this piece
        }
    };
    int target = -1;
    std::vector<int> nodes;
    bool from_inputs = false;
    try {
        if (!k_shows) throw mutiny::Error("the first diverging node does not reach the output", "", "");
        const mutiny::CasePiece p = mutiny::extract_case(g, between, {out}, full.r);
        const TracePair t = run_both(p.graph, ref_spec, side_spec, p.feeds, req.threads);
        const int tv = first_beyond(p.graph, t, tol);
        if (tv >= 0) target = g.value_id(p.graph.value(tv).name);
    } catch (const mutiny::Error&) {
        target = -1;
    }
    if (target >= 0) {
        nodes = mutiny::needed_within(g, after_k, target);
        if (nodes.size() > 1) {
            const int t = target;
            nodes = mutiny::needed_within(
                g, as_bitmap(mutiny::ddmin(nodes, [&](const std::vector<int>& s) { return piece_fails(s, t); }, 64), g.nodes.size()), target);
        }
    } else {
        // The difference needs the side's own values before k: the piece starts at the model's inputs.
        target = out;
        nodes = mutiny::needed_within(g, std::vector<bool>(g.nodes.size(), true), out);
        from_inputs = true;
    }

    // (c) The piece as ONNX, read back, run again on both sides: only a reproduced difference is written.
    const mutiny::CasePiece piece = mutiny::extract_case(g, nodes, {target}, full.r);
    const std::string model_bytes = mutiny::onnx_model_bytes(piece.graph, {}, "reduced case");
    const std::string tname = g.value(target).name;
    const mutiny::Graph back =
        mutiny::import_onnx(mutiny::onnx::parse_model(reinterpret_cast<const uint8_t*>(model_bytes.data()), model_bytes.size(), "reduced case"), "reduced case");
    const TracePair confirm = run_both(back, ref_spec, side_spec, piece.feeds, req.threads);
    if (!beyond_tolerance(confirm.ref->graph(), confirm.r, confirm.side->graph(), confirm.s, tname, tol))
        throw mutiny::Error("not reproducible", side_spec.label + " vs " + ref_spec.label + ", reduced case",
                            "the reduced model run again gives '" + tname + "' within tolerance; no bundle written");
    const mutiny::Tensor& ref_out = confirm.r.at(static_cast<size_t>(confirm.ref->graph().value_id(tname)));
    const mutiny::Tensor& side_out = confirm.s.at(static_cast<size_t>(confirm.side->graph().value_id(tname)));
    const mutiny::DiffTolerance tt = tol.of(tname);
    const mutiny::TensorDiff td = mutiny::compare_tensors(ref_out, side_out, tt, "tensor '" + tname + "'");

    // The bundle, built next to DIR and renamed into place once complete.
    const fs::path dir = bundle_path(req.dir);
    const fs::path parent = dir.parent_path().empty() ? fs::path(".") : dir.parent_path();
    const fs::path tmp = parent / ("." + dir.filename().string() + ".partial");
    fs::remove_all(tmp);
    fs::create_directories(tmp / "test_data_set_0");
    fs::create_directories(tmp / "side_outputs");
    write_bytes(tmp / "model.onnx", model_bytes);
    for (size_t i = 0; i < piece.feeds.size(); ++i)
        write_bytes(tmp / "test_data_set_0" / ("input_" + std::to_string(i) + ".pb"),
                    mutiny::onnx_tensor_bytes(piece.feeds[i], back.value(back.inputs[i]).name));
    write_bytes(tmp / "test_data_set_0" / "output_0.pb", mutiny::onnx_tensor_bytes(ref_out, tname));
    write_bytes(tmp / "side_outputs" / "output_0.pb", mutiny::onnx_tensor_bytes(side_out, tname));

    const std::string against = shell_quote(ref_spec.label + "," + side_spec.label);
    const std::string options = " --against " + against + " --atol " + num17(tt.atol) + " --rtol " + num17(tt.rtol) + " --stat " +
                                mutiny::diff_stat_name(tt.stat);
    const std::string replay = "mutiny diff " + shell_quote((dir / "model.onnx").string()) + " --data " +
                               shell_quote((dir / "test_data_set_0").string()) + options;
    const mutiny::Node& kn = g.nodes[static_cast<size_t>(k)];
    std::string readme;
    readme += "Reproducer bundle written by `mutiny diff --reduce` (Mutiny " + std::string(mutiny::version_string()) + ").\n\n";
    readme += "model:      " + rep.model + "\n";
    readme += "data:       " + rep.data + ", input " + std::to_string(input) + " (one sample, batch 1)\n";
    readme += "reference:  " + ref_spec.label + " (" + confirm.ref->what() + ")\n";
    readme += "other side: " + side_spec.label + " (" + confirm.side->what() + ")\n";
    readme += "tolerance:  atol " + num17(tt.atol) + ", rtol " + num17(tt.rtol) + ", statistic " + mutiny::diff_stat_name(tt.stat) +
              " (an element is close when |side - ref| <= atol + rtol |ref|)\n\n";
    readme += "On the whole model the sides first diverge at node #" + std::to_string(k) + " " + kn.name + " (" + kn.op +
              "); the difference shows at output '" + g.value(out).name + "'.\n";
    if (from_inputs)
        readme += "Fed with the reference's values before that node the difference does not show (it needs the other side's own\n"
                  "values upstream), so this bundle is every node that output needs, from the model's inputs: " +
                  std::to_string(nodes.size()) + " node(s):\n";
    else
        readme += "This bundle is the smallest piece found that still differs beyond tolerance, fed with the reference run's values\n"
                  "of the tensors it reads (test_data_set_0/input_*.pb): " + std::to_string(nodes.size()) + " node(s):\n";
    for (const int n : nodes) readme += "  #" + std::to_string(n) + " " + g.nodes[static_cast<size_t>(n)].name + " (" + g.nodes[static_cast<size_t>(n)].op + ")\n";
    readme += "output '" + tname + "': max |side - ref| " + num17(td.max_abs) + ", required atol " + num17(td.required_atol) + " at rtol " +
              num17(tt.rtol) + ", required rtol " + num17(td.required_rtol) + " at atol " + num17(tt.atol) + "\n\n";
    if (side_spec.mutant)
        readme += "The other side is the mutant '" + side_spec.label + "' applied to model.onnx (its node keeps its name), as the\n"
                  "replay below does; side_outputs/output_0.pb holds its output.\n\n";
    else
        readme += "The other side runs model.onnx as it ran the whole model; side_outputs/output_0.pb holds its output.\n\n";
    readme += "Files: model.onnx (ONNX opset " + std::to_string(mutiny::kOnnxExportOpset) +
              "), test_data_set_0/input_*.pb (its inputs), test_data_set_0/output_0.pb (the\n"
              "reference side's output), side_outputs/output_0.pb (the other side's output), replay.sh (the command below).\n\n"
              "Replay (exits 1, 'outputs differ beyond tolerance', when the difference reproduces):\n  " + replay + "\n"
              "Check the reference output (on the CPU in float32: it passes when the reference side is cpu):\n  mutiny conformance " +
              shell_quote(dir.string()) + "\n";
    write_bytes(tmp / "README.txt", readme);
    write_bytes(tmp / "replay.sh", "#!/bin/sh\n# Replays the difference this bundle holds (README.txt); exits 1 when it reproduces.\ncd \"$(dirname \"$0\")\" || exit 2\nexec mutiny diff model.onnx --data test_data_set_0" + options + "\n");
    fs::permissions(tmp / "replay.sh", fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec, fs::perm_options::add);
    std::error_code ec;
    if (fs::exists(dir, ec)) fs::remove_all(dir);  // empty, or --force (check_reduce_dir)
    fs::rename(tmp, dir);

    std::printf("\nreproducer bundle: %s: %zu node(s) from #%d %s (%s) to '%s'%s, input %lld; max |d| %s, required atol %s\nreplay: %s\n",
                dir.string().c_str(), nodes.size(), k, kn.name.c_str(), kn.op.c_str(), tname.c_str(), from_inputs ? " (from the model's inputs)" : "",
                static_cast<long long>(input), num17(td.max_abs).c_str(), num17(td.required_atol).c_str(), replay.c_str());
}

}  // namespace cli
