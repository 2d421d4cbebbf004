// The resample op family (Resize, Upsample, GridSample, AffineGrid, RoiAlign), defined once (see ops_families.hpp).
#ifndef MUTINY_IMPL_OPS_RESAMPLE_HPP_
#define MUTINY_IMPL_OPS_RESAMPLE_HPP_

#include "../ops/resample/affine_grid.hpp"
#include "../ops/resample/grid_sample.hpp"
#include "../ops/resample/resize.hpp"
#include "../ops/resample/roi_align.hpp"
#include "ops_families.hpp"

namespace mutiny {
namespace impl {

void builtin_resample_ops(Registry& r) {
    resample::register_resize(r);
    resample::register_grid_sample(r);
    resample::register_roi_align(r);
    resample::register_affine_grid(r);
}

}  // namespace impl
}  // namespace mutiny

#endif  // MUTINY_IMPL_OPS_RESAMPLE_HPP_
