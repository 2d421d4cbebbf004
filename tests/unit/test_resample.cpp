// Resize and Upsample (ops/resample/resize.hpp): values against ONNX's reference implementation,
// the legacy opsets import() handles, a clear Error for each bad input, and bitwise equality
// across thread counts. GridSample and RoiAlign are in test_resample_grid_roi.cpp.
//
// The expected numbers were printed by this snippet (onnx 1.23, numpy), one `show` per case below:
//
//   import numpy as np
//   from onnx import helper as h, TensorProto as TP
//   from onnx.reference import ReferenceEvaluator
//   def run(op, inputs, names, opset, **attrs):        # names: "" for an absent input
//       real = [n for n in names if n]
//       ins = [h.make_tensor_value_info(n, h.np_dtype_to_tensor_dtype(v.dtype), v.shape) for n, v in zip(real, inputs)]
//       g = h.make_graph([h.make_node(op, names, ["y"], **attrs)], "g", ins, [h.make_tensor_value_info("y", TP.UNDEFINED, None)])
//       m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)])
//       return ReferenceEvaluator(m).run(None, dict(zip(real, inputs)))[0]
//   def show(tag, y): print(tag, list(y.shape), ", ".join("%.9g" % v for v in y.flatten()))
//   x34 = np.arange(12, dtype=np.float32).reshape(1, 1, 3, 4) * np.float32(1.5) - 4
#include "one_node.hpp"

#include <mutiny/mutiny.hpp>
#include <mutiny/ops/shape/copy.hpp>  // half_from_double

using namespace mutiny;
using namespace one_node;

namespace {

Tensor x34() { return iota(Shape{1, 1, 3, 4}, -4.0f, 1.5f); }
Tensor f32v(const std::vector<float>& v) { return f32(Shape{static_cast<int64_t>(v.size())}, v); }
const Tensor kNone;

// Resize(X, roi, scales, sizes) with X fed at run time.
Op resize(const Tensor& x, const Tensor& roi, const Tensor& scales, const Tensor& sizes, Attributes a, int64_t opset = 0) {
    Op o("Resize", {x, roi, scales, sizes}, std::move(a), 1, opset);
    o.runtime = {true};
    return o;
}
Attributes with(std::initializer_list<std::pair<const char*, const char*>> strings) {
    Attributes a;
    for (const auto& kv : strings) a.set_string(kv.first, kv.second);
    return a;
}

}  // namespace

