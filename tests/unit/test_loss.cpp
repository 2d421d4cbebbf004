// The loss family (NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss) beyond the ONNX node tests:
// hand-checked values for every reduction, weights, ignore_index (mean divides by the sum of the
// weights applied: ignored targets apply none), the log_prob output, a target out of range as an
// Error naming it and the valid range, and bitwise equality across thread counts.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include <mutiny/mutiny.hpp>

using namespace mutiny;

namespace {

// The outputs of one loss node on x, target (and weight when given), all fed at run time.
std::vector<Tensor> loss(const std::string& op, const Tensor& x, const Tensor& t, const Tensor* w, Attributes at, size_t nout = 1, int threads = 2) {
    GraphBuilder b("loss");
    b.input("x", x.dtype(), x.shape());
    b.input("t", t.dtype(), t.shape());
    std::vector<std::string> in{"x", "t"};
    std::vector<Tensor> feed{x, t};
    if (w) {
        b.input("w", w->dtype(), w->shape());
        in.push_back("w");
        feed.push_back(*w);
    }
    for (const auto& o : b.nodes(op, in, nout, at)) b.output(o);
    CpuOptions o;
    o.threads = threads;
    CpuExecutor ex(b.build(), o);
    return ex.run(feed);
}

Attributes red(const std::string& r) {
    Attributes a;
    a.set_string("reduction", r);
    return a;
}

Attributes red_ii(const std::string& r, int64_t ii) {
    Attributes a = red(r);
    a.set_int("ignore_index", ii);
    return a;
}

template <class T>
std::vector<T> values(const Tensor& t) {
    const T* p = t.data<T>();
    return std::vector<T>(p, p + t.numel());
}

const char* nll = "NegativeLogLikelihoodLoss";
const char* sce = "SoftmaxCrossEntropyLoss";

}  // namespace

TEST_CASE("NegativeLogLikelihoodLoss: reductions, weights, ignore_index") {
    const Tensor x = Tensor::from_vector<float>(Shape{2, 3}, {-1, -2, -3, -0.5f, -1.5f, -2.5f});
    const Tensor t = Tensor::from_vector<int64_t>(Shape{2}, {2, 0});
    const Tensor w = Tensor::from_vector<float>(Shape{3}, {1, 2, 4});
    Tensor y = loss(nll, x, t, nullptr, red("none"))[0];
    CHECK(y.shape() == Shape{2});
    CHECK(values<float>(y) == std::vector<float>{3, 0.5f});
    y = loss(nll, x, t, nullptr, red("sum"))[0];
    CHECK(y.shape() == Shape{});
    CHECK(y.data<float>()[0] == 3.5f);
    CHECK(loss(nll, x, t, nullptr, {})[0].data<float>()[0] == 1.75f);  // mean is the default
    CHECK(values<float>(loss(nll, x, t, &w, red("none"))[0]) == std::vector<float>{12, 0.5f});
    CHECK(loss(nll, x, t, &w, red("sum"))[0].data<float>()[0] == 12.5f);
    CHECK(loss(nll, x, t, &w, red("mean"))[0].data<float>()[0] == 2.5f);  // 12.5 / (4 + 1)
    // ignore_index 0: the second target is ignored and applies no weight
    CHECK(values<float>(loss(nll, x, t, nullptr, red_ii("none", 0))[0]) == std::vector<float>{3, 0});
    CHECK(loss(nll, x, t, nullptr, red_ii("mean", 0))[0].data<float>()[0] == 3.0f);
    CHECK(loss(nll, x, t, &w, red_ii("mean", 0))[0].data<float>()[0] == 3.0f);  // 12 / 4
    // every target ignored: 0 / 0
    const Tensor t2 = Tensor::from_vector<int32_t>(Shape{2}, {-7, -7});
    CHECK(std::isnan(loss(nll, x, t2, &w, red_ii("mean", -7))[0].data<float>()[0]));
    CHECK(loss(nll, x, t2, &w, red_ii("sum", -7))[0].data<float>()[0] == 0.0f);
}

TEST_CASE("NegativeLogLikelihoodLoss: (N, C, d1) input") {
    // x[n][c][d] = -(n * 6 + c * 2 + d)
    std::vector<float> xv(12);
    for (int i = 0; i < 12; ++i) xv[static_cast<size_t>(i)] = -static_cast<float>(i);
    const Tensor x = Tensor::from_vector<float>(Shape{2, 3, 2}, xv);
    const Tensor t = Tensor::from_vector<int64_t>(Shape{2, 2}, {1, 2, 0, 1});
    // picks x[0][1][0] = -2, x[0][2][1] = -5, x[1][0][0] = -6, x[1][1][1] = -9
    const Tensor y = loss(nll, x, t, nullptr, red("none"))[0];
    CHECK(y.shape() == Shape{2, 2});
    CHECK(values<float>(y) == std::vector<float>{2, 5, 6, 9});
    CHECK(loss(nll, x, t, nullptr, red("mean"))[0].data<float>()[0] == 5.5f);
}

