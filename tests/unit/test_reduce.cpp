// Reductions and ArgMax/ArgMin beyond the ONNX node tests (which cover axes, keepdims and random
// values): empty sets give the operation's identity, NaN propagates, integer sums wrap as the
// reference's int64-then-cast does, the double accumulation is exact where float32 sums drift, and
// results are bitwise the same for 1 and 2 threads.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <mutiny/mutiny.hpp>

using namespace mutiny;

namespace {

// y = op(x[, axes]) with x fed at run time.
Tensor reduce(const std::string& op, const Tensor& x, const std::vector<int64_t>* axes, Attributes at = {}, int threads = 2) {
    GraphBuilder b("reduce");
    b.input("x", x.dtype(), x.shape());
    std::vector<std::string> in{"x"};
    if (axes) in.push_back(b.constant("axes", Tensor::from_vector<int64_t>(Shape{static_cast<int64_t>(axes->size())}, *axes)));
    b.output(b.node(op, in, at));
    CpuOptions o;
    o.threads = threads;
    CpuExecutor ex(b.build(), o);
    return ex.run({x})[0];
}

Attributes keep(int64_t k) {
    Attributes a;
    a.set_int("keepdims", k);
    return a;
}

}  // namespace

TEST_CASE("Reduce*: an empty set gives the identity of the operation") {
    const Tensor x(DType::f32, Shape{2, 0, 3});
    const std::vector<int64_t> ax{1};
    CHECK(reduce("ReduceSum", x, &ax).shape() == Shape{2, 1, 3});
    CHECK(reduce("ReduceSum", x, &ax).data<float>()[0] == 0.0f);
    CHECK(reduce("ReduceProd", x, &ax).data<float>()[0] == 1.0f);
    CHECK(reduce("ReduceMax", x, &ax).data<float>()[0] == -std::numeric_limits<float>::infinity());
    CHECK(reduce("ReduceMin", x, &ax).data<float>()[0] == std::numeric_limits<float>::infinity());
    CHECK(std::isnan(reduce("ReduceMean", x, &ax).data<float>()[0]));
    CHECK(reduce("ReduceLogSumExp", x, &ax).data<float>()[0] == -std::numeric_limits<float>::infinity());
    CHECK(reduce("ReduceL2", x, &ax).data<float>()[0] == 0.0f);
}

TEST_CASE("Reduce*: NaN propagates through max, min and sums; ArgMax picks the first NaN") {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const Tensor x = Tensor::from_vector<float>(Shape{1, 4}, {1.0f, nan, 5.0f, nan});
    const std::vector<int64_t> ax{1};
    CHECK(std::isnan(reduce("ReduceMax", x, &ax).data<float>()[0]));
    CHECK(std::isnan(reduce("ReduceMin", x, &ax).data<float>()[0]));
    CHECK(std::isnan(reduce("ReduceSum", x, &ax).data<float>()[0]));
    Attributes a;
    a.set_int("axis", 1);
    CHECK(reduce("ArgMax", x, nullptr, a).data<int64_t>()[0] == 1);  // numpy.argmax: the first NaN
    CHECK(reduce("ArgMin", x, nullptr, a).data<int64_t>()[0] == 1);
}

TEST_CASE("ArgMax / ArgMin: ties take the first index, or the last with select_last_index") {
    const Tensor x = Tensor::from_vector<int32_t>(Shape{2, 3}, {7, 2, 7, -1, -1, 4});
    Attributes a;
    a.set_int("axis", 1);
    Tensor y = reduce("ArgMax", x, nullptr, a);
    CHECK(y.shape() == Shape{2, 1});
    CHECK(y.data<int64_t>()[0] == 0);
    CHECK(y.data<int64_t>()[1] == 2);
    a.set_int("select_last_index", 1);
    CHECK(reduce("ArgMax", x, nullptr, a).data<int64_t>()[0] == 2);
    CHECK(reduce("ArgMin", x, nullptr, a).data<int64_t>()[1] == 1);
    a.set_int("keepdims", 0);
    a.set_int("axis", -2);
    y = reduce("ArgMin", x, nullptr, a);
    CHECK(y.shape() == Shape{3});
    CHECK(y.data<int64_t>()[0] == 1);
}

TEST_CASE("Reduce*: integer sums wrap like the reference's int64 sum cast back, means truncate") {
    const Tensor x = Tensor::from_vector<int32_t>(Shape{3}, {2147483647, 1, -7});
    const std::vector<int64_t> ax{0};
    // int64 sum 2147483641 fits int32; then +1 more would wrap: use two maxima.
    const Tensor w = Tensor::from_vector<int32_t>(Shape{2}, {2147483647, 2147483647});
    CHECK(reduce("ReduceSum", w, &ax, keep(0)).data<int32_t>()[0] == -2);
    CHECK(reduce("ReduceSum", x, &ax, keep(0)).data<int32_t>()[0] == 2147483641);
    CHECK(reduce("ReduceMean", Tensor::from_vector<int64_t>(Shape{2}, {-3, 0}), &ax, keep(0)).data<int64_t>()[0] == -1);
    CHECK(reduce("ReduceMax", Tensor::from_vector<uint8_t>(Shape{3}, {3, 250, 7}), &ax, keep(0)).data<uint8_t>()[0] == 250);
}

TEST_CASE("ReduceSum accumulates in double: the exact sum where a float32 running sum drifts") {
    // 1 + 2^-24 * 2^20: a float32 running sum stays 1 (each 2^-24 is lost), the double sum does not.
    std::vector<float> v(1 + (1 << 20), std::ldexp(1.0f, -24));
    v[0] = 1.0f;
    const Tensor x = Tensor::from_vector<float>(Shape{static_cast<int64_t>(v.size())}, v);
    CHECK(reduce("ReduceSum", x, nullptr, keep(0)).data<float>()[0] == 1.0625f);
}

TEST_CASE("Reduce*: noop_with_empty_axes, legacy axes attribute, bad axes") {
    const Tensor x = Tensor::from_vector<float>(Shape{2, 2}, {1, 2, 3, 4});
    Attributes noop;
    noop.set_int("noop_with_empty_axes", 1);
    const std::vector<int64_t> none;
    CHECK(reduce("ReduceSum", x, &none, noop).bitwise_equal(x));
    CHECK(reduce("ReduceSum", x, &none).data<float>()[0] == 10.0f);
    const std::vector<int64_t> twice{1, -1};
    CHECK_THROWS_WITH_AS(reduce("ReduceMean", x, &twice), doctest::Contains("repeat an axis"), Error);
    const std::vector<int64_t> out_of_range{2};
    CHECK_THROWS_AS(reduce("ReduceMean", x, &out_of_range), Error);
}

TEST_CASE("Reduce*: bitwise the same for 1 and 2 threads") {
    std::vector<float> v(64 * 257);
    for (size_t i = 0; i < v.size(); ++i) v[i] = std::sin(static_cast<float>(i) * 0.37f) * 3.0f;
    const Tensor x = Tensor::from_vector<float>(Shape{64, 257}, v);
    for (const char* op : {"ReduceSum", "ReduceMean", "ReduceLogSumExp", "ReduceL2", "ReduceMax"})
        for (const std::vector<int64_t>& ax : {std::vector<int64_t>{0}, std::vector<int64_t>{1}}) {
            CAPTURE(op);
            CHECK(reduce(op, x, &ax, {}, 1).bitwise_equal(reduce(op, x, &ax, {}, 2)));
        }
}
