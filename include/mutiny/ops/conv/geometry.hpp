// Conv geometry: shapes, strides, dilations, pads and auto_pad normalised to 3 spatial dims, with
// the errors that name what does not fit.
#ifndef MUTINY_OPS_CONV_GEOMETRY_HPP_
#define MUTINY_OPS_CONV_GEOMETRY_HPP_

#include <array>
#include <string>
#include <vector>

#include "../common.hpp"

namespace mutiny {
namespace conv {

// Geometry normalised to 3 spatial dims (1-D and 2-D convs get leading size-1 dims).
struct Geom {
    int64_t N = 0, C = 0, M = 0, G = 1, Cg = 0, Mg = 0;
    int nsp = 0;  // number of real spatial dims
    std::array<int64_t, 3> in{1, 1, 1}, k{1, 1, 1}, out{1, 1, 1}, s{1, 1, 1}, d{1, 1, 1}, pb{0, 0, 0}, pe{0, 0, 0};
    int64_t K() const { return Cg * k[0] * k[1] * k[2]; }
    int64_t P() const { return out[0] * out[1] * out[2]; }
    int64_t Pin() const { return in[0] * in[1] * in[2]; }
};

inline std::string ints_str(const std::vector<int64_t>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
    return s + "]";
}

// Conv geometry from X, W shapes and attributes, with ONNX's output-size formula (incl. auto_pad
// and dilations). `fail(what, why)` must throw.
template <class Fail>
Geom conv_geometry(const Shape& x, const Shape& w, const Attributes& at, Fail fail) {
    Geom g;
    if (x.rank() < 3 || x.rank() > 5)
        fail("Conv input X has an unsupported rank", "X has shape " + x.str() + "; [N, C, D1 (, D2 (, D3))] is required (1-D to 3-D convolution)");
    if (w.rank() != x.rank())
        fail("Conv weights W do not match X", "W has shape " + w.str() + ", X has shape " + x.str() + "; both need the same rank");
    const int nsp = static_cast<int>(x.rank()) - 2;
    g.nsp = nsp;
    g.N = x[0];
    g.C = x[1];
    g.M = w[0];
    g.G = at.get_int("group", 1);
    if (g.G < 1) fail("Conv group is not positive", "group = " + std::to_string(g.G));
    if (w[1] * g.G != g.C)
        fail("Conv channels do not match the weights",
             "X has " + std::to_string(g.C) + " channels but W " + w.str() + " with group " + std::to_string(g.G) + " expects " +
                 std::to_string(w[1]) + " x " + std::to_string(g.G) + " = " + std::to_string(w[1] * g.G));
    if (g.M % g.G != 0)
        fail("Conv group does not divide the output channels", std::to_string(g.M) + " output channels (W " + w.str() + "), group " + std::to_string(g.G));
    g.Cg = w[1];
    g.Mg = g.M / g.G;
    const int off = 3 - nsp;
    std::vector<int64_t> ks(w.dims().begin() + 2, w.dims().end());
    const auto kshape = at.get_ints("kernel_shape", ks);
    if (kshape != ks)
        fail("Conv kernel_shape does not match the weights", "kernel_shape = " + ints_str(kshape) + ", W has shape " + w.str());
    const auto strides = at.get_ints("strides", std::vector<int64_t>(static_cast<size_t>(nsp), 1));
    const auto dil = at.get_ints("dilations", std::vector<int64_t>(static_cast<size_t>(nsp), 1));
    if (strides.size() != static_cast<size_t>(nsp))
        fail("Conv strides have the wrong length", "strides = " + ints_str(strides) + " for " + std::to_string(nsp) + " spatial dims");
    if (dil.size() != static_cast<size_t>(nsp))
        fail("Conv dilations have the wrong length", "dilations = " + ints_str(dil) + " for " + std::to_string(nsp) + " spatial dims");
    std::string ap = at.get_string("auto_pad", "NOTSET");
    if (ap.empty()) ap = "NOTSET";
    if (ap != "NOTSET" && ap != "SAME_UPPER" && ap != "SAME_LOWER" && ap != "VALID")
        fail("Conv auto_pad is unknown", "auto_pad = '" + ap + "'; NOTSET, SAME_UPPER, SAME_LOWER or VALID expected");
    std::vector<int64_t> pads = at.get_ints("pads", std::vector<int64_t>(static_cast<size_t>(2 * nsp), 0));
    if (ap == "NOTSET" && pads.size() != static_cast<size_t>(2 * nsp))
        fail("Conv pads have the wrong length", "pads = " + ints_str(pads) + "; " + std::to_string(2 * nsp) + " values (begins, then ends) expected");
    for (int i = 0; i < nsp; ++i) {
        const int j = off + i;
        g.in[j] = x[2 + i];
        g.k[j] = ks[i];
        g.s[j] = strides[i];
        g.d[j] = dil[i];
        if (g.k[j] < 1) fail("Conv kernel is empty", "W has shape " + w.str());
        if (g.s[j] < 1) fail("Conv stride is not positive", "strides = " + ints_str(strides));
        if (g.d[j] < 1) fail("Conv dilation is not positive", "dilations = " + ints_str(dil));
        // Strides, dilations and pads come from the file: bounded, so that the kernels' index and
        // pointer arithmetic (an output index times a stride times a row length) cannot overflow.
        if (g.s[j] > kMaxExtent) fail("Conv stride out of range", "strides = " + ints_str(strides) + "; at most 2^40 = " + std::to_string(kMaxExtent));
        if (g.d[j] > kMaxExtent) fail("Conv dilation out of range", "dilations = " + ints_str(dil) + "; at most 2^40 = " + std::to_string(kMaxExtent));
        int64_t ek = 0;  // effective (dilated) kernel extent
        if (__builtin_mul_overflow(g.k[j] - 1, g.d[j], &ek) || ek >= kMaxExtent)
            fail("Conv dilated kernel size overflows",
                 "kernel " + std::to_string(g.k[j]) + " with dilation " + std::to_string(g.d[j]) + " spans more than 2^40 = " + std::to_string(kMaxExtent));
        ek += 1;
        if (ap == "NOTSET") {
            g.pb[j] = pads[static_cast<size_t>(i)];
            g.pe[j] = pads[static_cast<size_t>(i + nsp)];
            if (g.pb[j] < 0 || g.pe[j] < 0) fail("Conv pads are negative", "pads = " + ints_str(pads));
            if (g.pb[j] > kMaxExtent || g.pe[j] > kMaxExtent)
                fail("Conv pads out of range", "pads = " + ints_str(pads) + "; at most 2^40 = " + std::to_string(kMaxExtent));
            const int64_t span = g.in[j] + g.pb[j] + g.pe[j] - ek;
            g.out[j] = span < 0 ? 0 : span / g.s[j] + 1;
        } else if (ap == "VALID") {
            g.out[j] = g.in[j] < ek ? 0 : (g.in[j] - ek) / g.s[j] + 1;
        } else {
            g.out[j] = (g.in[j] + g.s[j] - 1) / g.s[j];
            const int64_t total = std::max<int64_t>(0, (g.out[j] - 1) * g.s[j] + ek - g.in[j]);
            g.pb[j] = ap == "SAME_UPPER" ? total / 2 : total - total / 2;
            g.pe[j] = total - g.pb[j];
        }
        // Before any planning iterates over the positions (pads of 2^40 gave ~3e10 planning steps).
        if (g.out[j] > kMaxExtent)
            fail("Conv output size overflows",
                 "spatial dim " + std::to_string(i) + ": input " + std::to_string(g.in[j]) + ", pads " + std::to_string(g.pb[j]) + "+" +
                     std::to_string(g.pe[j]) + ", dilated kernel " + std::to_string(ek) + ", stride " + std::to_string(g.s[j]) + " give " +
                     std::to_string(g.out[j]) + " positions, more than 2^40 = " + std::to_string(kMaxExtent));
        if (g.out[j] <= 0)
            fail("Conv output would be empty",
                 "spatial dim " + std::to_string(i) + ": input " + std::to_string(g.in[j]) + ", dilated kernel " + std::to_string(ek) +
                     ", pads " + std::to_string(g.pb[j]) + "+" + std::to_string(g.pe[j]));
    }
    return g;
}

}  // namespace conv
}  // namespace mutiny

#endif  // MUTINY_OPS_CONV_GEOMETRY_HPP_
