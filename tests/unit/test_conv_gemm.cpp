// Conv, Gemm and MatMul: hand-checked values, naive reference loops on random odd shapes,
// bitwise determinism across TBB thread counts, kernel-level mutation sites and shape errors.
#include <doctest/doctest.h>

#include <mutiny/ops/common.hpp>
#include <mutiny/ops/infer.hpp>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <tbb/global_control.h>
#include <tbb/task_arena.h>

using namespace mutiny;

namespace {

// Runs one node whose inputs are all constants through infer_types' folding (a one-node
// executor). Absent optional inputs: empty tensors.
Tensor run_node(const std::string& op, const std::vector<Tensor>& inputs, const Attributes& attrs = {}) {
    Graph g;
    Node n;
    n.op = op;
    n.name = "n0";
    n.attrs = attrs;
    for (size_t i = 0; i < inputs.size(); ++i)
        n.inputs.push_back(inputs[i].empty() ? -1 : g.add_constant("in" + std::to_string(i), inputs[i]));
    n.outputs.push_back(g.add_value("out"));
    g.nodes.push_back(n);
    g.outputs.push_back(n.outputs[0]);
    std::vector<Tensor> folded;
    infer_types(g, 1, &folded);
    return folded[static_cast<size_t>(n.outputs[0])];
}

// Infers the node only (for error tests).
void infer_node(const std::string& op, const std::vector<Tensor>& inputs, const Attributes& attrs = {}) {
    Graph g;
    Node n;
    n.op = op;
    n.name = "bad";
    n.attrs = attrs;
    for (size_t i = 0; i < inputs.size(); ++i)
        n.inputs.push_back(inputs[i].empty() ? -1 : g.add_input("in" + std::to_string(i), inputs[i].dtype(), inputs[i].shape()));
    n.outputs.push_back(g.add_value("out"));
    g.nodes.push_back(n);
    g.outputs.push_back(n.outputs[0]);
    infer_types(g, 1);
}

// Prepares and runs a kernel with a SiteConfig (infer_types' folding always uses the default).
Tensor run_with_sites(const std::string& op, const std::vector<Tensor>& inputs, const Attributes& attrs, const SiteConfig& sites,
                      bool const_weights = true) {
    Graph g;
    Node n;
    n.op = op;
    n.name = "n0";
    n.attrs = attrs;
    std::vector<TypeInfo> in;
    std::vector<const Tensor*> cin;
    for (size_t i = 0; i < inputs.size(); ++i) {
        n.inputs.push_back(inputs[i].empty() ? -1 : g.add_constant("in" + std::to_string(i), inputs[i]));
        in.push_back(TypeInfo{inputs[i].dtype(), inputs[i].shape()});
        cin.push_back(inputs[i].empty() || (!const_weights && i > 0) ? nullptr : &inputs[i]);
    }
    n.outputs.push_back(g.add_value("out"));
    const OpDef& def = Registry::instance().get(op, "test");
    InferContext ic(g, n, in, cin);
    def.infer(ic);
    PrepareContext pc;
    pc.graph = &g;
    pc.node = &n;
    pc.in = in;
    pc.out = ic.outputs();
    pc.consts = cin;
    pc.sites = sites;
    Kernel k = def.prepare(pc);
    Tensor out(ic.outputs()[0].dtype, ic.outputs()[0].shape);
    ExecContext ec;
    ec.node = &n;
    for (auto& t : inputs) ec.in.push_back(t.empty() ? nullptr : &t);
    ec.out.push_back(&out);
    ec.sites = &pc.sites;
    k(ec);
    return out;
}

Tensor random_tensor(Shape s, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(static_cast<size_t>(s.numel()));
    for (auto& x : v) x = d(rng);
    return Tensor::from_vector<float>(std::move(s), v);
}

Tensor filled(Shape s, float v) {
    return Tensor::from_vector<float>(s, std::vector<float>(static_cast<size_t>(s.numel()), v));
}

struct ConvAttrs {
    std::vector<int64_t> strides, dilations, pads;
    int64_t group = 1;
    std::string auto_pad = "NOTSET";
    Attributes make() const {
        Attributes a;
        if (!strides.empty()) a.set_ints("strides", strides);
        if (!dilations.empty()) a.set_ints("dilations", dilations);
        if (!pads.empty()) a.set_ints("pads", pads);
        if (group != 1) a.set_int("group", group);
        if (auto_pad != "NOTSET") a.set_string("auto_pad", auto_pad);
        return a;
    }
};

// Naive N-D convolution in double, written from the ONNX definition (independent of the kernel).
std::vector<double> naive_conv(const Tensor& X, const Tensor& W, const Tensor* B, const ConvAttrs& a, std::vector<int64_t>& oshape,
                               bool drop_last = false) {
    const auto xs = X.shape().dims(), ws = W.shape().dims();
    const size_t nsp = xs.size() - 2;
    std::vector<int64_t> st(nsp, 1), dl(nsp, 1), pb(nsp, 0), out(nsp);
    if (!a.strides.empty()) st = a.strides;
    if (!a.dilations.empty()) dl = a.dilations;
    for (size_t i = 0; i < nsp; ++i) {
        const int64_t ek = (ws[2 + i] - 1) * dl[i] + 1;
        if (a.auto_pad == "NOTSET") {
            pb[i] = a.pads.empty() ? 0 : a.pads[i];
            const int64_t pe = a.pads.empty() ? 0 : a.pads[i + nsp];
            out[i] = (xs[2 + i] + pb[i] + pe - ek) / st[i] + 1;
        } else if (a.auto_pad == "VALID") {
            out[i] = (xs[2 + i] - ek) / st[i] + 1;
        } else {
            out[i] = (xs[2 + i] + st[i] - 1) / st[i];
            const int64_t tot = std::max<int64_t>(0, (out[i] - 1) * st[i] + ek - xs[2 + i]);
            pb[i] = a.auto_pad == "SAME_UPPER" ? tot / 2 : tot - tot / 2;
        }
    }
    const int64_t N = xs[0], C = xs[1], M = ws[0], G = a.group, Cg = C / G, Mg = M / G;
    oshape = {N, M};
    for (auto o : out) oshape.push_back(o);
    int64_t P = 1, KK = 1, Pin = 1;
    for (size_t i = 0; i < nsp; ++i) {
        P *= out[i];
        KK *= ws[2 + i];
        Pin *= xs[2 + i];
    }
    const float* x = X.data<float>();
    const float* w = W.data<float>();
    std::vector<double> y(static_cast<size_t>(N * M * P));
    std::vector<int64_t> o(nsp), k(nsp);
    for (int64_t n = 0; n < N; ++n)
        for (int64_t m = 0; m < M; ++m) {
            const int64_t g = m / Mg;
            for (int64_t p = 0; p < P; ++p) {
                int64_t r = p;
                for (size_t i = nsp; i-- > 0;) {
                    o[i] = r % out[i];
                    r /= out[i];
                }
                double s = 0;
                for (int64_t c = 0; c < Cg; ++c)
                    for (int64_t kk = 0; kk < KK; ++kk) {
                        if (drop_last && c == Cg - 1 && kk == KK - 1) continue;
                        int64_t q = kk;
                        for (size_t i = nsp; i-- > 0;) {
                            k[i] = q % ws[2 + i];
                            q /= ws[2 + i];
                        }
                        int64_t xi = 0;
                        bool inside = true;
                        for (size_t i = 0; i < nsp; ++i) {
                            const int64_t ii = o[i] * st[i] - pb[i] + k[i] * dl[i];
                            if (ii < 0 || ii >= xs[2 + i]) inside = false;
                            xi = xi * xs[2 + i] + ii;
                        }
                        if (!inside) continue;
                        s += static_cast<double>(x[(n * C + g * Cg + c) * Pin + xi]) * w[(m * Cg + c) * KK + kk];
                    }
                if (B) s += B->data<float>()[m];
                y[static_cast<size_t>((n * M + m) * P + p)] = s;
            }
        }
    return y;
}

// Relative tolerance 1e-5 against the magnitude of the terms (sums of products of [-1,1] values).
void check_close(const Tensor& got, const std::vector<double>& want, double scale) {
    REQUIRE(static_cast<size_t>(got.numel()) == want.size());
    const float* g = got.data<float>();
    size_t bad = 0;
    for (size_t i = 0; i < want.size(); ++i) {
        const double tol = 1e-5 * std::max(1.0, std::max(std::fabs(want[i]), scale));
        if (!(std::fabs(g[i] - want[i]) <= tol)) {
            if (bad < 5) MESSAGE("index " << i << ": got " << g[i] << ", want " << want[i]);
            ++bad;
        }
    }
    CHECK(bad == 0);
}

void check_conv(Shape xs, Shape ws, bool bias, const ConvAttrs& a, uint32_t seed) {
    const Tensor X = random_tensor(xs, seed);
    const Tensor W = random_tensor(ws, seed + 1);
    const Tensor B = bias ? random_tensor(Shape{ws[0]}, seed + 2) : Tensor{};
    std::vector<int64_t> os;
    const auto want = naive_conv(X, W, bias ? &B : nullptr, a, os);
    const Tensor Y = run_node("Conv", {X, W, B}, a.make());
    CHECK(Y.shape() == Shape(os));
    check_close(Y, want, std::sqrt(static_cast<double>(ws.numel() / ws[0])));
}

std::vector<double> naive_gemm(const Tensor& A, const Tensor& B, const Tensor* C, bool ta, bool tb, double alpha, double beta, int64_t& M,
                               int64_t& N, bool drop_last = false) {
    const auto as = A.shape().dims(), bs = B.shape().dims();
    M = ta ? as[1] : as[0];
    const int64_t K = ta ? as[0] : as[1];
    N = tb ? bs[0] : bs[1];
    std::vector<double> y(static_cast<size_t>(M * N));
    const float* a = A.data<float>();
    const float* b = B.data<float>();
    for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < N; ++n) {
            double s = 0;
            for (int64_t k = 0; k < K - (drop_last ? 1 : 0); ++k)
                s += static_cast<double>(ta ? a[k * M + m] : a[m * K + k]) * (tb ? b[n * K + k] : b[k * N + n]);
            double cv = 0;
            if (C) {
                const auto cs = C->shape().dims();
                const int64_t cm = cs.size() == 2 && cs[0] != 1 ? m : 0;
                const int64_t cn = !cs.empty() && cs.back() != 1 ? n : 0;
                const int64_t ldc = cs.size() == 2 ? cs[1] : 0;
                cv = C->data<float>()[cm * ldc + cn];
            }
            y[static_cast<size_t>(m * N + n)] = alpha * s + beta * cv;
        }
    return y;
}

