// mutiny run: one CSV row per input with every output value, on the CPU executor or, with
// --device opencl[:N|:NAME], on an OpenCL device.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <mutiny/core/error.hpp>
#include <mutiny/io/dataset.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "device_backend.hpp"
#include "model_file.hpp"
#include "replacing_file.hpp"

namespace cli {

int cmd_run(int argc, char** argv) {
    Args a(argc, argv, 2, {"images", "data", "preprocess", "out", "batch", "threads", "device", "precision"}, {"help"});
    if (a.has("help")) {
        std::cout << "usage: mutiny run MODEL --images DIR|--data SPEC [--preprocess RECIPE] --out FILE.csv|- [--batch N] [--threads N]\n"
                     "                  [--device cpu|opencl[:N|:NAME] [--precision fp32|fp16]]\n"
                     "Writes one CSV row per input: source, label (empty if unknown), top-1, then every output value.\n"
                     "An output whose shape follows the data (NonZero, Unique...) needs --batch 1; its rows may differ in length.\n";
        return 0;
    }
    if (a.positionals().size() != 1) throw UsageError("run needs exactly one MODEL");
    if (a.has("images") == a.has("data")) throw UsageError("run needs exactly one of --images DIR or --data SPEC");
    if (!a.has("out")) throw UsageError("run needs --out FILE.csv");
    Feeding f = prepare_feeding(a.positionals()[0], a);
    auto ds = mutiny::open_dataset(a.has("images") ? "images:" + a.get("images") : a.get("data"));
    check_recipe_applies(a, *ds);
    DeviceBackend ex(f.model.graph, a);
    const std::string out = a.get("out");
    ReplacingFile file(out);  // a failed run leaves neither a half CSV nor its temporary
    std::ostream& csv = file.stream();
    const size_t batch = f.batched ? static_cast<size_t>(batch_option(a, 64)) : 1;
    bool header = false;
    for (size_t b = 0; b < ds->size(); b += batch) {
        const size_t n = std::min(batch, ds->size() - b);
        const std::vector<mutiny::Tensor> x = feed_batch(f, *ds, b, n);
        const mutiny::Tensor y = ex.run(x)[0];
        // One row per input needs an output whose first axis is the batch, or one input per run:
        // an output whose shape follows the data (NonZero...) cannot be split per input, and its
        // rows may differ in length.
        if (n > 1 && (y.shape().rank() == 0 || y.shape()[0] != static_cast<int64_t>(n)))
            throw mutiny::Error("cannot write one row per input", "output '" + f.model.graph.value(f.model.graph.outputs[0]).name + "'",
                                "its shape " + y.shape().str() + " does not start with the batch size " + std::to_string(n) +
                                    " (run it with --batch 1)");
        const size_t c = static_cast<size_t>(y.numel()) / n;
        if (!header) {
            csv << "source,label,top1";
            for (size_t k = 0; k < c; ++k) csv << ",out" << k;
            csv << "\n";
            header = true;
        }
        // Every dtype prints as its value (integer outputs exactly: %.17g holds up to 2^53).
        std::vector<double> vals(static_cast<size_t>(y.numel()));
        for (size_t k = 0; k < vals.size(); ++k) vals[k] = y.get_f64(static_cast<int64_t>(k));
        for (size_t i = 0; i < n; ++i) {
            const double* row = vals.data() + i * c;
            const int label = ds->label(b + i);
            std::string src = ds->get(b + i).source;
            if (src.find_first_of(",\"\n") != std::string::npos) {
                std::string q = "\"";
                for (char ch : src) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
                src = q + "\"";
            }
            csv << src << "," << (label >= 0 ? std::to_string(label) : "") << "," << (std::max_element(row, row + c) - row);
            char buf[32];
            for (size_t k = 0; k < c; ++k) {
                std::snprintf(buf, sizeof buf, y.dtype() == mutiny::DType::f32 ? ",%.9g" : ",%.17g", row[k]);
                csv << buf;
            }
            csv << "\n";
        }
    }
    file.commit();
    std::fprintf(file.to_stdout() ? stderr : stdout, "wrote %zu rows to %s\n", ds->size(), file.to_stdout() ? "standard output" : out.c_str());
    return 0;
}

}  // namespace cli
