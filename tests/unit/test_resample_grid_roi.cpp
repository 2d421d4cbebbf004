// GridSample and RoiAlign (ops/resample/grid_sample.hpp, roi_align.hpp): values against ONNX's
// reference implementation for every mode, padding and alignment, the opset-16 names import()
// renames, a clear Error for each bad input, and bitwise equality across thread counts.
//
// The expected numbers were printed by this snippet (onnx 1.23, numpy; run() as in
// test_resample.cpp: a one-node model evaluated by onnx.reference.ReferenceEvaluator):
//
//   vals = lambda y: ", ".join("%.9g" % v for v in y.flatten())
//   i = np.arange(24, dtype=np.float32)
//   xg = (((i * 7) % 11) * np.float32(0.5) + i * np.float32(0.25)).reshape(1, 2, 3, 4)
//   grid = np.array(<kGrid below>, np.float32).reshape(1, 2, 6, 2)
//   for mode in ["linear", "nearest", "cubic"]:
//       for pad in ["zeros", "border", "reflection"]:
//           for al in [0, 1]:
//               print(vals(run("GridSample", [xg, grid], ["X", "G"], 20, mode=mode, padding_mode=pad, align_corners=al)))
//   j = np.arange(36, dtype=np.float32)
//   xv = (((j * 5) % 7) * np.float32(0.5) - j * np.float32(0.125)).reshape(1, 2, 3, 2, 3)
//   gv = np.array(<kGrid3 below>, np.float32).reshape(1, 1, 2, 2, 3)
//   print(vals(run("GridSample", [xv, gv], ["X", "G"], 20, mode="linear", padding_mode="border")))
//   print(vals(run("GridSample", [xv, gv], ["X", "G"], 20, mode="cubic", padding_mode="reflection", align_corners=1)))
//   k = np.arange(120, dtype=np.float32)
//   xr = ((((k * 37) % 23) - 11) * np.float32(0.25)).reshape(2, 2, 5, 6)
//   rois = np.array(<kRois below>, np.float32); bi = np.array([1, 0, 1], np.int64)
//   for mode in ["avg", "max"]:
//       for ctm in ["half_pixel", "output_half_pixel"]:
//           print(vals(run("RoiAlign", [xr, rois, bi], ["X", "rois", "bi"], 16, mode=mode, coordinate_transformation_mode=ctm,
//                          output_height=2, output_width=3, sampling_ratio=0, spatial_scale=0.8)))
//   print(vals(run("RoiAlign", [xr, rois, bi], ["X", "rois", "bi"], 16, output_height=3, output_width=2, sampling_ratio=2)))
//   print(vals(run("RoiAlign", [xr, rois, bi], ["X", "rois", "bi"], 16, coordinate_transformation_mode="output_half_pixel",
//                  output_height=1, output_width=2, sampling_ratio=1)))
#include "one_node.hpp"

#include <mutiny/mutiny.hpp>

using namespace mutiny;
using namespace one_node;

