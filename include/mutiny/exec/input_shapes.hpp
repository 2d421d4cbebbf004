// The input shapes a run plans for. A model's declared inputs may have symbolic dimensions (-1:
// the batch, a sequence length, an image size); each run's tensors fix them, and the executors
// keep one plan (types, buffers, kernels) per distinct set of input shapes, re-running shape
// inference for a new one. The batch-size entry points substitute one size for every symbolic
// dimension, which is what models with only a batch dimension mean.
#ifndef MUTINY_EXEC_INPUT_SHAPES_HPP_
#define MUTINY_EXEC_INPUT_SHAPES_HPP_

#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/tensor.hpp"
#include "../graph/graph.hpp"
#include "../ops/op.hpp"

namespace mutiny {

using InputShapes = std::vector<Shape>;

// The shapes of `inputs`, checked against the graph's declared inputs: their number, dtypes, ranks
// and fixed dimensions (symbolic ones take any size).
inline InputShapes input_shapes_of(const Graph& g, const std::vector<Tensor>& inputs) {
    if (inputs.size() != g.inputs.size())
        throw Error("wrong number of inputs", "graph " + g.name,
                    std::to_string(inputs.size()) + " given, " + std::to_string(g.inputs.size()) + " expected");
    InputShapes s;
    for (size_t i = 0; i < inputs.size(); ++i) {
        const Value& v = g.value(g.inputs[i]);
        if (inputs[i].empty()) throw Error("input '" + v.name + "' is empty", "graph " + g.name, "no tensor given");
        if (inputs[i].dtype() != v.dtype)
            throw Error("wrong input dtype", "input '" + v.name + "'",
                        std::string("got ") + dtype_name(inputs[i].dtype()) + ", the model expects " + dtype_name(v.dtype));
        const Shape& got = inputs[i].shape();
        bool ok = got.rank() == v.shape.rank();
        for (size_t d = 0; ok && d < got.rank(); ++d) ok = v.shape[d] < 0 || v.shape[d] == got[d];
        if (!ok)
            throw Error("wrong input shape", "input '" + v.name + "'",
                        "got " + got.str() + ", the model expects " + v.shape.str() +
                            (v.shape.is_concrete() ? "" : " (N: any size)"));
        s.push_back(got);
    }
    return s;
}

// Every symbolic dimension set to `batch`.
inline InputShapes input_shapes_for_batch(const Graph& g, int64_t batch) {
    InputShapes s;
    for (int id : g.inputs) {
        std::vector<int64_t> d = g.value(id).shape.dims();
        for (auto& x : d)
            if (x < 0) x = batch;
        s.emplace_back(d);
    }
    return s;
}

// The input shapes of a trace (every value of a run, indexed by value id).
inline InputShapes input_shapes_of_trace(const Graph& g, const std::vector<Tensor>& trace) {
    std::vector<Tensor> in;
    for (int i : g.inputs) in.push_back(trace.at(static_cast<size_t>(i)));
    return input_shapes_of(g, in);
}

// A map key for a set of input shapes.
inline std::vector<int64_t> input_shapes_key(const InputShapes& s) {
    std::vector<int64_t> k;
    for (const Shape& x : s) {
        k.push_back(static_cast<int64_t>(x.rank()));
        for (auto d : x) k.push_back(d);
    }
    return k;
}

// The first symbolic dimension's size (the batch, for messages and batch-size APIs); 1 if none.
inline int64_t batch_of_shapes(const Graph& g, const InputShapes& s) {
    for (size_t i = 0; i < s.size() && i < g.inputs.size(); ++i) {
        const Shape& decl = g.value(g.inputs[i]).shape;
        for (size_t d = 0; d < decl.rank() && d < s[i].rank(); ++d)
            if (decl[d] < 0) return s[i][d];
    }
    return 1;
}

// The types of the graph inputs for these shapes.
inline std::vector<TypeInfo> input_types(const Graph& g, const InputShapes& s) {
    std::vector<TypeInfo> t;
    for (size_t i = 0; i < g.inputs.size(); ++i) t.push_back(TypeInfo{g.value(g.inputs[i]).dtype, s.at(i)});
    return t;
}

}  // namespace mutiny

#endif  // MUTINY_EXEC_INPUT_SHAPES_HPP_
