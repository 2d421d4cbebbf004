// Pooling: MaxPool and AveragePool (1D, 2D, 3D; strides, pads, dilations, ceil_mode, auto_pad),
// GlobalAveragePool, GlobalMaxPool, and LRN (cross-channel local response normalisation).
//
// One kernel serves 1D, 2D and 3D: spatial dimensions are padded to three with leading size-1
// dimensions. Each output element is computed by exactly one chunk, its taps visited in a fixed
// order (depth, height, width), so results do not depend on the thread count. Averages are summed
// in double and rounded once.
//
// Semantics follow the ONNX operator docs (opset 22): with explicit pads the output size is
// floor((in + pad_begin + pad_end - ((k - 1) * d + 1)) / s + 1), or ceil(...) under ceil_mode,
// where the last window must start inside the input or the left padding (else it is dropped);
// SAME_UPPER / SAME_LOWER give ceil(in / s) with the odd padding at the end / the beginning;
// VALID gives floor((in - ((k - 1) * d + 1)) / s) + 1. Taps in the padding never enter a max;
// AveragePool divides by the taps inside the input (count_include_pad=0) or by the taps inside
// the input and its explicit padding (count_include_pad=1; taps beyond the padding that ceil_mode
// adds are never counted).
//
// Kernel-level sites: the max comparison is a GT site (site_gt), f32 results pass through
// site_store, and reduction_drop_last drops the last tap of every window (the last term of every
// sum or max). Without active sites the plain fast path runs.
#ifndef MUTINY_OPS_POOL_HPP_
#define MUTINY_OPS_POOL_HPP_

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "../core/parallel.hpp"
#include "common.hpp"

