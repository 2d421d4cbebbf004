// MaxUnpool (opset 9, 11): the inverse of MaxPool with Indices. Y starts as zeros and each x[i]
// goes to flat position I[i] of the unpooled shape, (in - 1) * stride - pad_begin - pad_end +
// kernel per spatial axis. With output_shape (a constant: it sets the output's shape), that
// unpooled tensor sits in the leading corner of a zero tensor of output_shape, as in ONNX's
// reference. Elements move by their byte size, so no dtype is instantiated; later elements win
// where indices repeat (the loop is sequential, so the result does not depend on threads).
#ifndef MUTINY_OPS_POOL_MAXUNPOOL_HPP_
#define MUTINY_OPS_POOL_MAXUNPOOL_HPP_

#include <cstring>
#include <string>
#include <vector>

#include "../common.hpp"
#include "geometry.hpp"

namespace mutiny {
namespace pool {

// The unpooled shape from X's shape and the attributes (kernel_shape, strides, pads).
inline Shape unpooled_shape(const Attributes& a, const Shape& x, const std::string& where) {
    if (x.rank() < 3 || x.rank() > 5)
        throw Error("unsupported MaxUnpool input rank", where, "X has shape " + x.str() + "; MaxUnpool takes [N, C, D1 (, D2 (, D3))]");
    const size_t nsp = x.rank() - 2;
    if (!a.has("kernel_shape")) throw Error("missing attribute 'kernel_shape'", where, "MaxUnpool needs a kernel shape");
    const auto k = ints_attr(a, "kernel_shape", nsp, 1, 1, where);
    const auto s = ints_attr(a, "strides", nsp, 1, 1, where);
    const auto p = ints_attr(a, "pads", 2 * nsp, 0, 0, where);
    std::vector<int64_t> d{x[0], x[1]};
    for (size_t i = 0; i < nsp; ++i) {
        // Each term is at most 2^40 (ints_attr, shape checks); the product is checked.
        const int64_t o = checked::mul(x[2 + i] - 1, s[i], "MaxUnpool output size", where) - p[i] - p[nsp + i] + k[i];
        if (o <= 0)
            throw Error("MaxUnpool output would be empty", where,
                        "spatial axis " + std::to_string(i) + ": (" + std::to_string(x[2 + i]) + " - 1) * " + std::to_string(s[i]) + " - pads + " +
                            std::to_string(k[i]) + " = " + std::to_string(o));
        d.push_back(o);
    }
    return Shape(std::move(d));
}

// The output shape: output_shape when given (checked to hold the unpooled tensor), else the unpooled one.
inline Shape maxunpool_output(const InferContext& c, const Shape& unpooled) {
    if (!c.has_input(2)) return unpooled;
    const Tensor& t = c.require_constant(2, "MaxUnpool output_shape");
    if (t.dtype() != DType::i64 || t.shape().rank() != 1)
        c.fail("MaxUnpool output_shape must be a 1-D int64 tensor", std::string("it is ") + dtype_name(t.dtype()) + " of shape " + t.shape().str());
    const std::vector<int64_t> v = t.to_i64_vector();
    if (v.size() != unpooled.rank())
        c.fail("MaxUnpool output_shape has the wrong length", std::to_string(v.size()) + " values for an input of rank " + std::to_string(unpooled.rank()));
    for (size_t i = 0; i < v.size(); ++i)
        if (i < 2 ? v[i] != unpooled[i] : v[i] < unpooled[i])
            c.fail("MaxUnpool output_shape does not fit the input", "output_shape " + Shape(v).str() + " against the unpooled shape " +
                                                                        unpooled.str() + " (N and C equal, spatial sizes at least as large)");
    return Shape(v);
}

inline void register_maxunpool(Registry& r) {
    r.add(OpDef{
        "MaxUnpool", nullptr,
        [](InferContext& c) {
            c.expect_inputs(2, 3);
            c.expect_float(0);
            if (c.dtype(1) != DType::i64) c.fail("unsupported MaxUnpool indices dtype", std::string("I is ") + dtype_name(c.dtype(1)) + "; int64 is required");
            if (c.shape(0) != c.shape(1)) c.fail("MaxUnpool X and I shapes differ", "X " + c.shape(0).str() + ", I " + c.shape(1).str());
            const Shape un = unpooled_shape(c.attrs(), c.shape(0), c.where());
            c.set_output(0, c.dtype(0), maxunpool_output(c, un));
        },
        [](const PrepareContext& pc) -> Kernel {
            const Shape un = unpooled_shape(pc.attrs(), pc.in[0].shape, pc.where());
            return [un](ExecContext& c) {
                const Tensor& x = c.input(0);
                const int64_t* ip = c.input(1).data<int64_t>();
                Tensor& y = *c.out[0];
                const size_t es = dtype_size(x.dtype());
                std::memset(y.raw(), 0, y.nbytes());
                const int64_t total = un.numel();
                const bool same = y.shape() == un;
                const auto ys = y.shape().strides();
                const char* xp = static_cast<const char*>(x.raw());
                char* yp = static_cast<char*>(y.raw());
                for (int64_t i = 0; i < x.numel(); ++i) {
                    const int64_t q = ip[i];
                    if (q < 0 || q >= total)
                        throw Error("MaxUnpool index out of range", Graph::where(*c.node),
                                    "I[" + std::to_string(i) + "] = " + std::to_string(q) + " outside [0, " + std::to_string(total) +
                                        ") for the unpooled shape " + un.str());
                    // q numbers the unpooled shape; place it in the (larger) output shape.
                    int64_t o = q;
                    if (!same) {
                        o = 0;
                        int64_t rem = q;
                        for (size_t d = un.rank(); d-- > 0;) {
                            o += (rem % un[d]) * ys[d];
                            rem /= un[d];
                        }
                    }
                    std::memcpy(yp + o * static_cast<int64_t>(es), xp + i * static_cast<int64_t>(es), es);
                }
            };
        },
        9});
}

}  // namespace pool
}  // namespace mutiny

#endif  // MUTINY_OPS_POOL_MAXUNPOOL_HPP_
