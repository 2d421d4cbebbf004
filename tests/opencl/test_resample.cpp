// Resize on the OpenCL device (kernels/resample.cl) against the CPU kernel, with the CPU fallback
// off, beyond what the ONNX node tests cover (test_parity.cpp runs those): feature maps of CNN and
// segmentation sizes, f16, antialias, tf_crop_and_resize with extrapolation, axes of an NHWC
// tensor. The kernel reads the CPU's tap tables and sums the same terms in ACC, so where ACC is
// double (cl_khr_fp64, as PoCL has) the results are the CPU's bits.
#include "opencl_test_util.hpp"

#include <random>

using namespace mutiny;
using namespace octest;

#if MUTINY_WITH_OPENCL

namespace {

Tensor random_of(DType t, const Shape& s, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(-3, 3);
    Tensor x(t, s);
    for (int64_t i = 0; i < x.numel(); ++i) {
        const float v = d(rng);
        if (t == DType::f16) x.data<half>()[i] = half(v);
        else x.data<float>()[i] = v;
    }
    return x;
}

// Resize of x (an input) with constant roi / scales / sizes (empty: absent), on both backends.
void check_resize(const Tensor& x, const Tensor& roi, const Tensor& scales, const Tensor& sizes, const Attributes& a) {
    GraphBuilder b("resize");
    std::vector<std::string> in{b.input("x", x.dtype(), x.shape())};
    int k = 0;
    for (const Tensor* t : {&roi, &scales, &sizes}) in.push_back(t->empty() ? "" : b.constant("c" + std::to_string(k++), *t));
    b.output(b.node("Resize", in, a, "r"));
    const Graph g = b.build();
    CpuExecutor cpu(g);
    const Tensor want = cpu.run({x})[0];
    OpenClOptions oo;
    oo.cpu_fallback = false;
    OpenClExecutor ocl(g, oo);
    const Tensor got = ocl.run({x})[0];
    const Diff d = compare(got, want);
    CHECK_MESSAGE(d.detail.empty(), d.detail);
    CHECK_MESSAGE(d.ratio <= 1.0, "worst error " << d.ratio << " x the tolerance");
    if (opencl::select_device().fp64) CHECK_MESSAGE(got.bitwise_equal(want), "ACC is double: the CPU's bits expected");
}

Tensor f32v(std::vector<float> v) { return Tensor::from_vector<float>(Shape{static_cast<int64_t>(v.size())}, v); }
Tensor i64v(std::vector<int64_t> v) { return Tensor::from_vector<int64_t>(Shape{static_cast<int64_t>(v.size())}, v); }
const Tensor kNone;

}  // namespace

TEST_CASE("Resize on OpenCL: nearest, linear and cubic feature maps, f32 and f16, match the CPU kernel") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    for (DType t : {DType::f32, DType::f16}) {
        const Tensor x = random_of(t, Shape{2, 8, 13, 17}, 5);
        for (const char* mode : {"nearest", "linear", "cubic"})
            for (const char* ctm : {"half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel"}) {
                CAPTURE(dtype_name(t));
                CAPTURE(mode);
                CAPTURE(ctm);
                Attributes a;
                a.set_string("mode", mode);
                a.set_string("coordinate_transformation_mode", ctm);
                check_resize(x, kNone, f32v({1, 1, 2, 2}), kNone, a);       // a decoder's x2 upsampling
                check_resize(x, kNone, kNone, i64v({2, 8, 7, 31}), a);      // sizes, down one axis, up the other
            }
    }
}

TEST_CASE("Resize on OpenCL: antialias, exclude_outside, tf_crop_and_resize and axes match the CPU kernel") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    const Tensor x = random_of(DType::f32, Shape{1, 3, 24, 20}, 9);
    for (const char* mode : {"linear", "cubic"}) {
        CAPTURE(mode);
        Attributes a;
        a.set_string("mode", mode);
        a.set_int("antialias", 1);
        check_resize(x, kNone, f32v({1, 1, 0.3f, 0.45f}), kNone, a);
        a.set_int("exclude_outside", 1);
        a.set_float("cubic_coeff_a", -0.5);
        check_resize(x, kNone, f32v({1, 1, 0.6f, 1.7f}), kNone, a);
    }
    Attributes crop;
    crop.set_string("mode", "linear");
    crop.set_string("coordinate_transformation_mode", "tf_crop_and_resize");
    crop.set_float("extrapolation_value", -2.5);
    check_resize(x, f32v({0, 0, -0.2f, 0.1f, 1, 1, 0.7f, 1.3f}), kNone, i64v({1, 3, 9, 11}), crop);
    // NHWC: the spatial axes listed, channels last and untouched.
    const Tensor nhwc = random_of(DType::f32, Shape{1, 10, 12, 5}, 3);
    Attributes ax;
    ax.set_string("mode", "nearest");
    ax.set_ints("axes", {1, 2});
    ax.set_string("keep_aspect_ratio_policy", "not_larger");
    check_resize(nhwc, kNone, kNone, i64v({25, 40}), ax);
}

#endif  // MUTINY_WITH_OPENCL
