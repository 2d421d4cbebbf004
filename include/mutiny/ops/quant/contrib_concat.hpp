// ONNX Runtime's QLinearConcat (com.microsoft): inputs (Y_scale, Y_zero_point, then one
// (X, X_scale, X_zero_point) triple per tensor to join), uint8 or int8, per tensor, joined along
// `axis` as Concat does. As ORT computes it (contrib_ops/cpu/quantization/qlinear_concat.cc): an
// input whose scale and zero point equal the output's is copied byte for byte; any other goes
// through the 256-entry table of the lookup ops (contrib_lookup.hpp) with the identity function,
// X_scale * (x - zX) / Y_scale rounded half to even, plus zY, saturated.
#ifndef MUTINY_OPS_QUANT_CONTRIB_CONCAT_HPP_
#define MUTINY_OPS_QUANT_CONTRIB_CONCAT_HPP_

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "../common.hpp"
#include "contrib_lookup.hpp"
#include "contrib_params.hpp"

namespace mutiny {
namespace quant {

inline void infer_qlinear_concat(InferContext& c) {
    const size_t n = c.node().inputs.size();
    if (n < 5 || (n - 2) % 3 != 0)
        c.fail("inputs are not (X, X_scale, X_zero_point) triples", std::to_string(n) + " inputs; Y_scale, Y_zero_point, then 3 per joined tensor expected");
    if (!c.has_input(1)) c.fail("missing Y_zero_point", "ORT's QLinearConcat takes the output's type from it");
    const DType t = c.dtype(1);
    if (t != DType::u8 && t != DType::i8)
        c.fail("unsupported quantized type", std::string("Y_zero_point is ") + dtype_name(t) + "; ORT's contrib ops take uint8 or int8");
    check_contrib_param(c, 0, t, "Y");
    if (!c.attrs().has("axis")) c.fail("missing attribute 'axis'", "QLinearConcat needs the axis to join along");
    const Shape& s0 = c.shape(2);
    const size_t r = s0.rank();
    const size_t axis = static_cast<size_t>(normalize_axis(c.attrs().get_int("axis", 0), static_cast<int64_t>(r), c.where()));
    std::vector<int64_t> out = s0.dims();
    out[axis] = 0;
    for (size_t i = 2; i < n; i += 3) {
        const std::string k = std::to_string((i - 2) / 3);
        if (c.dtype(i) != t) c.fail("input " + k + " type differs from the output's", std::string(dtype_name(c.dtype(i))) + " and " + dtype_name(t));
        if (!c.has_input(i + 2)) c.fail("missing X_zero_point of input " + k, "every joined tensor needs its scale and zero point");
        check_contrib_param(c, i + 1, t, ("X" + k).c_str());
        const Shape& si = c.shape(i);
        bool ok = si.rank() == r;
        for (size_t d = 0; ok && d < r; ++d) ok = d == axis || si[d] == s0[d];
        if (!ok) c.fail("input shapes do not fit", s0.str() + " and " + si.str() + " (only axis " + std::to_string(axis) + " may differ)");
        out[axis] += si[axis];
    }
    c.set_output(0, t, Shape(out));
}

inline Kernel prepare_qlinear_concat(const PrepareContext& pc) {
    const size_t r = pc.in[2].shape.rank();
    const size_t axis = static_cast<size_t>(normalize_axis(pc.attrs().get_int("axis", 0), static_cast<int64_t>(r), pc.where()));
    const SiteConfig::Round round = pc.sites.round;
    return [axis, round](ExecContext& c) {
        const QParam py = read_param(c, 0);
        Tensor& y = *c.out[0];
        const int64_t outer = y.shape().product(0, axis), out_row = y.shape().product(axis, y.shape().rank());
        auto run = [&](auto tag) {
            using T = decltype(tag);
            T* yp = static_cast<T*>(y.raw());
            int64_t offset = 0;  // of this input's slice within an output row
            for (size_t i = 2; i < c.in.size(); i += 3) {
                const Tensor& x = c.input(i);
                const QParam px = read_param(c, i + 1);
                const int64_t row = x.shape().product(axis, x.shape().rank());
                const T* xp = static_cast<const T*>(x.raw());
                const bool copy = px.scale == py.scale && px.zero_point == py.zero_point;
                const std::array<T, 256> table = lookup_table<T>(px, py, [](float v) { return v; }, round);
                for (int64_t o = 0; o < outer; ++o) {
                    T* dst = yp + o * out_row + offset;
                    const T* src = xp + o * row;
                    if (copy) std::memcpy(dst, src, static_cast<size_t>(row) * sizeof(T));
                    else
                        for (int64_t j = 0; j < row; ++j) dst[j] = table[static_cast<uint8_t>(src[j])];
                }
                offset += row;
            }
        };
        dispatch_8bit(y.dtype(), run);
    };
}

inline void register_contrib_concat_ops(Registry& r) {
    r.add(OpDef{contrib_name("QLinearConcat"), nullptr, infer_qlinear_concat, prepare_qlinear_concat}).sites.rounding = true;
}

}  // namespace quant
}  // namespace mutiny

#endif  // MUTINY_OPS_QUANT_CONTRIB_CONCAT_HPP_
