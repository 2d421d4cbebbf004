// Where the HAC loops keep the cluster distances (the square or the condensed layout), the
// active-slot bookkeeping, the nearest-neighbour scan and the batched Lance-Williams update of a
// row after a merge. Used by linkage_algorithms.hpp.
#ifndef MUTINY_CLUSTER_LINKAGE_STORE_HPP_
#define MUTINY_CLUSTER_LINKAGE_STORE_HPP_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "linkage_methods.hpp"

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace mutiny {
namespace cluster {

namespace detail {

// A large uninitialised buffer of doubles. On Linux it asks for transparent huge pages: the
// clustering loops walk matrix columns, and with 4 KiB pages every step of such a walk is a TLB miss
// (and the first touch of each page a fault).
class BigBuffer {
public:
    explicit BigBuffer(size_t count) {
        const size_t bytes = std::max<size_t>(count * sizeof(double), sizeof(double));
#if defined(__linux__)
        constexpr size_t huge = size_t{2} << 20;
        if (bytes >= huge) {
            const size_t rounded = (bytes + huge - 1) / huge * huge;
            if (void* p = std::aligned_alloc(huge, rounded)) {
                madvise(p, rounded, MADV_HUGEPAGE);  // a hint: failure only costs speed
                data_ = static_cast<double*>(p);
                return;
            }
        }
#endif
        data_ = static_cast<double*>(std::malloc(bytes));
        if (!data_) throw std::bad_alloc();
    }
    ~BigBuffer() { std::free(data_); }
    BigBuffer(const BigBuffer&) = delete;
    BigBuffer& operator=(const BigBuffer&) = delete;
    double* data() { return data_; }

private:
    double* data_ = nullptr;
};

// Where the loops keep the cluster distances. Two layouts, one interface:
//   SquareStore     the full symmetric n x n matrix: every row is contiguous, so each nearest-
//                   neighbour scan is a sequential walk (twice the memory of the condensed form);
//   CondensedStore  SciPy's condensed upper triangle (half the memory; the part of a row left of
//                   the diagonal is a strided column walk, a cache miss per element).
// linkage() picks the square layout up to square_max_n() points (16384: 2 GiB); tests lower it to
// run the condensed layout too (both give identical results).
inline int64_t& square_max_n() {
    static int64_t limit = 16384;
    return limit;
}

struct SquareStore {
    static constexpr bool kFullRows = true;
    double* S;
    int64_t n;
    const double* row(int64_t x) const { return S + x * n; }  // row(x)[i] = D(x, i) for every i
    double get(int64_t i, int64_t j) const { return S[i * n + j]; }
};

struct CondensedStore {
    static constexpr bool kFullRows = false;
    double* D;
    const int64_t* rs;  // D[rs[i] + j] is the pair (i, j) for i < j
    const double* row(int64_t x) const { return D + rs[x]; }  // row(x)[i] = D(x, i) for i > x only
    double get(int64_t i, int64_t j) const { return i < j ? D[rs[i] + j] : D[rs[j] + i]; }
};

inline std::vector<int64_t> row_starts(int64_t n) {
    std::vector<int64_t> rs(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) rs[static_cast<size_t>(i)] = i * n - i * (i + 1) / 2 - i - 1;
    return rs;
}

// Active slots in increasing order; removing one shifts the tail (O(n), like the O(n) scan that
// follows each merge), which keeps every scan a contiguous, increasing walk over the active slots.
inline void erase_slot(std::vector<int32_t>& active, int64_t x) {
    auto it = std::lower_bound(active.begin(), active.end(), static_cast<int32_t>(x));
    if (it != active.end() && *it == x) active.erase(it);
}

inline std::vector<int32_t> all_slots(int64_t n) {
    std::vector<int32_t> a(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) a[static_cast<size_t>(i)] = static_cast<int32_t>(i);
    return a;
}

// Calls f(i, d) with d = D(x, i) for every active i != x, in increasing i.
template <class Store, class F>
inline void for_each_other(const Store& st, const std::vector<int32_t>& active, int64_t x, F&& f) {
    const int32_t* a = active.data();
    const size_t m = active.size();
    const size_t px = static_cast<size_t>(std::lower_bound(active.begin(), active.end(), static_cast<int32_t>(x)) - active.begin());
    const double* rowx = st.row(x);
    if (Store::kFullRows) {
        for (size_t p = 0; p < px; ++p) f(a[p], rowx[a[p]]);
    } else {
        for (size_t p = 0; p < px; ++p) f(a[p], st.get(a[p], x));
    }
    for (size_t p = (px < m && a[px] == x) ? px + 1 : px; p < m; ++p) f(a[p], rowx[a[p]]);
}

// Nearest active neighbour of x. Scans in increasing slot order and replaces the best only if
// strictly smaller: among equal distances the lowest slot (or the given start y) wins.
template <class Store>
inline void nearest(const Store& st, const std::vector<int32_t>& active, int64_t x, double& best, int64_t& y) {
    const int32_t* a = active.data();
    const size_t m = active.size();
    const size_t px = static_cast<size_t>(std::lower_bound(active.begin(), active.end(), static_cast<int32_t>(x)) - active.begin());
    const double* rowx = st.row(x);
    double b = best;
    int64_t yy = y;
    if (Store::kFullRows) {
        for (size_t p = 0; p < px; ++p) {
            const double v = rowx[a[p]];
            if (v < b) { b = v; yy = a[p]; }
        }
    } else {
        for (size_t p = 0; p < px; ++p) {
            const double v = st.get(a[p], x);
            if (v < b) { b = v; yy = a[p]; }
        }
    }
    for (size_t p = (px < m && a[px] == x) ? px + 1 : px; p < m; ++p) {
        const double v = rowx[a[p]];
        if (v < b) { b = v; yy = a[p]; }
    }
    best = b;
    y = yy;
}

// After x (dropped) and y (kept, x < y) merged at distance dxy: D(i, y) = Lance-Williams update of
// D(i, x), D(i, y) for every active i != y (x already removed from `active`).
// Scratch rows for the batched update, allocated once per run.
struct UpdateScratch {
    std::vector<double> dx, dy, ni, out;
    explicit UpdateScratch(int64_t n)
        : dx(static_cast<size_t>(n)), dy(static_cast<size_t>(n)), ni(static_cast<size_t>(n)), out(static_cast<size_t>(n)) {}
};

// Gather, compute, scatter: the middle passes are plain loops over contiguous arrays that compilers
// vectorise (divisions included), and the square roots go four at a time; a scalar loop spends most
// of its time waiting for one sqrt and one division per element. (Splitting a row across threads
// was tried: one synchronisation per merge costs more than it saves, badly so on a loaded machine.)
template <class Lw>
inline void lw_update_all(SquareStore& st, const std::vector<int32_t>& active, const std::vector<double>& size, int64_t x,
                          int64_t y, double dxy, double nx, double ny, UpdateScratch& sc) {
    const int64_t n = st.n;
    const double* rowx = st.S + x * n;
    double* rowy = st.S + y * n;
    double* coly = st.S + y;
    const double* sz = size.data();
    const int32_t* a = active.data();
    double* gx = sc.dx.data();
    double* gy = sc.dy.data();
    double* gn = sc.ni.data();
    double* out = sc.out.data();
    const int64_t m = static_cast<int64_t>(active.size());
    auto chunk = [&](int64_t b, int64_t e) {
        for (int64_t p = b; p < e; ++p) {
            const int64_t i = a[p];
#if defined(__GNUC__)
            // Ask for the mirror entry's cache line now (for writing): by the scatter below it has
            // arrived, instead of each store waiting for its own miss.
            __builtin_prefetch(coly + i * n, 1, 0);
#endif
            gx[p] = rowx[i];
            gy[p] = rowy[i];
            gn[p] = sz[i];
        }
        for (int64_t p = b; p < e; ++p) out[p] = Lw::arg(gx[p], gy[p], dxy, nx, ny, gn[p]);
        if (Lw::kSqrt) sqrt_inplace(out + b, static_cast<size_t>(e - b));
        for (int64_t p = b; p < e; ++p) {
            const int64_t i = a[p];
            if (i == y) continue;  // computed from the zero diagonal, never stored
            rowy[i] = out[p];
            coly[i * n] = out[p];  // the mirror entry; this column walk is the price of contiguous scans
        }
    };
    chunk(0, m);
}

template <class Lw>
inline void lw_update_all(CondensedStore& st, const std::vector<int32_t>& active, const std::vector<double>& size, int64_t x,
                          int64_t y, double dxy, double nx, double ny, UpdateScratch&) {
    double* D = st.D;
    const int64_t* rs = st.rs;
    const double* sz = size.data();
    const int32_t* a = active.data();
    const size_t m = active.size();
    size_t p = 0;
    for (; p < m && a[p] < x; ++p) {
        const int64_t i = a[p];
        double& dy = D[rs[i] + y];
        dy = lw_update<Lw>(D[rs[i] + x], dy, dxy, nx, ny, sz[i]);
    }
    const double* rowx = D + rs[x];
    for (; p < m && a[p] < y; ++p) {
        const int64_t i = a[p];
        double& dy = D[rs[i] + y];
        dy = lw_update<Lw>(rowx[i], dy, dxy, nx, ny, sz[i]);
    }
    if (p < m && a[p] == y) ++p;
    double* rowy = D + rs[y];
    for (; p < m; ++p) {
        const int64_t i = a[p];
        rowy[i] = lw_update<Lw>(rowx[i], rowy[i], dxy, nx, ny, sz[i]);
    }
}

[[noreturn]] inline void throw_no_neighbour(int64_t step) {
    throw Error("no finite nearest neighbour", "linkage step " + std::to_string(step),
                "the distances contain NaN (for centroid/median: distances that are not Euclidean)");
}

}  // namespace detail

}  // namespace cluster
}  // namespace mutiny

#endif  // MUTINY_CLUSTER_LINKAGE_STORE_HPP_
