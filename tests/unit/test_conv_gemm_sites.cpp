// Conv, Gemm and MatMul together: bitwise identical results under 1, 2 and 4 TBB threads, and the
// kernel-level mutation sites (store precision, reduction bound) against the naive references.
#include <doctest/doctest.h>

#include "kernel_harness.hpp"
#include "naive_linear.hpp"

using namespace mutiny;
using namespace kernel_harness;
using namespace naive_linear;

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