TEST_CASE("Resize linear and cubic match ONNX's reference") {
    // show("linear_half_pixel", run("Resize", [x34, np.array([1, 1, 1.5, 1.75], np.float32)], ["X", "", "scales"], 19, mode="linear"))
    check_f32(run1(resize(x34(), kNone, f32v({1, 1, 1.5f, 1.75f}), kNone, with({{"mode", "linear"}}))), Shape{1, 1, 4, 7},
              {-4,  -3.46428561, -2.60714293, -1.75, -0.892857134, -0.0357142873, 0.5, -1,         -0.464285702, 0.392857134,
               1.25, 2.10714293, 2.96428561,  3.5,   3,            3.53571439,    4.39285707, 5.25, 6.10714293,  6.96428585,
               7.5,  7,          7.53571415,  8.39285755, 9.25,    10.1071424,    10.9642859, 11.5});
    // show("cubic_align_corners", run("Resize", [x34, np.array([1, 1, 5, 3], np.int64)], ["X", "", "", "sizes"], 19,
    //      mode="cubic", coordinate_transformation_mode="align_corners"))
    check_f32(run1(resize(x34(), kNone, kNone, i64v({1, 1, 5, 3}), with({{"mode", "cubic"}, {"coordinate_transformation_mode", "align_corners"}}))),
              Shape{1, 1, 5, 3}, {-4, -1.75, 0.5, -1.5625, 0.6875, 2.9375, 2, 4.25, 6.5, 5.5625, 7.8125, 10.0625, 8, 10.25, 12.5});
    // show("cubic_exclude_outside", run("Resize", [x34, np.array([1, 1, 0.7, 1.3], np.float32)], ["X", "", "scales"], 19,
    //      mode="cubic", exclude_outside=1, cubic_coeff_a=-0.5))
    Attributes ex = with({{"mode", "cubic"}});
    ex.set_int("exclude_outside", 1);
    ex.set_float("cubic_coeff_a", -0.5);
    // The reference interpolates one axis after the other, each pass rounded to float32; Mutiny sums
    // the product of the axes' taps in double and rounds once, so the two differ by float32
    // roundings of intermediate sums (here up to 2.5e-6 relative; ONNX Runtime differs from the
    // reference by 5e-7 in the same places): rel 1e-5.
    check_f32(run1(resize(x34(), kNone, f32v({1, 1, 0.7f, 1.3f}), kNone, ex)), Shape{1, 1, 2, 5},
              {-3.23959517, -2.27904058, -1.03167832, 0.162068889, 1.30322504, 6.34346247, 7.30401707, 8.5513792, 9.74512672, 10.8862829}, 1e-5);
    // show("linear_3axes", run("Resize", [np.arange(8, dtype=np.float64).reshape(2, 2, 2) ** 2,
    //      np.array([1.5, 2, 1.5], np.float32)], ["X", "", "scales"], 19, mode="linear"))   (float64)
    std::vector<double> sq(8);
    for (size_t i = 0; i < 8; ++i) sq[i] = static_cast<double>(i * i);
    const Tensor y3 = run1(resize(Tensor::from_vector<double>(Shape{2, 2, 2}, sq), kNone, f32v({1.5f, 2, 1.5f}), kNone, with({{"mode", "linear"}})));
    REQUIRE(y3.dtype() == DType::f64);
    CHECK(y3.shape() == Shape{3, 4, 3});
    // float64: the same values up to the last bits of double sums (per-axis passes vs one sum).
    const std::vector<double> want3{0,  0.5,  1,  1,  2,  3,  3,  5,  7,  4,  6.5,  9,  8,  10.5, 13, 11, 14, 17,
                                    17, 21,   25, 20, 24.5, 29, 16, 20.5, 25, 21, 26, 31, 31, 37,   43, 36, 42.5, 49};
    const std::vector<double> got3 = y3.to_vector<double>();
    REQUIRE(got3.size() == want3.size());
    for (size_t i = 0; i < want3.size(); ++i) CHECK(std::fabs(got3[i] - want3[i]) <= 1e-12 * (1 + std::fabs(want3[i])));
}

