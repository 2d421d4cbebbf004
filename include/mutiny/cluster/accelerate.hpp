// Clustering-accelerated campaigns (docs/mutation.md, "Acceleration"): a plan (`neurons:s=3`,
// `mutants:threshold=0.3,features=behaviour`), what it turns a mutant list into, and the score
// estimate the accelerated run gives.
//
// Scores: for neuron clustering the cluster mutants are mutants in their own right (an operator
// applied to a whole cluster is one mutant), so the score is the usual one over them;
// the size-weighted variant (each cluster mutant counted once per neuron it holds) is reported
// beside it. For mutant clustering each representative stands for its cluster: its verdict and
// killed classes are counted |c| times (score estimate = sum_c kc(rep_c) |c| / (sum_c |c| x |C|)).
#ifndef MUTINY_CLUSTER_ACCELERATE_HPP_
#define MUTINY_CLUSTER_ACCELERATE_HPP_

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "../analysis/campaign.hpp"
#include "../analysis/scores.hpp"
#include "mutant_clustering.hpp"
#include "neuron_clustering.hpp"

namespace mutiny {
namespace cluster {

struct ClusterPlan {
    enum class Mode { none, neurons, mutants };
    Mode mode = Mode::none;
    int64_t s = 3;                // neurons: units per cluster (k = ceil(units / s))
    MutantClusterOptions mutants; // mutants: threshold, features, representative, probe, seed

    std::string str() const {
        if (mode == Mode::none) return "none";
        if (mode == Mode::neurons) return "neurons:s=" + std::to_string(s);
        char t[32];
        std::snprintf(t, sizeof t, "%g", mutants.threshold);
        std::string o = std::string("mutants:threshold=") + t + ",features=" + (mutants.features == MutantFeatures::weights ? "weights" : "behaviour") +
                        ",rep=" + (mutants.rep == Representative::medoid ? "medoid" : "random");
        if (mutants.features == MutantFeatures::behaviour) o += ",probe=" + std::to_string(mutants.probe);
        if (mutants.features == MutantFeatures::behaviour || mutants.rep == Representative::random) o += ",seed=" + std::to_string(mutants.seed);
        return o;
    }

