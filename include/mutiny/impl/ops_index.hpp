// The index op family (GatherElements, GatherND, ScatterElements / Scatter, ScatterND, TopK),
// defined once (see ops_families.hpp).
#ifndef MUTINY_IMPL_OPS_INDEX_HPP_
#define MUTINY_IMPL_OPS_INDEX_HPP_

#include "../ops/index/gather_elements.hpp"
#include "../ops/index/gather_nd.hpp"
#include "../ops/index/scatter.hpp"
#include "../ops/index/topk.hpp"
#include "ops_families.hpp"

namespace mutiny {
namespace impl {

void builtin_index_ops(Registry& r) {
    index_ops::register_gather_elements(r);
    index_ops::register_gather_nd(r);
    index_ops::register_scatter_elements(r);
    index_ops::register_scatter_nd(r);
    index_ops::register_topk(r);
}

}  // namespace impl
}  // namespace mutiny

#endif  // MUTINY_IMPL_OPS_INDEX_HPP_
