// mutiny convert MODEL --out FILE [--force] [--self-test SPEC] [--preprocess RECIPE]: writes a model
// (ONNX or native) as an ONNX model (FILE.onnx, io/onnx_export.hpp) or a native model file (any other
// name, io/native.hpp). With --self-test (native only), the CPU outputs of the data set's first
// samples are embedded, and every later load reruns them (model.hpp). An existing FILE is refused
// unless --force.
#include <cstdint>
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <mutiny/core/error.hpp>
#include <mutiny/exec/cpu/executor.hpp>
#include <mutiny/io/dataset.hpp>
#include <mutiny/io/native.hpp>
#include <mutiny/io/onnx_export.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "model_file.hpp"
#include "replacing_file.hpp"

namespace cli {

namespace {

// A self-test is read and run on every load: it stays small.
constexpr size_t kMaxSelfTestSamples = 1000;

// The first samples of `spec`, run on the CPU, as the model's self-test.
mutiny::SelfTest make_self_test(const Feeding& f, const Args& a, const std::string& spec) {
    auto ds = mutiny::open_dataset(spec);
    check_recipe_applies(a, *ds);
    const size_t n = ds->size();
    if (n == 0) throw mutiny::Error("empty self-test data", spec, "no samples to run");
    if (n > kMaxSelfTestSamples)
        throw UsageError("--self-test " + spec + " has " + std::to_string(n) + " samples; a self-test holds at most " +
                         std::to_string(kMaxSelfTestSamples) + " (add @first=N)");
    if (!f.batched) {
        const mutiny::Shape& s = f.model.graph.value(f.model.graph.inputs[0]).shape;
        const size_t fixed = s.rank() > 0 ? static_cast<size_t>(s[0]) : 1;
        if (n != fixed)
            throw UsageError("--self-test " + spec + " has " + std::to_string(n) + " samples; the model's inputs fix the batch at " +
                             std::to_string(fixed) + " (use @first=" + std::to_string(fixed) + ")");
    }
    mutiny::SelfTest t;
    t.inputs = feed_batch(f, *ds, 0, n);
    mutiny::CpuExecutor ex(f.model.graph, mutiny::CpuOptions{threads_option(a), {}, {}});
    t.outputs = ex.run(t.inputs);
    return t;
}

// FILE.onnx (any case) is written as ONNX; every other name as a native model file.
bool onnx_output(const std::string& path) {
    std::string ext = std::filesystem::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return ext == ".onnx";
}

}  // namespace

int cmd_convert(int argc, char** argv) {
    Args a(argc, argv, 2, {"out", "self-test", "preprocess", "threads"}, {"help", "force"});
    if (a.has("help")) {
        std::cout << "usage: mutiny convert MODEL --out FILE [--force] [--self-test SPEC] [--preprocess RECIPE] [--threads N]\n"
                     "Writes MODEL (ONNX or native) as\n"
                     "  FILE.onnx      an ONNX model (opset " << mutiny::kOnnxExportOpset << ", IR version " << mutiny::kOnnxExportIrVersion
                  << "; ops of other domains such as com.microsoft at version 1):\n"
                     "                 the graph as Mutiny imported it (weights folded, legacy forms in their current\n"
                     "                 opset's form), which ONNX Runtime runs; a preprocessing recipe is kept as metadata\n"
                     "  FILE.mutiny    (any other name) a Mutiny native model file (docs/formats.md): the graph as text,\n"
                     "                 the weights as one binary section, a checksum over every byte; metadata (a\n"
                     "                 preprocessing recipe) and an existing self-test are kept\n"
                     "An existing FILE is refused unless --force; it is replaced once the new one is complete.\n"
                     "  --self-test SPEC     (native) embed the CPU outputs of the data set's samples (at most 1000, e.g.\n"
                     "                       fashion-mnist:test@first=16); every load reruns them and refuses a\n"
                     "                       model whose outputs differ\n"
                     "  --preprocess RECIPE  the recipe stored with the model (for a self-test: its images' recipe)\n"
                     "                       (default: the one MODEL carries, else raw pixels)\n"
                     "`mutiny inspect FILE` shows the format; for a native file the version, the checksum and the self-test.\n";
        return 0;
    }
    if (a.positionals().size() != 1) throw UsageError("convert needs exactly one MODEL");
    if (!a.has("out")) throw UsageError("convert needs --out FILE.onnx or --out FILE.mutiny");
    const std::string out = a.get("out");
    if (out == "-") throw UsageError("--out -: convert writes a binary model file, not to stdout; name a file");
    const bool onnx = onnx_output(out);
    if (onnx && a.has("self-test")) throw UsageError("--self-test: an ONNX file has no self-test; write a native model (--out FILE.mutiny)");
    if (!onnx && a.has("preprocess") && !a.has("self-test")) throw UsageError("--preprocess applies to the self-test's images; give --self-test SPEC too");
    std::error_code ec;
    if (!a.has("force") && std::filesystem::exists(out, ec))
        throw UsageError("--out " + out + " exists; add --force to replace it");
    Feeding f = prepare_feeding(a.positionals()[0], a);
    if (a.has("preprocess")) f.model.metadata["preprocess"] = f.recipe.to_string();
    if (onnx) {
        mutiny::OnnxExportOptions opt;
        // load_model_with_metadata reads "mutiny.KEY" back as KEY.
        for (const auto& kv : f.model.metadata) opt.metadata["mutiny." + kv.first] = kv.second;
        const std::string bytes = mutiny::onnx_model_bytes(f.model.graph, opt, a.positionals()[0]);
        ReplacingFile file(out);
        file.stream().write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        file.commit();
        std::cout << "wrote " << out << ": ONNX model, opset " << mutiny::kOnnxExportOpset << ", " << bytes.size() << " bytes, "
                  << f.model.graph.nodes.size() << " nodes\n";
        return 0;
    }
    if (a.has("self-test")) f.model.selftest = make_self_test(f, a, a.get("self-test"));
    const std::vector<uint8_t> bytes = mutiny::save_native_bytes(f.model);
    ReplacingFile file(out);
    file.stream().write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    file.commit();
    std::cout << "wrote " << out << ": native model version " << mutiny::native::kVersion << ", " << bytes.size() << " bytes, ";
    if (f.model.selftest.empty()) std::cout << "no self-test\n";
    else {
        const mutiny::Shape& s = f.model.selftest.inputs[0].shape();
        std::cout << "self-test of " << (s.rank() > 0 ? s[0] : 1) << " samples\n";
    }
    return 0;
}

}  // namespace cli
