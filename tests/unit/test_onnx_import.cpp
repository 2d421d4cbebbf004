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

namespace {

// A zip archive of stored (uncompressed) entries, as torch.save and Keras write them in spirit:
// local headers, then (unless cut) the central directory and its end record. CRCs are left 0:
// detection reads names only.
std::vector<uint8_t> zip_of(const std::vector<std::pair<std::string, std::string>>& files, bool central = true) {
    std::vector<uint8_t> z;
    auto u16 = [&](size_t v) { z.push_back(static_cast<uint8_t>(v & 255)); z.push_back(static_cast<uint8_t>((v >> 8) & 255)); };
    auto u32 = [&](size_t v) { u16(v & 0xffff); u16((v >> 16) & 0xffff); };
    auto bytes = [&](const std::string& s) { z.insert(z.end(), s.begin(), s.end()); };
    std::vector<size_t> offsets;
    for (const auto& f : files) {
        offsets.push_back(z.size());
        bytes("PK\x03\x04");
        u16(20); u16(0); u16(0); u16(0); u16(0); u32(0);  // version, flags, stored, time, date, crc
        u32(f.second.size()); u32(f.second.size()); u16(f.first.size()); u16(0);
        bytes(f.first);
        bytes(f.second);
    }
    if (!central) return z;
    const size_t cd = z.size();
    for (size_t i = 0; i < files.size(); ++i) {
        bytes("PK\x01\x02");
        u16(20); u16(20); u16(0); u16(0); u16(0); u16(0); u32(0);
        u32(files[i].second.size()); u32(files[i].second.size()); u16(files[i].first.size());
        u16(0); u16(0); u16(0); u16(0); u32(0); u32(offsets[i]);  // extra, comment, disk, attributes, offset
        bytes(files[i].first);
    }
    const size_t cd_size = z.size() - cd;
    bytes("PK\x05\x06");
    u16(0); u16(0); u16(files.size()); u16(files.size()); u32(cd_size); u32(cd); u16(0);
    return z;
}

std::vector<uint8_t> bytes_of(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

// The message of both readers (load_model: ONNX or native; load_onnx), which must agree.
std::string load_error(const std::string& path) {
    const std::string a = mutiny_test::error_of([&] { load_model(path); });
    CHECK(mutiny_test::error_of([&] { load_onnx(path); }) == a);
    return a;
}

}  // namespace

TEST_CASE("models of other frameworks are named, with the command that exports them to ONNX") {
    const std::string keras = "python -m tf2onnx.convert --keras ";
    // HDF5 (Keras .h5): the signature at byte 0, or after a 512-byte user block.
    const std::string sig = std::string("\x89HDF\r\n\x1a\n", 8);
    const std::string h5 = write_tmp("keras.h5", bytes_of(sig + std::string(64, '\0')));
    CHECK(load_error(h5) == "HDF5 file (a Keras .h5 model), not an ONNX or Mutiny model at " + h5 + ": export it to ONNX with " + keras + h5 +
                                " --output model.onnx");
    const std::string h5u = write_tmp("keras_userblock.h5", bytes_of(std::string(512, '\0') + sig + std::string(64, '\0')));
    CHECK(mutiny_test::contains(load_error(h5u), "HDF5 file (a Keras .h5 model)"));
    // PyTorch: torch.save's zip (entries under a folder named after the file), with or without
    // its central directory (a cut file still shows its first entries), and the older pickle.
    const std::string torch = "export it to ONNX with torch.onnx.export(model, example_input, \"model.onnx\")";
    const auto pt_zip = zip_of({{"model/version", "3\n"}, {"model/data.pkl", "\x80\x02}q\x00."}, {"model/data/0", "abcd"}});
    const std::string pt = write_tmp("model.pt", pt_zip);
    CHECK(load_error(pt) == "PyTorch model (a zip archive with model/data.pkl), not an ONNX or Mutiny model at " + pt + ": " + torch);
    const std::string cut = write_tmp("cut.pth", zip_of({{"archive/data.pkl", "\x80\x02."}, {"archive/data/0", "abcd"}}, false));
    CHECK(mutiny_test::contains(load_error(cut), "PyTorch model (a zip archive with archive/data.pkl)"));
    for (uint8_t proto : {2, 3, 4, 5}) {
        const std::string pk = write_tmp("legacy.pt", {0x80, proto, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e});
        CHECK(load_error(pk) == "Python pickle (a PyTorch model saved by an older torch.save), not an ONNX or Mutiny model at " + pk + ": " + torch);
    }
    // Keras v3 (.keras): a zip with config.json and model.weights.h5.
    const std::string kv3 = write_tmp("model.keras", zip_of({{"metadata.json", "{}"}, {"config.json", "{}"}, {"model.weights.h5", sig}}));
    CHECK(load_error(kv3) == "Keras v3 model (a .keras zip archive with config.json), not an ONNX or Mutiny model at " + kv3 +
                                 ": export it to ONNX with " + keras + kv3 + " --output model.onnx");
    // Some other zip archive.
    const std::string other = write_tmp("other.zip", zip_of({{"readme.txt", "hello"}}));
    CHECK(mutiny_test::contains(load_error(other), "zip archive, not an ONNX or Mutiny model at " + other + ": it holds neither data.pkl"));
    // TFLite: the flatbuffer's root offset, then "TFL3".
    const std::string tfl = write_tmp("model.tflite", {0x1c, 0, 0, 0, 'T', 'F', 'L', '3', 0x14, 0, 0x20, 0, 0x1c, 0, 0x18, 0});
    CHECK(load_error(tfl) == "TFLite model (flatbuffer \"TFL3\"), not an ONNX or Mutiny model at " + tfl +
                                 ": export it to ONNX with python -m tf2onnx.convert --tflite " + tfl + " --output model.onnx");
    // TensorFlow SavedModel: the folder, or its saved_model.pb.
    const fs::path dir = fs::temp_directory_path() / "mutiny_test_saved_model";
    fs::create_directories(dir / "variables");
    std::ofstream(dir / "saved_model.pb", std::ios::binary) << std::string("\x08\x01\x12\x04meta", 8);
    const std::string export_dir = "export it to ONNX with python -m tf2onnx.convert --saved-model " + dir.string() + " --output model.onnx";
    CHECK(load_error(dir.string()) == "TensorFlow SavedModel folder, not an ONNX or Mutiny model at " + dir.string() + ": " + export_dir);
    const std::string pb = (dir / "saved_model.pb").string();
    CHECK(load_error(pb) == "TensorFlow SavedModel, not an ONNX or Mutiny model at " + pb + ": " + export_dir);
    // Any other folder is still just a folder; ONNX and native files are not affected.
    CHECK(mutiny_test::contains(mutiny_test::error_of([&] { load_model((dir / "variables").string()); }), "is a directory"));
    const std::string onnx_path = (mutiny_test::source_dir() / "models" / "fashion_fcnn.onnx").string();
    CHECK(load_model(onnx_path).nodes.size() == load_onnx(onnx_path).nodes.size());
    fs::remove_all(dir);
}
