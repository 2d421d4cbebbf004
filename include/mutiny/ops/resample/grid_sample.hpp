// GridSample (opsets 16 and 20): samples X [N, C, D1..Dr] at the normalised coordinates of grid
// [N, O1..Or, r] (last component first: x for the last axis), giving [N, C, O1..Or]. Any spatial
// rank r >= 1 (opset 16 defines r = 2, opset 20 any r). Modes nearest, linear and cubic (opset
// 16's bilinear and bicubic are the same modes; import renames them), padding zeros, border or
// reflection, align_corners.
//
// The coordinates follow ONNX's reference (onnx/reference/ops/op_grid_sample.py) step by step in
// float: denormalise, round (nearest: half to even), then border clamps and reflection reflects a
// coordinate outside [-0.5, D - 0.5] ([0, D - 1] with align_corners); each tap outside the input
// is 0 (zeros), clamped (border) or reflected (reflection). Weights are the reference's float
// expressions (Keys' cubic with A = -0.75); the sum over the product of the axes' taps is taken in
// double and stored once, each output element by one chunk.
#ifndef MUTINY_OPS_RESAMPLE_GRID_SAMPLE_HPP_
#define MUTINY_OPS_RESAMPLE_GRID_SAMPLE_HPP_

#include <cmath>
#include <memory>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "../shape/copy.hpp"