TEST_CASE("Resize antialias, half_pixel_symmetric, pytorch_half_pixel, axes and keep_aspect_ratio_policy match the reference") {
    const Tensor sq36 = [] {
        std::vector<float> v(36);
        for (size_t i = 0; i < 36; ++i) v[i] = std::pow(static_cast<float>(i), 1.5f);
        return f32(Shape{1, 1, 6, 6}, v);
    }();
    // show("cubic_antialias", run("Resize", [np.arange(36, dtype=np.float32).reshape(1, 1, 6, 6) ** 1.5,
    //      np.array([1, 1, 0.4, 0.6], np.float32)], ["X", "", "scales"], 19, mode="cubic", antialias=1))
    Attributes aa = with({{"mode", "cubic"}});
    aa.set_int("antialias", 1);
    check_f32(run1(resize(sq36, kNone, f32v({1, 1, 0.4f, 0.6f}), kNone, aa)), Shape{1, 1, 2, 3},
              {10.8692636, 16.2623062, 23.1142406, 92.3000031, 104.003891, 116.742554}, 1e-5);  // per-axis float32 passes, as above
    // show("linear_antialias_sizes", run("Resize", [<the same X>, np.array([2, 3], np.int64)], ["X", "", "", "sizes"], 19,
    //      mode="linear", antialias=1, axes=[2, 3]))
    Attributes la = with({{"mode", "linear"}});
    la.set_int("antialias", 1);
    la.set_ints("axes", {2, 3});
    check_f32(run1(resize(sq36, kNone, kNone, i64v({2, 3}), la)), Shape{1, 1, 2, 3},
              {24.8657818, 32.2770538, 40.7375259, 120.109886, 134.049637, 148.480865});
    // show("half_pixel_symmetric", run("Resize", [np.arange(5, dtype=np.float32), np.array([1.7], np.float32)],
    //      ["X", "", "scales"], 19, mode="linear", coordinate_transformation_mode="half_pixel_symmetric"))
    check_f32(run1(resize(iota(Shape{5}), kNone, f32v({1.7f}), kNone, with({{"mode", "linear"}, {"coordinate_transformation_mode", "half_pixel_symmetric"}}))),
              Shape{8}, {0, 0.529411793, 1.11764705, 1.70588231, 2.29411769, 2.88235283, 3.47058821, 4});
    // show("pytorch_half_pixel_to_1", run("Resize", [np.arange(4, dtype=np.float32).reshape(2, 2), np.array([2, 1], np.int64)],
    //      ["X", "", "", "sizes"], 19, mode="linear", coordinate_transformation_mode="pytorch_half_pixel"))
    check_f32(run1(resize(iota(Shape{2, 2}), kNone, kNone, i64v({2, 1}), with({{"mode", "linear"}, {"coordinate_transformation_mode", "pytorch_half_pixel"}}))),
              Shape{2, 1}, {0, 2});
    // show("not_smaller_axes", run("Resize", [np.arange(12, dtype=np.float32).reshape(3, 4, 1), np.array([5, 5], np.int64)],
    //      ["X", "", "", "sizes"], 19, mode="linear", axes=[1, 0], keep_aspect_ratio_policy="not_smaller"))
    Attributes ns = with({{"mode", "linear"}, {"keep_aspect_ratio_policy", "not_smaller"}});
    ns.set_ints("axes", {1, 0});
    check_f32(run1(resize(iota(Shape{3, 4, 1}), kNone, kNone, i64v({5, 5}), ns)), Shape{5, 7, 1},
              {0,          0.400000006, 1,          1.60000002, 2.20000005, 2.79999995, 3,          1.60000002, 2,
               2.5999999,  3.20000005,  3.79999995, 4.4000001,  4.5999999,  4,          4.4000001,  5,          5.5999999,
               6.19999981, 6.80000019,  7,          6.4000001,  6.80000019, 7.4000001,  8,          8.60000038, 9.19999981,
               9.39999962, 8,           8.39999962, 9,          9.60000038, 10.1999998, 10.8000002, 11});
    // show("not_larger", run("Resize", [np.arange(12, dtype=np.float32).reshape(3, 4), np.array([5, 5], np.int64)],
    //      ["X", "", "", "sizes"], 19, mode="nearest", keep_aspect_ratio_policy="not_larger"))
    check_f32(run1(resize(iota(Shape{3, 4}), kNone, kNone, i64v({5, 5}), with({{"keep_aspect_ratio_policy", "not_larger"}}))), Shape{4, 5},
              {0, 1, 1, 2, 3, 4, 5, 5, 6, 7, 4, 5, 5, 6, 7, 8, 9, 9, 10, 11});
}

