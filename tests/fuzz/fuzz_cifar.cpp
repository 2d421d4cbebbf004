// libFuzzer target for CIFAR-10/100 binary batches (io/cifar.hpp): the variant from the size,
// labels, and samples read back as images, with the variant detected and forced both ways.
//
// fuzz-seeds: tests/fuzz/corpus/cifar/*
#include <cstddef>
#include <cstdint>

#include "mutiny/core/error.hpp"
#include "mutiny/io/cifar.hpp"
#include "scratch.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = fuzz::scratch_file("batch.bin", data, size);
    for (int variant : {0, 10, 100}) {
        try {
            const mutiny::CifarDataset ds({path, path}, variant, "cifar:batch.bin");
            for (size_t i : {size_t(0), ds.size() - 1}) {
                try {
                    (void)ds.label(i);
                    (void)ds.get(i);
                } catch (const mutiny::Error&) {
                }
            }
        } catch (const mutiny::Error&) {
        }
    }
    return 0;
}