namespace mutiny {
namespace resample {

enum class GsMode { linear, nearest, cubic };
enum class GsPad { zeros, border, reflection };

struct GsAttrs {
    GsMode mode = GsMode::linear;
    GsPad pad = GsPad::zeros;
    bool align = false;
};

inline GsAttrs gs_attrs(const Attributes& a, const std::string& where) {
    GsAttrs g;
    const std::string m = a.get_string("mode", "linear");
    if (m == "linear" || m == "bilinear") g.mode = GsMode::linear;
    else if (m == "nearest") g.mode = GsMode::nearest;
    else if (m == "cubic" || m == "bicubic") g.mode = GsMode::cubic;
    else throw Error("unknown GridSample mode '" + m + "'", where, "expected linear (bilinear), nearest or cubic (bicubic)");
    const std::string p = a.get_string("padding_mode", "zeros");
    if (p == "zeros") g.pad = GsPad::zeros;
    else if (p == "border") g.pad = GsPad::border;
    else if (p == "reflection") g.pad = GsPad::reflection;
    else throw Error("unknown GridSample padding_mode '" + p + "'", where, "expected zeros, border or reflection");
    const int64_t al = a.get_int("align_corners", 0);
    if (al != 0 && al != 1) throw Error("GridSample align_corners out of range", where, std::to_string(al) + " given, 0 or 1 expected");
    g.align = al != 0;
    return g;
}

// Reflects x into [lo, hi] by the nearer border until it is inside (the reference's _gs_reflect).
inline double gs_reflect(double x, double lo, double hi) {
    const double rng = hi - lo;
    if (!(rng > 0)) return lo;
    if (x < lo) {
        const double dx = lo - x;
        const int64_t n = static_cast<int64_t>(dx / rng);
        const double r = dx - static_cast<double>(n) * rng;
        return n % 2 == 0 ? lo + r : hi - r;
    }
    if (x > hi) {
        const double dx = x - hi;
        const int64_t n = static_cast<int64_t>(dx / rng);
        const double r = dx - static_cast<double>(n) * rng;
        return n % 2 == 0 ? hi - r : lo + r;
    }
    return x;
}

inline Shape gs_output(const Shape& x, const Shape& grid, const std::string& where) {
    if (x.rank() < 3)
        throw Error("GridSample input has too few axes", where, "X has shape " + x.str() + "; [N, C, D1, ...] with at least one spatial axis is required");
    const size_t r = x.rank() - 2;
    if (grid.rank() != r + 2)
        throw Error("GridSample grid has the wrong rank", where,
                    "grid " + grid.str() + " for X " + x.str() + ": [N, O1, ..., O" + std::to_string(r) + ", " + std::to_string(r) + "] expected");
    if (grid[r + 1] != static_cast<int64_t>(r))
        throw Error("GridSample grid has the wrong last dimension", where,
                    "grid " + grid.str() + " for X " + x.str() + ": the last dimension holds one coordinate per spatial axis (" +
                        std::to_string(r) + ")");
    if (grid[0] != x[0]) throw Error("GridSample batch sizes differ", where, "X " + x.str() + ", grid " + grid.str());
    std::vector<int64_t> out{x[0], x[1]};
    for (size_t i = 1; i <= r; ++i) out.push_back(grid[i]);
    return Shape(std::move(out));
}

// One sampling point's taps along one axis: input indices (-1: the tap reads 0) and weights.
struct GsAxis {
    int taps = 0;
    int64_t idx[4];
    double w[4];
};

// The taps of normalised coordinate v along an axis of size d.
template <class G>
inline GsAxis gs_axis(const GsAttrs& at, G v, int64_t d) {
    const float len = static_cast<float>(d);
    const float g = static_cast<float>(v);
    float x = at.align ? (g + 1) / 2.0f * (len - 1) : ((g + 1) * len - 1) / 2.0f;
    if (at.mode == GsMode::nearest) x = std::nearbyint(x);
    const double lo = at.align ? 0.0 : -0.5, hi = at.align ? static_cast<double>(d) - 1 : static_cast<double>(d) - 0.5;
    if (x < lo || x > hi) {
        if (at.pad == GsPad::border) x = std::min(std::max(x, 0.0f), len - 1);
        else if (at.pad == GsPad::reflection) x = static_cast<float>(gs_reflect(x, lo, hi));
    }
    auto fetch = [&](int64_t i) -> int64_t {
        if (i >= 0 && i < d) return i;
        if (at.pad == GsPad::zeros) return -1;
        if (at.pad == GsPad::border) return std::min<int64_t>(std::max<int64_t>(i, 0), d - 1);
        return static_cast<int64_t>(gs_reflect(static_cast<double>(i), lo, hi));
    };
    GsAxis a;
    if (at.mode == GsMode::nearest) {
        a.taps = 1;
        a.idx[0] = fetch(static_cast<int64_t>(x));
        a.w[0] = 1;
        return a;
    }
    const float x0 = std::floor(x);
    const float t = x - x0;
    const int64_t b = static_cast<int64_t>(x0);
    if (at.mode == GsMode::linear) {
        a.taps = 2;
        a.idx[0] = fetch(b);
        a.idx[1] = fetch(b + 1);
        a.w[0] = 1 - t;
        a.w[1] = t;
        return a;
    }
    const float A = -0.75f;
    const float c[4] = {((A * (t + 1) - 5 * A) * (t + 1) + 8 * A) * (t + 1) - 4 * A, ((A + 2) * t - (A + 3)) * t * t + 1,
                        ((A + 2) * (1 - t) - (A + 3)) * (1 - t) * (1 - t) + 1, ((A * (2 - t) - 5 * A) * (2 - t) + 8 * A) * (2 - t) - 4 * A};
    a.taps = 4;
    for (int k = 0; k < 4; ++k) {
        a.idx[k] = fetch(b - 1 + k);
        a.w[k] = c[k];
    }
    return a;
}

template <class T, class G>
void run_grid_sample(const GsAttrs& at, const Shape& xs, const Shape& ys, const T* x, const G* grid, T* y) {
    const size_t r = xs.rank() - 2;
    const int64_t n_batch = xs[0], channels = xs[1];
    int64_t in_plane = 1, points = 1;
    std::vector<int64_t> stride(r, 1);
    for (size_t i = r; i-- > 0;) {
        stride[i] = in_plane;
        in_plane *= xs[2 + i];
        points *= ys[2 + i];
    }
    const int64_t taps = at.mode == GsMode::nearest ? 1 : at.mode == GsMode::linear ? int64_t(1) << r : int64_t(1) << (2 * r);
    const int64_t rows = n_batch * points;
    parallel_chunks(rows, grain_for(rows, channels * taps + 1), [&](int64_t rb, int64_t re) {
        std::vector<GsAxis> ax(r);
        std::vector<int> k(r);
        for (int64_t row = rb; row < re; ++row) {
            const int64_t nb = row / points, pt = row % points;
            const G* gp = grid + row * static_cast<int64_t>(r);
            for (size_t i = 0; i < r; ++i) ax[i] = gs_axis(at, gp[r - 1 - i], xs[2 + i]);
            for (int64_t ch = 0; ch < channels; ++ch) {
                const T* xp = x + (nb * channels + ch) * in_plane;
                double acc = 0;
                std::fill(k.begin(), k.end(), 0);
                while (true) {
                    double w = 1;
                    int64_t off = 0;
                    bool inside = true;
                    for (size_t i = 0; i < r; ++i) {
                        const int64_t j = ax[i].idx[k[i]];
                        inside = inside && j >= 0;
                        off += j * stride[i];
                        w *= ax[i].w[k[i]];
                    }
                    if (inside) acc += w * static_cast<double>(load(xp[off]));
                    size_t i = r;
                    while (i > 0 && ++k[i - 1] == ax[i - 1].taps) k[--i] = 0;
                    if (i == 0) break;
                }
                T& out = y[(nb * channels + ch) * points + pt];
                if constexpr (std::is_same_v<T, half>) out = shape_ops::half_from_double(acc);
                else out = static_cast<T>(acc);
            }
        }
    });
}

inline void register_grid_sample(Registry& r) {
    r.add(OpDef{"GridSample",
                [](ImportContext& ic) {
                    // Opset 16's names of the opset 20 modes, and its default.
                    Attributes& a = ic.node->attrs;
                    const std::string m = a.get_string("mode", "bilinear");
                    if (ic.opset < 20) a.set_string("mode", m == "bilinear" ? "linear" : m == "bicubic" ? "cubic" : m);
                },
                [](InferContext& c) {
                    c.expect_inputs(2, 2);
                    gs_attrs(c.attrs(), c.where());
                    c.expect_float(0);
                    c.expect_float(1);
                    c.set_output(0, c.dtype(0), gs_output(c.shape(0), c.shape(1), c.where()));
                },
                [](const PrepareContext& pc) -> Kernel {
                    const GsAttrs at = gs_attrs(pc.attrs(), pc.where());
                    return [at](ExecContext& c) {
                        const Tensor& x = c.input(0);
                        const Tensor& g = c.input(1);
                        dispatch_dtype(x.dtype(), [&](auto xt) {
                            using T = decltype(xt);
                            if constexpr (std::is_floating_point_v<T> || std::is_same_v<T, half>) {
                                dispatch_dtype(g.dtype(), [&](auto gt) {
                                    using G = decltype(gt);
                                    if constexpr (std::is_floating_point_v<G> || std::is_same_v<G, half>)
                                        run_grid_sample<T, G>(at, x.shape(), c.out[0]->shape(), static_cast<const T*>(x.raw()),
                                                              static_cast<const G*>(g.raw()), static_cast<T*>(c.out[0]->raw()));
                                });
                            }
                        });
                    };
                },
                16});
}

}  // namespace resample
}  // namespace mutiny

#endif  // MUTINY_OPS_RESAMPLE_GRID_SAMPLE_HPP_