TEST_CASE("Resize nearest: every nearest_mode, tf_crop_and_resize with extrapolation") {
    // show("nearest_" + nm, run("Resize", [np.arange(4, dtype=np.float32).reshape(1, 4), np.array([1, n], np.int64)],
    //      ["X", "", "", "sizes"], 19, mode="nearest", nearest_mode=nm, coordinate_transformation_mode="asymmetric"))
    // for n = 8 (ties at x.5) and n = 6 (fractions 1/3, 2/3).
    auto nearest = [](const char* nm, int64_t n) {
        return run1(resize(iota(Shape{1, 4}), kNone, kNone, i64v({1, n}), with({{"nearest_mode", nm}, {"coordinate_transformation_mode", "asymmetric"}})));
    };
    check_f32(nearest("round_prefer_floor", 8), Shape{1, 8}, {0, 0, 1, 1, 2, 2, 3, 3});
    check_f32(nearest("round_prefer_ceil", 8), Shape{1, 8}, {0, 1, 1, 2, 2, 3, 3, 3});
    check_f32(nearest("floor", 8), Shape{1, 8}, {0, 0, 1, 1, 2, 2, 3, 3});
    check_f32(nearest("ceil", 8), Shape{1, 8}, {0, 1, 1, 2, 2, 3, 3, 3});
    check_f32(nearest("round_prefer_floor", 6), Shape{1, 6}, {0, 1, 1, 2, 3, 3});
    check_f32(nearest("floor", 6), Shape{1, 6}, {0, 0, 1, 2, 2, 3});
    check_f32(nearest("ceil", 6), Shape{1, 6}, {0, 1, 2, 2, 3, 3});
    // show("crop_and_resize", run("Resize", [np.arange(24, dtype=np.float32).reshape(2, 3, 4),
    //      np.array([0.2, -0.3, 0.9, 1.1], np.float32), np.array([4, 3], np.int64)], ["X", "roi", "", "sizes"], 19, mode="linear",
    //      coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=-7.5, axes=[1, 2]))
    Attributes cr = with({{"mode", "linear"}, {"coordinate_transformation_mode", "tf_crop_and_resize"}});
    cr.set_float("extrapolation_value", -7.5);
    cr.set_ints("axes", {1, 2});
    check_f32(run1(resize(iota(Shape{2, 3, 4}), f32v({0.2f, -0.3f, 0.9f, 1.1f}), kNone, i64v({4, 3}), cr)), Shape{2, 4, 3},
              {-7.5, 2.80000019, -7.5, -7.5, 4.66666698, -7.5, -7.5, 6.5333333,  -7.5, -7.5, 8.39999962, -7.5,
               -7.5, 14.8000002, -7.5, -7.5, 16.666666,  -7.5, -7.5, 18.5333328, -7.5, -7.5, 20.3999996, -7.5});
}

TEST_CASE("Resize of integer tensors rounds half to even and saturates, as the reference's saturate_cast") {
    // show("u8_linear", run("Resize", [np.array([[0, 255, 100], [7, 250, 3]], np.uint8), np.array([2, 5], np.int64)],
    //      ["X", "", "", "sizes"], 19, mode="linear"))
    const Tensor u8 = Tensor::from_vector<uint8_t>(Shape{2, 3}, {0, 255, 100, 7, 250, 3});
    const Tensor yu = run1(resize(u8, kNone, kNone, i64v({2, 5}), with({{"mode", "linear"}})));
    CHECK(yu.to_vector<uint8_t>() == std::vector<uint8_t>{0, 102, 255, 162, 100, 7, 104, 250, 102, 3});
    // show("i8_cubic", run("Resize", [np.array([[-128, 127, 5, -6]], np.int8), np.array([1, 7], np.int64)],
    //      ["X", "", "", "sizes"], 19, mode="cubic"))   (the cubic overshoot saturates at -128 and 127)
    const Tensor i8 = Tensor::from_vector<int8_t>(Shape{1, 4}, {-128, 127, 5, -6});
    const Tensor yi = run1(resize(i8, kNone, kNone, i64v({1, 7}), with({{"mode", "cubic"}})));
    CHECK(yi.to_vector<int8_t>() == std::vector<int8_t>{-128, -34, 118, 91, -1, -10, -7});
    // Nearest copies elements of any dtype, bool included.
    const Tensor b = Tensor::from_vector<uint8_t>(Shape{2}, {1, 0});
    const Tensor bb(DType::boolean, Shape{2}, b.storage());
    const Tensor yb = run1(resize(bb, kNone, f32v({2}), kNone, {}));
    CHECK(yb.dtype() == DType::boolean);
    CHECK(yb.to_vector<uint8_t>() == std::vector<uint8_t>{1, 1, 0, 0});
}

