// im2col for the float32 Conv: input values written straight into the GEMM's NR-column panels,
// tile by tile (runs along output rows; a 1x1, stride-1, unpadded conv copies rows).
#ifndef MUTINY_OPS_CONV_IM2COL_HPP_
#define MUTINY_OPS_CONV_IM2COL_HPP_

#include <algorithm>
#include <cstring>
#include <vector>

#include "../gemm/blocking.hpp"
#include "geometry.hpp"

namespace mutiny {
namespace conv {

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
    // Panel rows are 16 floats (64 bytes): fixed-size copies the compiler turns into vector moves.
    auto zero_panel_row = [&](float* d) { std::fill(d, d + NR, 0.0f); };
    if (direct) {
        for (int64_t r = r0; r < r1; ++r) {
            const float* src = x + r * Pin + p0;
            float* row = dst + r * NR;
            for (int64_t j = 0; j < full; ++j) {
                float* d = row + j * pstride;
                std::memcpy(d, src + j * NR, NR * sizeof(float));
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

}  // namespace conv
}  // namespace mutiny

#endif  // MUTINY_OPS_CONV_IM2COL_HPP_
