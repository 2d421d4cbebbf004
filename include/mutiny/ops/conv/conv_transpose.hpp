// ConvTranspose: X [N, C, in...], W [C, Mg, k...] (Mg = M / group), B [M]. Input position i and kernel tap k feed
// output position o = i*s - pad_begin + k*d. Float32: per (image, group) one GEMM
//   Cols[Mg*kvol, Pin] = W_g^T [Mg*kvol, Cg] * X_g [Cg, Pin]
// (W_g^T packed once in prepare()), then col2im: each output channel, in parallel, starts from its
// bias and adds its taps' rows in tap order. Every output is bias + a fixed sequence of sums
// (each an fma chain over the input channels): deterministic whatever the thread count.
// Pads follow the ONNX reference: explicit pads; else with auto_pad SAME_* computed from the
// output shape (given, or input*stride); else zero. An explicit output_shape sets the output size.
#ifndef MUTINY_OPS_CONV_CONV_TRANSPOSE_HPP_
#define MUTINY_OPS_CONV_CONV_TRANSPOSE_HPP_

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "../gemm/blocking.hpp"
#include "geometry.hpp"

namespace mutiny {
namespace conv {

template <class Fail>
Geom convt_geometry(const Shape& x, const Shape& w, const Attributes& at, Fail fail) {
    Geom g;
    if (x.rank() < 3 || x.rank() > 5)
        fail("ConvTranspose input X has an unsupported rank", "X has shape " + x.str() + "; [N, C, D1 (, D2 (, D3))] is required");
    if (w.rank() != x.rank())
        fail("ConvTranspose weights W do not match X", "W has shape " + w.str() + ", X has shape " + x.str() + "; both need the same rank");
    const int nsp = static_cast<int>(x.rank()) - 2;
    g.nsp = nsp;
    g.N = x[0];
    g.C = x[1];
    g.G = at.get_int("group", 1);
    if (g.G < 1) fail("ConvTranspose group is not positive", "group = " + std::to_string(g.G));
    if (w[0] != g.C)
        fail("ConvTranspose channels do not match the weights", "X has " + std::to_string(g.C) + " channels, W " + w.str() + " expects " + std::to_string(w[0]));
    if (g.C % g.G != 0)
        fail("ConvTranspose group does not divide the input channels", std::to_string(g.C) + " channels, group " + std::to_string(g.G));
    g.Cg = g.C / g.G;
    g.Mg = w[1];
    g.M = g.Mg * g.G;
    const int off = 3 - nsp;
    std::vector<int64_t> ks(w.dims().begin() + 2, w.dims().end());
    const auto kshape = at.get_ints("kernel_shape", ks);
    if (kshape != ks)
        fail("ConvTranspose kernel_shape does not match the weights", "kernel_shape = " + ints_str(kshape) + ", W has shape " + w.str());
    const auto strides = at.get_ints("strides", std::vector<int64_t>(static_cast<size_t>(nsp), 1));
    const auto dil = at.get_ints("dilations", std::vector<int64_t>(static_cast<size_t>(nsp), 1));
    auto opad = at.get_ints("output_padding", std::vector<int64_t>(static_cast<size_t>(nsp), 0));
    auto oshape = at.get_ints("output_shape", {});
    if (oshape.size() == static_cast<size_t>(nsp + 2)) oshape.erase(oshape.begin(), oshape.begin() + 2);
    if (strides.size() != static_cast<size_t>(nsp))
        fail("ConvTranspose strides have the wrong length", "strides = " + ints_str(strides) + " for " + std::to_string(nsp) + " spatial dims");
    if (dil.size() != static_cast<size_t>(nsp))
        fail("ConvTranspose dilations have the wrong length", "dilations = " + ints_str(dil) + " for " + std::to_string(nsp) + " spatial dims");
    if (opad.size() < static_cast<size_t>(nsp))
        fail("ConvTranspose output_padding has the wrong length", "output_padding = " + ints_str(opad) + " for " + std::to_string(nsp) + " spatial dims");
    if (!oshape.empty() && oshape.size() != static_cast<size_t>(nsp))
        fail("ConvTranspose output_shape has the wrong length", "output_shape = " + ints_str(oshape) + " for " + std::to_string(nsp) + " spatial dims");
    std::string ap = at.get_string("auto_pad", "NOTSET");
    if (ap.empty()) ap = "NOTSET";
    if (ap != "NOTSET" && ap != "SAME_UPPER" && ap != "SAME_LOWER" && ap != "VALID")
        fail("ConvTranspose auto_pad is unknown", "auto_pad = '" + ap + "'; NOTSET, SAME_UPPER, SAME_LOWER or VALID expected");
    const bool same = ap == "SAME_UPPER" || ap == "SAME_LOWER";
    std::vector<int64_t> pads;
    const bool has_pads = at.has("pads");
    if (has_pads) {
        pads = at.get_ints("pads");
        if (pads.size() != static_cast<size_t>(2 * nsp))
            fail("ConvTranspose pads have the wrong length", "pads = " + ints_str(pads) + "; " + std::to_string(2 * nsp) + " values expected");
    } else if (!same) {
        pads.assign(static_cast<size_t>(2 * nsp), 0);
    }
    auto floordiv2 = [](int64_t v) { return v >= 0 ? v / 2 : -((-v + 1) / 2); };
    for (int i = 0; i < nsp; ++i) {
        const int j = off + i;
        g.in[j] = x[2 + i];
        g.k[j] = ks[i];
        g.s[j] = strides[i];
        g.d[j] = dil[i];
        if (g.k[j] < 1) fail("ConvTranspose kernel is empty", "W has shape " + w.str());
        if (g.s[j] < 1) fail("ConvTranspose stride is not positive", "strides = " + ints_str(strides));
        if (g.d[j] < 1) fail("ConvTranspose dilation is not positive", "dilations = " + ints_str(dil));
        // Every attribute is bounded and the size formula checked: the values come from the file
        // and the kernels multiply them by indices.
        auto bounded = [&](int64_t v, const char* what, const std::vector<int64_t>& all) {
            if (v < -kMaxExtent || v > kMaxExtent)
                fail(std::string("ConvTranspose ") + what + " out of range", std::string(what) + " = " + ints_str(all) + "; at most 2^40 = " + std::to_string(kMaxExtent));
        };
        bounded(g.s[j], "strides", strides);
        bounded(g.d[j], "dilations", dil);
        bounded(opad[static_cast<size_t>(i)], "output_padding", opad);
        if (!pads.empty()) bounded(pads[static_cast<size_t>(i)], "pads", pads), bounded(pads[static_cast<size_t>(i + nsp)], "pads", pads);
        if (!oshape.empty()) bounded(oshape[static_cast<size_t>(i)], "output_shape", oshape);
        const std::string what = "ConvTranspose output size";
        const std::string where = "spatial dim " + std::to_string(i);
        int64_t full = 0;
        try {  // rethrown through fail(), which names the node
            full = checked::add(checked::add(checked::mul(g.s[j], g.in[j] - 1, what, where), opad[static_cast<size_t>(i)], what, where),
                                checked::mul(g.k[j] - 1, g.d[j], what, where) + 1, what, where);
            if (pads.empty() && oshape.empty()) checked::mul(g.in[j], g.s[j], what, where);
            if (full > kMaxExtent) throw Error(what + " overflows", where, std::to_string(full) + " positions, more than 2^40 = " + std::to_string(kMaxExtent));
        } catch (const Error& e) {
            fail(e.what_part(), where + ": " + e.why_part());
        }
        if (!pads.empty()) {
            g.pb[j] = pads[static_cast<size_t>(i)];
            g.pe[j] = pads[static_cast<size_t>(i + nsp)];
            g.out[j] = oshape.empty() ? full - g.pb[j] - g.pe[j] : oshape[static_cast<size_t>(i)];
        } else {
            g.out[j] = oshape.empty() ? g.in[j] * g.s[j] : oshape[static_cast<size_t>(i)];
            const int64_t total = full - g.out[j];
            if (ap == "SAME_UPPER") {
                g.pb[j] = floordiv2(total);
                g.pe[j] = total - g.pb[j];
            } else {
                g.pb[j] = total - floordiv2(total);
                g.pe[j] = floordiv2(total);
            }
        }
        if (g.out[j] <= 0)
            fail("ConvTranspose output would be empty", "spatial dim " + std::to_string(i) + ": output size " + std::to_string(g.out[j]));
    }
    return g;
}

inline void convt_infer(InferContext& c) {
    c.expect_inputs(2, 3);
    for (size_t i = 0; i < 3; ++i) {
        if (!c.has_input(i)) continue;
        if (!gemm::is_supported_float(c.dtype(i)))
            c.fail("unsupported input dtype", "input " + std::to_string(i) + " is " + dtype_name(c.dtype(i)) + "; ConvTranspose supports f32, f64 and f16");
        if (c.dtype(i) != c.dtype(0))
            c.fail("input dtypes differ", std::string("X is ") + dtype_name(c.dtype(0)) + ", input " + std::to_string(i) + " is " + dtype_name(c.dtype(i)));
    }
    const Geom g = convt_geometry(c.shape(0), c.shape(1), c.attrs(), [&](const std::string& w, const std::string& y) { c.fail(w, y); });
    if (c.has_input(2) && (c.shape(2).rank() != 1 || c.shape(2)[0] != g.M))
        c.fail("ConvTranspose bias B does not match the output channels", "B has shape " + c.shape(2).str() + ", [" + std::to_string(g.M) + "] expected");
    std::vector<int64_t> o{g.N, g.M};
    for (int i = 0; i < g.nsp; ++i) o.push_back(g.out[3 - g.nsp + i]);
    c.set_output(0, c.dtype(0), Shape(o));
}

// Reference ConvTranspose (f64, f16 computing in float): output = bias + sum over taps, then
// input channels (the last channel dropped when drop_last).
template <class T>
void convt_ref(const Geom& g, const T* x, const T* w, const T* b, T* y, bool drop_last) {
    using Cmp = compute_t<T>;
    const int64_t P = g.P(), Pin = g.Pin(), kvol = g.k[0] * g.k[1] * g.k[2];
    const int64_t Ce = drop_last && g.Cg > 0 ? g.Cg - 1 : g.Cg;
    parallel_chunks(g.N * g.M, grain_for(g.N * g.M, P * kvol * g.Cg), [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
            const int64_t img = r / g.M, oc = r % g.M, grp = oc / g.Mg, m = oc % g.Mg;
            T* yr = y + r * P;
            for (int64_t od = 0; od < g.out[0]; ++od)
                for (int64_t oh = 0; oh < g.out[1]; ++oh)
                    for (int64_t ow = 0; ow < g.out[2]; ++ow) {
                        Cmp s = b ? load(b[oc]) : Cmp(0);
                        int64_t tap = 0;
                        for (int64_t kd = 0; kd < g.k[0]; ++kd)
                            for (int64_t kh = 0; kh < g.k[1]; ++kh)
                                for (int64_t kw = 0; kw < g.k[2]; ++kw, ++tap) {
                                    const int64_t nd = od + g.pb[0] - kd * g.d[0], nh = oh + g.pb[1] - kh * g.d[1], nw = ow + g.pb[2] - kw * g.d[2];
                                    if (nd < 0 || nh < 0 || nw < 0 || nd % g.s[0] || nh % g.s[1] || nw % g.s[2]) continue;
                                    const int64_t id = nd / g.s[0], ih = nh / g.s[1], iw = nw / g.s[2];
                                    if (id >= g.in[0] || ih >= g.in[1] || iw >= g.in[2]) continue;
                                    Cmp t = 0;
                                    for (int64_t c = 0; c < Ce; ++c) {
                                        const int64_t ci = grp * g.Cg + c;
                                        t += load(x[(img * g.C + ci) * Pin + (id * g.in[1] + ih) * g.in[2] + iw]) * load(w[(ci * g.Mg + m) * kvol + tap]);
                                    }
                                    s += t;
                                }
                        yr[(od * g.out[1] + oh) * g.out[2] + ow] = store_as<T>(s);
                    }
        }
    });
}

inline void convt_f32(const Geom& g, int64_t Ke, const float* x, const float* wp, const float* b, float* y, const SiteConfig* sites) {
    using gemm::MR;
    const int64_t P = g.P(), Pin = g.Pin(), kvol = g.k[0] * g.k[1] * g.k[2];
    const int64_t R = g.Mg * kvol, NG = g.N * g.G;
    const int64_t apanel = gemm::packed_a_size(R, g.Cg);
    std::unique_ptr<float[]> cols(new float[static_cast<size_t>(NG * R * Pin)]);
    const gemm::Blocks bl = gemm::plan_blocks(R, Pin, Ke, NG, false);
    const int64_t per = bl.mblocks * bl.nblocks;
    parallel_chunks(NG * per, 1, [&](int64_t c0, int64_t c1) {
        for (int64_t ci = c0; ci < c1; ++ci) {
            const int64_t ng = ci / per, r = ci % per, grp = ng % g.G, img = ng / g.G;
            const int64_t m0 = (r / bl.nblocks) * bl.mb, m1 = std::min(R, m0 + bl.mb);
            const int64_t n0 = (r % bl.nblocks) * bl.nb, n1 = std::min(Pin, n0 + bl.nb);
            float* cb = cols.get() + ng * R * Pin + m0 * Pin + n0;
            if (Ke <= 0) {
                for (int64_t m = 0; m < m1 - m0; ++m) std::fill(cb + m * Pin, cb + m * Pin + (n1 - n0), 0.0f);
                continue;
            }
            float* bp = gemm::scratch(static_cast<size_t>(gemm::packed_b_size(n1 - n0, Ke)), 0);
            gemm::pack_b(x + (img * g.C + grp * g.Cg) * Pin + n0, Pin, 1, n1 - n0, Ke, bp);
            gemm::block_gemm(m1 - m0, n1 - n0, Ke, wp + grp * apanel + (m0 / MR) * g.Cg * MR, g.Cg, bp, Ke, cb, Pin, nullptr, true);
        }
    });
    // col2im, one output channel per row task.
    parallel_chunks(g.N * g.M, grain_for(g.N * g.M, kvol * Pin), [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
            const int64_t img = r / g.M, oc = r % g.M, grp = oc / g.Mg, m = oc % g.Mg;
            float* yr = y + r * P;
            std::fill(yr, yr + P, b ? b[oc] : 0.0f);
            const float* crow = cols.get() + (img * g.G + grp) * R * Pin + m * kvol * Pin;
            int64_t tap = 0;
            for (int64_t kd = 0; kd < g.k[0]; ++kd)
                for (int64_t kh = 0; kh < g.k[1]; ++kh)
                    for (int64_t kw = 0; kw < g.k[2]; ++kw, ++tap) {
                        const float* src = crow + tap * Pin;
                        const int64_t offw = kw * g.d[2] - g.pb[2];
                        // Input columns iw with 0 <= iw*sw + offw < Wo.
                        const int64_t lo = offw >= 0 ? 0 : (-offw + g.s[2] - 1) / g.s[2];
                        const int64_t hi = std::min<int64_t>(g.in[2], g.out[2] - offw <= 0 ? 0 : (g.out[2] - offw + g.s[2] - 1) / g.s[2]);
                        for (int64_t id = 0; id < g.in[0]; ++id) {
                            const int64_t od = id * g.s[0] - g.pb[0] + kd * g.d[0];
                            if (od < 0 || od >= g.out[0]) continue;
                            for (int64_t ih = 0; ih < g.in[1]; ++ih) {
                                const int64_t oh = ih * g.s[1] - g.pb[1] + kh * g.d[1];
                                if (oh < 0 || oh >= g.out[1]) continue;
                                const float* s = src + (id * g.in[1] + ih) * g.in[2];
                                float* o = yr + (od * g.out[1] + oh) * g.out[2];
                                for (int64_t iw = lo; iw < hi; ++iw) o[iw * g.s[2] + offw] += s[iw];
                            }
                        }
                    }
            if (sites)
                for (int64_t i = 0; i < P; ++i) yr[i] = site_store(sites, yr[i]);
        }
    });
}

