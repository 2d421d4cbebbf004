// Where a run first departs from a reference run (`mutiny diff`, docs/cli.md): every node output of
// two traces (run_trace: one tensor per value), matched by value name and walked in the
// reference's topological order, compared with tensor_diff.hpp under a tolerance per tensor. The
// first tensor beyond tolerance is the first diverging node; the errors of every tensor, in order,
// are the propagation profile. Inputs are added one at a time (one trace pair each), so "per input"
// is exact and nothing depends on the batch.
#ifndef MUTINY_ANALYSIS_TRACE_DIFF_HPP_
#define MUTINY_ANALYSIS_TRACE_DIFF_HPP_

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../graph/graph.hpp"
#include "tensor_diff.hpp"

namespace mutiny {

// A default tolerance plus atol / rtol for named tensors (a graph output or any node output).
struct ToleranceSet {
    DiffTolerance fallback;
    std::map<std::string, double> atol, rtol;  // tensor name -> value
    DiffTolerance of(const std::string& tensor) const {
        DiffTolerance t = fallback;
        if (auto it = atol.find(tensor); it != atol.end()) t.atol = it->second;
        if (auto it = rtol.find(tensor); it != rtol.end()) t.rtol = it->second;
        return t;
    }
};

// One input's verdict on one tensor.
struct InputDiff {
    double max_abs = NAN, required_atol = 0, required_rtol = 0;
    bool pass = true;
};

// One node output of the reference over every input.
struct TensorDiffRow {
    enum class Status { compared, missing, shape_differs };
    int node = -1;  // index in the reference graph's nodes
    std::string node_name, op, tensor;
    bool graph_output = false;
    Status status = Status::compared;
    std::string shapes;             // shape_differs: "ref [..] vs side [..]"
    DiffTolerance tol;
    TensorDiff all;                 // pooled over the inputs (tensor_diff.hpp, pool_diff())
    int64_t worst_input = -1;       // the input with the largest required atol (then max |d|)
    int64_t failing_inputs = 0;
    std::vector<InputDiff> inputs;  // per input compared
    bool diverges() const { return status == Status::shape_differs || (status == Status::compared && !all.pass); }
};

struct TraceDiff {
    std::vector<TensorDiffRow> rows;  // reference's topological order, outputs of a node in order
    int64_t inputs = 0;
    std::vector<int> first_row;       // per input: the first diverging row, -1 for none
    bool stopped = false;             // fail-fast stopped at the first diverging row
    // The first row (topological order) that diverges on any input; -1 for none.
    int first_diverging() const {
        for (size_t i = 0; i < rows.size(); ++i)
            if (rows[i].diverges()) return static_cast<int>(i);
        return -1;
    }
    bool outputs_pass() const {
        for (const auto& r : rows)
            if (r.graph_output && r.diverges()) return false;
        return true;
    }
};

// Compares traces of `side` (a graph with the reference's value names: the same model, a weight
// or kernel mutant, or a graph mutant, whose new values are ignored) against traces of `ref`.
// `side_names` maps a reference tensor to the side's tensor of another name (a QDQ graph against
// its float reference: analysis/qdq_float.hpp); a tensor it does not list is matched by its own name.
class TraceComparer {
public:
    TraceComparer(const Graph& ref, const Graph& side, ToleranceSet tol, std::string side_label,
                  const std::map<std::string, std::string>& side_names = {})
        : tol_(std::move(tol)), label_(std::move(side_label)) {
        check_tolerance(tol_.fallback, "--atol/--rtol");
        for (const auto& m : {tol_.atol, tol_.rtol})
            for (const auto& kv : m)
                if (!std::isfinite(kv.second) || kv.second < 0)
                    throw Error("bad tolerance for tensor '" + kv.first + "'", "--atol/--rtol",
                                "a tolerance is a finite number >= 0, got " + std::to_string(kv.second));
        std::map<std::string, int> side_ids;
        for (size_t v = 0; v < side.values.size(); ++v) side_ids.emplace(side.values[v].name, static_cast<int>(v));
        std::vector<bool> is_output(ref.values.size(), false);
        for (int o : ref.outputs) is_output[static_cast<size_t>(o)] = true;
        for (size_t n = 0; n < ref.nodes.size(); ++n) {
            const Node& node = ref.nodes[n];
            for (int o : node.outputs) {
                if (o < 0) continue;
                TensorDiffRow r;
                r.node = static_cast<int>(n);
                r.node_name = node.name.empty() ? "#" + std::to_string(n) : node.name;
                r.op = node.op;
                r.tensor = ref.value(o).name;
                r.graph_output = is_output[static_cast<size_t>(o)];
                r.tol = tol_.of(r.tensor);
                const auto renamed = side_names.find(r.tensor);
                auto it = side_ids.find(renamed == side_names.end() ? r.tensor : renamed->second);
                if (it == side_ids.end()) r.status = TensorDiffRow::Status::missing;
                ref_ids_.push_back(o);
                side_ids_.push_back(it == side_ids.end() ? -1 : it->second);
                diff_.rows.push_back(std::move(r));
            }
        }
        for (const auto& kv : tol_.atol) check_named(kv.first);
        for (const auto& kv : tol_.rtol) check_named(kv.first);
    }

