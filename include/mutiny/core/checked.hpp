// Checked arithmetic for every size, offset and index that comes from a file or an argument
// (shapes, pads, strides, dilations, element and byte counts, loop bounds), and the memory limit.
//
// A model file is untrusted input: a Reshape target of [2^62+1, 784] multiplies, wrapping, to
// 784 elements; a pad of INT64_MAX wraps a dimension negative; a stride of 2^62 overflows the
// pointer arithmetic of a kernel; a declared initializer of 2^28 elements allocates a GiB before
// its data is found missing. Shape inference and the readers therefore compute with these helpers
// and refuse, with an Error naming what, where and the values, before anything is iterated over
// or allocated.
#ifndef MUTINY_CORE_CHECKED_HPP_
#define MUTINY_CORE_CHECKED_HPP_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "error.hpp"
#include "memory.hpp"

namespace mutiny {

// Largest value a dimension, a pad, a stride, a dilation or a kernel extent may take, and the
// largest product of a shape's non-zero dimensions (2^40, about 10^12). Real models are many
// orders of magnitude below it. Bounding every factor keeps the few-term products that kernels
// form (an output index times a stride times a row length) far inside int64 and keeps pointer
// offsets inside the address space, so that no kernel needs its own overflow checks. Zero-sized
// dimensions do not count in the product: [0, 2^40, 2^40] holds no element, but Flatten of it
// would still need 2^80.
constexpr int64_t kMaxExtent = int64_t(1) << 40;

namespace checked {

// a * b, a + b, a - b; an Error "<what> overflows" at `where` when the result does not fit int64.
inline int64_t mul(int64_t a, int64_t b, const std::string& what, const std::string& where) {
    int64_t r = 0;
    if (__builtin_mul_overflow(a, b, &r))
        throw Error(what + " overflows", where, std::to_string(a) + " * " + std::to_string(b) + " does not fit 64 bits");
    return r;
}
inline int64_t add(int64_t a, int64_t b, const std::string& what, const std::string& where) {
    int64_t r = 0;
    if (__builtin_add_overflow(a, b, &r))
        throw Error(what + " overflows", where, std::to_string(a) + " + " + std::to_string(b) + " does not fit 64 bits");
    return r;
}
inline int64_t sub(int64_t a, int64_t b, const std::string& what, const std::string& where) {
    int64_t r = 0;
    if (__builtin_sub_overflow(a, b, &r))
        throw Error(what + " overflows", where, std::to_string(a) + " - " + std::to_string(b) + " does not fit 64 bits");
    return r;
}

// v itself when it lies in [lo, kMaxExtent]; else an Error "<what> out of range" with the value.
inline int64_t extent(int64_t v, const std::string& what, const std::string& where, int64_t lo = 0) {
    if (v < lo || v > kMaxExtent)
        throw Error(what + " out of range", where,
                    std::to_string(v) + " is not in [" + std::to_string(lo) + ", 2^40 = " + std::to_string(kMaxExtent) + "]");
    return v;
}

inline std::string dims_str(const std::vector<int64_t>& d) {
    std::string s = "[";
    for (size_t i = 0; i < d.size(); ++i) s += (i ? "," : "") + std::to_string(d[i]);
    return s + "]";
}

// The element count of `dims`, after checking that every dimension is in [0, kMaxExtent] and the
// product of the non-zero ones is at most kMaxExtent (so any sub-product, stride or Flatten of the
// shape fits int64). what: "Reshape output", "initializer 'w'", ...
inline int64_t numel(const std::vector<int64_t>& dims, const std::string& what, const std::string& where) {
    int64_t nonzero = 1;
    bool zero = false;
    for (int64_t d : dims) {
        if (d < 0) throw Error(what + " has a negative dimension", where, "shape " + dims_str(dims));
        if (d == 0) { zero = true; continue; }
        if (d > kMaxExtent || __builtin_mul_overflow(nonzero, d, &nonzero) || nonzero > kMaxExtent)
            throw Error(what + " size overflows", where,
                        "shape " + dims_str(dims) + " has more than 2^40 = " + std::to_string(kMaxExtent) + " elements");
    }
    return zero ? 0 : nonzero;
}

}  // namespace checked

// The memory limit: the largest single tensor Mutiny allocates, checked by shape inference before
// any output is allocated and by every Tensor. Default: half the physical memory (16 GiB where that
// is unknown), so a file declaring a huge shape (ConstantOfShape of [2^40], an Expand, a Tile, a
// Range, a Resize) gets an error instead of an out-of-memory kill. The CLI sets it with
// --max-memory; tests and fuzzers lower it.
inline size_t& max_tensor_bytes() {
    static size_t limit = [] {
        const uint64_t phys = static_cast<uint64_t>(physical_memory_bytes());
        return phys ? static_cast<size_t>(phys / 2) : size_t(16) << 30;
    }();
    return limit;
}

namespace checked {

// n elements of elem_size bytes, checked against max_tensor_bytes(); an Error "<what> too large"
// naming the limit and how to raise it otherwise.
inline size_t bytes(int64_t n, size_t elem_size, const std::string& what, const std::string& where) {
    const uint64_t limit = max_tensor_bytes();
    if (n < 0 || (elem_size && static_cast<uint64_t>(n) > limit / elem_size))
        throw Error(what + " too large", where,
                    std::to_string(n) + " elements of " + std::to_string(elem_size) + " bytes exceed the memory limit of " +
                        std::to_string(limit) + " bytes (raise it with --max-memory or mutiny::max_tensor_bytes())");
    return static_cast<size_t>(n) * elem_size;
}

}  // namespace checked
}  // namespace mutiny

#endif  // MUTINY_CORE_CHECKED_HPP_
