// Pad: constant, reflect, edge and wrap modes, pads (and axes) as constant inputs.
#ifndef MUTINY_OPS_SHAPE_PAD_HPP_
#define MUTINY_OPS_SHAPE_PAD_HPP_

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

// ---- Pad ----------------------------------------------------------------------------------------
// Modes constant, reflect (numpy's: the edge is not repeated; large pads reflect again), edge and
// wrap. Negative pads first crop the input; the positive ones then pad what is left.

enum class PadMode { constant, reflect, edge, wrap };

inline PadMode pad_mode(const Attributes& a, const std::string& where) {
    const std::string m = a.get_string("mode", "constant");
    if (m == "constant") return PadMode::constant;
    if (m == "reflect") return PadMode::reflect;
    if (m == "edge") return PadMode::edge;
    if (m == "wrap") return PadMode::wrap;
    throw Error("unknown Pad mode '" + m + "'", where, "expected constant, reflect, edge or wrap");
}

// Begin and end pads for every axis from the pads (and optional axes) values.
inline std::vector<int64_t> full_pads(const Shape& x, const std::vector<int64_t>& pads, const std::vector<int64_t>* axes,
                                      const std::string& where) {
    const size_t r = x.rank();
    std::vector<int64_t> ax;
    if (axes) {
        ax = *axes;
    } else {
        for (size_t i = 0; i < r; ++i) ax.push_back(static_cast<int64_t>(i));
    }
    if (pads.size() != 2 * ax.size())
        throw Error("Pad pads have the wrong length", where,
                    list_str(pads) + " for " + std::to_string(ax.size()) + " axes of input " + x.str() + " (2 values per axis)");
    std::vector<int64_t> full(2 * r, 0);
    std::vector<char> seen(r, 0);
    for (size_t i = 0; i < ax.size(); ++i) {
        const size_t a = static_cast<size_t>(normalize_axis(ax[i], static_cast<int64_t>(r), where));
        if (seen[a]) throw Error("Pad axes repeat an axis", where, "axes " + list_str(ax));
        seen[a] = 1;
        full[a] = pads[i];
        full[r + a] = pads[ax.size() + i];
    }
    return full;
}

inline Shape pad_output(const Shape& x, const std::vector<int64_t>& full, PadMode mode, const std::string& where) {
    const size_t r = x.rank();
    std::vector<int64_t> out(r);
    for (size_t i = 0; i < r; ++i) {
        // Pads come from the file: INT64_MAX would wrap the size, INT64_MIN the crop (-pad).
        for (const int64_t p : {full[i], full[r + i]})
            if (p < -kMaxExtent || p > kMaxExtent)
                throw Error("Pad pads out of range", where,
                            "axis " + std::to_string(i) + " of size " + std::to_string(x[i]) + " with pads " + std::to_string(full[i]) +
                                "," + std::to_string(full[r + i]) + "; a pad may be at most 2^40 = " + std::to_string(kMaxExtent) +
                                " either way");
        out[i] = x[i] + full[i] + full[r + i];
        if (out[i] < 0)
            throw Error("Pad crops more than the input holds", where,
                        "axis " + std::to_string(i) + " of size " + std::to_string(x[i]) + " with pads " +
                            std::to_string(full[i]) + "," + std::to_string(full[r + i]));
        const int64_t kept = x[i] - std::max<int64_t>(0, -full[i]) - std::max<int64_t>(0, -full[r + i]);
        if (mode != PadMode::constant && out[i] > 0 && kept <= 0)
            throw Error("Pad of an empty axis", where, "axis " + std::to_string(i) + " has nothing to reflect, repeat or wrap");
    }
    return Shape(std::move(out));
}

// Source index along one axis for every output index, -1 for the constant.
inline std::vector<int64_t> pad_map(int64_t in, int64_t pb, int64_t pe, int64_t out, PadMode mode) {
    const int64_t lo = std::max<int64_t>(0, -pb), hi = in - std::max<int64_t>(0, -pe);
    const int64_t n = hi - lo;
    std::vector<int64_t> m(static_cast<size_t>(out));
    for (int64_t i = 0; i < out; ++i) {
        const int64_t e = i - std::max<int64_t>(0, pb);  // index into the kept part [lo, hi)
        int64_t k;
        if (e >= 0 && e < n) {
            k = e;
        } else if (mode == PadMode::constant) {
            m[static_cast<size_t>(i)] = -1;
            continue;
        } else if (mode == PadMode::edge) {
            k = e < 0 ? 0 : n - 1;
        } else if (mode == PadMode::wrap) {
            k = ((e % n) + n) % n;
        } else if (n == 1) {
            k = 0;
        } else {
            const int64_t period = 2 * (n - 1);
            k = ((e % period) + period) % period;
            if (k >= n) k = period - k;
        }
        m[static_cast<size_t>(i)] = lo + k;
    }
    return m;
}

