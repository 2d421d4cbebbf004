// libFuzzer target for preprocessing recipes (io/preprocess.hpp, the --preprocess strings): the
// parser, its canonical text (parse(to_string()) must give the same recipe), and the recipe applied
// to a small gray and a small colour image when its output stays small.
//
// fuzz-seeds: tests/fuzz/corpus/recipe/*
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "mutiny/core/error.hpp"
#include "mutiny/core/tensor.hpp"
#include "mutiny/io/image.hpp"
#include "mutiny/io/preprocess.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    mutiny::Recipe r;
    try {
        r = mutiny::Recipe::parse(text);
    } catch (const mutiny::Error&) {
        return 0;
    }
    try {
        if (mutiny::Recipe::parse(r.to_string()) != r) std::abort();
    } catch (const mutiny::Error&) {
        std::abort();  // the canonical text of a recipe must parse
    }
    // Sizes up to 65536 a side are valid: apply only recipes whose images stay small.
    for (const auto& s : r.steps())
        if (static_cast<int64_t>(s.width) * s.height > 4096) return 0;
    for (int channels : {1, 3}) {
        std::vector<std::uint8_t> px(static_cast<size_t>(5 * 4 * channels));
        for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<std::uint8_t>(i * 37);
        try {
            const mutiny::Tensor t = r.apply(mutiny::image_from_u8(5, 4, channels, px.data(), "fuzz image"));
            (void)t;
        } catch (const mutiny::Error&) {
        }
    }
    return 0;
}