namespace {

const std::vector<float> kGrid = {-1.3f, -0.9f, -0.6f, 0.2f, 0.05f, 0.95f, 0.7f, -1.0f, 1.0f, 1.0f, 1.45f, -0.35f,
                                  0.3f,  0.3f,  -0.2f, 0.8f, 2.6f,  -2.2f, -1.0f, 0.5f, 0.12f, -0.61f, 0.9f, 1.7f};
const std::vector<float> kGrid3 = {-0.8f, 0.3f, 0.1f, 0.9f, -1.2f, 0.5f, 0.25f, 0.75f, -0.4f, 1.3f, 0.0f, -0.95f};
const std::vector<float> kRois = {0.5f, 0.2f, 4.1f, 3.7f, 1.0f, 1.5f, 2.0f, 2.0f, -1.0f, 3.0f, 7.5f, 6.5f};

Tensor xg() {
    std::vector<float> v(24);
    for (size_t i = 0; i < 24; ++i) v[i] = static_cast<float>((i * 7) % 11) * 0.5f + static_cast<float>(i) * 0.25f;
    return f32(Shape{1, 2, 3, 4}, v);
}
Tensor xv() {
    std::vector<float> v(36);
    for (size_t j = 0; j < 36; ++j) v[j] = static_cast<float>((j * 5) % 7) * 0.5f - static_cast<float>(j) * 0.125f;
    return f32(Shape{1, 2, 3, 2, 3}, v);
}
Tensor xr() {
    std::vector<float> v(120);
    for (size_t k = 0; k < 120; ++k) v[k] = (static_cast<float>((k * 37) % 23) - 11) * 0.25f;
    return f32(Shape{2, 2, 5, 6}, v);
}

Op grid_sample(const Tensor& x, const Tensor& grid, const char* mode, const char* pad, int64_t align, int64_t opset = 0) {
    Attributes a;
    a.set_string("mode", mode);
    a.set_string("padding_mode", pad);
    a.set_int("align_corners", align);
    Op o("GridSample", {x, grid}, a, 1, opset);
    o.runtime = {true, true};
    return o;
}

Op roi_align(const Tensor& x, const Tensor& rois, const Tensor& batch, Attributes a, int64_t opset = 0) {
    Op o("RoiAlign", {x, rois, batch}, std::move(a), 1, opset);
    o.runtime = {true, true, true};
    return o;
}
Attributes roi_attrs(const char* mode, const char* ctm, int64_t h, int64_t w, int64_t sampling, double scale) {
    Attributes a;
    a.set_string("mode", mode);
    if (ctm) a.set_string("coordinate_transformation_mode", ctm);
    a.set_int("output_height", h);
    a.set_int("output_width", w);
    a.set_int("sampling_ratio", sampling);
    a.set_float("spatial_scale", scale);
    return a;
}
const Tensor kBatch = i64v({1, 0, 1});

struct GsCase {
    const char* mode;
    const char* pad;
    int64_t align;
    std::vector<float> want;
};

}  // namespace

