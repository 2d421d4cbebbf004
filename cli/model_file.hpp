// The model file a command names (ONNX or native, by content): loaded here once for every command,
// so the importer is compiled in one translation unit rather than in each command's.
#pragma once

#include <string>

#include <mutiny/graph/graph.hpp>
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
    mutiny::Shape input_without_batch;
    bool batched = true;  // the model's first input has a symbolic batch dimension
};

// Loads the model file at `path` (ONNX or native). The recipe is --preprocess, else the one stored
// with the model, else raw pixels.
Feeding prepare_feeding(const std::string& path, const Args& a);

// "fnv1a64:<16 hex digits>" of the file's bytes: campaigns record which model file they ran.
std::string model_file_hash(const std::string& path);

}  // namespace cli
