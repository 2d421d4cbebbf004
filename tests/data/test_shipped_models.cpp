// The models shipped in models/ against their exporter's own predictions: on all 10,000
// Fashion-MNIST test images (Debian's dataset-fashion-mnist), Mutiny's top-1 must equal the
// exporter's (onnxruntime's, written by models/train.py) and the logits agree within 1e-4 relative.
#include <doctest/doctest.h>

#include "support/support.hpp"

#include <filesystem>
#include <fstream>

#include <mutiny/mutiny.hpp>

using namespace mutiny;
namespace fs = std::filesystem;

TEST_CASE("shipped models reproduce their exporter's predictions on the Fashion-MNIST test set") {
    MUTINY_FASHION_MNIST_OR_SKIP();
    auto ds = open_dataset("fashion-mnist:test");
    REQUIRE(ds->size() == 10000);
    int models = 0;
    for (const char* name : {"fashion_fcnn", "fashion_lenet5", "fashion_resnet"}) {
        const fs::path onnx = mutiny_test::source_dir() / "models" / (std::string(name) + ".onnx");
        const fs::path ref = mutiny_test::source_dir() / "models" / (std::string(name) + ".reference.bin");
        CAPTURE(name);
        REQUIRE(fs::exists(onnx));  // shipped in models/: absent is a broken checkout, not a skip
        ++models;
        CHECK(fs::file_size(onnx) < 2u * 1024 * 1024);
        const auto bytes = read_file_bytes(ref.string());
        REQUIRE(bytes.size() == 10000u * 10u * 4u);
        Tensor want(DType::f32, {10000, 10});
        std::memcpy(want.raw(), bytes.data(), bytes.size());
        NativeModel m = load_model_with_metadata(onnx.string());
        CpuOptions opt;
        opt.threads = 2;
        CpuExecutor ex(m.graph, opt);
        const Recipe recipe("unit");
        const Shape per{1, 28, 28};
        int top1_diff = 0;
        std::string worst;
        for (size_t b = 0; b < 10000; b += 500) {
            const Tensor y = ex.run({make_batch(*ds, b, 500, recipe, per)})[0];
            const Tensor w = Tensor(DType::f32, {500, 10});
            std::memcpy(const_cast<void*>(w.raw()), want.data<float>() + b * 10, 500 * 10 * 4);
            const std::string d = compare_tensors(y, w, Tolerance{1e-4, 1e-5});
            if (!d.empty() && worst.empty()) worst = "batch at " + std::to_string(b) + ": " + d;
            for (size_t i = 0; i < 500; ++i) {
                const float* a = y.data<float>() + i * 10;
                const float* r = w.data<float>() + i * 10;
                top1_diff += (std::max_element(a, a + 10) - a) != (std::max_element(r, r + 10) - r);
            }
        }
        CHECK(top1_diff == 0);
        CHECK(worst == "");
    }
    CHECK(models == 3);
}
