// The HAC methods (single, complete, average, weighted, ward, centroid, median) as data: their
// names, the merge record the algorithms produce (Merge), the SciPy linkage matrix (LinkageMatrix)
// and each method's Lance-Williams update, written with SciPy's order of operations so the rounding
// agrees. The algorithms that use them: linkage_algorithms.hpp; the entry points: linkage.hpp.
#ifndef MUTINY_CLUSTER_LINKAGE_METHODS_HPP_
#define MUTINY_CLUSTER_LINKAGE_METHODS_HPP_

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "../core/error.hpp"

#if defined(__AVX__) || defined(__SSE2__)
#include <immintrin.h>
#endif

namespace mutiny {
namespace cluster {

enum class Method { single, complete, average, weighted, ward, centroid, median };

inline const char* method_name(Method m) {
    switch (m) {
        case Method::single: return "single";
        case Method::complete: return "complete";
        case Method::average: return "average";
        case Method::weighted: return "weighted";
        case Method::ward: return "ward";
        case Method::centroid: return "centroid";
        case Method::median: return "median";
    }
    return "?";
}

inline Method parse_method(const std::string& s) {
    for (Method m : {Method::single, Method::complete, Method::average, Method::weighted, Method::ward,
                     Method::centroid, Method::median})
        if (s == method_name(m)) return m;
    throw Error("unknown linkage method '" + s + "'", "cluster::parse_method",
                "supported: single, complete, average, weighted, ward, centroid, median");
}

// Methods whose Lance-Williams update is only meaningful for Euclidean distances (SciPy refuses
// them with another metric when given vectors).
inline bool method_needs_euclidean(Method m) {
    return m == Method::ward || m == Method::centroid || m == Method::median;
}

// One merge as the algorithms find it: the clusters held in slots a and b (a slot is the index of
// one of the cluster's points) joined at `distance`. The neutral result, before any output format.
struct Merge {
    int64_t a;
    int64_t b;
    double distance;
};

// The SciPy linkage matrix, row-major (n-1) x 4.
struct LinkageMatrix {
    int64_t n = 0;          // number of observations
    std::vector<double> z;  // rows: id1, id2, distance, size

    int64_t rows() const { return n > 0 ? n - 1 : 0; }
    double operator()(int64_t row, int col) const { return z[static_cast<size_t>(row * 4 + col)]; }
    int64_t id1(int64_t row) const { return static_cast<int64_t>((*this)(row, 0)); }
    int64_t id2(int64_t row) const { return static_cast<int64_t>((*this)(row, 1)); }
    double distance(int64_t row) const { return (*this)(row, 2); }
    int64_t size(int64_t row) const { return static_cast<int64_t>((*this)(row, 3)); }
};

namespace detail {

// Lance-Williams updates: the distance from cluster i to the union of x and y, given d(x,i),
// d(y,i), d(x,y) and the sizes (as doubles: exact below 2^53). Same expressions and evaluation
// order as SciPy. arg() is everything but the final square root (kSqrt), so that the square
// roots of a whole row can be taken with vector instructions; update() is the complete formula.
struct LwSingle {
    static constexpr bool kSqrt = false;
    static double arg(double dxi, double dyi, double, double, double, double) { return std::min(dxi, dyi); }
};
struct LwComplete {
    static constexpr bool kSqrt = false;
    static double arg(double dxi, double dyi, double, double, double, double) { return std::max(dxi, dyi); }
};
struct LwAverage {
    static constexpr bool kSqrt = false;
    static double arg(double dxi, double dyi, double, double nx, double ny, double) { return (nx * dxi + ny * dyi) / (nx + ny); }
};
struct LwWeighted {
    static constexpr bool kSqrt = false;
    static double arg(double dxi, double dyi, double, double, double, double) { return 0.5 * (dxi + dyi); }
};
struct LwWard {
    static constexpr bool kSqrt = true;
    static double arg(double dxi, double dyi, double dxy, double nx, double ny, double ni) {
        const double t = 1.0 / (nx + ny + ni);
        return (ni + nx) * t * dxi * dxi + (ni + ny) * t * dyi * dyi - ni * t * dxy * dxy;
    }
};
struct LwCentroid {
    static constexpr bool kSqrt = true;
    static double arg(double dxi, double dyi, double dxy, double nx, double ny, double) {
        return ((nx * dxi * dxi + ny * dyi * dyi) - nx * ny * dxy * dxy / (nx + ny)) / (nx + ny);
    }
};
struct LwMedian {
    static constexpr bool kSqrt = true;
    static double arg(double dxi, double dyi, double dxy, double, double, double) {
        return 0.5 * (dxi * dxi + dyi * dyi) - 0.25 * dxy * dxy;
    }
};

template <class Lw>
inline double lw_update(double dxi, double dyi, double dxy, double nx, double ny, double ni) {
    const double a = Lw::arg(dxi, dyi, dxy, nx, ny, ni);
    return Lw::kSqrt ? std::sqrt(a) : a;
}

// v[p] = sqrt(v[p]) for p < m. Vector square roots are correctly rounded like the scalar one, so
// the result does not depend on which path computed an element.
inline void sqrt_inplace(double* v, size_t m) {
    size_t p = 0;
#if defined(__AVX__)
    for (; p + 4 <= m; p += 4) _mm256_storeu_pd(v + p, _mm256_sqrt_pd(_mm256_loadu_pd(v + p)));
#elif defined(__SSE2__)
    for (; p + 2 <= m; p += 2) _mm_storeu_pd(v + p, _mm_sqrt_pd(_mm_loadu_pd(v + p)));
#endif
    for (; p < m; ++p) v[p] = std::sqrt(v[p]);
}

}  // namespace detail

}  // namespace cluster
}  // namespace mutiny

#endif  // MUTINY_CLUSTER_LINKAGE_METHODS_HPP_
