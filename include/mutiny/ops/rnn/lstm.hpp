// LSTM (opsets 7 and 14), gates i, o, f, c (W, R and B rows in that order; peepholes P in the
// order i, o, f), f Sigmoid, g and h Tanh by default:
//   i = f(X·Wi^T + H·Ri^T + Pi ⊙ C + Wbi + Rbi)
//   f = f(X·Wf^T + H·Rf^T + Pf ⊙ C + Wbf + Rbf)        (input_forget = 1: f = 1 - i)
//   c = g(X·Wc^T + H·Rc^T + Wbc + Rbc)
//   C' = f ⊙ C + i ⊙ c
//   o = f(X·Wo^T + H·Ro^T + Po ⊙ C' + Wbo + Rbo)
//   H' = o ⊙ h(C')
// clip bounds each gate's input to its activation (not C' before h), as onnxruntime does.
#ifndef MUTINY_OPS_RNN_LSTM_HPP_
#define MUTINY_OPS_RNN_LSTM_HPP_

#include "common.hpp"

namespace mutiny {
namespace rnn {

struct LstmOp {
    static const Kind& kind() { return kLstm; }
    template <class C>
    static void run(const Config& cfg, Run<C>& r);
};

template <class C>
void LstmOp::run(const Config& cfg, Run<C>& r) {
    const Dims& dm = r.dm;
    const int64_t N = dm.N, H = dm.H;
    std::vector<C> xw(static_cast<size_t>(dm.S * N * 4 * H)), hr(static_cast<size_t>(N * 4 * H)), bias(static_cast<size_t>(4 * H));
    const std::vector<C> no_peepholes(static_cast<size_t>(3 * H), C(0));
    for (int64_t d = 0; d < dm.D; ++d) {
        const bool backward = cfg.reverse || d == 1;
        const Activation &f = cfg.act(d, 0), &g = cfg.act(d, 1), &hf = cfg.act(d, 2);
        const C* pi = r.p ? r.p + d * 3 * H : no_peepholes.data();
        const C *po = pi + H, *pf = pi + 2 * H;
        r.bias_sum(d, 0, 4, true, bias.data());
        gemm_bt(dm.S * N, r.x, dm.I, r.W.at(d, 0), bias.data(), xw.data());
        std::vector<C> h = r.initial(r.h0, d), cs = r.initial(r.c0, d);
        for (int64_t s = 0; s < r.steps; ++s) {
            gemm_bt(N, h.data(), H, r.R.at(d, 0), nullptr, hr.data());
            r.rows(s, 40, [&](int64_t b) {
                const int64_t t = r.time(backward, s, r.lens[static_cast<size_t>(b)]);
                const C* xr = xw.data() + dm.xrow(t, b) * 4 * H;
                const C* hrb = hr.data() + b * 4 * H;
                C* hb = h.data() + b * H;
                C* cb = cs.data() + b * H;
                for (int64_t j = 0; j < H; ++j) {
                    const C ig = f(cfg.clipped(xr[j] + hrb[j] + pi[j] * cb[j]));
                    const C fg = cfg.input_forget ? C(1) - ig : f(cfg.clipped(xr[2 * H + j] + hrb[2 * H + j] + pf[j] * cb[j]));
                    const C cg = g(cfg.clipped(xr[3 * H + j] + hrb[3 * H + j]));
                    const C cn = fg * cb[j] + ig * cg;
                    const C og = f(cfg.clipped(xr[H + j] + hrb[H + j] + po[j] * cn));
                    cb[j] = cn;
                    hb[j] = og * hf(cn);
                }
                if (r.y) std::copy(hb, hb + H, r.y + dm.y_off(t, d, b));
            });
        }
        r.final_state(r.yh, h, d);
        r.final_state(r.yc, cs, d);
    }
}

inline void register_lstm(Registry& reg) { register_recurrent<LstmOp>(reg); }

}  // namespace rnn
}  // namespace mutiny

#endif  // MUTINY_OPS_RNN_LSTM_HPP_
