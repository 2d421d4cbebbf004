// RNN (opsets 7 and 14): H_t = f(X_t·W^T + H_{t-1}·R^T + Wb + Rb) per direction, f Tanh by
// default; outputs Y (every step's H), Y_h (the last). Shared parts: common.hpp.
#ifndef MUTINY_OPS_RNN_RNN_HPP_
#define MUTINY_OPS_RNN_RNN_HPP_

#include "common.hpp"

namespace mutiny {
namespace rnn {

struct RnnOp {
    static const Kind& kind() { return kRnn; }
    template <class C>
    static void run(const Config& cfg, Run<C>& r);
};

template <class C>
void RnnOp::run(const Config& cfg, Run<C>& r) {
    const Dims& dm = r.dm;
    const int64_t N = dm.N, H = dm.H;
    std::vector<C> xw(static_cast<size_t>(dm.S * N * H)), hr(static_cast<size_t>(N * H)), bias(static_cast<size_t>(H));
    for (int64_t d = 0; d < dm.D; ++d) {
        const bool backward = cfg.reverse || d == 1;
        const Activation& f = cfg.act(d, 0);
        r.bias_sum(d, 0, 1, true, bias.data());
        gemm_bt(dm.S * N, r.x, dm.I, r.W.at(d, 0), bias.data(), xw.data());
        std::vector<C> h = r.initial(r.h0, d);
        for (int64_t s = 0; s < r.steps; ++s) {
            gemm_bt(N, h.data(), H, r.R.at(d, 0), nullptr, hr.data());
            r.rows(s, 8, [&](int64_t b) {
                const int64_t t = r.time(backward, s, r.lens[static_cast<size_t>(b)]);
                const C* xr = xw.data() + dm.xrow(t, b) * H;
                C* hb = h.data() + b * H;
                for (int64_t j = 0; j < H; ++j) hb[j] = f(cfg.clipped(xr[j] + hr[static_cast<size_t>(b * H + j)]));
                if (r.y) std::copy(hb, hb + H, r.y + dm.y_off(t, d, b));
            });
        }
        r.final_state(r.yh, h, d);
    }
}

inline void register_rnn(Registry& reg) { register_recurrent<RnnOp>(reg); }

}  // namespace rnn
}  // namespace mutiny

#endif  // MUTINY_OPS_RNN_RNN_HPP_
