// The model file a command names (ONNX or native, by content): loaded here once for every command,
// so the importer is compiled in one translation unit rather than in each command's.
#pragma once

#include <string>
#include <vector>

#include <mutiny/core/tensor.hpp>
#include <mutiny/graph/graph.hpp>
#include <mutiny/io/dataset_base.hpp>
#include <mutiny/io/native.hpp>
#include <mutiny/io/preprocess.hpp>

#include "args.hpp"

namespace cli {

mutiny::Graph load_model_file(const std::string& path);

// What eval, run, campaign and protocol feed a model with.
struct Feeding {
    mutiny::NativeModel model;
    mutiny::Recipe recipe;
    std::string recipe_origin;
    std::vector<mutiny::InputSlot> slots;  // the model's inputs, shapes without the batch dimension
    bool batched = true;                   // every input has a symbolic batch dimension
};

// Loads the model file at `path` (ONNX or native). The recipe is --preprocess, else the one stored
// with the model, else raw pixels.
Feeding prepare_feeding(const std::string& path, const Args& a);

// Refuses --preprocess for data sets that hold tensors (npy:, npz:): they are fed as stored.
void check_recipe_applies(const Args& a, const mutiny::Dataset& ds);

// Samples begin..begin+n-1 of ds as the model's inputs, one tensor per input; for a model without
// a batch dimension (n = 1) each is reshaped to its input's full shape.
std::vector<mutiny::Tensor> feed_batch(const Feeding& f, const mutiny::Dataset& ds, size_t begin, size_t n);

// "fnv1a64:<16 hex digits>" of the file's bytes: campaigns record which model file they ran.
std::string model_file_hash(const std::string& path);

}  // namespace cli
