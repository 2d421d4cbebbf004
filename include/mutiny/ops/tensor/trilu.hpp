// Trilu (opset 14): keeps the upper (upper = 1, the default) or lower triangle of each matrix
// formed by the last two axes and zeroes the rest. The optional input k (a one-element int64)
// shifts the diagonal: upper keeps j - i >= k, lower keeps j - i <= k. Any dtype: elements move
// by their byte size and the zero is all-zero bytes (0, +0.0, false).
#ifndef MUTINY_OPS_TENSOR_TRILU_HPP_
#define MUTINY_OPS_TENSOR_TRILU_HPP_

#include <algorithm>
#include <cstring>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "../shape/copy.hpp"
#include "common.hpp"

namespace mutiny {
namespace tensor_ops {

inline void register_trilu(Registry& r) {
    r.add(OpDef{
        "Trilu", nullptr,
        [](InferContext& c) {
            c.expect_inputs(1, 2);
            if (c.shape(0).rank() < 2) c.fail("Trilu input has rank < 2", "input has shape " + c.shape(0).str() + "; Trilu works on the last two axes");
            if (c.has_input(1)) {
                expect_scalar_input(c, 1, "Trilu k", true);
                if (const Tensor* k = c.constant(1)) scalar_i64(*k, "Trilu k", c.where());
            }
            c.set_output(0, c.dtype(0), c.shape(0));
        },
        [](const PrepareContext& pc) -> Kernel {
            const bool upper = pc.attrs().get_int("upper", 1) != 0;
            return [upper](ExecContext& c) {
                const Tensor& x = c.input(0);
                Tensor& y = *c.out[0];
                const int64_t k = c.has(1) ? scalar_i64(*c.in[1], "Trilu k", Graph::where(*c.node)) : 0;
                const Shape& s = x.shape();
                const int64_t rows = s[s.rank() - 2], cols = s[s.rank() - 1];
                const int64_t lines = x.numel() / std::max<int64_t>(cols, 1);
                if (cols == 0 || lines == 0) return;
                shape_ops::dispatch_size(dtype_size(x.dtype()), [&](auto tag) {
                    using U = decltype(tag);
                    const U* xp = static_cast<const U*>(x.raw());
                    U* yp = static_cast<U*>(y.raw());
                    parallel_chunks(lines, grain_for(lines, cols + 8), [&](int64_t b, int64_t e) {
                        for (int64_t l = b; l < e; ++l) {
                            const int64_t i = l % rows;
                            // Kept columns: upper [i + k, cols), lower [0, i + k].
                            const int64_t lo = upper ? std::clamp<int64_t>(i + k, 0, cols) : 0;
                            const int64_t hi = upper ? cols : std::clamp<int64_t>(i + k + 1, 0, cols);
                            const U* xr = xp + l * cols;
                            U* yr = yp + l * cols;
                            for (int64_t j = 0; j < cols; ++j) yr[j] = j >= lo && j < hi ? xr[j] : U(0);
                        }
                    });
                });
            };
        },
        14});
}

}  // namespace tensor_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_TENSOR_TRILU_HPP_
