// ImageDecoder (opset 20) on a binary PPM written here (the lossless formats decode to the file's
// pixels), its pixel formats (RGB, BGR, Grayscale with PIL's luma), and the refusals: JPEG (stb's
// chroma upsampling is not the spec's), unknown bytes, a non-uint8 input, a bad pixel_format, and
// bytes only known at run time.
#include <doctest/doctest.h>

#include "one_node.hpp"

#include <string>
#include <vector>

using namespace mutiny;
using namespace one_node;

namespace {
Tensor bytes(const std::vector<uint8_t>& v) { return Tensor::from_vector<uint8_t>(Shape{static_cast<int64_t>(v.size())}, v); }
// 2 x 1 pixels: (200, 100, 50), (0, 255, 10).
std::vector<uint8_t> ppm() {
    const std::string head = "P6\n2 1\n255\n";
    std::vector<uint8_t> v(head.begin(), head.end());
    for (uint8_t b : {200, 100, 50, 0, 255, 10}) v.push_back(b);
    return v;
}
Attributes fmt(const char* f) {
    Attributes a;
    a.set_string("pixel_format", f);
    return a;
}
}  // namespace

TEST_CASE("ImageDecoder decodes PNM to RGB, BGR and Grayscale") {
    const Tensor y = run1({"ImageDecoder", {bytes(ppm())}});
    REQUIRE(y.dtype() == DType::u8);
    REQUIRE(y.shape() == Shape{1, 2, 3});
    CHECK(y.to_vector<uint8_t>() == std::vector<uint8_t>{200, 100, 50, 0, 255, 10});
    CHECK(run1({"ImageDecoder", {bytes(ppm())}, fmt("BGR")}).to_vector<uint8_t>() == std::vector<uint8_t>{50, 100, 200, 10, 255, 0});
    // PIL: (19595 R + 38470 G + 7471 B + 32768) >> 16 = 124 and 151.
    const Tensor g = run1({"ImageDecoder", {bytes(ppm())}, fmt("Grayscale")});
    REQUIRE(g.shape() == Shape{1, 2, 1});
    CHECK(g.to_vector<uint8_t>() == std::vector<uint8_t>{124, 151});
}

TEST_CASE("ImageDecoder refuses JPEG, unknown bytes, other dtypes, bad pixel formats and run-time bytes") {
    check_error({"ImageDecoder", {bytes({0xFF, 0xD8, 0xFF, 0xE0, 0, 0})}}, "unsupported image format JPEG");
    check_error({"ImageDecoder", {bytes({'R', 'I', 'F', 'F', 0, 0})}}, "unsupported image format (JPEG 2000, TIFF, WebP or unknown)");
    check_error({"ImageDecoder", {i64v({1, 2})}}, "ImageDecoder input is not 1-D uint8");
    check_error({"ImageDecoder", {bytes(ppm())}, fmt("RGBA")}, "unknown ImageDecoder pixel_format 'RGBA'");
    Op o{"ImageDecoder", {bytes(ppm())}};
    o.runtime = {true};  // bytes read at run time: the image size is known per run
    check_data_dependent(o);
}
