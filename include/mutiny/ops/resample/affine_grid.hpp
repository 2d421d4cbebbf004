// AffineGrid (opset 20): the sampling grid GridSample takes, from affine matrices theta [N, 2, 3]
// (2-D) or [N, 3, 4] (3-D) and the constant output size [N, C, H, W] / [N, C, D, H, W]:
//   grid[n, (d,) h, w, :] = theta[n] * (x_w, y_h, (z_d,) 1),
// the base coordinates normalised to [-1, 1]: with align_corners = 1 the pixel centres of the
// corners are -1 and 1 (-1 + 2 i / (len - 1); a length of 1 gives -1, as ONNX's reference does),
// otherwise the image edges are (-1 + (2 i + 1) / len). x runs along W, y along H, z along D; the
// last output axis holds (x, y(, z)). Each element is computed in double and rounded once.
#ifndef MUTINY_OPS_RESAMPLE_AFFINE_GRID_HPP_
#define MUTINY_OPS_RESAMPLE_AFFINE_GRID_HPP_

#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "../shape/copy.hpp"

namespace mutiny {
namespace resample {

inline double affine_base(int64_t i, int64_t len, bool align) {
    if (align) return len > 1 ? -1.0 + 2.0 * static_cast<double>(i) / static_cast<double>(len - 1) : -1.0;
    return -1.0 + (2.0 * static_cast<double>(i) + 1.0) / static_cast<double>(len);
}

inline void register_affine_grid(Registry& r) {
    r.add(OpDef{"AffineGrid", nullptr,
                [](InferContext& c) {
                    c.expect_inputs(2, 2);
                    c.expect_float(0);
                    const auto size = shape_ops::int_list(c, 1, "AffineGrid size");
                    const Shape& th = c.shape(0);
                    if (size.size() != 4 && size.size() != 5)
                        c.fail("AffineGrid size has the wrong length", shape_ops::list_str(size) + "; [N, C, H, W] or [N, C, D, H, W] expected");
                    const int64_t nd = static_cast<int64_t>(size.size()) - 2;
                    if (th != Shape{size[0], nd, nd + 1})
                        c.fail("AffineGrid theta has the wrong shape", "theta " + th.str() + " for size " + shape_ops::list_str(size) + "; expected [" +
                                                                           std::to_string(size[0]) + ", " + std::to_string(nd) + ", " + std::to_string(nd + 1) + "]");
                    for (size_t i = 2; i < size.size(); ++i)
                        if (size[i] < 1) c.fail("AffineGrid size is not positive", shape_ops::list_str(size));
                    const int64_t align = c.attrs().get_int("align_corners", 0);
                    if (align != 0 && align != 1) c.fail("attribute 'align_corners' out of range", std::to_string(align) + " given; 0 or 1");
                    std::vector<int64_t> out{size[0]};
                    out.insert(out.end(), size.begin() + 2, size.end());
                    out.push_back(nd);
                    c.set_output(0, c.dtype(0), Shape(out));
                },
                [](const PrepareContext& pc) -> Kernel {
                    const bool align = pc.attrs().get_int("align_corners", 0) != 0;
                    return [align](ExecContext& c) {
                        const Tensor& th = c.input(0);
                        const Shape& ys = c.out[0]->shape();
                        const int64_t nd = ys[ys.rank() - 1];
                        const int64_t D = nd == 3 ? ys[1] : 1, H = ys[ys.rank() - 3], W = ys[ys.rank() - 2];
                        const int64_t pts = D * H * W, rows = ys[0] * pts;
                        dispatch_float(th.dtype(), Graph::where(*c.node), [&](auto tag) {
                            using T = decltype(tag);
                            const T* tp = static_cast<const T*>(th.raw());
                            T* yp = static_cast<T*>(c.out[0]->raw());
                            parallel_chunks(rows, grain_for(rows, nd * 8), [&](int64_t b, int64_t e) {
                                for (int64_t p = b; p < e; ++p) {
                                    const int64_t n = p / pts, q = p % pts;
                                    const double base[4] = {affine_base(q % W, W, align), affine_base((q / W) % H, H, align),
                                                            affine_base(q / (W * H), D, align), 1.0};
                                    const T* t = tp + n * nd * (nd + 1);
                                    for (int64_t k = 0; k < nd; ++k) {
                                        double v = 0;
                                        for (int64_t j = 0; j < nd; ++j) v += static_cast<double>(load(t[k * (nd + 1) + j])) * base[j];
                                        v += static_cast<double>(load(t[k * (nd + 1) + nd]));
                                        yp[p * nd + k] = store_as<T>(static_cast<compute_t<T>>(v));
                                    }
                                }
                            });
                        });
                    };
                },
                20});
}

}  // namespace resample
}  // namespace mutiny

#endif  // MUTINY_OPS_RESAMPLE_AFFINE_GRID_HPP_