    // Adds one input: `ref_trace` and `side_trace` are run_trace() of the same input. Returns the
    // first diverging row of this input (-1 for none); with `stop_at_first` the rows after it are
    // not compared. Graph outputs whose shapes differ are an error (the sides do not compute the
    // same thing); other tensors whose shapes differ count as diverging.
    int add(const std::vector<Tensor>& ref_trace, const std::vector<Tensor>& side_trace, bool stop_at_first) {
        const int64_t input = diff_.inputs++;
        int first = -1;
        for (size_t i = 0; i < diff_.rows.size(); ++i) {
            TensorDiffRow& r = diff_.rows[i];
            if (r.status == TensorDiffRow::Status::missing) continue;
            const Tensor& a = ref_trace.at(static_cast<size_t>(ref_ids_[i]));
            const Tensor& b = side_trace.at(static_cast<size_t>(side_ids_[i]));
            if (a.empty() || b.empty()) continue;
            if (a.shape() != b.shape()) {
                if (r.graph_output)
                    throw Error("the sides' outputs differ in shape", "output '" + r.tensor + "', " + label_,
                                "the reference gives " + a.shape().str() + ", the other side " + b.shape().str() +
                                    "; sides must compute outputs of the same shape");
                r.status = TensorDiffRow::Status::shape_differs;
                r.shapes = a.shape().str() + " vs " + b.shape().str();
            }
            if (r.status == TensorDiffRow::Status::compared) {
                const TensorDiff t = compare_tensors(a, b, r.tol, "tensor '" + r.tensor + "'");
                const bool worse = r.worst_input < 0 || t.required_atol > r.all.required_atol ||
                                   (t.required_atol == r.all.required_atol && t.max_abs > r.all.max_abs);
                if (worse) r.worst_input = input;
                pool_diff(r.all, t);
                r.inputs.push_back({t.max_abs, t.required_atol, t.required_rtol, t.pass});
                r.failing_inputs += !t.pass;
                if (t.pass) continue;
            }
            if (first < 0) first = static_cast<int>(i);
            if (stop_at_first) {
                diff_.stopped = true;
                break;
            }
        }
        diff_.first_row.push_back(first);
        return first;
    }

    const TraceDiff& result() const { return diff_; }

private:
    void check_named(const std::string& name) const {
        for (const auto& r : diff_.rows)
            if (r.tensor == name) return;
        throw Error("no tensor named '" + name + "'", "--atol/--rtol", "per-tensor tolerances name a node output of the reference");
    }

    ToleranceSet tol_;
    std::string label_;
    std::vector<int> ref_ids_, side_ids_;
    TraceDiff diff_;
};

}  // namespace mutiny

#endif  // MUTINY_ANALYSIS_TRACE_DIFF_HPP_
