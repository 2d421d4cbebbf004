// SoftmaxCrossEntropyLoss (opset 12, 13): log_prob = LogSoftmax(scores) along the class axis 1
// (the maximum subtracted first, the exponentials summed in double in class order, as LogSoftmax
// in norm/softmax.hpp), then the NegativeLogLikelihoodLoss of log_prob (loss/common.hpp). The
// optional second output is log_prob.
#ifndef MUTINY_OPS_LOSS_SOFTMAX_CROSS_ENTROPY_HPP_
#define MUTINY_OPS_LOSS_SOFTMAX_CROSS_ENTROPY_HPP_

#include <cmath>
#include <limits>
#include <string>

#include "../../core/parallel.hpp"
#include "common.hpp"

namespace mutiny {
namespace loss {

// log_prob of x (n, classes, d) along the class axis, into y (same shape).
template <class T>
void log_softmax_classes(int64_t n, int64_t classes, int64_t d, const T* x, T* y) {
    using C = compute_t<T>;
    const int64_t lines = n * d;
    parallel_chunks(lines, grain_for(lines, classes * 8 + 1), [&](int64_t b, int64_t e) {
        for (int64_t l = b; l < e; ++l) {
            const int64_t o = l / d, i = l % d;
            const T* xp = x + o * classes * d + i;
            T* yp = y + o * classes * d + i;
            C mx = -std::numeric_limits<C>::infinity();
            for (int64_t k = 0; k < classes; ++k) {
                const C v = load(xp[k * d]);
                if (v > mx || v != v) mx = v;
                if (mx != mx) break;
            }
            double sum = 0;
            for (int64_t k = 0; k < classes; ++k) sum += static_cast<double>(std::exp(load(xp[k * d]) - mx));
            const C ls = static_cast<C>(std::log(sum));
            for (int64_t k = 0; k < classes; ++k) yp[k * d] = store_as<T>(static_cast<C>((load(xp[k * d]) - mx) - ls));
        }
    });
}

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
                    log_softmax_classes<T>(n, classes, d, static_cast<const T*>(x.raw()), lpp);
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
