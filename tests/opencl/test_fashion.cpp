// Top-1 agreement of the OpenCL and CPU executors on the 10,000 Fashion-MNIST test images
// (Debian's dataset-fashion-mnist) for each shipped model: at least 99.9% identical, and every
// disagreement listed with both output vectors.
#include "opencl_test_util.hpp"

#include <cstdio>

using namespace mutiny;
using namespace octest;

#if MUTINY_WITH_OPENCL

TEST_CASE("shipped models: OpenCL top-1 agrees with the CPU on the Fashion-MNIST test set") {
    OCTEST_SKIP_WITHOUT_OPENCL();
    MUTINY_FASHION_MNIST_OR_SKIP();
    auto ds = open_dataset("fashion-mnist:test");
    const size_t count = ds->size();
    std::string table = "model | images | top-1 agreement | max rel err | disagreements\n";
    for (const char* name : {"fashion_fcnn", "fashion_lenet5", "fashion_resnet", "fashion_lenet5_int8"}) {
        const fs::path onnx = mutiny_test::source_dir() / "models" / (std::string(name) + ".onnx");
        CAPTURE(name);
        REQUIRE(fs::exists(onnx));  // shipped in models/: absent is a broken checkout, not a skip
        NativeModel m = load_model_with_metadata(onnx.string());
        CpuOptions co;
        co.threads = 2;
        CpuExecutor cpu(m.graph, co);
        OpenClExecutor ocl(m.graph);
        const Recipe recipe(m.metadata.count("preprocess") ? m.metadata.at("preprocess") : "unit");
        const Shape per{1, 28, 28};
        size_t agree = 0;
        double max_rel = 0;
        std::string listing;
        const size_t batch = 500;
        for (size_t b = 0; b < count; b += batch) {
            const size_t n = std::min(batch, count - b);
            const Tensor x = make_batch(*ds, b, n, recipe, per);
            const Tensor yc = cpu.run({x})[0];
            const Tensor yo = ocl.run({x})[0];
            REQUIRE(yc.shape() == yo.shape());
            max_rel = std::max(max_rel, compare(yo, yc).max_rel);
            const size_t c = static_cast<size_t>(yc.numel()) / n;
            for (size_t i = 0; i < n; ++i) {
                const float* a = yc.data<float>() + i * c;
                const float* o = yo.data<float>() + i * c;
                const auto ta = std::max_element(a, a + c) - a, to = std::max_element(o, o + c) - o;
                if (ta == to) {
                    ++agree;
                    continue;
                }
                listing += "  image " + std::to_string(b + i) + ": CPU top-1 " + std::to_string(ta) + ", OpenCL top-1 " +
                           std::to_string(to) + "\n    CPU   ";
                char buf[32];
                for (size_t k = 0; k < c; ++k) {
                    std::snprintf(buf, sizeof buf, " %.9g", static_cast<double>(a[k]));
                    listing += buf;
                }
                listing += "\n    OpenCL";
                for (size_t k = 0; k < c; ++k) {
                    std::snprintf(buf, sizeof buf, " %.9g", static_cast<double>(o[k]));
                    listing += buf;
                }
                listing += "\n";
            }
        }
        const double frac = static_cast<double>(agree) / static_cast<double>(count);
        CHECK(frac >= 0.999);
        char row[256];
        std::snprintf(row, sizeof row, "%s | %zu | %.4f%% (%zu/%zu) | %.3g | %zu\n", name, count, 100 * frac, agree, count, max_rel,
                      count - agree);
        table += row;
        if (!listing.empty()) MESSAGE(name << ": top-1 disagreements (both output vectors):\n" << listing);
    }
    MESSAGE("Fashion-MNIST test set, OpenCL vs CPU:\n" << table);
}

#else
TEST_CASE("OpenCL Fashion-MNIST") { mutiny_test::missing("OpenCL support (built without MUTINY_WITH_OPENCL)"); }
#endif
