// DeformConv (opset 19), 2-D: a Conv whose every tap samples X at its regular position plus a
// learned offset, bilinearly (zero outside the image, as GridSample with align_corners = 1 and
// zeros padding, which ONNX's reference calls), optionally scaled by a mask:
//   Y[n, m, i, j] = B[m] + sum over c in m's group, kernel taps (a, b) of
//                   W[m, c, a, b] * mask[n, g, a, b, i, j] * X~[n, c](h, w),
//   h = i * stride_h - pad_top + a * dilation_h + offset[n, g, a, b, 0, i, j], w likewise,
// g = c's offset group (the C channels split into offset_group consecutive blocks). offset is
// [N, offset_group * kH * kW * 2, oH, oW], mask [N, offset_group * kH * kW, oH, oW].
// Accumulated as Conv does: in the compute type, bias first, one fma chain per output element
// (channels, then kernel rows, then columns), so the bits do not depend on the thread count.
#ifndef MUTINY_OPS_CONV_DEFORM_CONV_HPP_
#define MUTINY_OPS_CONV_DEFORM_CONV_HPP_

#include <cmath>
#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "geometry.hpp"

namespace mutiny {
namespace conv {

// conv_geometry with DeformConv's name in its errors; auto_pad is not a DeformConv attribute.
inline Geom deform_geometry(const Shape& x, const Shape& w, const Attributes& a, const std::string& where) {
    if (x.rank() != 4) throw Error("DeformConv input X has an unsupported rank", where, "X has shape " + x.str() + "; [N, C, H, W] is required (2-D)");
    if (a.has("auto_pad")) throw Error("DeformConv has no attribute 'auto_pad'", where, "give explicit pads");
    return conv_geometry(x, w, a, [&](const std::string& what, const std::string& why) -> void {
        throw Error("Deform" + what, where, why);
    });
}

inline void register_deform_conv(Registry& r) {
    r.add(OpDef{"DeformConv", nullptr,
                [](InferContext& c) {
                    c.expect_inputs(3, 5);
                    c.expect_float(0);
                    const Geom g = deform_geometry(c.shape(0), c.shape(1), c.attrs(), c.where());
                    const int64_t og = c.attrs().get_int("offset_group", 1);
                    if (og < 1 || g.C % og != 0)
                        c.fail("DeformConv offset_group does not divide the channels", "offset_group " + std::to_string(og) + " for " + std::to_string(g.C) + " channels");
                    const int64_t taps = g.k[1] * g.k[2];
                    const Shape want_off{g.N, og * taps * 2, g.out[1], g.out[2]};
                    for (size_t i = 1; i < 5; ++i)
                        if (c.has_input(i) && c.dtype(i) != c.dtype(0))
                            c.fail("DeformConv input dtypes differ", "input " + std::to_string(i) + " is " + dtype_name(c.dtype(i)) + ", X is " + dtype_name(c.dtype(0)));
                    if (c.shape(2) != want_off)
                        c.fail("DeformConv offset has the wrong shape", c.shape(2).str() + "; expected " + want_off.str() + " (N, offset_group * kH * kW * 2, output H, W)");
                    if (c.has_input(3) && (c.shape(3).rank() != 1 || c.shape(3)[0] != g.M))
                        c.fail("DeformConv bias B has the wrong shape", c.shape(3).str() + " for " + std::to_string(g.M) + " output channels");
                    const Shape want_mask{g.N, og * taps, g.out[1], g.out[2]};
                    if (c.has_input(4) && c.shape(4) != want_mask)
                        c.fail("DeformConv mask has the wrong shape", c.shape(4).str() + "; expected " + want_mask.str() + " (N, offset_group * kH * kW, output H, W)");
                    c.set_output(0, c.dtype(0), Shape{g.N, g.M, g.out[1], g.out[2]});
                },
                [](const PrepareContext& pc) -> Kernel {
                    const Geom g = deform_geometry(pc.in[0].shape, pc.in[1].shape, pc.attrs(), pc.where());
                    const int64_t og = pc.attrs().get_int("offset_group", 1);
                    return [g, og](ExecContext& c) {
                        const Tensor& x = c.input(0);
                        dispatch_float(x.dtype(), Graph::where(*c.node), [&](auto tag) {
                            using T = decltype(tag);
                            using C = compute_t<T>;
                            const T* xp = static_cast<const T*>(x.raw());
                            const T* wp = static_cast<const T*>(c.input(1).raw());
                            const T* offp = static_cast<const T*>(c.input(2).raw());
                            const T* bp = c.has(3) ? static_cast<const T*>(c.in[3]->raw()) : nullptr;
                            const T* mp = c.has(4) ? static_cast<const T*>(c.in[4]->raw()) : nullptr;
                            T* yp = static_cast<T*>(c.out[0]->raw());
                            const int64_t H = g.in[1], W = g.in[2], kh = g.k[1], kw = g.k[2], oh = g.out[1], ow = g.out[2];
                            const int64_t P = oh * ow, taps = kh * kw, per_og = g.C / og;
                            // X~(h, w): bilinear, each of the four neighbours outside the image is 0.
                            auto sample = [&](const T* plane, C h, C w) -> C {
                                // Outside (-1, H) x (-1, W) every neighbour is outside (or weighs 0);
                                // this also keeps huge offsets from overflowing the index casts.
                                if (!(h > C(-1) && h < C(H) && w > C(-1) && w < C(W))) return C(0);
                                const C hf = std::floor(h), wf = std::floor(w);
                                const int64_t h0 = static_cast<int64_t>(hf), w0 = static_cast<int64_t>(wf);
                                const C dh = h - hf, dw = w - wf;
                                auto at = [&](int64_t i, int64_t j) -> C {
                                    return i >= 0 && i < H && j >= 0 && j < W ? static_cast<C>(load(plane[i * W + j])) : C(0);
                                };
                                return (C(1) - dh) * ((C(1) - dw) * at(h0, w0) + dw * at(h0, w0 + 1)) +
                                       dh * ((C(1) - dw) * at(h0 + 1, w0) + dw * at(h0 + 1, w0 + 1));
                            };
                            const int64_t rows = g.N * g.M * oh;
                            parallel_chunks(rows, grain_for(rows, ow * g.Cg * taps * 12 + 1), [&](int64_t rb, int64_t re) {
                                for (int64_t row = rb; row < re; ++row) {
                                    const int64_t i = row % oh, m = (row / oh) % g.M, n = row / (oh * g.M);
                                    const int64_t grp = m / g.Mg;
                                    for (int64_t j = 0; j < ow; ++j) {
                                        C acc = bp ? static_cast<C>(load(bp[m])) : C(0);
                                        for (int64_t cc = 0; cc < g.Cg; ++cc) {
                                            const int64_t ch = grp * g.Cg + cc, ogi = ch / per_og;
                                            const T* plane = xp + (n * g.C + ch) * H * W;
                                            const T* wr = wp + (m * g.Cg + cc) * taps;
                                            for (int64_t t = 0; t < taps; ++t) {
                                                const int64_t a = t / kw, b = t % kw;
                                                const int64_t oc = ((n * og + ogi) * taps + t) * 2;  // offset channel of (h, w)
                                                const C h = static_cast<C>(i * g.s[1] - g.pb[1] + a * g.d[1]) + static_cast<C>(load(offp[oc * P + i * ow + j]));
                                                const C w = static_cast<C>(j * g.s[2] - g.pb[2] + b * g.d[2]) + static_cast<C>(load(offp[(oc + 1) * P + i * ow + j]));
                                                C v = sample(plane, h, w);
                                                if (mp) v *= static_cast<C>(load(mp[((n * og + ogi) * taps + t) * P + i * ow + j]));
                                                acc = std::fma(static_cast<C>(load(wr[t])), v, acc);
                                            }
                                        }
                                        yp[(n * g.M + m) * P + i * ow + j] = store_as<T>(acc);
                                    }
                                }
                            });
                        });
                    };
                },
                19});
}

}  // namespace conv
}  // namespace mutiny

#endif  // MUTINY_OPS_CONV_DEFORM_CONV_HPP_