// Runs f inside task arenas of 1, 2 and 4 threads (4 even on a 2-core machine: global_control
// lifts TBB's default cap of one worker per core).
template <class F>
void for_threads(F f) {
    tbb::global_control allow(tbb::global_control::max_allowed_parallelism, 4);
    for (int t : {1, 2, 4}) {
        tbb::task_arena arena(t);
        arena.execute([&] { f(t); });
    }
}

}  // namespace

// ---- Conv: hand-checked values ------------------------------------------------------------------

TEST_CASE("Conv: ONNX basic conv with and without padding") {
    std::vector<float> xv(25);
    for (int i = 0; i < 25; ++i) xv[static_cast<size_t>(i)] = static_cast<float>(i);
    const Tensor X = Tensor::from_vector<float>(Shape{1, 1, 5, 5}, xv);
    const Tensor W = filled(Shape{1, 1, 3, 3}, 1.0f);
    ConvAttrs a;
    a.pads = {1, 1, 1, 1};
    const Tensor Y = run_node("Conv", {X, W}, a.make());
    const std::vector<float> want{12, 21, 27, 33, 24, 33, 54, 63, 72, 51, 63, 99, 108, 117, 81,
                                  93, 144, 153, 162, 111, 72, 111, 117, 123, 84};
    CHECK(Y.shape() == Shape{1, 1, 5, 5});
    CHECK(Y.to_vector<float>() == want);
    const Tensor Y0 = run_node("Conv", {X, W});
    CHECK(Y0.shape() == Shape{1, 1, 3, 3});
    CHECK(Y0.to_vector<float>() == std::vector<float>{54, 63, 72, 99, 108, 117, 144, 153, 162});
    // Strides 2 with asymmetric padding (ONNX test_conv_with_strides_and_asymmetric_padding, 7x5 input).
    std::vector<float> x2(35);
    for (int i = 0; i < 35; ++i) x2[static_cast<size_t>(i)] = static_cast<float>(i);
    ConvAttrs b;
    b.strides = {2, 2};
    b.pads = {1, 0, 1, 0};
    const Tensor Y2 = run_node("Conv", {Tensor::from_vector<float>(Shape{1, 1, 7, 5}, x2), W}, b.make());
    CHECK(Y2.shape() == Shape{1, 1, 4, 2});
    CHECK(Y2.to_vector<float>() == std::vector<float>{21, 33, 99, 117, 189, 207, 171, 183});
}

TEST_CASE("Conv: 13x12 ones, groups 3, stride 2, dilation 2, asymmetric pads count the taps") {
    // Every input and weight is 1 (weights of channel g scaled by g+1, bias 0.5): each output is
    // (g+1) * (number of the 3x3 dilated taps that land inside the image) + 0.5.
    const Tensor X = filled(Shape{1, 3, 13, 12}, 1.0f);
    std::vector<float> wv(3 * 9);
    for (int g = 0; g < 3; ++g)
        for (int i = 0; i < 9; ++i) wv[static_cast<size_t>(g * 9 + i)] = static_cast<float>(g + 1);
    const Tensor W = Tensor::from_vector<float>(Shape{3, 1, 3, 3}, wv);
    const Tensor B = filled(Shape{3}, 0.5f);
    ConvAttrs a;
    a.group = 3;
    a.strides = {2, 2};
    a.dilations = {2, 2};
    a.pads = {2, 1, 0, 3};  // top 2, left 1, bottom 0, right 3
    const Tensor Y = run_node("Conv", {X, W, B}, a.make());
    // H: (13 + 2 + 0 - 5) / 2 + 1 = 6; W: (12 + 1 + 3 - 5) / 2 + 1 = 6.
    REQUIRE(Y.shape() == Shape{1, 3, 6, 6});
    const float* y = Y.data<float>();
    // Output (0,0): rows -2,0,2 -> 2 inside; cols -1,1,3 -> 2 inside: 4 taps.
    CHECK(y[0] == 4 * 1 + 0.5f);
    // Output (0,5): cols 9,11,13 -> 2 inside (13 >= 12): 2 * 2 = 4 taps; channel 2 weight 3.
    CHECK(y[2 * 36 + 5] == 4 * 3 + 0.5f);
    // Output (1,1): rows 0,2,4 -> 3; cols 1,3,5 -> 3: 9 taps; channel 1 weight 2.
    CHECK(y[36 + 7] == 9 * 2 + 0.5f);
    // Output (5,5): rows 8,10,12 -> 3; cols 9,11,13 -> 2: 6 taps.
    CHECK(y[35] == 6 + 0.5f);
}

