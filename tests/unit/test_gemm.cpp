// Gemm and MatMul: hand-checked values, naive reference loops on random shapes, numpy MatMul
// semantics, the f64 and f16 paths, and a clear Error for each bad input.
#include <doctest/doctest.h>

#include "kernel_harness.hpp"
#include "naive_linear.hpp"

using namespace mutiny;
using namespace kernel_harness;
using namespace naive_linear;

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
