// Implicit-GEMM Conv (where the instruction-set level has a tile for it, isa/dispatch.hpp): the
// GEMM of conv_f32 with B read straight from the input planes instead of im2col panels; same fma
// chains, same bits.
#ifndef MUTINY_OPS_CONV_IMPLICIT_HPP_
#define MUTINY_OPS_CONV_IMPLICIT_HPP_

#include <algorithm>
#include <cstring>
#include <vector>

#include "../../core/parallel.hpp"
#include "../gemm/blocking.hpp"
#include "../isa/dispatch.hpp"
#include "geometry.hpp"
#include "plan.hpp"

namespace mutiny {
namespace conv {

// Implicit GEMM (see implicit_fits): the GEMM of conv_f32 with B read straight from the
// input instead of im2col panels. Each (image, group) input is copied once into zero-padded planes
// (Hp x Wp); then im2col element (k, p) of output
// position p = (oh, ow) and row k = (c, kh, kw) is plane[c][oh*sh + kh*dh][ow + kw*dw], so a
// column block of 16 output positions along a row is 16 consecutive floats at a per-k offset.
// Tasks are (image, group, output row, block of 256 columns), sized from the shape alone; each
// output is bias (or 0) + the fma chain over k = 0 .. Ke-1 of the GEMM micro-kernels: bitwise the result of
// the im2col path (padding taps multiply zeros there and here).
inline void conv_implicit(const Geom& g, int64_t Ke, const float* x, const float* wp, const float* b, float* y, const SiteConfig* sites,
                          const Epilogue* ep) {
    using gemm::MR;
    const isa::Kernels& kern = isa::kernels();
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
            for (int64_t c = c0; c < c1; c += kern.implicit_cols) {
                const int64_t cols = std::min<int64_t>(kern.implicit_cols, c1 - c);
                for (int64_t k0 = 0; k0 < Ke; k0 += gemm::KC) {
                    const int64_t kc = std::min(gemm::KC, Ke - k0);
                    for (int64_t i = 0; i < mp; ++i) {
                        const int rows = static_cast<int>(std::min<int64_t>(MR, g.Mg - i * MR));
                        const float* init = k0 > 0 ? nullptr : b ? b + grp * g.Mg + i * MR : zeros;
                        kern.implicit_tile(rows, cols, kc, wg + i * K * MR + k0 * MR, xb + (c - c0), off.data() + k0, yb + i * MR * P + (c - c0),
                                            P, init);
                    }
                }
            }
            if (sites) gemm::store_sites(sites, yb, g.Mg, c1 - c0, P);
            if (ep) ep->apply_tile(yb, g.Mg, c1 - c0, P, img, grp * g.Mg, l * width + c0);
        }
    });
}
}  // namespace conv
}  // namespace mutiny

#endif  // MUTINY_OPS_CONV_IMPLICIT_HPP_
