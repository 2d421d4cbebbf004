// The index family (GatherElements, GatherND, ScatterElements / Scatter, ScatterND, TopK) beyond
// the ONNX node tests: hand-checked values, negative indices, batch_dims, every scatter reduction
// with duplicate indices applied in order, TopK's tie and NaN order, the errors (an index out of
// range names the index and the valid range, whether indices are constant or computed at run
// time; a computed K is refused) and bitwise equality across thread counts.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <mutiny/mutiny.hpp>

using namespace mutiny;

namespace {

struct In {
    Tensor t;
    bool constant = false;
};

// The outputs of one node; constant inputs are graph constants, the others are fed at run time.
std::vector<Tensor> run(const std::string& op, const std::vector<In>& ins, size_t nout = 1, Attributes at = {}, int threads = 2) {
    GraphBuilder b("index");
    std::vector<std::string> names;
    std::vector<Tensor> feed;
    for (size_t i = 0; i < ins.size(); ++i) {
        const std::string name = "in" + std::to_string(i);
        if (ins[i].constant) {
            b.constant(name, ins[i].t);
        } else {
            b.input(name, ins[i].t.dtype(), ins[i].t.shape());
            feed.push_back(ins[i].t);
        }
        names.push_back(name);
    }
    for (const auto& o : b.nodes(op, names, nout, at)) b.output(o);
    CpuOptions o;
    o.threads = threads;
    CpuExecutor ex(b.build(), o);
    return ex.run(feed);
}

Tensor f32(Shape s, std::vector<float> v) { return Tensor::from_vector<float>(std::move(s), v); }
Tensor i64(Shape s, std::vector<int64_t> v) { return Tensor::from_vector<int64_t>(std::move(s), v); }
Tensor i32(Shape s, std::vector<int32_t> v) { return Tensor::from_vector<int32_t>(std::move(s), v); }

template <class T>
std::vector<T> values(const Tensor& t) {
    const T* p = t.data<T>();
    return std::vector<T>(p, p + t.numel());
}

Attributes axis(int64_t a) {
    Attributes at;
    at.set_int("axis", a);
    return at;
}

Attributes reduction(const std::string& r, int64_t ax = 0) {
    Attributes at = axis(ax);
    at.set_string("reduction", r);
    return at;
}

}  // namespace

