// Ops whose output is their input's data under another shape: Reshape, Flatten, Squeeze,
// Unsqueeze, Identity, Dropout (inference). On OpenCL each is one buffer copy.
#ifndef MUTINY_OPS_SHAPE_RESHAPE_HPP_
#define MUTINY_OPS_SHAPE_RESHAPE_HPP_

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "copy.hpp"
#if MUTINY_WITH_OPENCL
#include "../../exec/opencl/planner.hpp"
#endif

namespace mutiny {
namespace shape_ops {

// ---- Reshape ------------------------------------------------------------------------------------

inline Shape reshape_target(const Shape& in, const std::vector<int64_t>& spec, bool allowzero, const std::string& where) {
    std::vector<int64_t> out(spec.size());
    int minus = -1;
    bool zero = false;
    int64_t known = 1;
    for (size_t i = 0; i < spec.size(); ++i) {
        int64_t v = spec[i];
        if (v == -1) {
            if (minus >= 0) throw Error("Reshape shape has more than one -1", where, "shape " + list_str(spec));
            minus = static_cast<int>(i);
            continue;
        }
        if (v < -1) throw Error("Reshape shape has a negative dimension", where, "shape " + list_str(spec));
        if (v == 0) {
            zero = true;
            if (!allowzero) {
                if (i >= in.rank())
                    throw Error("Reshape copies a dimension the input lacks", where,
                                "0 at position " + std::to_string(i) + " of " + list_str(spec) + " for input " + in.str());
                v = in[i];
            }
        }
        out[i] = v;
        // A target of [2^62+1, 784] would wrap to 784 elements and pass the count check.
        known = checked::mul(known, v, "Reshape target size", where);
    }
    if (allowzero && zero && minus >= 0)
        throw Error("Reshape shape has both 0 and -1 with allowzero=1", where, "shape " + list_str(spec));
    if (minus >= 0) {
        if (known == 0 || in.numel() % known != 0)
            throw Error("Reshape changes the element count", where,
                        "input " + in.str() + " (" + std::to_string(in.numel()) + " elements) does not fit shape " + list_str(spec));
        out[static_cast<size_t>(minus)] = in.numel() / known;
    }
    Shape s(std::move(out));
    if (s.numel() != in.numel())
        throw Error("Reshape changes the element count", where,
                    "input " + in.str() + " has " + std::to_string(in.numel()) + " elements, shape " + list_str(spec) +
                        " gives " + s.str() + " with " + std::to_string(s.numel()));
    return s;
}

inline void register_reshape(Registry& r) { r.add(OpDef{
    "Reshape",
    [](ImportContext& ic) {
        if (ic.opset < 5) ints_to_input(ic, "shape", 1);
    },
    [](InferContext& c) {
        c.expect_inputs(2, 2);
        const auto spec = int_list(c, 1, "Reshape shape");
        c.set_output(0, c.dtype(0), reshape_target(c.shape(0), spec, c.attrs().get_int("allowzero", 0) != 0, c.where()));
    },
    copy_kernel, 1}); }

// ---- Flatten ------------------------------------------------------------------------------------

inline void register_flatten(Registry& r) { r.add(OpDef{
    "Flatten", nullptr,
    [](InferContext& c) {
        c.expect_inputs(1, 1);
        const Shape& x = c.shape(0);
        const int64_t r = static_cast<int64_t>(x.rank());
        int64_t axis = c.attrs().get_int("axis", 1);
        if (axis < -r || axis > r)
            c.fail("Flatten axis out of range", "axis " + std::to_string(axis) + " for rank " + std::to_string(r));
        if (axis < 0) axis += r;
        // Checked: the input's element count may be 0 while the product on one side is not.
        const std::vector<int64_t> lo(x.dims().begin(), x.dims().begin() + axis), hi(x.dims().begin() + axis, x.dims().end());
        c.set_output(0, c.dtype(0), Shape{checked::numel(lo, "Flatten output", c.where()), checked::numel(hi, "Flatten output", c.where())});
    },
    copy_kernel}); }

// ---- Squeeze, Unsqueeze -------------------------------------------------------------------------

inline void register_squeeze(Registry& r) { r.add(OpDef{
    "Squeeze",
    [](ImportContext& ic) {
        if (ic.opset < 13) ints_to_input(ic, "axes", 1);
    },
    [](InferContext& c) {
        c.expect_inputs(1, 2);
        const Shape& x = c.shape(0);
        const int64_t r = static_cast<int64_t>(x.rank());
        std::vector<char> drop(x.rank(), 0);
        const std::vector<int64_t> axes = c.has_input(1) ? int_list(c, 1, "Squeeze axes") : std::vector<int64_t>{};
        if (!axes.empty()) {  // absent or empty axes: every size-1 axis
            for (int64_t a : axes) {
                const size_t ax = static_cast<size_t>(normalize_axis(a, r, c.where()));
                if (drop[ax]) c.fail("Squeeze axes repeat an axis", "axis " + std::to_string(a));
                if (x[ax] != 1)
                    c.fail("Squeeze of a dimension that is not 1", "axis " + std::to_string(a) + " of " + x.str() + " has size " + std::to_string(x[ax]));
                drop[ax] = 1;
            }
        } else {
            for (size_t i = 0; i < x.rank(); ++i) drop[i] = x[i] == 1;
        }
        std::vector<int64_t> out;
        for (size_t i = 0; i < x.rank(); ++i)
            if (!drop[i]) out.push_back(x[i]);
        c.set_output(0, c.dtype(0), Shape(std::move(out)));
    },
    copy_kernel, 1}); }

inline void register_unsqueeze(Registry& r) { r.add(OpDef{
    "Unsqueeze",
    [](ImportContext& ic) {
        if (ic.opset < 13) ints_to_input(ic, "axes", 1);
    },
    [](InferContext& c) {
        c.expect_inputs(2, 2);
        const Shape& x = c.shape(0);
        const auto axes = int_list(c, 1, "Unsqueeze axes");
        const int64_t r = static_cast<int64_t>(x.rank() + axes.size());
        std::vector<char> ins(static_cast<size_t>(r), 0);
        for (int64_t a : axes) {
            const size_t ax = static_cast<size_t>(normalize_axis(a, r, c.where()));
            if (ins[ax]) c.fail("Unsqueeze axes repeat an axis", "axes " + list_str(axes));
            ins[ax] = 1;
        }
        std::vector<int64_t> out;
        size_t k = 0;
        for (size_t i = 0; i < static_cast<size_t>(r); ++i) out.push_back(ins[i] ? 1 : x[k++]);
        c.set_output(0, c.dtype(0), Shape(std::move(out)));
    },
    copy_kernel, 1}); }

// ---- Identity, Dropout --------------------------------------------------------------------------

inline void register_identity(Registry& r) { r.add(OpDef{
    "Identity", nullptr,
    [](InferContext& c) {
        c.expect_inputs(1, 1);
        c.set_output(0, c.dtype(0), c.shape(0));
    },
    copy_kernel}); }

// Inference: output = input, the optional mask is all true (bool; the input's type before opset 10,
// recorded by import() as legacy_mask_type = 1). Training mode with a non-zero ratio is refused.
inline void register_dropout(Registry& r) { r.add(OpDef{
    "Dropout",
    [](ImportContext& ic) {
        Node& n = *ic.node;
        n.attrs.erase("is_test");
        n.attrs.erase("consumed_inputs");
        if (ic.opset < 12 && n.attrs.has("ratio")) {
            const float r = static_cast<float>(n.attrs.get_float("ratio", 0.5));
            n.attrs.erase("ratio");
            ic.set_constant_input(1, Tensor::scalar<float>(r));
        }
        if (ic.opset < 10) n.attrs.set_int("legacy_mask_type", 1);
    },
    [](InferContext& c) {
        c.expect_inputs(1, 3);
        if (c.node().outputs.size() > 2) c.fail("wrong number of outputs", "Dropout has output and mask");
        if (c.has_input(1) && c.shape(1).numel() != 1) c.fail("Dropout ratio is not a scalar", "shape " + c.shape(1).str());
        if (c.has_input(2)) {
            const Tensor* tm = c.constant(2);
            if (!tm) c.fail("unsupported Dropout training mode", "training_mode is computed at run time; Mutiny runs inference only");
            if (tm->numel() != 1) c.fail("Dropout training_mode is not a scalar", "shape " + tm->shape().str());
            if (tm->get_i64(0) != 0) {
                double ratio = 0.5;
                if (c.has_input(1)) {
                    const Tensor* r = c.constant(1);
                    if (!r) c.fail("unsupported Dropout training mode", "training_mode = true with a run-time ratio");
                    ratio = r->get_f64(0);
                }
                if (ratio != 0) c.fail("unsupported Dropout training mode", "training_mode = true drops values at random; Mutiny runs inference only");
            }
        }
        c.set_output(0, c.dtype(0), c.shape(0));
        if (c.node().outputs.size() > 1)
            c.set_output(1, c.attrs().get_int("legacy_mask_type", 0) ? c.dtype(0) : DType::boolean, c.shape(0));
    },
    [](const PrepareContext&) -> Kernel {
        return [](ExecContext& c) {
            copy_tensor(c.input(0), *c.out[0]);
            if (c.out.size() > 1) {
                Tensor& m = *c.out[1];
                dispatch_dtype(m.dtype(), [&](auto tag) {
                    using T = decltype(tag);
                    T* p = static_cast<T*>(m.raw());
                    std::fill(p, p + m.numel(), store_as<T>(1.0f));
                });
            }
        };
    },
    1}); }

#if MUTINY_WITH_OPENCL
// Pure data movement, any dtype: one buffer copy (and Dropout's mask, all ones, a buffer fill).
inline bool plan_copy_opencl(opencl::NodePlanner& p) {
    const size_t n = static_cast<size_t>(p.out_type().shape.numel());
    opencl::Step copy = p.copy(p.in(0), p.out(), n * dtype_size(p.out_type().dtype));
    if (p.node().outputs.size() < 2 || p.node().outputs[1] < 0) {
        p.run(copy);
        return true;
    }
    // The mask element as the CPU kernel stores it (store_as<T>(1.0f): true, 1.0 or 1).
    const DType mt = p.out_type(1).dtype;
    Tensor one(mt, Shape{});
    dispatch_dtype(mt, [&](auto tag) {
        using T = decltype(tag);
        *static_cast<T*>(one.raw()) = store_as<T>(1.0f);
    });
    const auto* b = static_cast<const unsigned char*>(one.raw());
    p.run_all({copy, p.fill(p.out(1), std::vector<unsigned char>(b, b + dtype_size(mt)), n * dtype_size(mt))});
    return true;
}
#endif

inline void register_reshape_ops(Registry& r) {
    register_reshape(r);
    register_flatten(r);
    register_squeeze(r);
    register_unsqueeze(r);
    register_identity(r);
    register_dropout(r);
    r.find("Identity")->unit_local = UnitLocality::elementwise;
    for (const char* op : {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity"}) r.find(op)->bf16 = true;
#if MUTINY_WITH_OPENCL
    for (const char* op : {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout"}) r.find(op)->plan_opencl = plan_copy_opencl;
#endif
}

}  // namespace shape_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_SHAPE_RESHAPE_HPP_
