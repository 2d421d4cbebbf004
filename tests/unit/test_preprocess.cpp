// Preprocessing recipes (mutiny/io/preprocess.hpp). Reference numbers for bilinear resizing come
// from PyTorch 2.x: F.interpolate(mode='bilinear', align_corners=False).
#include <doctest/doctest.h>

#include "io_fixtures.hpp"
#include "support/support.hpp"

namespace fs = std::filesystem;
using namespace mutiny;
using namespace io_fixtures;
using mutiny_test::contains;
using mutiny_test::error_of;

TEST_CASE("preprocess: bilinear resize matches PyTorch align_corners=False") {
    // 2x2 -> 4x4 (F.interpolate of [[0,10],[20,30]]).
    Tensor t = Recipe("resize=4").apply(make_image(2, 2, 1, {0, 10, 20, 30}));
    CHECK(t.shape() == Shape{1, 4, 4});
    check_values(t, {0, 2.5f, 7.5f, 10, 5, 7.5f, 12.5f, 15, 15, 17.5f, 22.5f, 25, 20, 22.5f, 27.5f, 30}, 1e-5f);

    // RGB 3 wide x 2 high -> 5 x 3 (non-integer scale both ways), compared in nhwc.
    std::vector<float> rgb(18);
    for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<float>(i * 7);
    Tensor u = Recipe("resize=5x3;layout=nhwc").apply(make_image(3, 2, 3, rgb));
    CHECK(u.shape() == Shape{3, 5, 3});
    check_values(u,
                 {0, 7, 14, 8.40000057f, 15.4000006f, 22.3999996f, 21, 28, 35, 33.6000023f, 40.6000023f,
                  47.6000023f, 42, 49, 56, 31.5f, 38.5f, 45.5f, 39.9000015f, 46.9000015f, 53.9000015f, 52.5f,
                  59.5f, 66.5f, 65.0999985f, 72.1000061f, 79.1000061f, 73.5f, 80.5f, 87.5f, 63, 70, 77,
                  71.4000015f, 78.4000015f, 85.4000092f, 84, 91, 98, 96.5999985f, 103.599998f, 110.600006f,
                  105, 112, 119},
                 1e-4f);

    // Downscale 5 wide x 4 high -> 2 x 3 (no antialiasing).
    std::vector<float> g(20);
    for (size_t i = 0; i < g.size(); ++i) g[i] = static_cast<float>((i * 13) % 256);
    Tensor d = Recipe("resize=2x3").apply(make_image(5, 4, 1, g));
    CHECK(d.shape() == Shape{1, 3, 2});
    check_values(d, {20.5833359f, 53.0833321f, 107.25f, 139.75f, 193.916672f, 226.416672f}, 1e-4f);

    // Same size: identity.
    check_values(Recipe("resize=2x2").apply(make_image(2, 2, 1, {1, 2, 3, 4})), {1, 2, 3, 4}, 0);
}

