// What running a mutant costs, estimated before anything runs, so that shards and MPI chunks
// (shard.hpp) get equal work rather than equal counts: a campaign re-executes a mutant from its
// first changed node on (incremental execution, docs/architecture.md), so a mutant of the last
// layer costs a sliver of one of the first. The estimate is the FLOPs of the nodes from the
// mutant's first changed node to the end, in topological order; graph-level mutants run a whole
// mutated graph, so they cost the whole model. Only the ratios matter.
#ifndef MUTINY_ANALYSIS_SHARD_COST_HPP_
#define MUTINY_ANALYSIS_SHARD_COST_HPP_

#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "../graph/graph.hpp"
#include "../mutate/all.hpp"
#include "../ops/infer.hpp"
#include "campaign_options.hpp"

namespace mutiny {

// FLOPs of each node with every symbolic dimension at `m`: multiply-accumulates of the
// compute-heavy ops (Conv, ConvTranspose, Gemm, MatMul) count 2 each; any other node counts one
// per output element. A node whose shapes depend on run-time values (data-dependent) counts 0: its
// size is known per run only.
inline std::vector<double> node_flops(const Graph& g, int64_t m) {
    std::vector<char> dynamic;
    const auto types = infer_types(g, m, nullptr, &dynamic);
    std::vector<double> f;
    f.reserve(g.nodes.size());
    for (const auto& n : g.nodes) {
        bool dyn = false;
        for (int o : n.outputs) dyn = dyn || dynamic[static_cast<size_t>(o)];
        if (dyn) {
            f.push_back(0);
            continue;
        }
        auto out = [&](size_t i) { return types[static_cast<size_t>(n.outputs[i])].shape; };
        auto in = [&](size_t i) { return types[static_cast<size_t>(n.inputs[i])].shape; };
        if (n.op == "Conv" || n.op == "ConvTranspose") {
            const auto w = in(1);
            f.push_back(2.0 * static_cast<double>(out(0).numel()) * static_cast<double>(w.numel() / w[0]));
        } else if (n.op == "Gemm" || n.op == "MatMul") {
            const auto a = in(0);
            const double k = static_cast<double>(a[a.rank() - 1 - (n.op == "Gemm" && n.attrs.get_int("transA", 0) ? 1 : 0)]);
            f.push_back(2.0 * static_cast<double>(out(0).numel()) * k);
        } else {
            f.push_back(static_cast<double>(n.outputs.empty() ? 0 : out(0).numel()));
        }
    }
    return f;
}

inline double graph_flops(const Graph& g, int64_t m) {
    double s = 0;
    for (double f : node_flops(g, m)) s += f;
    return s;
}

// The estimated cost of each mutant, in FLOPs per input, plus a fixed 1% of the model for what
// every mutant costs whatever it changes (its kill bookkeeping). A mutant that will not run
// (invalid or not applicable already) costs that 1% alone; a stochastic one run as `instances`
// seeded instances costs that many times as much.
inline std::vector<double> mutant_costs(const Graph& g, const std::vector<Mutant>& mutants, int instances = 1) {
    const std::vector<double> f = node_flops(g, symbolic_size(g));
    std::vector<double> suffix(f.size() + 1, 0.0);  // suffix[n]: nodes n.. to the end
    for (size_t n = f.size(); n-- > 0;) suffix[n] = suffix[n + 1] + f[n];
    const double total = suffix[0], fixed = 0.01 * total + 1;
    std::vector<double> cost;
    cost.reserve(mutants.size());
    for (const Mutant& m : mutants) {
        if (m.status != MutantStatus::ok) {
            cost.push_back(fixed);
            continue;
        }
        double work = total;
        if (m.family != "graph") {
            try {
                const Target t = parse_target(g, m.spec.target);
                if (t.kind == Target::Kind::node) work = suffix[static_cast<size_t>(t.node)];
                else if (t.kind == Target::Kind::op_kind)
                    for (size_t n = 0; n < g.nodes.size(); ++n)
                        if (g.nodes[n].op == t.op_kind) {
                            work = suffix[n];
                            break;
                        }
            } catch (const std::exception&) {
                // A target that does not parse is reported invalid when the campaign runs it.
            }
        }
        const int copies = instances > 1 && is_stochastic(m.spec) ? instances : 1;
        cost.push_back((work + fixed) * copies);
    }
    return cost;
}

}  // namespace mutiny

#endif  // MUTINY_ANALYSIS_SHARD_COST_HPP_
