// NegativeLogLikelihoodLoss (opset 12, 13): the loss of input log probabilities (N, C, d1..dk) for
// target classes (N, d1..dk), optional weight (C), ignore_index, reduction (loss/common.hpp).
#ifndef MUTINY_OPS_LOSS_NLL_HPP_
#define MUTINY_OPS_LOSS_NLL_HPP_

#include <string>

#include "common.hpp"

namespace mutiny {
namespace loss {

inline void register_nll(Registry& r) {
    r.add(OpDef{
        "NegativeLogLikelihoodLoss", nullptr, infer_loss,
        [](const PrepareContext& pc) -> Kernel {
            const LossSpec s = loss_spec(pc.attrs(), pc.where());
            return [s](ExecContext& c) {
                const Tensor& x = c.input(0);
                const std::string where = Graph::where(*c.node);
                const Shape& xs = x.shape();
                const int64_t n = xs[0], classes = xs[1], d = xs.product(2, xs.rank());
                const std::vector<int64_t> tgt = checked_targets(c.input(1), classes, s, c.node->op, where);
                dispatch_float(x.dtype(), where, [&](auto tag) {
                    using T = decltype(tag);
                    const T* w = c.has(2) ? static_cast<const T*>(c.input(2).raw()) : nullptr;
                    nll_loss<T>(s, n, classes, d, static_cast<const T*>(x.raw()), tgt, w, static_cast<T*>(c.out[0]->raw()));
                });
            };
        },
        12});
}

}  // namespace loss
}  // namespace mutiny

#endif  // MUTINY_OPS_LOSS_NLL_HPP_
