// libFuzzer target for the whole ONNX import path: protobuf decoding, tensor and attribute
// conversion, each op's import normalisation, constant folding (which runs kernels on constants)
// and shape inference. Any crash, sanitizer report or exception other than mutiny::Error is a bug.
// Tensors are capped at 64 MB so that a file declaring a huge shape is an error, not an OOM.
#include <cstddef>
#include <cstdint>

#include <mutiny/mutiny.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    mutiny::max_tensor_bytes() = std::size_t(64) << 20;
    try {
        const mutiny::onnx::ModelProto m = mutiny::onnx::parse_model(data, size, "fuzz input");
        (void)mutiny::import_onnx(m, "fuzz input");
    } catch (const mutiny::Error&) {
    }
    return 0;
}
