// Clip: y = min(max(x, lo), hi) with optional bounds (inputs since opset 11, attributes before);
// its `x < lo` and `x > hi` are the LT and GT mutation sites.
#ifndef MUTINY_OPS_ELEMENTWISE_CLIP_HPP_
#define MUTINY_OPS_ELEMENTWISE_CLIP_HPP_

#include <limits>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#if MUTINY_WITH_OPENCL
#include "../../exec/opencl/planner.hpp"
#endif

namespace mutiny {
namespace ew {

#if MUTINY_WITH_OPENCL
// kernels/elementwise.cl: clip(x, y, lo, hi, has_lo, has_hi, n).
inline bool plan_clip_opencl(opencl::NodePlanner& p) {
    if (!p.float_kernel()) return false;
    const DType t = p.out_type().dtype;
    const int n = static_cast<int>(p.out_type().shape.numel());
    cl_kernel k = p.kernel("elementwise", "clip", t);
    cl_mem x = p.in(0);
    const bool lo = p.has_input(1), hi = p.has_input(2);
    p.arg(k, 0, x);
    p.arg(k, 1, p.out());
    p.arg(k, 2, lo ? p.in(1) : x);
    p.arg(k, 3, hi ? p.in(2) : x);
    p.arg(k, 4, static_cast<int>(lo));
    p.arg(k, 5, static_cast<int>(hi));
    p.arg(k, 6, n);
    p.run(p.launch(k, static_cast<size_t>(n)));
    return true;
}
#endif

// One float element, by the kernel and its fused step alike.
template <class C>
inline C clip_value(C v, C lo, C hi, const SiteConfig* s) {
    if (site_lt(s, v, lo)) v = lo;
    if (site_gt(s, v, hi)) v = hi;
    return v;
}

// The fused step (ops/op.hpp, SpanKernel): float32 with constant (or absent) bounds.
inline SpanFusion clip_span(const PrepareContext& pc, size_t chain) {
    if (chain != 0 || pc.in[0].dtype != DType::f32) return {};
    float lo = std::numeric_limits<float>::lowest(), hi = std::numeric_limits<float>::max();
    for (size_t i = 1; i < 3 && i < pc.in.size(); ++i) {
        if (pc.node->inputs[i] < 0) continue;
        if (!pc.consts[i]) return {};
        (i == 1 ? lo : hi) = pc.consts[i]->data<float>()[0];
    }
    return {[lo, hi](float* y, int64_t n, int64_t, const float*) {
        for (int64_t i = 0; i < n; ++i) y[i] = clip_value(y[i], lo, hi, nullptr);
    }};
}

// Clip: min and max are optional inputs since opset 11 (attributes before); absent = no bound.
inline void register_clip(Registry& r) {
    OpDef& d = r.add(OpDef{
    "Clip",
    [](ImportContext& ic) {
        if (ic.opset >= 11) return;
        Node& n = *ic.node;
        const float lo = static_cast<float>(n.attrs.get_float("min", -std::numeric_limits<float>::max()));
        const float hi = static_cast<float>(n.attrs.get_float("max", std::numeric_limits<float>::max()));
        n.attrs.erase("min");
        n.attrs.erase("max");
        ic.set_constant_input(1, Tensor::scalar<float>(lo));
        ic.set_constant_input(2, Tensor::scalar<float>(hi));
    },
    [](InferContext& c) {
        c.expect_inputs(1, 3);
        for (size_t i = 1; i < 3; ++i)
            if (c.has_input(i) && c.shape(i).numel() != 1) c.fail("Clip bound is not a scalar", "input " + std::to_string(i) + " has shape " + c.shape(i).str());
        c.set_output(0, c.dtype(0), c.shape(0));
    },
    [](const PrepareContext& pc) -> Kernel {
        const SiteConfig sites = pc.sites;
        return [sites](ExecContext& c) {
            const SiteConfig* s = active_sites(sites);
            const Tensor& x = c.input(0);
            dispatch_dtype(x.dtype(), [&](auto tag) {
                using T = decltype(tag);
                using C = compute_t<T>;
                C lo = std::numeric_limits<C>::lowest(), hi = std::numeric_limits<C>::max();
                if (c.has(1)) lo = load(static_cast<const T*>(c.in[1]->raw())[0]);
                if (c.has(2)) hi = load(static_cast<const T*>(c.in[2]->raw())[0]);
                const T* xp = static_cast<const T*>(x.raw());
                T* yp = static_cast<T*>(c.out[0]->raw());
                // The two tests are Clip's comparison sites: x < lo (LT) and x > hi (GT).
                parallel_chunks(x.numel(), 16384, [&](int64_t b, int64_t e) {
                    for (int64_t i = b; i < e; ++i) {
                        C v = load(xp[i]);
                        if constexpr (std::is_floating_point_v<C>) {
                            v = clip_value(v, lo, hi, s);
                        } else {
                            if (v < lo) v = lo;
                            if (v > hi) v = hi;
                        }
                        yp[i] = store_as<T>(v);
                    }
                });
            });
        };
    }});
    d.sites.lt = true;
    d.sites.gt = true;
    d.prepare_span = clip_span;
#if MUTINY_WITH_OPENCL
    d.plan_opencl = plan_clip_opencl;
#endif
}

}  // namespace ew
}  // namespace mutiny

#endif  // MUTINY_OPS_ELEMENTWISE_CLIP_HPP_