    // neurons[:s=N] | mutants[:threshold=T][,features=weights|behaviour][,rep=medoid|random][,probe=P][,seed=S]
    static ClusterPlan parse(const std::string& text) {
        const std::string where = "--cluster '" + text + "'";
        const std::string syntax = "expected neurons:s=N or mutants:threshold=T[,features=weights|behaviour][,rep=medoid|random][,probe=P][,seed=S]";
        ClusterPlan p;
        const size_t colon = text.find(':');
        const std::string mode = text.substr(0, colon);
        if (mode == "neurons") p.mode = Mode::neurons;
        else if (mode == "mutants") p.mode = Mode::mutants;
        else throw Error("unknown clustering '" + mode + "'", where, syntax);
        const std::string rest = colon == std::string::npos ? "" : text.substr(colon + 1);
        auto number = [&](const std::string& key, const std::string& v) {
            char* end = nullptr;
            const double x = std::strtod(v.c_str(), &end);
            if (v.empty() || *end != '\0' || !std::isfinite(x)) throw Error("bad value for " + key + ": '" + v + "'", where, "expected a number");
            return x;
        };
        auto integer = [&](const std::string& key, const std::string& v) {
            return static_cast<int64_t>(mutate_detail::parse_u64(v, key, where));
        };
        size_t i = 0;
        while (!rest.empty() && i <= rest.size()) {
            size_t j = rest.find(',', i);
            if (j == std::string::npos) j = rest.size();
            const std::string item = rest.substr(i, j - i);
            i = j + 1;
            const size_t eq = item.find('=');
            if (eq == std::string::npos) throw Error("bad clustering option '" + item + "'", where, syntax);
            const std::string k = item.substr(0, eq), v = item.substr(eq + 1);
            if (p.mode == Mode::neurons && k == "s") {
                p.s = integer(k, v);
                if (p.s < 1) throw Error("s = 0", where, "s (units per cluster) must be >= 1");
            } else if (p.mode == Mode::mutants && k == "threshold") {
                p.mutants.threshold = number(k, v);
                if (!(p.mutants.threshold >= 0 && p.mutants.threshold <= 1))
                    throw Error("threshold " + v + " out of range", where, "the threshold is a distance in [0, 1]");
            } else if (p.mode == Mode::mutants && k == "features") {
                if (v == "weights") p.mutants.features = MutantFeatures::weights;
                else if (v == "behaviour" || v == "behavior") p.mutants.features = MutantFeatures::behaviour;
                else throw Error("unknown features '" + v + "'", where, "expected weights or behaviour");
            } else if (p.mode == Mode::mutants && k == "rep") {
                if (v == "medoid") p.mutants.rep = Representative::medoid;
                else if (v == "random") p.mutants.rep = Representative::random;
                else throw Error("unknown representative '" + v + "'", where, "expected medoid or random");
            } else if (p.mode == Mode::mutants && k == "probe") {
                p.mutants.probe = integer(k, v);
                if (p.mutants.probe < 1) throw Error("probe = 0", where, "the probe set needs at least 1 input");
            } else if (p.mode == Mode::mutants && k == "seed") {
                p.mutants.seed = static_cast<uint64_t>(integer(k, v));
            } else {
                throw Error("unknown option '" + k + "' for " + mode + " clustering", where, syntax);
            }
        }
        return p;
    }
};

// A dendrogram to draw: a linkage matrix, leaf labels and where it was cut.
struct Dendrogram {
    std::string title;
    LinkageMatrix Z;
    std::vector<std::string> leaves;  // n labels
    double cut = -1;                  // height of the cut line (< 0: none)
};

struct Acceleration {
    ClusterPlan plan;
    std::vector<Mutant> mutants;        // what runs
    std::vector<int64_t> represented;   // per mutant that runs: input mutants it stands for
    std::vector<std::vector<std::string>> members;  // mutant clustering: per mutant that runs, the ids it stands for
    int64_t input_mutants = 0;          // counted (ok) mutants of the exhaustive list
    int64_t input_listed = 0;           // every mutant of the exhaustive list
    int64_t clusters = 0;               // mutants that run and count
    double seconds = 0, probe_seconds = 0;
    std::vector<Dendrogram> dendrograms; // the largest few, largest first
};

namespace accel_detail {

// Height between the merges that leave k clusters (for drawing a maxclust cut).
inline double cut_height_for(const LinkageMatrix& Z, int64_t k) {
    const int64_t r = Z.rows();
    if (k <= 1 || r == 0) return -1;
    if (k > r) return Z.distance(0) / 2;
    const double lo = Z.distance(r - k), hi = Z.distance(r - k + 1);
    return (lo + hi) / 2;
}

}  // namespace accel_detail

inline Acceleration accelerate(const Graph& g, const std::vector<Mutant>& mutants, const ClusterPlan& plan, const Dataset* ds = nullptr,
                               const Recipe* recipe = nullptr, int threads = 0, size_t max_dendrograms = 3) {
    Acceleration a;
    a.plan = plan;
    a.input_listed = static_cast<int64_t>(mutants.size());
    for (const Mutant& m : mutants) a.input_mutants += m.status == MutantStatus::ok ? 1 : 0;
    if (plan.mode == ClusterPlan::Mode::none) {
        a.mutants = mutants;
        a.represented.assign(mutants.size(), 1);
    } else if (plan.mode == ClusterPlan::Mode::neurons) {
        NeuronClustering nc = cluster_neuron_mutants(g, mutants, plan.s);
        a.mutants = std::move(nc.mutants);
        a.represented = std::move(nc.represented);
        a.seconds = nc.seconds;
        std::sort(nc.layers.begin(), nc.layers.end(), [](const LayerClusters& x, const LayerClusters& y) { return x.units > y.units; });
        for (const LayerClusters& l : nc.layers) {
            if (a.dendrograms.size() >= max_dendrograms || l.Z.n < 2) continue;
            Dendrogram d;
            d.title = "Ward linkage of layer " + l.layer + " (" + std::to_string(l.units) + " units, " + std::to_string(l.clusters.size()) + " clusters)";
            d.Z = l.Z;
            for (int64_t u = 0; u < l.units; ++u) d.leaves.push_back(std::to_string(u));
            d.cut = accel_detail::cut_height_for(l.Z, static_cast<int64_t>(l.clusters.size()));
            a.dendrograms.push_back(std::move(d));
        }
    } else {
        MutantClusterOptions mo = plan.mutants;
        mo.threads = threads;
        MutantClustering mc = cluster_mutants(g, mutants, mo, ds, recipe);
        a.mutants = std::move(mc.mutants);
        a.represented = std::move(mc.represented);
        a.seconds = mc.seconds;
        a.probe_seconds = mc.probe_seconds;
        a.members.resize(mc.source.size());
        for (size_t k = 0; k < mc.clusters.size(); ++k) {
            const size_t run = static_cast<size_t>(std::lower_bound(mc.source.begin(), mc.source.end(), mc.reps[k]) - mc.source.begin());
            for (size_t i : mc.clusters[k]) a.members[run].push_back(mutants[i].spec.id);
        }
        std::sort(mc.groups.begin(), mc.groups.end(), [](const MutantGroup& x, const MutantGroup& y) { return x.members.size() > y.members.size(); });
        for (const MutantGroup& grp : mc.groups) {
            if (a.dendrograms.size() >= max_dendrograms) break;
            Dendrogram d;
            d.title = "Average linkage of " + grp.key + " (" + std::to_string(grp.members.size()) + " mutants)";
            d.Z = grp.Z;
            for (size_t i : grp.members) d.leaves.push_back(mutants[i].spec.id);
            d.cut = plan.mutants.threshold;
            a.dendrograms.push_back(std::move(d));
        }
    }
    for (const Mutant& m : a.mutants) a.clusters += m.status == MutantStatus::ok ? 1 : 0;
    return a;
}

// Scores with mutant i of the result counted weight[i] times (empty weights: once each).
// Equivalence (and invalidity) is a fact about one mutant, not a verdict on the others: when a
// representative turns out equivalent, it leaves the denominator alone and the other members of its
// cluster count as survivors with no killed class (kc(rep) = 0 in the estimate above, their |c| in
// the denominator). Without this, the medoid of a cluster of mutants that barely change the outputs,
// often an equivalent one, would drop the whole cluster from the score.
inline Score weighted_score(const CampaignResult& r, size_t d, size_t c, const std::vector<int64_t>& weight) {
    Score s;
    for (size_t i = 0; i < r.mutants.size(); ++i) {
        const int64_t w = weight.empty() ? 1 : weight[i];
        const Verdict v = r.verdict_of(i, d, c);
        const int64_t kc = r.killed_classes_of(i, d, c);
        const bool uncounted = v == Verdict::equivalent || v == Verdict::invalid || v == Verdict::not_applicable;
        s.add(v, kc, r.classes);
        for (int64_t k = 1; k < w; ++k) s.add(uncounted ? Verdict::survived : v, uncounted ? 0 : kc, r.classes);
    }
    return s;
}

// The score an accelerated run reports (see the header comment).
inline Score estimated_score(const CampaignResult& r, size_t d, size_t c, const Acceleration& a) {
    if (a.plan.mode == ClusterPlan::Mode::mutants) return weighted_score(r, d, c, a.represented);
    return weighted_score(r, d, c, {});
}

}  // namespace cluster
}  // namespace mutiny

#endif  // MUTINY_CLUSTER_ACCELERATE_HPP_
