// Conv (1-D, 2-D, 3-D; groups incl. depthwise; strides, dilations, pads, auto_pad; optional bias)
// and ConvTranspose.
//
// Float32 Conv = im2col + the packed GEMM of gemm.hpp, per (image, group):
//   Y_g[Mg, P] = W_g[Mg, K] * Col_g[K, P],  K = Cg * prod(kernel), P = prod(output spatial),
// where W_g is the group's slice of the ONNX weight tensor (rows of [M, Cg, k...] are already a
// row-major [Mg, K] matrix), packed once in prepare() into the GEMM's MR-row panels, and Col_g row
// r = (c, kd, kh, kw) holds the input values that output positions multiply with that weight (zero
// in the padding). im2col writes straight into the GEMM's NR-column panels; a 1x1, stride-1,
// unpadded conv just copies input rows into panels.
//
// Tiling (deterministic; see gemm.hpp): a task is (image, group, output-channel block, P tile).
// The tile size T and the channel block size are computed from the shape alone (plan_conv):
// tiles of ~256 output positions, so that batch 1 still yields several tasks and an im2col tile
// stays cache-sized, with the task count rounded to a multiple of 4 when it is small (2 or 4
// threads share evenly); with fewer than 8 tasks the output channels are split too. Each task
// fills its own im2col panels (thread-local scratch) and runs the GEMM over the whole K, so every
// output is one fixed fma chain, bias first, whatever the thread count. The micro-kernel's
// accumulators start from the bias, so adding it costs no extra pass over the output.
//
// With AVX-512, convs with few output channels (implicit_fits) skip im2col: conv_implicit runs the
// same GEMM reading B from zero-padded copies of the input planes (same fma chains, same bits).
//
// f64 and f16 (computing in float) use a direct reference loop.
#ifndef MUTINY_OPS_CONV_HPP_
#define MUTINY_OPS_CONV_HPP_

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../core/parallel.hpp"
#include "common.hpp"
#include "gemm.hpp"

