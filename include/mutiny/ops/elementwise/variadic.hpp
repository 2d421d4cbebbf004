// Variadic element-wise ops with numpy broadcasting: Sum, Mean, Max, Min (every numeric type),
// folded pairwise left to right as the ONNX reference does.
#ifndef MUTINY_OPS_ELEMENTWISE_VARIADIC_HPP_
#define MUTINY_OPS_ELEMENTWISE_VARIADIC_HPP_

#include <vector>

#include "../common.hpp"
#include "broadcast.hpp"
#if MUTINY_WITH_OPENCL
#include "../../exec/opencl/planner.hpp"
#endif

namespace mutiny {
namespace ew {

// Sum, Max, Min, Mean: folded pairwise left to right, as the ONNX reference does.
template <class F>
Kernel variadic(F f, bool mean) {
    return [f, mean](ExecContext& c) {
        Tensor& out = *c.out[0];
        const size_t n = c.in.size();
        dispatch_dtype(out.dtype(), [&](auto tag) {
            using T = decltype(tag);
            if (n == 1) {
                broadcast_apply<T>(c.input(0), c.input(0), out, [](auto x, auto) { return x; });
            } else {
                broadcast_apply<T>(c.input(0), c.input(1), out, f);
                for (size_t i = 2; i < n; ++i) {
                    Tensor acc = out.clone();
                    broadcast_apply<T>(acc, c.input(i), out, f);
                }
            }
            if (mean) {
                Tensor acc = out.clone();
                Tensor cnt = Tensor(out.dtype(), Shape{});
                static_cast<T*>(cnt.raw())[0] = store_as<T>(static_cast<double>(n));
                broadcast_apply<T>(acc, cnt, out, [](auto x, auto y) { return safe_div(x, y); });
            }
        });
    };
}
// A Sum of two fuses as their Add (the same one addition per element).
inline void register_sum(Registry& r) {
    r.add(OpDef{"Sum", nullptr, infer_broadcast, [](const PrepareContext&) { return variadic(AddF{}, false); }}).prepare_span =
        [](const PrepareContext& pc, size_t chain) { return binary_span(pc, chain, AddF{}); };
}
inline void register_mean(Registry& r) { r.add(OpDef{"Mean", nullptr, infer_broadcast, [](const PrepareContext&) {
    return variadic([](auto x, auto y) { return x + y; }, true);
}}); }
// NaN propagates through Max/Min as in the ONNX reference (numpy.maximum).
inline void register_max(Registry& r) { r.add(OpDef{"Max", nullptr, infer_broadcast, [](const PrepareContext&) {
    return variadic([](auto x, auto y) { return (x != x || x > y) ? x : y; }, false);
}}); }
inline void register_min(Registry& r) { r.add(OpDef{"Min", nullptr, infer_broadcast, [](const PrepareContext&) {
    return variadic([](auto x, auto y) { return (x != x || x < y) ? x : y; }, false);
}}); }

#if MUTINY_WITH_OPENCL
// Folded pairwise as on the CPU: y = x0 op x1, then y = y op xi; Mean divides by the count last.
inline bool plan_variadic_opencl(opencl::NodePlanner& p) {
    if (!p.float_kernel()) return false;
    const std::string& op = p.node().op;
    const DType t = p.out_type().dtype;
    const int64_t numel = p.out_type().shape.numel();
    const int n = static_cast<int>(numel);
    const Shape& ys = p.out_type().shape;
    const std::string kn = op == "Max" ? "binary_Max" : op == "Min" ? "binary_Min" : "binary_Add";
    std::vector<opencl::Step> parts;
    cl_mem y = p.out();
    size_t count = 0;
    for (int in : p.node().inputs) count += in >= 0;
    if (count == 1) {
        // One input: y = x broadcast to itself (a copy).
        parts.push_back(p.copy(p.in(0), y, static_cast<size_t>(numel) * dtype_size(t)));
    } else {
        for (size_t i = 1; i < p.node().inputs.size(); ++i) {
            cl_kernel k = p.kernel("elementwise", kn, t);
            const bool firstpair = i == 1;
            p.arg(k, 0, firstpair ? p.in(0) : y);
            p.arg(k, 1, p.in(i));
            p.arg(k, 2, y);
            p.arg(k, 3, p.meta(opencl::NodePlanner::broadcast_meta(firstpair ? p.in_type(0).shape : ys, p.in_type(i).shape, ys)));
            p.arg(k, 4, n);
            parts.push_back(p.launch(k, static_cast<size_t>(n)));
        }
    }
    if (op == "Mean") {
        cl_kernel k = p.kernel("elementwise", "divide_by_count", t);
        p.arg(k, 0, y);
        // The count as the storage type, then the compute type (as the CPU does).
        double c = static_cast<double>(count);
        if (t == DType::f16) c = static_cast<double>(static_cast<float>(half(static_cast<float>(c))));
        p.arg_c(k, 1, c, t);
        p.arg(k, 2, n);
        parts.push_back(p.launch(k, static_cast<size_t>(n)));
    }
    p.run_all(std::move(parts));
    return true;
}
#endif

inline void register_variadic_ops(Registry& r) {
    register_sum(r);
    register_mean(r);
    register_max(r);
    register_min(r);
#if MUTINY_WITH_OPENCL
    for (const char* op : {"Sum", "Mean", "Max", "Min"}) r.find(op)->plan_opencl = plan_variadic_opencl;
#endif
}

}  // namespace ew
}  // namespace mutiny

#endif  // MUTINY_OPS_ELEMENTWISE_VARIADIC_HPP_
