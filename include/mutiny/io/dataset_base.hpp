// What every data set is: labelled or unlabelled samples read by index, so a data set is never
// held in memory as a whole (Dataset, Sample), and the file helpers the formats share (gzip
// detection and decompression). get() is safe to call from several threads at once.
// Samples are images (idx.hpp, cifar.hpp, image_folder.hpp: preprocessed by a recipe into one
// float input, batch.hpp) or tensors, one per model input (tensor_dataset.hpp: npy, npz; fed as
// stored through tensor_batch()). Spec strings: dataset_spec.hpp.
//
// Linking: zlib (-lz) and stb (-lstb, see image.hpp).
#ifndef MUTINY_IO_DATASET_BASE_HPP_
#define MUTINY_IO_DATASET_BASE_HPP_

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <zlib.h>

#include "../core/dtype.hpp"
#include "../core/error.hpp"
#include "../core/shape.hpp"
#include "../core/tensor.hpp"
#include "image.hpp"

namespace mutiny {

// One model input a batch feeds: its name, element type and shape without the batch dimension
// (-1 where the model leaves a dimension open).
struct InputSlot {
    std::string name;
    DType dtype = DType::f32;
    Shape shape;
};

struct Sample {
    Image image;         // empty for data sets that hold tensors
    int label = -1;      // -1: unknown
    std::string source;  // file, or "file[index]" for samples packed in a file
};

class Dataset {
public:
    virtual ~Dataset() = default;
    virtual size_t size() const = 0;
    // Sample i (0 <= i < size()). Thread-safe. Errors name the sample's source.
    virtual Sample get(size_t i) const = 0;
    // Label of sample i without decoding its image where the format allows; -1 when unknown.
    virtual int label(size_t i) const { return get(i).label; }
    virtual bool labelled() const = 0;
    // The spec this data set was opened from (with modifiers).
    virtual std::string name() const = 0;
    // Class names in label order, when the data set has them (folder:); empty otherwise.
    virtual std::vector<std::string> class_names() const { return {}; }
    // Whether samples are tensors (npy, npz) rather than images: batches then come from
    // tensor_batch(), as stored, and get() has no image.
    virtual bool holds_tensors() const { return false; }
    // Samples `indices` as one tensor per slot, [indices.size(), per-sample shape]. Only data sets
    // that hold tensors have it; errors name the input, the array and why it does not fit.
    virtual std::vector<Tensor> tensor_batch(const std::vector<size_t>& indices, const std::vector<InputSlot>& slots) const {
        (void)indices;
        (void)slots;
        throw Error("data set holds images, not tensors", name(), "its batches are made by a preprocessing recipe (make_batch)");
    }

protected:
    void check_index(size_t i) const {
        if (i >= size())
            throw Error("sample index out of range", name(),
                        "index " + std::to_string(i) + " of " + std::to_string(size()) + " samples");
    }
};

namespace io_detail {

inline bool has_gzip_magic(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    unsigned char m[2] = {0, 0};
    f.read(reinterpret_cast<char*>(m), 2);
    return f.gcount() == 2 && m[0] == 0x1f && m[1] == 0x8b;
}

inline void require_file(const std::string& path, const std::string& spec) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        throw Error("data-set file not found", spec, "'" + path + "' does not exist");
    if (std::filesystem::is_directory(path, ec))
        throw Error("data-set file is a folder", spec, "'" + path + "' is a directory, a file was expected");
}

// Whole gzip file, decompressed by streaming through zlib.
inline std::vector<uint8_t> gunzip_file(const std::string& path, size_t cap = size_t(1) << 30) {
    gzFile gz = gzopen(path.c_str(), "rb");
    if (!gz) throw Error("cannot open file", path, errno ? std::strerror(errno) : "gzopen failed");
    gzbuffer(gz, 1u << 17);
    std::vector<uint8_t> out;
    const size_t chunk = size_t(1) << 20;
    for (;;) {
        const size_t at = out.size();
        if (at >= cap) {
            gzclose_r(gz);
            throw Error("compressed IDX file too large", path,
                        "more than " + std::to_string(cap >> 20) +
                            " MiB decompressed; gunzip it (raw IDX files are read per sample, not loaded)");
        }
        out.resize(at + chunk);
        const int n = gzread(gz, out.data() + at, static_cast<unsigned>(chunk));
        if (n < 0) {
            int err = 0;
            std::string msg = gzerror(gz, &err);
            gzclose_r(gz);
            throw Error("corrupt gzip data", path, msg);
        }
        out.resize(at + static_cast<size_t>(n));
        if (n == 0) break;
    }
    int err = Z_OK;
    std::string msg = gzerror(gz, &err);
    gzclose_r(gz);
    if (err != Z_OK && err != Z_STREAM_END)
        throw Error("corrupt or truncated gzip data", path, msg.empty() ? "zlib error " + std::to_string(err) : msg);
    return out;
}

}  // namespace io_detail

}  // namespace mutiny

#endif  // MUTINY_IO_DATASET_BASE_HPP_
