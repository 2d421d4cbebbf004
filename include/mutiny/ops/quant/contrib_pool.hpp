// ONNX Runtime's QLinearGlobalAveragePool and QLinearAveragePool (com.microsoft): inputs (X,
// x_scale, x_zero_point, y_scale, y_zero_point), uint8 or int8, per tensor; X is [N, C, spatial...]
// or, with channels_last = 1, [N, spatial..., C].
//   QLinearGlobalAveragePool: the spatial axes become 1. As MLAS computes it (qlgavgpool.cpp): the
//     channel's integer sum minus x_zero_point * image_size, exact in int32, times
//     x_scale / (y_scale * image_size) in float32, rounded half to even, plus y_zero_point,
//     saturated.
//   QLinearAveragePool: AveragePool's attributes (kernel_shape, strides, pads, auto_pad,
//     ceil_mode, count_include_pad; 1 to 3 spatial axes; dilations refused: ORT's kernel ignores
//     them). As ORT computes it (contrib_ops/cpu/quantization/qlinear_pool.cc): a window covering
//     the whole unpadded image is the global pool above; otherwise each element is dequantized to
//     float32 x_scale * (x - x_zero_point), the window's taps inside the input summed in float32
//     in (depth, height, width) order, divided by the tap count (the kernel's size under
//     count_include_pad, even where ceil_mode reaches past the padding), and quantized as
//     nearbyintf(v / y_scale + y_zero_point) (the zero point added before rounding), saturated.
// Each rounding is the node's rounding site (operator QR).
#ifndef MUTINY_OPS_QUANT_CONTRIB_POOL_HPP_
#define MUTINY_OPS_QUANT_CONTRIB_POOL_HPP_

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "../pool/geometry.hpp"
#include "contrib_params.hpp"

