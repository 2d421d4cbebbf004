// Data sets of tensors (specs npy:PATH and npz:PATH, docs/formats.md): arrays whose first axis is
// the sample axis, one per model input, fed as stored. TensorDataset binds the model's inputs to
// arrays (by name, by an explicit @inputs= mapping, or the one array to the one input), checks each
// array's dtype and per-sample shape against the input, and reads a batch's rows from the file
// (stored arrays are read in place, per batch) or from memory (deflated npz entries, Fortran-order
// arrays). Element types are cast only where every value survives (lossless_cast); labels come
// from an integer array (@labels=FILE.npy, or an npz array: @labels=NAME, else one named "labels").
#ifndef MUTINY_IO_TENSOR_DATASET_HPP_
#define MUTINY_IO_TENSOR_DATASET_HPP_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/dtype.hpp"
#include "../core/error.hpp"
#include "../core/tensor.hpp"
#include "dataset_base.hpp"
#include "npy.hpp"
#include "npz.hpp"
#include "random_access_file.hpp"

namespace mutiny {

// Whether every value of `from` is exactly a value of `to`: the same type; bool to anything
// numeric; integers to wider integers (unsigned to wider signed); integers to floats whose
// mantissa holds them (8-bit to f16, 16-bit to f32, 32-bit to f64); floats to wider floats.
inline bool lossless_cast(DType from, DType to) {
    if (from == to) return true;
    if (to == DType::boolean) return false;
    if (from == DType::boolean) return true;
    const size_t fs = dtype_size(from), ts = dtype_size(to);
    if (dtype_is_float(from)) return dtype_is_float(to) && ts > fs;
    if (dtype_is_float(to)) return fs * 2 <= ts;  // mantissas: f16 11 bits, f32 24, f64 53
    const bool from_u = from == DType::u8 || from == DType::u16 || from == DType::u32 || from == DType::u64;
    const bool to_u = to == DType::u8 || to == DType::u16 || to == DType::u32 || to == DType::u64;
    return ts > fs && (from_u || !to_u);
}

// Converts n elements (only where lossless_cast holds; half goes through float).
inline void cast_elements(const void* src, DType from, void* dst, DType to, uint64_t n) {
    if (from == to) {
        std::memcpy(dst, src, n * dtype_size(to));
        return;
    }
    dispatch_dtype(from, [&](auto f) {
        using F = decltype(f);
        const F* s = static_cast<const F*>(src);
        dispatch_dtype(to, [&](auto t) {
            using T = decltype(t);
            T* d = static_cast<T*>(dst);
            for (uint64_t i = 0; i < n; ++i) {
                if constexpr (std::is_same<F, half>::value) d[i] = T(static_cast<float>(s[i]));
                else if constexpr (std::is_same<T, half>::value) d[i] = half(static_cast<float>(s[i]));
                else d[i] = static_cast<T>(s[i]);
            }
        });
    });
}

// One array whose first axis indexes samples: rows read by index, in native byte order.
class NpyColumn {
public:
    // The .npy at bytes [offset, offset + size) of `file`; `where` names it in errors.
    NpyColumn(std::shared_ptr<const RandomAccessFile> file, uint64_t offset, uint64_t size, std::string where)
        : where_(std::move(where)) {
        const size_t prefix = static_cast<size_t>(std::min<uint64_t>(size, 12 + npy_detail::kMaxHeader));
        const std::vector<uint8_t> head = file->read(offset, prefix, "the .npy header");
        h_ = parse_npy_header(head.data(), head.size(), size, where_);
        check_rank();
        if (h_.fortran_order && h_.shape.size() > 1) {
            // Rows of a Fortran-order array are not contiguous: convert it once, in memory.
            const std::vector<uint8_t> data = file->read(offset + h_.data_offset, static_cast<size_t>(h_.data_bytes), "the array's data");
            mem_ = npy_to_native(h_, data.data());
        } else {
            file_ = std::move(file);
            at_ = offset + h_.data_offset;
        }
    }
    // A whole .npy in memory (an inflated npz entry).
    NpyColumn(const std::vector<uint8_t>& npy, std::string where) : where_(std::move(where)) {
        h_ = parse_npy_header(npy.data(), npy.size(), npy.size(), where_);
        check_rank();
        mem_ = npy_to_native(h_, npy.data() + h_.data_offset);
    }

