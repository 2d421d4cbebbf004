// The three HAC algorithms, each producing the merges in the order it finds them: single linkage
// by Prim's minimum spanning tree, the nearest-neighbour chain (complete, average, weighted, ward)
// and the generic algorithm with a heap (centroid, median); run_method() picks one per method.
// Tie-breaking rules: linkage.hpp.
#ifndef MUTINY_CLUSTER_LINKAGE_ALGORITHMS_HPP_
#define MUTINY_CLUSTER_LINKAGE_ALGORITHMS_HPP_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "../core/parallel.hpp"
#include "distance.hpp"
#include "linkage_methods.hpp"
#include "linkage_store.hpp"

namespace mutiny {
namespace cluster {

namespace detail {

// Single linkage by Prim's algorithm (reads the distances only). Merges are (tree node, new node):
// x is the node added last, dmin[i] the distance from i to the tree; the next node is the closest,
// lowest slot first among ties.
template <class Store>
inline std::vector<Merge> mst_single(const Store& st, int64_t n) {
    std::vector<double> dmin(static_cast<size_t>(n), std::numeric_limits<double>::infinity());
    std::vector<int32_t> active = all_slots(n);
    std::vector<Merge> merges;
    merges.reserve(static_cast<size_t>(n - 1));
    double* dm = dmin.data();
    int64_t x = 0;
    for (int64_t k = 0; k < n - 1; ++k) {
        erase_slot(active, x);
        double best = std::numeric_limits<double>::infinity();
        int64_t y = -1;
        for_each_other(st, active, x, [&](int64_t i, double dist) {
            if (dm[i] > dist) dm[i] = dist;
            if (dm[i] < best) { best = dm[i]; y = i; }
        });
        if (y < 0) throw_no_neighbour(k);
        merges.push_back({x, y, best});
        x = y;
    }
    return merges;
}

// Nearest-neighbour chain for reducible methods (complete, average, weighted, ward); the store's
// distances are overwritten.
template <class Lw, class Store>
inline std::vector<Merge> nn_chain(Store& st, int64_t n) {
    std::vector<double> size(static_cast<size_t>(n), 1.0);
    UpdateScratch scratch(n);
    std::vector<int32_t> active = all_slots(n);
    std::vector<int64_t> chain;
    chain.reserve(static_cast<size_t>(n));
    std::vector<Merge> merges;
    merges.reserve(static_cast<size_t>(n - 1));
    const double inf = std::numeric_limits<double>::infinity();
    for (int64_t k = 0; k < n - 1; ++k) {
        if (chain.empty()) chain.push_back(active.front());
        int64_t x = 0, y = 0;
        double best = inf;
        for (;;) {
            x = chain.back();
            // Start from the previous chain element, so a tie with it keeps it and the chain
            // cannot cycle.
            const bool has_prev = chain.size() > 1;
            y = has_prev ? chain[chain.size() - 2] : -1;
            best = has_prev ? st.get(x, y) : inf;
            nearest(st, active, x, best, y);
            if (y < 0) throw_no_neighbour(k);
            if (has_prev && y == chain[chain.size() - 2]) break;
            chain.push_back(y);
        }
        chain.pop_back();
        chain.pop_back();
        if (x > y) std::swap(x, y);
        const double nx = size[static_cast<size_t>(x)], ny = size[static_cast<size_t>(y)];
        merges.push_back({x, y, best});
        size[static_cast<size_t>(x)] = 0.0;
        size[static_cast<size_t>(y)] = nx + ny;
        erase_slot(active, x);
        lw_update_all<Lw>(st, active, size, x, y, best, nx, ny, scratch);
    }
    return merges;
}

// SciPy's binary min-heap of (key, value) with keys 0..m-1; the exact sift rules matter because
// they decide which of two equal values comes out first.
class KeyHeap {
public:
    explicit KeyHeap(const std::vector<double>& values)
        : size_(static_cast<int64_t>(values.size())), values_(values) {
        index_by_key_.resize(values.size());
        key_by_index_.resize(values.size());
        for (size_t i = 0; i < values.size(); ++i) index_by_key_[i] = key_by_index_[i] = static_cast<int64_t>(i);
        for (int64_t i = size_ / 2 - 1; i >= 0; --i) sift_down(i);
    }
    int64_t min_key() const { return key_by_index_[0]; }
    double min_value() const { return values_[0]; }
    void remove_min() {
        swap(0, size_ - 1);
        --size_;
        sift_down(0);
    }
    void change_value(int64_t key, double value) {
        const int64_t index = index_by_key_[static_cast<size_t>(key)];
        const double old = values_[static_cast<size_t>(index)];
        values_[static_cast<size_t>(index)] = value;
        if (value < old) sift_up(index);
        else sift_down(index);
    }

private:
    void sift_up(int64_t index) {
        int64_t parent = (index - 1) >> 1;
        while (index > 0 && values_[static_cast<size_t>(parent)] > values_[static_cast<size_t>(index)]) {
            swap(index, parent);
            index = parent;
            parent = (index - 1) >> 1;
        }
    }
    void sift_down(int64_t index) {
        int64_t child = 2 * index + 1;
        while (child < size_) {
            if (child + 1 < size_ && values_[static_cast<size_t>(child + 1)] < values_[static_cast<size_t>(child)]) ++child;
            if (values_[static_cast<size_t>(index)] > values_[static_cast<size_t>(child)]) {
                swap(index, child);
                index = child;
                child = 2 * index + 1;
            } else {
                break;
            }
        }
    }
    void swap(int64_t i, int64_t j) {
        const size_t ui = static_cast<size_t>(i), uj = static_cast<size_t>(j);
        std::swap(values_[ui], values_[uj]);
        const int64_t ki = key_by_index_[ui], kj = key_by_index_[uj];
        key_by_index_[ui] = kj;
        key_by_index_[uj] = ki;
        index_by_key_[static_cast<size_t>(ki)] = j;
        index_by_key_[static_cast<size_t>(kj)] = i;
    }
    int64_t size_;
    std::vector<double> values_;
    std::vector<int64_t> index_by_key_, key_by_index_;
};

// The generic algorithm (Muellner 2011, as SciPy's fast_linkage) for centroid and median, whose
// distances may shrink after a merge: neighbor[x] is a candidate among higher slots and min_dist[x]
// a lower bound, refreshed lazily when x reaches the top of the heap. Distances are overwritten.
template <class Lw, class Store>
inline std::vector<Merge> generic_linkage(Store& st, int64_t n) {
    std::vector<double> size(static_cast<size_t>(n), 1.0);
    UpdateScratch scratch(n);
    std::vector<int32_t> active = all_slots(n);
    std::vector<int64_t> neighbor(static_cast<size_t>(n - 1));
    std::vector<double> min_dist(static_cast<size_t>(n - 1));
    const double inf = std::numeric_limits<double>::infinity();

    // Nearest active slot above x (lowest slot among ties).
    auto find_min = [&](int64_t x, int64_t step, int64_t& y, double& dist) {
        dist = inf;
        y = -1;
        auto it = std::upper_bound(active.begin(), active.end(), static_cast<int32_t>(x));
        const double* rowx = st.row(x);
        for (; it != active.end(); ++it) {
            const double v = rowx[*it];
            if (v < dist) { dist = v; y = *it; }
        }
        if (y < 0) throw_no_neighbour(step);
    };

    for (int64_t x = 0; x < n - 1; ++x) find_min(x, 0, neighbor[static_cast<size_t>(x)], min_dist[static_cast<size_t>(x)]);
    KeyHeap heap(min_dist);

    std::vector<Merge> merges;
    merges.reserve(static_cast<size_t>(n - 1));
    for (int64_t k = 0; k < n - 1; ++k) {
        int64_t x = 0, y = 0;
        double dist = 0;
        // At most n - k refreshes find the closest pair (a fixed bound rather than "until found", as
        // in SciPy, so that rounding can never make it loop).
        for (int64_t i = 0; i < n - k; ++i) {
            x = heap.min_key();
            dist = heap.min_value();
            y = neighbor[static_cast<size_t>(x)];
            if (dist == st.get(x, y)) break;
            find_min(x, k, y, dist);
            neighbor[static_cast<size_t>(x)] = y;
            min_dist[static_cast<size_t>(x)] = dist;
            heap.change_value(x, dist);
        }
        heap.remove_min();
        const double nx = size[static_cast<size_t>(x)], ny = size[static_cast<size_t>(y)];
        merges.push_back({x, y, dist});
        size[static_cast<size_t>(x)] = 0.0;
        size[static_cast<size_t>(y)] = nx + ny;
        erase_slot(active, x);
        lw_update_all<Lw>(st, active, size, x, y, dist, nx, ny, scratch);
        // Candidates that pointed at x now point at the merged cluster in y (a guess, checked later).
        for (const int32_t z : active) {
            if (z >= x) break;
            if (neighbor[static_cast<size_t>(z)] == x) neighbor[static_cast<size_t>(z)] = y;
        }
        // The merged cluster may be closer than a slot's lower bound.
        for (const int32_t z : active) {
            if (z >= y) break;
            const double v = st.get(z, y);
            if (v < min_dist[static_cast<size_t>(z)]) {
                neighbor[static_cast<size_t>(z)] = y;
                min_dist[static_cast<size_t>(z)] = v;
                heap.change_value(z, v);
            }
        }
        if (y < n - 1) {
            int64_t z = -1;
            double v = inf;
            find_min(y, k, z, v);
            neighbor[static_cast<size_t>(y)] = z;
            min_dist[static_cast<size_t>(y)] = v;
            heap.change_value(y, v);
        }
    }
    return merges;
}

inline bool method_is_sorted(Method m) { return m != Method::centroid && m != Method::median; }

inline void check_condensed(const double* D, int64_t len) {
    for (int64_t p = 0; p < len; ++p)
        if (!std::isfinite(D[p]))
            throw Error("non-finite distance " + std::to_string(D[p]), "condensed distance matrix entry " + std::to_string(p),
                        "distances must be finite numbers");
}

template <class Store>
inline std::vector<Merge> run_method(Store& st, int64_t n, Method method) {
    switch (method) {
        case Method::single: return mst_single(st, n);
        case Method::complete: return nn_chain<LwComplete>(st, n);
        case Method::average: return nn_chain<LwAverage>(st, n);
        case Method::weighted: return nn_chain<LwWeighted>(st, n);
        case Method::ward: return nn_chain<LwWard>(st, n);
        case Method::centroid: return generic_linkage<LwCentroid>(st, n);
        case Method::median: return generic_linkage<LwMedian>(st, n);
    }
    return {};
}

// Runs `method` on a copy of the condensed matrix, in the square layout when it fits.
inline std::vector<Merge> run_on_condensed(const double* condensed, int64_t n, Method method) {
    const int64_t len = condensed_size(n);
    if (n <= square_max_n()) {
        BigBuffer buf(static_cast<size_t>(n * n));
        double* S = buf.data();
        const std::vector<int64_t> rs = row_starts(n);
        // Row blocks in parallel: each fills its rows and their mirror columns.
        parallel_chunks(n, grain_for(n, n), [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) {
                S[i * n + i] = 0.0;
                const double* src = condensed + rs[static_cast<size_t>(i)];
                for (int64_t j = i + 1; j < n; ++j) S[i * n + j] = src[j];
                for (int64_t j = 0; j < i; ++j) S[i * n + j] = condensed[rs[static_cast<size_t>(j)] + i];
            }
        });
        SquareStore st{S, n};
        return run_method(st, n, method);
    }
    std::vector<double> D(condensed, condensed + len);
    const std::vector<int64_t> rs = row_starts(n);
    CondensedStore st{D.data(), rs.data()};
    return run_method(st, n, method);
}

}  // namespace detail

}  // namespace cluster
}  // namespace mutiny

#endif  // MUTINY_CLUSTER_LINKAGE_ALGORITHMS_HPP_
