// What the tensor family (Trilu, Range, EyeLike, OneHot, ...) shares: reading a one-element
// integer input (Trilu's k, OneHot's depth) and filling a tensor with a byte pattern.
#ifndef MUTINY_OPS_TENSOR_COMMON_HPP_
#define MUTINY_OPS_TENSOR_COMMON_HPP_

#include <string>

#include "../common.hpp"

namespace mutiny {
namespace tensor_ops {

// The value of a one-element tensor (a scalar or a 1-element 1-D tensor) as int64; float values
// are truncated toward zero (ONNX casts them to int64).
inline int64_t scalar_i64(const Tensor& t, const std::string& what, const std::string& where) {
    if (t.numel() != 1 || t.shape().rank() > 1)
        throw Error(what + " must hold one element", where, "it has shape " + t.shape().str());
    if (dtype_is_float(t.dtype())) {
        const double d = t.get_f64(0);
        if (!(d > -9.2e18 && d < 9.2e18)) throw Error(what + " is not a finite integer", where, "value " + std::to_string(d));
        return static_cast<int64_t>(d);
    }
    return t.get_i64(0);
}

// Checks at inference that input i is a one-element tensor of an allowed kind.
inline void expect_scalar_input(const InferContext& c, size_t i, const char* what, bool int_only) {
    const Shape& s = c.shape(i);
    if (s.rank() > 1 || (s.is_concrete() && s.numel() != 1))
        c.fail(std::string(what) + " must hold one element", "input " + std::to_string(i) + " has shape " + s.str());
    if (c.dtype(i) == DType::boolean || (int_only && dtype_is_float(c.dtype(i))))
        c.fail(std::string("unsupported ") + what + " dtype",
               std::string("input ") + std::to_string(i) + " is " + dtype_name(c.dtype(i)) + (int_only ? ", an integer type is required" : ", a number is required"));
}

}  // namespace tensor_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_TENSOR_COMMON_HPP_
