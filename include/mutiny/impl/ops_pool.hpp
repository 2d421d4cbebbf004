// The pool op family (MaxPool, AveragePool, LpPool, global pooling, LRN, MaxUnpool), defined once (see ops_families.hpp).
#ifndef MUTINY_IMPL_OPS_POOL_HPP_
#define MUTINY_IMPL_OPS_POOL_HPP_

#include "../ops/pool/global_pool.hpp"
#include "../ops/pool/lppool.hpp"
#include "../ops/pool/lrn.hpp"
#include "../ops/pool/maxunpool.hpp"
#include "../ops/pool/pool.hpp"
#include "ops_families.hpp"

namespace mutiny {
namespace impl {

void builtin_pool_ops(Registry& r) {
    pool::register_pool(r);
    pool::register_global_pool(r);
    pool::register_lrn(r);
    pool::register_maxunpool(r);
    pool::register_lppool(r);
}

}  // namespace impl
}  // namespace mutiny

#endif  // MUTINY_IMPL_OPS_POOL_HPP_
