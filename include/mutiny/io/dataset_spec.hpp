// Data-set spec strings (docs/formats.md): open_dataset() turns one into a Dataset.
//
//   idx:IMAGES[,LABELS]          IDX files (MNIST, Fashion-MNIST), raw or gzip-compressed
//   fashion-mnist[:test|:train]  Debian's dataset-fashion-mnist in /usr/share/datasets/fashion-mnist
//                                (test by default; MUTINY_FASHION_MNIST_DIR overrides the folder)
//   cifar:FILE[,FILE...]         CIFAR-10/100 binary batches (cifar10:/cifar100: force the variant)
//   folder:DIR                   one subfolder per class, classes in sorted order (byte order)
//   list:FILE                    lines "path label"; relative paths are relative to FILE's folder
//   images:DIR                   unlabelled images directly in DIR, sorted by name
//   npy:FILE                     one NumPy array, samples on its first axis (tensor_dataset.hpp)
//   npz:FILE                     NumPy arrays, one per model input (matched by name)
//   pb:DIR, or DIR itself        an ONNX backend test's data set folder (input_N.pb): one sample, the
//                                tensors as stored (backend_test_data.hpp)
//
// npy: and npz: take options: @labels=FILE.npy (npy:) or @labels=ARRAY (npz:; default: an array
// named "labels") and @inputs=INPUT:ARRAY[,INPUT:ARRAY...] (which array feeds which model input).
// Then modifiers, applied left to right: @first=N (the first N samples) and @sample=N:SEED
// (N samples drawn without replacement, kept in their original order). Both take all samples
// when N exceeds the size.
//
// @sample's generator, fixed so a seed means the same subset everywhere: std::mt19937_64 seeded
// with SEED (its output is defined by the standard); a partial Fisher-Yates shuffle of the indices
// 0..n-1 where step i (i = 0..N-1) swaps index i with index i + r, r drawn uniformly from [0, n-i)
// by rejection (draw x until x >= 2^64 mod (n-i), then r = x mod (n-i)); the first N indices are
// then sorted. std::shuffle and std::uniform_int_distribution are not used: their results differ
// between standard libraries.
#ifndef MUTINY_IO_DATASET_SPEC_HPP_
#define MUTINY_IO_DATASET_SPEC_HPP_

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "backend_test_data.hpp"
#include "cifar.hpp"
#include "dataset_base.hpp"
#include "idx.hpp"
#include "image_folder.hpp"
#include "preprocess.hpp"
#include "tensor_dataset.hpp"

