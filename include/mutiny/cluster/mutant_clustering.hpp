// Mutant clustering (DeepMAACC's approach 2, docs/mutation.md): mutants are clustered by
// average-linkage HAC on distances cut at a threshold; only one representative per cluster runs,
// and its verdict stands for the cluster.
//
// Features, each scaled so that a distance lies in [0, 1] and thresholds mean the same on every
// layer and model:
//  * weights (DeepMAACC): the mutated units' incoming weights and bias, min-max scaled per layer
//    (as neuron clustering); distance = Euclidean / sqrt(dim), the RMS difference of scaled features.
//    Mutants are clustered within (operator, parameters, seed, layer, number of units): features of
//    different layers do not share a space, and on one neuron CW and NAI would otherwise be at
//    distance 0. Mutants without unit targets (graph, kernel, GF on a whole layer) stay alone.
//  * behaviour: the mutant's softmax outputs on a seeded probe subset of the data (P inputs);
//    distance = Euclidean / sqrt(2 P), i.e. the RMS over probe inputs of the L2 distance between
//    probability vectors (at most sqrt 2 each). Mutants are clustered within (operator,
//    parameters): behaviour is comparable across layers. A mutant that fails or gives NaN/Inf on
//    the probe stays alone. The probe runs count in the clustering time.
// Representative: the medoid (least summed distance to its cluster; ties: the first mutant) or a
// seeded random member.
#ifndef MUTINY_CLUSTER_MUTANT_CLUSTERING_HPP_
#define MUTINY_CLUSTER_MUTANT_CLUSTERING_HPP_

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "../analysis/campaign.hpp"
#include "distance.hpp"
#include "fcluster.hpp"
#include "linkage.hpp"
#include "neuron_clustering.hpp"