TEST_CASE("Conv: auto_pad SAME_UPPER / SAME_LOWER / VALID shapes and values") {
    const Tensor X = filled(Shape{1, 1, 5, 4}, 1.0f);
    const Tensor W = filled(Shape{1, 1, 2, 2}, 1.0f);
    ConvAttrs up;
    up.auto_pad = "SAME_UPPER";
    const Tensor Yu = run_node("Conv", {X, W}, up.make());
    REQUIRE(Yu.shape() == Shape{1, 1, 5, 4});
    // Total pad 1 per axis goes to the end: the last row/column see fewer taps.
    CHECK(Yu.data<float>()[0] == 4);
    CHECK(Yu.data<float>()[3] == 2);
    CHECK(Yu.data<float>()[19] == 1);
    ConvAttrs lo;
    lo.auto_pad = "SAME_LOWER";
    const Tensor Yl = run_node("Conv", {X, W}, lo.make());
    REQUIRE(Yl.shape() == Shape{1, 1, 5, 4});
    CHECK(Yl.data<float>()[0] == 1);
    CHECK(Yl.data<float>()[19] == 4);
    ConvAttrs st;
    st.auto_pad = "SAME_UPPER";
    st.strides = {2, 3};
    CHECK(run_node("Conv", {X, W}, st.make()).shape() == Shape{1, 1, 3, 2});
    ConvAttrs va;
    va.auto_pad = "VALID";
    va.strides = {2, 2};
    CHECK(run_node("Conv", {X, W}, va.make()).shape() == Shape{1, 1, 2, 2});
}

// ---- Conv: random inputs against the naive loop ---------------------------------------------------

TEST_CASE("Conv: random 2-D cases match the naive reference") {
    ConvAttrs a;
    SUBCASE("3x3 pad 1") {
        a.pads = {1, 1, 1, 1};
        check_conv(Shape{2, 3, 13, 12}, Shape{5, 3, 3, 3}, true, a, 1);
    }
    SUBCASE("groups 3 stride 2 dilation 2 asymmetric pads") {
        a.group = 3;
        a.strides = {2, 2};
        a.dilations = {2, 2};
        a.pads = {2, 1, 0, 3};
        check_conv(Shape{2, 6, 13, 12}, Shape{9, 2, 3, 3}, true, a, 2);
    }
    SUBCASE("depthwise with multiplier") {
        a.group = 4;
        a.pads = {1, 2, 1, 0};
        check_conv(Shape{1, 4, 11, 9}, Shape{8, 1, 3, 2}, false, a, 3);
    }
    SUBCASE("SAME_UPPER stride 2") {
        a.auto_pad = "SAME_UPPER";
        a.strides = {2, 2};
        check_conv(Shape{1, 3, 13, 12}, Shape{4, 3, 4, 3}, true, a, 4);
    }
    SUBCASE("SAME_LOWER dilation 3") {
        a.auto_pad = "SAME_LOWER";
        a.dilations = {3, 2};
        check_conv(Shape{1, 2, 13, 12}, Shape{3, 2, 3, 3}, true, a, 5);
    }
    SUBCASE("VALID stride 3") {
        a.auto_pad = "VALID";
        a.strides = {3, 2};
        check_conv(Shape{2, 3, 13, 12}, Shape{4, 3, 5, 2}, false, a, 6);
    }
    SUBCASE("1x1 direct path, many tiles") {
        check_conv(Shape{2, 16, 37, 29}, Shape{24, 16, 1, 1}, true, a, 7);
    }
    SUBCASE("1x1 stride 2") {
        a.strides = {2, 2};
        check_conv(Shape{1, 8, 13, 12}, Shape{5, 8, 1, 1}, true, a, 8);
    }
    SUBCASE("large: M split and P tiles, kernel larger than padding") {
        a.pads = {3, 3, 3, 3};
        a.strides = {2, 2};
        check_conv(Shape{1, 3, 45, 47}, Shape{64, 3, 7, 7}, true, a, 9);
    }
    SUBCASE("small spatial, many channels (M blocks)") {
        a.pads = {1, 1, 1, 1};
        check_conv(Shape{1, 96, 7, 7}, Shape{128, 96, 3, 3}, true, a, 10);
    }
}

TEST_CASE("Conv: 1-D and 3-D") {
    ConvAttrs a;
    SUBCASE("1-D stride 2 dilation 2 pads") {
        a.strides = {2};
        a.dilations = {2};
        a.pads = {3, 1};
        check_conv(Shape{2, 4, 31}, Shape{6, 4, 3}, true, a, 11);
    }
    SUBCASE("1-D groups 2") {
        a.group = 2;
        check_conv(Shape{1, 4, 17}, Shape{6, 2, 4}, false, a, 12);
    }
    SUBCASE("3-D stride, dilation, pads") {
        a.strides = {2, 1, 2};
        a.dilations = {1, 2, 1};
        a.pads = {1, 0, 2, 0, 1, 1};
        check_conv(Shape{1, 3, 7, 9, 8}, Shape{4, 3, 3, 2, 3}, true, a, 13);
    }
    SUBCASE("3-D groups SAME_UPPER") {
        a.group = 2;
        a.auto_pad = "SAME_UPPER";
        check_conv(Shape{2, 4, 5, 6, 7}, Shape{4, 2, 2, 3, 3}, true, a, 14);
    }
}

TEST_CASE("Conv: run-time (non-constant) weights") {
    const Tensor X = random_tensor(Shape{1, 3, 13, 12}, 20);
    const Tensor W = random_tensor(Shape{5, 3, 3, 3}, 21);
    ConvAttrs a;
    a.pads = {1, 1, 1, 1};
    const Tensor Yc = run_node("Conv", {X, W}, a.make());
    const Tensor Yr = run_with_sites("Conv", {X, W}, a.make(), SiteConfig{}, false);
    CHECK(Yc.bitwise_equal(Yr));
}