// Fills y from x with the begin/end pads `full` (negative: crop), the constant being the bytes
// `cv` of one element of x's dtype. Rows of y are chunked; each element written once.
inline void pad_copy(const Tensor& x, Tensor& y, const std::vector<int64_t>& full, PadMode mode, uint64_t cv) {
    const Shape& xs = x.shape();
    const Shape& ys = y.shape();
    const size_t r = xs.rank();
    const size_t es = dtype_size(x.dtype());
    if (y.numel() == 0) return;
    if (r == 0) {
        copy_tensor(x, y);
        return;
    }
    std::vector<std::vector<int64_t>> maps(r);
    for (size_t i = 0; i < r; ++i) maps[i] = pad_map(xs[i], full[i], full[r + i], ys[i], mode);
    const auto st = xs.strides();
    const int64_t inner = ys[r - 1];
    const int64_t rows = y.numel() / inner;
    // The last axis as runs: copies of consecutive source elements, or fills.
    struct Run {
        int64_t out, len, src;  // src < 0: the constant
    };
    std::vector<Run> runs;
    for (int64_t i = 0; i < inner; ++i) {
        const int64_t k = maps[r - 1][static_cast<size_t>(i)];
        if (!runs.empty() && ((k < 0 && runs.back().src < 0) || (k >= 0 && runs.back().src >= 0 && runs.back().src + runs.back().len == k)))
            ++runs.back().len;
        else
            runs.push_back(Run{i, 1, k});
    }
    dispatch_size(es, [&](auto tag) {
        using U = decltype(tag);
        U fill;
        std::memcpy(&fill, &cv, sizeof(U));
        const U* xp = static_cast<const U*>(x.raw());
        U* yp = static_cast<U*>(y.raw());
        parallel_chunks(rows, grain_for(rows, inner + 8), [&](int64_t b, int64_t e) {
            for (int64_t row = b; row < e; ++row) {
                U* o = yp + row * inner;
                int64_t rem = row, off = 0;
                bool constant = false;
                for (size_t d = r - 1; d-- > 0;) {
                    const int64_t k = maps[d][static_cast<size_t>(rem % ys[d])];
                    rem /= ys[d];
                    if (k < 0) constant = true;
                    off += k * st[d];
                }
                if (constant) {
                    std::fill(o, o + inner, fill);
                    continue;
                }
                const U* s = xp + off;
                for (const Run& run : runs) {
                    if (run.src < 0) std::fill(o + run.out, o + run.out + run.len, fill);
                    else if (run.len == 1) o[run.out] = s[run.src];
                    else std::memcpy(o + run.out, s + run.src, static_cast<size_t>(run.len) * sizeof(U));
                }
            }
        });
    });
}

// The constant value v as the bytes of one element of dtype xt (converted as the CPU stores it).
inline uint64_t pad_constant_bits(const Tensor& v, DType xt) {
    uint64_t cv = 0;
    if (v.dtype() == xt) {
        std::memcpy(&cv, v.raw(), dtype_size(xt));
        return cv;
    }
    const double d = v.get_f64(0);
    dispatch_dtype(xt, [&](auto tag) {
        using T = decltype(tag);
        T t;
        if constexpr (std::is_same_v<T, half> || std::is_floating_point_v<T>) t = store_as<T>(d);
        else t = xt == DType::boolean ? T(d != 0) : int_from_double<T>(d);
        std::memcpy(&cv, &t, sizeof(T));
    });
    return cv;
}

