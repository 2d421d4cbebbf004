// mutiny eval: accuracy (top-1, top-5), throughput and confusion matrix of a model over a data set,
// on the CPU executor or, with --device opencl[:N|:NAME], on an OpenCL device.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <mutiny/core/error.hpp>
#include <mutiny/io/dataset.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "device_backend.hpp"
#include "model_file.hpp"

namespace cli {

namespace {

std::string eval_json_escape(const std::string& s) {
    std::string o;
    for (char c : s) {
        if (c == '"' || c == '\\') o += '\\';
        o += c;
    }
    return o;
}

}  // namespace

int cmd_eval(int argc, char** argv) {
    Args a(argc, argv, 2, {"data", "preprocess", "batch", "threads", "limit", "device", "precision"}, {"help", "json"});
    if (a.has("help")) {
        std::cout << "usage: mutiny eval MODEL --data SPEC [--preprocess RECIPE] [--batch N] [--threads N] [--limit N]\n"
                     "                   [--device cpu|opencl[:N|:NAME] [--precision fp32|fp16]] [--json]\n"
                     "Top-1 and top-5 accuracy, throughput and confusion matrix of MODEL (ONNX or native) over a\n"
                     "labelled data set. SPEC: idx:IMAGES[,LABELS] | fashion-mnist[:test|:train] | cifar:FILE[,FILE...]\n"
                     "| folder:DIR | list:FILE | images:DIR | npy:FILE | npz:FILE, with modifiers @first=N, @sample=N:SEED\n"
                     "(npy:/npz: arrays are fed as stored, one per model input: options @labels=, @inputs=INPUT:ARRAY,...).\n"
                     "RECIPE: a preset (raw, unit, torch-imagenet, inception, caffe) or steps separated by ';'.\n"
                     "Without --preprocess the recipe stored with the model is used, else raw pixels 0..255.\n"
                     "--device: the CPU executor (default) or an OpenCL device (see `mutiny devices`).\n"
                     "--precision fp16 computes float32 models in half on an OpenCL device with cl_khr_fp16 (a device\n"
                     "without it is an error, never a silent float32 run); fp32 is the default.\n";
        return 0;
    }
    if (a.positionals().size() != 1) throw UsageError("eval needs exactly one MODEL");
    if (!a.has("data")) throw UsageError("eval needs --data SPEC");
    const int64_t batch_opt = batch_option(a, 64);
    const auto t_start = std::chrono::steady_clock::now();
    Feeding f = prepare_feeding(a.positionals()[0], a);
    auto ds = mutiny::open_dataset(a.get("data"));
    check_recipe_applies(a, *ds);
    const std::string recipe = ds->holds_tensors() ? "none" : f.recipe.to_string();
    const std::string recipe_origin = ds->holds_tensors() ? "arrays are fed as stored" : f.recipe_origin;
    if (!ds->labelled()) throw mutiny::Error("data set has no labels", a.get("data"), "eval needs labels; use `mutiny run` for unlabelled images");
    size_t count = ds->size();
    if (a.has("limit")) count = std::min(count, static_cast<size_t>(a.get_int("limit", 0, 0, INT64_MAX)));
    DeviceBackend ex(f.model.graph, a);
    const size_t batch = f.batched ? static_cast<size_t>(batch_opt) : 1;
    size_t top1 = 0, top5 = 0, classes = 0;
    std::vector<std::vector<size_t>> confusion;
    double infer_s = 0;
    for (size_t b = 0; b < count; b += batch) {
        const size_t n = std::min(batch, count - b);
        const std::vector<mutiny::Tensor> x = feed_batch(f, *ds, b, n);
        const auto labels = mutiny::batch_labels(*ds, b, n);
        const auto t0 = std::chrono::steady_clock::now();
        const mutiny::Tensor y = ex.run(x)[0];
        infer_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const size_t c = static_cast<size_t>(y.numel()) / n;
        if (classes == 0) {
            classes = c;
            confusion.assign(c, std::vector<size_t>(c, 0));
        }
        const float* p = y.data<float>();
        for (size_t i = 0; i < n; ++i) {
            const float* row = p + i * c;
            const int label = labels[i];
            if (label < 0 || static_cast<size_t>(label) >= c)
                throw mutiny::Error("label out of range", ds->name() + " sample " + std::to_string(b + i),
                                    "label " + std::to_string(label) + " but the model has " + std::to_string(c) + " outputs");
            // Rank of the true class: how many outputs beat it (ties broken by lower index first).
            size_t rank = 0;
            for (size_t k = 0; k < c; ++k)
                if (row[k] > row[label] || (row[k] == row[label] && k < static_cast<size_t>(label))) ++rank;
            top1 += rank == 0;
            top5 += rank < 5;
            const size_t pred = static_cast<size_t>(std::max_element(row, row + c) - row);
            ++confusion[static_cast<size_t>(label)][pred];
        }
    }
    const double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    const double acc1 = count ? static_cast<double>(top1) / static_cast<double>(count) : 0;
    const double acc5 = count ? static_cast<double>(top5) / static_cast<double>(count) : 0;
    // Inputs per second; 0 when nothing ran or no time was measured (never NaN or inf: JSON has neither).
    auto rate = [](size_t n, double s) { return n > 0 && s > 0 ? static_cast<double>(n) / s : 0.0; };
    const double throughput = rate(count, total_s), inference = rate(count, infer_s);
    if (a.has("json")) {
        std::printf("{\"model\":\"%s\",\"data\":\"%s\",\"count\":%zu,\"top1\":%.6f,\"top5\":%.6f,\"throughput_per_s\":%.1f,"
                    "\"inference_per_s\":%.1f,\"threads\":%d,\"device\":\"%s\",\"batch\":%zu,\"preprocess\":\"%s\",\"confusion\":[",
                    eval_json_escape(a.positionals()[0]).c_str(), eval_json_escape(ds->name()).c_str(), count, acc1, acc5, throughput, inference,
                    ex.threads(), eval_json_escape(ex.label()).c_str(), batch, eval_json_escape(recipe).c_str());
        for (size_t r = 0; r < confusion.size(); ++r) {
            std::printf("%s[", r ? "," : "");
            for (size_t k = 0; k < confusion[r].size(); ++k) std::printf("%s%zu", k ? "," : "", confusion[r][k]);
            std::printf("]");
        }
        std::printf("]}\n");
        return 0;
    }
    std::printf("model: %s\ndata: %s (%zu inputs)\npreprocess: %s (%s)\n", a.positionals()[0].c_str(), ds->name().c_str(), count,
                recipe.c_str(), recipe_origin.c_str());
    std::printf("top-1: %.2f%% (%zu/%zu)\ntop-5: %.2f%%\n", 100 * acc1, top1, count, 100 * acc5);
    std::printf("throughput: %.0f inputs/s end to end, %.0f inputs/s inference only (%s, batch %zu, %.2f s)\n",
                throughput, inference, ex.label().c_str(), batch, total_s);
    if (classes <= 20) {
        std::printf("confusion matrix (rows: true class, columns: predicted):\n");
        for (size_t r = 0; r < confusion.size(); ++r) {
            std::printf("%4zu |", r);
            for (size_t k = 0; k < confusion[r].size(); ++k) std::printf(" %5zu", confusion[r][k]);
            std::printf("\n");
        }
    }
    return 0;
}

}  // namespace cli
