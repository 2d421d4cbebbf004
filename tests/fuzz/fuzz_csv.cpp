// libFuzzer target for the vectors CSV of `mutiny cluster` (io/csv_vectors.hpp): rows, the header
// rule, blank lines, line endings. What it returns must be a full n x d table of finite numbers.
//
// fuzz-seeds: tests/fuzz/corpus/csv/*
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "mutiny/core/error.hpp"
#include "mutiny/io/csv_vectors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
    try {
        const mutiny::CsvVectors v = mutiny::read_csv_vectors(in, "fuzz.csv");
        if (v.n < 0 || v.d < 0 || v.values.size() != static_cast<size_t>(v.n * v.d)) std::abort();
        for (double x : v.values)
            if (!std::isfinite(x)) std::abort();
    } catch (const mutiny::Error&) {
    }
    return 0;
}