TEST_CASE("Resize f16 computes in double and rounds once; the result does not depend on the thread count") {
    const Tensor x = random_tensor(Shape{2, 3, 17, 23}, 7, -5, 5);
    std::vector<half> hv;
    std::vector<double> dv;
    for (float v : x.to_vector<float>()) {
        hv.push_back(half(v));
        dv.push_back(static_cast<double>(static_cast<float>(hv.back())));
    }
    // The same values as f64: every f16 result is that f64 result rounded once.
    const Tensor yh = run1(resize(Tensor::from_vector<half>(x.shape(), hv), kNone, f32v({1, 1, 1.9f, 0.6f}), kNone, with({{"mode", "cubic"}})));
    const Tensor yd = run1(resize(Tensor::from_vector<double>(x.shape(), dv), kNone, f32v({1, 1, 1.9f, 0.6f}), kNone, with({{"mode", "cubic"}})));
    REQUIRE(yh.shape() == Shape{2, 3, 32, 13});
    const auto ah = yh.to_vector<half>();
    const auto ad = yd.to_vector<double>();
    for (size_t i = 0; i < ah.size(); ++i) REQUIRE(static_cast<float>(ah[i]) == static_cast<float>(shape_ops::half_from_double(ad[i])));
    for (const char* mode : {"nearest", "linear", "cubic"}) {
        CAPTURE(mode);
        Attributes a = with({{"mode", mode}});
        a.set_int("antialias", 1);
        const Op o = resize(x, kNone, f32v({1, 1, 0.37f, 2.3f}), kNone, a);
        CHECK(run1(o, {}, 1).bitwise_equal(run1(o, {}, 3)));
    }
}

TEST_CASE("Resize-10, Resize-11's empty inputs and tf_half_pixel_for_nn, Upsample-7 and -9 import as Resize") {
    // Resize-10 (X, scales): asymmetric, nearest floor when upsampling and ceil when downsampling
    // (onnxruntime's rule, and ONNX 1.5's test_resize_downsample_nearest: [[1, 3]]).
    const Tensor x24 = iota(Shape{1, 1, 2, 4}, 1);
    Op r10("Resize", {x24, f32v({1, 1, 0.6f, 0.6f})}, {}, 1, 10);
    r10.runtime = {true};
    check_f32(run1(r10), Shape{1, 1, 1, 2}, {1, 3});
    // Opset 11's empty roi and scales are absent inputs.
    const Tensor empty = f32(Shape{0}, {});
    // half_pixel, round_prefer_floor: x = (y + 0.5) * 2 - 0.5 = 0.5 (row 0), and 0.5, 2.5 (columns 0, 2).
    check_f32(run1(resize(x24, empty, empty, i64v({1, 1, 1, 2}), {}, 11)), Shape{1, 1, 1, 2}, {1, 3});
    // tf_half_pixel_for_nn: x = (y + 0.5) * 2 = 1 (row 1), and 1, 3 (columns 1, 3).
    check_f32(run1(resize(x24, empty, empty, i64v({1, 1, 1, 2}), with({{"coordinate_transformation_mode", "tf_half_pixel_for_nn"}}), 11)),
              Shape{1, 1, 1, 2}, {6, 8});
    // Upsample-7: scales as an attribute; nearest repeats each element (the reference's np.repeat).
    Attributes u7;
    u7.set_floats("scales", {1, 1, 2, 3});
    Op up7("Upsample", {iota(Shape{1, 1, 2, 2}, 1)}, u7, 1, 7);
    up7.runtime = {true};
    check_f32(run1(up7), Shape{1, 1, 4, 6}, {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4});
    // Upsample-9 linear: Resize with asymmetric coordinates, x = y / 2.
    Op up9("Upsample", {iota(Shape{1, 3}), f32v({1, 2})}, with({{"mode", "linear"}}), 1, 9);
    up9.runtime = {true};
    check_f32(run1(up9), Shape{1, 6}, {0, 0.5, 1, 1.5, 2, 2});
    // A node built in code as Upsample is not canonical.
    Op raw("Upsample", {iota(Shape{1, 3}), f32v({1, 2})});
    raw.runtime = {true};
    check_error(raw, "Upsample is not a canonical op");
    Op up1("Upsample", {iota(Shape{1, 3})}, u7, 1, 6);
    up1.runtime = {true};
    check_error(up1, "unsupported Upsample opset 6");
}

