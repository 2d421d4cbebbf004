// libFuzzer target for image decoding (io/image.hpp): format detection, the BMP and JPEG structure
// checks done before stb decodes, and stb_image itself (PNG, JPEG, BMP, PGM/PPM). A decoded image
// must have the size and channels it claims. Decoded images are capped at 64 MB (the memory limit),
// so a small file declaring a huge image is an error, not an out-of-memory.
//
// fuzz-seeds: tests/fuzz/corpus/image/*
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "mutiny/core/error.hpp"
#include "mutiny/io/image.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    mutiny::max_tensor_bytes() = std::size_t(64) << 20;
    try {
        const mutiny::Image im = mutiny::load_image_from_memory(data, size, "fuzz input");
        if (im.width <= 0 || im.height <= 0 || (im.channels != 1 && im.channels != 3) ||
            im.pixels.size() != static_cast<size_t>(im.width) * static_cast<size_t>(im.height) * static_cast<size_t>(im.channels))
            std::abort();
        for (float v : im.pixels)
            if (!(v >= 0 && v <= 255)) std::abort();
    } catch (const mutiny::Error&) {
    }
    return 0;
}
