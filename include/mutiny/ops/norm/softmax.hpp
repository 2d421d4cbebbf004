// Softmax and LogSoftmax follow opset 13: along `axis` (default -1). Older opsets coerce the
// input to 2D at `axis` (default 1) and normalise over the flattened trailing block; import()
// records that as `legacy_coerce = 1` with the axis made explicit. Both subtract the maximum
// first; exponentials are summed in double, in index order, so results do not depend on threads.
// f32 results pass through site_store; reduction_drop_last drops the last term of the sum.
#ifndef MUTINY_OPS_NORM_SOFTMAX_HPP_
#define MUTINY_OPS_NORM_SOFTMAX_HPP_

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#if MUTINY_WITH_OPENCL
#include "../../exec/opencl/planner.hpp"
#endif

namespace mutiny {
namespace norm {

inline void softmax_import(ImportContext& ic) {
    if (ic.opset >= 13) return;
    Node& n = *ic.node;
    n.attrs.set_int("axis", n.attrs.get_int("axis", 1));
    n.attrs.set_int("legacy_coerce", 1);
}

// outer x len x inner view of the input for the node's axis semantics.
struct SoftmaxView {
    int64_t outer = 1, len = 1, inner = 1;
};
inline SoftmaxView softmax_view(const Attributes& a, const Shape& x, const std::string& where) {
    const int64_t r = static_cast<int64_t>(x.rank());
    if (r == 0) throw Error("softmax of a scalar", where, "the input needs at least one dimension");
    const bool legacy = a.get_int("legacy_coerce", 0) != 0;
    const int64_t axis = normalize_axis(a.get_int("axis", legacy ? 1 : -1), r, where);
    const size_t ax = static_cast<size_t>(axis);
    SoftmaxView v;
    v.outer = x.product(0, ax);
    if (legacy) {
        v.len = x.product(ax, x.rank());
    } else {
        v.len = x[ax];
        v.inner = x.product(ax + 1, x.rank());
    }
    return v;
}

template <class T, bool Log, bool Sites>
void run_softmax(const SoftmaxView& v, const SiteConfig* sites, const T* x, T* y) {
    using C = compute_t<T>;
    const int64_t lines = v.outer * v.inner;
    const int64_t len = v.len, inner = v.inner;
    parallel_chunks(lines, grain_for(lines, len * 8 + 1), [&](int64_t b, int64_t e) {
        for (int64_t l = b; l < e; ++l) {
            const int64_t o = l / inner, i = l % inner;
            const T* xp = x + o * len * inner + i;
            T* yp = y + o * len * inner + i;
            C mx = -std::numeric_limits<C>::infinity();
            for (int64_t k = 0; k < len; ++k) {
                const C val = load(xp[k * inner]);
                if (val > mx || val != val) mx = val;
                if (mx != mx) break;
            }
            int64_t n = len;
            if constexpr (Sites) {
                if (sites->reduction_drop_last && n > 0) --n;
            }
            double sum = 0;
            for (int64_t k = 0; k < n; ++k) sum += static_cast<double>(std::exp(load(xp[k * inner]) - mx));
            if constexpr (Log) {
                const C ls = static_cast<C>(std::log(sum));
                for (int64_t k = 0; k < len; ++k) {
                    C r = (load(xp[k * inner]) - mx) - ls;
                    if constexpr (Sites && std::is_same_v<T, float>) r = site_store(sites, r);
                    yp[k * inner] = store_as<T>(r);
                }
            } else {
                const C s = static_cast<C>(sum);
                for (int64_t k = 0; k < len; ++k) {
                    C r = std::exp(load(xp[k * inner]) - mx) / s;
                    if constexpr (Sites && std::is_same_v<T, float>) r = site_store(sites, r);
                    yp[k * inner] = store_as<T>(r);
                }
            }
        }
    });
}

template <bool Log>
void softmax_infer(InferContext& c) {
    c.expect_inputs(1, 1);
    c.expect_float(0);
    softmax_view(c.attrs(), c.shape(0), c.where());
    c.set_output(0, c.dtype(0), c.shape(0));
}

template <bool Log>
Kernel softmax_prepare(const PrepareContext& pc) {
    const SoftmaxView view = softmax_view(pc.attrs(), pc.in[0].shape, pc.where());
    const SiteConfig sites = pc.sites;
    const bool plain = sites.is_default();
    return [view, sites, plain](ExecContext& c) {
        const Tensor& x = c.input(0);
        auto go = [&](auto tag) {
            using T = decltype(tag);
            const T* xp = static_cast<const T*>(x.raw());
            T* yp = static_cast<T*>(c.out[0]->raw());
            if (plain) run_softmax<T, Log, false>(view, nullptr, xp, yp);
            else run_softmax<T, Log, true>(view, &sites, xp, yp);
        };
        switch (x.dtype()) {
            case DType::f32: go(float{}); break;
            case DType::f16: go(half{}); break;
            case DType::f64: go(double{}); break;
            default: throw Error("unsupported softmax dtype", Graph::where(*c.node), dtype_name(x.dtype()));
        }
    };
}

#if MUTINY_WITH_OPENCL
// kernels/norm.cl: softmax / logsoftmax, one work-item per line.
inline bool plan_softmax_opencl(opencl::NodePlanner& p) {
    if (!p.float_kernel()) return false;
    const DType t = p.out_type().dtype;
    const SoftmaxView v = softmax_view(p.attrs(), p.in_type(0).shape, p.where());
    const int lines = static_cast<int>(v.outer * v.inner);
    cl_kernel k = p.kernel("norm", p.node().op == "Softmax" ? "softmax" : "logsoftmax", t);
    p.arg(k, 0, p.in(0));
    p.arg(k, 1, p.out());
    p.arg(k, 2, static_cast<int>(v.len));
    p.arg(k, 3, static_cast<int>(v.inner));
    p.arg(k, 4, lines);
    p.run(p.launch(k, static_cast<size_t>(lines)));
    return true;
}
#endif

inline void register_softmax(Registry& r) {
    OpDef& sm = r.add(OpDef{"Softmax", softmax_import, softmax_infer<false>, softmax_prepare<false>, 1});
    OpDef& lsm = r.add(OpDef{"LogSoftmax", softmax_import, softmax_infer<true>, softmax_prepare<true>, 1});
    for (OpDef* d : {&sm, &lsm}) {
        d->sites.store = true;
        d->sites.reduction = true;
#if MUTINY_WITH_OPENCL
        d->plan_opencl = plan_softmax_opencl;
#endif
    }
}

}  // namespace norm
}  // namespace mutiny

#endif  // MUTINY_OPS_NORM_SOFTMAX_HPP_