TEST_CASE("GridSample matches ONNX's reference for every mode, padding mode and align_corners") {
    const std::vector<GsCase> cases = {
        {"linear", "zeros", 0, {
            0, 3.51999998, 2.98999882, 2.68750024, 0.6875, 0, 5.1500001, 4.86000156, 0, 1.4375, 2.67344999, 0, 0,
            6.82999992, 3.56499863, 3.4625001, 2.3125, 0, 6.39750004, 5.66000128, 0, 4, 7.51904964, 0}},
        {"linear", "zeros", 1, {
            0.220000088, 3.31000018, 5.20187473, 4.06250095, 2.75, 1.55187416, 5.44500017, 5.31999969, 0, 3.25,
            3.43359995, 0.903749883, 3.49250054, 7.39000034, 6.3187499, 7.53749943, 9.25, 1.87687397, 6.63749981,
            7.20000029, 0, 7, 7.40139961, 2.60624957}},
        {"linear", "border", 0, {
            0, 3.51999998, 5.19999981, 5.37500048, 2.75, 5.03750038, 5.1500001, 6.07500029, 5.75, 2.875, 2.67344999,
            2.75, 6.5, 6.82999992, 6.19999981, 6.92500019, 9.25, 6.03750038, 6.39750004, 7.07499981, 6.75, 8,
            7.51904964, 9.25}},
        {"linear", "border", 1, {
            0.400000095, 3.31000018, 5.20187473, 4.06250095, 2.75, 4.77499962, 5.44500017, 5.31999969, 5.75, 3.25,
            3.43359995, 3.01250005, 6.3499999, 7.39000034, 6.3187499, 7.53749943, 9.25, 5.7750001, 6.63749981,
            7.20000029, 6.75, 7, 7.40139961, 8.6875}},
        {"linear", "reflection", 0, {
            0.374999642, 3.51999998, 5.19999981, 5.37500048, 2.75, 4.5824995, 5.1500001, 6.07500029, 3.51999998, 2.875,
            2.67344999, 3.57500029, 6.32499981, 6.82999992, 6.19999981, 6.92500019, 9.25, 6.73750019, 6.39750004,
            7.07499981, 6.83000088, 8, 7.51904964, 7.04999924}},
        {"linear", "reflection", 1, {
            1.83999979, 3.31000018, 5.20187473, 4.06250095, 2.75, 4.65687513, 5.44500017, 5.31999969, 3.30999994, 3.25,
            3.43359995, 4.06250048, 5.81000042, 7.39000034, 6.3187499, 7.53749943, 9.25, 6.95625019, 6.63749981,
            7.20000029, 7.39000082, 7, 7.40139961, 6.46500015}},
        {"nearest", "zeros", 0, {0, 4, 4.5, 5.75, 0, 0, 6, 6.25, 0, 2.5, 2, 0, 0, 5, 5.5, 6.75, 0, 0, 7, 7.25, 0, 9, 8.5, 0}},
        {"nearest", "zeros", 1, {0, 2.25, 4.5, 5.75, 2.75, 0, 6, 6.25, 0, 2.5, 2, 0, 6.5, 8.75, 5.5, 6.75, 9.25, 0, 7, 7.25, 0, 9, 8.5, 0}},
        {"nearest", "border", 0, {
            0, 4, 4.5, 5.75, 2.75, 5.75, 6, 6.25, 5.75, 2.5, 2, 2.75, 6.5, 5, 5.5, 6.75, 9.25, 6.75, 7, 7.25, 6.75, 9,
            8.5, 9.25}},
        {"nearest", "border", 1, {
            0, 2.25, 4.5, 5.75, 2.75, 4.25, 6, 6.25, 5.75, 2.5, 2, 2.75, 6.5, 8.75, 5.5, 6.75, 9.25, 5.25, 7, 7.25,
            6.75, 9, 8.5, 9.25}},
        {"nearest", "reflection", 0, {
            0, 4, 4.5, 5.75, 2.75, 5.75, 6, 6.25, 4, 2.5, 2, 4.25, 6.5, 5, 5.5, 6.75, 9.25, 6.75, 7, 7.25, 5, 9, 8.5,
            5.25}},
        {"nearest", "reflection", 1, {
            0, 2.25, 4.5, 5.75, 2.75, 6, 6, 6.25, 2.25, 2.5, 2, 4.25, 6.5, 8.75, 5.5, 6.75, 9.25, 7, 7, 7.25, 8.75, 9,
            8.5, 5.25}},
        {"cubic", "zeros", 0, {
            0.0269500278, 4.28783464, 3.40206361, 2.99340606, 0.53515625, -0.61992538, 6.04648209, 5.60198879, 0,
            1.36837769, 2.48177576, -0.149505198, -0.273511738, 7.95829582, 3.03694272, 3.81708527, 2.72412109,
            -0.685759068, 6.62520504, 5.56765938, 0, 4.54153442, 8.15753651, -0.591625094}},
        {"cubic", "zeros", 1, {
            -0.168214768, 3.38137484, 5.85283041, 4.52656364, 2.75, 1.62458622, 6.20883799, 6.30419445, 0, 3.859375,
            3.53242946, 0.804589808, 3.89109874, 8.44244671, 5.9897356, 8.52904701, 9.25, 1.61401999, 6.77805996,
            7.79126978, 0, 7.703125, 8.62247276, 2.82109904}},
        {"cubic", "border", 0, {
            -0.443623543, 3.65986156, 5.74654818, 5.5255518, 2.4453125, 5.17543697, 5.666749, 6.71890593, 5.75,
            2.76385498, 2.36676431, 2.55706358, 6.66636086, 6.84926271, 5.38558483, 7.06291819, 10.0249023, 5.68681526,
            6.09737635, 6.79523706, 6.75, 8.07012939, 7.74481392, 9.66343784}},
        {"cubic", "border", 1, {
            0.338125587, 2.96080017, 5.65977859, 3.93952489, 2.75, 4.91576672, 5.98984814, 5.6951704, 5.75, 3.625,
            3.28151011, 2.94835305, 6.35000134, 7.83174515, 5.79695606, 7.83991432, 9.25, 5.30578327, 6.52107859,
            7.14960575, 6.75, 6.859375, 7.80876017, 8.74607086}},
        {"cubic", "reflection", 0, {
            -0.279900938, 3.65986156, 5.82677937, 5.62041521, 2.140625, 4.82347822, 5.666749, 6.81210089, 3.65986586,
            2.54724121, 2.36676431, 3.06707907, 6.50384092, 6.84926271, 5.1916275, 7.20702362, 10.8964844, 6.63853407,
            6.09737635, 6.75032711, 6.84927225, 8.09924316, 7.74481392, 6.98093796}},
        {"cubic", "reflection", 1, {
            1.4572618, 3.1046555, 5.70091629, 4.32237625, 2.75, 4.98727036, 5.92965221, 6.03693056, 3.10465479,
            3.484375, 2.99081612, 3.74135065, 5.59226608, 7.61814499, 5.71207523, 7.66125059, 9.25, 6.95294952,
            6.44094515, 6.94224596, 7.61814642, 7.234375, 7.76092339, 6.35376883}},
    };
    const Tensor grid = f32(Shape{1, 2, 6, 2}, kGrid);
    for (const GsCase& k : cases) {
        CAPTURE(k.mode);
        CAPTURE(k.pad);
        CAPTURE(k.align);
        check_f32(run1(grid_sample(xg(), grid, k.mode, k.pad, k.align)), Shape{1, 2, 2, 6}, k.want);
    }
}