    const std::string& where() const { return where_; }
    DType dtype() const { return h_.dtype; }
    const std::vector<int64_t>& shape() const { return h_.shape; }
    size_t rows() const { return static_cast<size_t>(h_.shape[0]); }
    size_t row_elements() const {
        size_t n = 1;
        for (size_t d = 1; d < h_.shape.size(); ++d) n *= static_cast<size_t>(h_.shape[d]);
        return n;
    }
    std::string shape_str() const { return h_.shape_str(); }

    // Rows `idx` to out (row_elements() native elements each). Runs of consecutive rows are one read.
    void read_rows(const std::vector<size_t>& idx, uint8_t* out) const {
        const size_t rb = row_elements() * dtype_size(h_.dtype);
        for (size_t k = 0; k < idx.size();) {
            size_t run = 1;
            while (k + run < idx.size() && idx[k + run] == idx[k] + run) ++run;
            if (idx[k] >= rows() || run > rows() - idx[k])
                throw Error("sample index out of range", where_, "row " + std::to_string(idx[k]) + " of " + std::to_string(rows()));
            if (file_) file_->read(at_ + idx[k] * rb, out + k * rb, run * rb, "rows of " + where_);
            else if (run * rb > 0) std::memcpy(out + k * rb, static_cast<const uint8_t*>(mem_.raw()) + idx[k] * rb, run * rb);
            k += run;
        }
        if (file_) {
            if (h_.big_endian) npy_swap_bytes(out, idx.size() * row_elements(), dtype_size(h_.dtype));
            if (h_.dtype == DType::boolean)
                for (size_t i = 0; i < idx.size() * rb; ++i) out[i] = out[i] != 0;
        }
    }

private:
    void check_rank() const {
        if (h_.shape.empty())
            throw Error("array has no sample axis", where_, "it is a 0-d array (a scalar); the first axis must index the samples");
        // Samples of no elements would make a data set of any size from no bytes.
        if (h_.shape[0] > 0 && row_elements() == 0)
            throw Error("array has empty samples", where_, "shape " + h_.shape_str() + ": each sample has no elements");
    }

    std::string where_;
    NpyHeader h_;
    std::shared_ptr<const RandomAccessFile> file_;  // rows read in place, from byte at_
    uint64_t at_ = 0;
    Tensor mem_;  // or held in memory, native and C order
};

class TensorDataset : public Dataset {
public:
    // Options of the npy:/npz: specs: labels (a file for npy:, an array name for npz:; empty: an npz
    // array named "labels" if there is one) and inputs (model input -> array name; empty: by name).
    struct Options {
        std::string labels;
        std::vector<std::pair<std::string, std::string>> inputs;
    };

    // npy:PATH: one array, named after its file's stem.
    static std::unique_ptr<TensorDataset> from_npy(const std::string& path, const Options& opt, std::string name) {
        auto ds = std::unique_ptr<TensorDataset>(new TensorDataset(path, opt, std::move(name)));
        auto f = std::make_shared<const RandomAccessFile>(path);
        ds->add(std::filesystem::path(path).stem().string(), std::make_shared<NpyColumn>(f, 0, f->size(), path));
        if (!opt.labels.empty()) {
            auto lf = std::make_shared<const RandomAccessFile>(opt.labels);
            ds->set_labels(NpyColumn(lf, 0, lf->size(), opt.labels));
        }
        ds->check_counts();
        return ds;
    }
    // npz:PATH: the arrays @inputs= maps, or every array when it maps none; labels as Options says.
    static std::unique_ptr<TensorDataset> from_npz(std::shared_ptr<const RandomAccessFile> f, const Options& opt, std::string name) {
        const std::string path = f->path();
        auto ds = std::unique_ptr<TensorDataset>(new TensorDataset(path, opt, std::move(name)));
        NpzFile z(f);
        auto column = [&](const std::string& array, const std::string& role) {
            const NpzEntry* e = z.find(array);
            if (!e) throw Error("npz entry missing", path + "[" + array + "]", role + "; the archive holds: " + z.names());
            const uint64_t start = z.data_offset(*e);
            const std::string where = path + "[" + array + "]";
            if (e->method == 8) return std::make_shared<NpyColumn>(z.inflate(*e, start), where);
            z.check_stored(*e, start);
            return std::make_shared<NpyColumn>(f, start, e->size, where);
        };
        std::string labels = opt.labels;
        if (labels.empty() && z.find("labels")) labels = "labels";
        if (opt.inputs.empty()) {
            for (const auto& e : z.entries())
                if (e.name != labels) ds->add(e.name, column(e.name, "an array of the archive"));
        } else {
            for (const auto& m : opt.inputs)
                if (!ds->columns_.count(m.second)) ds->add(m.second, column(m.second, "@inputs maps input '" + m.first + "' to it"));
        }
        if (!labels.empty()) ds->set_labels(*column(labels, "named by @labels"));
        ds->check_counts();
        return ds;
    }

