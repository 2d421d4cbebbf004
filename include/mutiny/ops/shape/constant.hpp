// Constant, ConstantOfShape, and Shape and Size (shape_only: they fold whenever shapes are
// static).
#ifndef MUTINY_OPS_SHAPE_CONSTANT_HPP_
#define MUTINY_OPS_SHAPE_CONSTANT_HPP_

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "copy.hpp"

namespace mutiny {
namespace shape_ops {

// ---- Constant, ConstantOfShape ------------------------------------------------------------------

inline Tensor constant_value(const Attributes& a, const std::string& where) {
    int count = 0;
    Tensor t;
    for (const auto& kv : a.all()) {
        const std::string& k = kv.first;
        if (k == "value") {
            t = a.get_tensor(k);
        } else if (k == "value_float") {
            t = Tensor::scalar<float>(static_cast<float>(a.get_float(k, 0)));
        } else if (k == "value_floats") {
            const auto v = a.get_floats(k);
            std::vector<float> f(v.begin(), v.end());
            t = Tensor::from_vector<float>(Shape{static_cast<int64_t>(f.size())}, f);
        } else if (k == "value_int") {
            t = Tensor::scalar<int64_t>(a.get_int(k, 0));
        } else if (k == "value_ints") {
            const auto v = a.get_ints(k);
            t = Tensor::from_vector<int64_t>(Shape{static_cast<int64_t>(v.size())}, v);
        } else if (k.rfind("value", 0) == 0 || k == "sparse_value") {
            throw Error("unsupported Constant attribute '" + k + "'", where, "Mutiny holds numeric tensors only");
        } else {
            continue;
        }
        ++count;
    }
    if (count != 1)
        throw Error("Constant needs exactly one value attribute", where,
                    std::to_string(count) + " given (value, value_float(s) or value_int(s))");
    return t;
}

inline void register_constant(Registry& r) { r.add(OpDef{
    "Constant", nullptr,
    [](InferContext& c) {
        c.expect_inputs(0, 0);
        const Tensor t = constant_value(c.attrs(), c.where());
        c.set_output(0, t.dtype(), t.shape());
    },
    [](const PrepareContext& pc) -> Kernel {
        const Tensor t = constant_value(pc.attrs(), pc.where());
        return [t](ExecContext& c) { copy_tensor(t, *c.out[0]); };
    }}).bf16 = true; }

inline Tensor constant_of_shape_value(const Attributes& a, const std::string& where) {
    if (!a.has("value")) return Tensor::scalar<float>(0.0f);
    const Tensor& t = a.get_tensor("value");
    if (t.numel() != 1)
        throw Error("ConstantOfShape value must hold one element", where, "it has shape " + t.shape().str());
    return t;
}

inline void register_constantofshape(Registry& r) { r.add(OpDef{
    "ConstantOfShape", nullptr,
    [](InferContext& c) {
        c.expect_inputs(1, 1);
        const auto dims = int_list(c, 0, "ConstantOfShape shape");
        for (auto d : dims)
            if (d < 0) c.fail("ConstantOfShape shape has a negative dimension", list_str(dims));
        c.set_output(0, constant_of_shape_value(c.attrs(), c.where()).dtype(), Shape(dims));
    },
    [](const PrepareContext& pc) -> Kernel {
        const Tensor v = constant_of_shape_value(pc.attrs(), pc.where());
        return [v](ExecContext& c) {
            Tensor& y = *c.out[0];
            dispatch_size(dtype_size(y.dtype()), [&](auto tag) {
                using U = decltype(tag);
                U fill;
                std::memcpy(&fill, v.raw(), sizeof(U));
                U* p = static_cast<U*>(y.raw());
                parallel_chunks(y.numel(), 1 << 16, [&](int64_t b, int64_t e) { std::fill(p + b, p + e, fill); });
            });
        };
    }}); }

// ---- Shape, Size (shape_only: fold whenever shapes are static) -------------------------------------

inline std::pair<int64_t, int64_t> shape_range(const Attributes& a, int64_t r) {
    auto clampi = [r](int64_t v) {
        if (v < 0) v += r;
        return std::clamp<int64_t>(v, 0, r);
    };
    const int64_t s = clampi(a.get_int("start", 0));
    const int64_t e = a.has("end") ? clampi(a.get_int("end", r)) : r;
    return {s, std::max(s, e)};
}

inline void register_shape(Registry& r) { r.add(OpDef{
    "Shape", nullptr,
    [](InferContext& c) {
        c.expect_inputs(1, 1);
        const auto se = shape_range(c.attrs(), static_cast<int64_t>(c.shape(0).rank()));
        c.set_output(0, DType::i64, Shape{se.second - se.first});
    },
    [](const PrepareContext& pc) -> Kernel {
        const Attributes attrs = pc.attrs();
        return [attrs](ExecContext& c) {
            const Shape& s = c.input(0).shape();
            const auto se = shape_range(attrs, static_cast<int64_t>(s.rank()));
            int64_t* p = c.out[0]->data<int64_t>();
            for (int64_t i = se.first; i < se.second; ++i) p[i - se.first] = s[static_cast<size_t>(i)];
        };
    },
    1, true}); }

inline void register_size(Registry& r) { r.add(OpDef{
    "Size", nullptr,
    [](InferContext& c) {
        c.expect_inputs(1, 1);
        c.set_output(0, DType::i64, Shape{});
    },
    [](const PrepareContext&) -> Kernel {
        return [](ExecContext& c) { c.out[0]->data<int64_t>()[0] = c.input(0).numel(); };
    },
    1, true}); }

inline void register_constant_ops(Registry& r) {
    register_constant(r);
    register_constantofshape(r);
    register_shape(r);
    register_size(r);
}

}  // namespace shape_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_SHAPE_CONSTANT_HPP_
