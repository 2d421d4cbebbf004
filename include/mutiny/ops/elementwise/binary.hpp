// Binary element-wise ops with numpy broadcasting: Add, Sub, Mul, Div, Pow (every numeric type;
// Pow with mixed types) and PRelu (whose `x < 0` is an LT mutation site).
#ifndef MUTINY_OPS_ELEMENTWISE_BINARY_HPP_
#define MUTINY_OPS_ELEMENTWISE_BINARY_HPP_

#include <cmath>
#include <type_traits>
#include <vector>

#include "../common.hpp"
#include "broadcast.hpp"
#if MUTINY_WITH_OPENCL
#include "../../exec/opencl/planner.hpp"
#endif

namespace mutiny {
namespace ew {

inline void register_add(Registry& r) {
    r.add(OpDef{"Add", nullptr, infer_binary, [](const PrepareContext&) { return binary(AddF{}); }}).prepare_span =
        [](const PrepareContext& pc, size_t chain) { return binary_span(pc, chain, AddF{}); };
}
inline void register_sub(Registry& r) { r.add(OpDef{"Sub", nullptr, infer_binary, [](const PrepareContext&) {
    return binary([](auto x, auto y) { return wrap(x, y, [](auto p, auto q) { return p - q; }); });
}}); }
inline void register_mul(Registry& r) {
    r.add(OpDef{"Mul", nullptr, infer_binary, [](const PrepareContext&) { return binary(MulF{}); }}).prepare_span =
        [](const PrepareContext& pc, size_t chain) { return binary_span(pc, chain, MulF{}); };
}
inline void register_div(Registry& r) { r.add(OpDef{"Div", nullptr, infer_binary, [](const PrepareContext&) {
    return binary([](auto x, auto y) { return safe_div(x, y); });
}}); }
// Pow: the output has X's type; mixed types (float base, int exponent, ...) compute in double.
inline void register_pow(Registry& r) { r.add(OpDef{"Pow", nullptr, [](InferContext& c) {
    c.expect_inputs(2, 2);
    c.set_output(0, c.dtype(0), Shape::broadcast(c.shape(0), c.shape(1), c.where()));
}, [](const PrepareContext& pc) -> Kernel {
    if (pc.in[0].dtype == pc.in[1].dtype) return binary([](auto x, auto y) { return pow_of(x, y); });
    return [](ExecContext& c) {
        auto to_f64 = [](const Tensor& t) {
            Tensor d(DType::f64, t.shape());
            for (int64_t i = 0; i < t.numel(); ++i) d.data<double>()[i] = t.get_f64(i);
            return d;
        };
        Tensor r(DType::f64, c.out[0]->shape());
        broadcast_apply<double>(to_f64(c.input(0)), to_f64(c.input(1)), r, [](double x, double y) { return std::pow(x, y); });
        dispatch_dtype(c.out[0]->dtype(), [&](auto tag) {
            using T = decltype(tag);
            T* o = static_cast<T*>(c.out[0]->raw());
            for (int64_t i = 0; i < r.numel(); ++i) {
                if constexpr (std::is_integral_v<T>) o[i] = saturate_to<T>(r.data<double>()[i]);  // inf, NaN: defined
                else o[i] = store_as<T>(static_cast<compute_t<T>>(r.data<double>()[i]));
            }
        });
    };
}}); }


// PRelu: y = x < 0 ? slope * x : x, slope broadcast to x (unidirectionally). Before opset 7 a
// 1-D slope of size C applied per channel (axis 1); import records that as `legacy_channel_slope`.
inline Shape prelu_slope_shape(const Attributes& a, const Shape& x, const Shape& slope) {
    if (a.get_int("legacy_channel_slope", 0) && slope.rank() == 1 && x.rank() >= 2 && slope[0] == x[1] && slope[0] != x[x.rank() - 1]) {
        std::vector<int64_t> d(x.rank() - 1, 1);
        d[0] = slope[0];
        return Shape(d);
    }
    return slope;
}
#if MUTINY_WITH_OPENCL
// kernels/elementwise.cl: binary_<Op>(a, b, y, broadcast meta, n), one work-item per element.
inline bool plan_binary_opencl(opencl::NodePlanner& p) {
    if (!p.float_kernel()) return false;
    const std::string& op = p.node().op;
    const DType t = p.out_type().dtype;
    const int n = static_cast<int>(p.out_type().shape.numel());
    const Shape& ys = p.out_type().shape;
    Shape bs = p.in_type(1).shape;
    if (op == "PRelu") bs = prelu_slope_shape(p.attrs(), p.in_type(0).shape, bs);
    cl_kernel k = p.kernel("elementwise", "binary_" + op, t);
    p.arg(k, 0, p.in(0));
    p.arg(k, 1, p.in(1));
    p.arg(k, 2, p.out());
    p.arg(k, 3, p.meta(opencl::NodePlanner::broadcast_meta(p.in_type(0).shape, bs, ys)));
    p.arg(k, 4, n);
    p.run(p.launch(k, static_cast<size_t>(n)));
    return true;
}
#endif

inline void register_prelu(Registry& r) {
    OpDef& d = r.add(OpDef{"PRelu",
    [](ImportContext& ic) { if (ic.opset < 7) ic.node->attrs.set_int("legacy_channel_slope", 1); },
    [](InferContext& c) {
        c.expect_inputs(2, 2);
        const Shape s = prelu_slope_shape(c.attrs(), c.shape(0), c.shape(1));
        const Shape out = Shape::broadcast(c.shape(0), s, c.where());
        if (out != c.shape(0)) c.fail("PRelu slope does not broadcast to X", "slope " + c.shape(1).str() + ", X " + c.shape(0).str());
        c.set_output(0, c.dtype(0), out);
    },
    [](const PrepareContext& pc) -> Kernel {
    const SiteConfig sites = pc.sites;
    return [sites](ExecContext& c) {
        const SiteConfig* s = active_sites(sites);
        const Tensor slope = c.input(1).reshaped(prelu_slope_shape(c.node->attrs, c.input(0).shape(), c.input(1).shape()));
        dispatch_dtype(c.input(0).dtype(), [&](auto tag) {
            using T = decltype(tag);
            broadcast_apply<T>(c.input(0), slope, *c.out[0], [&](auto x, auto a) {
                using C = decltype(x);
                if constexpr (std::is_floating_point_v<C>) return site_lt(s, x, C(0)) ? a * x : x;
                else return x < C(0) ? a * x : x;
            });
        });
    };
}});
    d.sites.lt = true;
#if MUTINY_WITH_OPENCL
    d.plan_opencl = plan_binary_opencl;
#endif
}

inline void register_binary_ops(Registry& r) {
    register_add(r);
    register_sub(r);
    register_mul(r);
    register_div(r);
    register_pow(r);
    register_prelu(r);
#if MUTINY_WITH_OPENCL
    for (const char* op : {"Add", "Sub", "Mul", "Div", "Pow"}) r.find(op)->plan_opencl = plan_binary_opencl;
#endif
}

}  // namespace ew
}  // namespace mutiny

#endif  // MUTINY_OPS_ELEMENTWISE_BINARY_HPP_
