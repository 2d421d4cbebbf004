// What the quantization ops share: a scale or zero point that is per tensor (one value), per axis
// (1-D along `axis`) or per block (`block_size` along `axis`, opset 21), and the checks that make
// a bad one a clear error: a scale that is zero, negative or not finite, a zero point of another
// type than the quantized tensor, shapes that do not fit. Integer quantized types: u8, i8, u16,
// i16 (the 2- and 4-bit and float8 types are refused, naming the type).
#ifndef MUTINY_OPS_QUANT_PARAMS_HPP_
#define MUTINY_OPS_QUANT_PARAMS_HPP_

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "../common.hpp"

namespace mutiny {
namespace quant {

inline bool is_quantized_type(DType t) { return t == DType::u8 || t == DType::i8 || t == DType::u16 || t == DType::i16; }

inline void range_of(DType t, int64_t& lo, int64_t& hi) {
    switch (t) {
        case DType::u8: lo = 0; hi = 255; return;
        case DType::i8: lo = -128; hi = 127; return;
        case DType::u16: lo = 0; hi = 65535; return;
        case DType::i16: lo = -32768; hi = 32767; return;
        default: lo = 0; hi = 0; return;
    }
}

// How a parameter tensor (scale or zero point) maps onto the elements of x.
struct Layout {
    int64_t count = 1;     // parameters (1: per tensor)
    int64_t inner = 1;     // elements of x after the axis
    int64_t axis_len = 1;  // x's size along the axis
    int64_t block = 0;     // block_size (0: per tensor or per axis)
    // The parameter of x's element i (row-major).
    int64_t index(int64_t i) const {
        if (count == 1) return 0;
        const int64_t a = (i / inner) % axis_len;
        if (block == 0) return a;
        const int64_t outer = i / (inner * axis_len), blocks = (axis_len + block - 1) / block;
        return (outer * blocks + a / block) * inner + i % inner;
    }
};

// The layout of parameter p (shape ps) for x (shape xs); throws (through fail) when it does not fit.
template <class Fail>
Layout layout_of(const Shape& xs, const Shape& ps, int64_t axis_attr, int64_t block_size, const char* what, Fail fail) {
    Layout l;
    if (ps.numel() == 1 && ps.rank() <= 1) return l;
    const int64_t r = static_cast<int64_t>(xs.rank());
    if (r == 0) fail(std::string(what) + " has more than one value for a scalar input", "shape " + ps.str());
    const int64_t axis = axis_attr < 0 ? axis_attr + r : axis_attr;
    if (axis < 0 || axis >= r) fail("axis out of range", "axis " + std::to_string(axis_attr) + " for an input of rank " + std::to_string(r));
    l.axis_len = xs[static_cast<size_t>(axis)];
    l.inner = xs.product(static_cast<size_t>(axis) + 1, xs.rank());
    if (block_size > 0) {
        if (ps.rank() != xs.rank())
            fail(std::string(what) + " of blocked quantization must have the input's rank", "shape " + ps.str() + " for input " + xs.str());
        for (size_t d = 0; d < xs.rank(); ++d)
            if (static_cast<int64_t>(d) != axis && ps[d] != xs[d])
                fail(std::string(what) + " does not match the input outside the axis", "shape " + ps.str() + " for input " + xs.str());
        if (ps[static_cast<size_t>(axis)] != (l.axis_len + block_size - 1) / block_size)
            fail(std::string(what) + " has the wrong number of blocks",
                 std::to_string(ps[static_cast<size_t>(axis)]) + " along axis " + std::to_string(axis) + ", ceil(" + std::to_string(l.axis_len) +
                     " / " + std::to_string(block_size) + ") expected");
        l.count = ps.numel();
        l.block = block_size;
        return l;
    }
    if (ps.rank() != 1 || ps[0] != l.axis_len)
        fail(std::string(what) + " does not fit the quantization axis",
             "shape " + ps.str() + "; a scalar or [" + std::to_string(l.axis_len) + "] (axis " + std::to_string(axis) + " of " + xs.str() + ") expected");
    l.count = l.axis_len;
    return l;
}

// Scale values as double, each checked: positive and finite.
inline std::vector<double> scales_of(const Tensor& s, const std::string& where) {
    std::vector<double> v(static_cast<size_t>(s.numel()));
    for (int64_t i = 0; i < s.numel(); ++i) {
        v[static_cast<size_t>(i)] = s.get_f64(i);
        const double x = v[static_cast<size_t>(i)];
        if (!(x > 0) || !std::isfinite(x))
            throw Error("invalid quantization scale", where,
                        "scale element " + std::to_string(i) + " is " + std::to_string(x) + "; scales must be positive and finite");
    }
    return v;
}

}  // namespace quant
}  // namespace mutiny

#endif  // MUTINY_OPS_QUANT_PARAMS_HPP_
