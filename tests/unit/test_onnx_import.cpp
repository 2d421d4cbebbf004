// ONNX import on real files: mnist-8 against the model zoo's reference outputs, and every kind
// of bad file the importer must reject with a clear message.
#include <doctest/doctest.h>

#include "support/support.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <mutiny/mutiny.hpp>

using namespace mutiny;
namespace fs = std::filesystem;

// mnist-8 from the shared data (the ONNX model zoo's, with its reference inputs and outputs).
static fs::path mnist8() { return mutiny_test::shared_data() / "models/mnist-8"; }
static std::vector<uint8_t> read_all(const fs::path& p) { return read_file_bytes(p.string()); }
static std::string write_tmp(const std::string& name, const std::vector<uint8_t>& b) {
    const auto p = fs::temp_directory_path() / ("mutiny_test_" + name);
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    return p.string();
}

TEST_CASE("mnist-8 matches the model zoo's reference outputs") {
    MUTINY_DATA_OR_SKIP(mnist8());
    const fs::path dir = mnist8();
    Graph g = load_onnx((dir / "model.onnx").string());
    CpuExecutor ex(g);
    for (int s = 0; s < 3; ++s) {
        const fs::path set = dir / ("test_data_set_" + std::to_string(s));
        const Tensor in = load_onnx_tensor((set / "input_0.pb").string());
        const Tensor want = load_onnx_tensor((set / "output_0.pb").string());
        const Tensor got = ex.run({in})[0];
        CHECK(compare_tensors(got, want, Tolerance{1e-4, 1e-5}) == "");
    }
}

TEST_CASE("bad ONNX files give clear errors") {
    CHECK_THROWS_WITH_AS(load_onnx("/nonexistent/model.onnx"), doctest::Contains("no such file"), Error);
    const std::string garbage = write_tmp("garbage.onnx", {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01});
    CHECK_THROWS_AS(load_onnx(garbage), Error);
    const std::string empty = write_tmp("empty.onnx", {});
    CHECK_THROWS_WITH_AS(load_onnx(empty), doctest::Contains("empty"), Error);
    MUTINY_DATA_OR_SKIP(mnist8());
    const auto bytes = read_all(mnist8() / "model.onnx");
    for (size_t cut : {bytes.size() / 3, bytes.size() / 2, bytes.size() - 1}) {
        const std::string t = write_tmp("truncated.onnx", std::vector<uint8_t>(bytes.begin(), bytes.begin() + static_cast<long>(cut)));
        CHECK_THROWS_AS(load_onnx(t), Error);
    }
    // An op Mutiny lacks: rename Relu in a real file to an op that does not exist.
    auto renamed = bytes;
    const std::string from = "Relu", to = "Relx";
    size_t hits = 0;
    for (size_t i = 0; i + 4 <= renamed.size(); ++i)
        if (std::memcmp(&renamed[i], from.data(), 4) == 0 && i > 0 && renamed[i - 1] == 4) {  // length-prefixed op_type
            std::memcpy(&renamed[i], to.data(), 4);
            ++hits;
        }
    REQUIRE(hits > 0);
    const std::string unk = write_tmp("unknown_op.onnx", renamed);
    CHECK_THROWS_WITH_AS(load_onnx(unk), doctest::Contains("unsupported op 'Relx'"), Error);
    CHECK_THROWS_WITH_AS(load_onnx(unk), doctest::Contains("(opset 8)"), Error);
}

TEST_CASE("wrong input shapes and dtypes at run time are rejected") {
    MUTINY_DATA_OR_SKIP(mnist8());
    CpuExecutor ex(load_onnx((mnist8() / "model.onnx").string()));
    CHECK_THROWS_WITH_AS(ex.run({Tensor(DType::f32, {1, 1, 28, 27})}), doctest::Contains("expects [1,1,28,28]"), Error);
    CHECK_THROWS_WITH_AS(ex.run({Tensor(DType::u8, {1, 1, 28, 28})}), doctest::Contains("wrong input dtype"), Error);
}

TEST_CASE("a native file of an imported model reproduces it bitwise") {
    MUTINY_DATA_OR_SKIP(mnist8());
    const std::string dir = mnist8().string();
    NativeModel m;
    m.graph = load_onnx(dir + "/model.onnx");
    const Tensor in = load_onnx_tensor(dir + "/test_data_set_1/input_0.pb");
    const Tensor out = CpuExecutor(m.graph).run({in})[0];
    m.selftest.inputs = {in};
    m.selftest.outputs = {out};
    const std::string path = (fs::temp_directory_path() / "mutiny_test_mnist8.mutiny").string();
    save_native(m, path);
    NativeModel back = load_model_with_metadata(path);  // verifies the self-test
    CHECK(save_native_bytes(back) == save_native_bytes(m));
    CHECK(CpuExecutor(back.graph).run({in})[0].bitwise_equal(out));
    auto bytes = read_file_bytes(path);
    bytes[bytes.size() / 2] ^= 1;
    const std::string bad = write_tmp("flipped.mutiny", bytes);
    CHECK_THROWS_WITH_AS(load_model(bad), doctest::Contains("checksum mismatch"), Error);
}
