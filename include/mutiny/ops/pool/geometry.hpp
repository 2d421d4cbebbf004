// Pooling geometry, shared by MaxPool and AveragePool (1D, 2D, 3D; strides, pads, dilations, ceil_mode, auto_pad),
// and the window taps of every output position.
//
// One kernel serves 1D, 2D and 3D: spatial dimensions are padded to three with leading size-1
// dimensions. Each output element is computed by exactly one chunk, its taps visited in a fixed
// order (depth, height, width), so results do not depend on the thread count. Averages are summed
// in double and rounded once.
//
// Semantics follow the ONNX operator docs (opset 22): with explicit pads the output size is
// floor((in + pad_begin + pad_end - ((k - 1) * d + 1)) / s + 1), or ceil(...) under ceil_mode,
// where the last window must start inside the input or the left padding (else it is dropped);
// SAME_UPPER / SAME_LOWER give ceil(in / s) with the odd padding at the end / the beginning;
// VALID gives floor((in - ((k - 1) * d + 1)) / s) + 1. Taps in the padding never enter a max;
// AveragePool divides by the taps inside the input (count_include_pad=0) or by the taps inside
// the input and its explicit padding (count_include_pad=1; taps beyond the padding that ceil_mode
// adds are never counted).
//
// Kernel-level sites: the max comparison is a GT site (site_gt), f32 results pass through
// site_store, and reduction_drop_last drops the last tap of every window (the last term of every
// sum or max). Without active sites the plain fast path runs.
#ifndef MUTINY_OPS_POOL_GEOMETRY_HPP_
#define MUTINY_OPS_POOL_GEOMETRY_HPP_

#include <algorithm>
#include <string>
#include <vector>

#include "../common.hpp"

