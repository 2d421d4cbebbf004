// The op families of the compiled part: each is one translation unit of mutiny::compiled
// (src/ops_<family>.cpp, compiled in parallel) and defines impl::builtin_<family>_ops, which
// registers the family's ops. A new family is one line here, one impl/ops_<family>.hpp and one
// src/ops_<family>.cpp; a new op in an existing family touches neither.
#ifndef MUTINY_IMPL_OPS_FAMILIES_HPP_
#define MUTINY_IMPL_OPS_FAMILIES_HPP_

namespace mutiny {
class Registry;

#define MUTINY_OP_FAMILIES(X) \
    X(elementwise)            \
    X(gemm)                   \
    X(conv)                   \
    X(pool)                   \
    X(normalization)          \
    X(shape)                  \
    X(reduce)                 \
    X(logic)                  \
    X(quant)                  \
    X(tensor)                 \
    X(index)                  \
    X(loss)                   \
    X(control)                \
    X(resample)               \
    X(rnn)

namespace impl {
#define MUTINY_DECLARE_FAMILY(family) void builtin_##family##_ops(Registry& r);
MUTINY_OP_FAMILIES(MUTINY_DECLARE_FAMILY)
#undef MUTINY_DECLARE_FAMILY
}  // namespace impl

}  // namespace mutiny

#endif  // MUTINY_IMPL_OPS_FAMILIES_HPP_