namespace mutiny {
namespace pool {

// Geometry of one pooling node, spatial dimensions padded to 3 (leading size-1 dimensions).
struct Geometry {
    int64_t n = 0, c = 0;
    int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1}, d[3] = {1, 1, 1};
    int64_t pb[3] = {0, 0, 0}, pe[3] = {0, 0, 0};
    int64_t in_plane() const { return in[0] * in[1] * in[2]; }
    int64_t out_plane() const { return out[0] * out[1] * out[2]; }
};

inline std::vector<int64_t> ints_attr(const Attributes& a, const char* name, size_t n, int64_t def, int64_t min_value,
                                      const std::string& where) {
    if (!a.has(name)) return std::vector<int64_t>(n, def);
    std::vector<int64_t> v = a.get_ints(name);
    if (v.size() != n)
        throw Error(std::string("attribute '") + name + "' has the wrong length", where,
                    std::to_string(v.size()) + " values, " + std::to_string(n) + " expected");
    for (auto x : v)
        if (x < min_value)
            throw Error(std::string("attribute '") + name + "' out of range", where,
                        std::to_string(x) + " is below " + std::to_string(min_value));
    return v;
}

// Output shape and effective padding of MaxPool / AveragePool for input shape x.
inline Geometry geometry(const Attributes& a, const Shape& x, const std::string& where) {
    if (x.rank() < 3 || x.rank() > 5)
        throw Error("unsupported pooling input rank", where,
                    "input has shape " + x.str() + "; pooling takes [N, C, D1 (, D2 (, D3))]");
    const size_t nsp = x.rank() - 2;
    if (!a.has("kernel_shape")) throw Error("missing attribute 'kernel_shape'", where, "pooling needs a kernel shape");
    const auto k = ints_attr(a, "kernel_shape", nsp, 1, 1, where);
    const auto s = ints_attr(a, "strides", nsp, 1, 1, where);
    const auto d = ints_attr(a, "dilations", nsp, 1, 1, where);
    const auto p = ints_attr(a, "pads", 2 * nsp, 0, 0, where);
    const std::string auto_pad = a.get_string("auto_pad", "NOTSET");
    const bool ceil_mode = a.get_int("ceil_mode", 0) != 0;
    if (auto_pad != "NOTSET" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER" && auto_pad != "VALID")
        throw Error("unknown auto_pad '" + auto_pad + "'", where, "expected NOTSET, SAME_UPPER, SAME_LOWER or VALID");
    Geometry g;
    g.n = x[0];
    g.c = x[1];
    const size_t off = 3 - nsp;
    for (size_t i = 0; i < nsp; ++i) {
        const size_t j = off + i;
        const int64_t in = x[2 + i];
        const int64_t eff = (k[i] - 1) * d[i] + 1;
        g.in[j] = in;
        g.k[j] = k[i];
        g.s[j] = s[i];
        g.d[j] = d[i];
        if (auto_pad == "NOTSET") {
            g.pb[j] = p[i];
            g.pe[j] = p[nsp + i];
            if (g.pb[j] >= eff || g.pe[j] >= eff)
                throw Error("pooling pad not smaller than the kernel", where,
                            "pads " + std::to_string(g.pb[j]) + "," + std::to_string(g.pe[j]) + " for a window of " +
                                std::to_string(eff) + " along spatial axis " + std::to_string(i));
            const int64_t span = in + g.pb[j] + g.pe[j] - eff;
            if (span < 0)
                throw Error("pooling window larger than the padded input", where,
                            "window " + std::to_string(eff) + " over " + std::to_string(in + g.pb[j] + g.pe[j]) +
                                " along spatial axis " + std::to_string(i));
            int64_t o = ceil_mode ? (span + s[i] - 1) / s[i] + 1 : span / s[i] + 1;
            // The last window must start inside the input or its left padding.
            if (ceil_mode && (o - 1) * s[i] >= in + g.pb[j]) --o;
            g.out[j] = o;
        } else if (auto_pad == "VALID") {
            if (in < eff)
                throw Error("pooling window larger than the input", where,
                            "window " + std::to_string(eff) + " over " + std::to_string(in) + " with auto_pad VALID");
            g.out[j] = (in - eff) / s[i] + 1;
        } else {
            g.out[j] = (in + s[i] - 1) / s[i];
            const int64_t total = std::max<int64_t>(0, (g.out[j] - 1) * s[i] + eff - in);
            if (auto_pad == "SAME_UPPER") {
                g.pb[j] = total / 2;
                g.pe[j] = total - g.pb[j];
            } else {
                g.pe[j] = total / 2;
                g.pb[j] = total - g.pe[j];
            }
        }
    }
    return g;
}

inline Shape output_shape(const Geometry& g, size_t rank) {
    std::vector<int64_t> dims{g.n, g.c};
    for (size_t j = 3 - (rank - 2); j < 3; ++j) dims.push_back(g.out[j]);
    return Shape(std::move(dims));
}

// Per spatial axis and output index: the first and one-past-last tap inside the input, the taps
// inside the input or its explicit padding, and the first input coordinate.
struct Taps {
    std::vector<int64_t> lo, hi, incl, start;
};
inline Taps taps_of(const Geometry& g, int j) {
    Taps t;
    const int64_t n = g.out[j], k = g.k[j], s = g.s[j], d = g.d[j], in = g.in[j];
    t.lo.resize(static_cast<size_t>(n));
    t.hi.resize(static_cast<size_t>(n));
    t.incl.resize(static_cast<size_t>(n));
    t.start.resize(static_cast<size_t>(n));
    for (int64_t o = 0; o < n; ++o) {
        const int64_t st = o * s - g.pb[j];
        const int64_t lo = st < 0 ? std::min(k, (-st + d - 1) / d) : 0;
        const int64_t hi = in - 1 - st >= 0 ? std::min(k, (in - 1 - st) / d + 1) : 0;
        const int64_t lim = in + g.pe[j] - 1 - st;
        const int64_t incl = lim >= 0 ? std::min(k, lim / d + 1) : 0;
        const size_t u = static_cast<size_t>(o);
        t.start[u] = st;
        t.lo[u] = lo;
        t.hi[u] = std::max(lo, hi);
        t.incl[u] = incl;
    }
    return t;
}

enum class Kind { max, avg };

// One pooling kernel for a storage type T. Rows are (plane, od, oh); each row writes out[2] values.
template <class T, Kind K, bool Sites>
void run_pool(const Geometry& g, const Taps* tp, bool count_include_pad, const SiteConfig* sites, const T* x, T* y) {
    using C = compute_t<T>;
    using Acc = std::conditional_t<K == Kind::max, C, double>;
    const Acc init = K == Kind::avg ? Acc(0)
                     : std::numeric_limits<Acc>::has_infinity ? -std::numeric_limits<Acc>::infinity()
                                                              : std::numeric_limits<Acc>::lowest();
    const int64_t od_n = g.out[0], oh_n = g.out[1], ow_n = g.out[2];
    const int64_t ih_n = g.in[1], iw_n = g.in[2];
    const int64_t rows = g.n * g.c * od_n * oh_n;
    const int64_t in_plane = g.in_plane();
    const int64_t taps = g.k[0] * g.k[1] * g.k[2];
    const Taps &t0 = tp[0], &t1 = tp[1], &t2 = tp[2];
    const int64_t d0 = g.d[0], d1 = g.d[1], d2 = g.d[2], k2 = g.k[2], st2 = g.s[2];
    // Outputs [fa, fb) along the last axis have every tap inside the input. Without sites they are
    // computed together, tap by tap (the same order of operations per output, vectorisable).
    int64_t fa = 0, fb = 0;
    if constexpr (!Sites) {
        while (fa < ow_n && !(t2.lo[static_cast<size_t>(fa)] == 0 && t2.hi[static_cast<size_t>(fa)] == k2)) ++fa;
        fb = fa;
        while (fb < ow_n && t2.lo[static_cast<size_t>(fb)] == 0 && t2.hi[static_cast<size_t>(fb)] == k2) ++fb;
    }
    parallel_chunks(rows, grain_for(rows, ow_n * taps + 1), [&](int64_t rb, int64_t re) {
        std::vector<Acc> acc(static_cast<size_t>(fb - fa));
        // Row r = (plane, od, oh), stepped without divisions (rows are short).
        int64_t oh = rb % oh_n, od = (rb / oh_n) % od_n, plane = rb / (oh_n * od_n);
        for (int64_t r = rb; r < re; ++r, ++oh) {
            if (oh == oh_n) {
                oh = 0;
                if (++od == od_n) {
                    od = 0;
                    ++plane;
                }
            }
            const T* xp = x + plane * in_plane;
            T* yp = y + r * ow_n;
            const size_t ud = static_cast<size_t>(od), uh = static_cast<size_t>(oh);
            const int64_t lo0 = t0.lo[ud], hi0 = t0.hi[ud], s0 = t0.start[ud];
            const int64_t lo1 = t1.lo[uh], hi1 = t1.hi[uh], s1 = t1.start[uh];
            auto finish = [&](Acc a, size_t uw, int64_t taps_in) {
                C res;
                if constexpr (K == Kind::max) {
                    res = a;
                } else {
                    const int64_t count = count_include_pad ? t0.incl[ud] * t1.incl[uh] * t2.incl[uw] : taps_in;
                    res = static_cast<C>(a / static_cast<double>(count));
                }
                if constexpr (Sites && std::is_same_v<T, float>) res = site_store(sites, res);
                return store_as<T>(res);
            };
            for (int64_t ow = 0; ow < ow_n; ++ow) {
                if (ow == fa && fb > fa) {
                    ow = fb - 1;
                    continue;
                }
                const size_t uw = static_cast<size_t>(ow);
                const int64_t lo2 = t2.lo[uw], hi2 = t2.hi[uw], s2 = t2.start[uw];
                const int64_t taps_in = (hi0 - lo0) * (hi1 - lo1) * (hi2 - lo2);
                // Under reduction_drop_last the last tap of the window is skipped.
                int64_t budget = taps_in;
                if constexpr (Sites) {
                    if (sites->reduction_drop_last) --budget;
                }
                Acc a = init;
                bool first = true;
                for (int64_t j0 = lo0; j0 < hi0; ++j0) {
                    const T* p0 = xp + (s0 + j0 * d0) * ih_n * iw_n;
                    for (int64_t j1 = lo1; j1 < hi1; ++j1) {
                        const T* p1 = p0 + (s1 + j1 * d1) * iw_n + s2;
                        for (int64_t j2 = lo2; j2 < hi2; ++j2) {
                            if constexpr (Sites) {
                                if (budget-- <= 0) break;
                            }
                            const C v = load(p1[j2 * d2]);
                            if constexpr (K == Kind::max) {
                                // NaN inputs are skipped, as ONNX's reference does. A mutated
                                // comparison starts from the first value (so `<` gives a min).
                                if constexpr (Sites) {
                                    if (site_gt(sites, v, a) || (first && v == v)) {
                                        a = v;
                                        first = false;
                                    }
                                } else {
                                    a = v > a ? v : a;
                                }
                            } else {
                                a += static_cast<double>(v);
                            }
                        }
                    }
                }
                yp[ow] = finish(a, uw, taps_in);
            }
            if constexpr (!Sites) {
                if (fb > fa) {
                    Acc* ap = acc.data();
                    const int64_t n = fb - fa;
                    std::fill(acc.begin(), acc.end(), init);
                    for (int64_t j0 = lo0; j0 < hi0; ++j0) {
                        const T* p0 = xp + (s0 + j0 * d0) * ih_n * iw_n;
                        for (int64_t j1 = lo1; j1 < hi1; ++j1) {
                            const T* p1 = p0 + (s1 + j1 * d1) * iw_n + t2.start[static_cast<size_t>(fa)];
                            for (int64_t j2 = 0; j2 < k2; ++j2) {
                                const T* q = p1 + j2 * d2;
                                // The stride as a constant where it is 1 or 2: the loop vectorises.
                                auto taps_row = [&](auto stride) {
                                    for (int64_t i = 0; i < n; ++i) {
                                        const C v = load(q[i * stride]);
                                        if constexpr (K == Kind::max) ap[i] = v > ap[i] ? v : ap[i];
                                        else ap[i] += static_cast<double>(v);
                                    }
                                };
                                if (st2 == 1) taps_row(std::integral_constant<int64_t, 1>{});
                                else if (st2 == 2) taps_row(std::integral_constant<int64_t, 2>{});
                                else taps_row(st2);
                            }
                        }
                    }
                    const int64_t taps_in = (hi0 - lo0) * (hi1 - lo1) * k2;
                    for (int64_t i = 0; i < n; ++i) yp[fa + i] = finish(ap[i], static_cast<size_t>(fa + i), taps_in);
                }
            }
        }
    });
}

inline bool is_pool_dtype(DType t, Kind k) {
    if (dtype_is_float(t)) return true;
    return k == Kind::max && (t == DType::u8 || t == DType::i8);
}

template <Kind K>
void infer_pool(InferContext& c) {
    const char* name = K == Kind::max ? "MaxPool" : "AveragePool";
    c.expect_inputs(1, 1);
    if (c.node().outputs.size() > 1) {
        if (K == Kind::max)
            c.fail("unsupported MaxPool Indices output", "MaxPool indices output not supported; use output 0 only");
        c.fail("wrong number of outputs", std::string(name) + " has one output");
    }
    if (!is_pool_dtype(c.dtype(0), K))
        c.fail(std::string("unsupported ") + name + " dtype",
               std::string("input is ") + dtype_name(c.dtype(0)) +
                   (K == Kind::max ? "; f32, f16, f64, u8 and i8 are supported" : "; a float type is required"));
    const Geometry g = geometry(c.attrs(), c.shape(0), c.where());
    c.set_output(0, c.dtype(0), output_shape(g, c.shape(0).rank()));
}

template <Kind K>
Kernel prepare_pool(const PrepareContext& pc) {
    const Geometry g = geometry(pc.attrs(), pc.in[0].shape, pc.where());
    auto taps = std::make_shared<std::vector<Taps>>();
    for (int j = 0; j < 3; ++j) taps->push_back(taps_of(g, j));
    const bool cip = pc.attrs().get_int("count_include_pad", 0) != 0;
    const SiteConfig sites = pc.sites;
    const bool plain = sites.is_default();
    const DType dt = pc.in[0].dtype;
    return [g, taps, cip, sites, plain, dt](ExecContext& c) {
        const Tensor& x = c.input(0);
        Tensor& y = *c.out[0];
        auto go = [&](auto tag) {
            using T = decltype(tag);
            const T* xp = static_cast<const T*>(x.raw());
            T* yp = static_cast<T*>(y.raw());
            if (plain) run_pool<T, K, false>(g, taps->data(), cip, nullptr, xp, yp);
            else run_pool<T, K, true>(g, taps->data(), cip, &sites, xp, yp);
        };
        switch (dt) {
            case DType::f32: go(float{}); break;
            case DType::f16: go(half{}); break;
            case DType::f64: go(double{}); break;
            case DType::u8:
                if constexpr (K == Kind::max) {
                    go(uint8_t{});
                    break;
                }
                [[fallthrough]];
            case DType::i8:
                if constexpr (K == Kind::max) {
                    go(int8_t{});
                    break;
                }
                [[fallthrough]];
            default: throw Error("unsupported pooling dtype", Graph::where(*c.node), dtype_name(dt));
        }
    };
}

inline const bool registered_maxpool = Registry::instance().add(OpDef{
    "MaxPool", nullptr, infer_pool<Kind::max>, prepare_pool<Kind::max>});
inline const bool registered_averagepool = Registry::instance().add(OpDef{
    "AveragePool", nullptr, infer_pool<Kind::avg>, prepare_pool<Kind::avg>});

// ---- global pooling -----------------------------------------------------------------------------

template <Kind K>
void infer_global(InferContext& c) {
    c.expect_inputs(1, 1);
    c.expect_float(0);
    const Shape& x = c.shape(0);
    if (x.rank() < 2) c.fail("global pooling input has rank < 2", "input has shape " + x.str() + "; expected [N, C, ...]");
    std::vector<int64_t> dims = x.dims();
    for (size_t i = 2; i < dims.size(); ++i) dims[i] = 1;
    c.set_output(0, c.dtype(0), Shape(std::move(dims)));
}

template <class T, Kind K, bool Sites>
void run_global(int64_t planes, int64_t size, const SiteConfig* sites, const T* x, T* y) {
    using C = compute_t<T>;
    parallel_chunks(planes, grain_for(planes, size + 1), [&](int64_t b, int64_t e) {
        for (int64_t p = b; p < e; ++p) {
            const T* xp = x + p * size;
            int64_t n = size;
            if constexpr (Sites) {
                if (sites->reduction_drop_last && n > 0) --n;
            }
            C res;
            if constexpr (K == Kind::max) {
                C best = -std::numeric_limits<C>::infinity();
                bool first = true;
                for (int64_t i = 0; i < n; ++i) {
                    const C v = load(xp[i]);
                    if constexpr (Sites) {
                        if (site_gt(sites, v, best) || (first && v == v)) {
                            best = v;
                            first = false;
                        }
                    } else {
                        best = v > best ? v : best;
                    }
                }
                res = best;
            } else {
                double sum = 0;
                for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(load(xp[i]));
                res = static_cast<C>(sum / static_cast<double>(size));
            }
            if constexpr (Sites && std::is_same_v<T, float>) res = site_store(sites, res);
            y[p] = store_as<T>(res);
        }
    });
}

template <Kind K>
Kernel prepare_global(const PrepareContext& pc) {
    const SiteConfig sites = pc.sites;
    const bool plain = sites.is_default();
    return [sites, plain](ExecContext& c) {
        const Tensor& x = c.input(0);
        const int64_t planes = x.shape().rank() >= 2 ? x.shape()[0] * x.shape()[1] : 1;
        const int64_t size = x.shape().product(2, x.shape().rank());
        auto go = [&](auto tag) {
            using T = decltype(tag);
            const T* xp = static_cast<const T*>(x.raw());
            T* yp = static_cast<T*>(c.out[0]->raw());
            if (plain) run_global<T, K, false>(planes, size, nullptr, xp, yp);
            else run_global<T, K, true>(planes, size, &sites, xp, yp);
        };
        switch (x.dtype()) {
            case DType::f32: go(float{}); break;
            case DType::f16: go(half{}); break;
            case DType::f64: go(double{}); break;
            default: throw Error("unsupported global pooling dtype", Graph::where(*c.node), dtype_name(x.dtype()));
        }
    };
}

inline const bool registered_globalaveragepool = Registry::instance().add(OpDef{
    "GlobalAveragePool", nullptr, infer_global<Kind::avg>, prepare_global<Kind::avg>});
inline const bool registered_globalmaxpool = Registry::instance().add(OpDef{
    "GlobalMaxPool", nullptr, infer_global<Kind::max>, prepare_global<Kind::max>});

// ---- LRN ----------------------------------------------------------------------------------------
// y = x / (bias + alpha / size * square_sum) ^ beta, square_sum over the channels
// [c - floor((size - 1) / 2), c + ceil((size - 1) / 2)] clipped to [0, C - 1], summed in ascending
// channel order in the compute type (as ONNX's reference does).

struct LrnParams {
    int64_t size = 0;
    double alpha = 1e-4, beta = 0.75, bias = 1.0;
};

inline LrnParams lrn_params(const Attributes& a, const std::string& where) {
    LrnParams p;
    if (!a.has("size")) throw Error("missing attribute 'size'", where, "LRN needs the number of channels to sum over");
    p.size = a.get_int("size", 0);
    if (p.size < 1) throw Error("LRN size must be positive", where, "size = " + std::to_string(p.size));
    p.alpha = a.get_float("alpha", 1e-4);
    p.beta = a.get_float("beta", 0.75);
    p.bias = a.get_float("bias", 1.0);
    return p;
}

template <class T, bool Sites>
void run_lrn(const LrnParams& prm, const Shape& shape, const SiteConfig* sites, const T* x, T* y) {
    using C = compute_t<T>;
    const int64_t n = shape[0], ch = shape[1];
    const int64_t sp = shape.product(2, shape.rank());
    const int64_t before = (prm.size - 1) / 2, after = prm.size - 1 - before;
    const C factor = static_cast<C>(prm.alpha / static_cast<double>(prm.size));
    const C bias = static_cast<C>(prm.bias), beta = static_cast<C>(prm.beta);
    const int64_t rows = n * ch;
    parallel_chunks(rows, grain_for(rows, sp * (prm.size + 8)), [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
            const int64_t c = r % ch;
            const T* base = x + (r - c) * sp;
            const int64_t c0 = std::max<int64_t>(0, c - before);
            int64_t c1 = std::min<int64_t>(ch - 1, c + after) + 1;
            if constexpr (Sites) {
                if (sites->reduction_drop_last && c1 > c0) --c1;
            }
            for (int64_t i = 0; i < sp; ++i) {
                C sq = 0;
                for (int64_t k = c0; k < c1; ++k) {
                    const C v = load(base[k * sp + i]);
                    sq += v * v;
                }
                C res = load(x[r * sp + i]) / std::pow(bias + factor * sq, beta);
                if constexpr (Sites && std::is_same_v<T, float>) res = site_store(sites, res);
                y[r * sp + i] = store_as<T>(res);
            }
        }
    });
}

inline const bool registered_lrn = Registry::instance().add(OpDef{
    "LRN", nullptr,
    [](InferContext& c) {
        c.expect_inputs(1, 1);
        c.expect_float(0);
        if (c.shape(0).rank() < 3) c.fail("LRN input has rank < 3", "input has shape " + c.shape(0).str() + "; expected [N, C, D1, ...]");
        lrn_params(c.attrs(), c.where());
        c.set_output(0, c.dtype(0), c.shape(0));
    },
    [](const PrepareContext& pc) -> Kernel {
        const LrnParams prm = lrn_params(pc.attrs(), pc.where());
        const SiteConfig sites = pc.sites;
        const bool plain = sites.is_default();
        return [prm, sites, plain](ExecContext& c) {
            const Tensor& x = c.input(0);
            auto go = [&](auto tag) {
                using T = decltype(tag);
                const T* xp = static_cast<const T*>(x.raw());
                T* yp = static_cast<T*>(c.out[0]->raw());
                if (plain) run_lrn<T, false>(prm, x.shape(), nullptr, xp, yp);
                else run_lrn<T, true>(prm, x.shape(), &sites, xp, yp);
            };
            switch (x.dtype()) {
                case DType::f32: go(float{}); break;
                case DType::f16: go(half{}); break;
                case DType::f64: go(double{}); break;
                default: throw Error("unsupported LRN dtype", Graph::where(*c.node), dtype_name(x.dtype()));
            }
        };
    }});

}  // namespace pool
}  // namespace mutiny

#endif  // MUTINY_OPS_POOL_HPP_
