// Pooling, normalisation and shape/data-movement ops: hand-checked values, naive reference loops
// on odd shapes, legacy-opset imports, every dtype through the copy ops, bitwise determinism
// across thread counts, kernel-level mutation sites, and a clear Error for each bad input.
#include <doctest/doctest.h>

#include <mutiny/exec/cpu/executor.hpp>
#include <mutiny/ops/infer.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace mutiny;

namespace {

// One node with its inputs (an empty tensor is an absent optional input). Inputs flagged in
// `runtime` are graph inputs fed at run time; the others are constants. opset > 0 runs the op's
// import() for that opset first, as the ONNX importer does.
struct Op {
    std::string op;
    std::vector<Tensor> inputs;
    Attributes attrs;
    size_t outputs = 1;
    int64_t opset = 0;
    std::vector<bool> runtime;
    Op(std::string name, std::vector<Tensor> in = {}, Attributes a = {}, size_t nout = 1, int64_t from_opset = 0)
        : op(std::move(name)), inputs(std::move(in)), attrs(std::move(a)), outputs(nout), opset(from_opset) {}
};

Graph make_graph(const Op& o) {
    Graph g;
    Node n;
    n.op = o.op;
    n.name = "n0";
    n.attrs = o.attrs;
    for (size_t i = 0; i < o.inputs.size(); ++i) {
        const Tensor& t = o.inputs[i];
        const std::string name = "in" + std::to_string(i);
        if (t.empty()) n.inputs.push_back(-1);
        else if (i < o.runtime.size() && o.runtime[i]) n.inputs.push_back(g.add_input(name, t.dtype(), t.shape()));
        else n.inputs.push_back(g.add_constant(name, t));
    }
    for (size_t k = 0; k < o.outputs; ++k) n.outputs.push_back(g.add_value("out" + std::to_string(k)));
    g.nodes.push_back(n);
    if (o.opset > 0) {
        const OpDef& def = Registry::instance().get(o.op, "test");
        if (def.import) {
            ImportContext ic;
            ic.graph = &g;
            ic.node = &g.nodes.back();
            ic.opset = o.opset;
            def.import(ic);
        }
    }
    g.outputs = g.nodes.back().outputs;
    return g;
}

// Runs the node on the CPU executor (optionally with kernel sites and a thread count).
std::vector<Tensor> run(const Op& o, const SiteConfig& sites = {}, int threads = 0) {
    CpuOptions opt;
    opt.sites = sites;
    opt.threads = threads;
    CpuExecutor ex(make_graph(o), opt);
    std::vector<Tensor> feeds;
    for (size_t i = 0; i < o.inputs.size(); ++i)
        if (i < o.runtime.size() && o.runtime[i] && !o.inputs[i].empty()) feeds.push_back(o.inputs[i]);
    return ex.run(feeds);
}
Tensor run1(const Op& o, const SiteConfig& sites = {}, int threads = 0) { return run(o, sites, threads)[0]; }

// The same node evaluated by infer_types' constant folding (all inputs constant).
Tensor fold1(const Op& o) {
    Graph g = make_graph(o);
    std::vector<Tensor> folded;
    infer_types(g, 1, &folded);
    return folded[static_cast<size_t>(g.nodes[0].outputs[0])];
}

Tensor f32(Shape s, std::vector<float> v) { return Tensor::from_vector<float>(std::move(s), v); }
Tensor i64(Shape s, std::vector<int64_t> v) { return Tensor::from_vector<int64_t>(std::move(s), v); }
Tensor i64v(std::vector<int64_t> v) {
    const int64_t n = static_cast<int64_t>(v.size());
    return Tensor::from_vector<int64_t>(Shape{n}, v);
}
Tensor iota(Shape s, float start = 0, float step = 1) {
    std::vector<float> v(static_cast<size_t>(s.numel()));
    for (size_t i = 0; i < v.size(); ++i) v[i] = start + step * static_cast<float>(i);
    return f32(std::move(s), v);
}
Tensor random_tensor(Shape s, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(static_cast<size_t>(s.numel()));
    for (auto& x : v) x = d(rng);
    return f32(std::move(s), v);
}

Attributes attrs(std::initializer_list<std::pair<const char*, std::vector<int64_t>>> ints) {
    Attributes a;
    for (auto& kv : ints) a.set_ints(kv.first, kv.second);
    return a;
}

void check_f32(const Tensor& t, const Shape& shape, const std::vector<float>& want, double tol = 1e-6) {
    REQUIRE(t.dtype() == DType::f32);
    REQUIRE(t.shape() == shape);
    const auto got = t.to_vector<float>();
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < want.size(); ++i) {
        INFO("element " << i);
        CHECK(std::fabs(static_cast<double>(got[i]) - static_cast<double>(want[i])) <= tol * (1.0 + std::fabs(static_cast<double>(want[i]))));
    }
}

void check_error(const Op& o, const char* text) {
    CHECK_THROWS_WITH_AS(run(o), doctest::Contains(text), Error);
}

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

