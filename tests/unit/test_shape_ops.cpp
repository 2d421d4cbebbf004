// Shape and data-movement ops (Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout, Transpose,
// Concat, Split, Pad, Slice, Gather, Expand, Tile, Cast, Constant, ConstantOfShape, Shape, Size):
// values, legacy-opset imports, every dtype through the copy ops, constant folding, clear errors.
#include <doctest/doctest.h>

#include "one_node.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

using namespace mutiny;
using namespace one_node;

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
    check_data_dependent(rt);
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