namespace mutiny {

class SubsetDataset : public Dataset {
public:
    SubsetDataset(std::unique_ptr<Dataset> base, std::vector<size_t> indices, std::string name)
        : base_(std::move(base)), idx_(std::move(indices)), name_(std::move(name)) {}
    size_t size() const override { return idx_.size(); }
    bool labelled() const override { return base_->labelled(); }
    std::string name() const override { return name_; }
    std::vector<std::string> class_names() const override { return base_->class_names(); }
    bool holds_tensors() const override { return base_->holds_tensors(); }
    std::vector<Tensor> tensor_batch(const std::vector<size_t>& indices, const std::vector<InputSlot>& slots) const override {
        std::vector<size_t> mapped(indices.size());
        for (size_t k = 0; k < indices.size(); ++k) {
            check_index(indices[k]);
            mapped[k] = idx_[indices[k]];
        }
        return base_->tensor_batch(mapped, slots);
    }
    int label(size_t i) const override {
        check_index(i);
        return base_->label(idx_[i]);
    }
    Sample get(size_t i) const override {
        check_index(i);
        return base_->get(idx_[i]);
    }
    const std::vector<size_t>& indices() const { return idx_; }
    const Dataset& base() const { return *base_; }

private:
    std::unique_ptr<Dataset> base_;
    std::vector<size_t> idx_;
    std::string name_;
};

// The sorted indices @sample=k:seed selects from n samples (see the header comment).
inline std::vector<size_t> sample_indices(size_t n, size_t k, uint64_t seed) {
    if (k > n) k = n;
    std::vector<size_t> idx(n);
    for (size_t i = 0; i < n; ++i) idx[i] = i;
    std::mt19937_64 rng(seed);
    for (size_t i = 0; i < k; ++i) {
        const uint64_t m = static_cast<uint64_t>(n - i);
        const uint64_t threshold = (uint64_t(0) - m) % m;  // 2^64 mod m
        uint64_t x = rng();
        while (x < threshold) x = rng();
        const size_t j = i + static_cast<size_t>(x % m);
        std::swap(idx[i], idx[j]);
    }
    idx.resize(k);
    std::sort(idx.begin(), idx.end());
    return idx;
}

// ---- specs ----------------------------------------------------------------------------------------------
constexpr const char* kDatasetSpecHelp =
    "expected idx:IMAGES[,LABELS] | fashion-mnist[:test|:train] | cifar:FILE[,FILE...] | folder:DIR | "
    "list:FILE | images:DIR | npy:FILE | npz:FILE | pb:DIR (a backend test's test_data_set_N folder), optionally followed by @first=N and @sample=N:SEED "
    "(npy:/npz: also @labels=... and @inputs=INPUT:ARRAY,...)";

namespace io_detail {

// @inputs=INPUT:ARRAY[,INPUT:ARRAY...]; an input name may hold ':' (the last one separates).
inline std::vector<std::pair<std::string, std::string>> parse_input_map(const std::string& v, const std::string& spec) {
    std::vector<std::pair<std::string, std::string>> m;
    for (const auto& part : split(v, ',')) {
        const size_t c = part.rfind(':');
        const std::string in = c == std::string::npos ? "" : trim(part.substr(0, c)), arr = c == std::string::npos ? "" : trim(part.substr(c + 1));
        if (in.empty() || arr.empty())
            throw Error("bad data-set option '@inputs=" + v + "'", "'" + spec + "'", "'" + part + "' is not INPUT:ARRAY (model input name, array name)");
        for (const auto& x : m)
            if (x.first == in) throw Error("bad data-set option '@inputs=" + v + "'", "'" + spec + "'", "input '" + in + "' is mapped twice");
        m.emplace_back(in, arr);
    }
    return m;
}

}  // namespace io_detail

inline std::unique_ptr<Dataset> open_dataset(const std::string& spec) {
    // Modifiers: trailing "@first=..." / "@sample=..." (also "@word=..." to report typos), peeled
    // from the end so that paths may contain '@'.
    std::string base = spec;
    std::vector<std::string> mods;
    for (;;) {
        const size_t at = base.rfind('@');
        if (at == std::string::npos) break;
        const std::string m = base.substr(at + 1);
        const size_t eq = m.find('=');
        bool word = eq != std::string::npos && eq > 0;
        for (size_t i = 0; word && i < eq; ++i)
            if (!std::isalpha(static_cast<unsigned char>(m[i])) && m[i] != '-' && m[i] != '_') word = false;
        if (!word) break;
        mods.insert(mods.begin(), m);
        base = base.substr(0, at);
    }

    // A backend test's data set folder needs no scheme (`--data DIR/test_data_set_0`).
    if (base.find(':') == std::string::npos && is_backend_test_data(base)) base = "pb:" + base;
    const size_t colon = base.find(':');
    std::string scheme = base.substr(0, colon);
    for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::string rest = colon == std::string::npos ? std::string() : base.substr(colon + 1);
    auto need_rest = [&](const char* what) {
        if (io_detail::trim(rest).empty())
            throw Error("data-set spec names nothing", "'" + spec + "'", std::string(scheme) + ": needs " + what);
    };
    auto split_files = [&]() {
        std::vector<std::string> v;
        for (auto& s : io_detail::split(rest, ',')) {
            const std::string t = io_detail::trim(s);
            if (t.empty()) throw Error("data-set spec names nothing", "'" + spec + "'", "empty file name in the list");
            v.push_back(t);
        }
        return v;
    };

    // Options of the tensor schemes (@labels, @inputs) are peeled off here; the rest are subset modifiers.
    TensorDataset::Options topt;
    std::string options;
    for (size_t k = 0; k < mods.size();) {
        const size_t eq = mods[k].find('=');
        const std::string key = mods[k].substr(0, eq), val = mods[k].substr(eq + 1);
        if (key != "labels" && key != "inputs") {
            ++k;
            continue;
        }
        if (scheme != "npy" && scheme != "npz")
            throw Error("data-set option '@" + mods[k] + "' does not apply to " + scheme + ":", "'" + spec + "'", "@labels and @inputs are options of npy: and npz:");
        if (io_detail::trim(val).empty()) throw Error("bad data-set option '@" + mods[k] + "'", "'" + spec + "'", "@" + key + "= needs a value");
        if (key == "labels") topt.labels = io_detail::trim(val);
        else topt.inputs = io_detail::parse_input_map(val, spec);
        options += "@" + mods[k];
        mods.erase(mods.begin() + static_cast<std::ptrdiff_t>(k));
    }

    std::unique_ptr<Dataset> ds;
    if (scheme == "npy" || scheme == "npz") {
        need_rest("FILE");
        const std::string file = io_detail::trim(rest);
        io_detail::require_file(file, spec);
        if (scheme == "npy") {
            if (!topt.inputs.empty() && topt.inputs.size() != 1)
                throw Error("bad data-set option '@inputs'", "'" + spec + "'", "npy: holds one array: map one input to it");
            if (!topt.labels.empty()) io_detail::require_file(topt.labels, spec);
            ds = TensorDataset::from_npy(file, topt, base + options);
        } else {
            ds = TensorDataset::from_npz(std::make_shared<const RandomAccessFile>(file), topt, base + options);
        }
    } else if (scheme == "pb") {
        need_rest("DIR");
        ds = std::make_unique<BackendTestData>(io_detail::trim(rest), base);
    } else if (scheme == "idx") {
        need_rest("IMAGES[,LABELS]");
        const auto files = split_files();
        if (files.size() > 2)
            throw Error("bad data-set spec", "'" + spec + "'", "idx: takes IMAGES or IMAGES,LABELS");
        io_detail::require_file(files[0], spec);
        if (files.size() == 2) io_detail::require_file(files[1], spec);
        ds = std::make_unique<IdxDataset>(files[0], files.size() == 2 ? files[1] : std::string(), base);
    } else if (scheme == "fashion-mnist") {
        std::string split = io_detail::trim(rest);
        if (colon == std::string::npos || split.empty()) split = "test";
        if (split != "test" && split != "train")
            throw Error("bad data-set spec", "'" + spec + "'", "fashion-mnist takes :test or :train, not :" + split);
        const char* env = std::getenv("MUTINY_FASHION_MNIST_DIR");
        const std::string dir = env && *env ? env : "/usr/share/datasets/fashion-mnist";
        const std::string stem = split == "test" ? "t10k" : "train";
        auto pick = [&](const std::string& file) {
            std::error_code ec;
            for (const char* ext : {".gz", ""}) {
                const std::string p = dir + "/" + file + ext;
                if (std::filesystem::is_regular_file(p, ec)) return p;
            }
            throw Error("data set not installed", "'" + spec + "'",
                        "'" + dir + "/" + file + ".gz' not found; install Debian's dataset-fashion-mnist "
                        "(apt-get install dataset-fashion-mnist) or set MUTINY_FASHION_MNIST_DIR");
        };
        ds = std::make_unique<IdxDataset>(pick(stem + "-images-idx3-ubyte"), pick(stem + "-labels-idx1-ubyte"), base);
    } else if (scheme == "cifar" || scheme == "cifar10" || scheme == "cifar100") {
        need_rest("FILE[,FILE...]");
        const int variant = scheme == "cifar10" ? 10 : scheme == "cifar100" ? 100 : 0;
        ds = std::make_unique<CifarDataset>(split_files(), variant, base);
    } else if (scheme == "folder") {
        need_rest("DIR");
        ds = ImageFilesDataset::from_folder(io_detail::trim(rest), base);
    } else if (scheme == "images") {
        need_rest("DIR");
        ds = ImageFilesDataset::from_images(io_detail::trim(rest), base);
    } else if (scheme == "list") {
        need_rest("FILE");
        ds = ImageFilesDataset::from_list(io_detail::trim(rest), base);
    } else {
        throw Error(colon == std::string::npos ? "data-set spec names nothing" : "unknown data-set scheme '" + scheme + "'",
                    "'" + spec + "'", kDatasetSpecHelp);
    }

    std::string name = base + options;
    for (const auto& m : mods) {
        const size_t eq = m.find('=');
        const std::string key = m.substr(0, eq), val = m.substr(eq + 1);
        int64_t n = 0;
        if (key == "first") {
            if (!io_detail::parse_int(val, INT64_MAX / 2, n) || n == 0)
                throw Error("bad data-set modifier '@" + m + "'", "'" + spec + "'", "@first=N needs a positive integer N");
            const size_t k = std::min(static_cast<size_t>(n), ds->size());
            std::vector<size_t> idx(k);
            for (size_t i = 0; i < k; ++i) idx[i] = i;
            name += "@" + m;
            ds = std::make_unique<SubsetDataset>(std::move(ds), std::move(idx), name);
        } else if (key == "sample") {
            const auto parts = io_detail::split(val, ':');
            int64_t seed = 0;
            if (parts.size() != 2 || !io_detail::parse_int(parts[0], INT64_MAX / 2, n) || n == 0 ||
                !io_detail::parse_int(parts[1], INT64_MAX, seed))
                throw Error("bad data-set modifier '@" + m + "'", "'" + spec + "'",
                            "@sample=N:SEED needs a positive integer N and a non-negative integer SEED");
            name += "@" + m;
            auto idx = sample_indices(ds->size(), static_cast<size_t>(n), static_cast<uint64_t>(seed));
            ds = std::make_unique<SubsetDataset>(std::move(ds), std::move(idx), name);
        } else {
            throw Error("unknown data-set modifier '@" + m + "'", "'" + spec + "'", "allowed: @first=N, @sample=N:SEED");
        }
    }
    return ds;
}

}  // namespace mutiny

#endif  // MUTINY_IO_DATASET_SPEC_HPP_
