// The elementwise op family, defined once (see ops_families.hpp).
#ifndef MUTINY_IMPL_OPS_ELEMENTWISE_HPP_
#define MUTINY_IMPL_OPS_ELEMENTWISE_HPP_

#include "../ops/elementwise/binary.hpp"
#include "../ops/elementwise/bitwise.hpp"
#include "../ops/elementwise/clip.hpp"
#include "../ops/elementwise/mod_bitshift.hpp"
#include "../ops/elementwise/unary.hpp"
#include "../ops/elementwise/variadic.hpp"
#include "ops_families.hpp"

namespace mutiny {
namespace impl {

void builtin_elementwise_ops(Registry& r) {
    ew::register_unary_ops(r);
    ew::register_binary_ops(r);
    ew::register_variadic_ops(r);
    ew::register_clip(r);
    ew::register_mod(r);
    ew::register_bitshift(r);
    ew::register_bitwise_ops(r);
}

}  // namespace impl
}  // namespace mutiny

#endif  // MUTINY_IMPL_OPS_ELEMENTWISE_HPP_
