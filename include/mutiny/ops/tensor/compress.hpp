// Compress (opset 9, 11): the slices of the input along `axis` (or, without axis, the elements
// of the flattened input) whose entry of the 1-D bool `condition` is true; entries beyond the
// condition's length count as false. The condition sets the output shape, so it must be a
// constant. Any dtype: slices move by their byte size.
#ifndef MUTINY_OPS_TENSOR_COMPRESS_HPP_
#define MUTINY_OPS_TENSOR_COMPRESS_HPP_

#include <cstring>
#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"

namespace mutiny {
namespace tensor_ops {

// The selected indices along the compressed axis (of length len).
inline std::vector<int64_t> compress_selection(const Tensor& cond, int64_t len, const std::string& where) {
    if (cond.shape().rank() != 1) throw Error("Compress condition is not 1-D", where, "condition has shape " + cond.shape().str());
    if (cond.numel() > len)
        throw Error("Compress condition is longer than the compressed axis", where, std::to_string(cond.numel()) + " entries for " + std::to_string(len));
    std::vector<int64_t> sel;
    for (int64_t i = 0; i < cond.numel(); ++i)
        if (cond.get_i64(i) != 0) sel.push_back(i);
    return sel;
}

inline void register_compress(Registry& r) {
    r.add(OpDef{
        "Compress", nullptr,
        [](InferContext& c) {
            c.expect_inputs(2, 2);
            if (c.dtype(1) != DType::boolean) c.fail("unsupported Compress condition dtype", std::string(dtype_name(c.dtype(1))) + "; bool is required");
            const Tensor& cond = c.require_constant(1, "Compress condition");
            const Shape& x = c.shape(0);
            if (!c.attrs().has("axis")) {
                c.set_output(0, c.dtype(0), Shape{static_cast<int64_t>(compress_selection(cond, x.numel(), c.where()).size())});
                return;
            }
            const size_t axis = static_cast<size_t>(normalize_axis(c.attrs().get_int("axis", 0), static_cast<int64_t>(x.rank()), c.where()));
            std::vector<int64_t> out(x.dims());
            out[axis] = static_cast<int64_t>(compress_selection(cond, x[axis], c.where()).size());
            c.set_output(0, c.dtype(0), Shape(std::move(out)));
        },
        [](const PrepareContext& pc) -> Kernel {
            const bool has_axis = pc.attrs().has("axis");
            const int64_t axis_attr = pc.attrs().get_int("axis", 0);
            return [has_axis, axis_attr](ExecContext& c) {
                const Tensor& x = c.input(0);
                const Shape& s = x.shape();
                int64_t outer = 1, len = x.numel(), inner = 1;
                if (has_axis) {
                    const size_t axis = static_cast<size_t>(normalize_axis(axis_attr, static_cast<int64_t>(s.rank()), Graph::where(*c.node)));
                    outer = s.product(0, axis);
                    len = s[axis];
                    inner = s.product(axis + 1, s.rank());
                }
                const std::vector<int64_t> sel = compress_selection(c.input(1), len, Graph::where(*c.node));
                const int64_t ns = static_cast<int64_t>(sel.size());
                const size_t row = static_cast<size_t>(inner) * dtype_size(x.dtype());
                const char* xp = static_cast<const char*>(x.raw());
                char* yp = static_cast<char*>(c.out[0]->raw());
                const int64_t rows = outer * ns;
                parallel_chunks(rows, grain_for(rows, inner + 8), [&](int64_t b, int64_t e) {
                    for (int64_t q = b; q < e; ++q) {
                        const int64_t o = q / ns, k = sel[static_cast<size_t>(q % ns)];
                        std::memcpy(yp + static_cast<size_t>(q) * row, xp + static_cast<size_t>(o * len + k) * row, row);
                    }
                });
            };
        },
        9});
}

}  // namespace tensor_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_TENSOR_COMPRESS_HPP_
