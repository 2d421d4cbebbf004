// Conv (1-D, 2-D, 3-D; groups incl. depthwise; strides, dilations, pads, auto_pad; optional bias).
//
// Float32 Conv = im2col + the packed GEMM of gemm/blocking.hpp, per (image, group):
//   Y_g[Mg, P] = W_g[Mg, K] * Col_g[K, P],  K = Cg * prod(kernel), P = prod(output spatial),
// where W_g is the group's slice of the ONNX weight tensor (rows of [M, Cg, k...] are already a
// row-major [Mg, K] matrix), packed once in prepare() into the GEMM's MR-row panels, and Col_g row
// r = (c, kd, kh, kw) holds the input values that output positions multiply with that weight (zero
// in the padding). im2col writes straight into the GEMM's NR-column panels; a 1x1, stride-1,
// unpadded conv just copies input rows into panels.
//
// Tiling (deterministic; see gemm/blocking.hpp): a task is (image, group, output-channel block, P tile).
// The tile size T and the channel block size are computed from the shape alone (plan_conv):
// tiles of ~256 output positions, so that batch 1 still yields several tasks and an im2col tile
// stays cache-sized, with the task count rounded to a multiple of 4 when it is small (2 or 4
// threads share evenly); with fewer than 8 tasks the output channels are split too. Each task
// fills its own im2col panels (thread-local scratch) and runs the GEMM over the whole K, so every
// output is one fixed fma chain, bias first, whatever the thread count. The micro-kernel's
// accumulators start from the bias, so adding it costs no extra pass over the output.
//
// Where the instruction-set level has an implicit tile (AVX2, AVX-512), convs with few output channels
// (implicit_fits) skip im2col: conv_implicit runs the
// same GEMM reading B from zero-padded copies of the input planes (same fma chains, same bits).
//
// f64 and f16 (computing in float) use a direct reference loop.
#ifndef MUTINY_OPS_CONV_CONV_HPP_
#define MUTINY_OPS_CONV_CONV_HPP_

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "../gemm/blocking.hpp"
#include "geometry.hpp"
#include "im2col.hpp"
#include "implicit.hpp"
#include "plan.hpp"
#if MUTINY_WITH_OPENCL
#include "../../exec/opencl/tiled_gemm.hpp"
#endif

