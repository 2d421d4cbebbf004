// ONNX Runtime's QLinearGlobalAveragePool (com.microsoft): inputs (X, x_scale, x_zero_point,
// y_scale, y_zero_point), uint8 or int8, per tensor; X is [N, C, spatial...] or, with
// channels_last = 1, [N, spatial..., C]; the spatial axes become 1. As MLAS computes it
// (qlgavgpool.cpp): the channel's integer sum minus x_zero_point * image_size, exact in int32, times
// x_scale / (y_scale * image_size) in float32, rounded half to even, plus y_zero_point, saturated.
#ifndef MUTINY_OPS_QUANT_CONTRIB_POOL_HPP_
#define MUTINY_OPS_QUANT_CONTRIB_POOL_HPP_

#include <cstdint>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
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
        if (c.input(0).dtype() == DType::u8) run(uint8_t{});
        else run(int8_t{});
    };
}

inline void register_contrib_pool_ops(Registry& r) {
    r.add(OpDef{contrib_name("QLinearGlobalAveragePool"), nullptr, infer_qlinear_global_average_pool, prepare_qlinear_global_average_pool})
        .sites.rounding = true;
}

}  // namespace quant
}  // namespace mutiny

#endif  // MUTINY_OPS_QUANT_CONTRIB_POOL_HPP_
