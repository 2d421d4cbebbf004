// Pooling (MaxPool, AveragePool, the global pools): hand-checked values, naive reference loops on
// odd shapes, kernel-level mutation sites, errors; and bitwise determinism across thread counts of
// the pooling, normalisation and copy kernels together.
#include <doctest/doctest.h>

#include "one_node.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

using namespace mutiny;
using namespace one_node;

namespace {

// ---- naive pooling, from the ONNX definition, in double -------------------------------------------
struct PoolSpec {
    int64_t kh, kw, sh = 1, sw = 1, dh = 1, dw = 1, pt = 0, pl = 0, pb = 0, pr = 0;
    bool ceil = false, include_pad = false, max = true;
};

std::vector<float> naive_pool2d(const Tensor& x, const PoolSpec& p, int64_t& oh, int64_t& ow) {
    const int64_t N = x.shape()[0], C = x.shape()[1], H = x.shape()[2], W = x.shape()[3];
    auto out_len = [&](int64_t in, int64_t k, int64_t s, int64_t d, int64_t b, int64_t e) {
        const double v = static_cast<double>(in + b + e - ((k - 1) * d + 1)) / static_cast<double>(s) + 1;
        int64_t o = static_cast<int64_t>(p.ceil ? std::ceil(v) : std::floor(v));
        if (p.ceil && (o - 1) * s >= in + b) --o;
        return o;
    };
    oh = out_len(H, p.kh, p.sh, p.dh, p.pt, p.pb);
    ow = out_len(W, p.kw, p.sw, p.dw, p.pl, p.pr);
    const float* xp = x.data<float>();
    std::vector<float> y;
    for (int64_t n = 0; n < N * C; ++n)
        for (int64_t i = 0; i < oh; ++i)
            for (int64_t j = 0; j < ow; ++j) {
                double best = -INFINITY, sum = 0;
                int64_t count = 0, count_pad = 0;
                for (int64_t a = 0; a < p.kh; ++a)
                    for (int64_t b = 0; b < p.kw; ++b) {
                        const int64_t h = i * p.sh - p.pt + a * p.dh, w = j * p.sw - p.pl + b * p.dw;
                        if (h < H + p.pb && w < W + p.pr) ++count_pad;
                        if (h < 0 || h >= H || w < 0 || w >= W) continue;
                        const double v = xp[(n * H + h) * W + w];
                        best = std::max(best, v);
                        sum += v;
                        ++count;
                    }
                y.push_back(static_cast<float>(p.max ? best : sum / static_cast<double>(p.include_pad ? count_pad : count)));
            }
    return y;
}

Attributes pool_attrs(const PoolSpec& p) {
    Attributes a = attrs({{"kernel_shape", {p.kh, p.kw}},
                          {"strides", {p.sh, p.sw}},
                          {"dilations", {p.dh, p.dw}},
                          {"pads", {p.pt, p.pl, p.pb, p.pr}}});
    a.set_int("ceil_mode", p.ceil);
    if (!p.max) a.set_int("count_include_pad", p.include_pad);
    return a;
}

}  // namespace

TEST_CASE("MaxPool 2D: hand-checked values, f32 / u8 / i8") {
    const Tensor x = iota(Shape{1, 1, 4, 4});
    check_f32(run1({"MaxPool", {x}, attrs({{"kernel_shape", {2, 2}}, {"strides", {2, 2}}})}), Shape{1, 1, 2, 2}, {5, 7, 13, 15});
    // 3x3 window, stride 1, pads 1: the maximum of each clipped neighbourhood.
    check_f32(run1({"MaxPool", {x}, attrs({{"kernel_shape", {3, 3}}, {"pads", {1, 1, 1, 1}}})}), Shape{1, 1, 4, 4},
              {5, 6, 7, 7, 9, 10, 11, 11, 13, 14, 15, 15, 13, 14, 15, 15});
    // Padding never wins a max, even when every input is negative.
    check_f32(run1({"MaxPool", {iota(Shape{1, 1, 1, 3}, -3, -1)}, attrs({{"kernel_shape", {1, 2}}, {"pads", {0, 1, 0, 1}}})}),
              Shape{1, 1, 1, 4}, {-3, -3, -4, -5});
    const Tensor u = Tensor::from_vector<uint8_t>(Shape{1, 1, 2, 3}, {1, 200, 3, 4, 5, 255});
    const Tensor yu = run1({"MaxPool", {u}, attrs({{"kernel_shape", {2, 2}}})});
    CHECK(yu.dtype() == DType::u8);
    CHECK(yu.to_vector<uint8_t>() == std::vector<uint8_t>{200, 255});
    const Tensor s8 = Tensor::from_vector<int8_t>(Shape{1, 1, 1, 4}, {-128, -7, 127, -1});
    CHECK(run1({"MaxPool", {s8}, attrs({{"kernel_shape", {1, 2}}, {"strides", {1, 2}}})}).to_vector<int8_t>() ==
          std::vector<int8_t>{-7, 127});
}

