// The normalisation op family (BatchNormalization, InstanceNormalization, Softmax, LogSoftmax,
// Hardmax, LayerNormalization, MeanVarianceNormalization, LpNormalization, GroupNormalization),
// defined once (see ops_families.hpp).
#ifndef MUTINY_IMPL_OPS_NORMALIZATION_HPP_
#define MUTINY_IMPL_OPS_NORMALIZATION_HPP_

#include "../ops/norm/batchnorm.hpp"
#include "../ops/norm/groupnorm.hpp"
#include "../ops/norm/hardmax.hpp"
#include "../ops/norm/layernorm.hpp"
#include "../ops/norm/lpnorm.hpp"
#include "../ops/norm/mvn.hpp"
#include "../ops/norm/instancenorm.hpp"
#include "../ops/norm/softmax.hpp"
#include "ops_families.hpp"

namespace mutiny {
namespace impl {

void builtin_normalization_ops(Registry& r) {
    norm::register_batchnorm(r);
    norm::register_instancenorm(r);
    norm::register_softmax(r);
    norm::register_hardmax(r);
    norm::register_layernorm(r);
    norm::register_mvn(r);
    norm::register_lpnorm(r);
    norm::register_groupnorm(r);
}

}  // namespace impl
}  // namespace mutiny

#endif  // MUTINY_IMPL_OPS_NORMALIZATION_HPP_
