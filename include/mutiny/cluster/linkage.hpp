// Hierarchical agglomerative clustering with SciPy's output: linkage(...) returns the SciPy linkage
// matrix ((n-1) x 4 doubles per row: id1 < id2, distance, size; leaves are 0..n-1 and the cluster
// formed by row k is n+k), identical to scipy.cluster.hierarchy.linkage on the same input.
//
// Methods, following fastcluster / SciPy's _hierarchy.pyx:
//   single                           minimum spanning tree (Prim) on the distance matrix;
//   complete, average, weighted, ward nearest-neighbour chain with Lance-Williams updates;
//   centroid, median                 the generic algorithm (nearest-neighbour candidates + heap).
// MST and NN-chain find the merges out of order, so (like SciPy) their rows are stably sorted by
// distance and then labelled; centroid and median rows stay in merge order (they need not be
// monotone). Input is n vectors + a metric (the condensed matrix comes from cluster::pdist; ward,
// centroid and median require euclidean, as in SciPy) or a condensed distance matrix.
//
// Ties are broken exactly as SciPy breaks them, so tied inputs give SciPy's matrix too:
//   * every nearest-neighbour search scans candidates in increasing slot index and replaces the
//     current best only if strictly smaller: the lowest index among equal distances wins;
//   * NN-chain starts the search from x at the previous chain element (so a tie with it keeps it, and
//     the chain cannot cycle) and starts a new chain at the lowest active slot;
//   * a merge of slots x < y keeps slot y for the new cluster (x is dropped);
//   * rows with equal distances keep their merge order (stable sort);
//   * the generic algorithm's heap breaks ties by its array layout, as SciPy's heap does.
// The Lance-Williams updates are written with SciPy's order of operations so the rounding agrees.
// (Built with FMA contraction, e.g. -march=native, the last bit of an update may differ from
// SciPy's; results then still agree to ~1e-15 relative, but an exact tie may resolve differently.)
//
// Parts: linkage_methods.hpp (methods, Lance-Williams updates), linkage_store.hpp (distance
// layouts, nearest-neighbour scans), linkage_algorithms.hpp (MST, NN-chain, generic); this file
// turns merges into the SciPy matrix and holds the entry points.
#ifndef MUTINY_CLUSTER_LINKAGE_HPP_
#define MUTINY_CLUSTER_LINKAGE_HPP_

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "distance.hpp"
#include "linkage_algorithms.hpp"
#include "linkage_methods.hpp"
#include "linkage_store.hpp"

namespace mutiny {
namespace cluster {

// The SciPy emitter: merges (slots, in the order found) -> linkage matrix. With `sort`, rows are first
// stably sorted by distance (what SciPy does after MST and NN-chain). Then each row's slots are
// replaced by the ids of the clusters holding them (union-find; the row's new cluster is n + row),
// smaller id first, and the size is filled in.
inline LinkageMatrix to_scipy_linkage(std::vector<Merge> merges, int64_t n, bool sort) {
    if (sort)
        std::stable_sort(merges.begin(), merges.end(),
                         [](const Merge& p, const Merge& q) { return p.distance < q.distance; });
    LinkageMatrix out;
    out.n = n;
    out.z.resize(static_cast<size_t>(4 * (n - 1)));
    std::vector<int64_t> parent(static_cast<size_t>(2 * n - 1)), csize(static_cast<size_t>(2 * n - 1), 1);
    for (size_t i = 0; i < parent.size(); ++i) parent[i] = static_cast<int64_t>(i);
    auto find = [&](int64_t v) {
        int64_t r = v;
        while (parent[static_cast<size_t>(r)] != r) r = parent[static_cast<size_t>(r)];
        while (parent[static_cast<size_t>(v)] != r) {  // path compression
            const int64_t next = parent[static_cast<size_t>(v)];
            parent[static_cast<size_t>(v)] = r;
            v = next;
        }
        return r;
    };
    for (int64_t k = 0; k < n - 1; ++k) {
        const Merge& m = merges[static_cast<size_t>(k)];
        int64_t a = find(m.a), b = find(m.b);
        if (a > b) std::swap(a, b);
        const int64_t id = n + k;
        parent[static_cast<size_t>(a)] = parent[static_cast<size_t>(b)] = id;
        csize[static_cast<size_t>(id)] = csize[static_cast<size_t>(a)] + csize[static_cast<size_t>(b)];
        double* row = out.z.data() + 4 * k;
        row[0] = static_cast<double>(a);
        row[1] = static_cast<double>(b);
        row[2] = m.distance;
        row[3] = static_cast<double>(csize[static_cast<size_t>(id)]);
    }
    return out;
}

// Linkage of a condensed distance matrix (scipy.spatial.distance.pdist order) of any length
// n(n-1)/2, n >= 2. Errors: a length that is not n(n-1)/2, non-finite entries.
inline LinkageMatrix linkage_condensed(const double* condensed, int64_t len, Method method) {
    const int64_t n = condensed_num_obs(len);
    detail::check_condensed(condensed, len);
    return to_scipy_linkage(detail::run_on_condensed(condensed, n, method), n, detail::method_is_sorted(method));
}

inline LinkageMatrix linkage_condensed(const std::vector<double>& condensed, Method method) {
    return linkage_condensed(condensed.data(), static_cast<int64_t>(condensed.size()), method);
}

inline LinkageMatrix linkage_condensed(const std::vector<double>& condensed, const std::string& method) {
    return linkage_condensed(condensed, parse_method(method));
}

// Linkage of n vectors of dimension d (row-major). The distances are computed in parallel
// (cluster::pdist); ward, centroid and median need metric euclidean (an Error otherwise, as SciPy).
inline LinkageMatrix linkage(const double* x, int64_t n, int64_t d, Method method, Metric metric = Metric::euclidean) {
    if (method_needs_euclidean(method) && metric != Metric::euclidean)
        throw Error(std::string("method ") + method_name(method) + " with metric " + metric_name(metric), "cluster::linkage",
                    "ward, centroid and median are defined for Euclidean distances only");
    check_vectors(x, n, d);
    std::vector<Merge> merges;
    if (n <= detail::square_max_n()) {
        detail::BigBuffer buf(static_cast<size_t>(n * n));
        detail::pdist_square(x, n, d, metric, buf.data());
        detail::SquareStore st{buf.data(), n};
        merges = detail::run_method(st, n, method);
    } else {
        std::vector<double> D = pdist(x, n, d, metric);
        const std::vector<int64_t> rs = detail::row_starts(n);
        detail::CondensedStore st{D.data(), rs.data()};
        merges = detail::run_method(st, n, method);
    }
    return to_scipy_linkage(std::move(merges), n, detail::method_is_sorted(method));
}

inline LinkageMatrix linkage(const std::vector<double>& x, int64_t n, int64_t d, Method method,
                             Metric metric = Metric::euclidean) {
    if (n < 0 || d < 0 || static_cast<int64_t>(x.size()) != n * d)
        throw Error("vector data has " + std::to_string(x.size()) + " values", "cluster::linkage",
                    "expected n x d = " + std::to_string(n) + " x " + std::to_string(d));
    return linkage(x.data(), n, d, method, metric);
}

inline LinkageMatrix linkage(const std::vector<double>& x, int64_t n, int64_t d, const std::string& method,
                             const std::string& metric = "euclidean") {
    return linkage(x, n, d, parse_method(method), parse_metric(metric));
}

}  // namespace cluster
}  // namespace mutiny

#endif  // MUTINY_CLUSTER_LINKAGE_HPP_