TEST_CASE("preprocess: resize-short, centre crop, scale, mean and std match torchvision's pipeline") {
    // 5 wide x 7 high RGB; resize-short=4 -> 4x5 (floor(4*7/5)); crop 3x3 at top 1, left round(0.5)=0.
    std::vector<float> px(7 * 5 * 3);
    for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<float>((i * 37 + 11) % 256);
    const Image im = make_image(5, 7, 3, px);
    Tensor t = Recipe("resize-short=4;crop=3x3;scale=1/255;mean=0.485,0.456,0.406;std=0.229,0.224,0.225").apply(im);
    CHECK(t.shape() == Shape{3, 3, 3});
    check_values(t,
                 {-0.513742685f, 0.218340665f, -0.145560533f, 0.517167389f, 1.24925065f, 0.885349691f,
                  1.00008571f, -0.459799737f, -0.823700666f, 0.252013087f, 1.00043774f, 0.628414035f,
                  0.745710611f, -0.746761143f, 1.68233538f, 0.231004581f, 0.307160676f, -0.064863421f,
                  0.783355117f, 0.189891264f, 1.49272358f, 1.6094991f, 0.12366017f, -0.246710256f,
                  -1.24540293f, 0.50361675f, 0.133246183f},
                 2e-5f);
    CHECK(Recipe("resize-short=4").apply(im).shape() == Shape{3, 5, 4});
    CHECK(Recipe("resize-short=3").apply(make_image(6, 4, 1, std::vector<float>(24, 1.f))).shape() ==
          Shape{1, 3, 4});  // wide image: height becomes 3, width floor(3*6/4)=4

    // Centre crop offsets: (in-out)/2 rounded half to even, as Python's round.
    std::vector<float> ramp(8);
    for (size_t i = 0; i < 8; ++i) ramp[i] = static_cast<float>(i);
    check_values(Recipe("crop=1x1").apply(make_image(8, 1, 1, ramp)), {4}, 0);  // round(3.5)=4
    check_values(Recipe("crop=3x1").apply(make_image(8, 1, 1, ramp)), {2, 3, 4}, 0);  // round(2.5)=2
    check_values(Recipe("crop=2x1").apply(make_image(8, 1, 1, ramp)), {3, 4}, 0);
    const std::string e = error_of([&] { Recipe("crop=9x1").apply(make_image(8, 1, 1, ramp)); });
    CHECK(contains(e, "crop larger than the image"));
    CHECK(contains(e, "test-image"));

    // scale=1/255 is exactly x / 255.f (torchvision's ToTensor).
    std::vector<float> all(256);
    for (size_t i = 0; i < 256; ++i) all[i] = static_cast<float>(i);
    Tensor s = Recipe("unit").apply(make_image(256, 1, 1, all));
    for (int i = 0; i < 256; ++i) CHECK(s.data<float>()[i] == static_cast<float>(i) / 255.f);
    check_values(Recipe("scale=0.5").apply(make_image(2, 1, 1, {4, 6})), {2, 3}, 0);
    check_values(Recipe("inception").apply(make_image(3, 1, 1, {0, 127.5f, 255})), {-1, 0, 1}, 0);
    check_values(Recipe("mean=1;std=2").apply(make_image(2, 1, 1, {5, 7})), {2, 3}, 0);
}

TEST_CASE("preprocess: channel conversions and layouts") {
    const Image rgb = make_image(2, 1, 3, {10, 20, 30, 100, 150, 200});
    // nchw: channel planes.
    check_values(Recipe("raw").apply(rgb), {10, 100, 20, 150, 30, 200}, 0);
    Tensor h = Recipe("layout=nhwc").apply(rgb);
    CHECK(h.shape() == Shape{1, 2, 3});
    check_values(h, {10, 20, 30, 100, 150, 200}, 0);
    check_values(Recipe("bgr;layout=nhwc").apply(rgb), {30, 20, 10, 200, 150, 100}, 0);
    check_values(Recipe("bgr;rgb;layout=nhwc").apply(rgb), {10, 20, 30, 100, 150, 200}, 0);
    // gray = 0.299 R + 0.587 G + 0.114 B, in float.
    Tensor g = Recipe("gray").apply(rgb);
    CHECK(g.shape() == Shape{1, 1, 2});
    check_values(g, {0.299f * 10 + 0.587f * 20 + 0.114f * 30, 0.299f * 100 + 0.587f * 150 + 0.114f * 200}, 1e-4f);
    // gray after bgr uses the right weights.
    check_values(Recipe("bgr;gray").apply(rgb), g.to_vector<float>(), 1e-4f);
    // gray -> rgb replicates.
    check_values(Recipe("rgb;layout=nhwc").apply(make_image(1, 1, 1, {9})), {9, 9, 9}, 0);
    // caffe: BGR order, BGR means.
    check_values(Recipe("caffe").apply(make_image(1, 1, 3, {200, 150, 100})),
                 {100 - 103.939f, 150 - 116.779f, 200 - 123.68f}, 1e-4f);
    // three means on one channel: a clear error.
    const std::string e = error_of([&] { Recipe("mean=1,2,3").apply(make_image(1, 1, 1, {9})); });
    CHECK(contains(e, "mean has 3 values but the image has 1 channel"));
    CHECK(contains(e, "add rgb"));
}