TEST_CASE("GatherElements: hand-checked values, negative indices, int32 indices") {
    const Tensor d = f32(Shape{2, 2}, {1, 2, 3, 4});
    Tensor y = run("GatherElements", {{d}, {i64(Shape{2, 2}, {0, 0, 1, 0})}}, 1, axis(1))[0];
    CHECK(y.shape() == Shape{2, 2});
    CHECK(values<float>(y) == std::vector<float>{1, 1, 4, 3});
    const Tensor d3 = Tensor::from_vector<int32_t>(Shape{3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
    y = run("GatherElements", {{d3}, {i32(Shape{1, 3}, {-1, 0, 1})}}, 1, axis(0))[0];
    CHECK(y.shape() == Shape{1, 3});
    CHECK(values<int32_t>(y) == std::vector<int32_t>{7, 2, 6});
    // indices smaller than data off the axis
    y = run("GatherElements", {{d3}, {i64(Shape{2, 1}, {2, -3})}}, 1, axis(1))[0];
    CHECK(values<int32_t>(y) == std::vector<int32_t>{3, 4});
}

TEST_CASE("GatherElements: an index out of range is an Error, at run time or at build time") {
    const Tensor d = f32(Shape{2, 2}, {1, 2, 3, 4});
    const Tensor bad = i64(Shape{2, 2}, {0, 1, 2, 0});
    CHECK_THROWS_WITH_AS(run("GatherElements", {{d}, {bad}}, 1, axis(1)),
                         doctest::Contains("index 2 (element 2 of indices)"), Error);
    CHECK_THROWS_WITH_AS(run("GatherElements", {{d}, {bad, true}}, 1, axis(1)), doctest::Contains("valid range is [-2, 1]"), Error);
    CHECK_THROWS_WITH_AS(run("GatherElements", {{d}, {i64(Shape{2, 2}, {0, -3, 0, 0})}}, 1, axis(0)),
                         doctest::Contains("index -3"), Error);
    CHECK_THROWS_WITH_AS(run("GatherElements", {{d}, {i64(Shape{3, 1}, {0, 0, 0})}}, 1, axis(1)),
                         doctest::Contains("larger than data"), Error);
    CHECK_THROWS_WITH_AS(run("GatherElements", {{d}, {f32(Shape{2, 2}, {0, 0, 0, 0})}}, 1, axis(1)),
                         doctest::Contains("int32 or int64"), Error);
}

TEST_CASE("GatherND: elements, slices, batch_dims, and the errors") {
    const Tensor d = Tensor::from_vector<int32_t>(Shape{2, 2}, {0, 1, 2, 3});
    Tensor y = run("GatherND", {{d}, {i64(Shape{2, 2}, {0, 0, 1, 1})}})[0];
    CHECK(y.shape() == Shape{2});
    CHECK(values<int32_t>(y) == std::vector<int32_t>{0, 3});
    y = run("GatherND", {{d}, {i64(Shape{2, 1}, {1, -2})}})[0];
    CHECK(y.shape() == Shape{2, 2});
    CHECK(values<int32_t>(y) == std::vector<int32_t>{2, 3, 0, 1});
    const Tensor d3 = f32(Shape{2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
    Attributes bd;
    bd.set_int("batch_dims", 1);
    y = run("GatherND", {{d3}, {i64(Shape{2, 1}, {1, 0})}}, 1, bd)[0];
    CHECK(y.shape() == Shape{2, 2});
    CHECK(values<float>(y) == std::vector<float>{2, 3, 4, 5});
    y = run("GatherND", {{d3}, {i64(Shape{2, 2}, {1, 0, 0, 1})}}, 1, bd)[0];
    CHECK(y.shape() == Shape{2});
    CHECK(values<float>(y) == std::vector<float>{2, 5});
    CHECK_THROWS_WITH_AS(run("GatherND", {{d}, {i64(Shape{2, 2}, {0, 0, 1, 2})}}), doctest::Contains("index 2 (element 3 of indices)"), Error);
    CHECK_THROWS_WITH_AS(run("GatherND", {{d}, {i64(Shape{1, 2}, {-3, 0}), true}}), doctest::Contains("valid range is [-2, 1]"), Error);
    CHECK_THROWS_WITH_AS(run("GatherND", {{d}, {i64(Shape{1, 3}, {0, 0, 0})}}), doctest::Contains("wrong length"), Error);
}

TEST_CASE("ScatterElements: duplicates apply in order for every reduction") {
    const Tensor d = f32(Shape{1, 5}, {1, 2, 3, 4, 5});
    const Tensor idx = i64(Shape{1, 3}, {1, 1, -1});
    const Tensor up = f32(Shape{1, 3}, {1.1f, 2.1f, 7});
    CHECK(values<float>(run("ScatterElements", {{d}, {idx}, {up}}, 1, axis(1))[0]) == std::vector<float>{1, 2.1f, 3, 4, 7});
    CHECK(values<float>(run("ScatterElements", {{d}, {idx}, {up}}, 1, reduction("add", 1))[0]) ==
          std::vector<float>{1, (2.0f + 1.1f) + 2.1f, 3, 4, 12});
    CHECK(values<float>(run("ScatterElements", {{d}, {idx}, {up}}, 1, reduction("mul", 1))[0]) ==
          std::vector<float>{1, (2.0f * 1.1f) * 2.1f, 3, 4, 35});
    CHECK(values<float>(run("ScatterElements", {{d}, {idx}, {up}}, 1, reduction("max", 1))[0]) == std::vector<float>{1, 2.1f, 3, 4, 7});
    CHECK(values<float>(run("ScatterElements", {{d}, {idx}, {up}}, 1, reduction("min", 1))[0]) == std::vector<float>{1, 1.1f, 3, 4, 5});
    // axis 0, int32 data, integer add wraps
    const Tensor di = i32(Shape{2, 2}, {2147483647, 1, 2, 3});
    CHECK(values<int32_t>(run("ScatterElements", {{di}, {i64(Shape{1, 2}, {0, 1})}, {i32(Shape{1, 2}, {1, 10})}}, 1, reduction("add"))[0]) ==
          std::vector<int32_t>{-2147483647 - 1, 1, 2, 13});
    // Scatter, the deprecated name
    CHECK(values<float>(run("Scatter", {{d}, {idx}, {up}}, 1, axis(1))[0]) == std::vector<float>{1, 2.1f, 3, 4, 7});
}

TEST_CASE("ScatterElements: errors") {
    const Tensor d = f32(Shape{1, 5}, {1, 2, 3, 4, 5});
    CHECK_THROWS_WITH_AS(run("ScatterElements", {{d}, {i64(Shape{1, 2}, {1, 5})}, {f32(Shape{1, 2}, {0, 0})}}, 1, axis(1)),
                         doctest::Contains("index 5 (element 1 of indices) for axis 1 of size 5; the valid range is [-5, 4]"), Error);
    CHECK_THROWS_WITH_AS(run("ScatterElements", {{d}, {i64(Shape{1, 2}, {1, -6}), true}, {f32(Shape{1, 2}, {0, 0})}}, 1, axis(1)),
                         doctest::Contains("index -6"), Error);
    CHECK_THROWS_WITH_AS(run("ScatterElements", {{d}, {i64(Shape{1, 2}, {1, 2})}, {f32(Shape{1, 3}, {0, 0, 0})}}, 1, axis(1)),
                         doctest::Contains("differ in shape"), Error);
    CHECK_THROWS_WITH_AS(run("ScatterElements", {{d}, {i64(Shape{1, 2}, {1, 2})}, {f32(Shape{1, 2}, {0, 0})}}, 1, reduction("avg", 1)),
                         doctest::Contains("unsupported reduction 'avg'"), Error);
}

TEST_CASE("ScatterND: elements and slices, duplicates in order, errors") {
    const Tensor d = f32(Shape{8}, {1, 2, 3, 4, 5, 6, 7, 8});
    const Tensor idx = i64(Shape{4, 1}, {4, 3, 1, 7});
    const Tensor up = f32(Shape{4}, {9, 10, 11, 12});
    CHECK(values<float>(run("ScatterND", {{d}, {idx}, {up}})[0]) == std::vector<float>{1, 11, 3, 10, 9, 6, 7, 12});
    const Tensor dup = i64(Shape{3, 1}, {0, -8, 2});
    const Tensor u3 = f32(Shape{3}, {5, 6, 2});
    CHECK(values<float>(run("ScatterND", {{d}, {dup}, {u3}})[0]) == std::vector<float>{6, 2, 2, 4, 5, 6, 7, 8});
    CHECK(values<float>(run("ScatterND", {{d}, {dup}, {u3}}, 1, reduction("add"))[0]) == std::vector<float>{12, 2, 5, 4, 5, 6, 7, 8});
    CHECK(values<float>(run("ScatterND", {{d}, {dup}, {u3}}, 1, reduction("mul"))[0]) == std::vector<float>{30, 2, 6, 4, 5, 6, 7, 8});
    CHECK(values<float>(run("ScatterND", {{d}, {dup}, {u3}}, 1, reduction("max"))[0]) == std::vector<float>{6, 2, 3, 4, 5, 6, 7, 8});
    CHECK(values<float>(run("ScatterND", {{d}, {dup}, {u3}}, 1, reduction("min"))[0]) == std::vector<float>{1, 2, 2, 4, 5, 6, 7, 8});
    // slices: rows of a 2x3 matrix
    const Tensor m = i64(Shape{2, 3}, {1, 2, 3, 4, 5, 6});
    CHECK(values<int64_t>(run("ScatterND", {{m}, {i64(Shape{1, 1}, {1})}, {i64(Shape{1, 3}, {7, 8, 9})}})[0]) ==
          std::vector<int64_t>{1, 2, 3, 7, 8, 9});
    CHECK_THROWS_WITH_AS(run("ScatterND", {{d}, {i64(Shape{2, 1}, {0, 8})}, {f32(Shape{2}, {0, 0})}}),
                         doctest::Contains("index 8 (element 1 of indices) for data axis 0 of size 8; the valid range is [-8, 7]"), Error);
    CHECK_THROWS_WITH_AS(run("ScatterND", {{m}, {i64(Shape{1, 1}, {1})}, {i64(Shape{1, 2}, {7, 8})}}), doctest::Contains("updates of a wrong shape"), Error);
}

TEST_CASE("TopK: largest and smallest, ties keep the smaller index first, NaN is the largest") {
    const Tensor k2 = i64(Shape{1}, {2});
    const Tensor x = f32(Shape{1, 4}, {3, 1, 3, 2});
    auto y = run("TopK", {{x}, {k2, true}}, 2);
    CHECK(y[0].shape() == Shape{1, 2});
    CHECK(values<float>(y[0]) == std::vector<float>{3, 3});
    CHECK(values<int64_t>(y[1]) == std::vector<int64_t>{0, 2});
    Attributes small;
    small.set_int("largest", 0);
    y = run("TopK", {{f32(Shape{3}, {2, 1, 1})}, {k2, true}}, 2, small);
    CHECK(values<float>(y[0]) == std::vector<float>{1, 1});
    CHECK(values<int64_t>(y[1]) == std::vector<int64_t>{1, 2});
    const float nan = std::numeric_limits<float>::quiet_NaN();
    y = run("TopK", {{f32(Shape{3}, {1, nan, 3})}, {i64(Shape{1}, {2}), true}}, 2);
    CHECK(std::isnan(y[0].data<float>()[0]));
    CHECK(y[0].data<float>()[1] == 3);
    CHECK(values<int64_t>(y[1]) == std::vector<int64_t>{1, 2});
    y = run("TopK", {{f32(Shape{3}, {1, nan, 3})}, {i64(Shape{1}, {2}), true}}, 2, small);
    CHECK(values<int64_t>(y[1]) == std::vector<int64_t>{0, 2});
    // axis 0 of a 3x2 int32 matrix, K = 0 and K = 3
    const Tensor xi = i32(Shape{3, 2}, {5, 1, 7, 1, 5, 0});
    y = run("TopK", {{xi}, {i64(Shape{1}, {3}), true}}, 2, axis(0));
    CHECK(values<int32_t>(y[0]) == std::vector<int32_t>{7, 1, 5, 1, 5, 0});
    CHECK(values<int64_t>(y[1]) == std::vector<int64_t>{1, 0, 0, 1, 2, 2});
    y = run("TopK", {{xi}, {i64(Shape{1}, {0}), true}}, 2, axis(0));
    CHECK(y[0].shape() == Shape{0, 2});
}

TEST_CASE("TopK: K within the axis size, constant or computed at run time") {
    const Tensor x = f32(Shape{1, 4}, {3, 1, 3, 2});
    // K fed at run time: the output shape is known per run, the values those of a constant K.
    const auto fed = run("TopK", {{x}, {i64(Shape{1}, {2})}}, 2), constant = run("TopK", {{x}, {i64(Shape{1}, {2}), true}}, 2);
    CHECK(fed[0].shape() == Shape{1, 2});
    CHECK(fed[0].bitwise_equal(constant[0]));
    CHECK(fed[1].bitwise_equal(constant[1]));
    CHECK(fed[0].to_vector<float>() == std::vector<float>{3, 3});
    CHECK(fed[1].to_vector<int64_t>() == std::vector<int64_t>{0, 2});
    CHECK_THROWS_WITH_AS(run("TopK", {{x}, {i64(Shape{1}, {5})}}, 2), doctest::Contains("K = 5 for axis 1 of size 4"), Error);
    CHECK_THROWS_WITH_AS(run("TopK", {{x}, {i64(Shape{1}, {5}), true}}, 2), doctest::Contains("K = 5 for axis 1 of size 4"), Error);
    CHECK_THROWS_WITH_AS(run("TopK", {{x}, {i64(Shape{1}, {-1}), true}}, 2), doctest::Contains("K out of range"), Error);
}

TEST_CASE("Index ops: bitwise the same for 1 and 2 threads") {
    std::vector<float> xv(64 * 300);
    uint32_t s = 7;
    for (auto& v : xv) {
        s = s * 1664525u + 1013904223u;
        v = static_cast<float>((s >> 20) % 50);  // many ties
    }
    const Tensor x = f32(Shape{64, 300}, xv);
    const Tensor k = i64(Shape{1}, {17});
    for (int64_t ax : {0, 1}) {
        const auto a = run("TopK", {{x}, {k, true}}, 2, axis(ax), 1);
        const auto b = run("TopK", {{x}, {k, true}}, 2, axis(ax), 2);
        CHECK(a[0].bitwise_equal(b[0]));
        CHECK(a[1].bitwise_equal(b[1]));
    }
    std::vector<int64_t> iv(64 * 300);
    for (size_t i = 0; i < iv.size(); ++i) iv[i] = static_cast<int64_t>(xv[i]) % 64 - 32;
    const Tensor idx = i64(Shape{64, 300}, iv);
    CHECK(run("GatherElements", {{x}, {idx}}, 1, axis(0), 1)[0].bitwise_equal(run("GatherElements", {{x}, {idx}}, 1, axis(0), 2)[0]));
}
