// `mutiny diff`'s int8 sides against ONNX Runtime (fixtures: tools/make_int8_fixtures.py):
// @float, the float model of a QDQ model (analysis/qdq_float.hpp), is the float model ORT quantized,
// bit for bit where its weights lie on the int8 grid; @int8, the simulated quantize_static
// (analysis/int8_simulation.hpp), computes ORT's scales and zero points bit for bit from ORT's
// calibrated ranges (within a float ulp from its own), ORT's per-channel weight scales bit for bit,
// and ORT's outputs on LeNet-5 within one quantization step of the logits.
#include <doctest/doctest.h>

#include "support/support.hpp"

#include <mutiny/analysis/int8_simulation.hpp>
#include <mutiny/analysis/qdq_float.hpp>
#include <mutiny/exec/cpu/executor.hpp>
#include <mutiny/io/npy.hpp>
#include <mutiny/model.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using namespace mutiny;

namespace {

const std::string kDir = "tests/fixtures/int8/";

std::string fixture(const std::string& f) { return (mutiny_test::source_dir() / (kDir + f)).string(); }

// Row i of a batch [N, ...] as a batch of one.
Tensor row(const Tensor& x, int64_t i) {
    Shape s = x.shape();
    const int64_t n = x.numel() / s[0];
    s.dims()[0] = 1;
    Tensor t(DType::f32, s);
    std::memcpy(t.data<float>(), x.data<float>() + i * n, static_cast<size_t>(n) * sizeof(float));
    return t;
}

// The first 20 Fashion-MNIST test images as the model reads them: pixels / 255 in float32.
Tensor lenet_inputs() {
    const Tensor u = read_npy(fixture("lenet5_inputs_u8.npy"));
    Tensor x(DType::f32, u.shape());
    for (int64_t i = 0; i < u.numel(); ++i) x.data<float>()[i] = static_cast<float>(static_cast<const uint8_t*>(u.raw())[i]) / 255.0f;
    return x;
}

float hex_float(const std::string& s) { return static_cast<float>(std::strtod(s.c_str(), nullptr)); }

const Node* quantizer_of(const Graph& g, const std::string& tensor) {
    for (const Node& n : g.nodes)
        if (n.op == "QuantizeLinear" && g.value(n.inputs[0]).name == tensor) return &n;
    return nullptr;
}

}  // namespace

TEST_CASE("@float: the float model of ORT's QDQ model is the float model, bit for bit") {
    const Graph fl = load_model(fixture("grid_float.onnx"));
    const Graph q = load_model(fixture("grid_int8.onnx"));
    const QdqFloat r = qdq_float_reference(q);
    CHECK(r.dropped == 5);  // input, relu_out (the Conv's output: ORT removed the Relu), pool_out, flat, logits
    CHECK(r.relus == 1);
    const Tensor x = read_npy(fixture("grid_inputs.npy"));
    CpuExecutor a(fl), b(r.graph), c(q);
    int quantized_differs = 0;
    for (int64_t i = 0; i < x.shape()[0]; ++i) {
        const Tensor want = a.run({row(x, i)}).at(0);
        CHECK(b.run({row(x, i)}).at(0).bitwise_equal(want));
        quantized_differs += !c.run({row(x, i)}).at(0).bitwise_equal(want);
    }
    CHECK(quantized_differs > 0);  // the QDQ model itself does differ: the comparison can fail
    // Each float tensor stands for the DequantizeLinear output its readers read.
    CHECK(r.names.qdq_of.at("pool_out") == "pool_out_DequantizeLinear_Output");
    CHECK(r.names.qdq_of.at("logits") == "logits");
    CHECK(r.names.float_of.at("relu_out_DequantizeLinear_Output") == r.names.float_of.at("relu_out") + "_relu");
    CHECK(r.names.float_of.at("logits_QuantizeLinear_Input") == "logits");
    CHECK(r.names.float_of.count("flat_QuantizeLinear_Output") == 0);
}

TEST_CASE("@float refuses a float model, @int8 a quantized one") {
    const Graph fl = load_model(fixture("grid_float.onnx"));
    const Graph q = load_model(fixture("grid_int8.onnx"));
    CHECK(mutiny_test::contains(mutiny_test::error_of([&] { qdq_float_reference(fl); }), "no QuantizeLinear -> DequantizeLinear pair on a float tensor"));
    CHECK(mutiny_test::contains(mutiny_test::error_of([&] { check_unquantized(q); }), "the model is quantized already"));
}

