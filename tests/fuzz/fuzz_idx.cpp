// libFuzzer target for IDX files, raw and gzip-compressed (io/idx.hpp): the header, the declared
// sizes against the bytes present, labels, and every sample read back as an image. The bytes are
// opened as an image file and as a label file of an image file from the corpus, and as both.
//
// fuzz-seeds: tests/fuzz/corpus/idx/*
#include <cstddef>
#include <cstdint>

#include "mutiny/core/error.hpp"
#include "mutiny/io/idx.hpp"
#include "scratch.hpp"

namespace {

void read_all(const mutiny::Dataset& ds) {
    // At most a few samples: a valid file may hold many.
    const size_t n = ds.size();
    for (size_t i : {size_t(0), n / 2, n - 1})
        if (i < n) {
            (void)ds.get(i);
            (void)ds.label(i);
        }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::uint8_t images[] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 7, 9};
    const std::string ok = fuzz::scratch_file("images.idx", images, sizeof images);
    const std::string path = fuzz::scratch_file("input.idx", data, size);
    try {
        read_all(mutiny::IdxDataset(path, "", "idx:input"));
    } catch (const mutiny::Error&) {
    }
    try {
        read_all(mutiny::IdxDataset(ok, path, "idx:images,input"));
    } catch (const mutiny::Error&) {
    }
    try {
        read_all(mutiny::IdxDataset(path, path, "idx:input,input"));
    } catch (const mutiny::Error&) {
    }
    return 0;
}
