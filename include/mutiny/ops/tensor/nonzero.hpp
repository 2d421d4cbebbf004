// NonZero (opset 9, 13): the indices of the non-zero elements, as int64 [rank, count] in
// row-major order (numpy.nonzero; a scalar counts as a 1-element 1-D tensor). The count sets
// the output shape, so the input must be a constant.
#ifndef MUTINY_OPS_TENSOR_NONZERO_HPP_
#define MUTINY_OPS_TENSOR_NONZERO_HPP_

#include <algorithm>
#include <string>
#include <vector>

#include "../common.hpp"

namespace mutiny {
namespace tensor_ops {

inline int64_t nonzero_count(const Tensor& x) {
    int64_t n = 0;
    for (int64_t i = 0; i < x.numel(); ++i) n += dtype_is_float(x.dtype()) ? x.get_f64(i) != 0 : x.get_i64(i) != 0;
    return n;
}

inline void register_nonzero(Registry& r) {
    r.add(OpDef{
        "NonZero", nullptr,
        [](InferContext& c) {
            c.expect_inputs(1, 1);
            const Tensor& x = c.require_constant(0, "NonZero input");
            const int64_t rank = std::max<int64_t>(1, static_cast<int64_t>(x.shape().rank()));
            c.set_output(0, DType::i64, Shape{rank, nonzero_count(x)});
        },
        [](const PrepareContext&) -> Kernel {
            return [](ExecContext& c) {
                const Tensor& x = c.input(0);
                Tensor& y = *c.out[0];
                const std::vector<int64_t> dims = x.shape().rank() ? x.shape().dims() : std::vector<int64_t>{1};
                const int64_t n = y.shape()[1];
                int64_t* yp = y.data<int64_t>();
                int64_t k = 0;
                for (int64_t i = 0; i < x.numel() && k < n; ++i) {
                    if (dtype_is_float(x.dtype()) ? x.get_f64(i) == 0 : x.get_i64(i) == 0) continue;
                    int64_t rem = i;
                    for (size_t d = dims.size(); d-- > 0;) {
                        yp[static_cast<int64_t>(d) * n + k] = rem % dims[d];
                        rem /= dims[d];
                    }
                    ++k;
                }
                if (k != n || nonzero_count(x) != n)
                    throw Error("NonZero input changed after inference", Graph::where(*c.node), "the output was sized for " + std::to_string(n) + " non-zero elements");
            };
        },
        9});
}

}  // namespace tensor_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_TENSOR_NONZERO_HPP_