TEST_CASE("Resize rejects bad input with the node and the reason") {
    const Tensor x = x34();
    check_error(resize(x, kNone, f32v({1, 1, 2, 2}), i64v({1, 1, 6, 8}), {}), "Resize scales and sizes are both given");
    check_error(resize(x, kNone, kNone, kNone, {}), "Resize needs scales or sizes");
    check_error(resize(x, kNone, f32v({1, 2, 2}), kNone, {}), "Resize scales have the wrong length");
    check_error(resize(x, kNone, kNone, i64v({6, 8}), {}), "Resize sizes have the wrong length");
    check_error(resize(x, kNone, f32v({1, 1, 0, 2}), kNone, {}), "Resize scale is not positive");
    check_error(resize(x, kNone, f32v({1, 1, -2, 2}), kNone, {}), "Resize scale is not positive");
    check_error(resize(x, kNone, kNone, i64v({1, 1, -1, 2}), {}), "Resize size is negative");
    check_error(resize(x, f32v({0, 0, 1, 1}), f32v({1, 1, 2, 2}), kNone, {}), "Resize roi has the wrong length");
    check_error(resize(x, kNone, f32v({1, 1, 2, 2}), kNone, with({{"coordinate_transformation_mode", "tf_crop_and_resize"}})),
                "Resize tf_crop_and_resize needs roi");
    check_error(resize(x, kNone, f32v({1, 1, 2, 2}), kNone, with({{"mode", "bilinear"}})), "unknown Resize mode 'bilinear'");
    check_error(resize(x, kNone, f32v({1, 1, 2, 2}), kNone, with({{"coordinate_transformation_mode", "center"}})),
                "unknown Resize coordinate_transformation_mode 'center'");
    check_error(resize(x, kNone, f32v({1, 1, 2, 2}), kNone, with({{"nearest_mode", "round"}})), "unknown Resize nearest_mode 'round'");
    check_error(resize(x, kNone, kNone, i64v({1, 1, 2, 2}), with({{"keep_aspect_ratio_policy", "fit"}})),
                "unknown Resize keep_aspect_ratio_policy 'fit'");
    check_error(resize(x, kNone, Tensor::from_vector<int64_t>(Shape{4}, {1, 1, 2, 2}), kNone, {}), "Resize scales must be a float tensor");
    Attributes ax;
    ax.set_ints("axes", {2, -2});
    check_error(resize(x, kNone, f32v({2, 2}), kNone, ax), "Resize axes repeat an axis");
    ax.set_ints("axes", {2, 4});
    check_error(resize(x, kNone, f32v({2, 2}), kNone, ax), "axis out of range");
    Attributes aa;
    aa.set_int("antialias", 2);
    check_error(resize(x, kNone, f32v({1, 1, 2, 2}), kNone, aa), "Resize antialias out of range");
    // Scales computed at run time: the output shape is known per run.
    Op rt = resize(x, kNone, f32v({1, 1, 2, 2}), kNone, {});
    rt.runtime = {true, false, true};
    check_data_dependent(rt);
    // The error names the node.
    check_error(resize(x, kNone, kNone, kNone, {}), "n0");
    // Opset 11+ files may not use Mutiny's internal nearest_mode for legacy imports.
    check_error(resize(x, kNone, f32v({1, 1, 2, 2}), kNone, with({{"nearest_mode", "simple"}}), 13), "unknown Resize nearest_mode 'simple'");
}
