// The control-flow op family (If, Loop, Scan), defined once (see ops_families.hpp).
#ifndef MUTINY_IMPL_OPS_CONTROL_HPP_
#define MUTINY_IMPL_OPS_CONTROL_HPP_

#include "../ops/control/if.hpp"
#include "../ops/control/loop.hpp"
#include "../ops/control/scan.hpp"
#include "ops_families.hpp"

namespace mutiny {
namespace impl {

void builtin_control_ops(Registry& r) {
    control::register_if(r);
    control::register_loop(r);
    control::register_scan(r);
}

}  // namespace impl
}  // namespace mutiny

#endif  // MUTINY_IMPL_OPS_CONTROL_HPP_
