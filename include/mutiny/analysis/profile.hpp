// Propagation profiles of mutants (`mutiny campaign --profiles`, docs/cli.md): for each mutant, per
// node output downstream of its first changed node (topological order), on the campaign's first
// inputs, how often the output differs from the original's and by how much, so a report can say how
// far a mutation's effect travels before it is masked. The CPU campaign device computes them while
// it re-runs a mutant from the original's trace (CpuExecutor::run_from with an observer): no
// second run. Everything here is per input, added in input order, so a profile does not depend on
// the batch size or the thread count.
//
// Per input and node output (float32 values whose first axis is the batch, per_input_values()):
//   differs   some element is not within atol + rtol |orig| of the original's (0, 0: not equal);
//             NaN on both sides is no difference (the mutant did not change it), NaN on one is
//   rel       ||mutant - orig||_2 / ||orig||_2 over the input's elements; +inf when an element is
//             NaN or infinite on one side only, or the original is all zeros and the mutant not
//   max_abs   max |mutant - orig| (+inf for such an element)
#ifndef MUTINY_ANALYSIS_PROFILE_HPP_
#define MUTINY_ANALYSIS_PROFILE_HPP_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/tensor.hpp"
#include "../exec/input_shapes.hpp"
#include "../graph/graph.hpp"
#include "../ops/infer.hpp"