TEST_CASE("Conv: f64 and f16 reference paths") {
    const Tensor X = random_tensor(Shape{1, 2, 7, 6}, 30);
    const Tensor W = random_tensor(Shape{3, 2, 3, 3}, 31);
    const Tensor B = random_tensor(Shape{3}, 32);
    ConvAttrs a;
    a.pads = {1, 0, 0, 1};
    a.strides = {2, 1};
    std::vector<int64_t> os;
    const auto want = naive_conv(X, W, &B, a, os);
    auto conv_to = [](const Tensor& t, DType d) {
        Tensor o(d, t.shape());
        for (int64_t i = 0; i < t.numel(); ++i) {
            if (d == DType::f64) o.data<double>()[i] = t.data<float>()[i];
            else o.data<half>()[i] = half(t.data<float>()[i]);
        }
        return o;
    };
    const Tensor Yd = run_node("Conv", {conv_to(X, DType::f64), conv_to(W, DType::f64), conv_to(B, DType::f64)}, a.make());
    REQUIRE(Yd.dtype() == DType::f64);
    for (size_t i = 0; i < want.size(); ++i) CHECK(Yd.data<double>()[i] == doctest::Approx(want[i]).epsilon(1e-12));
    const Tensor Yh = run_node("Conv", {conv_to(X, DType::f16), conv_to(W, DType::f16), conv_to(B, DType::f16)}, a.make());
    REQUIRE(Yh.dtype() == DType::f16);
    for (size_t i = 0; i < want.size(); ++i) CHECK(static_cast<float>(Yh.data<half>()[i]) == doctest::Approx(want[i]).epsilon(0.01).scale(1));
}

// ---- Gemm / MatMul -------------------------------------------------------------------------------------

TEST_CASE("Gemm: hand-checked 2x3 * 3x2 with alpha, beta, transposes and bias shapes") {
    const Tensor A = Tensor::from_vector<float>(Shape{2, 3}, {1, 2, 3, 4, 5, 6});
    const Tensor B = Tensor::from_vector<float>(Shape{3, 2}, {1, 0, 0, 1, 1, 1});
    // A*B = [[4, 5], [10, 11]]
    CHECK(run_node("Gemm", {A, B}).to_vector<float>() == std::vector<float>{4, 5, 10, 11});
    Attributes at;
    at.set_float("alpha", 2.0);
    at.set_float("beta", 0.5);
    const Tensor Cs = Tensor::from_vector<float>(Shape{}, {10});
    CHECK(run_node("Gemm", {A, B, Cs}, at).to_vector<float>() == std::vector<float>{13, 15, 25, 27});
    const Tensor Cn = Tensor::from_vector<float>(Shape{2}, {2, 4});
    CHECK(run_node("Gemm", {A, B, Cn}, at).to_vector<float>() == std::vector<float>{9, 12, 21, 24});
    const Tensor Cm1 = Tensor::from_vector<float>(Shape{2, 1}, {2, 4});
    CHECK(run_node("Gemm", {A, B, Cm1}, at).to_vector<float>() == std::vector<float>{9, 11, 22, 24});
    const Tensor Cmn = Tensor::from_vector<float>(Shape{2, 2}, {2, 4, 6, 8});
    CHECK(run_node("Gemm", {A, B, Cmn}, at).to_vector<float>() == std::vector<float>{9, 12, 23, 26});
    const Tensor C1n = Tensor::from_vector<float>(Shape{1, 2}, {2, 4});
    CHECK(run_node("Gemm", {A, B, C1n}, at).to_vector<float>() == std::vector<float>{9, 12, 21, 24});
    // transA, transB: A^T given as [3,2], B^T as [2,3].
    const Tensor At = Tensor::from_vector<float>(Shape{3, 2}, {1, 4, 2, 5, 3, 6});
    const Tensor Bt = Tensor::from_vector<float>(Shape{2, 3}, {1, 0, 1, 0, 1, 1});
    Attributes tt;
    tt.set_int("transA", 1);
    tt.set_int("transB", 1);
    CHECK(run_node("Gemm", {At, Bt}, tt).to_vector<float>() == std::vector<float>{4, 5, 10, 11});
}

TEST_CASE("Gemm: random shapes match the naive reference") {
    struct Case {
        int64_t M, N, K;
        bool ta, tb;
        int cshape;  // 0 none, 1 scalar, 2 [N], 3 [M,1], 4 [M,N], 5 [1,N]
        double alpha, beta;
    };
    const std::vector<Case> cases{{1, 1000, 2048, false, true, 2, 1, 1},  {7, 13, 11, false, false, 4, 0.5, 2},
                                  {64, 500, 784, false, true, 5, 1, 1},  {33, 65, 129, true, false, 3, 1.5, -1},
                                  {5, 300, 1, true, true, 1, 1, 1},      {200, 3, 300, false, false, 0, 1, 0},
                                  {130, 257, 96, true, true, 4, 1, 0.25}};
    uint32_t seed = 100;
    for (const auto& c : cases) {
        CAPTURE(c.M);
        CAPTURE(c.N);
        CAPTURE(c.K);
        const Tensor A = random_tensor(c.ta ? Shape{c.K, c.M} : Shape{c.M, c.K}, seed++);
        const Tensor B = random_tensor(c.tb ? Shape{c.N, c.K} : Shape{c.K, c.N}, seed++);
        Tensor C;
        switch (c.cshape) {
            case 1: C = random_tensor(Shape{}, seed++); break;
            case 2: C = random_tensor(Shape{c.N}, seed++); break;
            case 3: C = random_tensor(Shape{c.M, 1}, seed++); break;
            case 4: C = random_tensor(Shape{c.M, c.N}, seed++); break;
            case 5: C = random_tensor(Shape{1, c.N}, seed++); break;
            default: break;
        }
        Attributes at;
        at.set_int("transA", c.ta);
        at.set_int("transB", c.tb);
        at.set_float("alpha", c.alpha);
        at.set_float("beta", c.beta);
        int64_t M, N;
        const auto want = naive_gemm(A, B, C.empty() ? nullptr : &C, c.ta, c.tb, c.alpha, c.beta, M, N);
        std::vector<Tensor> in{A, B};
        if (!C.empty()) in.push_back(C);
        const Tensor Y = run_node("Gemm", in, at);
        CHECK(Y.shape() == Shape{c.M, c.N});
        check_close(Y, want, std::sqrt(static_cast<double>(c.K)) * 2);
        // Non-constant B takes the unpacked path.
        const Tensor Yr = run_with_sites("Gemm", in, at, SiteConfig{}, false);
        check_close(Yr, want, std::sqrt(static_cast<double>(c.K)) * 2);
    }
}

