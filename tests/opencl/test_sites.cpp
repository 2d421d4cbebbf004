// Kernel-level mutation sites on both backends: each site changed by a SiteConfig
// changes the result as specified, and the CPU and OpenCL results are bitwise identical (inputs
// are chosen so that every sum is exact, so no summation order can differ).
#include "opencl_test_util.hpp"

#include <mutiny/ops/common.hpp>

#include <cstring>

using namespace mutiny;
using namespace octest;

#if MUTINY_WITH_OPENCL

namespace {

using Cmp = SiteConfig::Cmp;
using Store = SiteConfig::Store;
using Shift = SiteConfig::Shift;

// One-node graph over input x (shape xs) and optional constant inputs.
Graph one_node(const std::string& op, const Shape& xs, const std::vector<Tensor>& consts = {}, Attributes at = {}) {
    GraphBuilder b("sites_" + op);
    std::vector<std::string> ins{b.input("x", DType::f32, xs)};
    for (size_t i = 0; i < consts.size(); ++i) ins.push_back(b.constant("c" + std::to_string(i), consts[i]));
    b.output(b.node(op, ins, at, "n"));
    return b.build();
}

Tensor tensor(const Shape& s, const std::vector<float>& v) { return Tensor::from_vector<float>(s, v); }

// Runs g on both backends with `sites` on node "n"; checks they agree bit for bit; returns the result.
Tensor run_both(const Graph& g, const Tensor& x, const SiteConfig& sites, bool per_node = false) {
    CpuOptions co;
    co.threads = 2;
    OpenClOptions oo;
    if (per_node) {
        co.node_sites["n"] = sites;
        oo.node_sites["n"] = sites;
    } else {
        co.sites = sites;
        oo.sites = sites;
    }
    CpuExecutor cpu(g, co);
    OpenClExecutor ocl(g, oo);
    const Tensor a = cpu.run({x})[0];
    const Tensor b = ocl.run({x})[0];
    CHECK_MESSAGE(a.bitwise_equal(b), "CPU and OpenCL differ under the site configuration");
    return b;
}

std::vector<float> values(const Tensor& t) { return t.to_vector<float>(); }

SiteConfig cmp(Cmp c) {
    SiteConfig s;
    s.cmp = c;
    return s;
}
SiteConfig store(Store st) {
    SiteConfig s;
    s.store = st;
    return s;
}

}  // namespace