TEST_CASE("GridSample volumetric (opset 20) and the opset 16 mode names") {
    const Tensor grid = f32(Shape{1, 1, 2, 2, 3}, kGrid3);
    check_f32(run1(grid_sample(xv(), grid, "linear", "border", 0)), Shape{1, 2, 1, 2, 2},
              {0.387500018, -0.9375, 1.3031249, 1.3125, -2.36250019, -1.0625, -1.4468751, -1.4375});
    check_f32(run1(grid_sample(xv(), grid, "cubic", "reflection", 1)), Shape{1, 2, 1, 2, 2},
              {0.215498731, -0.425839901, 1.06292582, 1.61653423, -2.49203253, -1.14904594, -1.61639464, -1.21555221});
    // Opset 16's bilinear and bicubic are opset 20's linear and cubic.
    const Tensor g2 = f32(Shape{1, 2, 6, 2}, kGrid);
    CHECK(run1(grid_sample(xg(), g2, "bilinear", "zeros", 0, 16)).bitwise_equal(run1(grid_sample(xg(), g2, "linear", "zeros", 0))));
    CHECK(run1(grid_sample(xg(), g2, "bicubic", "border", 1, 16)).bitwise_equal(run1(grid_sample(xg(), g2, "cubic", "border", 1))));
    // Opset 16's default mode is bilinear.
    Op def("GridSample", {xg(), g2}, {}, 1, 16);
    def.runtime = {true, true};
    CHECK(run1(def).bitwise_equal(run1(grid_sample(xg(), g2, "linear", "zeros", 0))));
}

TEST_CASE("GridSample f64 and f16 inputs, and the same bits whatever the thread count") {
    const Tensor x = random_tensor(Shape{2, 3, 9, 11}, 11, -4, 4);
    const Tensor g = random_tensor(Shape{2, 7, 5, 2}, 12, -1.3f, 1.3f);
    for (const char* mode : {"linear", "nearest", "cubic"})
        for (const char* pad : {"zeros", "border", "reflection"}) {
            CAPTURE(mode);
            CAPTURE(pad);
            const Op o = grid_sample(x, g, mode, pad, 0);
            CHECK(run1(o, {}, 1).bitwise_equal(run1(o, {}, 3)));
        }
    // f64 data with an f32 grid: the same coordinates; sums in double either way.
    std::vector<double> xd;
    for (float v : x.to_vector<float>()) xd.push_back(static_cast<double>(v));
    const Tensor yd = run1(grid_sample(Tensor::from_vector<double>(x.shape(), xd), g, "cubic", "reflection", 1));
    const Tensor yf = run1(grid_sample(x, g, "cubic", "reflection", 1));
    REQUIRE(yd.dtype() == DType::f64);
    const auto ad = yd.to_vector<double>();
    const auto af = yf.to_vector<float>();
    for (size_t i = 0; i < ad.size(); ++i) REQUIRE(static_cast<float>(ad[i]) == af[i]);
    std::vector<half> xh;
    for (float v : x.to_vector<float>()) xh.push_back(half(v));
    const Tensor yh = run1(grid_sample(Tensor::from_vector<half>(x.shape(), xh), g, "linear", "border", 0));
    CHECK(yh.dtype() == DType::f16);
    CHECK(yh.shape() == Shape{2, 3, 7, 5});
}