// =====================================================================================================
// Pooling
// =====================================================================================================

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

TEST_CASE("LRN: the ONNX formula") {
    // size 3, alpha/size = 1, beta 1, bias 1: y_c = x_c / (1 + sum of squares of the neighbours).
    Attributes a;
    a.set_int("size", 3);
    a.set_float("alpha", 3.0);
    a.set_float("beta", 1.0);
    a.set_float("bias", 1.0);
    check_f32(run1({"LRN", {f32(Shape{1, 3, 1, 1}, {1, 2, 3})}, a}), Shape{1, 3, 1, 1}, {1.0f / 6, 2.0f / 15, 3.0f / 14});
    // Even size: the window reaches one channel further up than down (floor / ceil of (size-1)/2).
    a.set_int("size", 2);
    a.set_float("alpha", 2.0);
    check_f32(run1({"LRN", {f32(Shape{1, 3, 1, 1}, {1, 2, 3})}, a}), Shape{1, 3, 1, 1}, {1.0f / 6, 2.0f / 14, 3.0f / 10});
    Attributes bad;
    check_error({"LRN", {f32(Shape{1, 3, 1, 1}, {1, 2, 3})}, bad}, "missing attribute 'size'");
}

TEST_CASE("Pooling errors") {
    const Tensor x = iota(Shape{1, 1, 4, 4});
    Op idx{"MaxPool", {x}, attrs({{"kernel_shape", {2, 2}}}), 2};
    check_error(idx, "MaxPool indices output not supported");
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

// =====================================================================================================
// Normalisation
// =====================================================================================================

TEST_CASE("BatchNormalization: constant and run-time parameters, per activation, legacy attributes") {
    const Tensor x = f32(Shape{1, 2, 1, 2}, {1, 2, 3, 4});
    const Tensor scale = f32(Shape{2}, {1, 2}), b = f32(Shape{2}, {0, 1}), mean = f32(Shape{2}, {1, 3}), var = f32(Shape{2}, {4, 1});
    Attributes a;
    a.set_float("epsilon", 0.0);
    Op bn{"BatchNormalization", {x, scale, b, mean, var}, a};
    check_f32(run1(bn), Shape{1, 2, 1, 2}, {0, 0.5f, 1, 3});
    bn.runtime = {false, true, true, true, true};  // parameters fed at run time: same result
    check_f32(run1(bn), Shape{1, 2, 1, 2}, {0, 0.5f, 1, 3});
    // Default epsilon 1e-5, and a 2-D [N, C] input (MLP).
    const Tensor y2 = run1({"BatchNormalization", {f32(Shape{2, 1}, {2, 4}), f32(Shape{1}, {1}), f32(Shape{1}, {0}),
                                                   f32(Shape{1}, {3}), f32(Shape{1}, {1})}});
    check_f32(y2, Shape{2, 1}, {static_cast<float>(-1 / std::sqrt(1 + 1e-5)), static_cast<float>(1 / std::sqrt(1 + 1e-5))});
    // Opset 6 attributes are accepted and dropped; C x D parameters apply per activation.
    Attributes old;
    old.set_int("is_test", 1);
    old.set_int("spatial", 0);
    old.set_ints("consumed_inputs", {0, 0, 0, 1, 1});
    old.set_float("epsilon", 0.0);
    Op pa{"BatchNormalization",
          {x, f32(Shape{2, 1, 2}, {1, 1, 2, 2}), f32(Shape{2, 1, 2}, {0, 0, 1, 1}), f32(Shape{2, 1, 2}, {1, 2, 3, 4}),
           f32(Shape{2, 1, 2}, {1, 1, 1, 1})},
          old, 1, 6};
    const Graph g = make_graph(pa);
    CHECK_FALSE(g.nodes[0].attrs.has("spatial"));
    CHECK_FALSE(g.nodes[0].attrs.has("is_test"));
    check_f32(run1(pa), Shape{1, 2, 1, 2}, {0, 0, 1, 1});
}

TEST_CASE("BatchNormalization errors") {
    const Tensor x = f32(Shape{1, 2, 1, 2}, {1, 2, 3, 4});
    const Tensor p = f32(Shape{2}, {1, 1});
    Attributes tm;
    tm.set_int("training_mode", 1);
    check_error({"BatchNormalization", {x, p, p, p, p}, tm}, "unsupported BatchNormalization training mode");
    check_error({"BatchNormalization", {x, p, p, p, p}, {}, 3}, "unsupported BatchNormalization training outputs");
    check_error({"BatchNormalization", {x, f32(Shape{3}, {1, 1, 1}), p, p, p}}, "BatchNormalization scale has the wrong size");
    check_error({"BatchNormalization", {x, p, p, p}}, "wrong number of inputs");
}

TEST_CASE("InstanceNormalization") {
    Attributes a;
    a.set_float("epsilon", 0.0);
    check_f32(run1({"InstanceNormalization", {f32(Shape{1, 2, 2}, {1, 3, 5, 7}), f32(Shape{2}, {2, 1}), f32(Shape{2}, {0, 7})}, a}),
              Shape{1, 2, 2}, {-2, 2, 6, 8});
    check_error({"InstanceNormalization", {f32(Shape{1, 2, 2}, {1, 3, 5, 5}), f32(Shape{3}, {2, 1, 1}), f32(Shape{2}, {0, 7})}},
                "InstanceNormalization scale has the wrong shape");
}

TEST_CASE("Softmax and LogSoftmax: axis, legacy coercion, stability") {
    auto softmax = [](std::vector<double> v) {
        double m = -INFINITY, s = 0;
        for (double x : v) m = std::max(m, x);
        for (double x : v) s += std::exp(x - m);
        std::vector<float> out;
        for (double x : v) out.push_back(static_cast<float>(std::exp(x - m) / s));
        return out;
    };
    const Tensor x = f32(Shape{2, 3}, {1, 2, 3, -1, 0, 5});
    auto r0 = softmax({1, 2, 3}), r1 = softmax({-1, 0, 5});
    std::vector<float> rows = r0;
    rows.insert(rows.end(), r1.begin(), r1.end());
    check_f32(run1({"Softmax", {x}}), Shape{2, 3}, rows);  // opset 13 default axis -1
    Attributes ax0;
    ax0.set_int("axis", 0);
    auto c0 = softmax({1, -1}), c1 = softmax({2, 0}), c2 = softmax({3, 5});
    check_f32(run1({"Softmax", {x}, ax0}), Shape{2, 3}, {c0[0], c1[0], c2[0], c0[1], c1[1], c2[1]});
    // Opset 11, axis 0: the whole tensor is one 2-D row (coerced), softmax over all 6 values.
    const Op legacy{"Softmax", {x}, ax0, 1, 11};
    CHECK(make_graph(legacy).nodes[0].attrs.get_int("legacy_coerce", 0) == 1);
    check_f32(run1(legacy), Shape{2, 3}, softmax({1, 2, 3, -1, 0, 5}));
    // Opset 11 default axis 1 on [2, 3] equals opset 13's last axis.
    check_f32(run1({"Softmax", {x}, {}, 1, 11}), Shape{2, 3}, rows);
    // Large values: the max is subtracted first.
    check_f32(run1({"Softmax", {f32(Shape{2}, {1000, 1001})}}), Shape{2}, softmax({1000, 1001}));
    const Tensor ls = run1({"LogSoftmax", {f32(Shape{3}, {1000, 1001, 1002})}});
    check_f32(ls, Shape{3}, {static_cast<float>(std::log(softmax({0, 1, 2})[0])), static_cast<float>(std::log(softmax({0, 1, 2})[1])),
                             static_cast<float>(std::log(softmax({0, 1, 2})[2]))},
              1e-6);
    // 3-D, middle axis, odd sizes.
    const Tensor z = random_tensor(Shape{3, 13, 12}, 5, -4, 4);
    Attributes ax1;
    ax1.set_int("axis", 1);
    const Tensor y = run1({"Softmax", {z}, ax1});
    for (int64_t o = 0; o < 3; ++o)
        for (int64_t i = 0; i < 12; ++i) {
            double s = 0;
            for (int64_t k = 0; k < 13; ++k) s += y.data<float>()[(o * 13 + k) * 12 + i];
            CHECK(std::fabs(s - 1) < 1e-6);
        }
    Attributes bad;
    bad.set_int("axis", 2);
    check_error({"Softmax", {x}, bad}, "axis out of range");
}

// =====================================================================================================
// Shape ops
// =====================================================================================================

TEST_CASE("Reshape: -1, 0, allowzero, legacy shape attribute, errors") {
    const Tensor x = iota(Shape{2, 3, 4});
    const Tensor y = run1({"Reshape", {x, i64v({4, -1})}});
    CHECK(y.shape() == Shape{4, 6});
    CHECK(y.bitwise_equal(x.reshaped(Shape{4, 6})));
    CHECK(run1({"Reshape", {x, i64v({0, -1})}}).shape() == Shape{2, 12});
    CHECK(run1({"Reshape", {x, i64v({0, 0, 2, 2})}}).shape() == Shape{2, 3, 2, 2});
    Attributes az;
    az.set_int("allowzero", 1);
    CHECK(run1({"Reshape", {Tensor(DType::f32, Shape{0, 3}), i64v({3, 0})}, az}).shape() == Shape{3, 0});
    Attributes old;
    old.set_ints("shape", {3, 8});
    const Op legacy{"Reshape", {x}, old, 1, 4};
    CHECK(run1(legacy).shape() == Shape{3, 8});
    check_error({"Reshape", {x, i64v({5, -1})}}, "Reshape changes the element count");
    check_error({"Reshape", {x, i64v({5, 5})}}, "Reshape changes the element count");
    check_error({"Reshape", {x, i64v({-1, -1})}}, "Reshape shape has more than one -1");
    check_error({"Reshape", {x, i64v({2, 0, 0, 0, 1})}}, "Reshape copies a dimension the input lacks");
    check_error({"Reshape", {x, i64v({0, -1})}, az}, "Reshape shape has both 0 and -1 with allowzero=1");
    Op rt{"Reshape", {x, i64v({4, 6})}};
    rt.runtime = {false, true};
    check_error(rt, "Reshape shape must be a constant");
}

TEST_CASE("Flatten, Squeeze, Unsqueeze (and their opset < 13 attributes), Identity") {
    const Tensor x = iota(Shape{2, 3, 4});
    Attributes a;
    a.set_int("axis", -1);
    CHECK(run1({"Flatten", {x}, a}).shape() == Shape{6, 4});
    a.set_int("axis", 0);
    CHECK(run1({"Flatten", {x}, a}).shape() == Shape{1, 24});
    CHECK(run1({"Flatten", {x}}).shape() == Shape{2, 12});
    a.set_int("axis", 4);
    check_error({"Flatten", {x}, a}, "Flatten axis out of range");

    const Tensor s = iota(Shape{1, 3, 1, 2});
    CHECK(run1({"Squeeze", {s}}).shape() == Shape{3, 2});
    CHECK(run1({"Squeeze", {s, i64v({-2})}}).shape() == Shape{1, 3, 2});
    CHECK(run1({"Squeeze", {s, i64v({})}}).shape() == Shape{3, 2});
    CHECK(run1({"Squeeze", {s}, attrs({{"axes", {0}}}), 1, 11}).shape() == Shape{3, 1, 2});
    check_error({"Squeeze", {s, i64v({1})}}, "Squeeze of a dimension that is not 1");
    check_error({"Squeeze", {s, i64v({4})}}, "axis out of range");

    CHECK(run1({"Unsqueeze", {x, i64v({0, -1})}}).shape() == Shape{1, 2, 3, 4, 1});
    CHECK(run1({"Unsqueeze", {x, i64v({3, 1})}}).shape() == Shape{2, 1, 3, 1, 4});
    CHECK(run1({"Unsqueeze", {x}, attrs({{"axes", {0}}}), 1, 9}).shape() == Shape{1, 2, 3, 4});
    check_error({"Unsqueeze", {x, i64v({1, 1})}}, "Unsqueeze axes repeat an axis");
    const Tensor y = run1({"Unsqueeze", {x, i64v({2})}});
    CHECK(std::memcmp(y.raw(), x.raw(), x.nbytes()) == 0);

    const Tensor b = Tensor::from_vector<uint8_t>(Shape{3}, {1, 0, 1});
    Tensor bb(DType::boolean, Shape{3});
    std::memcpy(bb.raw(), b.raw(), 3);
    const Tensor id = run1({"Identity", {bb}});
    CHECK(id.dtype() == DType::boolean);
    CHECK(id.bitwise_equal(bb));
}

TEST_CASE("Dropout: identity in inference, mask, legacy ratio, training refused") {
    const Tensor x = iota(Shape{2, 3});
    auto out = run({"Dropout", {x}, {}, 2});
    CHECK(out[0].bitwise_equal(x));
    CHECK(out[1].dtype() == DType::boolean);
    CHECK(out[1].to_vector<uint8_t>() == std::vector<uint8_t>(6, 1));
    Attributes r;
    r.set_float("ratio", 0.3);
    const Op old{"Dropout", {x}, r, 2, 7};
    CHECK_FALSE(make_graph(old).nodes[0].attrs.has("ratio"));
    out = run(old);
    CHECK(out[0].bitwise_equal(x));
    CHECK(out[1].dtype() == DType::f32);  // opset < 10: the mask has the input's type
    CHECK(out[1].to_vector<float>() == std::vector<float>(6, 1.0f));
    Tensor t(DType::boolean, Shape{});
    static_cast<uint8_t*>(t.raw())[0] = 1;
    check_error({"Dropout", {x, Tensor::scalar<float>(0.5f), t}}, "unsupported Dropout training mode");
    CHECK(run1({"Dropout", {x, Tensor::scalar<float>(0.0f), t}}).bitwise_equal(x));  // ratio 0: identity
}

TEST_CASE("Transpose: values, default perm, odd shapes, every element size") {
    const Tensor x = iota(Shape{2, 3});
    check_f32(run1({"Transpose", {x}}), Shape{3, 2}, {0, 3, 1, 4, 2, 5});
    const Tensor z = iota(Shape{13, 12, 5});
    const Tensor y = run1({"Transpose", {z}, attrs({{"perm", {2, 0, 1}}})});
    REQUIRE(y.shape() == Shape{5, 13, 12});
    for (int64_t a = 0; a < 13; ++a)
        for (int64_t b = 0; b < 12; ++b)
            for (int64_t c = 0; c < 5; ++c) REQUIRE(y.data<float>()[(c * 13 + a) * 12 + b] == z.data<float>()[(a * 12 + b) * 5 + c]);
    // Exact copies whatever the dtype: i64, f16, u8, f64.
    const Tensor l = i64(Shape{2, 2}, {std::numeric_limits<int64_t>::min(), 1, 2, std::numeric_limits<int64_t>::max()});
    CHECK(run1({"Transpose", {l}}).to_vector<int64_t>() ==
          std::vector<int64_t>{std::numeric_limits<int64_t>::min(), 2, 1, std::numeric_limits<int64_t>::max()});
    const Tensor h = Tensor::from_vector<half>(Shape{1, 3}, {half::from_bits(0x7e01), half::from_bits(1), half::from_bits(0x8000)});
    const Tensor hy = run1({"Transpose", {h}});
    CHECK(hy.shape() == Shape{3, 1});
    CHECK(std::memcmp(hy.raw(), h.raw(), 6) == 0);
    const Tensor u = Tensor::from_vector<uint8_t>(Shape{3, 1, 2}, {1, 2, 3, 4, 5, 6});
    CHECK(run1({"Transpose", {u}, attrs({{"perm", {2, 1, 0}}})}).to_vector<uint8_t>() == std::vector<uint8_t>{1, 3, 5, 2, 4, 6});
    const Tensor d = Tensor::from_vector<double>(Shape{2, 2}, {0.1, 0.2, 0.3, 0.4});
    CHECK(run1({"Transpose", {d}}).to_vector<double>() == std::vector<double>{0.1, 0.3, 0.2, 0.4});
    check_error({"Transpose", {x}, attrs({{"perm", {0, 1, 2}}})}, "Transpose perm has the wrong length");
    check_error({"Transpose", {x}, attrs({{"perm", {1, 1}}})}, "Transpose perm is not a permutation");
}

TEST_CASE("Concat and Split") {
    const Tensor a = f32(Shape{2, 1}, {1, 2}), b = f32(Shape{2, 2}, {3, 4, 5, 6});
    Attributes ax;
    ax.set_int("axis", -1);
    check_f32(run1({"Concat", {a, b}, ax}), Shape{2, 3}, {1, 3, 4, 2, 5, 6});
    ax.set_int("axis", 0);
    const Tensor c = run1({"Concat", {i64(Shape{1, 2}, {1, 2}), i64(Shape{0, 2}, {}), i64(Shape{2, 2}, {3, 4, 5, 6})}, ax});
    CHECK(c.shape() == Shape{3, 2});
    CHECK(c.to_vector<int64_t>() == std::vector<int64_t>{1, 2, 3, 4, 5, 6});
    check_error({"Concat", {a, b}, ax}, "Concat inputs differ in shape");
    check_error({"Concat", {a, i64(Shape{2, 1}, {1, 2})}, ax}, "Concat inputs differ in dtype");
    check_error({"Concat", {a, b}}, "missing attribute 'axis'");

    const Tensor x = iota(Shape{2, 6});
    Attributes s1;
    s1.set_int("axis", 1);
    auto parts = run({"Split", {x}, s1, 2});
    check_f32(parts[0], Shape{2, 3}, {0, 1, 2, 6, 7, 8});
    check_f32(parts[1], Shape{2, 3}, {3, 4, 5, 9, 10, 11});
    parts = run({"Split", {x, i64v({1, 5})}, s1, 2});
    check_f32(parts[0], Shape{2, 1}, {0, 6});
    check_f32(parts[1], Shape{2, 5}, {1, 2, 3, 4, 5, 7, 8, 9, 10, 11});
    Attributes old = s1;
    old.set_ints("split", {4, 2});
    parts = run({"Split", {x}, old, 2, 11});
    CHECK(parts[0].shape() == Shape{2, 4});
    Attributes no;
    no.set_int("num_outputs", 4);
    parts = run({"Split", {iota(Shape{7})}, no, 4});
    CHECK(parts[3].shape() == Shape{1});
    check_f32(parts[2], Shape{2}, {4, 5});
    check_error({"Split", {iota(Shape{7})}, {}, 2}, "Split into unequal parts");
    check_error({"Split", {x, i64v({1, 4})}, s1, 2}, "Split sizes do not add up to the axis");
}

TEST_CASE("Pad: modes, negative pads, axes, legacy attributes") {
    const Tensor x = f32(Shape{4}, {1, 2, 3, 4});
    Attributes m;
    check_f32(run1({"Pad", {x, i64v({2, 1}), Tensor::scalar<float>(9)}}), Shape{7}, {9, 9, 1, 2, 3, 4, 9});
    m.set_string("mode", "reflect");
    check_f32(run1({"Pad", {x, i64v({2, 2})}, m}), Shape{8}, {3, 2, 1, 2, 3, 4, 3, 2});
    check_f32(run1({"Pad", {f32(Shape{3}, {1, 2, 3}), i64v({5, 4})}, m}), Shape{12}, {2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3});  // as numpy
    m.set_string("mode", "edge");
    check_f32(run1({"Pad", {x, i64v({2, 2})}, m}), Shape{8}, {1, 1, 1, 2, 3, 4, 4, 4});
    m.set_string("mode", "wrap");
    check_f32(run1({"Pad", {x, i64v({2, 2})}, m}), Shape{8}, {3, 4, 1, 2, 3, 4, 1, 2});
    // Negative pads crop.
    check_f32(run1({"Pad", {x, i64v({-1, 1})}}), Shape{4}, {2, 3, 4, 0});
    // 2-D, opset 18 axes, u8 data with a u8 constant.
    const Tensor u = Tensor::from_vector<uint8_t>(Shape{2, 2}, {1, 2, 3, 4});
    const Tensor yu = run1({"Pad", {u, i64v({1, 0}), Tensor::scalar<uint8_t>(7), i64v({-1})}});
    CHECK(yu.shape() == Shape{2, 3});
    CHECK(yu.to_vector<uint8_t>() == std::vector<uint8_t>{7, 1, 2, 7, 3, 4});
    // Opset 2: pads and value attributes become inputs.
    Attributes old = attrs({{"pads", {0, 1, 1, 0}}});
    old.set_float("value", -1.0);
    const Tensor y = run1({"Pad", {iota(Shape{2, 2})}, old, 1, 2});
    check_f32(y, Shape{3, 3}, {-1, 0, 1, -1, 2, 3, -1, -1, -1});
    // Odd shape, constant mode on both axes, against a direct loop.
    const Tensor z = random_tensor(Shape{13, 12}, 9);
    const Tensor zp = run1({"Pad", {z, i64v({1, 2, 3, 4})}});
    REQUIRE(zp.shape() == Shape{17, 18});
    for (int64_t i = 0; i < 17; ++i)
        for (int64_t j = 0; j < 18; ++j) {
            const bool in = i >= 1 && i < 14 && j >= 2 && j < 14;
            REQUIRE(zp.data<float>()[i * 18 + j] == (in ? z.data<float>()[(i - 1) * 12 + (j - 2)] : 0.0f));
        }
    check_error({"Pad", {x, i64v({1, 1, 1})}}, "Pad pads have the wrong length");
    check_error({"Pad", {x, i64v({-3, -2})}}, "Pad crops more than the input holds");
    m.set_string("mode", "mirror");
    check_error({"Pad", {x, i64v({1, 1})}, m}, "unknown Pad mode 'mirror'");
}

TEST_CASE("Slice: steps, negative steps, clamping, axes, legacy attributes") {
    const Tensor x = iota(Shape{10});
    check_f32(run1({"Slice", {x, i64v({1}), i64v({8}), i64v({0}), i64v({3})}}), Shape{3}, {1, 4, 7});
    check_f32(run1({"Slice", {x, i64v({-1}), i64v({-100}), i64v({0}), i64v({-2})}}), Shape{5}, {9, 7, 5, 3, 1});
    check_f32(run1({"Slice", {x, i64v({7}), i64v({std::numeric_limits<int64_t>::max()})}}), Shape{3}, {7, 8, 9});
    check_f32(run1({"Slice", {x, i64v({20}), i64v({0}), Tensor(), i64v({-3})}}), Shape{3}, {9, 6, 3});
    CHECK(run1({"Slice", {x, i64v({5}), i64v({2})}}).shape() == Shape{0});
    constexpr int64_t kMax = std::numeric_limits<int64_t>::max(), kMin = std::numeric_limits<int64_t>::min();
    check_f32(run1({"Slice", {x, i64v({0}), i64v({10}), i64v({0}), i64v({kMax})}}), Shape{1}, {0});
    check_f32(run1({"Slice", {x, i64v({-1}), i64v({kMin}), i64v({0}), i64v({kMin})}}), Shape{1}, {9});
    CHECK(run1({"Slice", {iota(Shape{0, 3}), i64v({-1}), i64v({-5}), i64v({0}), i64v({-1})}}).shape() == Shape{0, 3});
    const Tensor m = iota(Shape{13, 12});
    const Tensor y = run1({"Slice", {m, i64v({-2, 1}), i64v({0, 12}), i64v({1, 0}), i64v({-5, 4})}});
    check_f32(y, Shape{3, 2}, {22, 17, 70, 65, 118, 113});  // rows 1, 5, 9; columns 10, 5
    const Op old{"Slice", {m}, attrs({{"starts", {1}}, {"ends", {3}}, {"axes", {1}}}), 1, 9};
    check_f32(run1(old), Shape{13, 2}, [&] {
        std::vector<float> v;
        for (int i = 0; i < 13; ++i) {
            v.push_back(static_cast<float>(i * 12 + 1));
            v.push_back(static_cast<float>(i * 12 + 2));
        }
        return v;
    }());
    check_error({"Slice", {x, i64v({1}), i64v({8}), i64v({0}), i64v({0})}}, "Slice step is 0");
    check_error({"Slice", {m, i64v({1, 1}), i64v({8, 8}), i64v({0, -2})}}, "Slice axes repeat an axis");
    check_error({"Slice", {x, i64v({1}), i64v({8, 9})}}, "Slice starts and ends differ in length");
}

TEST_CASE("Gather, Expand, Tile") {
    const Tensor x = f32(Shape{3, 2}, {1, 2, 3, 4, 5, 6});
    check_f32(run1({"Gather", {x, i64v({2, 0, -1})}}), Shape{3, 2}, {5, 6, 1, 2, 5, 6});
    Attributes a1;
    a1.set_int("axis", 1);
    check_f32(run1({"Gather", {x, i64(Shape{2, 1}, {1, 0})}, a1}), Shape{3, 2, 1}, {2, 1, 4, 3, 6, 5});
    check_f32(run1({"Gather", {x, Tensor::scalar<int32_t>(1)}}), Shape{2}, {3, 4});
    check_error({"Gather", {x, i64v({3})}}, "Gather index out of range");
    check_error({"Gather", {x, i64v({-4})}}, "Gather index out of range");
    Op rt{"Gather", {x, i64v({0, 7})}};
    rt.runtime = {false, true};  // caught by the kernel at run time
    check_error(rt, "Gather index out of range");

    check_f32(run1({"Expand", {f32(Shape{3, 1}, {1, 2, 3}), i64v({2, 1, 2})}}), Shape{2, 3, 2}, {1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3});
    CHECK(run1({"Expand", {f32(Shape{3, 1}, {1, 2, 3}), i64v({1})}}).shape() == Shape{3, 1});
    check_error({"Expand", {f32(Shape{3}, {1, 2, 3}), i64v({2})}}, "shapes do not broadcast");

    check_f32(run1({"Tile", {f32(Shape{2}, {1, 2}), i64v({3})}}), Shape{6}, {1, 2, 1, 2, 1, 2});
    check_f32(run1({"Tile", {f32(Shape{2, 1}, {1, 2}), i64v({2, 2})}}), Shape{4, 2}, {1, 1, 2, 2, 1, 1, 2, 2});
    check_error({"Tile", {f32(Shape{2}, {1, 2}), i64v({2, 2})}}, "Tile repeats have the wrong length");
}

TEST_CASE("Cast: every direction, truncation, wrap-around, f16 rounding") {
    auto cast = [](const Tensor& t, int64_t to) {
        Attributes a;
        a.set_int("to", to);
        return run1({"Cast", {t}, a});
    };
    const Tensor x = f32(Shape{6}, {-1.7f, 1.7f, 2.5f, -0.5f, 300.7f, -300.7f});
    CHECK(cast(x, 6).to_vector<int32_t>() == std::vector<int32_t>{-1, 1, 2, 0, 300, -300});
    // Out of the target's range: truncate, then wrap as numpy and onnxruntime do (-1 -> 255).
    CHECK(cast(x, 2).to_vector<uint8_t>() == std::vector<uint8_t>{255, 1, 2, 0, 44, 212});
    CHECK(cast(x, 3).to_vector<int8_t>() == std::vector<int8_t>{-1, 1, 2, 0, 44, -44});
    CHECK(cast(f32(Shape{3}, {-1.5f, 1e19f, 3e38f}), 13).to_vector<uint64_t>() ==
          std::vector<uint64_t>{~uint64_t{0}, 9999999980506447872ull, ~uint64_t{0}});
    const Tensor b = cast(f32(Shape{3}, {0.0f, -0.5f, NAN}), 9);
    CHECK(b.dtype() == DType::boolean);
    CHECK(b.to_vector<uint8_t>() == std::vector<uint8_t>{0, 1, 1});
    CHECK(cast(b, 1).to_vector<float>() == std::vector<float>{0, 1, 1});
    CHECK(cast(f32(Shape{1}, {NAN}), 7).to_vector<int64_t>() == std::vector<int64_t>{0});
    CHECK(cast(i64v({-3, 1LL << 40}), 1).to_vector<float>() == std::vector<float>{-3.0f, 1099511627776.0f});
    CHECK(cast(i64v({-1, 256}), 2).to_vector<uint8_t>() == std::vector<uint8_t>{255, 0});  // int -> int wraps
    CHECK(cast(Tensor::from_vector<uint64_t>(Shape{1}, {~uint64_t{0}}), 11).to_vector<double>() == std::vector<double>{18446744073709551615.0});
    // f16: round to nearest even, and double -> f16 rounds once: 1 + 2^-11 + 2^-40 is just above
    // the midpoint of 1 and 1 + 2^-10 (through float it would become the midpoint and round to 1).
    const Tensor h = cast(f32(Shape{3}, {1.0f / 3, 65520.0f, -0.0f}), 10);
    CHECK(h.dtype() == DType::f16);
    CHECK(h.data<half>()[0].bits == 0x3555);
    CHECK(h.data<half>()[1].bits == 0x7c00);
    CHECK(h.data<half>()[2].bits == 0x8000);
    const Tensor hd = cast(Tensor::from_vector<double>(Shape{1}, {1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40)}), 10);
    CHECK(hd.data<half>()[0].bits == 0x3c01);
    CHECK(cast(h, 1).to_vector<float>()[0] == static_cast<float>(half::from_bits(0x3555)));
    // Same type: an exact copy; a legacy string target (opset 5).
    CHECK(cast(x, 1).bitwise_equal(x));
    Attributes old;
    old.set_string("to", "INT64");
    CHECK(run1({"Cast", {x}, old, 1, 5}).to_vector<int64_t>() == std::vector<int64_t>{-1, 1, 2, 0, 300, -300});
    check_error({"Cast", {x}, [] { Attributes a; a.set_int("to", 8); return a; }()}, "unsupported Cast target type 8");
    check_error({"Cast", {x}}, "missing attribute 'to'");
}

