// EyeLike (opset 9): a matrix of the input's 2-D shape with ones on diagonal k (attribute k,
// default 0: y[i][i + k] = 1) and zeros elsewhere, of type `dtype` (an ONNX type code; default
// the input's type). Only the input's shape is read.
#ifndef MUTINY_OPS_TENSOR_EYELIKE_HPP_
#define MUTINY_OPS_TENSOR_EYELIKE_HPP_

#include <cstring>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "../shape/cast.hpp"

namespace mutiny {
namespace tensor_ops {

inline DType eyelike_dtype(const Attributes& a, DType input, const std::string& where) {
    return a.has("dtype") ? shape_ops::dtype_from_onnx_code(a.get_int("dtype", 1), where) : input;
}

inline void register_eyelike(Registry& r) {
    r.add(OpDef{
        "EyeLike", nullptr,
        [](InferContext& c) {
            c.expect_inputs(1, 1);
            if (c.shape(0).rank() != 2) c.fail("EyeLike input is not 2-D", "input has shape " + c.shape(0).str());
            c.set_output(0, eyelike_dtype(c.attrs(), c.dtype(0), c.where()), c.shape(0));
        },
        [](const PrepareContext& pc) -> Kernel {
            const int64_t k = pc.attrs().get_int("k", 0);
            return [k](ExecContext& c) {
                Tensor& y = *c.out[0];
                const int64_t rows = y.shape()[0], cols = y.shape()[1];
                std::memset(y.raw(), 0, y.nbytes());
                dispatch_dtype(y.dtype(), [&](auto tag) {
                    using T = decltype(tag);
                    T* yp = static_cast<T*>(y.raw());
                    const T one = store_as<T>(1);
                    for (int64_t i = 0; i < rows; ++i) {
                        const int64_t j = i + k;
                        if (j >= 0 && j < cols) yp[i * cols + j] = one;
                    }
                });
            };
        },
        9});
}

}  // namespace tensor_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_TENSOR_EYELIKE_HPP_