    size_t size() const override { return size_; }
    bool labelled() const override { return !labels_.empty(); }
    std::string name() const override { return name_; }
    bool holds_tensors() const override { return true; }
    int label(size_t i) const override {
        check_index(i);
        return labels_.empty() ? -1 : labels_[i];
    }
    Sample get(size_t i) const override {
        check_index(i);
        Sample s;
        s.label = labels_.empty() ? -1 : labels_[i];
        s.source = path_ + "[" + std::to_string(i) + "]";
        return s;
    }

    std::vector<Tensor> tensor_batch(const std::vector<size_t>& indices, const std::vector<InputSlot>& slots) const override {
        for (const auto& m : opt_.inputs) {
            bool known = false;
            for (const auto& s : slots) known = known || s.name == m.first;
            if (!known) throw Error("@inputs names '" + m.first + "', which is not an input of the model", name_, "the model's inputs: " + slot_names(slots));
        }
        std::vector<Tensor> out;
        for (const auto& s : slots) {
            const NpyColumn& c = bind(s, slots);
            std::vector<int64_t> dims{static_cast<int64_t>(indices.size())};
            const std::vector<int64_t> per = per_sample_shape(c, s);
            dims.insert(dims.end(), per.begin(), per.end());
            Tensor t(s.dtype, Shape(dims));
            if (c.dtype() == s.dtype) {
                c.read_rows(indices, static_cast<uint8_t*>(t.raw()));
            } else {
                std::vector<uint8_t> raw(indices.size() * c.row_elements() * dtype_size(c.dtype()));
                c.read_rows(indices, raw.data());
                cast_elements(raw.data(), c.dtype(), t.raw(), s.dtype, static_cast<uint64_t>(indices.size() * c.row_elements()));
            }
            out.push_back(std::move(t));
        }
        return out;
    }

private:
    TensorDataset(std::string path, Options opt, std::string name) : path_(std::move(path)), opt_(std::move(opt)), name_(std::move(name)) {}

    void add(const std::string& array, std::shared_ptr<NpyColumn> c) {
        columns_[array] = std::move(c);
        order_.push_back(array);
    }

    void set_labels(const NpyColumn& c) {
        const auto& sh = c.shape();
        if (dtype_is_float(c.dtype()) || c.dtype() == DType::boolean || sh.size() > 2 || (sh.size() == 2 && sh[1] != 1))
            throw Error("labels are not class indices", c.where(),
                        std::string(dtype_name(c.dtype())) + " " + c.shape_str() + "; expected one integer per sample, shape (N,) or (N, 1)");
        std::vector<int64_t> v(c.rows());
        std::vector<uint8_t> raw(c.rows() * dtype_size(c.dtype()));
        std::vector<size_t> all(c.rows());
        for (size_t i = 0; i < all.size(); ++i) all[i] = i;
        c.read_rows(all, raw.data());
        // Every integer type fits int64 except u64's upper half, which is out of range anyway.
        for (size_t i = 0; i < v.size(); ++i)
            v[i] = dispatch_dtype(c.dtype(), [&](auto x) -> int64_t {
                using T = decltype(x);
                if constexpr (std::is_integral<T>::value) return static_cast<int64_t>(reinterpret_cast<const T*>(raw.data())[i]);
                else return 0;  // floats were refused above
            });
        labels_.resize(v.size());
        for (size_t i = 0; i < v.size(); ++i) {
            const bool huge = c.dtype() == DType::u64 && reinterpret_cast<const uint64_t*>(raw.data())[i] > uint64_t(INT32_MAX);
            if (v[i] < 0 || v[i] > INT32_MAX || huge)
                throw Error("label out of range", c.where() + " sample " + std::to_string(i),
                            "label " + (huge ? std::to_string(reinterpret_cast<const uint64_t*>(raw.data())[i]) : std::to_string(v[i])) +
                                "; class indices are 0 or more");
            labels_[i] = static_cast<int>(v[i]);
        }
        labels_where_ = c.where();
    }