namespace mutiny {
namespace conv {

inline void conv_infer(InferContext& c) {
    c.expect_inputs(2, 3);
    for (size_t i = 0; i < 3; ++i) {
        if (!c.has_input(i)) continue;
        if (!gemm::is_supported_float(c.dtype(i)))
            c.fail("unsupported input dtype", "input " + std::to_string(i) + " is " + dtype_name(c.dtype(i)) + "; " + c.node().op + " supports f32, f64 and f16");
        if (c.dtype(i) != c.dtype(0))
            c.fail("input dtypes differ", std::string("X is ") + dtype_name(c.dtype(0)) + ", input " + std::to_string(i) + " is " + dtype_name(c.dtype(i)));
    }
    const Geom g = conv_geometry(c.shape(0), c.shape(1), c.attrs(), [&](const std::string& w, const std::string& y) { c.fail(w, y); });
    if (c.has_input(2) && (c.shape(2).rank() != 1 || c.shape(2)[0] != g.M))
        c.fail("Conv bias B does not match the output channels", "B has shape " + c.shape(2).str() + ", [" + std::to_string(g.M) + "] expected");
    std::vector<int64_t> o{g.N, g.M};
    for (int i = 0; i < g.nsp; ++i) o.push_back(g.out[3 - g.nsp + i]);
    c.set_output(0, c.dtype(0), Shape(o));
}
// Float32 conv: x [N, C, in...], wp = packed weights, b [M] or null, y [N, M, out...].
// With one channel block per (image, group) each task builds its own im2col panels (they stay in
// cache). With several, the im2col panels of every (image, group, tile) are built first, in
// parallel row blocks, into a buffer the channel blocks share (instead of each rebuilding them).
// `ep`, when not null, is applied to each task's output tile after the store sites (fusion).
inline void conv_f32(const Geom& g, const Plan& pl, int64_t Ke, const float* x, const float* wp, const float* b, float* y,
                     const SiteConfig* sites, const Epilogue* ep = nullptr) {
    using gemm::MR;
    if (pl.implicit && isa::kernels().implicit_tile) {
        conv_implicit(g, Ke, x, wp, b, y, sites, ep);
        return;
    }
    const int64_t P = g.P(), Pin = g.Pin(), K = g.K();
    const int64_t NG = g.N * g.G;
    const bool shared = pl.mblocks > 1 && Ke > 0;
    const int64_t tile_panels = gemm::packed_b_size(pl.T, Ke);  // floats of one tile's panels
    std::unique_ptr<float[]> cols;
    if (shared) {
        cols.reset(new float[static_cast<size_t>(NG * pl.ntiles * tile_panels)]);
        constexpr int64_t RB = 64;  // im2col rows per phase-1 task
        const int64_t rblocks = (Ke + RB - 1) / RB;
        parallel_chunks(NG * pl.ntiles * rblocks, 1, [&](int64_t c0, int64_t c1) {
            for (int64_t ci = c0; ci < c1; ++ci) {
                const int64_t t = ci / rblocks, rb = ci % rblocks;
                const int64_t ng = t / pl.ntiles, ti = t % pl.ntiles;
                const int64_t img = ng / g.G, grp = ng % g.G;
                const int64_t p0 = ti * pl.T, p1 = std::min(P, p0 + pl.T);
                im2col_packed(x + (img * g.C + grp * g.Cg) * Pin, g, p0, p1, rb * RB, std::min(Ke, (rb + 1) * RB), Ke, pl.direct,
                              cols.get() + t * tile_panels);
            }
        });
    }
    const int64_t per_ng = pl.mblocks * pl.ntiles;
    parallel_chunks(NG * per_ng, 1, [&](int64_t c0, int64_t c1) {
        for (int64_t ci = c0; ci < c1; ++ci) {
            const int64_t ng = ci / per_ng, r = ci % per_ng;
            const int64_t img = ng / g.G, grp = ng % g.G;
            const int64_t mi = r / pl.ntiles, ti = r % pl.ntiles;
            const int64_t p0 = ti * pl.T, p1 = std::min(P, p0 + pl.T), wd = p1 - p0;
            const int64_t m0 = mi * pl.mb, m1 = std::min(g.Mg, m0 + pl.mb);
            const int64_t oc0 = grp * g.Mg + m0;
            float* yb = y + (img * g.M + oc0) * P + p0;
            if (Ke <= 0) {
                for (int64_t m = 0; m < m1 - m0; ++m) std::fill(yb + m * P, yb + m * P + wd, b ? b[oc0 + m] : 0.0f);
            } else {
                const float* bp;
                if (shared) {
                    bp = cols.get() + (ng * pl.ntiles + ti) * tile_panels;
                } else {
                    float* t = gemm::scratch(static_cast<size_t>(gemm::packed_b_size(wd, Ke)), 0);
                    im2col_packed(x + (img * g.C + grp * g.Cg) * Pin, g, p0, p1, 0, Ke, Ke, pl.direct, t);
                    bp = t;
                }
                const float* ap = wp + grp * packed_w_group(g) + (m0 / MR) * K * MR;
                // The accumulators start from the bias (or 0): no separate pass over the output.
                gemm::block_gemm(m1 - m0, wd, Ke, ap, K, bp, Ke, yb, P, b ? b + oc0 : nullptr, b == nullptr);
            }
            if (sites) gemm::store_sites(sites, yb, m1 - m0, wd, P);
            if (ep) ep->apply_tile(yb, m1 - m0, wd, P, img, oc0, p0);
        }
    });
}

// Reference conv (f64, f16 computing in float): each output is the sum over (c, kd, kh, kw) in
// that order, the last term omitted when drop_last, then + bias.
template <class T>
void conv_ref(const Geom& g, const T* x, const T* w, const T* b, T* y, bool drop_last) {
    using Cmp = compute_t<T>;
    const int64_t P = g.P(), Pin = g.Pin(), K = g.K();
    const int64_t Ke = drop_last && K > 0 ? K - 1 : K;
    parallel_chunks(g.N * g.M, grain_for(g.N * g.M, P * K), [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
            const int64_t img = r / g.M, oc = r % g.M, grp = oc / g.Mg;
            const T* xg = x + (img * g.C + grp * g.Cg) * Pin;
            const T* wm = w + oc * K;
            T* yr = y + r * P;
            for (int64_t od = 0; od < g.out[0]; ++od)
                for (int64_t oh = 0; oh < g.out[1]; ++oh)
                    for (int64_t ow = 0; ow < g.out[2]; ++ow) {
                        Cmp s = 0;
                        int64_t t = 0;
                        for (int64_t c = 0; c < g.Cg; ++c)
                            for (int64_t kd = 0; kd < g.k[0]; ++kd)
                                for (int64_t kh = 0; kh < g.k[1]; ++kh)
                                    for (int64_t kw = 0; kw < g.k[2]; ++kw, ++t) {
                                        if (t >= Ke) continue;
                                        const int64_t id = od * g.s[0] - g.pb[0] + kd * g.d[0];
                                        const int64_t ih = oh * g.s[1] - g.pb[1] + kh * g.d[1];
                                        const int64_t iw = ow * g.s[2] - g.pb[2] + kw * g.d[2];
                                        if (id < 0 || id >= g.in[0] || ih < 0 || ih >= g.in[1] || iw < 0 || iw >= g.in[2]) continue;
                                        s += load(xg[c * Pin + (id * g.in[1] + ih) * g.in[2] + iw]) * load(wm[t]);
                                    }
                        if (b) s += load(b[oc]);
                        yr[(od * g.out[1] + oh) * g.out[2] + ow] = store_as<T>(s);
                    }
        }
    });
}

inline Kernel conv_prepare(const PrepareContext& pc) {
    const std::string where = pc.where();
    auto thrower = [where](const std::string& w, const std::string& y) -> void { throw Error(w, where, y); };
    const Geom g = conv_geometry(pc.in[0].shape, pc.in[1].shape, pc.attrs(), thrower);
    const SiteConfig sites = pc.sites;
    const bool mutated = !sites.is_default();  // decided once: the default path never looks at sites
    const int64_t K = g.K();
    const int64_t Ke = sites.reduction_drop_last && K > 0 ? K - 1 : K;
    if (pc.in[0].dtype != DType::f32) {
        return [g0 = g, sites](ExecContext& c) {
            const Tensor& X = c.input(0);
            Geom g = g0;
            g.N = X.shape()[0];  // the batch may differ from prepare()'s
            dispatch_dtype(X.dtype(), [&](auto tag) {
                using T = decltype(tag);
                if constexpr (std::is_same_v<T, double> || std::is_same_v<T, half>) {
                    conv_ref<T>(g, X.data<T>(), c.input(1).data<T>(), c.has(2) ? c.in[2]->data<T>() : nullptr, c.out[0]->data<T>(),
                                sites.reduction_drop_last);
                } else {
                    throw Error("unsupported dtype", Graph::where(*c.node), dtype_name(X.dtype()));
                }
            });
        };
    }
    const Plan pl = plan_conv(g, Ke);
    // A constant W is packed once here; a run-time W is packed at each call.
    Tensor wpacked;
    if (pc.consts.size() > 1 && pc.consts[1]) {
        wpacked = Tensor(DType::f32, Shape{g.G * packed_w_group(g)});
        pack_weights(g, pc.consts[1]->data<float>(), wpacked.data<float>());
    }
    return [g0 = g, pl0 = pl, Ke, wpacked, sites, mutated](ExecContext& c) {
        // The batch may differ from prepare()'s: the plan depends on it.
        Geom g = g0;
        g.N = c.input(0).shape()[0];
        const Plan pl = g.N == g0.N ? pl0 : plan_conv(g, Ke);
        const float* wp;
        std::vector<float> wrun;
        if (!wpacked.empty()) {
            wp = wpacked.data<float>();
        } else {
            wrun.resize(static_cast<size_t>(g.G * packed_w_group(g)));
            pack_weights(g, c.input(1).data<float>(), wrun.data());
            wp = wrun.data();
        }
        conv_f32(g, pl, Ke, c.input(0).data<float>(), wp, c.has(2) ? c.in[2]->data<float>() : nullptr, c.out[0]->data<float>(),
                 mutated ? &sites : nullptr, c.epilogue);
    };
}

#if MUTINY_WITH_OPENCL
// Depthwise convolutions (one input channel per group, several groups) run kernels/conv.cl's
// direct loop, one work-item per output: there is no product to tile. Every other convolution is a tiled GEMM per
// (image, group), Y[Mg, P] = W_g[Mg, K] * patches[K, P] + bias: a 1x1 convolution without stride
// or padding reads its input as the B matrix as it is, the others through the kernel's fused
// im2col (no patch matrix is materialised).
inline bool plan_conv_opencl(opencl::NodePlanner& p) {
    if (!p.float_kernel()) return false;
    const DType t = p.out_type().dtype;
    const std::string where = p.where();
    const Geom g = conv_geometry(p.in_type(0).shape, p.in_type(1).shape, p.attrs(),
                                 [&](const std::string& w, const std::string& y) -> void { throw Error(w, where, y); });
    std::vector<int> geom;
    for (const auto* a : {&g.in, &g.k, &g.out, &g.s, &g.d, &g.pb})
        for (auto v : *a) geom.push_back(static_cast<int>(v));
    const bool has_b = p.has_input(2);
    if (g.Cg == 1 && g.G > 1) {
        std::vector<int> meta{static_cast<int>(g.N), static_cast<int>(g.C), static_cast<int>(g.M), static_cast<int>(g.Cg), static_cast<int>(g.Mg)};
        meta.insert(meta.end(), geom.begin(), geom.end());
        meta.push_back(has_b ? 1 : 0);
        cl_kernel k = p.kernel("conv", "conv", t);
        p.arg(k, 0, p.in(0));
        p.arg(k, 1, p.in(1));
        p.arg(k, 2, has_b ? p.in(2) : p.in(1));
        p.arg(k, 3, p.out());
        p.arg(k, 4, p.meta(meta));
        p.run(p.launch(k, static_cast<size_t>(g.P()), static_cast<size_t>(g.M), static_cast<size_t>(g.N)));
        return true;
    }
    opencl::TiledGemm m;
    m.M = g.Mg;
    m.N = g.P();
    m.K = g.Cg * g.k[0] * g.k[1] * g.k[2];
    m.ars = m.K;
    m.acs = 1;
    m.has_c = has_b;
    m.csm = 1;
    m.beta = 1.0;
    bool pointwise = g.k[0] * g.k[1] * g.k[2] == 1;
    for (int i = 0; i < 3; ++i) pointwise = pointwise && g.s[static_cast<size_t>(i)] == 1 && g.pb[static_cast<size_t>(i)] == 0 && g.pe[static_cast<size_t>(i)] == 0;
    if (pointwise) {
        m.brs = g.Pin();
        m.bcs = 1;
    } else {
        m.im2col = geom;
    }
    m.aoff.clear();
    m.boff.clear();
    m.coff.clear();
    for (int64_t img = 0; img < g.N; ++img)
        for (int64_t gi = 0; gi < g.G; ++gi) {
            m.aoff.push_back(static_cast<int>(gi * g.Mg * m.K));
            m.boff.push_back(static_cast<int>((img * g.C + gi * g.Cg) * g.Pin()));
            m.coff.push_back(static_cast<int>(gi * g.Mg));
        }
    opencl::plan_tiled_gemm(p, p.in(1), p.in(0), has_b ? p.in(2) : p.in(1), m);
    return true;
}
#endif

// A neuron of a Conv is an output channel: without groups, with constant f32 weights (and bias),
// some channels can be computed alone from the filters sliced to them.
inline bool conv_units(const Graph& g, const Node& n, UnitAxes& axes) {
    auto constant_input = [&](size_t i) { return i < n.inputs.size() && n.inputs[i] >= 0 && g.value(n.inputs[i]).is_constant(); };
    if (!constant_input(1) || g.value(n.inputs[1]).dtype != DType::f32 || n.attrs.get_int("group", 1) != 1) return false;
    if (n.inputs.size() >= 3 && n.inputs[2] >= 0 && !constant_input(2)) return false;
    axes.weight_axis = 0;
    axes.output_axis = 1;
    return true;
}

inline void register_conv(Registry& r) {
    OpDef& d = r.add(OpDef{"Conv", nullptr, conv_infer, conv_prepare});
    d.sites.store = true;
    d.sites.reduction = true;
    d.units = conv_units;
    d.epilogue = true;
#if MUTINY_WITH_OPENCL
    d.plan_opencl = plan_conv_opencl;
#endif
}

}  // namespace conv
}  // namespace mutiny

#endif  // MUTINY_OPS_CONV_CONV_HPP_
