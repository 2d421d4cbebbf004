// ImageDecoder (opset 20): decodes the encoded image bytes of a 1-D uint8 tensor into uint8
// [H, W, C]: pixel_format "RGB" (the default) or "BGR" give 3 channels, "Grayscale" one. Decoding
// is stb_image's (io/image.hpp) for the lossless formats PNG, BMP and binary PNM, whose pixels are
// fixed by the file. JPEG is refused: the ONNX spec fixes its chroma upsampling to libjpeg-turbo's
// "fancy" one (round half down and up at alternate pixels), stb_image rounds every pixel half up,
// and ONNX's JPEG node tests differ from stb's pixels by one in places. JPEG 2000, TIFF and WebP
// have no decoder here. The output shape depends on the bytes, so the input must be a constant
// (Mutiny's shapes are static): the image is decoded at shape inference, and again by the kernel.
// Grayscale from a colour image uses the luma ONNX's reference gets from PIL's convert("L"):
// L = (19595 R + 38470 G + 7471 B + 2^15) >> 16 (ITU-R 601-2 in 16-bit fixed point).
#ifndef MUTINY_OPS_TENSOR_IMAGE_DECODER_HPP_
#define MUTINY_OPS_TENSOR_IMAGE_DECODER_HPP_

#include <cstring>
#include <string>
#include <vector>

#include "../../io/image.hpp"
#include "../common.hpp"

namespace mutiny {
namespace tensor_ops {

// The decoded pixels as uint8 HWC with the channels pixel_format asks for.
inline std::vector<uint8_t> decode_image(const Tensor& bytes, const std::string& format, const std::string& where, Shape& shape) {
    const auto* b0 = static_cast<const uint8_t*>(bytes.raw());
    const size_t nb = static_cast<size_t>(bytes.numel());
    const char* fmt = nb ? io_detail::image_format(b0, nb) : "no";
    if (!fmt || std::strcmp(fmt, "JPEG") == 0)
        throw Error(std::string("unsupported image format ") + (fmt ? fmt : "(JPEG 2000, TIFF, WebP or unknown)"), where,
                    fmt ? "stb_image's JPEG chroma upsampling is not the libjpeg-turbo one the ONNX spec fixes; ImageDecoder decodes PNG, BMP and binary PNM"
                        : "ImageDecoder decodes PNG, BMP and binary PNM");
    const Image im = load_image_from_memory(b0, nb, where);
    const size_t n = static_cast<size_t>(im.width) * static_cast<size_t>(im.height);
    const int out_c = format == "Grayscale" ? 1 : 3;
    std::vector<uint8_t> out(n * static_cast<size_t>(out_c));
    for (size_t i = 0; i < n; ++i) {
        const float* p = im.pixels.data() + i * static_cast<size_t>(im.channels);
        const uint32_t r = static_cast<uint32_t>(p[0]), g = static_cast<uint32_t>(p[im.channels == 3 ? 1 : 0]),
                       b = static_cast<uint32_t>(p[im.channels == 3 ? 2 : 0]);
        if (out_c == 1) {
            out[i] = im.channels == 1 ? static_cast<uint8_t>(r) : static_cast<uint8_t>((19595 * r + 38470 * g + 7471 * b + 0x8000) >> 16);
        } else {
            const bool bgr = format == "BGR";
            out[3 * i] = static_cast<uint8_t>(bgr ? b : r);
            out[3 * i + 1] = static_cast<uint8_t>(g);
            out[3 * i + 2] = static_cast<uint8_t>(bgr ? r : b);
        }
    }
    shape = Shape{im.height, im.width, out_c};
    return out;
}

inline void register_image_decoder(Registry& r) {
    r.add(OpDef{"ImageDecoder", nullptr,
                [](InferContext& c) {
                    c.expect_inputs(1, 1);
                    if (c.dtype(0) != DType::u8 || c.shape(0).rank() != 1)
                        c.fail("ImageDecoder input is not 1-D uint8", std::string(dtype_name(c.dtype(0))) + " of shape " + c.shape(0).str() + "; the encoded bytes are");
                    const std::string f = c.attrs().get_string("pixel_format", "RGB");
                    if (f != "RGB" && f != "BGR" && f != "Grayscale") c.fail("unknown ImageDecoder pixel_format '" + f + "'", "expected RGB, BGR or Grayscale");
                    Shape s;
                    decode_image(c.require_constant(0, "ImageDecoder's encoded image"), f, c.where(), s);
                    c.set_output(0, DType::u8, s);
                },
                [](const PrepareContext& pc) -> Kernel {
                    const std::string f = pc.attrs().get_string("pixel_format", "RGB");
                    return [f](ExecContext& c) {
                        Shape s;
                        const auto px = decode_image(c.input(0), f, Graph::where(*c.node), s);
                        if (s != c.out[0]->shape())
                            throw Error("ImageDecoder image changed size", Graph::where(*c.node), s.str() + ", planned " + c.out[0]->shape().str());
                        std::memcpy(c.out[0]->raw(), px.data(), px.size());
                    };
                },
                20});
}

}  // namespace tensor_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_TENSOR_IMAGE_DECODER_HPP_
