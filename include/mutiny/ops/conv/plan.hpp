// The task decomposition of a float32 Conv, from the shape alone (never the thread count), and the
// packing of its weights into the GEMM's MR-row panels.
#ifndef MUTINY_OPS_CONV_PLAN_HPP_
#define MUTINY_OPS_CONV_PLAN_HPP_

#include <algorithm>

#include "../gemm/blocking.hpp"
#include "geometry.hpp"

namespace mutiny {
namespace conv {

// Task decomposition of a float32 conv, from the shape alone.
struct Plan {
    int64_t T = 1, ntiles = 1, mb = 1, mblocks = 1;
    bool direct = false;    // 1x1, stride 1, no padding: X is the im2col matrix
    bool implicit = false;  // implicit GEMM (conv_implicit) instead of im2col + GEMM, where the level has it
};

// Whether conv_implicit serves this conv: few output channels (an im2col element then feeds few
// multiply-adds, and building the panels costs more than the GEMM; measured on mnist-8, where
// it is most of the time, and on squeezenet and resnet50, whose wider convs gain nothing), a real
// im2col (not a 1x1 stride-1 unpadded conv, whose packing is a plain copy), 1-D or 2-D, stride 1
// along the width, lines wide enough to fill the 16-lane vectors.
inline bool implicit_fits(const Geom& g, int64_t Ke, bool direct) {
    if (direct || Ke <= 0 || g.in[0] != 1 || g.k[0] != 1 || g.out[0] != 1 || g.s[2] != 1) return false;
    return g.Mg <= 32 && g.out[2] >= 8;
}

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
    // Both paths give the same bits; conv_f32 falls back to im2col when the level active at run
    // time has no implicit tile.
    pl.implicit = implicit_fits(g, Ke, pl.direct);
    return pl;
}

// Weights [M, Cg, k...] = per group a row-major [Mg, K] matrix, packed into MR-row panels.
inline int64_t packed_w_group(const Geom& g) { return gemm::packed_a_size(g.Mg, g.K()); }
inline void pack_weights(const Geom& g, const float* w, float* dst) {
    const int64_t K = g.K();
    for (int64_t grp = 0; grp < g.G; ++grp) gemm::pack_a(w + grp * g.Mg * K, K, 1, g.Mg, K, 1.0f, dst + grp * packed_w_group(g));
}

}  // namespace conv
}  // namespace mutiny

#endif  // MUTINY_OPS_CONV_PLAN_HPP_
