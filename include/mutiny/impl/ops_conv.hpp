// The conv op family (Conv, ConvTranspose, DeformConv, Col2Im), defined once (see ops_families.hpp).
#ifndef MUTINY_IMPL_OPS_CONV_HPP_
#define MUTINY_IMPL_OPS_CONV_HPP_

#include "../ops/conv/col2im.hpp"
#include "../ops/conv/conv.hpp"
#include "../ops/conv/conv_transpose.hpp"
#include "../ops/conv/deform_conv.hpp"
#include "ops_families.hpp"

namespace mutiny {
namespace impl {

void builtin_conv_ops(Registry& r) {
    conv::register_conv(r);
    conv::register_conv_transpose(r);
    conv::register_deform_conv(r);
    conv::register_col2im(r);
}

}  // namespace impl
}  // namespace mutiny

#endif  // MUTINY_IMPL_OPS_CONV_HPP_
