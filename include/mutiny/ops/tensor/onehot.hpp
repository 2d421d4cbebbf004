// OneHot (opset 9, 11): output[..., d, ...] (d inserted at `axis`, default -1) is values[1] (on)
// where indices[...] == d and values[0] (off) elsewhere; the output has values' dtype. depth (a
// one-element tensor) sets the output shape, so it must be a constant. Non-integer indices and
// depth are truncated toward zero (ONNX casts them to int64). Since opset 11 an index in
// [-depth, -1] counts from the end; before (import() records legacy_nonnegative = 1) a negative
// index, like any index outside the range, gives an all-off line.
#ifndef MUTINY_OPS_TENSOR_ONEHOT_HPP_
#define MUTINY_OPS_TENSOR_ONEHOT_HPP_

#include <cstring>
#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "../shape/copy.hpp"
#include "common.hpp"

namespace mutiny {
namespace tensor_ops {

inline int64_t onehot_depth(const Tensor& t, const std::string& where) {
    const int64_t d = scalar_i64(t, "OneHot depth", where);
    if (d < 1) throw Error("OneHot depth is not positive", where, "depth " + std::to_string(d));
    return d;
}

inline void register_onehot(Registry& r) {
    r.add(OpDef{
        "OneHot",
        [](ImportContext& ic) {
            if (ic.opset < 11) ic.node->attrs.set_int("legacy_nonnegative", 1);
        },
        [](InferContext& c) {
            c.expect_inputs(3, 3);
            if (c.dtype(0) == DType::boolean) c.fail("unsupported OneHot indices dtype", "indices are bool; a number type is required");
            expect_scalar_input(c, 1, "OneHot depth", false);
            const int64_t depth = onehot_depth(c.require_constant(1, "OneHot depth"), c.where());
            const Shape& v = c.shape(2);
            if (v.rank() != 1 || v[0] != 2) c.fail("OneHot values must be [off_value, on_value]", "values has shape " + v.str());
            const Shape& x = c.shape(0);
            const int64_t r = static_cast<int64_t>(x.rank()) + 1;
            const size_t axis = static_cast<size_t>(normalize_axis(c.attrs().get_int("axis", -1), r, c.where()));
            std::vector<int64_t> out(x.dims());
            out.insert(out.begin() + static_cast<std::ptrdiff_t>(axis), depth);
            c.set_output(0, c.dtype(2), Shape(std::move(out)));
        },
        [](const PrepareContext& pc) -> Kernel {
            const int64_t axis_attr = pc.attrs().get_int("axis", -1);
            const bool nonneg = pc.attrs().get_int("legacy_nonnegative", 0) != 0;
            return [axis_attr, nonneg](ExecContext& c) {
                const std::string where = Graph::where(*c.node);
                const Tensor& x = c.input(0);
                const Tensor& vals = c.input(2);
                Tensor& y = *c.out[0];
                const int64_t depth = onehot_depth(c.input(1), where);
                const size_t axis = static_cast<size_t>(normalize_axis(axis_attr, static_cast<int64_t>(x.shape().rank()) + 1, where));
                const int64_t outer = x.shape().product(0, axis), inner = x.shape().product(axis, x.shape().rank());
                // The indices as int64 (truncated), with negative ones wrapped (opset >= 11).
                std::vector<int64_t> idx(static_cast<size_t>(x.numel()));
                for (int64_t i = 0; i < x.numel(); ++i) {
                    int64_t v = dtype_is_float(x.dtype()) ? shape_ops::int_from_double<int64_t>(x.get_f64(i)) : x.get_i64(i);
                    if (v < 0 && !nonneg) v += depth;
                    idx[static_cast<size_t>(i)] = v;
                }
                shape_ops::dispatch_size(dtype_size(y.dtype()), [&](auto tag) {
                    using U = decltype(tag);
                    U off, on;
                    std::memcpy(&off, vals.raw(), sizeof(U));
                    std::memcpy(&on, static_cast<const char*>(vals.raw()) + sizeof(U), sizeof(U));
                    U* yp = static_cast<U*>(y.raw());
                    // y viewed as [outer, depth, inner]; line (o, d) holds on where idx[o, :] == d.
                    const int64_t lines = outer * depth;
                    parallel_chunks(lines, grain_for(lines, inner + 8), [&](int64_t b, int64_t e) {
                        for (int64_t l = b; l < e; ++l) {
                            const int64_t o = l / depth, d = l % depth;
                            const int64_t* ip = idx.data() + o * inner;
                            U* yr = yp + l * inner;
                            for (int64_t i = 0; i < inner; ++i) yr[i] = ip[i] == d ? on : off;
                        }
                    });
                });
            };
        },
        9});
}

}  // namespace tensor_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_TENSOR_ONEHOT_HPP_
