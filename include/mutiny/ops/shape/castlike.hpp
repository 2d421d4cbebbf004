// CastLike (opset 15): Cast of input 0 to the dtype of input 1 (whose values are not read), with
// Cast's rounding and saturation rules (cast.hpp). `saturate` concerns float8 types only, which
// Mutiny does not have.
#ifndef MUTINY_OPS_SHAPE_CASTLIKE_HPP_
#define MUTINY_OPS_SHAPE_CASTLIKE_HPP_

#include "../common.hpp"
#include "cast.hpp"

namespace mutiny {
namespace shape_ops {

inline void register_castlike(Registry& r) {
    r.add(OpDef{
        "CastLike", nullptr,
        [](InferContext& c) {
            c.expect_inputs(2, 2);
            c.set_output(0, c.dtype(1), c.shape(0));
        },
        [](const PrepareContext&) -> Kernel {
            return [](ExecContext& c) { cast_tensor(c.input(0), *c.out[0]); };
        },
        15}).bf16 = true;
}

}  // namespace shape_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_SHAPE_CASTLIKE_HPP_
