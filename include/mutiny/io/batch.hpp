// Batches of a data set as model inputs: make_inputs (one tensor per model input, whatever the
// data set holds), make_batch (images preprocessed by a recipe and fitted to the model's input),
// input_slots (what a graph's inputs take) and batch_labels.
#ifndef MUTINY_IO_BATCH_HPP_
#define MUTINY_IO_BATCH_HPP_

#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/parallel.hpp"
#include "../core/shape.hpp"
#include "../core/tensor.hpp"
#include "../graph/graph.hpp"
#include "dataset_base.hpp"
#include "preprocess.hpp"

namespace mutiny {

namespace io_detail {

inline void check_range(const Dataset& ds, size_t begin, size_t count) {
    if (begin > ds.size() || count > ds.size() - begin)
        throw Error("batch out of range", ds.name(),
                    "samples " + std::to_string(begin) + ".." + std::to_string(begin + count) + " of " +
                        std::to_string(ds.size()));
}

inline std::vector<size_t> range_indices(size_t begin, size_t count) {
    std::vector<size_t> idx(count);
    for (size_t i = 0; i < count; ++i) idx[i] = begin + i;
    return idx;
}

}  // namespace io_detail

// float32 [indices.size(), input...]: the images of samples `indices`, each preprocessed by `recipe`
// and fitted to `input_without_batch` (the model input's shape without its batch dimension; see
// fit_to_input). Samples are decoded in parallel; the error of the lowest failing position is the
// one thrown, and it names that sample's source.
inline Tensor make_batch(const Dataset& ds, const std::vector<size_t>& indices, const Recipe& recipe, const Shape& input_without_batch) {
    if (ds.holds_tensors())
        throw Error("data set holds tensors, not images", ds.name(), "its batches come as stored (make_inputs), without a preprocessing recipe");
    for (auto d : input_without_batch)
        if (d <= 0)
            throw Error("model input has unknown dimensions", ds.name(),
                        "input " + input_without_batch.str() + " (without batch) must be concrete to feed images");
    const size_t count = indices.size();
    std::vector<int64_t> dims{static_cast<int64_t>(count)};
    dims.insert(dims.end(), input_without_batch.begin(), input_without_batch.end());
    Tensor out(DType::f32, Shape(dims));
    const size_t per = static_cast<size_t>(input_without_batch.numel());
    float* dst = out.data<float>();
    std::vector<std::exception_ptr> errors(count);
    parallel_chunks(static_cast<int64_t>(count), 1, [&](int64_t b, int64_t e) {
        for (int64_t k = b; k < e; ++k) {
            const size_t i = static_cast<size_t>(k);
            try {
                const Sample s = ds.get(indices[i]);
                const Tensor t = fit_to_input(recipe.apply(s.image), input_without_batch, s.source);
                std::memcpy(dst + i * per, t.data<float>(), per * sizeof(float));
            } catch (...) {
                errors[i] = std::current_exception();
            }
        }
    });
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
    return out;
}

// The same for samples begin..begin+count-1.
inline Tensor make_batch(const Dataset& ds, size_t begin, size_t count, const Recipe& recipe, const Shape& input_without_batch) {
    io_detail::check_range(ds, begin, count);
    return make_batch(ds, io_detail::range_indices(begin, count), recipe, input_without_batch);
}

// What a model's inputs take: one slot per graph input, its shape without the batch dimension.
inline std::vector<InputSlot> input_slots(const Graph& g) {
    std::vector<InputSlot> slots;
    for (int id : g.inputs) {
        const Value& v = g.value(id);
        const auto& d = v.shape.dims();
        slots.push_back(InputSlot{v.name, v.dtype, Shape(std::vector<int64_t>(d.begin() + (d.empty() ? 0 : 1), d.end()))});
    }
    return slots;
}

// One batch for a model: a tensor per slot (model input), [indices.size(), slot shape]. Tensor
// data sets (npy, npz) give their arrays as stored (cast where lossless, tensor_batch); image data
// sets feed one float32 input through `recipe` (make_batch).
inline std::vector<Tensor> make_inputs(const Dataset& ds, const std::vector<size_t>& indices, const Recipe& recipe,
                                       const std::vector<InputSlot>& slots) {
    if (ds.holds_tensors()) return ds.tensor_batch(indices, slots);
    if (slots.size() != 1 || slots[0].dtype != DType::f32) {
        std::string names;
        for (const auto& s : slots) names += (names.empty() ? "" : ", ") + s.name + " (" + dtype_name(s.dtype) + ")";
        throw Error("image data sets feed one float32 input", ds.name(),
                    "the model takes " + std::to_string(slots.size()) + ": " + names + "; feed it tensors from an npy: or npz: data set");
    }
    return {make_batch(ds, indices, recipe, slots[0].shape)};
}

inline std::vector<Tensor> make_inputs(const Dataset& ds, size_t begin, size_t count, const Recipe& recipe, const std::vector<InputSlot>& slots) {
    io_detail::check_range(ds, begin, count);
    return make_inputs(ds, io_detail::range_indices(begin, count), recipe, slots);
}

// Labels of samples begin..begin+count-1 (-1 where unknown).
inline std::vector<int> batch_labels(const Dataset& ds, size_t begin, size_t count) {
    io_detail::check_range(ds, begin, count);
    std::vector<int> v(count);
    for (size_t i = 0; i < count; ++i) v[i] = ds.label(begin + i);
    return v;
}

}  // namespace mutiny

#endif  // MUTINY_IO_BATCH_HPP_