TEST_CASE("GridSample rejects bad input with the node and the reason") {
    const Tensor g = f32(Shape{1, 2, 6, 2}, kGrid);
    // A volumetric X needs three coordinates per point.
    const Tensor g5 = f32(Shape{1, 1, 2, 3, 2}, std::vector<float>(12, 0.5f));
    check_error(grid_sample(xv(), g5, "linear", "zeros", 0), "GridSample grid has the wrong last dimension");
    check_error(grid_sample(xg(), f32(Shape{1, 2, 4, 3}, std::vector<float>(24, 0.f)), "linear", "zeros", 0),
                "GridSample grid has the wrong last dimension");
    check_error(grid_sample(xg(), f32(Shape{1, 12, 2}, kGrid), "linear", "zeros", 0), "GridSample grid has the wrong rank");
    check_error(grid_sample(xg(), f32(Shape{2, 1, 6, 2}, kGrid), "linear", "zeros", 0), "GridSample batch sizes differ");
    check_error(grid_sample(f32(Shape{2, 3}, std::vector<float>(6, 1.f)), g, "linear", "zeros", 0), "GridSample input has too few axes");
    check_error(grid_sample(xg(), g, "area", "zeros", 0), "unknown GridSample mode 'area'");
    check_error(grid_sample(xg(), g, "linear", "wrap", 0), "unknown GridSample padding_mode 'wrap'");
    check_error(grid_sample(xg(), g, "linear", "zeros", 2), "GridSample align_corners out of range");
    check_error(grid_sample(Tensor::from_vector<int32_t>(Shape{1, 2, 3, 4}, std::vector<int32_t>(24, 1)), g, "linear", "zeros", 0),
                "unsupported input dtype");
}

TEST_CASE("RoiAlign matches ONNX's reference: avg and max, half_pixel and output_half_pixel, adaptive and fixed sampling") {
    struct RoiCase {
        const char* mode;
        const char* ctm;
        std::vector<float> want;
    };
    const std::vector<RoiCase> cases = {
        {"avg", "half_pixel", {
            -0.538399994, -0.163799942, 0.105000198, 0.573325038, -0.427475035, -1.25750017, 0.175000042, -1.28120005,
            -0.971000195, -0.888500094, -0.0470000803, 0.242499799, -0.22666657, -0.519999981, -0.813333511,
            0.0249999762, -0.575000107, -1.17500007, 1.27333343, 0.9799999, 0.686666489, 1.52499998, 0.924999893,
            0.324999928, 0.358333021, -0.496296167, 0.867222309, -1.1604861, 0.666087866, -0.0137733221, 0.00981520582,
            1.00370383, -0.111666583, -0.591666758, -0.381481409, 0.453888893}},
        {"avg", "output_half_pixel", {
            0.442750067, -0.0853999555, -1.53699994, -0.531049848, -1.18685019, -0.0762500912, -1.4187001, -0.366749942,
            -0.318750083, 0.292750001, 0.271749854, 1.42374992, 0.4262501, 0.711250067, 1.01541662, 2.20541692,
            1.72375011, 1.06958342, -0.575000167, -0.548750043, -0.436249971, -1.57500017, -0.68625021, 0.384583473,
            -0.580925882, 0.303750157, 0.571758926, -0.51111114, 0.96666652, -0.983333409, -0.0168984532, 0.757036924,
            0.32439822, -1.39629638, -0.216666535, 0.516666532}},
        {"max", "half_pixel", {
            0.472149968, 0.820049942, 1.03950012, 1.10360014, 0.681450009, 0.26699999, 1.07414997, 0.241400018,
            0.497000009, 0.422750056, 0.734250009, 0.667499959, 0.453333378, 0.23999998, 0.144999951, 0.566666663,
            0.299999952, 0.0333333015, 1.13333344, 0.599999964, 0.434999853, 1.41666663, 0.749999881, 0.241666675, 1.5,
            1.0687505, 1.6875, 0.883333325, 2.35277772, 1.0694443, 1.42500043, 2.35125113, 1.6625005, 0.524999857,
            0.8662498, 1.26666641}},
        {"max", "output_half_pixel", {
            1.21660018, 0.61740005, 0.167999923, 0.218400002, 0.64049989, 0.727999926, 0.230999902, 0.663600087,
            0.419999808, 1.00099993, 1.40909982, 1.81999981, 1.0875001, 0.787500143, 0.783749938, 2.29583359,
            1.66250014, 0.870833397, 0.132916659, 0.236249983, 0.498750031, 0.0158333182, 0.498749942, 1.05291677,
            0.615000367, 0.797500551, 1.66666651, 1.36666667, 1.77222228, 0.444444418, 1.125, 1.74166679, 1.3125,
            0.0666666627, 0.711111069, 1.77777767}},
    };
    const Tensor rois = f32(Shape{3, 4}, kRois);
    for (const RoiCase& k : cases) {
        CAPTURE(k.mode);
        CAPTURE(k.ctm);
        check_f32(run1(roi_align(xr(), rois, kBatch, roi_attrs(k.mode, k.ctm, 2, 3, 0, 0.8))), Shape{3, 2, 2, 3}, k.want);
    }
    check_f32(run1(roi_align(xr(), rois, kBatch, roi_attrs("avg", "half_pixel", 3, 2, 2, 1.0))), Shape{3, 2, 3, 2},
              {-0.434531301, -0.218750238, 0.20531261, -1.12062502, -0.637812614, -0.118958414, -0.560703039,
               -0.562343717, -0.745625138, 0.379374862, 0.256041586, 1.11510432, -0.494791716, -0.182291746,
               -0.109375127, 0.203124836, 0.276041716, 0.588541746, 0.645833373, -0.35937497, 0.312500119, -0.45312494,
               -0.0208333656, -0.546875, -0.125976562, 0.737955749, -1.00048828, -0.383626223, 0, 0, 0.906087339,
               0.182779968, -0.380208254, 0.539876282, 0, 0});
    // Opset 10 has no coordinate_transformation_mode; its behaviour is output_half_pixel (the operator
    // text calls that value the backward-compatible one), which import sets. The expected values are
    // the reference's at opset 16 with output_half_pixel: its opset-10 evaluation applies opset 16's
    // default half_pixel instead.
    check_f32(run1(roi_align(xr(), rois, kBatch, roi_attrs("avg", nullptr, 1, 2, 1, 1.0), 10)), Shape{3, 2, 1, 2},
              {-1.05000007, 0.420000494, 0.277500153, 1.92000055, 1.9375, 0.8125, -0.875, 0.875, 1.21875, -1.75, -2.3125, -0.25});
    const Op o = roi_align(random_tensor(Shape{2, 5, 19, 23}, 3), f32(Shape{3, 4}, kRois), kBatch,
                           roi_attrs("max", "half_pixel", 4, 5, 0, 2.0));
    CHECK(run1(o, {}, 1).bitwise_equal(run1(o, {}, 3)));
}