inline Kernel convt_prepare(const PrepareContext& pc) {
    const std::string where = pc.where();
    auto thrower = [where](const std::string& w, const std::string& y) -> void { throw Error(w, where, y); };
    const Geom g = convt_geometry(pc.in[0].shape, pc.in[1].shape, pc.attrs(), thrower);
    const SiteConfig sites = pc.sites;
    const bool mutated = !sites.is_default();
    // The reduction site: one input channel fewer in each tap's sum.
    const int64_t Ke = sites.reduction_drop_last && g.Cg > 0 ? g.Cg - 1 : g.Cg;
    if (pc.in[0].dtype != DType::f32) {
        return [g0 = g, sites](ExecContext& c) {
            const Tensor& X = c.input(0);
            Geom g = g0;
            g.N = X.shape()[0];
            dispatch_dtype(X.dtype(), [&](auto tag) {
                using T = decltype(tag);
                if constexpr (std::is_same_v<T, double> || std::is_same_v<T, half>) {
                    convt_ref<T>(g, X.data<T>(), c.input(1).data<T>(), c.has(2) ? c.in[2]->data<T>() : nullptr, c.out[0]->data<T>(),
                                 sites.reduction_drop_last);
                } else {
                    throw Error("unsupported dtype", Graph::where(*c.node), dtype_name(X.dtype()));
                }
            });
        };
    }
    const int64_t kvol = g.k[0] * g.k[1] * g.k[2], R = g.Mg * kvol;
    const int64_t apanel = gemm::packed_a_size(R, g.Cg);
    auto pack = [g, R, apanel](const float* w, float* dst) {
        for (int64_t grp = 0; grp < g.G; ++grp) gemm::pack_a(w + grp * g.Cg * R, 1, R, R, g.Cg, 1.0f, dst + grp * apanel);
    };
    Tensor wpacked;
    if (pc.consts.size() > 1 && pc.consts[1]) {
        wpacked = Tensor(DType::f32, Shape{g.G * apanel});
        pack(pc.consts[1]->data<float>(), wpacked.data<float>());
    }
    return [g0 = g, Ke, wpacked, pack, apanel, sites, mutated](ExecContext& c) {
        Geom g = g0;
        g.N = c.input(0).shape()[0];
        const float* wp;
        std::vector<float> wrun;
        if (!wpacked.empty()) {
            wp = wpacked.data<float>();
        } else {
            wrun.resize(static_cast<size_t>(g.G * apanel));
            pack(c.input(1).data<float>(), wrun.data());
            wp = wrun.data();
        }
        convt_f32(g, Ke, c.input(0).data<float>(), wp, c.has(2) ? c.in[2]->data<float>() : nullptr, c.out[0]->data<float>(),
                  mutated ? &sites : nullptr);
    };
}

inline void register_conv_transpose(Registry& r) {
    OpDef& d = r.add(OpDef{"ConvTranspose", nullptr, convt_infer, convt_prepare});
    d.sites.store = true;
    d.sites.reduction = true;
}

}  // namespace conv
}  // namespace mutiny

#endif  // MUTINY_OPS_CONV_CONV_TRANSPOSE_HPP_
