// GRU (opsets 7 and 14), gates z, r, h (W, R and B rows in that order), f Sigmoid and g Tanh by
// default:
//   z = f(X·Wz^T + H·Rz^T + Wbz + Rbz),  r = f(X·Wr^T + H·Rr^T + Wbr + Rbr)
//   h = g(X·Wh^T + (r ⊙ H)·Rh^T + Rbh + Wbh)          (linear_before_reset = 0)
//   h = g(X·Wh^T + r ⊙ (H·Rh^T + Rbh) + Wbh)          (linear_before_reset = 1)
//   H' = (1 - z) ⊙ h + z ⊙ H
// The default form multiplies Rh after r is known, so R is two operands then (z,r rows; h rows).
#ifndef MUTINY_OPS_RNN_GRU_HPP_
#define MUTINY_OPS_RNN_GRU_HPP_

#include "common.hpp"

namespace mutiny {
namespace rnn {

struct GruOp {
    static const Kind& kind() { return kGru; }
    template <class C>
    static void run(const Config& cfg, Run<C>& r);
};

template <class C>
void GruOp::run(const Config& cfg, Run<C>& r) {
    const Dims& dm = r.dm;
    const int64_t N = dm.N, H = dm.H;
    const bool lbr = cfg.linear_before_reset;
    std::vector<C> xw(static_cast<size_t>(dm.S * N * 3 * H)), hr(static_cast<size_t>(N * 3 * H)), bias(static_cast<size_t>(3 * H));
    std::vector<C> z(static_cast<size_t>(N * H)), rh(static_cast<size_t>(N * H)), hh(static_cast<size_t>(N * H)), rbh(static_cast<size_t>(H));
    for (int64_t d = 0; d < dm.D; ++d) {
        const bool backward = cfg.reverse || d == 1;
        const Activation &f = cfg.act(d, 0), &g = cfg.act(d, 1);
        // Wb + Rb for z and r; for h, Wbh plus Rbh unless Rbh is applied inside r ⊙ (...).
        r.bias_sum(d, 0, 2, true, bias.data());
        r.bias_sum(d, 2, 3, !lbr, bias.data() + 2 * H);
        for (int64_t j = 0; j < H; ++j) rbh[static_cast<size_t>(j)] = r.b ? r.b[d * 6 * H + 5 * H + j] : C(0);
        gemm_bt(dm.S * N, r.x, dm.I, r.W.at(d, 0), bias.data(), xw.data());
        std::vector<C> h = r.initial(r.h0, d);
        const int64_t hw = lbr ? 3 * H : 2 * H;  // width of this step's H·R^T
        for (int64_t s = 0; s < r.steps; ++s) {
            gemm_bt(N, h.data(), H, r.R.at(d, 0), nullptr, hr.data());
            // z and r; then h (default form: after (r ⊙ H)·Rh^T).
            r.rows(s, 24, [&](int64_t b) {
                const int64_t t = r.time(backward, s, r.lens[static_cast<size_t>(b)]);
                const C* xr = xw.data() + dm.xrow(t, b) * 3 * H;
                const C* hrb = hr.data() + b * hw;
                const C* hb = h.data() + b * H;
                for (int64_t j = 0; j < H; ++j) {
                    const size_t i = static_cast<size_t>(b * H + j);
                    z[i] = f(cfg.clipped(xr[j] + hrb[j]));
                    const C rg = f(cfg.clipped(xr[H + j] + hrb[H + j]));
                    if (lbr) hh[i] = g(cfg.clipped(xr[2 * H + j] + rg * (hrb[2 * H + j] + rbh[static_cast<size_t>(j)])));
                    else rh[i] = rg * hb[j];
                }
            });
            if (!lbr) gemm_bt(N, rh.data(), H, r.R.at(d, 1), nullptr, hh.data());
            r.rows(s, 8, [&](int64_t b) {
                const int64_t t = r.time(backward, s, r.lens[static_cast<size_t>(b)]);
                const C* xr = xw.data() + dm.xrow(t, b) * 3 * H;
                C* hb = h.data() + b * H;
                for (int64_t j = 0; j < H; ++j) {
                    const size_t i = static_cast<size_t>(b * H + j);
                    const C hc = lbr ? hh[i] : g(cfg.clipped(xr[2 * H + j] + hh[i]));
                    hb[j] = (C(1) - z[i]) * hc + z[i] * hb[j];
                }
                if (r.y) std::copy(hb, hb + H, r.y + dm.y_off(t, d, b));
            });
        }
        r.final_state(r.yh, h, d);
    }
}

inline void register_gru(Registry& reg) { register_recurrent<GruOp>(reg); }

}  // namespace rnn
}  // namespace mutiny

#endif  // MUTINY_OPS_RNN_GRU_HPP_
