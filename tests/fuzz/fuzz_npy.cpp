// libFuzzer target for NumPy's .npy and .npz readers (io/npy.hpp, io/npz.hpp) and the tensor data
// set built on them (io/tensor_dataset.hpp). Data files are untrusted input: any crash, sanitizer
// report, hang, out-of-memory or exception other than mutiny::Error is a bug. The bytes are tried
// as an .npy and as an .npz, whose entries are each opened and read (first and last row).
//
// fuzz-seeds: tests/fixtures/npy/*.npy tests/fixtures/npy/*.npz
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "mutiny/core/error.hpp"
#include "mutiny/io/npy.hpp"
#include "mutiny/io/npz.hpp"
#include "mutiny/io/tensor_dataset.hpp"

namespace {

void read_some_rows(const mutiny::NpyColumn& c) {
    if (c.rows() == 0) return;
    const std::vector<size_t> idx{0, c.rows() - 1};
    std::vector<uint8_t> out(2 * c.row_elements() * mutiny::dtype_size(c.dtype()));
    c.read_rows(idx, out.data());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        (void)mutiny::parse_npy(data, size, "fuzz.npy");
    } catch (const mutiny::Error&) {
    }
    auto file = std::make_shared<const mutiny::RandomAccessFile>(std::vector<uint8_t>(data, data + size), "fuzz.npz");
    try {
        read_some_rows(mutiny::NpyColumn(file, 0, file->size(), "fuzz.npy"));
    } catch (const mutiny::Error&) {
    }
    try {
        const mutiny::NpzFile z(file);
        for (const auto& e : z.entries()) {
            try {
                const uint64_t start = z.data_offset(e);
                if (e.method == 8) {
                    read_some_rows(mutiny::NpyColumn(z.inflate(e, start), "fuzz.npz[" + e.name + "]"));
                } else {
                    z.check_stored(e, start);
                    read_some_rows(mutiny::NpyColumn(file, start, e.size, "fuzz.npz[" + e.name + "]"));
                }
            } catch (const mutiny::Error&) {
            }
        }
        // The data set as the specs open it: arrays, labels, sample counts.
        (void)mutiny::TensorDataset::from_npz(file, {}, "npz:fuzz.npz");
    } catch (const mutiny::Error&) {
    }
    return 0;
}
