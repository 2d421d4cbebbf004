// Per-node timing across sides (`mutiny diff --timing`): each side (a device, a mode, a mutant)
// runs the same input several times with per-node times (exec/node_times.hpp); per node the median
// of its seconds on each side and each side's ratio to the first side's (the reference). Sides may
// run different graphs (@float drops QuantizeLinear -> DequantizeLinear pairs, @int8 adds them), so
// nodes are matched by name: the rows are the reference's nodes in its order, then any node only a
// later side has, in that side's order; a side without the node has no time for it (NaN).
#ifndef MUTINY_ANALYSIS_NODE_TIMING_HPP_
#define MUTINY_ANALYSIS_NODE_TIMING_HPP_

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../exec/node_times.hpp"
#include "../graph/graph.hpp"
#include "tensor_diff.hpp"

namespace mutiny {

struct NodeTimingRow {
    std::string name, op;
    std::vector<double> seconds;  // per side: the median over the runs, NaN when the side lacks the node
    std::vector<int> where;       // per side: a NodeTimes::Where, -1 when the side lacks the node
    // Side s's median over the reference's; NaN for the reference itself, when either lacks a time
    // or the reference's is 0 (a node fused into another, or doing nothing at run time).
    double ratio(size_t s) const {
        if (s == 0 || s >= seconds.size() || std::isnan(seconds[s]) || !(seconds[0] > 0)) return NAN;
        return seconds[s] / seconds[0];
    }
};

struct NodeTiming {
    int64_t runs = 0;
    std::vector<std::string> sides, whats;  // labels, and what each runs
    std::vector<double> total_seconds;      // per side: median wall time of a whole run
    std::vector<double> node_seconds;       // per side: the sum of its nodes' medians
    std::vector<NodeTimingRow> rows;
    double total_ratio(size_t s) const { return s > 0 && total_seconds[0] > 0 ? total_seconds[s] / total_seconds[0] : NAN; }
};

inline double median_of(std::vector<double> v) {
    if (v.empty()) return NAN;
    std::sort(v.begin(), v.end());
    return tensor_diff_detail::percentile_sorted(v, 50);
}

// Collects the runs: add_side() per side (the reference first), then add() each run's times.
class NodeTimingRecorder {
public:
    void add_side(const std::string& label, const std::string& what, const Graph& g) {
        Side s;
        s.label = label;
        s.what = what;
        for (const Node& n : g.nodes) {
            s.names.push_back(n.name);
            s.ops.push_back(n.op);
        }
        s.samples.resize(g.nodes.size());
        s.where.assign(g.nodes.size(), static_cast<int>(NodeTimes::Where::none));
        sides_.push_back(std::move(s));
    }
    void add(size_t side, const NodeTimes& t) {
        Side& s = sides_.at(side);
        if (t.seconds.size() != s.names.size() || t.where.size() != s.names.size())
            throw Error("node times do not fit the side's graph", "side " + s.label,
                        std::to_string(t.seconds.size()) + " times for " + std::to_string(s.names.size()) + " nodes");
        for (size_t n = 0; n < t.seconds.size(); ++n) {
            s.samples[n].push_back(t.seconds[n]);
            s.where[n] = static_cast<int>(t.where[n]);
        }
        s.totals.push_back(t.total);
    }

    NodeTiming result() const {
        NodeTiming r;
        const size_t ns = sides_.size();
        std::map<std::string, size_t> row_of;
        for (size_t si = 0; si < ns; ++si) {
            const Side& s = sides_[si];
            r.sides.push_back(s.label);
            r.whats.push_back(s.what);
            r.total_seconds.push_back(median_of(s.totals));
            r.runs = std::max(r.runs, static_cast<int64_t>(s.totals.size()));
            double sum = 0;
            for (size_t n = 0; n < s.names.size(); ++n) {
                // A name this side has already used (nameless or repeated nodes) gets a row of its own.
                auto it = row_of.find(s.names[n]);
                if (it == row_of.end() || r.rows[it->second].where[si] >= 0) {
                    it = row_of.insert_or_assign(s.names[n], r.rows.size()).first;
                    NodeTimingRow row;
                    row.name = s.names[n];
                    row.op = s.ops[n];
                    row.seconds.assign(ns, NAN);
                    row.where.assign(ns, -1);
                    r.rows.push_back(std::move(row));
                }
                NodeTimingRow& row = r.rows[it->second];
                row.seconds[si] = median_of(s.samples[n]);
                row.where[si] = s.where[n];
                if (!std::isnan(row.seconds[si])) sum += row.seconds[si];
            }
            r.node_seconds.push_back(sum);
        }
        return r;
    }

private:
    struct Side {
        std::string label, what;
        std::vector<std::string> names, ops;
        std::vector<std::vector<double>> samples;  // per node, per run
        std::vector<int> where;                    // per node (the same every run of a plan)
        std::vector<double> totals;                // per run
    };
    std::vector<Side> sides_;
};

}  // namespace mutiny

#endif  // MUTINY_ANALYSIS_NODE_TIMING_HPP_
