// CumSum (opset 11, 14): the running sum of x along `axis` (input 1, a one-element int32/int64
// tensor, read at run time), inclusive or (exclusive = 1) excluding the element itself, forward
// or (reverse = 1) from the end. Float types accumulate each line in double, in the scan's order,
// and round every output once to the output type; integer types accumulate in 64 bits, wrapping.
// Each line along the axis is computed by one task, so results do not depend on the thread count.
#ifndef MUTINY_OPS_REDUCE_CUMSUM_HPP_
#define MUTINY_OPS_REDUCE_CUMSUM_HPP_

#include <string>
#include <type_traits>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "../shape/copy.hpp"

namespace mutiny {
namespace reduce {

inline int64_t cumsum_axis(const Tensor& a, int64_t rank, const std::string& where) {
    if (a.numel() != 1 || a.shape().rank() > 1) throw Error("CumSum axis must hold one element", where, "it has shape " + a.shape().str());
    if (a.dtype() != DType::i32 && a.dtype() != DType::i64)
        throw Error("unsupported CumSum axis dtype", where, std::string(dtype_name(a.dtype())) + "; int32 or int64 is required");
    return normalize_axis(a.get_i64(0), rank, where);
}

template <class T>
void run_cumsum(const Shape& s, size_t axis, bool exclusive, bool reverse, const T* x, T* y) {
    const int64_t len = s[axis], inner = s.product(axis + 1, s.rank());
    const int64_t lines = s.product(0, axis) * inner;
    parallel_chunks(lines, grain_for(lines, len * 2 + 1), [&](int64_t b, int64_t e) {
        for (int64_t l = b; l < e; ++l) {
            const int64_t base = (l / inner) * len * inner + l % inner;
            using A = std::conditional_t<std::is_floating_point_v<compute_t<T>>, double, uint64_t>;
            A acc = 0;
            for (int64_t k = 0; k < len; ++k) {
                const int64_t off = base + (reverse ? len - 1 - k : k) * inner;
                A v;
                if constexpr (std::is_floating_point_v<compute_t<T>>) v = static_cast<double>(load(x[off]));
                else v = static_cast<uint64_t>(static_cast<int64_t>(x[off]));
                if (!exclusive) acc += v;
                if constexpr (std::is_same_v<T, half>) y[off] = shape_ops::half_from_double(acc);
                else y[off] = static_cast<T>(acc);
                if (exclusive) acc += v;
            }
        }
    });
}

inline void register_cumsum(Registry& r) {
    r.add(OpDef{
        "CumSum", nullptr,
        [](InferContext& c) {
            c.expect_inputs(2, 2);
            if (c.dtype(0) == DType::boolean) c.fail("unsupported CumSum dtype", "bool input; CumSum takes numbers");
            const Shape& a = c.shape(1);
            if (a.rank() > 1 || (a.is_concrete() && a.numel() != 1)) c.fail("CumSum axis must hold one element", "axis has shape " + a.str());
            if (c.dtype(1) != DType::i32 && c.dtype(1) != DType::i64)
                c.fail("unsupported CumSum axis dtype", std::string(dtype_name(c.dtype(1))) + "; int32 or int64 is required");
            const int64_t rank = static_cast<int64_t>(c.shape(0).rank());
            if (rank == 0) c.fail("CumSum of a scalar", "the input needs at least one dimension");
            if (const Tensor* t = c.constant(1)) cumsum_axis(*t, rank, c.where());
            c.set_output(0, c.dtype(0), c.shape(0));
        },
        [](const PrepareContext& pc) -> Kernel {
            const bool exclusive = pc.attrs().get_int("exclusive", 0) != 0, reverse = pc.attrs().get_int("reverse", 0) != 0;
            return [exclusive, reverse](ExecContext& c) {
                const Tensor& x = c.input(0);
                const size_t axis = static_cast<size_t>(cumsum_axis(c.input(1), static_cast<int64_t>(x.shape().rank()), Graph::where(*c.node)));
                dispatch_dtype(x.dtype(), [&](auto tag) {
                    using T = decltype(tag);
                    run_cumsum<T>(x.shape(), axis, exclusive, reverse, static_cast<const T*>(x.raw()), static_cast<T*>(c.out[0]->raw()));
                });
            };
        },
        11});
}

}  // namespace reduce
}  // namespace mutiny

#endif  // MUTINY_OPS_REDUCE_CUMSUM_HPP_
