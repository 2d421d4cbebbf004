// The reduce op family (Reduce*, ArgMax, ArgMin, CumSum), defined once (see ops_families.hpp).
#ifndef MUTINY_IMPL_OPS_REDUCE_HPP_
#define MUTINY_IMPL_OPS_REDUCE_HPP_

#include "../ops/reduce/argmax.hpp"
#include "../ops/reduce/cumsum.hpp"
#include "../ops/reduce/reduce.hpp"
#include "ops_families.hpp"

namespace mutiny {
namespace impl {

void builtin_reduce_ops(Registry& r) {
    reduce::register_reduce_ops(r);
    reduce::register_arg_ops(r);
    reduce::register_cumsum(r);
}

}  // namespace impl
}  // namespace mutiny

#endif  // MUTINY_IMPL_OPS_REDUCE_HPP_
