// The logic op family (comparisons, boolean logic, Where, IsNaN, IsInf), defined once (see
// ops_families.hpp).
#ifndef MUTINY_IMPL_OPS_LOGIC_HPP_
#define MUTINY_IMPL_OPS_LOGIC_HPP_

#include "../ops/logic/compare.hpp"
#include "../ops/logic/isnan.hpp"
#include "../ops/logic/logical.hpp"
#include "../ops/logic/where.hpp"
#include "ops_families.hpp"

namespace mutiny {
namespace impl {

void builtin_logic_ops(Registry& r) {
    logic::register_compare_ops(r);
    logic::register_logical_ops(r);
    logic::register_where(r);
    logic::register_isnan_ops(r);
}

}  // namespace impl
}  // namespace mutiny

#endif  // MUTINY_IMPL_OPS_LOGIC_HPP_