TEST_CASE("MatMul: numpy semantics (1-D promotion, batch broadcasting)") {
    struct Case {
        Shape a, b, out;
    };
    const std::vector<Case> cases{
        {Shape{5}, Shape{5}, Shape{}},
        {Shape{5}, Shape{2, 5, 3}, Shape{2, 3}},
        {Shape{2, 3, 4, 5}, Shape{5}, Shape{2, 3, 4}},
        {Shape{7, 5}, Shape{5, 9}, Shape{7, 9}},
        {Shape{2, 7, 5}, Shape{5, 9}, Shape{2, 7, 9}},
        {Shape{3, 1, 7, 5}, Shape{4, 5, 9}, Shape{3, 4, 7, 9}},
        {Shape{1, 70, 50}, Shape{3, 50, 90}, Shape{3, 70, 90}},
        {Shape{64, 256}, Shape{256, 10}, Shape{64, 10}},
    };
    uint32_t seed = 200;
    for (const auto& c : cases) {
        CAPTURE(c.a.str());
        CAPTURE(c.b.str());
        const Tensor A = random_tensor(c.a, seed++);
        const Tensor B = random_tensor(c.b, seed++);
        const Tensor Y = run_node("MatMul", {A, B});
        CHECK(Y.shape() == c.out);
        // Reference: promote, broadcast, multiply.
        std::vector<int64_t> ad = c.a.dims(), bd = c.b.dims();
        if (ad.size() == 1) ad.insert(ad.begin(), 1);
        if (bd.size() == 1) bd.push_back(1);
        const int64_t M = ad[ad.size() - 2], K = ad.back(), N = bd.back();
        const size_t r = std::max(ad.size(), bd.size()) - 2;
        while (ad.size() - 2 < r) ad.insert(ad.begin(), 1);
        while (bd.size() - 2 < r) bd.insert(bd.begin(), 1);
        std::vector<int64_t> bat(r);
        int64_t nb = 1;
        for (size_t i = 0; i < r; ++i) nb *= (bat[i] = std::max(ad[i], bd[i]));
        std::vector<double> want;
        for (int64_t bi = 0; bi < nb; ++bi) {
            int64_t rem = bi, ao = 0, bo = 0, as = M * K, bs = K * N;
            for (size_t i = r; i-- > 0;) {
                const int64_t idx = rem % bat[i];
                rem /= bat[i];
                ao += (ad[i] == 1 ? 0 : idx) * as;
                bo += (bd[i] == 1 ? 0 : idx) * bs;
                as *= ad[i];
                bs *= bd[i];
            }
            for (int64_t m = 0; m < M; ++m)
                for (int64_t n = 0; n < N; ++n) {
                    double s = 0;
                    for (int64_t k = 0; k < K; ++k) s += static_cast<double>(A.data<float>()[ao + m * K + k]) * B.data<float>()[bo + k * N + n];
                    want.push_back(s);
                }
        }
        check_close(Y, want, std::sqrt(static_cast<double>(K)));
        const Tensor Yr = run_with_sites("MatMul", {A, B}, {}, SiteConfig{}, false);
        check_close(Yr, want, std::sqrt(static_cast<double>(K)));
    }
}

TEST_CASE("Gemm and MatMul: f64 and f16") {
    const Tensor A = Tensor::from_vector<double>(Shape{2, 3}, {1, 2, 3, 4, 5, 6});
    const Tensor B = Tensor::from_vector<double>(Shape{3, 2}, {1, 0, 0, 1, 1, 1});
    const Tensor C = Tensor::from_vector<double>(Shape{2}, {0.5, -0.5});
    CHECK(run_node("Gemm", {A, B, C}).to_vector<double>() == std::vector<double>{4.5, 4.5, 10.5, 10.5});
    CHECK(run_node("MatMul", {A, B}).to_vector<double>() == std::vector<double>{4, 5, 10, 11});
    auto h = [](std::vector<float> v) {
        std::vector<half> o;
        for (float f : v) o.push_back(half(f));
        return o;
    };
    const Tensor Ah = Tensor::from_vector<half>(Shape{2, 3}, h({1, 2, 3, 4, 5, 6}));
    const Tensor Bh = Tensor::from_vector<half>(Shape{3, 2}, h({1, 0, 0, 1, 1, 1}));
    const Tensor Y = run_node("MatMul", {Ah, Bh});
    REQUIRE(Y.dtype() == DType::f16);
    CHECK(static_cast<float>(Y.data<half>()[3]) == 11.0f);
}

// ---- determinism ---------------------------------------------------------------------------------------

TEST_CASE("Conv, Gemm, MatMul: bitwise identical with 1, 2 and 4 threads") {
    struct Job {
        std::string op;
        std::vector<Tensor> in;
        Attributes at;
    };
    std::vector<Job> jobs;
    {
        ConvAttrs a;
        a.pads = {1, 1, 1, 1};
        jobs.push_back({"Conv", {random_tensor(Shape{1, 32, 56, 56}, 1), random_tensor(Shape{64, 32, 3, 3}, 2), random_tensor(Shape{64}, 3)}, a.make()});
        jobs.push_back({"Conv", {random_tensor(Shape{2, 64, 7, 7}, 4), random_tensor(Shape{256, 64, 3, 3}, 5), Tensor{}}, a.make()});
        ConvAttrs b;
        jobs.push_back({"Conv", {random_tensor(Shape{1, 64, 28, 28}, 6), random_tensor(Shape{128, 64, 1, 1}, 7), random_tensor(Shape{128}, 8)}, b.make()});
        ConvAttrs d;
        d.group = 16;
        d.pads = {1, 1, 1, 1};
        d.strides = {2, 2};
        jobs.push_back({"Conv", {random_tensor(Shape{3, 16, 33, 31}, 9), random_tensor(Shape{16, 1, 3, 3}, 10), Tensor{}}, d.make()});
    }
    Attributes tb;
    tb.set_int("transB", 1);
    jobs.push_back({"Gemm", {random_tensor(Shape{1, 4096}, 11), random_tensor(Shape{1000, 4096}, 12), random_tensor(Shape{1000}, 13)}, tb});
    jobs.push_back({"Gemm", {random_tensor(Shape{37, 300}, 14), random_tensor(Shape{300, 333}, 15), random_tensor(Shape{37, 1}, 16)}, Attributes{}});
    jobs.push_back({"MatMul", {random_tensor(Shape{4, 50, 64}, 17), random_tensor(Shape{4, 64, 70}, 18)}, Attributes{}});
    jobs.push_back({"MatMul", {random_tensor(Shape{64, 784}, 19), random_tensor(Shape{784, 300}, 20)}, Attributes{}});
    for (const auto& j : jobs) {
        CAPTURE(j.op);
        CAPTURE(j.in[0].shape().str());
        std::vector<Tensor> outs;
        for_threads([&](int) { outs.push_back(run_node(j.op, j.in, j.at)); });
        REQUIRE(outs.size() == 3);
        CHECK(outs[0].bitwise_equal(outs[1]));
        CHECK(outs[0].bitwise_equal(outs[2]));
        // Repeated runs agree too.
        for_threads([&](int) { CHECK(run_node(j.op, j.in, j.at).bitwise_equal(outs[0])); });
    }
}

// ---- kernel-level mutation sites -----------------------------------------------------------------------