TEST_CASE("@int8: quantize_static's scales, zero points and outputs on LeNet-5") {
    const Graph g = load_model((mutiny_test::source_dir() / "models/fashion_lenet5.onnx").string());
    const Tensor x = lenet_inputs();
    CpuExecutor ex(g);
    Int8Calibration cal(g);
    for (int64_t i = 0; i < x.shape()[0]; ++i) cal.add(ex.run_trace({row(x, i)}));
    const Int8Graph q = simulate_int8(g, cal);

    std::ifstream f(fixture("lenet5_ort_params.txt"));
    REQUIRE(f.good());
    std::vector<std::string> lines;
    std::map<std::string, std::pair<float, float>> ort_range;  // ORT's MinMax calibrator, per tensor
    for (std::string line; std::getline(f, line);) {
        std::istringstream in(line);
        std::string name, lo, hi;
        in >> name >> lo >> hi;
        if (name.rfind("range:", 0) == 0) ort_range[name.substr(6)] = {hex_float(lo), hex_float(hi)};
        else lines.push_back(line);
    }
    int activations = 0, weights = 0, same_bits = 0;
    float logits_scale = 0;
    for (const std::string& line : lines) {
        std::istringstream in(line);
        std::string name, scale, range_of;
        in >> name;
        if (name.rfind("weight:", 0) == 0) {
            const std::vector<float>& got = q.weight_scales.at(name.substr(7));
            size_t c = 0;
            for (; in >> scale; ++c) CHECK(got.at(c) == hex_float(scale));
            CHECK(c == got.size());
            ++weights;
            continue;
        }
        int64_t zp = 0;
        in >> scale >> zp >> range_of;
        // ORT's parameters from ORT's calibrated range: the formula, bit for bit.
        const std::pair<float, float> rr = ort_range.at(range_of);
        const Int8Params from_ort = int8_params(rr.first, rr.second, 0, 255, false);
        CHECK_MESSAGE(from_ort.scale == hex_float(scale), name);
        CHECK_MESSAGE(from_ort.zero_point == zp, name);
        if (name == "/pad/Constant_8_output_0") continue;  // ORT quantizes the Pad's constant 0; it stays float here
        const Node* n = quantizer_of(q.graph, name);
        REQUIRE_MESSAGE(n, name);
        // The calibrated min and max are the float model's on ORT and on Mutiny, whose float sums
        // may differ in a last bit: a scale may differ by one float ulp, a zero point not at all.
        const float got = q.graph.value(n->inputs[1]).constant.data<float>()[0], want = hex_float(scale);
        CHECK_MESSAGE(std::fabs(got - want) <= 1.2e-7f * want, name);
        same_bits += got == want;
        CHECK_MESSAGE(q.graph.value(n->inputs[2]).constant.get_i64(0) == zp, name);
        if (name == "logits_QuantizeLinear_Input") logits_scale = want;
        ++activations;
    }
    CHECK(activations == 14);
    CHECK(same_bits >= 12);  // measured: 12 of 14 (/fc1/Gemm_output_0 and /Sigmoid_3_output_0 differ by one ulp)
    CHECK(weights == 5);
    CHECK(q.activations == 14);

    // Outputs: ORT running the QDQ model as written (no graph optimisation) and as deployed (QDQ groups
    // fused into integer kernels). A last-bit difference in a float sum (or a scale) can move a value
    // across a rounding boundary: one quantization step of the logits (ORT's logits scale, 0.0932).
    // Measured: 12 of the 200 logits differ from ORT's by one step, both ways of running it.
    const Tensor noopt = read_npy(fixture("lenet5_ort_int8_noopt.npy"));
    const Tensor opt = read_npy(fixture("lenet5_ort_int8.npy"));
    CpuExecutor sim(q.graph);
    double max_noopt = 0, max_opt = 0;
    int64_t off_noopt = 0;
    for (int64_t i = 0; i < x.shape()[0]; ++i) {
        const Tensor y = sim.run({row(x, i)}).at(0);
        for (int64_t k = 0; k < 10; ++k) {
            const double v = y.data<float>()[k];
            const double dn = std::fabs(v - noopt.data<float>()[i * 10 + k]), dp = std::fabs(v - opt.data<float>()[i * 10 + k]);
            max_noopt = std::max(max_noopt, dn);
            max_opt = std::max(max_opt, dp);
            off_noopt += dn > 0;
        }
    }
    MESSAGE("max |Mutiny @int8 - ORT| over 20 x 10 logits: " << max_noopt << " (no optimisation, " << off_noopt
                                                               << " differ), " << max_opt << " (default optimisation)");
    CHECK(max_noopt <= 1.001 * logits_scale);
    CHECK(max_opt <= 1.001 * logits_scale);
    CHECK(off_noopt <= 20);
}