TEST_CASE("Constant, ConstantOfShape, Shape, Size (and folding)") {
    Attributes a;
    a.set_ints("value_ints", {3, 4});
    const Tensor c = run1({"Constant", {}, a});
    CHECK(c.dtype() == DType::i64);
    CHECK(c.to_vector<int64_t>() == std::vector<int64_t>{3, 4});
    Attributes f;
    f.set_float("value_float", 2.5);
    CHECK(run1({"Constant", {}, f}).shape() == Shape{});
    Attributes t;
    t.set_tensor("value", f32(Shape{2}, {1, 2}));
    CHECK(fold1({"Constant", {}, t}).to_vector<float>() == std::vector<float>{1, 2});
    Attributes two = a;
    two.set_float("value_float", 1.0);
    check_error({"Constant", {}, two}, "Constant needs exactly one value attribute");
    Attributes st;
    st.set_string("value_string", "x");
    check_error({"Constant", {}, st}, "unsupported Constant attribute 'value_string'");

    Attributes v;
    v.set_tensor("value", Tensor::from_vector<int32_t>(Shape{1}, {7}));
    const Tensor cs = run1({"ConstantOfShape", {i64v({2, 3})}, v});
    CHECK(cs.dtype() == DType::i32);
    CHECK(cs.to_vector<int32_t>() == std::vector<int32_t>(6, 7));
    CHECK(run1({"ConstantOfShape", {i64v({2, 0})}}).shape() == Shape{2, 0});
    CHECK(run1({"ConstantOfShape", {i64v({2})}}).to_vector<float>() == std::vector<float>{0, 0});
    check_error({"ConstantOfShape", {i64v({2, -1})}}, "ConstantOfShape shape has a negative dimension");

    const Tensor x = iota(Shape{2, 3, 4});
    CHECK(run1({"Shape", {x}}).to_vector<int64_t>() == std::vector<int64_t>{2, 3, 4});
    Attributes se;
    se.set_int("start", 1);
    se.set_int("end", -1);
    CHECK(run1({"Shape", {x}, se}).to_vector<int64_t>() == std::vector<int64_t>{3});
    se.set_int("start", -10);
    se.set_int("end", 10);
    CHECK(run1({"Shape", {x}, se}).to_vector<int64_t>() == std::vector<int64_t>{2, 3, 4});
    const Tensor sz = run1({"Size", {x}});
    CHECK(sz.shape() == Shape{});
    CHECK(sz.to_vector<int64_t>() == std::vector<int64_t>{24});

    // Shape of a run-time input with a symbolic batch folds to a constant (shape_only), and so
    // does the arithmetic on it; the Reshape target becomes a constant.
    Graph g;
    const int in = g.add_input("x", DType::f32, Shape{-1, 3, 4});
    auto node = [&](const std::string& op, std::vector<int> ins, const std::string& out, Attributes at = {}) {
        Node n;
        n.op = op;
        n.name = out;
        n.inputs = std::move(ins);
        n.attrs = std::move(at);
        n.outputs.push_back(g.add_value(out));
        g.nodes.push_back(n);
        return n.outputs[0];
    };
    Attributes s1;
    s1.set_int("start", 1);
    const int shp = node("Shape", {in}, "shape", s1);
    Attributes ax0;
    ax0.set_int("axis", 0);
    const int tgt = node("Concat", {g.add_constant("minus1", i64v({-1})), shp}, "target", ax0);
    const int out = node("Reshape", {in, tgt}, "y");
    g.outputs.push_back(out);
    fold_constants(g);
    validate(g);
    REQUIRE(g.nodes.size() == 1);
    CHECK(g.nodes[0].op == "Reshape");
    CHECK(g.value(g.nodes[0].inputs[1]).constant.to_vector<int64_t>() == std::vector<int64_t>{-1, 3, 4});
    CHECK(g.value(g.outputs[0]).shape == Shape{-1, 3, 4});
}