TEST_CASE("Conv, Gemm, MatMul: store and reduction sites") {
    const Tensor X = random_tensor(Shape{1, 3, 13, 12}, 40, -3, 3);
    const Tensor W = random_tensor(Shape{6, 3, 3, 3}, 41, -3, 3);
    const Tensor B = random_tensor(Shape{6}, 42);
    ConvAttrs a;
    a.pads = {1, 1, 1, 1};
    a.strides = {2, 1};
    const Tensor Y = run_node("Conv", {X, W, B}, a.make());
    SUBCASE("default SiteConfig = plain kernel") { CHECK(run_with_sites("Conv", {X, W, B}, a.make(), SiteConfig{}).bitwise_equal(Y)); }
    SUBCASE("store through i8 truncates every value") {
        SiteConfig s;
        s.store = SiteConfig::Store::i8;
        const Tensor Ym = run_with_sites("Conv", {X, W, B}, a.make(), s);
        for (int64_t i = 0; i < Y.numel(); ++i) CHECK(Ym.data<float>()[i] == saturate_trunc<int8_t>(Y.data<float>()[i]));
    }
    SUBCASE("store through f16") {
        SiteConfig s;
        s.store = SiteConfig::Store::f16;
        const Tensor Ym = run_with_sites("Conv", {X, W, B}, a.make(), s);
        for (int64_t i = 0; i < Y.numel(); ++i) CHECK(Ym.data<float>()[i] == static_cast<float>(half(Y.data<float>()[i])));
    }
    SUBCASE("reduction drops the last (c, kh, kw) term") {
        SiteConfig s;
        s.reduction_drop_last = true;
        const Tensor Ym = run_with_sites("Conv", {X, W, B}, a.make(), s);
        std::vector<int64_t> os;
        check_close(Ym, naive_conv(X, W, &B, a, os, true), 10);
        CHECK(!Ym.bitwise_equal(Y));
        // f64 reference path too.
        Tensor Xd(DType::f64, X.shape()), Wd(DType::f64, W.shape()), Bd(DType::f64, B.shape());
        for (int64_t i = 0; i < X.numel(); ++i) Xd.data<double>()[i] = X.data<float>()[i];
        for (int64_t i = 0; i < W.numel(); ++i) Wd.data<double>()[i] = W.data<float>()[i];
        for (int64_t i = 0; i < B.numel(); ++i) Bd.data<double>()[i] = B.data<float>()[i];
        const Tensor Yd = run_with_sites("Conv", {Xd, Wd, Bd}, a.make(), s);
        const auto want = naive_conv(X, W, &B, a, os, true);
        for (size_t i = 0; i < want.size(); ++i) CHECK(Yd.data<double>()[i] == doctest::Approx(want[i]).epsilon(1e-12));
    }
    SUBCASE("Gemm and MatMul drop the last k") {
        const Tensor A = random_tensor(Shape{5, 7}, 43);
        const Tensor Bm = random_tensor(Shape{7, 4}, 44);
        const Tensor C = random_tensor(Shape{4}, 45);
        SiteConfig s;
        s.reduction_drop_last = true;
        int64_t M, N;
        check_close(run_with_sites("Gemm", {A, Bm, C}, {}, s), naive_gemm(A, Bm, &C, false, false, 1, 1, M, N, true), 3);
        check_close(run_with_sites("MatMul", {A, Bm}, {}, s), naive_gemm(A, Bm, nullptr, false, false, 1, 0, M, N, true), 3);
        check_close(run_with_sites("MatMul", {A, Bm}, {}, s, false), naive_gemm(A, Bm, nullptr, false, false, 1, 0, M, N, true), 3);
        SiteConfig st;
        st.store = SiteConfig::Store::i32;
        const Tensor Yg = run_node("Gemm", {A, Bm, C});
        const Tensor Ygm = run_with_sites("Gemm", {A, Bm, C}, {}, st);
        for (int64_t i = 0; i < Yg.numel(); ++i) CHECK(Ygm.data<float>()[i] == std::trunc(Yg.data<float>()[i]));
        const Tensor Ymm = run_with_sites("MatMul", {A, Bm}, {}, st);
        const Tensor Ym = run_node("MatMul", {A, Bm});
        for (int64_t i = 0; i < Ym.numel(); ++i) CHECK(Ymm.data<float>()[i] == std::trunc(Ym.data<float>()[i]));
    }
}

// ---- ConvTranspose --------------------------------------------------------------------------------

namespace {

struct ConvTAttrs {
    std::vector<int64_t> strides, dilations, pads, output_padding, output_shape;
    int64_t group = 1;
    std::string auto_pad = "NOTSET";
    Attributes make() const {
        Attributes a;
        if (!strides.empty()) a.set_ints("strides", strides);
        if (!dilations.empty()) a.set_ints("dilations", dilations);
        if (!pads.empty()) a.set_ints("pads", pads);
        if (!output_padding.empty()) a.set_ints("output_padding", output_padding);
        if (!output_shape.empty()) a.set_ints("output_shape", output_shape);
        if (group != 1) a.set_int("group", group);
        if (auto_pad != "NOTSET") a.set_string("auto_pad", auto_pad);
        return a;
    }
};

// Naive ConvTranspose in double (scatter form of the ONNX definition; pads as the ONNX reference
// derives them).
std::vector<double> naive_convt(const Tensor& X, const Tensor& W, const Tensor* B, const ConvTAttrs& a, std::vector<int64_t>& oshape) {
    const auto xs = X.shape().dims(), ws = W.shape().dims();
    const size_t nsp = xs.size() - 2;
    std::vector<int64_t> st(nsp, 1), dl(nsp, 1), op(nsp, 0), pb(nsp, 0), out(nsp);
    if (!a.strides.empty()) st = a.strides;
    if (!a.dilations.empty()) dl = a.dilations;
    if (!a.output_padding.empty()) op = a.output_padding;
    const bool same = a.auto_pad == "SAME_UPPER" || a.auto_pad == "SAME_LOWER";
    for (size_t i = 0; i < nsp; ++i) {
        const int64_t full = st[i] * (xs[2 + i] - 1) + op[i] + (ws[2 + i] - 1) * dl[i] + 1;
        if (!a.pads.empty() || !same) {
            pb[i] = a.pads.empty() ? 0 : a.pads[i];
            const int64_t pe = a.pads.empty() ? 0 : a.pads[i + nsp];
            out[i] = a.output_shape.empty() ? full - pb[i] - pe : a.output_shape[i];
        } else {
            out[i] = a.output_shape.empty() ? xs[2 + i] * st[i] : a.output_shape[i];
            const int64_t total = full - out[i];
            const int64_t half = static_cast<int64_t>(std::floor(total / 2.0));
            pb[i] = a.auto_pad == "SAME_UPPER" ? half : total - half;
        }
    }
    const int64_t N = xs[0], C = xs[1], G = a.group, Cg = C / G, Mg = ws[1], M = Mg * G;
    oshape = {N, M};
    int64_t P = 1, KK = 1, Pin = 1;
    for (size_t i = 0; i < nsp; ++i) {
        oshape.push_back(out[i]);
        P *= out[i];
        KK *= ws[2 + i];
        Pin *= xs[2 + i];
    }
    std::vector<double> y(static_cast<size_t>(N * M * P), 0.0);
    std::vector<int64_t> ii(nsp), kk(nsp);
    for (int64_t n = 0; n < N; ++n)
        for (int64_t c = 0; c < C; ++c)
            for (int64_t p = 0; p < Pin; ++p) {
                int64_t r = p;
                for (size_t i = nsp; i-- > 0;) { ii[i] = r % xs[2 + i]; r /= xs[2 + i]; }
                for (int64_t m = 0; m < Mg; ++m)
                    for (int64_t t = 0; t < KK; ++t) {
                        int64_t q = t;
                        for (size_t i = nsp; i-- > 0;) { kk[i] = q % ws[2 + i]; q /= ws[2 + i]; }
                        int64_t o = 0;
                        bool inside = true;
                        for (size_t i = 0; i < nsp; ++i) {
                            const int64_t oi = ii[i] * st[i] - pb[i] + kk[i] * dl[i];
                            if (oi < 0 || oi >= out[i]) inside = false;
                            o = o * out[i] + oi;
                        }
                        if (!inside) continue;
                        const int64_t oc = (c / Cg) * Mg + m;
                        y[static_cast<size_t>((n * M + oc) * P + o)] +=
                            static_cast<double>(X.data<float>()[(n * C + c) * Pin + p]) * W.data<float>()[(c * Mg + m) * KK + t];
                    }
            }
    if (B)
        for (int64_t n = 0; n < N; ++n)
            for (int64_t oc = 0; oc < M; ++oc)
                for (int64_t p = 0; p < P; ++p) y[static_cast<size_t>((n * M + oc) * P + p)] += B->data<float>()[oc];
    return y;
}

void check_convt(Shape xs, Shape ws, bool bias, const ConvTAttrs& a, uint32_t seed) {
    const Tensor X = random_tensor(xs, seed);
    const Tensor W = random_tensor(ws, seed + 1);
    const Tensor B = bias ? random_tensor(Shape{ws[1] * a.group}, seed + 2) : Tensor{};
    std::vector<int64_t> os;
    const auto want = naive_convt(X, W, bias ? &B : nullptr, a, os);
    const Tensor Y = run_node("ConvTranspose", {X, W, B}, a.make());
    CHECK(Y.shape() == Shape(os));
    check_close(Y, want, std::sqrt(static_cast<double>(ws.numel() / ws[1])));
}

}  // namespace

