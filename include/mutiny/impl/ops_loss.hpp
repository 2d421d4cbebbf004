// The loss op family (NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss), defined once (see
// ops_families.hpp).
#ifndef MUTINY_IMPL_OPS_LOSS_HPP_
#define MUTINY_IMPL_OPS_LOSS_HPP_

#include "../ops/loss/nll.hpp"
#include "../ops/loss/softmax_cross_entropy.hpp"
#include "ops_families.hpp"

namespace mutiny {
namespace impl {

void builtin_loss_ops(Registry& r) {
    loss::register_nll(r);
    loss::register_softmax_cross_entropy(r);
}

}  // namespace impl
}  // namespace mutiny

#endif  // MUTINY_IMPL_OPS_LOSS_HPP_