namespace mutiny {
namespace conv {

// Geometry normalised to 3 spatial dims (1-D and 2-D convs get leading size-1 dims).
struct Geom {
    int64_t N = 0, C = 0, M = 0, G = 1, Cg = 0, Mg = 0;
    int nsp = 0;  // number of real spatial dims
    std::array<int64_t, 3> in{1, 1, 1}, k{1, 1, 1}, out{1, 1, 1}, s{1, 1, 1}, d{1, 1, 1}, pb{0, 0, 0}, pe{0, 0, 0};
    int64_t K() const { return Cg * k[0] * k[1] * k[2]; }
    int64_t P() const { return out[0] * out[1] * out[2]; }
    int64_t Pin() const { return in[0] * in[1] * in[2]; }
};

inline std::string ints_str(const std::vector<int64_t>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
    return s + "]";
}

// Conv geometry from X, W shapes and attributes, with ONNX's output-size formula (incl. auto_pad
// and dilations). `fail(what, why)` must throw.
template <class Fail>
Geom conv_geometry(const Shape& x, const Shape& w, const Attributes& at, Fail fail) {
    Geom g;
    if (x.rank() < 3 || x.rank() > 5)
        fail("Conv input X has an unsupported rank", "X has shape " + x.str() + "; [N, C, D1 (, D2 (, D3))] is required (1-D to 3-D convolution)");
    if (w.rank() != x.rank())
        fail("Conv weights W do not match X", "W has shape " + w.str() + ", X has shape " + x.str() + "; both need the same rank");
    const int nsp = static_cast<int>(x.rank()) - 2;
    g.nsp = nsp;
    g.N = x[0];
    g.C = x[1];
    g.M = w[0];
    g.G = at.get_int("group", 1);
    if (g.G < 1) fail("Conv group is not positive", "group = " + std::to_string(g.G));
    if (w[1] * g.G != g.C)
        fail("Conv channels do not match the weights",
             "X has " + std::to_string(g.C) + " channels but W " + w.str() + " with group " + std::to_string(g.G) + " expects " +
                 std::to_string(w[1]) + " x " + std::to_string(g.G) + " = " + std::to_string(w[1] * g.G));
    if (g.M % g.G != 0)
        fail("Conv group does not divide the output channels", std::to_string(g.M) + " output channels (W " + w.str() + "), group " + std::to_string(g.G));
    g.Cg = w[1];
    g.Mg = g.M / g.G;
    const int off = 3 - nsp;
    std::vector<int64_t> ks(w.dims().begin() + 2, w.dims().end());
    const auto kshape = at.get_ints("kernel_shape", ks);
    if (kshape != ks)
        fail("Conv kernel_shape does not match the weights", "kernel_shape = " + ints_str(kshape) + ", W has shape " + w.str());
    const auto strides = at.get_ints("strides", std::vector<int64_t>(static_cast<size_t>(nsp), 1));
    const auto dil = at.get_ints("dilations", std::vector<int64_t>(static_cast<size_t>(nsp), 1));
    if (strides.size() != static_cast<size_t>(nsp))
        fail("Conv strides have the wrong length", "strides = " + ints_str(strides) + " for " + std::to_string(nsp) + " spatial dims");
    if (dil.size() != static_cast<size_t>(nsp))
        fail("Conv dilations have the wrong length", "dilations = " + ints_str(dil) + " for " + std::to_string(nsp) + " spatial dims");
    std::string ap = at.get_string("auto_pad", "NOTSET");
    if (ap.empty()) ap = "NOTSET";
    if (ap != "NOTSET" && ap != "SAME_UPPER" && ap != "SAME_LOWER" && ap != "VALID")
        fail("Conv auto_pad is unknown", "auto_pad = '" + ap + "'; NOTSET, SAME_UPPER, SAME_LOWER or VALID expected");
    std::vector<int64_t> pads = at.get_ints("pads", std::vector<int64_t>(static_cast<size_t>(2 * nsp), 0));
    if (ap == "NOTSET" && pads.size() != static_cast<size_t>(2 * nsp))
        fail("Conv pads have the wrong length", "pads = " + ints_str(pads) + "; " + std::to_string(2 * nsp) + " values (begins, then ends) expected");
    for (int i = 0; i < nsp; ++i) {
        const int j = off + i;
        g.in[j] = x[2 + i];
        g.k[j] = ks[i];
        g.s[j] = strides[i];
        g.d[j] = dil[i];
        if (g.k[j] < 1) fail("Conv kernel is empty", "W has shape " + w.str());
        if (g.s[j] < 1) fail("Conv stride is not positive", "strides = " + ints_str(strides));
        if (g.d[j] < 1) fail("Conv dilation is not positive", "dilations = " + ints_str(dil));
        const int64_t ek = (g.k[j] - 1) * g.d[j] + 1;  // effective (dilated) kernel extent
        if (ap == "NOTSET") {
            g.pb[j] = pads[static_cast<size_t>(i)];
            g.pe[j] = pads[static_cast<size_t>(i + nsp)];
            if (g.pb[j] < 0 || g.pe[j] < 0) fail("Conv pads are negative", "pads = " + ints_str(pads));
            const int64_t span = g.in[j] + g.pb[j] + g.pe[j] - ek;
            g.out[j] = span < 0 ? 0 : span / g.s[j] + 1;
        } else if (ap == "VALID") {
            g.out[j] = g.in[j] < ek ? 0 : (g.in[j] - ek) / g.s[j] + 1;
        } else {
            g.out[j] = (g.in[j] + g.s[j] - 1) / g.s[j];
            const int64_t total = std::max<int64_t>(0, (g.out[j] - 1) * g.s[j] + ek - g.in[j]);
            g.pb[j] = ap == "SAME_UPPER" ? total / 2 : total - total / 2;
            g.pe[j] = total - g.pb[j];
        }
        if (g.out[j] <= 0)
            fail("Conv output would be empty",
                 "spatial dim " + std::to_string(i) + ": input " + std::to_string(g.in[j]) + ", dilated kernel " + std::to_string(ek) +
                     ", pads " + std::to_string(g.pb[j]) + "+" + std::to_string(g.pe[j]));
    }
    return g;
}

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

// The output positions [p0, p1) of a tile cut into runs along one output row: positions
// p0 + off .. + len have output coordinates (od, oh, ow0 .. ow0 + len).
struct Run {
    int64_t off, len, od, oh, ow0;
};
inline void tile_runs(const Geom& g, int64_t p0, int64_t p1, std::vector<Run>& runs) {
    runs.clear();
    const int64_t Ho = g.out[1], Wo = g.out[2];
    int64_t p = p0, od = p0 / (Ho * Wo), oh = (p0 / Wo) % Ho, ow = p0 % Wo;
    while (p < p1) {
        const int64_t seg = std::min(Wo - ow, p1 - p);
        runs.push_back(Run{p - p0, seg, od, oh, ow});
        p += seg;
        ow = 0;
        if (++oh == Ho) {
            oh = 0;
            ++od;
        }
    }
}

// Copies n floats. Fixed-size memcpy calls compile to single vector moves; runs are short (at
// most one output row), so a library call or a vectorised loop's prologue would dominate.
inline void copy_run(float* d, const float* s, int64_t n) {
    if (n >= 8) {
        int64_t i = 0;
        for (; i + 8 <= n; i += 8) std::memcpy(d + i, s + i, 32);
        if (i < n) std::memcpy(d + n - 8, s + n - 8, 32);  // overlaps the last chunk: same values
    } else if (n >= 4) {
        std::memcpy(d, s, 16);
        std::memcpy(d + n - 4, s + n - 4, 16);
    } else {
        if (n > 0) d[0] = s[0];
        if (n > 1) d[1] = s[1];
        if (n > 2) d[2] = s[2];
    }
}

// Copies n floats of one im2col row segment (source stride sw) to panel memory: logical columns
// q0 .. q0 + n of a row whose panel j starts at row + j * pstride (NR columns each).
inline void copy_to_panels(float* row, int64_t pstride, int64_t q0, const float* src, int64_t sw, int64_t n) {
    using gemm::NR;
    while (n > 0) {
        const int64_t lane = q0 % NR, len = std::min(NR - lane, n);
        float* d = row + (q0 / NR) * pstride + lane;
        if (sw == 1)
            copy_run(d, src, len);
        else
            for (int64_t j = 0; j < len; ++j) d[j] = src[j * sw];
        q0 += len;
        src += len * sw;
        n -= len;
    }
}

constexpr float kZero = 0.0f;

// Rows [r0, r1) of the im2col matrix of output positions [p0, p1) of one (image, group) (row r =
// (c, kd, kh, kw) in weight order), written straight into the GEMM's B panels: NR-column panels of
// depth `depth`, the columns past p1 zero. x = the group's first input channel. Element (r, p) is
// x[c, od*sd - pd + kd*dd, oh*sh - ph + kh*dh, ow*sw - pw + kw*dw] where that is inside the input,
// else 0. `direct`: a 1x1, stride-1, unpadded conv, whose im2col rows are the input rows themselves.
// A row's panel entries are zeroed first only where the row reads padding (or past p1).
inline void im2col_packed(const float* x, const Geom& g, int64_t p0, int64_t p1, int64_t r0, int64_t r1, int64_t depth, bool direct,
                          float* dst) {
    using gemm::NR;
    const int64_t wd = p1 - p0, np = (wd + NR - 1) / NR, Pin = g.Pin(), pstride = depth * NR;
    const int64_t full = wd / NR;  // whole panels
    const gemm::V8 zero = gemm::v_bcast(&kZero);
    auto zero_panel_row = [&](float* d) {
        gemm::v_store(d, zero);
        gemm::v_store(d + 8, zero);
    };
    if (direct) {
        for (int64_t r = r0; r < r1; ++r) {
            const float* src = x + r * Pin + p0;
            float* row = dst + r * NR;
            for (int64_t j = 0; j < full; ++j) {
                float* d = row + j * pstride;
                gemm::v_store(d, gemm::v_load(src + j * NR));
                gemm::v_store(d + 8, gemm::v_load(src + j * NR + 8));
            }
            if (full < np) {
                float* d = row + full * pstride;
                zero_panel_row(d);
                copy_run(d, src + full * NR, wd - full * NR);
            }
        }
        return;
    }
    const int64_t kvol = g.k[0] * g.k[1] * g.k[2];
    const int64_t Di = g.in[0], Hi = g.in[1], Wi = g.in[2], sw = g.s[2];
    thread_local std::vector<Run> runs;
    tile_runs(g, p0, p1, runs);
    for (int64_t r = r0; r < r1; ++r) {
        const int64_t c = r / kvol, kk = r % kvol;
        const int64_t kd = kk / (g.k[1] * g.k[2]), kh = (kk / g.k[2]) % g.k[1], kw = kk % g.k[2];
        const int64_t offd = kd * g.d[0] - g.pb[0], offh = kh * g.d[1] - g.pb[1], offw = kw * g.d[2] - g.pb[2];
        // Output columns ow in [lo, hi) read inside the input row: 0 <= ow*sw + offw < Wi.
        const int64_t lo = offw >= 0 ? 0 : (-offw + sw - 1) / sw;
        const int64_t hi = std::min<int64_t>(g.out[2], Wi - offw <= 0 ? 0 : (Wi - offw + sw - 1) / sw);
        bool inside = true;  // every position of the tile reads inside the input
        for (const Run& run : runs) {
            const int64_t id = run.od * g.s[0] + offd, ih = run.oh * g.s[1] + offh;
            if (id < 0 || id >= Di || ih < 0 || ih >= Hi || run.ow0 < lo || run.ow0 + run.len > hi) {
                inside = false;
                break;
            }
        }
        float* row = dst + r * NR;
        if (!inside)
            for (int64_t j = 0; j < np; ++j) zero_panel_row(row + j * pstride);
        else if (full < np)
            zero_panel_row(row + full * pstride);
        const float* xc = x + c * Pin;
        for (const Run& run : runs) {
            const int64_t id = run.od * g.s[0] + offd, ih = run.oh * g.s[1] + offh;
            if (id < 0 || id >= Di || ih < 0 || ih >= Hi) continue;
            const int64_t a = std::max(run.ow0, lo), b = std::min(run.ow0 + run.len, hi);
            if (a >= b) continue;
            copy_to_panels(row, pstride, run.off + a - run.ow0, xc + (id * Hi + ih) * Wi + offw + a * sw, sw, b - a);
        }
    }
}

// Task decomposition of a float32 conv, from the shape alone.
struct Plan {
    int64_t T = 1, ntiles = 1, mb = 1, mblocks = 1;
    bool direct = false;    // 1x1, stride 1, no padding: X is the im2col matrix
    bool implicit = false;  // AVX-512 implicit GEMM (conv_implicit) instead of im2col + GEMM
};

#if defined(MUTINY_GEMM_AVX512)
// Whether conv_implicit serves this conv: few output channels (an im2col element then feeds few
// multiply-adds, and building the panels costs more than the GEMM; measured on mnist-8, where
// it is most of the time, and on squeezenet and resnet50, whose wider convs gain nothing), a real
// im2col (not a 1x1 stride-1 unpadded conv, whose packing is a plain copy), 1-D or 2-D, stride 1
// along the width, lines wide enough to fill the 16-lane vectors.
inline bool implicit_fits(const Geom& g, int64_t Ke, bool direct) {
    if (direct || Ke <= 0 || g.in[0] != 1 || g.k[0] != 1 || g.out[0] != 1 || g.s[2] != 1) return false;
    return g.Mg <= 32 && g.out[2] >= 8;
}
#endif

inline Plan plan_conv(const Geom& g, int64_t Ke) {
    using gemm::MR;
    using gemm::NR;
    Plan pl;
    const int64_t P = g.P(), NG = g.N * g.G;
    pl.direct = g.k[0] == 1 && g.k[1] == 1 && g.k[2] == 1 && g.s[0] == 1 && g.s[1] == 1 && g.s[2] == 1 &&
                g.pb[0] == 0 && g.pb[1] == 0 && g.pb[2] == 0 && g.pe[0] == 0 && g.pe[1] == 0 && g.pe[2] == 0;
    const int64_t cost = std::max<int64_t>(1, g.Mg * Ke);  // multiply-adds per output position
    // Tiles of at most ~512 positions (at least 64k multiply-adds each), a multiple of NR. Among
    // the tile counts that allows, pick the one that 2 threads finish soonest (tasks shared
    // evenly, the last tile not a sliver), counting ~32 positions of overhead per task.
    const int64_t tmax = std::max<int64_t>(512, 65536 / cost);
    if (P <= tmax) {
        pl.T = P;
        pl.ntiles = 1;
    } else {
        const int64_t nt0 = (P + tmax - 1) / tmax;
        int64_t best = -1;
        for (int64_t nt = nt0; nt <= 4 * nt0 && nt * 64 <= P; ++nt) {
            const int64_t T = ((P + nt - 1) / nt + NR - 1) / NR * NR;
            const int64_t n = (P + T - 1) / T, tasks = NG * n;
            const int64_t span = (tasks + 1) / 2 * (T + 32);
            if (best < 0 || span < best) {
                best = span;
                pl.T = T;
                pl.ntiles = n;
            }
        }
        if (best < 0) {
            pl.T = P;
            pl.ntiles = 1;
        }
    }
    // Few tasks and enough work: split the output channels too (blocks of whole MR-row panels).
    pl.mb = std::max<int64_t>(g.Mg, 1);
    const int64_t tasks = NG * pl.ntiles;
    const int64_t work = NG * g.Mg * Ke * P;
    if (tasks < 8 && g.Mg >= 4 * MR && work >= 8 * 131072) {
        int64_t m = (8 + tasks - 1) / tasks;
        while ((tasks * m) % 4 != 0) ++m;
        pl.mb = std::max<int64_t>(2 * MR, ((g.Mg + m - 1) / m + MR - 1) / MR * MR);
        pl.mblocks = (g.Mg + pl.mb - 1) / pl.mb;
    }
#if defined(MUTINY_GEMM_AVX512)
    pl.implicit = implicit_fits(g, Ke, pl.direct);
#endif
    return pl;
}

// Weights [M, Cg, k...] = per group a row-major [Mg, K] matrix, packed into MR-row panels.
inline int64_t packed_w_group(const Geom& g) { return gemm::packed_a_size(g.Mg, g.K()); }
inline void pack_weights(const Geom& g, const float* w, float* dst) {
    const int64_t K = g.K();
    for (int64_t grp = 0; grp < g.G; ++grp) gemm::pack_a(w + grp * g.Mg * K, K, 1, g.Mg, K, 1.0f, dst + grp * packed_w_group(g));
}

#if defined(MUTINY_GEMM_AVX512)
// Implicit GEMM (AVX-512; see implicit_fits): the GEMM of conv_f32 with B read straight from the
// input instead of im2col panels. Each (image, group) input is copied once into zero-padded planes
// (Hp x Wp); then im2col element (k, p) of output
// position p = (oh, ow) and row k = (c, kh, kw) is plane[c][oh*sh + kh*dh][ow + kw*dw], so a
// column block of 16 output positions along a row is 16 consecutive floats at a per-k offset.
// Tasks are (image, group, output row, block of 256 columns), sized from the shape alone; each
// output is bias (or 0) + the fma chain over k = 0 .. Ke-1 of ukernel512: bitwise the result of
// the im2col path (padding taps multiply zeros there and here).
inline void conv_implicit(const Geom& g, int64_t Ke, const float* x, const float* wp, const float* b, float* y, const SiteConfig* sites) {
    using gemm::MR;
    const int64_t P = g.P(), Pin = g.Pin(), K = g.K(), NG = g.N * g.G;
    const int64_t kvol = g.k[1] * g.k[2];
    const int64_t Hi = g.in[1], Wi = g.in[2];
    const int64_t Hp = Hi + g.pb[1] + g.pe[1], Wp = Wi + g.pb[2] + g.pe[2];
    const int64_t plane = Hp * Wp;
    const int64_t lines = g.out[1], width = g.out[2];  // output rows
    std::vector<int64_t> off(static_cast<size_t>(K));
    for (int64_t k = 0; k < K; ++k) {
        const int64_t c = k / kvol, kh = (k % kvol) / g.k[2], kw = k % g.k[2];
        off[static_cast<size_t>(k)] = c * plane + kh * g.d[1] * Wp + kw * g.d[2];
    }
    // Without padding the planes are the input itself (same layout); else they are built in
    // the calling thread's scratch (reused across calls: a fresh buffer of this size is a fresh
    // mapping, whose page faults cost more than the copy).
    const bool unpadded = g.pb[1] == 0 && g.pe[1] == 0 && g.pb[2] == 0 && g.pe[2] == 0;
    const float* planes_base = x;
    if (!unpadded) {
        float* padded = gemm::scratch(static_cast<size_t>(NG * g.Cg * plane), 2);
        planes_base = padded;
        const int64_t planes = NG * g.Cg;
        parallel_chunks(planes, grain_for(planes, plane), [&](int64_t t0, int64_t t1) {
            for (int64_t t = t0; t < t1; ++t) {
                const int64_t ng = t / g.Cg, c = t % g.Cg, img = ng / g.G, grp = ng % g.G;
                const float* xs = x + (img * g.C + grp * g.Cg + c) * Pin;
                float* d = padded + t * plane;
                std::fill(d, d + g.pb[1] * Wp, 0.0f);
                for (int64_t ih = 0; ih < Hi; ++ih) {
                    float* row = d + (ih + g.pb[1]) * Wp;
                    std::fill(row, row + g.pb[2], 0.0f);
                    std::memcpy(row + g.pb[2], xs + ih * Wi, static_cast<size_t>(Wi) * sizeof(float));
                    std::fill(row + g.pb[2] + Wi, row + Wp, 0.0f);
                }
                std::fill(d + (Hi + g.pb[1]) * Wp, d + plane, 0.0f);
            }
        });
    }
    constexpr int64_t CB = 256;
    static const float zeros[MR] = {};
    const int64_t nb = (width + CB - 1) / CB, units = NG * lines * nb;
    const int64_t mp = (g.Mg + MR - 1) / MR;
    // Chunks of at least ~64k multiply-adds, and at least 8 of them where there are enough units.
    const int64_t cost = std::max<int64_t>(1, g.Mg * Ke * std::min(width, CB));
    const int64_t grain = std::max<int64_t>(1, std::min(65536 / cost, units / 8));
    parallel_chunks(units, grain, [&](int64_t u0, int64_t u1) {
        for (int64_t u = u0; u < u1; ++u) {
            const int64_t ng = u / (lines * nb), l = (u / nb) % lines, c0 = (u % nb) * CB, c1 = std::min(width, c0 + CB);
            const int64_t img = ng / g.G, grp = ng % g.G;
            const float* xb = planes_base + ng * g.Cg * plane + l * g.s[1] * Wp + c0;
            float* yb = y + (img * g.M + grp * g.Mg) * P + l * width + c0;
            const float* wg = wp + grp * packed_w_group(g);
            // K blocks of KC: the B rows of one block and 32 columns (KC x 128 bytes) stay in L1
            // while every row panel runs over them; between blocks the accumulators go through
            // the (float32) output, exactly.
            for (int64_t c = c0; c < c1; c += 2 * gemm::NR) {
                const int64_t cols = std::min<int64_t>(2 * gemm::NR, c1 - c);
                for (int64_t k0 = 0; k0 < Ke; k0 += gemm::KC) {
                    const int64_t kc = std::min(gemm::KC, Ke - k0);
                    for (int64_t i = 0; i < mp; ++i) {
                        const int rows = static_cast<int>(std::min<int64_t>(MR, g.Mg - i * MR));
                        const float* init = k0 > 0 ? nullptr : b ? b + grp * g.Mg + i * MR : zeros;
                        gemm::implicit_tile(rows, cols, kc, wg + i * K * MR + k0 * MR, xb + (c - c0), off.data() + k0, yb + i * MR * P + (c - c0),
                                            P, init);
                    }
                }
            }
            if (sites) gemm::store_sites(sites, yb, g.Mg, c1 - c0, P);
        }
    });
}
#endif

// Float32 conv: x [N, C, in...], wp = packed weights, b [M] or null, y [N, M, out...].
// With one channel block per (image, group) each task builds its own im2col panels (they stay in
// cache). With several, the im2col panels of every (image, group, tile) are built first, in
// parallel row blocks, into a buffer the channel blocks share (instead of each rebuilding them).
inline void conv_f32(const Geom& g, const Plan& pl, int64_t Ke, const float* x, const float* wp, const float* b, float* y,
                     const SiteConfig* sites) {
    using gemm::MR;
#if defined(MUTINY_GEMM_AVX512)
    if (pl.implicit) {
        conv_implicit(g, Ke, x, wp, b, y, sites);
        return;
    }
#endif
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
                 mutated ? &sites : nullptr);
    };
}