TEST_CASE("ConvTranspose: hand-checked values") {
    // ONNX test_convtranspose: 3x3 input 0..8, two 3x3 all-ones filters -> 5x5 sums of windows.
    std::vector<float> xv(9);
    for (int i = 0; i < 9; ++i) xv[static_cast<size_t>(i)] = static_cast<float>(i);
    const Tensor X = Tensor::from_vector<float>(Shape{1, 1, 3, 3}, xv);
    const Tensor W = filled(Shape{1, 2, 3, 3}, 1.0f);
    const Tensor Y = run_node("ConvTranspose", {X, W});
    REQUIRE(Y.shape() == Shape{1, 2, 5, 5});
    const std::vector<float> row0{0, 1, 3, 3, 2}, row2{9, 21, 36, 27, 15};
    for (int c = 0; c < 2; ++c)
        for (int j = 0; j < 5; ++j) {
            CHECK(Y.data<float>()[c * 25 + j] == row0[static_cast<size_t>(j)]);
            CHECK(Y.data<float>()[c * 25 + 10 + j] == row2[static_cast<size_t>(j)]);
        }
    // Stride 3x2 with pads [1,2,1,2] -> 7x3 (ONNX test_convtranspose_pads shape).
    ConvTAttrs a;
    a.strides = {3, 2};
    a.pads = {1, 2, 1, 2};
    CHECK(run_node("ConvTranspose", {X, W}, a.make()).shape() == Shape{1, 2, 7, 3});
    // output_shape 10x8 (one more than the full 9x7: the last row and column are only bias).
    ConvTAttrs o;
    o.strides = {3, 2};
    o.output_shape = {10, 8};
    const Tensor Yo = run_node("ConvTranspose", {X, W, filled(Shape{2}, 0.5f)}, o.make());
    REQUIRE(Yo.shape() == Shape{1, 2, 10, 8});
    CHECK(Yo.data<float>()[9 * 8 + 3] == 0.5f);
    CHECK(Yo.data<float>()[7] == 0.5f);
    CHECK(Yo.data<float>()[0] == 0.5f);  // x[0,0] = 0
    CHECK(Yo.data<float>()[8 + 2] == 1.5f);  // (1,2) <- x[0,0] (kh 1, kw 2) + x[0,1] (kh 1, kw 0) = 0 + 1
}

TEST_CASE("ConvTranspose: random cases match the naive reference") {
    ConvTAttrs a;
    SUBCASE("2-D stride 2 pads output_padding bias") {
        a.strides = {2, 2};
        a.pads = {1, 0, 2, 1};
        a.output_padding = {1, 0};
        check_convt(Shape{2, 3, 7, 6}, Shape{3, 4, 3, 3}, true, a, 50);
    }
    SUBCASE("groups 2 dilation 2") {
        a.group = 2;
        a.dilations = {2, 2};
        a.strides = {1, 2};
        check_convt(Shape{1, 4, 5, 6}, Shape{4, 3, 3, 2}, true, a, 51);
    }
    SUBCASE("SAME_UPPER and SAME_LOWER") {
        a.strides = {2, 3};
        a.auto_pad = "SAME_UPPER";
        check_convt(Shape{1, 2, 5, 4}, Shape{2, 3, 3, 4}, true, a, 52);
        a.auto_pad = "SAME_LOWER";
        check_convt(Shape{1, 2, 5, 4}, Shape{2, 3, 3, 4}, true, a, 53);
    }
    SUBCASE("output_shape smaller than full") {
        a.strides = {2, 2};
        a.output_shape = {10, 9};
        check_convt(Shape{1, 2, 6, 5}, Shape{2, 2, 3, 3}, false, a, 54);
    }
    SUBCASE("1-D and 3-D") {
        a.strides = {3};
        check_convt(Shape{2, 3, 9}, Shape{3, 2, 4}, true, a, 55);
        ConvTAttrs b;
        b.strides = {2, 1, 2};
        b.pads = {0, 1, 1, 1, 0, 0};
        check_convt(Shape{1, 2, 3, 4, 5}, Shape{2, 3, 2, 3, 3}, true, b, 56);
    }
    SUBCASE("large enough to split blocks") {
        a.strides = {2, 2};
        a.pads = {1, 1, 1, 1};
        a.output_padding = {1, 1};
        check_convt(Shape{2, 64, 14, 13}, Shape{64, 32, 3, 3}, true, a, 57);
    }
}