    // One sample count for every array and the labels.
    void check_counts() {
        if (order_.empty()) throw Error("npz holds no input arrays", path_, labels_.empty() ? "the archive is empty" : "it holds only the labels");
        const NpyColumn& first = *columns_.at(order_[0]);
        size_ = first.rows();
        for (const auto& a : order_) {
            const NpyColumn& c = *columns_.at(a);
            if (c.rows() != size_)
                throw Error("arrays disagree on the sample count", c.where(),
                            "first axis " + std::to_string(c.rows()) + ", but " + first.where() + " has " + std::to_string(size_) +
                                " samples; pick the arrays to feed with @inputs=INPUT:ARRAY,...");
        }
        if (!labels_.empty() && labels_.size() != size_)
            throw Error("labels count differs from the samples count", labels_where_,
                        std::to_string(labels_.size()) + " labels for " + std::to_string(size_) + " samples in " + first.where());
    }

    static std::string slot_names(const std::vector<InputSlot>& slots) {
        std::string s;
        for (const auto& x : slots) s += (s.empty() ? "" : ", ") + x.name;
        return s;
    }

    // The array that feeds input `s`: mapped by @inputs, else the array named like the input, else
    // the only array when the model has only one input.
    const NpyColumn& bind(const InputSlot& s, const std::vector<InputSlot>& slots) const {
        for (const auto& m : opt_.inputs)
            if (m.first == s.name) return *columns_.at(m.second);
        if (opt_.inputs.empty()) {
            const auto it = columns_.find(s.name);
            if (it != columns_.end()) return *it->second;
            if (slots.size() == 1 && order_.size() == 1) return *columns_.at(order_[0]);
        }
        std::string arrays;
        for (const auto& a : order_) arrays += (arrays.empty() ? "" : ", ") + a;
        throw Error("no array for model input '" + s.name + "'", name_,
                    "the data holds " + arrays + "; the model's inputs are " + slot_names(slots) + "; map them with @inputs=INPUT:ARRAY,...");
    }

    // The array's per-sample shape when it fits the input's: the same rank with every dimension the
    // model fixes equal, or, for a fully fixed input, the same element count (reshaped, as images are).
    static std::vector<int64_t> per_sample_shape(const NpyColumn& c, const InputSlot& s) {
        if (!lossless_cast(c.dtype(), s.dtype))
            throw Error("wrong dtype for model input '" + s.name + "'", c.where(),
                        std::string("the model takes ") + dtype_name(s.dtype) + ", the array holds " + dtype_name(c.dtype()) +
                            "; casting would lose values (convert it first, e.g. with numpy's astype)");
        const std::vector<int64_t> have(c.shape().begin() + 1, c.shape().end());
        const auto& want = s.shape.dims();
        bool same = have.size() == want.size(), fixed = true;
        for (size_t d = 0; d < want.size(); ++d) {
            fixed = fixed && want[d] >= 0;
            if (same && want[d] >= 0 && want[d] != have[d]) same = false;
        }
        if (same) return have;
        if (fixed && static_cast<int64_t>(c.row_elements()) == s.shape.numel()) return want;
        std::string w = "[";
        for (size_t d = 0; d < want.size(); ++d) w += (d ? "," : "") + (want[d] < 0 ? std::string("?") : std::to_string(want[d]));
        throw Error("wrong per-sample shape for model input '" + s.name + "'", c.where(),
                    "the model takes " + w + "] per sample, the array is " + c.shape_str() + " (samples on the first axis)");
    }

    std::string path_;
    Options opt_;
    std::string name_;
    std::map<std::string, std::shared_ptr<NpyColumn>> columns_;
    std::vector<std::string> order_;  // arrays in archive order
    std::vector<int> labels_;
    std::string labels_where_;
    size_t size_ = 0;
};

}  // namespace mutiny

#endif  // MUTINY_IO_TENSOR_DATASET_HPP_