#if MUTINY_WITH_OPENCL
// kernels/copy.cl: pad_u<bits> by element size, any dtype; pads, axes and the constant must be
// known when the plan is made.
inline bool plan_pad_opencl(opencl::NodePlanner& p) {
    const Tensor* pads = p.constant(1);
    const Tensor* value = p.has_input(2) ? p.constant(2) : nullptr;
    const Tensor* axes_t = p.has_input(3) ? p.constant(3) : nullptr;
    if (!pads || (p.has_input(2) && !value) || (p.has_input(3) && !axes_t))
        return p.decline("pads, constant or axes computed at run time");
    const Shape& xs = p.in_type(0).shape;
    const Shape& ys = p.out_type().shape;
    const DType xt = p.in_type(0).dtype;
    const PadMode mode = pad_mode(p.attrs(), p.where());
    static_assert(static_cast<int>(PadMode::constant) == 0 && static_cast<int>(PadMode::reflect) == 1 &&
                      static_cast<int>(PadMode::edge) == 2 && static_cast<int>(PadMode::wrap) == 3,
                  "kernels/copy.cl numbers the Pad modes so");
    std::vector<int64_t> axes;
    if (axes_t) axes = tensor_ints(*axes_t);
    const auto full = full_pads(xs, tensor_ints(*pads), axes_t ? &axes : nullptr, p.where());
    const size_t r = xs.rank();
    const auto st = xs.strides();
    std::vector<int> meta{static_cast<int>(r), static_cast<int>(mode)};
    std::vector<int> shift, lo, kept, strides;
    for (size_t d = 0; d < r; ++d) {
        meta.push_back(static_cast<int>(ys[d]));
        shift.push_back(static_cast<int>(std::max<int64_t>(0, full[d])));
        lo.push_back(static_cast<int>(std::max<int64_t>(0, -full[d])));
        kept.push_back(static_cast<int>(xs[d] - std::max<int64_t>(0, -full[d]) - std::max<int64_t>(0, -full[r + d])));
        strides.push_back(static_cast<int>(st[d]));
    }
    for (const auto* part : {&shift, &lo, &kept, &strides}) meta.insert(meta.end(), part->begin(), part->end());
    const uint64_t cv = value ? pad_constant_bits(*value, xt) : 0;
    const size_t es = dtype_size(xt);
    const int n = static_cast<int>(ys.numel());
    cl_kernel k = p.kernel("copy", opencl::NodePlanner::sized("pad", es), DType::f32);
    p.arg(k, 0, p.in(0));
    p.arg(k, 1, p.out());
    p.arg(k, 2, p.meta(meta));
    p.arg_bits(k, 3, cv, es);
    p.arg(k, 4, n);
    p.run(p.launch(k, static_cast<size_t>(n)));
    return true;
}
#endif

inline void register_pad(Registry& r) { r.add(OpDef{
    "Pad",
    [](ImportContext& ic) {
        if (ic.opset >= 11) return;
        Node& n = *ic.node;
        if (n.attrs.has("paddings")) {  // opset 1
            n.attrs.set_ints("pads", n.attrs.get_ints("paddings"));
            n.attrs.erase("paddings");
        }
        ints_to_input(ic, "pads", 1);
        const float v = static_cast<float>(n.attrs.get_float("value", 0.0));
        n.attrs.erase("value");
        ic.set_constant_input(2, Tensor::scalar<float>(v));
    },
    [](InferContext& c) {
        c.expect_inputs(2, 4);
        const PadMode mode = pad_mode(c.attrs(), c.where());
        const auto pads = int_list(c, 1, "Pad pads");
        std::vector<int64_t> axes;
        if (c.has_input(3)) axes = int_list(c, 3, "Pad axes");
        if (c.has_input(2) && c.shape(2).numel() != 1)
            c.fail("Pad constant_value is not a scalar", "shape " + c.shape(2).str());
        if (c.has_input(2) && c.dtype(2) != c.dtype(0) && !(dtype_is_float(c.dtype(2)) || is_int_dtype(c.dtype(2))))
            c.fail("Pad constant_value has an unusable dtype", dtype_name(c.dtype(2)));
        const auto full = full_pads(c.shape(0), pads, c.has_input(3) ? &axes : nullptr, c.where());
        c.set_output(0, c.dtype(0), pad_output(c.shape(0), full, mode, c.where()));
    },
    [](const PrepareContext& pc) -> Kernel {
        const PadMode mode = pad_mode(pc.attrs(), pc.where());
        const std::string where = pc.where();
        return [mode, where](ExecContext& c) {
            const Tensor& x = c.input(0);
            Tensor& y = *c.out[0];
            const Shape& xs = x.shape();
            std::vector<int64_t> axes;
            if (c.has(3)) axes = tensor_ints(c.input(3));
            const auto full = full_pads(xs, tensor_ints(c.input(1)), c.has(3) ? &axes : nullptr, where);
            pad_copy(x, y, full, mode, c.has(2) ? pad_constant_bits(c.input(2), x.dtype()) : 0);
        };
    },
    1}); }

inline void register_pad_ops(Registry& r) {
    register_pad(r);
#if MUTINY_WITH_OPENCL
    r.find("Pad")->plan_opencl = plan_pad_opencl;
#endif
}

}  // namespace shape_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_SHAPE_PAD_HPP_
