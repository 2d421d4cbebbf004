// What the shape and data-movement ops share. Data movement is an exact copy for every dtype: kernels move elements by their byte size (1, 2,
// 4 or 8) through one strided-copy routine (Transpose, Slice, Split, Expand and Tile are all
// strided views of their input), so no op is instantiated per dtype. Shapes must be static:
// shape-like inputs (Reshape's shape, Slice's starts/ends, Pad's pads, ...) must be constants
// after folding (InferContext::require_constant); Shape and Size fold whenever shapes are static.
//
// import() brings older opsets to the newest semantics: attributes that became inputs (Reshape
// `shape` < 5, Pad `pads`/`value` < 11, Slice `starts`/`ends`/`axes` < 10, Squeeze/Unsqueeze
#ifndef MUTINY_OPS_SHAPE_COPY_HPP_
#define MUTINY_OPS_SHAPE_COPY_HPP_

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#if MUTINY_WITH_OPENCL
#include "../../exec/opencl/planner.hpp"
#endif

namespace mutiny {
namespace shape_ops {

// memcpy in 1 MiB chunks across threads.
inline void copy_bytes(void* dst, const void* src, size_t n) {
    if (n == 0 || dst == src) return;
    char* d = static_cast<char*>(dst);
    const char* s = static_cast<const char*>(src);
    parallel_chunks(static_cast<int64_t>(n), int64_t{1} << 20, [&](int64_t b, int64_t e) {
        std::memcpy(d + b, s + b, static_cast<size_t>(e - b));
    });
}

// Calls f(U{}) with U an unsigned integer of the element size es, so copies never depend on the dtype.
template <class F>
void dispatch_size(size_t es, F&& f) {
    switch (es) {
        case 1: f(uint8_t{}); return;
        case 2: f(uint16_t{}); return;
        case 4: f(uint32_t{}); return;
        case 8: f(uint64_t{}); return;
        default: break;
    }
    throw Error("unsupported element size", std::to_string(es) + " bytes", "elements are 1, 2, 4 or 8 bytes");
}

// Drops size-1 axes and merges axes that are contiguous in the source.
inline void simplify_view(std::vector<int64_t>& dims, std::vector<int64_t>& strides) {
    std::vector<int64_t> d, s;
    for (size_t i = 0; i < dims.size(); ++i) {
        if (dims[i] == 1) continue;
        if (!d.empty() && s.back() == strides[i] * dims[i]) {
            d.back() *= dims[i];
            s.back() = strides[i];
        } else {
            d.push_back(dims[i]);
            s.push_back(strides[i]);
        }
    }
    dims = std::move(d);
    strides = std::move(s);
}

// dst, row-major over `dims`, gets src[base + sum_d idx_d * strides[d]] (strides in elements;
// zero for broadcast axes, negative for reversed ones).
inline void strided_copy(const void* src, void* dst, size_t es, std::vector<int64_t> dims, std::vector<int64_t> strides,
                         int64_t base) {
    int64_t total = 1;
    for (auto d : dims) total *= d;
    if (total == 0) return;
    simplify_view(dims, strides);
    if (dims.empty()) {
        std::memcpy(dst, static_cast<const char*>(src) + base * static_cast<int64_t>(es), es);
        return;
    }
    const size_t r = dims.size();
    const int64_t inner = dims[r - 1], istride = strides[r - 1];
    const int64_t rows = total / inner;
    if (r == 1 && istride == 1) {
        copy_bytes(dst, static_cast<const char*>(src) + base * static_cast<int64_t>(es), static_cast<size_t>(total) * es);
        return;
    }
    dispatch_size(es, [&](auto tag) {
        using U = decltype(tag);
        const U* sp = static_cast<const U*>(src) + base;
        U* dp = static_cast<U*>(dst);
        parallel_chunks(rows, grain_for(rows, inner + 8), [&](int64_t b, int64_t e) {
            for (int64_t row = b; row < e; ++row) {
                int64_t rem = row, off = 0;
                for (size_t d = r - 1; d-- > 0;) {
                    off += (rem % dims[d]) * strides[d];
                    rem /= dims[d];
                }
                const U* s = sp + off;
                U* o = dp + row * inner;
                if (istride == 1) {
                    std::memcpy(o, s, static_cast<size_t>(inner) * sizeof(U));
                } else {
                    for (int64_t i = 0; i < inner; ++i) o[i] = s[i * istride];
                }
            }
        });
    });
}

#if MUTINY_WITH_OPENCL
// strided_copy on the device (kernels/copy.cl, gather_u<bits>): a step of node p's plan copying
// the view (dims, strides, base) of x into y.
inline opencl::Step plan_strided_copy(opencl::NodePlanner& p, cl_mem x, cl_mem y, size_t es, std::vector<int64_t> dims,
                                      std::vector<int64_t> strides, int64_t base) {
    int64_t total = 1;
    for (auto d : dims) total *= d;
    simplify_view(dims, strides);
    std::vector<int> meta{static_cast<int>(dims.size()), static_cast<int>(base)};
    for (auto d : dims) meta.push_back(static_cast<int>(d));
    for (auto st : strides) meta.push_back(static_cast<int>(st));
    cl_kernel k = p.kernel("copy", opencl::NodePlanner::sized("gather", es), DType::f32);
    p.arg(k, 0, x);
    p.arg(k, 1, y);
    p.arg(k, 2, p.meta(meta));
    p.arg(k, 3, static_cast<int>(total));
    return p.launch(k, static_cast<size_t>(total));
}
#endif

inline void copy_tensor(const Tensor& src, Tensor& dst) {
    if (src.nbytes() != dst.nbytes())
        throw Error("copy between tensors of different sizes", src.shape().str() + " -> " + dst.shape().str(), "internal error");
    copy_bytes(dst.raw(), src.raw(), src.nbytes());
}

// Constant 1-D int64 input made from an attribute's ints (import of legacy opsets).
inline void ints_to_input(ImportContext& ic, const char* attr, size_t pos) {
    Node& n = *ic.node;
    if (!n.attrs.has(attr)) return;
    const auto v = n.attrs.get_ints(attr);
    n.attrs.erase(attr);
    ic.set_constant_input(pos, Tensor::from_vector<int64_t>(Shape{static_cast<int64_t>(v.size())}, v));
}

inline bool is_int_dtype(DType t) { return !dtype_is_float(t) && t != DType::boolean; }

// The values of a constant 1-D integer input (shape-like inputs).
inline std::vector<int64_t> int_list(const InferContext& c, size_t i, const char* what) {
    const Tensor& t = c.require_constant(i, what);
    if (!is_int_dtype(t.dtype()) || t.shape().rank() > 1)
        c.fail(std::string(what) + " must be a 1-D integer tensor",
               std::string("it is ") + dtype_name(t.dtype()) + " of shape " + t.shape().str());
    return t.to_i64_vector();
}

inline std::string list_str(const std::vector<int64_t>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
    return s + "]";
}

// double -> float rounded to odd: rounding that float again to a type of at most 22 mantissa bits
// (f16, bf16) gives the value rounded once from d.
inline float float_round_odd(double d) {
    float f = static_cast<float>(d);
    if (std::isfinite(f) && static_cast<double>(f) != d) {
        uint32_t b;
        std::memcpy(&b, &f, 4);
        if ((b & 1u) == 0) f = std::nextafter(f, d > static_cast<double>(f) ? std::numeric_limits<float>::infinity()
                                                                            : -std::numeric_limits<float>::infinity());
    }
    return f;
}
// double -> f16 / bf16 rounded once: round-to-odd to float, then to nearest even.
inline half half_from_double(double d) { return half(float_round_odd(d)); }
inline bfloat16 bf16_from_double(double d) { return bfloat16(float_round_odd(d)); }

// float -> integer: truncate toward zero, then wrap modulo 2^bits through int64 (as numpy and
// onnxruntime do for values within int32 on x86: -1.5 -> uint8 255); beyond the int64 range
// saturate; NaN -> 0. uint64 takes [2^63, 2^64) directly.
template <class I>
inline I int_from_double(double d) {
    if (std::isnan(d)) return I(0);
    const double t = std::trunc(d);
    constexpr double two63 = 9223372036854775808.0;
    if constexpr (std::is_same_v<I, uint64_t>) {
        if (t >= 2 * two63) return std::numeric_limits<uint64_t>::max();
        if (t >= two63) return static_cast<uint64_t>(t);
    }
    int64_t v;
    if (t >= two63) v = std::numeric_limits<int64_t>::max();
    else if (t < -two63) v = std::numeric_limits<int64_t>::min();
    else v = static_cast<int64_t>(t);
    return static_cast<I>(v);
}

// A kernel that copies input 0 to output 0 unchanged (Reshape, Flatten, Squeeze, Unsqueeze, Identity).
inline Kernel copy_kernel(const PrepareContext&) {
    return [](ExecContext& c) { copy_tensor(c.input(0), *c.out[0]); };
}


inline std::vector<int64_t> tensor_ints(const Tensor& t) { return t.to_i64_vector(); }

}  // namespace shape_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_SHAPE_COPY_HPP_