TEST_CASE("preprocess: recipes parse, print canonically and round-trip") {
    CHECK(Recipe("raw").to_string() == "raw");
    CHECK(Recipe("").to_string() == "raw");
    CHECK(Recipe("unit").to_string() == "scale=1/255");
    CHECK(Recipe("torch-imagenet").to_string() ==
          "resize-short=256;crop=224x224;scale=1/255;mean=0.485,0.456,0.406;std=0.229,0.224,0.225");
    CHECK(Recipe("inception").to_string() == "scale=1/127.5;mean=1");
    CHECK(Recipe("caffe").to_string() == "bgr;mean=103.939,116.779,123.68");
    CHECK(Recipe(" RESIZE = 28 ; gray;scale=0.0039215686274509803; layout=nchw ").to_string() ==
          "resize=28x28;gray;scale=0.00392156862745098");
    CHECK(Recipe("scale=1/255; layout=nchw").to_string() == "scale=1/255");
    CHECK(Recipe("layout=nhwc;unit").to_string() == "scale=1/255;layout=nhwc");
    CHECK(Recipe("layout=nhwc").to_string() == "layout=nhwc");
    CHECK(Recipe("caffe;resize=224x200").to_string() == "bgr;mean=103.939,116.779,123.68;resize=224x200");
    CHECK(Recipe("unit") == Recipe("scale=1/255"));
    CHECK(Recipe("unit") != Recipe("scale=0.00392156862745098"));

    for (const char* text : {"raw", "unit", "torch-imagenet", "inception", "caffe", "gray;resize=32x16;crop=8x8",
                             "rgb;resize-short=7;scale=2.5e-3;mean=-1.25;std=3,4,5;layout=nhwc",
                             "bgr;scale=3/7;mean=0.1,0.2,0.30000000000000004", "scale=1e-300;std=1e+300"}) {
        INFO(text);
        const Recipe r(text);
        const std::string canon = r.to_string();
        const Recipe back(canon);
        CHECK(back == r);
        CHECK(back.to_string() == canon);
    }
}

TEST_CASE("preprocess: bad steps name the step and what is allowed") {
    for (const char* bad : {"resize", "resize=0", "resize=28x", "resize=axb", "crop=1x2x3", "scale=1/0",
                            "scale=abc", "mean=1,2", "std=0", "layout=chw", "blur=3", "imagenet", "resize-short=-4"}) {
        INFO(bad);
        const std::string e = error_of([&] { Recipe r(std::string("unit;") + bad); });
        CHECK(contains(e, std::string("bad preprocessing step '") + bad + "'"));
        CHECK(contains(e, "allowed steps"));
        CHECK(contains(e, "torch-imagenet"));
    }
}

TEST_CASE("preprocess: fit_to_input reshapes equal counts and explains mismatches") {
    const Image im = make_image(28, 28, 1, std::vector<float>(784, 1.f));
    Tensor t = fit_to_input(Recipe("unit").apply(im), Shape{784}, "x.png");
    CHECK(t.shape() == Shape{784});
    CHECK(fit_to_input(Recipe("unit").apply(im), Shape{1, 28, 28}, "x.png").shape() == Shape{1, 28, 28});

    std::string e = error_of([&] { fit_to_input(Recipe("unit").apply(im), Shape{3, 224, 224}, "x.png"); });
    CHECK(contains(e, "image size does not fit the model"));
    CHECK(contains(e, "x.png"));
    CHECK(contains(e, "resize"));
    CHECK(contains(e, "resize=224x224 and rgb"));

    const Image big = make_image(32, 32, 1, std::vector<float>(1024, 1.f));
    e = error_of([&] { fit_to_input(Recipe("raw").apply(big), Shape{784}, "y.png"); });
    CHECK(contains(e, "image size does not fit the model"));
    CHECK(contains(e, "resize=28x28"));
    e = error_of([&] { fit_to_input(Recipe("raw").apply(big), Shape{-1, 28}, "y.png"); });
    CHECK(contains(e, "unknown dimensions"));
}
