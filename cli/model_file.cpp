#include "model_file.hpp"

#include <cstdio>
#include <vector>

#include <mutiny/core/error.hpp>
#include <mutiny/core/hash.hpp>
#include <mutiny/io/batch.hpp>
#include <mutiny/model.hpp>
#include <mutiny/mutate/mutant_list.hpp>

namespace cli {

mutiny::Graph load_model_file(const std::string& path) { return mutiny::load_model(path); }

Feeding prepare_feeding(const std::string& path, const Args& a) {
    Feeding f;
    f.model = mutiny::load_model_with_metadata(path);
    const auto& g = f.model.graph;
    if (a.has("preprocess")) {
        f.recipe = mutiny::Recipe(a.get("preprocess"));
        f.recipe_origin = "--preprocess";
    } else if (f.model.metadata.count("preprocess")) {
        f.recipe = mutiny::Recipe(f.model.metadata.at("preprocess"));
        f.recipe_origin = "stored with the model";
    } else {
        f.recipe_origin = "default (no recipe given or stored)";
    }
    f.slots = mutiny::input_slots(g);
    for (int id : g.inputs) {
        const mutiny::Shape& s = g.value(id).shape;
        f.batched = f.batched && s.rank() > 0 && s[0] < 0;
    }
    return f;
}

void check_recipe_applies(const Args& a, const mutiny::Dataset& ds) {
    if (a.has("preprocess") && ds.holds_tensors())
        throw UsageError("--preprocess applies to images; " + ds.name() + " holds arrays, fed to the model as stored");
}

std::vector<mutiny::Tensor> feed_batch(const Feeding& f, const mutiny::Dataset& ds, size_t begin, size_t n) {
    std::vector<mutiny::Tensor> x = mutiny::make_inputs(ds, begin, n, f.recipe, f.slots);
    if (!f.batched)
        for (size_t i = 0; i < x.size(); ++i) x[i] = x[i].reshaped(f.model.graph.value(f.model.graph.inputs[i]).shape);
    return x;
}

std::string model_file_hash(const std::string& path) { return mutiny::model_file_identity(path); }

}  // namespace cli
