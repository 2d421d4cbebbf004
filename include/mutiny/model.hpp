// Loading and saving models whatever their format: ONNX files go through the importer, native
// files are read, validated and, when they carry a self-test, checked by running it on the CPU.
#ifndef MUTINY_MODEL_HPP_
#define MUTINY_MODEL_HPP_

#include <cstdint>
#include <string>
#include <vector>

#include "exec/conformance.hpp"
#include "exec/cpu/executor.hpp"
#include "io/model_format.hpp"
#include "io/native.hpp"
#include "io/onnx_import.hpp"

namespace mutiny {

// Runs a native model's embedded self-test; throws with the first mismatch.
inline void verify_selftest(const NativeModel& m, const std::string& where) {
    if (m.selftest.empty()) return;
    CpuExecutor ex(m.graph);
    const auto got = ex.run(m.selftest.inputs);
    if (got.size() < m.selftest.outputs.size())
        throw Error("self-test failed", where, "the model produced fewer outputs than the self-test expects");
    for (size_t i = 0; i < m.selftest.outputs.size(); ++i) {
        const std::string d = compare_tensors(got[i], m.selftest.outputs[i], Tolerance{m.selftest.rel_tol, m.selftest.abs_tol});
        if (!d.empty()) throw Error("self-test failed", where + " output " + std::to_string(i), d);
    }
}

// What a model file is (`mutiny inspect` prints it): its format and version, for a native file its
// header, for an ONNX file its IR version and operator sets.
struct ModelFileInfo {
    bool native = false;
    NativeHeader header;                // native files
    int64_t ir_version = 0;             // ONNX files
    std::vector<onnx::OperatorSetId> opsets;
};

// Loads a model file of either format; `info`, when given, receives what the file is. A native
// file's header is read into `info` before anything is checked, so a caller that catches the
// error can still show the header of a corrupt file.
inline NativeModel load_model_with_metadata(const std::string& path, ModelFileInfo* info = nullptr) {
    const auto bytes = read_model_bytes(path);  // refuses PyTorch, Keras, TFLite and TensorFlow files, naming the export
    if (is_native_file(bytes.data(), bytes.size())) {
        if (info) {
            info->native = true;
            if (bytes.size() >= native::kHeader) info->header = native_header(bytes.data(), bytes.size());
        }
        NativeModel m = load_native_bytes(bytes.data(), bytes.size(), path);
        try {
            validate(m.graph);
        } catch (const Error& e) {
            throw Error(e.what_part(), path + " " + e.where_part(), e.why_part());
        }
        verify_selftest(m, path);
        return m;
    }
    NativeModel m;
    const onnx::ModelProto proto = onnx::parse_model(bytes.data(), bytes.size(), path);
    m.graph = import_onnx(proto, path);
    if (info) {
        info->ir_version = proto.ir_version;
        info->opsets = proto.opset_import;
    }
    // ONNX metadata_props travel with the model; "mutiny.preprocess" is read as its recipe.
    for (const auto& kv : proto.metadata_props) {
        const std::string prefix = "mutiny.";
        m.metadata[kv.first.rfind(prefix, 0) == 0 ? kv.first.substr(prefix.size()) : kv.first] = kv.second;
    }
    return m;
}

inline Graph load_model(const std::string& path) { return load_model_with_metadata(path).graph; }

}  // namespace mutiny

#endif  // MUTINY_MODEL_HPP_