TEST_CASE("MaxPool 1D and 3D, dilations, ceil_mode, auto_pad") {
    const Tensor x = f32(Shape{1, 1, 7}, {3, 1, 4, 1, 5, 9, 2});
    // Dilation 3: windows (0,3) (1,4) (2,5) (3,6).
    check_f32(run1({"MaxPool", {x}, attrs({{"kernel_shape", {2}}, {"dilations", {3}}})}), Shape{1, 1, 4}, {3, 5, 9, 2});
    // ceil_mode keeps the partial last window: (0,1) (2,3) (4,5) (6).
    Attributes a = attrs({{"kernel_shape", {2}}, {"strides", {2}}});
    check_f32(run1({"MaxPool", {x}, a}), Shape{1, 1, 3}, {3, 4, 9});
    a.set_int("ceil_mode", 1);
    check_f32(run1({"MaxPool", {x}, a}), Shape{1, 1, 4}, {3, 4, 9, 2});
    // ceil_mode, but a last window that would start in the right padding is dropped:
    // 2x2 input, kernel 3, stride 3, pads 1 -> (ceil((2 + 2 - 3) / 3) + 1 = 2) - 1 = 1 output.
    Attributes c = attrs({{"kernel_shape", {3, 3}}, {"strides", {3, 3}}, {"pads", {1, 1, 1, 1}}});
    c.set_int("ceil_mode", 1);
    check_f32(run1({"MaxPool", {f32(Shape{1, 1, 2, 2}, {1, 2, 3, 4})}, c}), Shape{1, 1, 1, 1}, {4});
    // SAME_UPPER pads the end, SAME_LOWER the beginning.
    const Tensor v = f32(Shape{1, 1, 5}, {1, 2, 3, 4, 5});
    Attributes su = attrs({{"kernel_shape", {2}}});
    su.set_string("auto_pad", "SAME_UPPER");
    check_f32(run1({"MaxPool", {v}, su}), Shape{1, 1, 5}, {2, 3, 4, 5, 5});
    Attributes sl = attrs({{"kernel_shape", {2}}});
    sl.set_string("auto_pad", "SAME_LOWER");
    check_f32(run1({"MaxPool", {v}, sl}), Shape{1, 1, 5}, {1, 2, 3, 4, 5});
    Attributes va = attrs({{"kernel_shape", {2}}, {"strides", {2}}, {"pads", {1, 1}}});
    va.set_string("auto_pad", "VALID");  // VALID ignores pads
    check_f32(run1({"MaxPool", {v}, va}), Shape{1, 1, 2}, {2, 4});
    // 3D: 2x2x2 blocks of a 2x2x4 volume.
    check_f32(run1({"MaxPool", {iota(Shape{1, 1, 2, 2, 4})}, attrs({{"kernel_shape", {2, 2, 2}}, {"strides", {2, 2, 2}}})}),
              Shape{1, 1, 1, 1, 2}, {13, 15});
}

TEST_CASE("MaxPool and AveragePool match a naive loop on odd shapes (13x12)") {
    const Tensor x = random_tensor(Shape{2, 3, 13, 12}, 7);
    const PoolSpec specs[] = {
        {3, 3, 2, 2, 1, 1, 1, 1, 1, 1, false, false, true},
        {3, 2, 2, 3, 1, 1, 1, 0, 1, 1, true, false, true},
        {2, 3, 1, 2, 2, 1, 1, 1, 0, 2, false, false, true},
        {3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true, false, false},
        {3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true, true, false},
        {4, 3, 3, 2, 1, 2, 2, 1, 0, 2, true, true, false},
        {2, 2, 2, 2, 2, 2, 1, 0, 1, 1, false, false, false},
    };
    for (const auto& p : specs) {
        int64_t oh = 0, ow = 0;
        const auto want = naive_pool2d(x, p, oh, ow);
        check_f32(run1({p.max ? "MaxPool" : "AveragePool", {x}, pool_attrs(p)}), Shape{2, 3, oh, ow}, want, 1e-6);
    }
}

