// Comparisons, boolean logic, Where, Mod and BitShift beyond the ONNX node tests: the LT/GT
// mutation sites of Less and Greater, Mod's sign rules and division by zero, BitShift by the
// type's width, Where's three-way broadcasting of any dtype.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <mutiny/mutiny.hpp>

using namespace mutiny;

namespace {

Tensor run2(const std::string& op, const Tensor& a, const Tensor& b, Attributes at = {}, CpuOptions o = {}) {
    GraphBuilder g("t");
    g.input("a", a.dtype(), a.shape());
    g.input("b", b.dtype(), b.shape());
    g.output(g.node(op, {"a", "b"}, at));
    CpuExecutor ex(g.build(), o);
    return ex.run({a, b})[0];
}

std::vector<int> ints(const Tensor& t) {
    std::vector<int> v;
    for (int64_t i = 0; i < t.numel(); ++i) v.push_back(static_cast<int>(t.get_i64(i)));
    return v;
}

}  // namespace

TEST_CASE("Less and Greater: bool results with broadcasting, and their comparison sites") {
    const Tensor a = Tensor::from_vector<float>(Shape{2, 3}, {0, 1, 2, 3, 4, 5});
    const Tensor b = Tensor::from_vector<float>(Shape{3}, {1, 1, 1});
    CHECK(run2("Less", a, b).dtype() == DType::boolean);
    CHECK(ints(run2("Less", a, b)) == std::vector<int>{1, 0, 0, 0, 0, 0});
    CHECK(ints(run2("Greater", a, b)) == std::vector<int>{0, 0, 1, 1, 1, 1});
    CHECK(ints(run2("LessOrEqual", a, b)) == std::vector<int>{1, 1, 0, 0, 0, 0});
    CHECK(ints(run2("Equal", a, b)) == std::vector<int>{0, 1, 0, 0, 0, 0});
    CpuOptions le;
    le.sites.cmp = SiteConfig::Cmp::lt_to_le;  // MutateNN's ifstmt_LT_to_LE on Less
    CHECK(ints(run2("Less", a, b, {}, le)) == std::vector<int>{1, 1, 0, 0, 0, 0});
    CpuOptions shift;
    shift.sites.shift = SiteConfig::Shift::add;  // a > b + 2.5
    shift.sites.threshold = 2.5;
    CHECK(ints(run2("Greater", a, b, {}, shift)) == std::vector<int>{0, 0, 0, 0, 1, 1});
    CHECK(Registry::instance().find("Less")->sites.lt);
    CHECK(Registry::instance().find("Greater")->sites.gt);
}

TEST_CASE("Mod: divisor's sign (fmod 0), dividend's sign (fmod 1), remainder by zero is 0") {
    const Tensor a = Tensor::from_vector<int32_t>(Shape{4}, {-7, 7, -7, 5});
    const Tensor b = Tensor::from_vector<int32_t>(Shape{4}, {3, -3, 0, -1});
    CHECK(ints(run2("Mod", a, b)) == std::vector<int>{2, -2, 0, 0});
    Attributes f;
    f.set_int("fmod", 1);
    CHECK(ints(run2("Mod", a, b, f)) == std::vector<int>{-1, 1, 0, 0});
    const Tensor x = Tensor::from_vector<float>(Shape{2}, {-7.5f, 7.5f});
    const Tensor y = Tensor::from_vector<float>(Shape{2}, {2.0f, -2.0f});
    const Tensor m = run2("Mod", x, y, f);
    CHECK(m.data<float>()[0] == -1.5f);
    CHECK(m.data<float>()[1] == 1.5f);
    CHECK_THROWS_WITH_AS(run2("Mod", x, y), doctest::Contains("fmod = 1"), Error);
}

TEST_CASE("BitShift: left and right, shifts of the type's width give 0, signed types refused") {
    const Tensor a = Tensor::from_vector<uint8_t>(Shape{3}, {1, 128, 255});
    const Tensor s = Tensor::from_vector<uint8_t>(Shape{3}, {7, 1, 8});
    Attributes l, r;
    l.set_string("direction", "LEFT");
    r.set_string("direction", "RIGHT");
    CHECK(ints(run2("BitShift", a, s, l)) == std::vector<int>{128, 0, 0});
    CHECK(ints(run2("BitShift", a, s, r)) == std::vector<int>{0, 64, 0});
    CHECK_THROWS_WITH_AS(run2("BitShift", Tensor::from_vector<int32_t>(Shape{1}, {1}), Tensor::from_vector<int32_t>(Shape{1}, {1}), l),
                         doctest::Contains("unsigned"), Error);
}

TEST_CASE("Where: three-way broadcasting, any dtype, and a bool condition required") {
    GraphBuilder g("w");
    g.input("c", DType::boolean, Shape{2, 1});
    g.input("x", DType::i64, Shape{3});
    g.input("y", DType::i64, Shape{1});
    g.output(g.node("Where", {"c", "x", "y"}));
    CpuExecutor ex(g.build());
    Tensor c(DType::boolean, Shape{2, 1});
    static_cast<uint8_t*>(c.raw())[0] = 1;
    static_cast<uint8_t*>(c.raw())[1] = 0;
    const Tensor out = ex.run({c, Tensor::from_vector<int64_t>(Shape{3}, {1, 2, 3}), Tensor::from_vector<int64_t>(Shape{1}, {-9})})[0];
    CHECK(out.shape() == Shape{2, 3});
    CHECK(ints(out) == std::vector<int>{1, 2, 3, -9, -9, -9});
    GraphBuilder bad("w");
    bad.input("c", DType::f32, Shape{1});
    bad.input("x", DType::f32, Shape{1});
    bad.output(bad.node("Where", {"c", "x", "x"}));
    CHECK_THROWS_WITH_AS(bad.build(), doctest::Contains("condition is not bool"), Error);
}

TEST_CASE("And, Or, Xor, Not on bool tensors; numbers refused") {
    Tensor a(DType::boolean, Shape{4}), b(DType::boolean, Shape{4});
    const uint8_t av[4] = {0, 0, 1, 1}, bv[4] = {0, 1, 0, 1};
    for (int i = 0; i < 4; ++i) {
        static_cast<uint8_t*>(a.raw())[i] = av[i];
        static_cast<uint8_t*>(b.raw())[i] = bv[i];
    }
    CHECK(ints(run2("And", a, b)) == std::vector<int>{0, 0, 0, 1});
    CHECK(ints(run2("Or", a, b)) == std::vector<int>{0, 1, 1, 1});
    CHECK(ints(run2("Xor", a, b)) == std::vector<int>{0, 1, 1, 0});
    const Tensor f = Tensor::from_vector<float>(Shape{1}, {1});
    CHECK_THROWS_WITH_AS(run2("And", f, f), doctest::Contains("takes bool"), Error);
}