namespace mutiny {
namespace pool {

// Geometry of one pooling node, spatial dimensions padded to 3 (leading size-1 dimensions).
struct Geometry {
    int64_t n = 0, c = 0;
    int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1}, d[3] = {1, 1, 1};
    int64_t pb[3] = {0, 0, 0}, pe[3] = {0, 0, 0};
    int64_t in_plane() const { return in[0] * in[1] * in[2]; }
    int64_t out_plane() const { return out[0] * out[1] * out[2]; }
};

inline std::vector<int64_t> ints_attr(const Attributes& a, const char* name, size_t n, int64_t def, int64_t min_value,
                                      const std::string& where) {
    if (!a.has(name)) return std::vector<int64_t>(n, def);
    std::vector<int64_t> v = a.get_ints(name);
    if (v.size() != n)
        throw Error(std::string("attribute '") + name + "' has the wrong length", where,
                    std::to_string(v.size()) + " values, " + std::to_string(n) + " expected");
    // Bounded above too: the window and output arithmetic (and the kernels' index arithmetic)
    // multiplies these by sizes and indices.
    for (auto x : v) checked::extent(x, std::string("attribute '") + name + "'", where, min_value);
    return v;
}

// Output shape and effective padding of MaxPool / AveragePool for input shape x.
inline Geometry geometry(const Attributes& a, const Shape& x, const std::string& where) {
    if (x.rank() < 3 || x.rank() > 5)
        throw Error("unsupported pooling input rank", where,
                    "input has shape " + x.str() + "; pooling takes [N, C, D1 (, D2 (, D3))]");
    const size_t nsp = x.rank() - 2;
    if (!a.has("kernel_shape")) throw Error("missing attribute 'kernel_shape'", where, "pooling needs a kernel shape");
    const auto k = ints_attr(a, "kernel_shape", nsp, 1, 1, where);
    const auto s = ints_attr(a, "strides", nsp, 1, 1, where);
    const auto d = ints_attr(a, "dilations", nsp, 1, 1, where);
    const auto p = ints_attr(a, "pads", 2 * nsp, 0, 0, where);
    const std::string auto_pad = a.get_string("auto_pad", "NOTSET");
    const bool ceil_mode = a.get_int("ceil_mode", 0) != 0;
    if (auto_pad != "NOTSET" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER" && auto_pad != "VALID")
        throw Error("unknown auto_pad '" + auto_pad + "'", where, "expected NOTSET, SAME_UPPER, SAME_LOWER or VALID");
    Geometry g;
    g.n = x[0];
    g.c = x[1];
    const size_t off = 3 - nsp;
    for (size_t i = 0; i < nsp; ++i) {
        const size_t j = off + i;
        const int64_t in = x[2 + i];
        const int64_t eff = checked::add(checked::mul(k[i] - 1, d[i], "pooling window size", where), 1, "pooling window size", where);
        g.in[j] = in;
        g.k[j] = k[i];
        g.s[j] = s[i];
        g.d[j] = d[i];
        if (auto_pad == "NOTSET") {
            g.pb[j] = p[i];
            g.pe[j] = p[nsp + i];
            if (g.pb[j] >= eff || g.pe[j] >= eff)
                throw Error("pooling pad not smaller than the kernel", where,
                            "pads " + std::to_string(g.pb[j]) + "," + std::to_string(g.pe[j]) + " for a window of " +
                                std::to_string(eff) + " along spatial axis " + std::to_string(i));
            const int64_t span = in + g.pb[j] + g.pe[j] - eff;
            if (span < 0)
                throw Error("pooling window larger than the padded input", where,
                            "window " + std::to_string(eff) + " over " + std::to_string(in + g.pb[j] + g.pe[j]) +
                                " along spatial axis " + std::to_string(i));
            int64_t o = ceil_mode ? (span + s[i] - 1) / s[i] + 1 : span / s[i] + 1;
            // The last window must start inside the input or its left padding.
            if (ceil_mode && (o - 1) * s[i] >= in + g.pb[j]) --o;
            g.out[j] = o;
        } else if (auto_pad == "VALID") {
            if (in < eff)
                throw Error("pooling window larger than the input", where,
                            "window " + std::to_string(eff) + " over " + std::to_string(in) + " with auto_pad VALID");
            g.out[j] = (in - eff) / s[i] + 1;
        } else {
            g.out[j] = (in + s[i] - 1) / s[i];
            const int64_t total = std::max<int64_t>(0, (g.out[j] - 1) * s[i] + eff - in);
            if (auto_pad == "SAME_UPPER") {
                g.pb[j] = total / 2;
                g.pe[j] = total - g.pb[j];
            } else {
                g.pe[j] = total / 2;
                g.pb[j] = total - g.pe[j];
            }
        }
    }
    return g;
}

inline Shape output_shape(const Geometry& g, size_t rank) {
    std::vector<int64_t> dims{g.n, g.c};
    for (size_t j = 3 - (rank - 2); j < 3; ++j) dims.push_back(g.out[j]);
    return Shape(std::move(dims));
}

// Per spatial axis and output index: the first and one-past-last tap inside the input, the taps
// inside the input or its explicit padding, and the first input coordinate.
struct Taps {
    std::vector<int64_t> lo, hi, incl, start;
};
inline Taps taps_of(const Geometry& g, int j) {
    Taps t;
    const int64_t n = g.out[j], k = g.k[j], s = g.s[j], d = g.d[j], in = g.in[j];
    t.lo.resize(static_cast<size_t>(n));
    t.hi.resize(static_cast<size_t>(n));
    t.incl.resize(static_cast<size_t>(n));
    t.start.resize(static_cast<size_t>(n));
    for (int64_t o = 0; o < n; ++o) {
        const int64_t st = o * s - g.pb[j];
        const int64_t lo = st < 0 ? std::min(k, (-st + d - 1) / d) : 0;
        const int64_t hi = in - 1 - st >= 0 ? std::min(k, (in - 1 - st) / d + 1) : 0;
        const int64_t lim = in + g.pe[j] - 1 - st;
        const int64_t incl = lim >= 0 ? std::min(k, lim / d + 1) : 0;
        const size_t u = static_cast<size_t>(o);
        t.start[u] = st;
        t.lo[u] = lo;
        t.hi[u] = std::max(lo, hi);
        t.incl[u] = incl;
    }
    return t;
}

enum class Kind { max, avg };

}  // namespace pool
}  // namespace mutiny

#endif  // MUTINY_OPS_POOL_GEOMETRY_HPP_