TEST_CASE("AveragePool: count_include_pad, ceil_mode, dilations") {
    const Tensor x = f32(Shape{1, 1, 3}, {1, 2, 3});
    Attributes a = attrs({{"kernel_shape", {3}}, {"pads", {1, 1}}});
    check_f32(run1({"AveragePool", {x}, a}), Shape{1, 1, 3}, {1.5f, 2, 2.5f});
    a.set_int("count_include_pad", 1);
    check_f32(run1({"AveragePool", {x}, a}), Shape{1, 1, 3}, {1, 2, 5.0f / 3});
    // ceil_mode's extra window: taps beyond the explicit padding never count, even with
    // count_include_pad: the last window of [1..5] (kernel 2, stride 2) holds 5 alone.
    Attributes c = attrs({{"kernel_shape", {2}}, {"strides", {2}}});
    c.set_int("ceil_mode", 1);
    c.set_int("count_include_pad", 1);
    check_f32(run1({"AveragePool", {iota(Shape{1, 1, 5}, 1)}, c}), Shape{1, 1, 3}, {1.5f, 3.5f, 5});
    check_f32(run1({"AveragePool", {iota(Shape{1, 1, 7}, 1)}, attrs({{"kernel_shape", {2}}, {"dilations", {2}}})}), Shape{1, 1, 5},
              {2, 3, 4, 5, 6});
    // f16 computes in float and rounds once.
    const Tensor h = Tensor::from_vector<half>(Shape{1, 1, 2}, {half(1.0f), half(2.0f)});
    const Tensor yh = run1({"AveragePool", {h}, attrs({{"kernel_shape", {2}}})});
    CHECK(yh.dtype() == DType::f16);
    CHECK(static_cast<float>(yh.data<half>()[0]) == 1.5f);
}

TEST_CASE("GlobalAveragePool, GlobalMaxPool") {
    const Tensor x = f32(Shape{1, 2, 2, 2}, {1, 2, 3, 4, -5, -6, -7, -8});
    check_f32(run1({"GlobalAveragePool", {x}}), Shape{1, 2, 1, 1}, {2.5f, -6.5f});
    check_f32(run1({"GlobalMaxPool", {x}}), Shape{1, 2, 1, 1}, {4, -5});
    const Tensor big = random_tensor(Shape{2, 3, 13, 12}, 3);
    const Tensor y = run1({"GlobalAveragePool", {big}});
    const float* xp = big.data<float>();
    for (int64_t p = 0; p < 6; ++p) {
        double s = 0;
        for (int64_t i = 0; i < 156; ++i) s += xp[p * 156 + i];
        CHECK(y.data<float>()[p] == static_cast<float>(s / 156));
    }
}
TEST_CASE("Pooling errors") {
    const Tensor x = iota(Shape{1, 1, 4, 4});
    check_error({"MaxPool", {x}, attrs({{"kernel_shape", {2, 2}}}), 3}, "MaxPool has two outputs (Y, Indices)");
    check_error({"AveragePool", {x}, attrs({{"kernel_shape", {2, 2}}}), 2}, "AveragePool has one output");
    Attributes so = attrs({{"kernel_shape", {2, 2}}});
    so.set_int("storage_order", 2);
    check_error({"MaxPool", {x}, so, 2}, "attribute 'storage_order' out of range");
    check_error({"MaxPool", {x}, Attributes{}}, "missing attribute 'kernel_shape'");
    check_error({"MaxPool", {x}, attrs({{"kernel_shape", {2}}})}, "attribute 'kernel_shape' has the wrong length");
    check_error({"MaxPool", {x}, attrs({{"kernel_shape", {2, 2}}, {"pads", {2, 0, 0, 0}}})}, "pooling pad not smaller than the kernel");
    check_error({"MaxPool", {x}, attrs({{"kernel_shape", {5, 5}}})}, "pooling window larger than the padded input");
    check_error({"AveragePool", {x}, attrs({{"kernel_shape", {2, 2}}, {"strides", {0, 1}}})}, "attribute 'strides' out of range");
    check_error({"MaxPool", {iota(Shape{4, 4})}, attrs({{"kernel_shape", {2}}})}, "unsupported pooling input rank");
    Attributes ap = attrs({{"kernel_shape", {2, 2}}});
    ap.set_string("auto_pad", "SAME");
    check_error({"MaxPool", {x}, ap}, "unknown auto_pad 'SAME'");
    check_error({"AveragePool", {Tensor::from_vector<uint8_t>(Shape{1, 1, 2, 2}, {1, 2, 3, 4})}, attrs({{"kernel_shape", {2, 2}}})},
                "unsupported AveragePool dtype");
}

