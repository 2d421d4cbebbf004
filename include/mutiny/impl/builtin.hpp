// The compiled part's entry points: the function the op registry calls on first use to register
// the built-in ops (one call per op family, each defined in impl/ops_<family>.hpp) and the one the
// mutation registry calls for the built-in mutation operators.
// Defined exactly once per program: see implementation.hpp.
#ifndef MUTINY_IMPL_BUILTIN_HPP_
#define MUTINY_IMPL_BUILTIN_HPP_

#include "../mutate/presets.hpp"
#include "../ops/op.hpp"
#include "ops_families.hpp"

namespace mutiny {
namespace link_check {

void define_MUTINY_IMPLEMENTATION_in_one_source_file_or_link_mutiny_compiled(Registry& r) {
#define MUTINY_REGISTER_FAMILY(family) impl::builtin_##family##_ops(r);
    MUTINY_OP_FAMILIES(MUTINY_REGISTER_FAMILY)
#undef MUTINY_REGISTER_FAMILY
}

void builtin_mutation_operators(MutationRegistry& r) { register_mutation_operators(r); }

}  // namespace link_check
}  // namespace mutiny

#endif  // MUTINY_IMPL_BUILTIN_HPP_
