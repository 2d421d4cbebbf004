// Hardmax: 1 at the first maximum of each line along `axis`, 0 elsewhere (a NaN counts as the
// maximum, the first NaN winning, as numpy.argmax does). Opset 13 semantics: along `axis`
// (default -1). Older opsets coerce the input to 2-D at `axis` (default 1) and take the maximum
// over the flattened trailing block; import() records that as legacy_coerce = 1, as for Softmax.
#ifndef MUTINY_OPS_NORM_HARDMAX_HPP_
#define MUTINY_OPS_NORM_HARDMAX_HPP_

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "softmax.hpp"

namespace mutiny {
namespace norm {

inline void register_hardmax(Registry& r) {
    r.add(OpDef{
        "Hardmax", softmax_import,
        [](InferContext& c) {
            c.expect_inputs(1, 1);
            c.expect_float(0);
            softmax_view(c.attrs(), c.shape(0), c.where());
            c.set_output(0, c.dtype(0), c.shape(0));
        },
        [](const PrepareContext& pc) -> Kernel {
            const Attributes attrs = pc.attrs();
            return [attrs](ExecContext& c) {
                const Tensor& x = c.input(0);
                const SoftmaxView v = softmax_view(attrs, x.shape(), Graph::where(*c.node));
                dispatch_dtype(x.dtype(), [&](auto tag) {
                    using T = decltype(tag);
                    using C = compute_t<T>;
                    if constexpr (std::is_floating_point_v<C>) {
                        const T* xp = static_cast<const T*>(x.raw());
                        T* yp = static_cast<T*>(c.out[0]->raw());
                        const int64_t lines = v.outer * v.inner, len = v.len, inner = v.inner;
                        parallel_chunks(lines, grain_for(lines, len * 2 + 1), [&](int64_t b, int64_t e) {
                            for (int64_t l = b; l < e; ++l) {
                                const int64_t off = (l / inner) * len * inner + l % inner;
                                int64_t best = 0;
                                C m = len ? load(xp[off]) : C(0);
                                for (int64_t k = 1; k < len && m == m; ++k) {
                                    const C val = load(xp[off + k * inner]);
                                    if (val > m || val != val) {
                                        m = val;
                                        best = k;
                                    }
                                }
                                for (int64_t k = 0; k < len; ++k) yp[off + k * inner] = store_as<T>(C(k == best ? 1 : 0));
                            }
                        });
                    } else {
                        throw Error("unsupported Hardmax dtype", Graph::where(*c.node), dtype_name(x.dtype()));
                    }
                });
            };
        },
        1});
}

}  // namespace norm
}  // namespace mutiny

#endif  // MUTINY_OPS_NORM_HARDMAX_HPP_