TEST_CASE("Pooling kernel sites: comparator, store, reduction bound") {
    const Tensor x = iota(Shape{1, 1, 4, 4});
    const Op mp{"MaxPool", {x}, attrs({{"kernel_shape", {2, 2}}, {"strides", {2, 2}}})};
    SiteConfig lt;
    lt.cmp = SiteConfig::Cmp::gt_to_lt;  // the max becomes a min
    check_f32(run1(mp, lt), Shape{1, 1, 2, 2}, {0, 2, 8, 10});
    SiteConfig ge;
    ge.cmp = SiteConfig::Cmp::gt_to_ge;  // ties only: equivalent here
    CHECK(run1(mp, ge).bitwise_equal(run1(mp)));
    SiteConfig drop;
    drop.reduction_drop_last = true;  // each window loses its last tap (bottom right)
    check_f32(run1(mp, drop), Shape{1, 1, 2, 2}, {4, 6, 12, 14});
    const Op ap{"AveragePool", {x}, attrs({{"kernel_shape", {2, 2}}, {"strides", {2, 2}}})};
    check_f32(run1(ap, drop), Shape{1, 1, 2, 2}, {5.0f / 4, 11.0f / 4, 29.0f / 4, 35.0f / 4});
    SiteConfig st;
    st.store = SiteConfig::Store::i8;  // results truncate toward zero
    check_f32(run1(ap, st), Shape{1, 1, 2, 2}, {2, 4, 10, 12});
    check_f32(run1({"GlobalMaxPool", {x}}, lt), Shape{1, 1, 1, 1}, {0});
    // A site pooling does not use (an LT comparator) still takes the per-tap path: same bits as
    // the plain path, edges and interior.
    const Tensor r = random_tensor(Shape{2, 3, 13, 12}, 21);
    SiteConfig other;
    other.cmp = SiteConfig::Cmp::lt_to_le;
    for (const char* op : {"MaxPool", "AveragePool"}) {
        Attributes pa = attrs({{"kernel_shape", {3, 3}}, {"strides", {2, 1}}, {"pads", {1, 1, 1, 1}}});
        pa.set_int("ceil_mode", 1);
        CHECK(run1({op, {r}, pa}, other).bitwise_equal(run1({op, {r}, pa})));
    }
    check_f32(run1({"GlobalAveragePool", {x}}, drop), Shape{1, 1, 1, 1}, {105.0f / 16});
}

TEST_CASE("Pooling, normalisation and copies are bitwise identical for 1 and 2 threads") {
    const Tensor x = random_tensor(Shape{2, 16, 61, 59}, 11);
    Attributes lrn;
    lrn.set_int("size", 5);
    const std::vector<Op> ops = {
        {"MaxPool", {x}, attrs({{"kernel_shape", {3, 3}}, {"strides", {2, 2}}, {"pads", {1, 1, 1, 1}}})},
        {"AveragePool", {x}, attrs({{"kernel_shape", {3, 3}}, {"pads", {1, 1, 1, 1}}})},
        {"GlobalAveragePool", {x}},
        {"LRN", {x}, lrn},
        {"Softmax", {x}},
        {"Transpose", {x}, attrs({{"perm", {0, 3, 1, 2}}})},
        {"Pad", {x, i64v({0, 1, 2, 3, 0, 3, 2, 1})}},
    };
    for (const auto& o : ops) {
        INFO(o.op);
        CHECK(run1(o, {}, 1).bitwise_equal(run1(o, {}, 2)));
    }
}
