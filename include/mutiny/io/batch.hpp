// Batches of a data set as model inputs: make_batch (samples preprocessed by a recipe and fitted
// to the model's input) and batch_labels.
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
#include "dataset_base.hpp"
#include "preprocess.hpp"

namespace mutiny {

// float32 [count, input...]: samples begin..begin+count-1, each preprocessed by `recipe` and fitted
// to `input_without_batch` (the model input's shape without its batch dimension; see fit_to_input).
// Samples are decoded in parallel; the error of the lowest failing index is the one thrown, and it
// names that sample's source.
inline Tensor make_batch(const Dataset& ds, size_t begin, size_t count, const Recipe& recipe,
                         const Shape& input_without_batch) {
    if (begin > ds.size() || count > ds.size() - begin)
        throw Error("batch out of range", ds.name(),
                    "samples " + std::to_string(begin) + ".." + std::to_string(begin + count) + " of " +
                        std::to_string(ds.size()));
    for (auto d : input_without_batch)
        if (d <= 0)
            throw Error("model input has unknown dimensions", ds.name(),
                        "input " + input_without_batch.str() + " (without batch) must be concrete to feed images");
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
                const Sample s = ds.get(begin + i);
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

// Labels of samples begin..begin+count-1 (-1 where unknown).
inline std::vector<int> batch_labels(const Dataset& ds, size_t begin, size_t count) {
    if (begin > ds.size() || count > ds.size() - begin)
        throw Error("batch out of range", ds.name(),
                    "samples " + std::to_string(begin) + ".." + std::to_string(begin + count) + " of " +
                        std::to_string(ds.size()));
    std::vector<int> v(count);
    for (size_t i = 0; i < count; ++i) v[i] = ds.label(begin + i);
    return v;
}

}  // namespace mutiny

#endif  // MUTINY_IO_BATCH_HPP_
