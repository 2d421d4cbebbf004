// Helpers shared by op implementations: numeric casts that treat f16 as float, broadcasting
// index arithmetic, and the kernel-level mutation sites (comparisons and stores).
#ifndef MUTINY_OPS_COMMON_HPP_
#define MUTINY_OPS_COMMON_HPP_

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "op.hpp"

namespace mutiny {

// Arithmetic type of a storage type: f16 computes in float, everything else in itself.
template <class T> struct compute_type { using type = T; };
template <> struct compute_type<half> { using type = float; };
template <class T> using compute_t = typename compute_type<T>::type;

template <class T> inline compute_t<T> load(T v) { return static_cast<compute_t<T>>(v); }
template <class T, class C> inline T store_as(C v) {
    if constexpr (std::is_same_v<T, half>) return half(static_cast<float>(v));
    else return static_cast<T>(v);
}

// Calls f(T{}) for the float storage types (f32, f16, f64); any other dtype is refused, naming
// `where` (the node).
template <class F>
void dispatch_float(DType t, const std::string& where, F&& f) {
    switch (t) {
        case DType::f32: f(float{}); return;
        case DType::f16: f(half{}); return;
        case DType::f64: f(double{}); return;
        default: throw Error("unsupported dtype", where, std::string(dtype_name(t)) + "; a float type is required");
    }
}

// --- kernel-level mutation sites (docs/mutation.md) ------------------------------------------
// A comparison written `a < b` (LT site) or `a > b` (GT site) in a kernel goes through these, so
// a SiteConfig can swap the comparator or shift the threshold; the default is the plain test.
// The right-hand side of a comparison after the configured threshold shift (computed in C, the
// kernel's arithmetic type, so every backend rounds the same way).
template <class C>
inline C site_shift(const SiteConfig* s, C b) {
    const C t = static_cast<C>(s->threshold);
    switch (s->shift) {
        case SiteConfig::Shift::none: return b;
        case SiteConfig::Shift::add: return static_cast<C>(b + t);
        case SiteConfig::Shift::sub: return static_cast<C>(b - t);
        case SiteConfig::Shift::mul: return static_cast<C>(b * t);
        case SiteConfig::Shift::div: return static_cast<C>(b / t);
        case SiteConfig::Shift::add_percent: return static_cast<C>(b + (b < C(0) ? -b : b) * t / C(100));
        case SiteConfig::Shift::sub_percent: return static_cast<C>(b - (b < C(0) ? -b : b) * t / C(100));
    }
    return b;
}
template <class C>
inline bool site_lt(const SiteConfig* s, C a, C b) {
    if (!s) return a < b;
    const C bb = site_shift(s, b);
    switch (s->cmp) {
        case SiteConfig::Cmp::lt_to_le: return a <= bb;
        case SiteConfig::Cmp::lt_to_gt: return a > bb;
        default: return a < bb;
    }
}
template <class C>
inline bool site_gt(const SiteConfig* s, C a, C b) {
    if (!s) return a > b;
    const C bb = site_shift(s, b);
    switch (s->cmp) {
        case SiteConfig::Cmp::gt_to_lt: return a < bb;
        case SiteConfig::Cmp::gt_to_ge: return a >= bb;
        default: return a > bb;
    }
}
template <class I>
inline float saturate_trunc(float v) {
    if (std::isnan(v)) return 0.0f;
    const double t = std::trunc(static_cast<double>(v));
    const double lo = static_cast<double>(std::numeric_limits<I>::min());
    const double hi = static_cast<double>(std::numeric_limits<I>::max());
    return static_cast<float>(static_cast<I>(t < lo ? lo : (t > hi ? hi : t)));
}
// A value stored by a kernel passes through this: identity unless a store mutation is set.
inline float site_store(const SiteConfig* s, float v) {
    if (!s) return v;
    switch (s->store) {
        case SiteConfig::Store::none: return v;
        case SiteConfig::Store::f16: return static_cast<float>(half(v));
        case SiteConfig::Store::i32: return saturate_trunc<int32_t>(v);
        case SiteConfig::Store::i16: return saturate_trunc<int16_t>(v);
        case SiteConfig::Store::i8: return saturate_trunc<int8_t>(v);
        case SiteConfig::Store::sub_eps: return v - 1e-8f;
        case SiteConfig::Store::mul_eps: return v * (1.0f + 1e-8f);
    }
    return v;
}
inline void site_store_all(const SiteConfig* s, float* p, int64_t n) {
    if (!s || s->store == SiteConfig::Store::none) return;
    for (int64_t i = 0; i < n; ++i) p[i] = site_store(s, p[i]);
}
inline const SiteConfig* active_sites(const SiteConfig& s) { return s.is_default() ? nullptr : &s; }

}  // namespace mutiny

#endif  // MUTINY_OPS_COMMON_HPP_
