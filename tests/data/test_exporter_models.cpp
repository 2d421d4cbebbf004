// The exporter model set (tests/fixtures/exporters, made by tools/make_exporter_models.py): small
// models of deployed architectures exported by torch.onnx (TorchScript and dynamo), tf2onnx and
// onnxruntime.quantization, with ONNX Runtime's outputs as the reference and each folder's
// tolerance.txt as the comparison (float: rel 1e-4; quantized: ORT's quantization tests' 1e-2/0.05).
// Every folder is listed here. One expected to pass must pass (a regression fails the test, naming
// the model and the mismatch); a known refusal must still be refused for the reason given, and the
// test says so (without failing) when one starts passing or is refused for another reason, so the
// list gets updated when the missing piece lands.
#include <doctest/doctest.h>

#include "support/support.hpp"

#include <filesystem>
#include <map>
#include <set>
#include <string>

#include <mutiny/mutiny.hpp>

using namespace mutiny;
namespace fs = std::filesystem;

namespace {

// Folders whose model must run and match ONNX Runtime, with every input fed at run time (the dynamic
// folders' symbolic batch, sequence length or image size included: ViT's flatten(2) becomes a Reshape
// to a shape computed from Shape(x), BERT's position ids a Range up to Shape(input_ids)[1]; both are
// planned per input shapes).
const std::set<std::string> kMustPass = {
    "se_cnn", "se_cnn_dynamic", "se_cnn_dynamo", "se_cnn_dynamo_dynamic", "se_cnn_matmul_head",
    "mobilenet_v3_small", "mobilenet_v3_small_dynamic", "efficientnet_mbconv", "efficientnet_mbconv_dynamic",
    "vit_tiny", "vit_tiny_dynamic", "vit_tiny_dynamo_opset21", "bert_tiny", "bert_tiny_dynamic", "keras_cnn", "keras_cnn_dynamic",
    "lstm_classifier", "lstm_classifier_dynamic", "gru_classifier", "gru_classifier_dynamic", "keras_lstm", "keras_lstm_dynamic",
    "se_cnn_qdq_per_channel", "se_cnn_qdq_per_tensor", "se_cnn_qdq_u8", "se_cnn_qoperator", "se_cnn_qoperator_all_ops",
    "bert_tiny_int8_dynamic_quant", "bert_tiny_int8_dynamic_quant_dynamic"};

// Known refusals: the text the runner's detail must contain, and why.
struct Refusal {
    const char* detail;
    const char* why;
};
// (None at present: se_cnn_qoperator_all_ops, refused for ORT's com.microsoft QLinear* ops until
// they landed in ops/quant/contrib_*.hpp, now passes.)
const std::map<std::string, Refusal> kRefused = {};

fs::path exporters_dir() { return mutiny_test::source_dir() / "tests/fixtures/exporters"; }

}  // namespace

TEST_CASE("exporter models: each passes against ONNX Runtime or is refused for its known reason") {
    const fs::path dir = exporters_dir();
    REQUIRE(fs::is_directory(dir));
    std::set<std::string> seen;
    int pass = 0, refused = 0;
    for (const auto& t : find_conformance_tests({dir.string()})) {
        const auto r = run_conformance_test(t);
        seen.insert(r.name);
        CAPTURE(r.name);
        CHECK_MESSAGE(r.folder_tolerance, "every exporter folder carries its tolerance.txt");
        const bool passed = r.status == ConformanceResult::Status::pass;
        if (kMustPass.count(r.name)) {
            CHECK_MESSAGE(passed, "regression: " << r.name << " no longer matches ONNX Runtime: " << r.detail);
            pass += passed;
        } else if (kRefused.count(r.name)) {
            const Refusal& k = kRefused.at(r.name);
            ++refused;
            if (passed) MESSAGE(r.name << " was refused (" << std::string(k.why) << ") and now passes: move it to kMustPass");
            else if (!mutiny_test::contains(r.detail, k.detail))
                MESSAGE(r.name << " is refused for another reason now: " << r.detail << " (was: " << k.detail << ")");
        } else {
            FAIL_CHECK("folder not listed in test_exporter_models.cpp: " << r.name << " (" << r.detail << ")");
        }
    }
    for (const auto& n : kMustPass) CHECK_MESSAGE(seen.count(n), "listed folder missing: " << n);
    for (const auto& kv : kRefused) CHECK_MESSAGE(seen.count(kv.first), "listed folder missing: " << kv.first);
    MESSAGE(dir.string() << ": " << pass << " passed, " << refused << " known refusals");
    CHECK(pass == static_cast<int>(kMustPass.size()));
}

TEST_CASE("exporter models: a quantized model's tolerance is not what makes it pass at float precision") {
    // The quantized folders' tolerance (ORT's quantization tests: rtol 1e-2, atol 0.05) would hide
    // a wrong rounding mode; Mutiny in fact matches ORT's reference far tighter. Pin that, so a
    // regression to "one quantization step off" shows here even though it stays within tolerance.txt.
    const fs::path dir = exporters_dir();
    for (const char* name : {"se_cnn_qdq_per_channel", "se_cnn_qdq_per_tensor", "se_cnn_qdq_u8", "se_cnn_qoperator",
                             "se_cnn_qoperator_all_ops", "bert_tiny_int8_dynamic_quant"}) {
        CAPTURE(name);
        const auto r = run_conformance_test(dir / name, Tolerance{1e-4, 1e-5}, 0, false, false);
        CHECK_MESSAGE(r.status == ConformanceResult::Status::pass, r.detail);
    }
}
