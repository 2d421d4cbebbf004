// An ONNX backend test's data set folder (test_data_set_N/ with input_0.pb, input_1.pb, ...: one
// TensorProto per model input, in the model's input order) as a Dataset of one sample: the
// tensors, fed as stored (a test data set is one run of the model). This is how the reproducer
// bundles of `mutiny diff --reduce` replay (`--data DIR/test_data_set_0`), and how any backend
// test's inputs can feed `mutiny run` or `mutiny diff`. Spec: `pb:DIR`, or DIR itself when it holds
// input_0.pb.
#ifndef MUTINY_IO_BACKEND_TEST_DATA_HPP_
#define MUTINY_IO_BACKEND_TEST_DATA_HPP_

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/tensor.hpp"
#include "dataset_base.hpp"
#include "onnx_import.hpp"

namespace mutiny {

class BackendTestData : public Dataset {
public:
    BackendTestData(const std::string& dir, std::string name) : dir_(dir), name_(std::move(name)) {
        namespace fs = std::filesystem;
        std::error_code ec;
        if (!fs::is_directory(dir, ec)) throw Error("data-set folder not found", "'" + name_ + "'", "'" + dir + "' is not a directory");
        for (size_t k = 0;; ++k) {
            const fs::path p = fs::path(dir) / ("input_" + std::to_string(k) + ".pb");
            if (!fs::is_regular_file(p, ec)) break;
            inputs_.push_back(load_onnx_tensor(p.string()));
        }
        if (inputs_.empty())
            throw Error("no input_0.pb", "'" + name_ + "'", "a backend test's data set folder holds input_0.pb, input_1.pb, ... (one TensorProto per model input)");
    }
    size_t size() const override { return 1; }
    bool labelled() const override { return false; }
    std::string name() const override { return name_; }
    bool holds_tensors() const override { return true; }
    Sample get(size_t i) const override {
        check_index(i);
        Sample s;
        s.source = dir_;
        return s;
    }
    std::vector<Tensor> tensor_batch(const std::vector<size_t>& indices, const std::vector<InputSlot>& slots) const override {
        for (const size_t i : indices) check_index(i);
        if (indices.size() != 1)
            throw Error("a backend test's data set is one run", name_, "batches of " + std::to_string(indices.size()) + " samples cannot be made from it");
        if (slots.size() != inputs_.size())
            throw Error("input count mismatch", name_,
                        "the folder holds " + std::to_string(inputs_.size()) + " input_N.pb, the model takes " + std::to_string(slots.size()) + " inputs");
        for (size_t k = 0; k < slots.size(); ++k) {
            const Tensor& t = inputs_[k];
            const std::string w = dir_ + "/input_" + std::to_string(k) + ".pb";
            if (t.dtype() != slots[k].dtype)
                throw Error("input dtype mismatch", w,
                            std::string("the tensor is ") + dtype_name(t.dtype()) + ", model input '" + slots[k].name + "' takes " + dtype_name(slots[k].dtype));
            bool fits = t.shape().rank() == slots[k].shape.rank() + 1;
            for (size_t a = 0; fits && a < slots[k].shape.rank(); ++a) fits = slots[k].shape[a] < 0 || slots[k].shape[a] == t.shape()[a + 1];
            if (!fits)
                throw Error("input shape mismatch", w, "the tensor is " + t.shape().str() + ", model input '" + slots[k].name + "' takes [batch]+" + slots[k].shape.str());
        }
        return inputs_;
    }

private:
    std::string dir_, name_;
    std::vector<Tensor> inputs_;
};

// Whether `path` is a backend test's data set folder (it holds input_0.pb).
inline bool is_backend_test_data(const std::string& path) {
    std::error_code ec;
    return std::filesystem::is_regular_file(std::filesystem::path(path) / "input_0.pb", ec);
}

}  // namespace mutiny

#endif  // MUTINY_IO_BACKEND_TEST_DATA_HPP_
