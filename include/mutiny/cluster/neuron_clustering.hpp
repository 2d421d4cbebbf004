// Neuron clustering (DeepMAACC's approach 1, docs/mutation.md): per layer, each unit (neuron) is
// the vector of its incoming weights followed by its bias; every feature is min-max scaled across
// the layer's units (a constant feature becomes 0); Ward HAC on Euclidean distances is cut into
// k = ceil(units / s) clusters (SciPy's fcluster maxclust). A per-unit operator applied to a whole
// cluster is one mutant: the exhaustive list's per-unit mutants of a layer are replaced by one
// mutant per (operator, cluster), targeted as node:NAME/units:a,b,c.
#ifndef MUTINY_CLUSTER_NEURON_CLUSTERING_HPP_
#define MUTINY_CLUSTER_NEURON_CLUSTERING_HPP_

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "../mutate/mutant.hpp"
#include "../mutate/neuron_ops.hpp"
#include "fcluster.hpp"
#include "linkage.hpp"

namespace mutiny {
namespace cluster {

// Row j: unit j's incoming weights, then its bias values when the layer has a bias; each column
// min-max scaled to [0, 1] across the units. dim receives the row length.
inline std::vector<double> neuron_features(const Graph& g, const LayerWeights& L, int64_t& dim) {
    if (!L.na.empty()) throw Error("layer has no mutable units", "neuron clustering", L.na);
    std::vector<const float*> W;
    for (int w : L.weights) W.push_back(g.value(w).constant.data<float>());
    const float* B = L.bias >= 0 ? g.value(L.bias).constant.data<float>() : nullptr;
    const int64_t nb = B ? L.bias_per_unit : 0;
    dim = L.fan_in + nb;
    const int64_t n = L.units;
    std::vector<double> x(static_cast<size_t>(n * dim));
    for (int64_t j = 0; j < n; ++j) {
        for (int64_t k = 0; k < L.fan_in; ++k) {
            const auto l = L.at(j, k);
            x[static_cast<size_t>(j * dim + k)] = static_cast<double>(W[l.part][l.index]);
        }
        for (int64_t m = 0; m < nb; ++m) x[static_cast<size_t>(j * dim + L.fan_in + m)] = static_cast<double>(B[L.bias_index(j, m)]);
    }
    for (int64_t k = 0; k < dim; ++k) {
        double lo = x[static_cast<size_t>(k)], hi = lo;
        for (int64_t j = 1; j < n; ++j) {
            const double v = x[static_cast<size_t>(j * dim + k)];
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
        const double range = hi - lo;
        for (int64_t j = 0; j < n; ++j) {
            double& v = x[static_cast<size_t>(j * dim + k)];
            v = range > 0 ? (v - lo) / range : 0.0;
        }
    }
    return x;
}

// Flat labels (1-based, as fcluster) -> member lists, each ascending, ordered by first member.
inline std::vector<std::vector<int64_t>> groups_of_labels(const std::vector<int>& labels) {
    std::map<int, std::vector<int64_t>> by;
    for (size_t i = 0; i < labels.size(); ++i) by[labels[i]].push_back(static_cast<int64_t>(i));
    std::vector<std::vector<int64_t>> out;
    for (auto& kv : by) out.push_back(std::move(kv.second));
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.front() < b.front(); });
    return out;
}

struct LayerClusters {
    int node = -1;
    std::string layer;                           // node label, as targets write it
    int64_t units = 0;
    LinkageMatrix Z;                             // Ward linkage of the units (n = 0 when units < 2)
    std::vector<std::vector<int64_t>> clusters;  // units per cluster, ascending, ordered by first unit
};

// Clusters the units of one Conv/Gemm/MatMul layer into ceil(units / s) groups, s >= 1.
inline LayerClusters cluster_layer_neurons(const Graph& g, int node, int64_t s) {
    if (s < 1) throw Error("neuron clustering s = " + std::to_string(s), "neuron clustering", "s (units per cluster) must be >= 1");
    const LayerWeights L = mutate_neuron::layer_weights(g, node);
    LayerClusters c;
    c.node = node;
    c.layer = mutate_detail::node_label(g, node);
    c.units = L.units;
    int64_t dim = 0;
    const std::vector<double> x = neuron_features(g, L, dim);
    const int64_t k = (L.units + s - 1) / s;
    if (L.units < 2 || k >= L.units) {  // nothing to merge: every unit alone
        for (int64_t j = 0; j < L.units; ++j) c.clusters.push_back({j});
        if (L.units >= 2) c.Z = linkage(x, L.units, dim, Method::ward);
        return c;
    }
    c.Z = linkage(x, L.units, dim, Method::ward);
    c.clusters = groups_of_labels(fcluster_maxclust(c.Z, k));
    return c;
}

struct NeuronClustering {
    int64_t s = 1;
    std::vector<LayerClusters> layers;  // the layers the mutants touch, in graph order
    std::vector<Mutant> mutants;        // the clustered mutant list (ids m000001...)
    std::vector<int64_t> represented;   // per clustered mutant: how many input mutants it replaces
    int64_t input_mutants = 0;
    double seconds = 0;                 // features, linkage, cuts and the new mutants' evaluation
};

namespace neuron_detail {

// A mutant of one unit (node:NAME/units:J) of a per-unit operator (CW, NAI, NEB, WS, GF on units):
// the ones neuron clustering merges. Multi-unit targets (NS pairs) are left alone.
inline bool single_unit(const Graph& g, const Mutant& m, Target& t) {
    if (m.status != MutantStatus::ok || m.family != "neuron") return false;
    const ResolvedOp r = resolve_operator(m.spec.op, m.spec.params);
    if (r.op->expansion != Expansion::per_unit) return false;
    t = parse_target(g, m.spec.target);
    return t.kind == Target::Kind::node && t.has_units && t.units.size() == 1;
}

inline std::string group_key(const Mutant& m, int node) {
    std::string k = m.spec.op + "|" + std::to_string(node) + "|" + std::to_string(m.spec.seed);
    for (const auto& kv : m.spec.params) k += "|" + kv.first + "=" + kv.second;
    return k;
}

}  // namespace neuron_detail

// Replaces each group of single-unit mutants (same operator, parameters, seed and layer) by one
// mutant per cluster of the layer's units, restricted to the units the group holds; the new
// mutant takes the place of the group's first member. Everything else passes through unchanged.
inline NeuronClustering cluster_neuron_mutants(const Graph& g, const std::vector<Mutant>& mutants, int64_t s) {
    const auto t0 = std::chrono::steady_clock::now();
    if (s < 1) throw Error("neuron clustering s = " + std::to_string(s), "neuron clustering", "s (units per cluster) must be >= 1");
    NeuronClustering out;
    out.s = s;
    out.input_mutants = static_cast<int64_t>(mutants.size());
    // Units each group holds, and the layers involved.
    std::map<std::string, std::vector<int64_t>> held;
    std::map<int, size_t> layer_index;
    for (const Mutant& m : mutants) {
        Target t;
        if (!neuron_detail::single_unit(g, m, t)) continue;
        held[neuron_detail::group_key(m, t.node)].push_back(t.units[0]);
        layer_index.emplace(t.node, 0);
    }
    for (auto& kv : layer_index) {
        kv.second = out.layers.size();
        out.layers.push_back(cluster_layer_neurons(g, kv.first, s));
    }
    std::map<std::string, bool> emitted;
    for (const Mutant& m : mutants) {
        Target t;
        if (!neuron_detail::single_unit(g, m, t)) {
            out.mutants.push_back(m);
            out.represented.push_back(1);
            continue;
        }
        const std::string key = neuron_detail::group_key(m, t.node);
        if (emitted[key]) continue;
        emitted[key] = true;
        std::vector<int64_t> have = held[key];
        std::sort(have.begin(), have.end());
        const LayerClusters& lc = out.layers[layer_index.at(t.node)];
        for (const auto& cl : lc.clusters) {
            std::vector<int64_t> units;
            for (int64_t u : cl)
                if (std::binary_search(have.begin(), have.end(), u)) units.push_back(u);
            if (units.empty()) continue;
            Mutant c = m;
            c.spec.target = "node:" + lc.layer + "/units:" + format_units(units);
            const Outcome o = evaluate_mutant(g, c.spec);
            c.status = o.status;
            c.reason = o.reason;
            out.mutants.push_back(std::move(c));
            out.represented.push_back(static_cast<int64_t>(units.size()));
        }
    }
    const int width = out.mutants.size() < 1000000 ? 6 : 9;
    for (size_t i = 0; i < out.mutants.size(); ++i) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "m%0*zu", width, i + 1);
        out.mutants[i].spec.id = buf;
    }
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out;
}

}  // namespace cluster
}  // namespace mutiny

#endif  // MUTINY_CLUSTER_NEURON_CLUSTERING_HPP_
