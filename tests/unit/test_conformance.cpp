// The conformance runner's per-folder tolerance (tolerance.txt, exec/conformance.hpp): how the file
// is read, and that a folder's file decides pass or fail in place of the default tolerance and of
// ONNX's runner fallback, on a real backend test whose stored output is perturbed by a known amount.
#include <doctest/doctest.h>

#include "support/support.hpp"

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include <mutiny/mutiny.hpp>

#include "pb_encoder.hpp"

using namespace mutiny;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path;
    explicit TempDir(const std::string& tag)
        : path(fs::temp_directory_path() / ("mutiny_test_conformance_" + tag + "_" + std::to_string(static_cast<long>(::getpid())))) {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

void write_text(const fs::path& p, const std::string& s) { std::ofstream(p) << s; }

// A float32 TensorProto (dims = 1, data_type = 2 (FLOAT 1), name = 8, raw_data = 9).
void write_f32_tensor(const fs::path& p, const Tensor& t) {
    pb_encoder::Buf b;
    for (int64_t d : t.shape().dims()) pb_encoder::put_int(b, 1, d);
    pb_encoder::put_int(b, 2, 1);
    pb_encoder::put_str(b, 8, "y");
    std::string raw(static_cast<size_t>(t.numel()) * 4, '\0');
    std::memcpy(&raw[0], t.raw(), raw.size());
    pb_encoder::put_str(b, 9, raw);
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

}  // namespace

TEST_CASE("tolerance.txt: rtol and atol lines, comments, defaults and errors") {
    TempDir d("parse");
    CHECK_FALSE(folder_tolerance(d.path).has_value());

    write_text(d.path / "tolerance.txt", "# quantized model\nrtol 0.01\n\n  atol 5e-2   # one step\n");
    auto t = folder_tolerance(d.path);
    REQUIRE(t.has_value());
    CHECK(t->rel == 0.01);
    CHECK(t->abs == 0.05);

    write_text(d.path / "tolerance.txt", "rtol 1e-4\n");  // atol left at the default
    t = folder_tolerance(d.path);
    REQUIRE(t.has_value());
    CHECK(t->rel == 1e-4);
    CHECK(t->abs == Tolerance{}.abs);

    for (const char* bad : {"rtol\n", "rtol 1 2\n", "atol -1\n", "atol x\n"}) {
        CAPTURE(bad);
        write_text(d.path / "tolerance.txt", bad);
        CHECK(mutiny_test::contains(mutiny_test::error_of([&] { folder_tolerance(d.path); }), "one finite number >= 0"));
    }
    write_text(d.path / "tolerance.txt", "rtol 1e-4\ntol 1\n");
    const std::string e = mutiny_test::error_of([&] { folder_tolerance(d.path); });
    CHECK(mutiny_test::contains(e, "unknown key 'tol'"));
    CHECK(mutiny_test::contains(e, "tolerance.txt:2"));
}

TEST_CASE("a folder's tolerance.txt replaces the default tolerance and ONNX's fallback") {
    const fs::path src = "/usr/share/libonnx-testdata/data/node/test_relu";
    MUTINY_DATA_OR_SKIP(src, "Debian's libonnx-testdata");
    TempDir d("relu");
    const fs::path dir = d.path / "test_relu";
    fs::create_directories(dir / "test_data_set_0");
    fs::copy_file(src / "model.onnx", dir / "model.onnx");
    fs::copy_file(src / "test_data_set_0/input_0.pb", dir / "test_data_set_0/input_0.pb");
    // The stored output off by a relative 2e-3: beyond Mutiny's default (1e-5) and ONNX's runner
    // tolerance (1e-3), within 1e-2.
    Tensor y = load_onnx_tensor((src / "test_data_set_0/output_0.pb").string()).clone();
    REQUIRE(y.dtype() == DType::f32);
    int64_t positive = 0;
    for (int64_t i = 0; i < y.numel(); ++i) {
        positive += y.data<float>()[i] > 0.1f ? 1 : 0;
        y.data<float>()[i] *= 1.002f;
    }
    REQUIRE(positive > 0);  // relu of random data: some outputs are well away from zero
    write_f32_tensor(dir / "test_data_set_0/output_0.pb", y);

    auto r = run_conformance_test(dir);
    CHECK(r.status == ConformanceResult::Status::fail);
    CHECK_FALSE(r.folder_tolerance);

    write_text(dir / "tolerance.txt", "rtol 1e-2\natol 1e-6\n");
    r = run_conformance_test(dir);
    CHECK(r.status == ConformanceResult::Status::pass);
    CHECK(r.folder_tolerance);
    CHECK_FALSE(r.onnx_tolerance_only);
    // The caller may ignore the file (mutiny conformance --rtol/--atol).
    CHECK(run_conformance_test(dir, Tolerance{}, 0, true, false).status == ConformanceResult::Status::fail);

    write_text(dir / "tolerance.txt", "rtol 1e-3\n");  // too tight, and no fallback to ONNX's runner
    r = run_conformance_test(dir);
    CHECK(r.status == ConformanceResult::Status::fail);
    CHECK(mutiny_test::contains(r.detail, "output 0"));

    write_text(dir / "tolerance.txt", "rtol: 1e-2\n");  // a broken file fails the test, naming it
    r = run_conformance_test(dir);
    CHECK(r.status == ConformanceResult::Status::fail);
    CHECK(mutiny_test::contains(r.detail, "tolerance.txt:1"));
}