TEST_CASE("RoiAlign rejects bad input with the node and the reason") {
    const Attributes a = roi_attrs("avg", "half_pixel", 2, 2, 0, 1.0);
    const Tensor rois = f32(Shape{3, 4}, kRois);
    check_error(roi_align(xr(), f32(Shape{4, 3}, kRois), kBatch, a), "RoiAlign rois have the wrong shape");
    check_error(roi_align(xr(), rois, i64v({1, 0}), a), "RoiAlign batch_indices have the wrong shape");
    check_error(roi_align(xr(), rois, Tensor::from_vector<int32_t>(Shape{3}, {1, 0, 1}), a), "RoiAlign batch_indices must be int64");
    check_error(roi_align(f32(Shape{2, 10, 6}, std::vector<float>(120, 0.f)), rois, kBatch, a), "RoiAlign input must be 4-D");
    check_error(roi_align(xr(), rois, i64v({1, 2, 0}), a), "RoiAlign batch index out of range");
    check_error(roi_align(xr(), rois, kBatch, roi_attrs("sum", "half_pixel", 2, 2, 0, 1.0)), "unknown RoiAlign mode 'sum'");
    check_error(roi_align(xr(), rois, kBatch, roi_attrs("avg", "corners", 2, 2, 0, 1.0)),
                "unknown RoiAlign coordinate_transformation_mode");
    check_error(roi_align(xr(), rois, kBatch, roi_attrs("avg", "half_pixel", 0, 2, 0, 1.0)), "RoiAlign output size out of range");
    check_error(roi_align(xr(), rois, kBatch, roi_attrs("avg", "half_pixel", 2, 2, -1, 1.0)), "RoiAlign sampling_ratio out of range");
}
