// The models shipped in models/ against their exporter's own predictions: on all 10,000
// Fashion-MNIST test images (Debian's dataset-fashion-mnist), Mutiny's top-1 must equal the
// exporter's (onnxruntime's, written by models/train.py) and the logits agree within 1e-4 relative.
#include <doctest/doctest.h>

#include "support/support.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

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

// The int8 QDQ LeNet-5 (models/quantize.py: ONNX Runtime's static quantizer) against ONNX Runtime.
// Not bitwise: ONNX Runtime runs each Q -> op -> DQ group as an integer kernel, Mutiny runs the
// graph as ONNX defines it (dequantize, float op, quantize), as ONNX's ReferenceEvaluator does; a
// float sum that lands next to a rounding boundary then falls one quantization step apart, and the
// step propagates. Measured (10,000 images): 22 top-1 differences, logits within 2 output steps
// (0.194). Asserted with margin: at most 0.5% top-1 differences, every logit within 4 output
// steps, and the accuracies within 0.2 points.
TEST_CASE("the shipped int8 model agrees with ONNX Runtime within its quantization steps") {
    MUTINY_FASHION_MNIST_OR_SKIP();
    auto ds = open_dataset("fashion-mnist:test");
    const fs::path onnx = mutiny_test::source_dir() / "models" / "fashion_lenet5_int8.onnx";
    REQUIRE(fs::exists(onnx));
    const auto bytes = read_file_bytes((mutiny_test::source_dir() / "models" / "fashion_lenet5_int8.reference.bin").string());
    REQUIRE(bytes.size() == 10000u * 10u * 4u);
    std::vector<float> want(100000);
    std::memcpy(want.data(), bytes.data(), bytes.size());
    NativeModel m = load_model_with_metadata(onnx.string());
    // The output DequantizeLinear's scale: one quantization step of the logits.
    double step = 0;
    for (const Node& n : m.graph.nodes)
        if (n.op == "DequantizeLinear" && n.outputs[0] == m.graph.outputs[0]) step = m.graph.value(n.inputs[1]).constant.get_f64(0);
    REQUIRE(step > 0);
    CpuOptions opt;
    opt.threads = 2;
    CpuExecutor ex(m.graph, opt);
    int top1_diff = 0, correct_mutiny = 0, correct_ort = 0;
    double worst = 0;
    for (size_t b = 0; b < 10000; b += 500) {
        const Tensor y = ex.run({make_batch(*ds, b, 500, Recipe("unit"), Shape{1, 28, 28})})[0];
        for (size_t i = 0; i < 500; ++i) {
            const float* a = y.data<float>() + i * 10;
            const float* r = want.data() + (b + i) * 10;
            for (int k = 0; k < 10; ++k) worst = std::max(worst, std::fabs(static_cast<double>(a[k]) - r[k]));
            const auto ta = std::max_element(a, a + 10) - a, tr = std::max_element(r, r + 10) - r;
            top1_diff += ta != tr;
            const int64_t label = ds->label(b + i);
            correct_mutiny += ta == label;
            correct_ort += tr == label;
        }
    }
    MESSAGE("int8 LeNet-5 vs ONNX Runtime: " << top1_diff << " top-1 differences, worst logit difference " << worst << " (" << worst / step
                                             << " output steps), accuracy " << correct_mutiny << " vs " << correct_ort);
    CHECK(top1_diff <= 50);
    CHECK(worst <= 4 * step + 1e-6);
    CHECK(std::abs(correct_mutiny - correct_ort) <= 20);
}