TEST_CASE("Loss: a target out of range is an Error; bad shapes and attributes too") {
    const Tensor x = Tensor::from_vector<float>(Shape{2, 3}, {-1, -2, -3, -0.5f, -1.5f, -2.5f});
    const Tensor t = Tensor::from_vector<int64_t>(Shape{2}, {2, 3});
    CHECK_THROWS_WITH_AS(loss(nll, x, t, nullptr, red("sum")),
                         doctest::Contains("target 3 (element 1 of the target) for 3 classes; the valid range is [0, 2]"), Error);
    CHECK_THROWS_WITH_AS(loss(sce, x, Tensor::from_vector<int64_t>(Shape{2}, {-1, 0}), nullptr, red_ii("sum", -100)),
                         doctest::Contains("target -1"), Error);
    CHECK_THROWS_WITH_AS(loss(nll, x, Tensor::from_vector<int64_t>(Shape{3}, {0, 0, 0}), nullptr, red("sum")), doctest::Contains("target of a wrong shape"),
                         Error);
    const Tensor w = Tensor::from_vector<float>(Shape{2}, {1, 1});
    CHECK_THROWS_WITH_AS(loss(nll, x, Tensor::from_vector<int64_t>(Shape{2}, {0, 0}), &w, red("sum")), doctest::Contains("weight of a wrong shape"), Error);
    CHECK_THROWS_WITH_AS(loss(nll, x, Tensor::from_vector<int64_t>(Shape{2}, {0, 0}), nullptr, red("avg")), doctest::Contains("unsupported reduction"), Error);
}

TEST_CASE("SoftmaxCrossEntropyLoss: hand-checked values and the log_prob output") {
    const Tensor x = Tensor::from_vector<float>(Shape{2, 3}, {0, 0, 0, 1, 2, 3});
    const Tensor t = Tensor::from_vector<int64_t>(Shape{2}, {0, 2});
    const double lse = 3.0 + std::log(1.0 + std::exp(-1.0) + std::exp(-2.0));
    auto y = loss(sce, x, t, nullptr, red("none"), 2);
    CHECK(y[0].shape() == Shape{2});
    CHECK(y[0].data<float>()[0] == doctest::Approx(std::log(3.0)).epsilon(1e-6));
    CHECK(y[0].data<float>()[1] == doctest::Approx(lse - 3.0).epsilon(1e-6));
    CHECK(y[1].shape() == Shape{2, 3});
    CHECK(y[1].data<float>()[4] == doctest::Approx(2.0 - lse).epsilon(1e-6));
    const Tensor w = Tensor::from_vector<float>(Shape{3}, {2, 1, 0.5f});
    const float m = loss(sce, x, t, &w, red("mean"))[0].data<float>()[0];
    CHECK(m == doctest::Approx((2 * std::log(3.0) + 0.5 * (lse - 3.0)) / 2.5).epsilon(1e-6));
    // without the second output the loss is the same
    CHECK(loss(sce, x, t, &w, red("mean"), 2)[0].data<float>()[0] == m);
    CHECK(loss(sce, x, t, nullptr, red_ii("sum", 0))[0].data<float>()[0] == y[0].data<float>()[1]);
}

TEST_CASE("Loss: bitwise the same for 1 and 2 threads") {
    const int64_t n = 16, c = 5, d = 3000;
    std::vector<float> xv(static_cast<size_t>(n * c * d));
    std::vector<int64_t> tv(static_cast<size_t>(n * d));
    uint32_t s = 11;
    for (auto& v : xv) {
        s = s * 1664525u + 1013904223u;
        v = static_cast<float>(s >> 8) / 16777216.0f * 8.0f - 4.0f;
    }
    for (auto& v : tv) {
        s = s * 1664525u + 1013904223u;
        v = static_cast<int64_t>((s >> 16) % 6) - 1;  // -1 is ignored
    }
    const Tensor x = Tensor::from_vector<float>(Shape{n, c, d}, xv);
    const Tensor t = Tensor::from_vector<int64_t>(Shape{n, d}, tv);
    for (const char* r : {"none", "mean"}) {
        const auto a = loss(sce, x, t, nullptr, red_ii(r, -1), 2, 1);
        const auto b = loss(sce, x, t, nullptr, red_ii(r, -1), 2, 2);
        CHECK(a[0].bitwise_equal(b[0]));
        CHECK(a[1].bitwise_equal(b[1]));
    }
}
