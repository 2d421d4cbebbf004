#include "model_file.hpp"

#include <cstdio>
#include <vector>

#include <mutiny/core/error.hpp>
#include <mutiny/model.hpp>

namespace cli {

mutiny::Graph load_model_file(const std::string& path) { return mutiny::load_model(path); }

Feeding prepare_feeding(const std::string& path, const Args& a) {
    Feeding f;
    f.model = mutiny::load_model_with_metadata(path);
    const auto& g = f.model.graph;
    if (g.inputs.size() != 1) throw mutiny::Error("model has " + std::to_string(g.inputs.size()) + " inputs", path, "eval and run feed models with exactly one input");
    if (a.has("preprocess")) {
        f.recipe = mutiny::Recipe(a.get("preprocess"));
        f.recipe_origin = "--preprocess";
    } else if (f.model.metadata.count("preprocess")) {
        f.recipe = mutiny::Recipe(f.model.metadata.at("preprocess"));
        f.recipe_origin = "stored with the model";
    } else {
        f.recipe_origin = "default (no recipe given or stored)";
    }
    const mutiny::Shape s = g.value(g.inputs[0]).shape;
    f.batched = s.rank() > 0 && s[0] < 0;
    std::vector<int64_t> rest(s.begin() + (s.rank() > 0 ? 1 : 0), s.end());
    f.input_without_batch = mutiny::Shape(rest);
    return f;
}

std::string model_file_hash(const std::string& path) {
    const auto bytes = mutiny::read_file_bytes(path);
    char b[20];
    std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(mutiny::native::fnv1a(bytes.data(), bytes.size())));
    return std::string("fnv1a64:") + b;
}

}  // namespace cli