inline const bool registered_conv = Registry::instance().add(OpDef{"Conv", nullptr, conv_infer, conv_prepare});

// ---- ConvTranspose ---------------------------------------------------------------------------------
//
// X [N, C, in...], W [C, Mg, k...] (Mg = M / group), B [M]. Input position i and kernel tap k feed
// output position o = i*s - pad_begin + k*d. Float32: per (image, group) one GEMM
//   Cols[Mg*kvol, Pin] = W_g^T [Mg*kvol, Cg] * X_g [Cg, Pin]
// (W_g^T packed once in prepare()), then col2im: each output channel, in parallel, starts from its
// bias and adds its taps' rows in tap order. Every output is bias + a fixed sequence of sums
// (each an fma chain over the input channels): deterministic whatever the thread count.
// Pads follow the ONNX reference: explicit pads; else with auto_pad SAME_* computed from the
// output shape (given, or input*stride); else zero. An explicit output_shape sets the output size.

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
        const int64_t full = g.s[j] * (g.in[j] - 1) + opad[static_cast<size_t>(i)] + (g.k[j] - 1) * g.d[j] + 1;
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

inline const bool registered_conv_transpose = Registry::instance().add(OpDef{"ConvTranspose", nullptr, convt_infer, convt_prepare});

}  // namespace conv
}  // namespace mutiny

#endif  // MUTINY_OPS_CONV_HPP_
