// Col2Im (opset 18): the inverse of im2col. Input [N, C * prod(block_shape), L] holds, per channel
// and kernel offset, one row of L sliding-block values; the output [N, C, image_shape...] sums into
// each pixel every value whose block (with strides, dilations, pads) covers it. Any number of
// spatial dims. Computed as a gather, so each output element belongs to one task: its kernel
// offsets are visited in row-major order (ONNX's reference adds them in that order too), summed in
// double and rounded once.
#ifndef MUTINY_OPS_CONV_COL2IM_HPP_
#define MUTINY_OPS_CONV_COL2IM_HPP_

#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "../shape/copy.hpp"
#include "geometry.hpp"

namespace mutiny {
namespace conv {

struct Col2ImGeom {
    std::vector<int64_t> img, k, s, d, pb, blocks;  // per spatial dim
    int64_t C = 0;
};

inline Col2ImGeom col2im_geometry(const Shape& x, const std::vector<int64_t>& img, const std::vector<int64_t>& block, const Attributes& a,
                                  const std::string& where) {
    auto fail = [&](const std::string& what, const std::string& why) { throw Error(what, where, why); };
    const size_t n = img.size();
    if (n == 0) fail("Col2Im image_shape is empty", "at least one spatial dimension is required");
    if (block.size() != n) fail("Col2Im block_shape does not match image_shape", "block_shape " + ints_str(block) + ", image_shape " + ints_str(img));
    if (x.rank() != 3) fail("Col2Im input has the wrong rank", "input has shape " + x.str() + "; expected [N, C * prod(block_shape), L]");
    auto attr = [&](const char* name, size_t len, int64_t def, int64_t min) {
        const auto v = a.get_ints(name, std::vector<int64_t>(len, def));
        if (v.size() != len) fail(std::string("Col2Im ") + name + " have the wrong length", ints_str(v) + "; " + std::to_string(len) + " values expected");
        for (int64_t e : v)
            if (e < min || e > kMaxExtent)
                fail(std::string("Col2Im ") + name + " out of range", ints_str(v) + "; each must be at least " + std::to_string(min) + " and at most 2^40");
        return v;
    };
    Col2ImGeom g;
    g.img = img;
    g.k = block;
    g.s = attr("strides", n, 1, 1);
    g.d = attr("dilations", n, 1, 1);
    const auto pads = attr("pads", 2 * n, 0, 0);
    int64_t kprod = 1, L = 1;
    for (size_t i = 0; i < n; ++i) {
        if (img[i] < 1 || block[i] < 1) fail("Col2Im shapes must be positive", "image_shape " + ints_str(img) + ", block_shape " + ints_str(block));
        if (img[i] > kMaxExtent || block[i] > kMaxExtent)
            fail("Col2Im shapes out of range", "image_shape " + ints_str(img) + ", block_shape " + ints_str(block) + "; each at most 2^40");
        g.pb.push_back(pads[i]);
        const int64_t span = img[i] + pads[i] + pads[n + i] - (checked::mul(block[i] - 1, g.d[i], "Col2Im dilated block size", where) + 1);
        if (span < 0) fail("Col2Im block larger than the padded image", "spatial dim " + std::to_string(i) + ": image " + std::to_string(img[i]) + ", dilated block " + std::to_string((block[i] - 1) * g.d[i] + 1));
        g.blocks.push_back(span / g.s[i] + 1);
        kprod = checked::mul(kprod, block[i], "Col2Im block size", where);
        L = checked::mul(L, g.blocks.back(), "Col2Im block count", where);
    }
    if (x[1] % kprod != 0)
        fail("Col2Im input channels are not a multiple of the block size", "input " + x.str() + ", block_shape " + ints_str(block) + " (" + std::to_string(kprod) + " offsets)");
    if (x[2] != L)
        fail("Col2Im input has the wrong number of blocks", "input " + x.str() + " has " + std::to_string(x[2]) + ", the geometry gives " + std::to_string(L) + " (" + ints_str(g.blocks) + ")");
    g.C = x[1] / kprod;
    return g;
}

inline void register_col2im(Registry& r) {
    r.add(OpDef{"Col2Im", nullptr,
                [](InferContext& c) {
                    c.expect_inputs(3, 3);
                    c.expect_float(0);
                    const auto img = shape_ops::int_list(c, 1, "Col2Im image_shape");
                    const auto block = shape_ops::int_list(c, 2, "Col2Im block_shape");
                    const Col2ImGeom g = col2im_geometry(c.shape(0), img, block, c.attrs(), c.where());
                    std::vector<int64_t> out{c.shape(0)[0], g.C};
                    out.insert(out.end(), img.begin(), img.end());
                    c.set_output(0, c.dtype(0), Shape(out));
                },
                [](const PrepareContext& pc) -> Kernel {
                    const Col2ImGeom g = col2im_geometry(pc.in[0].shape, pc.consts[1]->to_i64_vector(), pc.consts[2]->to_i64_vector(), pc.attrs(), pc.where());
                    return [g](ExecContext& c) {
                        const Tensor& x = c.input(0);
                        const size_t n = g.img.size();
                        int64_t pix = 1, kprod = 1, L = 1;
                        for (size_t i = 0; i < n; ++i) {
                            pix *= g.img[i];
                            kprod *= g.k[i];
                            L *= g.blocks[i];
                        }
                        dispatch_float(x.dtype(), Graph::where(*c.node), [&](auto tag) {
                            using T = decltype(tag);
                            const T* xp = static_cast<const T*>(x.raw());
                            T* yp = static_cast<T*>(c.out[0]->raw());
                            const int64_t total = c.out[0]->numel();
                            parallel_chunks(total, grain_for(total, kprod * 2 + 1), [&](int64_t b, int64_t e) {
                                std::vector<int64_t> pos(n);
                                for (int64_t o = b; o < e; ++o) {
                                    const int64_t plane = o / pix;  // (image, channel)
                                    int64_t rem = o % pix;
                                    for (size_t i = n; i-- > 0;) {
                                        pos[i] = rem % g.img[i];
                                        rem /= g.img[i];
                                    }
                                    const T* col = xp + plane * kprod * L;  // rows (c, offset) of this image and channel
                                    double acc = 0;
                                    for (int64_t kk = 0; kk < kprod; ++kk) {
                                        // The block (if any) whose offset kk lands on pos, per dim.
                                        int64_t kr = kk, blk = 0, bstride = 1;
                                        bool hit = true;
                                        for (size_t i = n; i-- > 0 && hit;) {
                                            const int64_t ki = kr % g.k[i];
                                            kr /= g.k[i];
                                            const int64_t t = pos[i] + g.pb[i] - ki * g.d[i];
                                            if (t < 0 || t % g.s[i] != 0 || t / g.s[i] >= g.blocks[i]) hit = false;
                                            else blk += (t / g.s[i]) * bstride;
                                            bstride *= g.blocks[i];
                                        }
                                        if (hit) acc += static_cast<double>(load(col[kk * L + blk]));
                                    }
                                    yp[o] = store_as<T>(static_cast<compute_t<T>>(acc));
                                }
                            });
                        });
                    };
                },
                18});
}

}  // namespace conv
}  // namespace mutiny

#endif  // MUTINY_OPS_CONV_COL2IM_HPP_