namespace mutiny {
namespace quant {

inline void infer_qlinear_global_average_pool(InferContext& c) {
    c.expect_inputs(5, 5);
    expect_8bit(c, 0);
    check_contrib_param(c, 1, c.dtype(0), "x");
    check_contrib_param(c, 3, c.dtype(0), "y");
    const Shape& xs = c.shape(0);
    if (xs.rank() < 3) c.fail("input rank below 3", "shape " + xs.str() + "; [N, C, spatial...] (or channels last) expected");
    const bool last = c.attrs().get_int("channels_last", 0) != 0;
    std::vector<int64_t> out = xs.dims();
    for (size_t d = last ? 1 : 2; d < (last ? xs.rank() - 1 : xs.rank()); ++d) out[d] = 1;
    c.set_output(0, c.dtype(0), Shape(out));
}

inline Kernel prepare_qlinear_global_average_pool(const PrepareContext& pc) {
    const bool last = pc.attrs().get_int("channels_last", 0) != 0;
    const SiteConfig::Round round = pc.sites.round;
    return [last, round](ExecContext& c) {
        const QParam px = read_param(c, 1), py = read_param(c, 3);
        const Shape& xs = c.input(0).shape();
        const int64_t n = xs[0], ch = last ? xs[xs.rank() - 1] : xs[1];
        const int64_t image = xs.numel() / (n * ch > 0 ? n * ch : 1);
        if (image >= (int64_t{1} << 24))
            throw Error("QLinearGlobalAveragePool image too large", Graph::where(*c.node),
                        std::to_string(image) + " elements per channel; the int32 sum ORT's kernel keeps holds fewer than 2^24");
        const float scale = px.scale / (py.scale * static_cast<float>(image));
        auto run = [&](auto tag) {
            using T = decltype(tag);
            const T* xp = static_cast<const T*>(c.input(0).raw());
            T* yp = static_cast<T*>(c.out[0]->raw());
            // Element (b, s, k) of channel k at spatial position s: NCHW strides or NHWC ones.
            const int64_t s_stride = last ? ch : 1, c_stride = last ? 1 : image;
            parallel_chunks(n * ch, 64, [&](int64_t b, int64_t e) {
                for (int64_t i = b; i < e; ++i) {
                    const int64_t batch = i / ch, k = i % ch;
                    const T* base = xp + batch * ch * image + k * c_stride;
                    int32_t sum = -px.zero_point * static_cast<int32_t>(image);
                    for (int64_t s = 0; s < image; ++s) sum += static_cast<int32_t>(base[s * s_stride]);
                    yp[i] = requantize<T>(static_cast<float>(sum) * scale, py.zero_point, round);
                }
            });
        };
        dispatch_8bit(c.input(0).dtype(), run);
    };
}

// The NCHW shape of X (channels_last moves the last axis to 1).
inline Shape nchw_shape(const Shape& x, bool last) {
    if (!last || x.rank() < 3) return x;
    std::vector<int64_t> d = x.dims();
    d.insert(d.begin() + 1, d.back());
    d.pop_back();
    return Shape(d);
}

inline pool::Geometry qlinear_pool_geometry(const Attributes& a, const Shape& x, const std::string& where) {
    if (a.has("dilations"))
        for (int64_t v : a.get_ints("dilations"))
            if (v != 1) throw Error("unsupported dilations", where, "QLinearAveragePool's ORT kernel ignores dilations; only 1 is accepted");
    return pool::geometry(a, nchw_shape(x, a.get_int("channels_last", 0) != 0), where);
}

inline void infer_qlinear_average_pool(InferContext& c) {
    c.expect_inputs(4, 5);
    expect_8bit(c, 0);
    check_contrib_param(c, 1, c.dtype(0), "x");
    check_contrib_param(c, 3, c.dtype(0), "y");
    const pool::Geometry g = qlinear_pool_geometry(c.attrs(), c.shape(0), c.where());
    std::vector<int64_t> out = pool::output_shape(g, c.shape(0).rank()).dims();
    if (c.attrs().get_int("channels_last", 0) != 0) {
        out.push_back(out[1]);
        out.erase(out.begin() + 1);
    }
    c.set_output(0, c.dtype(0), Shape(out));
}

inline Kernel prepare_qlinear_average_pool(const PrepareContext& pc) {
    const bool last = pc.attrs().get_int("channels_last", 0) != 0, include_pad = pc.attrs().get_int("count_include_pad", 0) != 0;
    const SiteConfig::Round round = pc.sites.round;
    const Kernel global = prepare_qlinear_global_average_pool(pc);
    const Attributes attrs = pc.attrs();
    return [=](ExecContext& c) {
        const std::string where = Graph::where(*c.node);
        const pool::Geometry g = qlinear_pool_geometry(attrs, c.input(0).shape(), where);
        bool whole = true;  // ORT's fallback to the global pool
        for (int j = 0; j < 3; ++j) whole = whole && g.k[j] == g.in[j] && g.pb[j] == 0 && g.pe[j] == 0;
        if (whole) return global(c);
        const QParam px = read_param(c, 1), py = read_param(c, 3);
        const int64_t plane = g.in_plane(), oplane = g.out_plane(), ksize = g.k[0] * g.k[1] * g.k[2];
        // Element (b, k, p) of image b, channel k, spatial position p: NCHW or NHWC strides.
        const int64_t p_stride = last ? g.c : 1, c_stride = last ? 1 : plane;
        auto run = [&](auto tag) {
            using T = decltype(tag);
            std::array<float, 256> deq;  // x_scale * (x - x_zero_point) per byte
            for (int i = 0; i < 256; ++i)
                deq[static_cast<size_t>(i)] = px.scale * static_cast<float>(static_cast<int32_t>(static_cast<T>(static_cast<uint8_t>(i))) - px.zero_point);
            const uint8_t* xp = static_cast<const uint8_t*>(c.input(0).raw());
            T* yp = static_cast<T*>(c.out[0]->raw());
            parallel_chunks(g.n * g.c, 16, [&](int64_t b, int64_t e) {
                for (int64_t i = b; i < e; ++i) {
                    const int64_t img = i / g.c, k = i % g.c;
                    const uint8_t* base = xp + img * g.c * plane + k * c_stride;
                    T* out = yp + img * g.c * oplane + k * (last ? 1 : oplane);
                    for (int64_t o = 0; o < oplane; ++o) {
                        const int64_t od = o / (g.out[1] * g.out[2]), oh = (o / g.out[2]) % g.out[1], ow = o % g.out[2];
                        int64_t lo[3], hi[3];
                        const int64_t oo[3] = {od, oh, ow};
                        for (int j = 0; j < 3; ++j) {
                            const int64_t st = oo[j] * g.s[j] - g.pb[j];
                            hi[j] = std::min(st + g.k[j], g.in[j]);
                            lo[j] = std::max<int64_t>(st, 0);
                        }
                        float sum = 0.0f;
                        for (int64_t dd = lo[0]; dd < hi[0]; ++dd)
                            for (int64_t h = lo[1]; h < hi[1]; ++h)
                                for (int64_t w = lo[2]; w < hi[2]; ++w) sum += deq[base[((dd * g.in[1] + h) * g.in[2] + w) * p_stride]];
                        const int64_t count = include_pad ? ksize : (hi[0] - lo[0]) * (hi[1] - lo[1]) * (hi[2] - lo[2]);
                        const float v = (sum / static_cast<float>(count)) / py.scale + static_cast<float>(py.zero_point);
                        out[o * (last ? g.c : 1)] = requantize<T>(v, 0, round);
                    }
                }
            });
        };
        dispatch_8bit(c.input(0).dtype(), run);
    };
}

inline void register_contrib_pool_ops(Registry& r) {
    r.add(OpDef{contrib_name("QLinearGlobalAveragePool"), nullptr, infer_qlinear_global_average_pool, prepare_qlinear_global_average_pool})
        .sites.rounding = true;
    r.add(OpDef{contrib_name("QLinearAveragePool"), nullptr, infer_qlinear_average_pool, prepare_qlinear_average_pool}).sites.rounding = true;
}

}  // namespace quant
}  // namespace mutiny

#endif  // MUTINY_OPS_QUANT_CONTRIB_POOL_HPP_