TEST_CASE("comparison sites: Relu, Clip, MaxPool") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    const std::vector<float> xv{-2.5f, -0.0f, 0.0f, 0.25f, 0.5f, 0.75f, 3.0f, -1.0f};
    const Tensor x = tensor({8}, xv);
    const Graph relu = one_node("Relu", {8});

    const auto plain = values(run_both(relu, x, SiteConfig{}));
    for (size_t i = 0; i < xv.size(); ++i) CHECK(plain[i] == (xv[i] < 0 ? 0.0f : xv[i]));

    // LT -> LE: x <= 0 ? 0 : x turns -0 into +0 (a bit, not a value, changes).
    const auto le = values(run_both(relu, x, cmp(Cmp::lt_to_le)));
    CHECK(std::signbit(plain[1]));
    CHECK(!std::signbit(le[1]));
    // LT -> GT: x > 0 ? 0 : x keeps the negatives and zeroes the positives.
    const auto gt = values(run_both(relu, x, cmp(Cmp::lt_to_gt)));
    for (size_t i = 0; i < xv.size(); ++i) CHECK(gt[i] == (xv[i] > 0 ? 0.0f : xv[i]));
    // Threshold shift, add 0.5: x < 0 + 0.5 ? 0 : x.
    SiteConfig sh;
    sh.shift = Shift::add;
    sh.threshold = 0.5;
    const auto shifted = values(run_both(relu, x, sh));
    for (size_t i = 0; i < xv.size(); ++i) CHECK(shifted[i] == (xv[i] < 0.5f ? 0.0f : xv[i]));
    // Threshold shift, sub_percent on b = 0 changes nothing (|0| * t / 100 = 0).
    sh.shift = Shift::sub_percent;
    sh.threshold = 10;
    CHECK(values(run_both(relu, x, sh)) == plain);

    // Clip [0, 1]: x < lo and x > hi are the sites; GT -> LT clamps everything below hi to hi.
    const Graph clip = one_node("Clip", {8}, {Tensor::scalar<float>(0.0f), Tensor::scalar<float>(1.0f)});
    const auto cl = values(run_both(clip, x, SiteConfig{}));
    for (size_t i = 0; i < xv.size(); ++i) CHECK(cl[i] == std::min(1.0f, std::max(0.0f, xv[i])));
    const auto cl2 = values(run_both(clip, x, cmp(Cmp::gt_to_lt)));
    for (size_t i = 0; i < xv.size(); ++i) {
        const float v = xv[i] < 0 ? 0.0f : xv[i];
        CHECK(cl2[i] == (v < 1.0f ? 1.0f : v));
    }

    // MaxPool: the max comparison GT -> LT makes it a min pool.
    Attributes at;
    at.set_ints("kernel_shape", {2, 2});
    at.set_ints("strides", {2, 2});
    const Graph mp = one_node("MaxPool", {1, 1, 4, 4}, {}, at);
    std::vector<float> pv(16);
    for (int i = 0; i < 16; ++i) pv[static_cast<size_t>(i)] = static_cast<float>((i * 7) % 16) - 5.0f;
    const Tensor px = tensor({1, 1, 4, 4}, pv);
    const auto mx = values(run_both(mp, px, SiteConfig{}));
    const auto mn = values(run_both(mp, px, cmp(Cmp::gt_to_lt)));
    for (int oh = 0; oh < 2; ++oh)
        for (int ow = 0; ow < 2; ++ow) {
            float hi = -1e30f, lo = 1e30f;
            for (int a = 0; a < 2; ++a)
                for (int b = 0; b < 2; ++b) {
                    const float v = pv[static_cast<size_t>((2 * oh + a) * 4 + 2 * ow + b)];
                    hi = std::max(hi, v);
                    lo = std::min(lo, v);
                }
            CHECK(mx[static_cast<size_t>(oh * 2 + ow)] == hi);
            CHECK(mn[static_cast<size_t>(oh * 2 + ow)] == lo);
        }
}

TEST_CASE("store sites: narrower types saturate and truncate, epsilon stores") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    // LeakyRelu (alpha 0.5) stores every result through the store site.
    Attributes at;
    at.set_float("alpha", 0.5);
    const Graph g = one_node("LeakyRelu", {8}, {}, at);
    const std::vector<float> xv{300.7f, 3.9f, -3.9f, -1000.0f, 1.0f, 1e-7f, 70000.5f, 0.1f};
    const Tensor x = tensor({8}, xv);
    const auto plain = values(run_both(g, x, SiteConfig{}));
    // f32 -> i8: truncate toward zero, saturate at -128 / 127.
    const auto i8 = values(run_both(g, x, store(Store::i8)));
    const std::vector<float> want_i8{127, 3, -1, -128, 1, 0, 127, 0};
    CHECK(i8 == want_i8);
    const auto i16 = values(run_both(g, x, store(Store::i16)));
    CHECK(i16[0] == 300.0f);
    CHECK(i16[3] == -500.0f);
    CHECK(i16[6] == 32767.0f);
    const auto i32 = values(run_both(g, x, store(Store::i32)));
    CHECK(i32[6] == 70000.0f);
    // f32 -> f16 (round to nearest even): 70000.5 overflows to inf, 0.1 rounds.
    const auto f16 = values(run_both(g, x, store(Store::f16)));
    CHECK(std::isinf(f16[6]));
    CHECK(f16[7] == static_cast<float>(half(0.1f)));
    CHECK(f16[7] != 0.1f);
    // v - 1e-8 and v * (1 + 1e-8): bit-identical to the plain result where 1e-8 is below the
    // rounding (the mutant is then equivalent), different for tiny values.
    const auto sub = values(run_both(g, x, store(Store::sub_eps)));
    CHECK(sub[4] == plain[4]);
    CHECK(sub[5] != plain[5]);
    CHECK(sub[5] == 1e-7f - 1e-8f);
    const auto mul = values(run_both(g, x, store(Store::mul_eps)));
    CHECK(mul == plain);
    for (size_t i = 0; i < xv.size(); ++i) {
        SiteConfig s = store(Store::i8);
        CHECK(i8[i] == site_store(&s, plain[i]));
    }
}

