// SoftmaxCrossEntropyLoss (opset 12, 13): log_prob = LogSoftmax(scores) along the class axis 1
// (LogSoftmax's kernel of norm/softmax.hpp: the maximum subtracted first, the exponentials
// summed in double in class order), then the NegativeLogLikelihoodLoss of log_prob (loss/common.hpp). The
// optional second output is log_prob.
#ifndef MUTINY_OPS_LOSS_SOFTMAX_CROSS_ENTROPY_HPP_
#define MUTINY_OPS_LOSS_SOFTMAX_CROSS_ENTROPY_HPP_

#include <string>

#include "../norm/softmax.hpp"
#include "common.hpp"

namespace mutiny {
namespace loss {

inline void register_softmax_cross_entropy(Registry& r) {
    r.add(OpDef{
        "SoftmaxCrossEntropyLoss", nullptr,
        [](InferContext& c) {
            infer_loss(c);
            if (c.node().outputs.size() > 1) c.set_output(1, c.dtype(0), c.shape(0));
        },
        [](const PrepareContext& pc) -> Kernel {
            const LossSpec s = loss_spec(pc.attrs(), pc.where());
            return [s](ExecContext& c) {
                const Tensor& x = c.input(0);
                const std::string where = Graph::where(*c.node);
                const Shape& xs = x.shape();
                const int64_t n = xs[0], classes = xs[1], d = xs.product(2, xs.rank());
                const std::vector<int64_t> tgt = checked_targets(c.input(1), classes, s, c.node->op, where);
                Tensor scratch;
                Tensor* lp = c.out.size() > 1 ? c.out[1] : nullptr;
                if (!lp) {
                    scratch = Tensor(x.dtype(), xs);
                    lp = &scratch;
                }
                dispatch_float(x.dtype(), where, [&](auto tag) {
                    using T = decltype(tag);
                    T* lpp = static_cast<T*>(lp->raw());
                    // LogSoftmax's own kernel over lines (n, d) of `classes` values, without mutation sites.
                    norm::run_softmax<T, true, false>(norm::SoftmaxView{n, classes, d}, nullptr, static_cast<const T*>(x.raw()), lpp);
                    const T* w = c.has(2) ? static_cast<const T*>(c.input(2).raw()) : nullptr;
                    nll_loss<T>(s, n, classes, d, lpp, tgt, w, static_cast<T*>(c.out[0]->raw()));
                });
            };
        },
        12});
}

}  // namespace loss
}  // namespace mutiny

#endif  // MUTINY_OPS_LOSS_SOFTMAX_CROSS_ENTROPY_HPP_
