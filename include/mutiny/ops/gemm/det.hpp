// Det (opset 11): the determinant of each square matrix formed by the last two axes of a float
// tensor [..., M, M], output [...]. LU decomposition with partial pivoting (the first row of
// largest magnitude), in double, one task per matrix; the product of the pivots is rounded once.
#ifndef MUTINY_OPS_GEMM_DET_HPP_
#define MUTINY_OPS_GEMM_DET_HPP_

#include <cmath>
#include <utility>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "../shape/copy.hpp"

namespace mutiny {
namespace gemm {

// The determinant of the m x m matrix a (row-major, overwritten).
inline double det_lu(std::vector<double>& a, int64_t m) {
    double det = 1.0;
    for (int64_t k = 0; k < m; ++k) {
        int64_t p = k;
        double best = std::fabs(a[static_cast<size_t>(k * m + k)]);
        for (int64_t i = k + 1; i < m; ++i) {
            const double v = std::fabs(a[static_cast<size_t>(i * m + k)]);
            if (v > best) {
                best = v;
                p = i;
            }
        }
        if (best == 0) return 0.0;
        if (p != k) {
            for (int64_t j = 0; j < m; ++j) std::swap(a[static_cast<size_t>(k * m + j)], a[static_cast<size_t>(p * m + j)]);
            det = -det;
        }
        const double piv = a[static_cast<size_t>(k * m + k)];
        det *= piv;
        for (int64_t i = k + 1; i < m; ++i) {
            const double f = a[static_cast<size_t>(i * m + k)] / piv;
            for (int64_t j = k + 1; j < m; ++j) a[static_cast<size_t>(i * m + j)] -= f * a[static_cast<size_t>(k * m + j)];
        }
    }
    return det;
}

inline void register_det(Registry& r) {
    r.add(OpDef{
        "Det", nullptr,
        [](InferContext& c) {
            c.expect_inputs(1, 1);
            c.expect_float(0);
            const Shape& x = c.shape(0);
            if (x.rank() < 2 || x[x.rank() - 1] != x[x.rank() - 2])
                c.fail("Det input is not a batch of square matrices", "input has shape " + x.str() + "; expected [..., M, M]");
            c.set_output(0, c.dtype(0), Shape(std::vector<int64_t>(x.dims().begin(), x.dims().end() - 2)));
        },
        [](const PrepareContext&) -> Kernel {
            return [](ExecContext& c) {
                const Tensor& x = c.input(0);
                const int64_t m = x.shape()[x.shape().rank() - 1];
                const int64_t n = c.out[0]->numel();
                dispatch_dtype(x.dtype(), [&](auto tag) {
                    using T = decltype(tag);
                    if constexpr (std::is_floating_point_v<compute_t<T>>) {
                        const T* xp = static_cast<const T*>(x.raw());
                        T* yp = static_cast<T*>(c.out[0]->raw());
                        parallel_chunks(n, grain_for(n, m * m * m + 1), [&](int64_t b, int64_t e) {
                            std::vector<double> a(static_cast<size_t>(m * m));
                            for (int64_t i = b; i < e; ++i) {
                                for (int64_t j = 0; j < m * m; ++j) a[static_cast<size_t>(j)] = static_cast<double>(load(xp[i * m * m + j]));
                                const double d = det_lu(a, m);
                                if constexpr (std::is_same_v<T, half>) yp[i] = shape_ops::half_from_double(d);
                                else yp[i] = static_cast<T>(d);
                            }
                        });
                    } else {
                        throw Error("unsupported Det dtype", Graph::where(*c.node), dtype_name(x.dtype()));
                    }
                });
            };
        },
        11});
}

}  // namespace gemm
}  // namespace mutiny

#endif  // MUTINY_OPS_GEMM_DET_HPP_
