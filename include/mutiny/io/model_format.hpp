// What kind of file a model path holds, decided from its content before any parser sees it.
//
// Mutiny reads ONNX and its own native files. Models saved by the training frameworks are the
// usual thing to pass by mistake, and the protobuf reader would report them as a corrupt ONNX file
// at some byte offset, which says nothing useful. So the formats below are recognised by their
// signatures and refused with an error that names the format and the command that exports it to
// ONNX:
//
//   HDF5 (Keras .h5)         "\x89HDF\r\n\x1a\n" at byte 0 (or 512, 1024, 2048: a user block)
//   PyTorch (.pt, .pth)      a zip archive ("PK\x03\x04") holding a data.pkl entry (torch.save
//                            since 1.6), or a pickle stream (0x80, protocol 2 to 5: older torch.save)
//   Keras v3 (.keras)        a zip archive holding config.json (and model.weights.h5)
//   TFLite                   a flatbuffer with the identifier "TFL3" at byte 4
//   TensorFlow SavedModel    a folder holding saved_model.pb or .pbtxt (or saved_model.pb itself)
//
// A zip archive that is neither PyTorch's nor Keras's is refused as a zip archive. Everything else
// goes on to the ONNX or native reader, which reports its own errors.
#ifndef MUTINY_IO_MODEL_FORMAT_HPP_
#define MUTINY_IO_MODEL_FORMAT_HPP_

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "file_bytes.hpp"

namespace mutiny {

// The export commands the errors name (README.md, "Bring your model", lists the same).
namespace model_export {
inline const char* torch() { return "export it to ONNX with torch.onnx.export(model, example_input, \"model.onnx\")"; }
inline std::string saved_model(const std::string& dir) {
    return "export it to ONNX with python -m tf2onnx.convert --saved-model " + dir + " --output model.onnx";
}
inline std::string keras(const std::string& file) {
    return "export it to ONNX with python -m tf2onnx.convert --keras " + file + " --output model.onnx";
}
inline std::string tflite(const std::string& file) {
    return "export it to ONNX with python -m tf2onnx.convert --tflite " + file + " --output model.onnx";
}
}  // namespace model_export

namespace model_format_detail {

inline uint32_t le32(const uint8_t* p) {
    return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}
inline uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }

// The entry names of a zip archive. From the central directory when the end-of-central-directory
// record is found (the authoritative list); else from the local file headers in order, as far as
// their sizes lead (an archive cut short still shows its first entries).
inline std::vector<std::string> zip_entry_names(const uint8_t* p, size_t n) {
    std::vector<std::string> names;
    // The end record is 22 bytes plus a comment of up to 65535 bytes, at the end of the file.
    const size_t lowest = n > 22 + 65535 ? n - 22 - 65535 : 0;
    for (size_t e = n >= 22 ? n - 22 + 1 : 0; e-- > lowest;) {
        if (std::memcmp(p + e, "PK\x05\x06", 4) != 0) continue;
        const size_t count = le16(p + e + 10);
        size_t at = le32(p + e + 16);
        for (size_t k = 0; k < count && at + 46 <= n && std::memcmp(p + at, "PK\x01\x02", 4) == 0; ++k) {
            const size_t len = le16(p + at + 28), extra = le16(p + at + 30), comment = le16(p + at + 32);
            if (at + 46 + len > n) break;
            names.emplace_back(reinterpret_cast<const char*>(p + at + 46), len);
            at += 46 + len + extra + comment;
        }
        if (!names.empty()) return names;
        break;
    }
    size_t at = 0;
    while (at + 30 <= n && std::memcmp(p + at, "PK\x03\x04", 4) == 0) {
        const size_t size = le32(p + at + 18), len = le16(p + at + 26), extra = le16(p + at + 28);
        if (at + 30 + len > n) break;
        names.emplace_back(reinterpret_cast<const char*>(p + at + 30), len);
        at += 30 + len + extra + size;
    }
    return names;
}

// Whether an entry is `base` itself or `base` inside a folder (torch writes "<name>/data.pkl").
inline bool entry_is(const std::string& entry, const std::string& base) {
    return entry == base || (entry.size() > base.size() && entry.compare(entry.size() - base.size(), base.size(), base) == 0 &&
                             entry[entry.size() - base.size() - 1] == '/');
}

inline bool hdf5_at(const uint8_t* p, size_t n, size_t at) { return at + 8 <= n && std::memcmp(p + at, "\x89HDF\r\n\x1a\n", 8) == 0; }

}  // namespace model_format_detail

// Throws an Error when the bytes of `path` are a model format Mutiny does not read (above).
inline void check_model_bytes(const std::string& path, const uint8_t* p, size_t n) {
    using namespace model_format_detail;
    if (n >= 4 && std::memcmp(p, "PK\x03\x04", 4) == 0) {
        const std::vector<std::string> names = zip_entry_names(p, n);
        for (const std::string& e : names)
            if (entry_is(e, "data.pkl"))
                throw Error("PyTorch model (a zip archive with " + e + "), not an ONNX or Mutiny model", path, model_export::torch());
        for (const std::string& e : names)
            if (e == "config.json" || e == "model.weights.h5")
                throw Error("Keras v3 model (a .keras zip archive with " + e + "), not an ONNX or Mutiny model", path, model_export::keras(path));
        throw Error("zip archive, not an ONNX or Mutiny model", path,
                    "it holds neither data.pkl (PyTorch) nor config.json (Keras); Mutiny reads .onnx files and its own native models");
    }
    // After the zip test: a .keras archive may store an HDF5 file at one of these offsets.
    for (size_t at : {0, 512, 1024, 2048})
        if (hdf5_at(p, n, at))
            throw Error("HDF5 file (a Keras .h5 model), not an ONNX or Mutiny model", path, model_export::keras(path));
    if (n >= 2 && p[0] == 0x80 && p[1] >= 2 && p[1] <= 5)
        throw Error("Python pickle (a PyTorch model saved by an older torch.save), not an ONNX or Mutiny model", path, model_export::torch());
    if (n >= 8 && std::memcmp(p + 4, "TFL3", 4) == 0)
        throw Error("TFLite model (flatbuffer \"TFL3\"), not an ONNX or Mutiny model", path, model_export::tflite(path));
    const std::filesystem::path fp(path);
    if (fp.filename() == "saved_model.pb") {
        const std::string dir = fp.has_parent_path() ? fp.parent_path().string() : std::string(".");
        throw Error("TensorFlow SavedModel, not an ONNX or Mutiny model", path, model_export::saved_model(dir));
    }
}

// Throws when `path` is a TensorFlow SavedModel folder (it holds saved_model.pb or .pbtxt).
inline void check_model_folder(const std::string& path) {
    std::error_code ec;
    const std::filesystem::path dir(path);
    if (std::filesystem::is_directory(dir, ec) &&
        (std::filesystem::exists(dir / "saved_model.pb", ec) || std::filesystem::exists(dir / "saved_model.pbtxt", ec)))
        throw Error("TensorFlow SavedModel folder, not an ONNX or Mutiny model", path, model_export::saved_model(path));
}

// Reads a model file for the ONNX or native reader, refusing the formats above first. Any other
// folder is refused as a folder (read_file_bytes).
inline std::vector<uint8_t> read_model_bytes(const std::string& path) {
    check_model_folder(path);
    std::vector<uint8_t> bytes = read_file_bytes(path);
    check_model_bytes(path, bytes.data(), bytes.size());
    return bytes;
}

}  // namespace mutiny

#endif  // MUTINY_IO_MODEL_FORMAT_HPP_