namespace mutiny {

// What is profiled: the first `inputs` inputs of the data set (0: no profiles) and when an
// element counts as changed.
struct ProfileOptions {
    int64_t inputs = 0;
    double atol = 0, rtol = 0;
};

// One node output of a mutant's profile, over the profiled inputs.
struct ProfileRow {
    int node = -1, value = -1;      // in the original graph
    int64_t differing = 0;          // inputs on which it differs
    double sum_rel = 0;             // sum of rel over the inputs, added in input order
    double max_abs = 0;             // max over the inputs
    int64_t inputs = 0;             // inputs added
    std::string node_name, op, tensor;  // set by label_profile()
    double mean_rel() const { return inputs ? sum_rel / static_cast<double>(inputs) : 0.0; }
};

// A mutant's profile: rows in topological order (row k is depth k; row 0 is the first changed
// node's output) and, per profiled input, the last row at which it differs (-1: none).
struct MutantProfile {
    std::vector<ProfileRow> rows;
    std::vector<int> last_row;
    std::string note;               // why there is none (a graph mutant); "" when profiled
    // Set by label_profile(): the row of the graph's output (-1: not among them) and the row
    // that masks the effect (-1: none, see there).
    int output_row = -1, masked_row = -1;
    int64_t inputs() const { return static_cast<int64_t>(last_row.size()); }
    bool empty() const { return last_row.empty(); }
    // Inputs on which the effect reaches the graph's output.
    int64_t reaching_output() const { return output_row < 0 ? 0 : rows[static_cast<size_t>(output_row)].differing; }
    // The deepest row that differs on some input (-1: the mutant changed nothing profiled).
    int last_differing() const {
        int d = -1;
        for (int k : last_row) d = std::max(d, k);
        return d;
    }
    // Masked before the output on every profiled input.
    bool structurally_weak() const { return !empty() && reaching_output() == 0; }
};

// Names the rows after g's nodes and finds the output row and the masking row: the first row after
// the last differing one whose node reads a value that differed (a ReLU after a unit pushed
// further negative), when the effect never reaches the output.
inline void label_profile(MutantProfile& p, const Graph& g) {
    p.output_row = p.masked_row = -1;
    for (size_t k = 0; k < p.rows.size(); ++k) {
        ProfileRow& r = p.rows[k];
        const Node& n = g.nodes.at(static_cast<size_t>(r.node));
        r.node_name = n.name.empty() ? "#" + std::to_string(r.node) : n.name;
        r.op = n.op;
        r.tensor = g.value(r.value).name;
        if (std::find(g.outputs.begin(), g.outputs.end(), r.value) != g.outputs.end()) p.output_row = static_cast<int>(k);
    }
    const int last = p.last_differing();
    if (p.empty() || p.reaching_output() > 0) return;
    std::vector<int> changed;
    for (int k = 0; k <= last; ++k)
        if (p.rows[static_cast<size_t>(k)].differing > 0) changed.push_back(p.rows[static_cast<size_t>(k)].value);
    for (size_t k = static_cast<size_t>(last + 1); k < p.rows.size() && p.masked_row < 0; ++k)
        for (int in : g.nodes[static_cast<size_t>(p.rows[k].node)].inputs)
            if (std::find(changed.begin(), changed.end(), in) != changed.end()) p.masked_row = static_cast<int>(k);
}

// One input's comparison of one node output.
struct ProfileSample {
    double rel = 0, max_abs = 0;
    bool differs = false;
};

// Compares n elements of a mutant's value (b) with the original's (a).
inline ProfileSample profile_sample(const float* a, const float* b, int64_t n, const ProfileOptions& opt) {
    constexpr double inf = std::numeric_limits<double>::infinity();
    ProfileSample s;
    double dd = 0, aa = 0;
    bool invalid = false;
    for (int64_t e = 0; e < n; ++e) {
        const double x = a[e], y = b[e];
        aa += std::isfinite(x) ? x * x : 0.0;
        if (x == y || (std::isnan(x) && std::isnan(y))) continue;
        const double d = std::fabs(y - x);
        if (!std::isfinite(d)) {
            invalid = true;
            s.differs = true;
            s.max_abs = inf;
            continue;
        }
        s.max_abs = std::max(s.max_abs, d);
        dd += d * d;
        if (!(d <= opt.atol + opt.rtol * std::fabs(x))) s.differs = true;
    }
    s.rel = invalid ? inf : dd == 0 ? 0.0 : aa == 0 ? inf : std::sqrt(dd) / std::sqrt(aa);
    return s;
}

// Which values can be cut into one slice per input: float32 values whose first axis is the batch
// (at batch 2 twice what it is at batch 1, every other axis the same; a model whose inputs fix the
// batch: a first axis of that size). Others (a Transpose that moves the batch, shape arithmetic,
// data-dependent shapes, other dtypes) are left out of profiles.
inline std::vector<char> per_input_values(const Graph& g) {
    bool symbolic = false;
    int64_t fixed = -1;
    for (int in : g.inputs) {
        const Shape& s = g.value(in).shape;
        for (size_t d = 0; d < s.rank(); ++d) symbolic = symbolic || s[d] < 0;
        if (fixed < 0 && s.rank() > 0 && s[0] > 0) fixed = s[0];
    }
    auto types_at = [&](int64_t batch) {
        const InputShapes shapes = input_shapes_for_batch(g, batch);
        std::vector<TypeInfo> t;
        for (size_t i = 0; i < g.inputs.size(); ++i) t.push_back(TypeInfo{g.value(g.inputs[i]).dtype, shapes[i]});
        std::vector<char> dynamic;
        return infer_types_given(g, t, std::vector<const Tensor*>(g.inputs.size(), nullptr), nullptr, nullptr, &dynamic);
    };
    const std::vector<TypeInfo> t1 = types_at(1), t2 = symbolic ? types_at(2) : t1;
    std::vector<char> ok(g.values.size(), 0);
    for (size_t v = 0; v < g.values.size(); ++v) {
        const Shape &a = t1[v].shape, &b = t2[v].shape;
        if (g.values[v].is_constant() || t1[v].dtype != DType::f32 || a.rank() == 0 || a.rank() != b.rank() || a[0] <= 0) continue;
        bool same_rest = true;
        for (size_t d = 1; d < a.rank(); ++d) same_rest = same_rest && a[d] == b[d];
        ok[v] = same_rest && (symbolic ? b[0] == 2 * a[0] : a[0] == fixed);
    }
    return ok;
}

// One batch's samples of one mutant: a sample per row and profiled input, row-major (the rows are
// the same for every batch: they depend on the mutant and the graph only).
struct ProfileBatch {
    std::vector<ProfileRow> rows;
    std::vector<ProfileSample> samples;
    int64_t inputs = 0;
    std::string note;  // why the mutant has no profile (a graph mutant)
};

// Adds a batch's samples (its inputs next in order) to a mutant's profile, one input at a time,
// so the sums are the same whatever the batches.
inline void add_profile(MutantProfile& total, const ProfileBatch& b) {
    if (!b.note.empty()) total.note = b.note;
    if (b.inputs == 0) return;
    if (total.rows.empty()) {
        for (const auto& r : b.rows) total.rows.push_back(ProfileRow{r.node, r.value, 0, 0, 0, 0, {}, {}, {}});
    }
    if (total.rows.size() != b.rows.size() || b.samples.size() != b.rows.size() * static_cast<size_t>(b.inputs))
        throw Error("profile rows differ between batches", "campaign profiles", "a mutant re-ran other nodes");
    for (int64_t k = 0; k < b.inputs; ++k) {
        int last = -1;
        for (size_t r = 0; r < b.rows.size(); ++r) {
            const ProfileSample& s = b.samples[r * static_cast<size_t>(b.inputs) + static_cast<size_t>(k)];
            ProfileRow& t = total.rows[r];
            t.differing += s.differs;
            t.sum_rel += s.rel;
            t.max_abs = std::max(t.max_abs, s.max_abs);
            ++t.inputs;
            if (s.differs) last = static_cast<int>(r);
        }
        total.last_row.push_back(last);
    }
}

// Collects one batch's samples of one mutant as the executor reports its values (observe()).
class ProfileRecorder {
public:
    // `orig`: the original's trace; `per_input`: per_input_values(); the first `count` inputs of a
    // batch of `batch` inputs are profiled.
    ProfileRecorder(const std::vector<Tensor>& orig, const std::vector<char>& per_input, int64_t batch, int64_t count, const ProfileOptions& opt)
        : orig_(orig), per_input_(per_input), batch_(batch), opt_(opt) {
        b_.inputs = count;
    }

    // Node `node`'s output `value` as the mutant computed it.
    void observe(int node, int value, const Tensor& t) {
        const size_t v = static_cast<size_t>(value);
        if (!per_input_.at(v) || t.dtype() != DType::f32) return;
        const Tensor& a = orig_.at(v);
        if (a.shape() != t.shape() || t.numel() % batch_ != 0) return;
        b_.rows.push_back(ProfileRow{node, value, 0, 0, 0, 0, {}, {}, {}});
        const int64_t per = t.numel() / batch_;
        for (int64_t k = 0; k < b_.inputs; ++k)
            b_.samples.push_back(profile_sample(a.data<float>() + k * per, t.data<float>() + k * per, per, opt_));
    }

    ProfileBatch take() { return std::move(b_); }

private:
    const std::vector<Tensor>& orig_;
    const std::vector<char>& per_input_;
    int64_t batch_;
    ProfileOptions opt_;
    ProfileBatch b_;
};

}  // namespace mutiny

#endif  // MUTINY_ANALYSIS_PROFILE_HPP_