TEST_CASE("ConvTranspose: determinism, sites and errors") {
    ConvTAttrs a;
    a.strides = {2, 2};
    a.pads = {1, 1, 1, 1};
    const Tensor X = random_tensor(Shape{2, 64, 15, 14}, 60);
    const Tensor W = random_tensor(Shape{64, 48, 3, 3}, 61);
    const Tensor B = random_tensor(Shape{48}, 62);
    std::vector<Tensor> outs;
    for_threads([&](int) { outs.push_back(run_node("ConvTranspose", {X, W, B}, a.make())); });
    CHECK(outs[0].bitwise_equal(outs[1]));
    CHECK(outs[0].bitwise_equal(outs[2]));
    SiteConfig st;
    st.store = SiteConfig::Store::i16;
    const Tensor Ym = run_with_sites("ConvTranspose", {X, W, B}, a.make(), st);
    for (int64_t i = 0; i < Ym.numel(); ++i) CHECK(Ym.data<float>()[i] == saturate_trunc<int16_t>(outs[0].data<float>()[i]));
    // drop_last: the last input channel of each group is left out of every sum.
    SiteConfig dl;
    dl.reduction_drop_last = true;
    Tensor X0 = X.clone();
    for (int64_t n = 0; n < 2; ++n)
        std::fill(X0.data<float>() + (n * 64 + 63) * 15 * 14, X0.data<float>() + (n * 64 + 64) * 15 * 14, 0.0f);
    std::vector<int64_t> os;
    check_close(run_with_sites("ConvTranspose", {X, W, B}, a.make(), dl), naive_convt(X0, W, &B, a, os), 10);
    auto t = [](Shape s) { return Tensor(DType::f32, std::move(s)); };
    auto expect_error = [&](const std::vector<Tensor>& in, const Attributes& at, const std::string& what) {
        CAPTURE(what);
        try {
            infer_node("ConvTranspose", in, at);
            FAIL("no error");
        } catch (const Error& e) {
            CHECK(std::string(e.what()).find(what) != std::string::npos);
        }
    };
    expect_error({t(Shape{1, 4, 5, 5}), t(Shape{3, 2, 3, 3})}, {}, "ConvTranspose channels do not match the weights");
    Attributes g3;
    g3.set_int("group", 3);
    expect_error({t(Shape{1, 4, 5, 5}), t(Shape{4, 2, 3, 3})}, g3, "group does not divide the input channels");
    Attributes p;
    p.set_ints("pads", {1, 1});
    expect_error({t(Shape{1, 4, 5, 5}), t(Shape{4, 2, 3, 3})}, p, "pads have the wrong length");
    Attributes big;
    big.set_ints("pads", {5, 5, 5, 5});
    expect_error({t(Shape{1, 4, 2, 2}), t(Shape{4, 2, 3, 3})}, big, "output would be empty");
    expect_error({t(Shape{1, 4, 5, 5}), t(Shape{4, 2, 3, 3}), t(Shape{4})}, {}, "bias B does not match");
}

// ---- errors --------------------------------------------------------------------------------------------

TEST_CASE("Conv: bad inputs are reported with what and why") {
    auto t = [](Shape s) { return Tensor(DType::f32, std::move(s)); };
    auto expect_error = [&](const std::vector<Tensor>& in, const Attributes& at, const std::string& what) {
        CAPTURE(what);
        try {
            infer_node("Conv", in, at);
            FAIL("no error");
        } catch (const Error& e) {
            CHECK(std::string(e.what()).find(what) != std::string::npos);
            CHECK(std::string(e.what()).find("node 'bad' (Conv)") != std::string::npos);
        }
    };
    expect_error({t(Shape{1, 4, 8, 8}), t(Shape{2, 3, 3, 3})}, {}, "Conv channels do not match the weights");
    Attributes g2;
    g2.set_int("group", 2);
    expect_error({t(Shape{1, 4, 8, 8}), t(Shape{3, 2, 3, 3})}, g2, "Conv group does not divide the output channels");
    Attributes g3;
    g3.set_int("group", 3);
    expect_error({t(Shape{1, 4, 8, 8}), t(Shape{3, 1, 3, 3})}, g3, "Conv channels do not match the weights");
    Attributes pads;
    pads.set_ints("pads", {1, 1});
    expect_error({t(Shape{1, 3, 8, 8}), t(Shape{2, 3, 3, 3})}, pads, "Conv pads have the wrong length");
    Attributes strides;
    strides.set_ints("strides", {1, 1, 1});
    expect_error({t(Shape{1, 3, 8, 8}), t(Shape{2, 3, 3, 3})}, strides, "Conv strides have the wrong length");
    Attributes ks;
    ks.set_ints("kernel_shape", {5, 5});
    expect_error({t(Shape{1, 3, 8, 8}), t(Shape{2, 3, 3, 3})}, ks, "kernel_shape does not match");
    expect_error({t(Shape{1, 3, 2, 8}), t(Shape{2, 3, 3, 3})}, {}, "Conv output would be empty");
    expect_error({t(Shape{1, 3, 8, 8}), t(Shape{2, 3, 3})}, {}, "Conv weights W do not match X");
    expect_error({t(Shape{3, 8}), t(Shape{2, 3, 3})}, {}, "unsupported rank");
    expect_error({t(Shape{1, 3, 8, 8}), t(Shape{2, 3, 3, 3}), t(Shape{3})}, {}, "Conv bias B does not match");
    Attributes ap;
    ap.set_string("auto_pad", "SAME");
    expect_error({t(Shape{1, 3, 8, 8}), t(Shape{2, 3, 3, 3})}, ap, "auto_pad is unknown");
    expect_error({t(Shape{1, 3, 8, 8}), Tensor(DType::f64, Shape{2, 3, 3, 3})}, {}, "input dtypes differ");
    expect_error({Tensor(DType::i32, Shape{1, 3, 8, 8}), Tensor(DType::i32, Shape{2, 3, 3, 3})}, {}, "unsupported input dtype");
}

TEST_CASE("Gemm and MatMul: bad inputs are reported with what and why") {
    auto t = [](Shape s) { return Tensor(DType::f32, std::move(s)); };
    auto expect_error = [&](const std::string& op, const std::vector<Tensor>& in, const Attributes& at, const std::string& what) {
        CAPTURE(what);
        try {
            infer_node(op, in, at);
            FAIL("no error");
        } catch (const Error& e) {
            CHECK(std::string(e.what()).find(what) != std::string::npos);
            CHECK(std::string(e.what()).find("node 'bad'") != std::string::npos);
        }
    };
    expect_error("Gemm", {t(Shape{2, 3}), t(Shape{4, 5})}, {}, "Gemm inner dimensions differ");
    Attributes tb;
    tb.set_int("transB", 1);
    expect_error("Gemm", {t(Shape{2, 3}), t(Shape{3, 5})}, tb, "Gemm inner dimensions differ");
    expect_error("Gemm", {t(Shape{2, 3, 1}), t(Shape{3, 5})}, {}, "Gemm input A is not a matrix");
    expect_error("Gemm", {t(Shape{2, 3}), t(Shape{3})}, {}, "Gemm input B is not a matrix");
    expect_error("Gemm", {t(Shape{2, 3}), t(Shape{3, 5}), t(Shape{3})}, {}, "Gemm bias C does not broadcast");
    expect_error("Gemm", {t(Shape{2, 3}), t(Shape{3, 5}), t(Shape{5, 2})}, {}, "Gemm bias C does not broadcast");
    expect_error("Gemm", {t(Shape{2, 3}), t(Shape{3, 5}), t(Shape{1, 2, 5})}, {}, "Gemm bias C does not broadcast");
    expect_error("MatMul", {t(Shape{2, 3}), t(Shape{4, 5})}, {}, "MatMul inner dimensions differ");
    expect_error("MatMul", {t(Shape{3}), t(Shape{4})}, {}, "MatMul inner dimensions differ");
    expect_error("MatMul", {t(Shape{2, 2, 3}), t(Shape{3, 3, 5})}, {}, "MatMul batch dimensions do not broadcast");
    expect_error("MatMul", {t(Shape{}), t(Shape{3, 5})}, {}, "MatMul operand is a scalar");
    expect_error("MatMul", {t(Shape{2, 3}), Tensor(DType::f64, Shape{3, 5})}, {}, "input dtypes differ");
}
