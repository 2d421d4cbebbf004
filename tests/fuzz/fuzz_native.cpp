// libFuzzer target for Mutiny's native model file (io/native.hpp): the header, the checksum, the
// text section's records and the tensors they place in the binary section. The checksum would stop
// almost every mutation at the door, so each input is also tried with its checksum recomputed (as a
// crafted file would have it). A file that loads must save and load again to the same bytes.
//
// fuzz-seeds: tests/fuzz/corpus/native/*
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "mutiny/core/error.hpp"
#include "mutiny/io/native.hpp"

namespace {

void load_and_round_trip(const std::uint8_t* data, std::size_t size) {
    try {
        const mutiny::NativeModel m = mutiny::load_native_bytes(data, size, "fuzz input");
        const std::vector<std::uint8_t> once = mutiny::save_native_bytes(m);
        const std::vector<std::uint8_t> twice = mutiny::save_native_bytes(mutiny::load_native_bytes(once.data(), once.size(), "saved"));
        if (once != twice) std::abort();
    } catch (const mutiny::Error&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    mutiny::max_tensor_bytes() = std::size_t(64) << 20;
    load_and_round_trip(data, size);
    if (size < mutiny::native::kHeader) return 0;
    std::vector<std::uint8_t> b(data, data + size);
    const std::uint32_t version = b[8] | b[9] << 8 | b[10] << 16 | static_cast<std::uint32_t>(b[11]) << 24;
    const std::uint64_t sum = mutiny::native::header_checksum(b.data(), b.size(), version == 1 ? 1 : 2);
    for (int i = 0; i < 8; ++i) b[40 + i] = static_cast<std::uint8_t>(sum >> (8 * i));
    load_and_round_trip(b.data(), b.size());
    return 0;
}
