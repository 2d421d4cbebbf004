// The tensor op family (tensors generated, masked or selected by position: Trilu, Range,
// EyeLike, OneHot, Compress, NonZero, ReverseSequence, and the other data-dependent selections:
// NonMaxSuppression, Unique), plus TfIdfVectorizer, the seeded random ops (RandomUniform,
// RandomNormal, their Like forms, Bernoulli) and ImageDecoder,
// defined once (see ops_families.hpp).
#ifndef MUTINY_IMPL_OPS_TENSOR_HPP_
#define MUTINY_IMPL_OPS_TENSOR_HPP_

#include "../ops/tensor/compress.hpp"
#include "../ops/tensor/eyelike.hpp"
#include "../ops/tensor/image_decoder.hpp"
#include "../ops/tensor/nms.hpp"
#include "../ops/tensor/nonzero.hpp"
#include "../ops/tensor/onehot.hpp"
#include "../ops/tensor/random.hpp"
#include "../ops/tensor/range.hpp"
#include "../ops/tensor/reverse_sequence.hpp"
#include "../ops/tensor/tfidf.hpp"
#include "../ops/tensor/trilu.hpp"
#include "../ops/tensor/unique.hpp"
#include "ops_families.hpp"

namespace mutiny {
namespace impl {

void builtin_tensor_ops(Registry& r) {
    tensor_ops::register_trilu(r);
    tensor_ops::register_range(r);
    tensor_ops::register_eyelike(r);
    tensor_ops::register_onehot(r);
    tensor_ops::register_compress(r);
    tensor_ops::register_nonzero(r);
    tensor_ops::register_reverse_sequence(r);
    tensor_ops::register_nms(r);
    tensor_ops::register_unique(r);
    tensor_ops::register_tfidf(r);
    tensor_ops::register_random_ops(r);
    tensor_ops::register_image_decoder(r);
}

}  // namespace impl
}  // namespace mutiny

#endif  // MUTINY_IMPL_OPS_TENSOR_HPP_
