// CIFAR-10/100 binary batches: spec cifar:FILE[,FILE...] (cifar10:, cifar100: force the variant).
// Files are read per sample (seek + read under a mutex).
#ifndef MUTINY_IO_CIFAR_HPP_
#define MUTINY_IO_CIFAR_HPP_

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "dataset_base.hpp"

namespace mutiny {

// Records: CIFAR-10 = 1 label byte + 3072 bytes; CIFAR-100 = coarse label, fine label + 3072 bytes
// (the fine label is used). Pixels are three 32x32 planes R, G, B. The variant is taken from the
// scheme (cifar10:, cifar100:) or, for cifar:, from the file size (a multiple of 3073 or 3074; when
// both, a name containing "100" means CIFAR-100).
class CifarDataset : public Dataset {
public:
    CifarDataset(const std::vector<std::string>& files, int variant /* 0 auto, 10, 100 */, std::string name)
        : name_(std::move(name)) {
        for (const auto& f : files) {
            io_detail::require_file(f, name_);
            std::error_code ec;
            const uintmax_t bytes = std::filesystem::file_size(f, ec);
            if (ec) throw Error("cannot read file", f, ec.message());
            int v = variant;
            if (v == 0) {
                const bool ten = bytes % 3073 == 0, hundred = bytes % 3074 == 0;
                if (ten && hundred) v = f.find("100") != std::string::npos ? 100 : 10;
                else if (ten) v = 10;
                else if (hundred) v = 100;
            }
            const size_t rec = v == 100 ? 3074 : 3073;
            if (bytes == 0 || v == 0 || bytes % rec != 0)
                throw Error("not a CIFAR binary batch (truncated?)", f,
                            "size " + std::to_string(bytes) + " bytes is " +
                                (v == 0 ? std::string("not a multiple of 3073 (CIFAR-10) or 3074 (CIFAR-100) bytes")
                                        : "not a multiple of the " + std::to_string(rec) + "-byte CIFAR-" +
                                              std::to_string(v) + " record"));
            if (variant_ != 0 && v != variant_)
                throw Error("CIFAR files of different variants", name_, f + " is CIFAR-" + std::to_string(v));
            variant_ = v;
            Part p;
            p.path = f;
            p.first = total_;
            p.count = static_cast<size_t>(bytes / rec);
            p.file = std::make_unique<std::ifstream>(f, std::ios::binary);
            if (!*p.file) throw Error("cannot open file", f, errno ? std::strerror(errno) : "open failed");
            total_ += p.count;
            parts_.push_back(std::move(p));
        }
        if (total_ == 0) throw Error("data set is empty", name_, "no CIFAR files given");
    }
    size_t size() const override { return total_; }
    bool labelled() const override { return true; }
    std::string name() const override { return name_; }
    int variant() const { return variant_; }

    int label(size_t i) const override {
        check_index(i);
        const size_t lb = variant_ == 100 ? 2 : 1;
        uint8_t buf[2] = {0, 0};
        std::string src;
        read(i, 0, lb, buf, src);
        return check_label(buf, src);
    }
    Sample get(size_t i) const override {
        check_index(i);
        const size_t lb = variant_ == 100 ? 2 : 1;
        std::vector<uint8_t> rec(lb + 3072), hwc(3072);
        Sample s;
        read(i, 0, rec.size(), rec.data(), s.source);
        s.label = check_label(rec.data(), s.source);
        const uint8_t* planes = rec.data() + lb;
        for (size_t p = 0; p < 1024; ++p)
            for (size_t c = 0; c < 3; ++c) hwc[p * 3 + c] = planes[c * 1024 + p];
        s.image = image_from_u8(32, 32, 3, hwc.data(), s.source);
        return s;
    }

private:
    struct Part {
        std::string path;
        size_t first = 0, count = 0;
        std::unique_ptr<std::ifstream> file;
    };
    int check_label(const uint8_t* b, const std::string& src) const {
        const int v = variant_ == 100 ? b[1] : b[0];
        const int limit = variant_ == 100 ? 100 : 10;
        if (v >= limit || (variant_ == 100 && b[0] >= 20))
            throw Error("corrupt CIFAR record", src,
                        "label " + std::to_string(v) + " outside 0.." + std::to_string(limit - 1) +
                            " (not a CIFAR-" + std::to_string(variant_) + " file?)");
        return v;
    }
    void read(size_t i, size_t at, size_t n, uint8_t* out, std::string& src) const {
        auto it = std::upper_bound(parts_.begin(), parts_.end(), i,
                                   [](size_t v, const Part& p) { return v < p.first; });
        const Part& p = *(it - 1);
        const size_t k = i - p.first;
        src = p.path + "[" + std::to_string(k) + "]";
        const size_t rec = variant_ == 100 ? 3074 : 3073;
        std::lock_guard<std::mutex> lock(mutex_);
        p.file->clear();
        p.file->seekg(static_cast<std::streamoff>(k * rec + at));
        p.file->read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(n));
        if (static_cast<size_t>(p.file->gcount()) != n)
            throw Error("short read in CIFAR file", src, "the file shrank or cannot be read");
    }
    std::vector<Part> parts_;
    size_t total_ = 0;
    int variant_ = 0;
    std::string name_;
    mutable std::mutex mutex_;
};

}  // namespace mutiny

#endif  // MUTINY_IO_CIFAR_HPP_