namespace mutiny {
namespace cluster {

enum class MutantFeatures { weights, behaviour };
enum class Representative { medoid, random };

struct MutantClusterOptions {
    double threshold = 0.3;  // in [0, 1]: see the header comment for what a distance is
    MutantFeatures features = MutantFeatures::weights;
    Representative rep = Representative::medoid;
    int64_t probe = 100;     // behaviour: probe inputs
    uint64_t seed = 0;       // probe subset and random representatives
    int threads = 0;         // behaviour probe runs
};

struct MutantGroup {
    std::string key;             // what the members share
    std::vector<size_t> members; // indices into the input mutants, ascending
    LinkageMatrix Z;             // average linkage of the members (n = 0 for a single member)
};

struct MutantClustering {
    MutantClusterOptions opt;
    std::vector<MutantGroup> groups;             // groups of two or more mutants with features
    std::vector<std::vector<size_t>> clusters;   // input mutant indices, ascending; by first member
    std::vector<size_t> reps;                    // per cluster: its representative
    std::vector<Mutant> mutants;                 // what runs: representatives and non-ok mutants, input order
    std::vector<int64_t> represented;            // per mutant that runs: how many input mutants it stands for
    std::vector<size_t> source;                  // per mutant that runs: its input index
    int64_t input_mutants = 0;
    double seconds = 0;                          // everything, probe runs included
    double probe_seconds = 0;
};

namespace mutant_detail {

inline std::string params_key(const Mutant& m) {
    std::string k = m.spec.op;
    for (const auto& kv : m.spec.params) k += " " + kv.first + "=" + kv.second;
    return k;
}

// Weight features of mutant m (empty when it has none); key receives its group.
inline std::vector<double> weight_features(const Graph& g, const Mutant& m, std::map<int, std::pair<std::vector<double>, int64_t>>& layer_cache,
                                           std::string& key) {
    if (m.family != "neuron") return {};
    Target t;
    try {
        t = parse_target(g, m.spec.target);
    } catch (const std::exception&) {
        return {};
    }
    if (t.kind != Target::Kind::node || !t.has_units || t.units.empty()) return {};
    auto it = layer_cache.find(t.node);
    if (it == layer_cache.end()) {
        const LayerWeights L = mutate_neuron::layer_weights(g, t.node);
        if (!L.na.empty()) return {};
        int64_t dim = 0;
        std::vector<double> x = neuron_features(g, L, dim);
        it = layer_cache.emplace(t.node, std::make_pair(std::move(x), dim)).first;
    }
    const std::vector<double>& x = it->second.first;
    const int64_t dim = it->second.second;
    std::vector<double> f;
    const double root = std::sqrt(static_cast<double>(dim * static_cast<int64_t>(t.units.size())));
    for (int64_t u : t.units)
        for (int64_t k = 0; k < dim; ++k) f.push_back(x[static_cast<size_t>(u * dim + k)] / root);
    key = params_key(m) + " seed=" + std::to_string(m.spec.seed) + " layer=" + mutate_detail::node_label(g, t.node) + " units=" + std::to_string(t.units.size());
    return f;
}

// Softmax rows of a [P, C] output, flattened and scaled by 1 / sqrt(2 P); empty when non-finite.
inline std::vector<double> behaviour_signature(const Tensor& out) {
    const int64_t P = out.shape()[0], C = out.shape()[1];
    const float* z = out.data<float>();
    std::vector<double> f(static_cast<size_t>(P * C));
    const double scale = 1.0 / std::sqrt(2.0 * static_cast<double>(P));
    for (int64_t i = 0; i < P; ++i) {
        double mx = -INFINITY;
        for (int64_t c = 0; c < C; ++c) {
            const double v = z[i * C + c];
            if (!std::isfinite(v)) return {};
            mx = std::max(mx, v);
        }
        double sum = 0;
        for (int64_t c = 0; c < C; ++c) sum += std::exp(static_cast<double>(z[i * C + c]) - mx);
        for (int64_t c = 0; c < C; ++c) f[static_cast<size_t>(i * C + c)] = std::exp(static_cast<double>(z[i * C + c]) - mx) / sum * scale;
    }
    return f;
}

}  // namespace mutant_detail

// Clusters `mutants` (as enumerate_mutants gives them) and picks the representatives that run.
// ds and recipe are read only for behaviour features.
inline MutantClustering cluster_mutants(const Graph& g, const std::vector<Mutant>& mutants, const MutantClusterOptions& opt, const Dataset* ds = nullptr,
                                        const Recipe* recipe = nullptr) {
    using namespace mutant_detail;
    const auto t0 = std::chrono::steady_clock::now();
    if (!(opt.threshold >= 0.0 && opt.threshold <= 1.0))
        throw Error("mutant clustering threshold " + std::to_string(opt.threshold), "mutant clustering",
                    "the threshold is a distance in [0, 1] (scaled features)");
    MutantClustering out;
    out.opt = opt;
    out.input_mutants = static_cast<int64_t>(mutants.size());
    const size_t M = mutants.size();
    std::vector<std::vector<double>> feat(M);
    std::vector<std::string> key(M);
    if (opt.features == MutantFeatures::weights) {
        std::map<int, std::pair<std::vector<double>, int64_t>> cache;
        for (size_t i = 0; i < M; ++i)
            if (mutants[i].status == MutantStatus::ok) feat[i] = weight_features(g, mutants[i], cache, key[i]);
    } else {
        if (!ds || !recipe) throw Error("behaviour features need the data set", "mutant clustering", "pass the data set and its recipe");
        if (opt.probe < 1) throw Error("probe size " + std::to_string(opt.probe), "mutant clustering", "the probe set needs at least 1 input");
        if (g.outputs.size() != 1)
            throw Error("behaviour features need a classifier with one output", "mutant clustering", "graph '" + g.name + "'");
        const auto p0 = std::chrono::steady_clock::now();
        const std::vector<size_t> idx = sample_indices(ds->size(), static_cast<size_t>(opt.probe), opt.seed);
        CpuCampaignDevice dev(g, opt.threads, true);
        dev.begin_batch(make_inputs(*ds, idx, *recipe, input_slots(g)));
        for (size_t i = 0; i < M; ++i) {
            if (mutants[i].status != MutantStatus::ok) continue;
            try {
                const Outcome o = evaluate_mutant(g, mutants[i].spec);
                if (o.status != MutantStatus::ok) continue;
                const std::vector<Tensor> y = dev.run_mutant(i, o.mutation);
                if (y.size() != 1 || y[0].dtype() != DType::f32 || y[0].shape().rank() != 2) continue;
                feat[i] = behaviour_signature(y[0]);
                if (!feat[i].empty()) key[i] = params_key(mutants[i]);
            } catch (const std::exception&) {
                feat[i].clear();  // fails on the probe: it runs on its own (and crashes there, with the reason)
            }
        }
        dev.end_batch();
        out.probe_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - p0).count();
    }
    // Groups, then clusters per group; mutants without features are clusters of one.
    std::map<std::string, std::vector<size_t>> by;
    std::vector<size_t> alone;
    for (size_t i = 0; i < M; ++i) {
        if (mutants[i].status != MutantStatus::ok) continue;
        if (feat[i].empty()) alone.push_back(i);
        else by[key[i]].push_back(i);
    }
    for (size_t i : alone) {
        out.clusters.push_back({i});
        out.reps.push_back(i);
    }
    for (auto& kv : by) {
        const std::vector<size_t>& mem = kv.second;
        if (mem.size() == 1) {
            out.clusters.push_back(mem);
            out.reps.push_back(mem[0]);
            continue;
        }
        const int64_t n = static_cast<int64_t>(mem.size()), d = static_cast<int64_t>(feat[mem[0]].size());
        std::vector<double> x(static_cast<size_t>(n * d));
        for (int64_t a = 0; a < n; ++a) std::copy(feat[mem[static_cast<size_t>(a)]].begin(), feat[mem[static_cast<size_t>(a)]].end(), x.begin() + a * d);
        const std::vector<double> D = pdist(x, n, d, Metric::euclidean);
        MutantGroup grp;
        grp.key = kv.first;
        grp.members = mem;
        grp.Z = linkage_condensed(D, Method::average);
        for (const auto& cl : groups_of_labels(fcluster_distance(grp.Z, opt.threshold))) {
            std::vector<size_t> c;
            for (int64_t a : cl) c.push_back(mem[static_cast<size_t>(a)]);
            size_t rep = c[0];
            if (opt.rep == Representative::medoid) {
                double best = INFINITY;
                for (int64_t a : cl) {
                    double s = 0;
                    for (int64_t b : cl)
                        if (a != b) s += D[static_cast<size_t>(condensed_index(n, std::min(a, b), std::max(a, b)))];
                    if (s < best) {
                        best = s;
                        rep = mem[static_cast<size_t>(a)];
                    }
                }
            } else {
                MutationRng rng(mix_seed(opt.seed, "representative/" + kv.first + "/" + std::to_string(c[0])));
                rep = c[static_cast<size_t>(rng.below(c.size()))];
            }
            out.clusters.push_back(std::move(c));
            out.reps.push_back(rep);
        }
        out.groups.push_back(std::move(grp));
    }
    // Clusters by first member; then the run list in input order.
    std::vector<size_t> order(out.clusters.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return out.clusters[a].front() < out.clusters[b].front(); });
    std::vector<std::vector<size_t>> cl;
    std::vector<size_t> reps;
    for (size_t k : order) {
        cl.push_back(std::move(out.clusters[k]));
        reps.push_back(out.reps[k]);
    }
    out.clusters = std::move(cl);
    out.reps = std::move(reps);
    std::vector<int64_t> weight(M, 0);
    for (size_t i = 0; i < M; ++i)
        if (mutants[i].status != MutantStatus::ok) weight[i] = 1;
    for (size_t k = 0; k < out.clusters.size(); ++k) weight[out.reps[k]] = static_cast<int64_t>(out.clusters[k].size());
    for (size_t i = 0; i < M; ++i)
        if (weight[i] > 0) {
            out.mutants.push_back(mutants[i]);
            out.represented.push_back(weight[i]);
            out.source.push_back(i);
        }
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out;
}

}  // namespace cluster
}  // namespace mutiny

#endif  // MUTINY_CLUSTER_MUTANT_CLUSTERING_HPP_
