// MaxPool and AveragePool (1D, 2D, 3D; strides, pads, dilations, ceil_mode, auto_pad); see
// geometry.hpp for the semantics. The max comparison is a GT site, f32 results a store site, and
// the window a reduction site.
#ifndef MUTINY_OPS_POOL_POOL_HPP_
#define MUTINY_OPS_POOL_POOL_HPP_

#include <cmath>
#include <limits>
#include <type_traits>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "geometry.hpp"
#if MUTINY_WITH_OPENCL
#include "../../exec/opencl/planner.hpp"
#endif

namespace mutiny {
namespace pool {

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

// MaxPool with its Indices output: the flat index of each maximum in x, row-major
// (storage_order 0) or with the spatial axes column-major (1), as ONNX's reference numbers them;
// the window's first tap is taken, then each later tap greater than the maximum so far, as in
// ONNX's reference (so a NaN in the first tap stays). A plain loop: the Indices output is rare (MaxUnpool's
// input) and not worth the fast path's vectorisation. Sites as in run_pool.
template <class T>
void run_pool_indices(const Geometry& g, const Taps* tp, bool col_major, const SiteConfig* sites, const T* x, T* y, int64_t* yi) {
    using C = compute_t<T>;
    const C init = std::numeric_limits<C>::has_infinity ? -std::numeric_limits<C>::infinity() : std::numeric_limits<C>::lowest();
    const int64_t out_plane = g.out_plane(), in_plane = g.in_plane();
    // Element strides of the three padded spatial axes in the numbering of the indices.
    const int64_t st[3] = {col_major ? 1 : g.in[1] * g.in[2], col_major ? g.in[0] : g.in[2], col_major ? g.in[0] * g.in[1] : 1};
    const int64_t rows = g.n * g.c * out_plane;
    parallel_chunks(rows, grain_for(rows, g.k[0] * g.k[1] * g.k[2] + 1), [&](int64_t rb, int64_t re) {
        for (int64_t r = rb; r < re; ++r) {
            const int64_t plane = r / out_plane, o = r % out_plane;
            const size_t u[3] = {static_cast<size_t>(o / (g.out[1] * g.out[2])), static_cast<size_t>((o / g.out[2]) % g.out[1]),
                                 static_cast<size_t>(o % g.out[2])};
            int64_t budget = (tp[0].hi[u[0]] - tp[0].lo[u[0]]) * (tp[1].hi[u[1]] - tp[1].lo[u[1]]) * (tp[2].hi[u[2]] - tp[2].lo[u[2]]);
            if (sites && sites->reduction_drop_last) --budget;
            C a = init;
            int64_t best = -1;
            for (int64_t j0 = tp[0].lo[u[0]]; j0 < tp[0].hi[u[0]]; ++j0)
                for (int64_t j1 = tp[1].lo[u[1]]; j1 < tp[1].hi[u[1]]; ++j1)
                    for (int64_t j2 = tp[2].lo[u[2]]; j2 < tp[2].hi[u[2]] && budget-- > 0; ++j2) {
                        const int64_t i0 = tp[0].start[u[0]] + j0 * g.d[0], i1 = tp[1].start[u[1]] + j1 * g.d[1],
                                      i2 = tp[2].start[u[2]] + j2 * g.d[2];
                        const C v = load(x[plane * in_plane + (i0 * g.in[1] + i1) * g.in[2] + i2]);
                        if (best < 0 || (sites ? site_gt(sites, v, a) : v > a)) {
                            a = v;
                            best = plane * in_plane + i0 * st[0] + i1 * st[1] + i2 * st[2];
                        }
                    }
            C res = a;
            if constexpr (std::is_same_v<T, float>) res = site_store(sites, res);
            y[r] = store_as<T>(res);
            yi[r] = best;
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
    if (c.node().outputs.size() > (K == Kind::max ? 2u : 1u))
        c.fail("wrong number of outputs", std::string(name) + (K == Kind::max ? " has two outputs (Y, Indices)" : " has one output"));
    const int64_t order = c.attrs().get_int("storage_order", 0);
    if (order != 0 && order != 1) c.fail("attribute 'storage_order' out of range", std::to_string(order) + " given; 0 (row major) or 1 (column major)");
    if (!is_pool_dtype(c.dtype(0), K))
        c.fail(std::string("unsupported ") + name + " dtype",
               std::string("input is ") + dtype_name(c.dtype(0)) +
                   (K == Kind::max ? "; f32, f16, f64, u8 and i8 are supported" : "; a float type is required"));
    const Geometry g = geometry(c.attrs(), c.shape(0), c.where());
    c.set_output(0, c.dtype(0), output_shape(g, c.shape(0).rank()));
    if (c.node().outputs.size() > 1) c.set_output(1, DType::i64, output_shape(g, c.shape(0).rank()));
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
    const bool indices = pc.node->outputs.size() > 1 && pc.node->outputs[1] >= 0;
    const bool col_major = pc.attrs().get_int("storage_order", 0) == 1;
    return [g, taps, cip, sites, plain, dt, indices, col_major](ExecContext& c) {
        const Tensor& x = c.input(0);
        Tensor& y = *c.out[0];
        auto go = [&](auto tag) {
            using T = decltype(tag);
            const T* xp = static_cast<const T*>(x.raw());
            T* yp = static_cast<T*>(y.raw());
            if constexpr (K == Kind::max) {
                if (indices) return run_pool_indices<T>(g, taps->data(), col_major, plain ? nullptr : &sites, xp, yp, c.out[1]->data<int64_t>());
            }
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

#if MUTINY_WITH_OPENCL
// kernels/pool.cl: pool_max / pool_avg, one work-item per output element.
inline bool plan_pool_opencl(opencl::NodePlanner& p) {
    if (!p.float_kernel() || p.node().outputs.size() != 1) return false;
    const DType t = p.out_type().dtype;
    const int n = static_cast<int>(p.out_type().shape.numel());
    const Geometry g = geometry(p.attrs(), p.in_type(0).shape, p.where());
    std::vector<int> meta;
    for (const int64_t* a : {g.in, g.out, g.k, g.s, g.d, g.pb, g.pe})
        for (int j = 0; j < 3; ++j) meta.push_back(static_cast<int>(a[j]));
    meta.push_back(p.attrs().get_int("count_include_pad", 0) != 0 ? 1 : 0);
    cl_kernel k = p.kernel("pool", p.node().op == "MaxPool" ? "pool_max" : "pool_avg", t);
    p.arg(k, 0, p.in(0));
    p.arg(k, 1, p.out());
    p.arg(k, 2, p.meta(meta));
    p.arg(k, 3, n);
    p.run(p.launch(k, static_cast<size_t>(n)));
    return true;
}
#endif

inline void register_pool(Registry& r) {
    OpDef& mx = r.add(OpDef{"MaxPool", nullptr, infer_pool<Kind::max>, prepare_pool<Kind::max>});
    mx.sites = KernelSites{false, true, true, true};
    OpDef& avg = r.add(OpDef{"AveragePool", nullptr, infer_pool<Kind::avg>, prepare_pool<Kind::avg>});
    avg.sites = KernelSites{false, false, true, true};
    for (OpDef* d : {&mx, &avg}) {
        d->unit_local = UnitLocality::channels;
#if MUTINY_WITH_OPENCL
        d->plan_opencl = plan_pool_opencl;
#endif
    }
}

}  // namespace pool
}  // namespace mutiny

#endif  // MUTINY_OPS_POOL_POOL_HPP_
