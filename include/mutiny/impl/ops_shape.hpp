// The shape and data-movement op family, defined once (see ops_families.hpp).
#ifndef MUTINY_IMPL_OPS_SHAPE_HPP_
#define MUTINY_IMPL_OPS_SHAPE_HPP_

#include "../ops/shape/cast.hpp"
#include "../ops/shape/castlike.hpp"
#include "../ops/shape/center_crop_pad.hpp"
#include "../ops/shape/concat.hpp"
#include "../ops/shape/constant.hpp"
#include "../ops/shape/depth_space.hpp"
#include "../ops/shape/expand_tile.hpp"
#include "../ops/shape/gather.hpp"
#include "../ops/shape/pad.hpp"
#include "../ops/shape/reshape.hpp"
#include "../ops/shape/slice.hpp"
#include "../ops/shape/split.hpp"
#include "../ops/shape/transpose.hpp"
#include "ops_families.hpp"

namespace mutiny {
namespace impl {

void builtin_shape_ops(Registry& r) {
    shape_ops::register_reshape_ops(r);
    shape_ops::register_transpose_ops(r);
    shape_ops::register_concat_ops(r);
    shape_ops::register_split_ops(r);
    shape_ops::register_slice_ops(r);
    shape_ops::register_gather_ops(r);
    shape_ops::register_expand_tile_ops(r);
    shape_ops::register_pad_ops(r);
    shape_ops::register_cast_ops(r);
    shape_ops::register_constant_ops(r);
    shape_ops::register_castlike(r);
    shape_ops::register_depth_space_ops(r);
    shape_ops::register_center_crop_pad(r);
}

}  // namespace impl
}  // namespace mutiny

#endif  // MUTINY_IMPL_OPS_SHAPE_HPP_
