// Helpers of the index family (GatherElements, GatherND, ScatterElements, ScatterND, TopK):
// reading int32/int64 index tensors into int64 with each index checked against its axis (a clear
// Error naming the index, its position and the valid range; never a read outside a buffer), a
// copy of one element of any dtype, and the scatter reductions applied one update at a time.
#ifndef MUTINY_OPS_INDEX_COMMON_HPP_
#define MUTINY_OPS_INDEX_COMMON_HPP_

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "../common.hpp"

namespace mutiny {
namespace index_ops {

inline bool is_index_dtype(DType t) { return t == DType::i64 || t == DType::i32; }

inline void expect_index_dtype(const InferContext& c, size_t i, const char* what) {
    if (!is_index_dtype(c.dtype(i)))
        c.fail(std::string(c.node().op) + " " + what + " must be int32 or int64", std::string("they are ") + dtype_name(c.dtype(i)));
}

// The raw (unnormalised) values of an int32 / int64 tensor.
inline std::vector<int64_t> read_indices(const Tensor& t) {
    std::vector<int64_t> v(static_cast<size_t>(t.numel()));
    if (t.dtype() == DType::i64) {
        if (!v.empty()) std::memcpy(v.data(), t.raw(), v.size() * sizeof(int64_t));
    } else {
        const int32_t* p = static_cast<const int32_t*>(t.raw());
        for (size_t i = 0; i < v.size(); ++i) v[i] = p[i];
    }
    return v;
}

// i normalised to [0, dim) (a negative index counts from the end), or an Error: the op, the
// index, its position among the indices and the valid range.
inline int64_t checked_index(int64_t i, int64_t dim, int64_t pos, const std::string& op, const std::string& axis_desc,
                             const std::string& where) {
    if (i < -dim || i >= dim)
        throw Error(op + " index out of range", where,
                    "index " + std::to_string(i) + " (element " + std::to_string(pos) + " of indices) for " + axis_desc + " of size " +
                        std::to_string(dim) + "; the valid range is [" + std::to_string(-dim) + ", " + std::to_string(dim - 1) + "]");
    return i < 0 ? i + dim : i;
}

// Calls f(E{}) with E an unsigned integer type of the element size (elements are copied, never
// converted).
template <class F>
void dispatch_elem(size_t es, F&& f) {
    switch (es) {
        case 1: f(uint8_t{}); return;
        case 2: f(uint16_t{}); return;
        case 4: f(uint32_t{}); return;
        case 8: f(uint64_t{}); return;
        default: throw Error("unsupported element size", std::to_string(es) + " bytes", "internal error");
    }
}

// The scatter reductions (attribute `reduction`), applied one update at a time in the order of
// the updates, as the ONNX reference does.
enum class Reduction : uint8_t { none, add, mul, max, min };

inline Reduction parse_reduction(const Attributes& a, const std::string& where) {
    const std::string r = a.get_string("reduction", "none");
    if (r == "none") return Reduction::none;
    if (r == "add") return Reduction::add;
    if (r == "mul") return Reduction::mul;
    if (r == "max") return Reduction::max;
    if (r == "min") return Reduction::min;
    throw Error("unsupported reduction '" + r + "'", where, "expected none, add, mul, max or min");
}

// old (op) update, for one element: floats in double rounded once to T (the correctly rounded
// result of T's own arithmetic, as numpy's); integers wrap; max / min propagate NaN (np.maximum).
template <class T>
inline T reduce_one(Reduction r, T a, T b) {
    if constexpr (std::is_floating_point_v<T> || std::is_same_v<T, half>) {
        const double x = static_cast<double>(load(a)), y = static_cast<double>(load(b));
        double z = y;
        switch (r) {
            case Reduction::none: return b;
            case Reduction::add: z = x + y; break;
            case Reduction::mul: z = x * y; break;
            case Reduction::max: z = (x != x || y != y) ? (x != x ? x : y) : (x < y ? y : x); break;
            case Reduction::min: z = (x != x || y != y) ? (x != x ? x : y) : (y < x ? y : x); break;
        }
        return store_as<T>(static_cast<compute_t<T>>(z));
    } else {
        switch (r) {
            case Reduction::none: return b;
            case Reduction::add: return static_cast<T>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
            case Reduction::mul: return static_cast<T>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
            case Reduction::max: return a < b ? b : a;
            case Reduction::min: return b < a ? b : a;
        }
        return b;
    }
}

}  // namespace index_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_INDEX_COMMON_HPP_
