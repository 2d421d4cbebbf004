// Comparisons with numpy broadcasting, bool results: Equal, Less, Greater, LessOrEqual,
// GreaterOrEqual (every numeric type; Equal also bool). On float inputs Less's `a < b` is an LT
// mutation site and Greater's `a > b` a GT site: MutateNN's if-statement mutations (comparator
// swap, threshold shift) act on the comparisons a model itself makes (attention masks, ...).
#ifndef MUTINY_OPS_LOGIC_COMPARE_HPP_
#define MUTINY_OPS_LOGIC_COMPARE_HPP_

#include <string>
#include <type_traits>

#include "../common.hpp"
#include "../elementwise/broadcast.hpp"

namespace mutiny {
namespace logic {

enum class Cmp { eq, lt, gt, le, ge };

template <Cmp K>
void infer_compare(InferContext& c) {
    c.expect_inputs(2, 2);
    if (c.dtype(0) != c.dtype(1))
        c.fail("input dtypes differ", std::string(dtype_name(c.dtype(0))) + " and " + dtype_name(c.dtype(1)));
    if (K != Cmp::eq && c.dtype(0) == DType::boolean) c.fail("unsupported input dtype", c.node().op + " compares numbers, not bool");
    c.set_output(0, DType::boolean, Shape::broadcast(c.shape(0), c.shape(1), c.where()));
}

template <Cmp K, class C>
inline bool compare(const SiteConfig* s, C a, C b) {
    if constexpr (std::is_floating_point_v<C>) {
        if constexpr (K == Cmp::lt) return site_lt(s, a, b);
        if constexpr (K == Cmp::gt) return site_gt(s, a, b);
    }
    if constexpr (K == Cmp::eq) return a == b;
    if constexpr (K == Cmp::lt) return a < b;
    if constexpr (K == Cmp::gt) return a > b;
    if constexpr (K == Cmp::le) return a <= b;
    return a >= b;
}

template <Cmp K>
Kernel prepare_compare(const PrepareContext& pc) {
    const SiteConfig sites = pc.sites;
    return [sites](ExecContext& c) {
        const SiteConfig* s = active_sites(sites);
        dispatch_dtype(c.input(0).dtype(), [&](auto tag) {
            using T = decltype(tag);
            ew::broadcast_apply<T, uint8_t>(c.input(0), c.input(1), *c.out[0], [s](auto a, auto b) { return compare<K>(s, a, b); });
        });
    };
}

inline void register_compare_ops(Registry& r) {
    r.add(OpDef{"Equal", nullptr, infer_compare<Cmp::eq>, prepare_compare<Cmp::eq>});
    r.add(OpDef{"Less", nullptr, infer_compare<Cmp::lt>, prepare_compare<Cmp::lt>}).sites.lt = true;
    r.add(OpDef{"Greater", nullptr, infer_compare<Cmp::gt>, prepare_compare<Cmp::gt>}).sites.gt = true;
    r.add(OpDef{"LessOrEqual", nullptr, infer_compare<Cmp::le>, prepare_compare<Cmp::le>});
    r.add(OpDef{"GreaterOrEqual", nullptr, infer_compare<Cmp::ge>, prepare_compare<Cmp::ge>});
}

}  // namespace logic
}  // namespace mutiny

#endif  // MUTINY_OPS_LOGIC_COMPARE_HPP_