TEST_CASE("reduction sites: one accumulation term fewer") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    SiteConfig drop;
    drop.reduction_drop_last = true;
    // GlobalAveragePool: sum of the first size-1 values, divided by size.
    {
        const Graph g = one_node("GlobalAveragePool", {1, 2, 2, 2});
        const Tensor x = tensor({1, 2, 2, 2}, {1, 2, 3, 4, 10, 20, 30, 40});
        CHECK(values(run_both(g, x, SiteConfig{})) == std::vector<float>{2.5f, 25.0f});
        CHECK(values(run_both(g, x, drop)) == std::vector<float>{1.5f, 15.0f});
    }
    // Gemm with integer values (exact sums): y = sum_{k < K-1} a_k b_k + c.
    {
        const Tensor w = tensor({3, 2}, {1, 2, 3, 4, 5, 6});
        const Tensor c = tensor({2}, {100, 200});
        const Graph g = one_node("Gemm", {1, 3}, {w, c});
        const Tensor x = tensor({1, 3}, {1, 10, 100});
        CHECK(values(run_both(g, x, SiteConfig{})) == std::vector<float>{100 + 1 + 30 + 500, 200 + 2 + 40 + 600});
        CHECK(values(run_both(g, x, drop)) == std::vector<float>{100 + 1 + 30, 200 + 2 + 40});
    }
    // Conv 2x2 over 2 channels: the last tap of the last channel is dropped (K = 8 -> 7).
    {
        std::vector<float> wv(8);
        for (int i = 0; i < 8; ++i) wv[static_cast<size_t>(i)] = static_cast<float>(i + 1);
        const Graph g = one_node("Conv", {1, 2, 2, 2}, {tensor({1, 2, 2, 2}, wv), tensor({1}, {0.5f})});
        const Tensor x = tensor({1, 2, 2, 2}, {1, 1, 1, 1, 1, 1, 1, 2});
        CHECK(values(run_both(g, x, SiteConfig{})) == std::vector<float>{0.5f + 36 + 8});
        CHECK(values(run_both(g, x, drop)) == std::vector<float>{0.5f + 28});
    }
    // MaxPool: the last tap of every window is skipped.
    {
        Attributes at;
        at.set_ints("kernel_shape", {2});
        const Graph g = one_node("MaxPool", {1, 1, 4}, {}, at);
        const Tensor x = tensor({1, 1, 4}, {1, 5, 2, 0});
        CHECK(values(run_both(g, x, SiteConfig{})) == std::vector<float>{5, 5, 2});
        CHECK(values(run_both(g, x, drop)) == std::vector<float>{1, 5, 2});
    }
    // Softmax over 2 of exp-exact values: the sum loses its last term.
    {
        const Graph g = one_node("Softmax", {1, 2});
        const Tensor x = tensor({1, 2}, {0, 0});
        CHECK(values(run_both(g, x, SiteConfig{})) == std::vector<float>{0.5f, 0.5f});
        CHECK(values(run_both(g, x, drop)) == std::vector<float>{1.0f, 1.0f});
    }
}

TEST_CASE("a site on one node changes only that node; a kernel mutant is a cached rebuild") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    GraphBuilder b("two_relus");
    const auto x = b.input("x", DType::f32, {4});
    const auto r1 = b.node("Relu", {x}, {}, "n");
    const auto r2 = b.node("Neg", {r1}, {}, "neg");
    b.output(b.node("Relu", {r2}, {}, "m"));
    const Graph g = b.build();
    const Tensor in = tensor({4}, {-1, 2, -3, 4});
    const auto y = values(run_both(g, in, cmp(Cmp::lt_to_gt), true));
    // n keeps the negatives (-1, 0, -3, 0); Neg gives (1, 0, 3, 0); m is unmutated.
    CHECK(y == std::vector<float>{1, 0, 3, 0});

    OpenClOptions oo;
    oo.sites.store = Store::i16;
    OpenClExecutor first(g, oo);
    first.prepare(1);
    const auto before = first.program_stats();
    OpenClExecutor second(g, oo);  // the same mutant again: every program from the cache
    second.prepare(1);
    const auto after = second.program_stats();
    CHECK(after.built == before.built);
    CHECK(after.memory_hits > before.memory_hits);
}

#else
TEST_CASE("OpenCL sites") { mutiny_test::missing("OpenCL support (built without MUTINY_WITH_OPENCL)"); }
#endif
