// IDX files (MNIST, Fashion-MNIST): spec idx:IMAGES[,LABELS] and fashion-mnist (dataset_spec.hpp).
// A raw IDX file is read per sample (seek + read under a mutex); a .gz IDX file (detected by its
// gzip magic, not its name) is decompressed once at open, streamed through zlib into one buffer per
// file (Fashion-MNIST: 7.8 MB test, 47 MB train), capped at 1 GiB (gunzip larger files: raw files
// are not loaded). Labels are read at open.
#ifndef MUTINY_IO_IDX_HPP_
#define MUTINY_IO_IDX_HPP_

#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "dataset_base.hpp"

namespace mutiny {

namespace io_detail {

// One IDX file: header parsed and checked against the data present; items read by index.
class IdxFile {
public:
    explicit IdxFile(const std::string& path) : path_(path) {
        gz_ = has_gzip_magic(path);
        uint8_t head[4 + 4 * 255];
        size_t avail = 0;  // bytes of file (decompressed) in total
        if (gz_) {
            mem_ = gunzip_file(path);
            avail = mem_.size();
            std::memcpy(head, mem_.data(), std::min(avail, sizeof head));
        } else {
            file_ = std::make_unique<std::ifstream>(path, std::ios::binary);
            if (!*file_) throw Error("cannot open file", path, errno ? std::strerror(errno) : "open failed");
            file_->seekg(0, std::ios::end);
            avail = static_cast<size_t>(file_->tellg());
            file_->seekg(0);
            file_->read(reinterpret_cast<char*>(head), static_cast<std::streamsize>(std::min(avail, sizeof head)));
            file_->clear();
        }
        if (avail < 4)
            throw Error("short read in IDX file", path,
                        "the file has " + std::to_string(avail) + " bytes, fewer than the 4-byte magic number");
        const uint32_t magic = uint32_t(head[0]) << 24 | uint32_t(head[1]) << 16 | uint32_t(head[2]) << 8 | head[3];
        type_ = head[2];
        const int ndim = head[3];
        size_t esize = 0;
        switch (type_) {
            case 0x08: case 0x09: esize = 1; break;
            case 0x0B: esize = 2; break;
            case 0x0C: case 0x0D: esize = 4; break;
            case 0x0E: esize = 8; break;
            default: esize = 0;
        }
        if (head[0] != 0 || head[1] != 0 || esize == 0 || ndim == 0) {
            char hex[16];
            std::snprintf(hex, sizeof hex, "0x%08X", magic);
            throw Error("not an IDX file", path,
                        std::string("wrong magic number ") + hex +
                            " (expected 0x0000TTDD: type TT in 08 09 0B 0C 0D 0E, DD dimensions >= 1)");
        }
        header_ = 4 + 4 * static_cast<size_t>(ndim);
        if (avail < header_)
            throw Error("short read in IDX file", path,
                        "the header needs " + std::to_string(header_) + " bytes, the file has " + std::to_string(avail));
        for (int d = 0; d < ndim; ++d) {
            const uint8_t* p = head + 4 + 4 * d;
            dims_.push_back(uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]);
        }
        // Sizes multiplied with an overflow check: dimensions of up to 2^32-1 each would wrap a
        // product into a small number that passes the check below (and then be allocated).
        std::string dims_text;
        for (uint32_t x : dims_) dims_text += (dims_text.empty() ? "" : "x") + std::to_string(x);
        uint64_t item = esize, need = 0;
        bool overflow = false;
        for (size_t d = 1; d < dims_.size(); ++d) overflow = overflow || __builtin_mul_overflow(item, static_cast<uint64_t>(dims_[d]), &item);
        overflow = overflow || __builtin_mul_overflow(item, static_cast<uint64_t>(dims_[0]), &need);
        const std::string holds = ", the file holds " + std::to_string(avail - header_) + (gz_ ? " (decompressed)" : "");
        if (overflow)
            throw Error("short read in IDX file", path, "the header's dimensions " + dims_text + " need more than 2^64 bytes of data" + holds);
        if (avail - header_ < need)
            throw Error("short read in IDX file", path,
                        "the header says " + std::to_string(dims_[0]) + " items of " + std::to_string(item) + " bytes (" + std::to_string(need) +
                            " bytes of data)" + holds);
        item_ = static_cast<size_t>(item);
    }

    const std::string& path() const { return path_; }
    uint8_t type() const { return type_; }
    const std::vector<uint32_t>& dims() const { return dims_; }
    size_t count() const { return dims_[0]; }
    size_t item_bytes() const { return item_; }

    // Copies item i's bytes (big-endian elements as stored) to out.
    void read(size_t i, uint8_t* out) const { read_range(i, 1, out); }
    void read_range(size_t first, size_t n, uint8_t* out) const {
        const uint64_t off = header_ + static_cast<uint64_t>(first) * item_;
        const size_t bytes = n * item_;
        if (gz_) {
            std::memcpy(out, mem_.data() + off, bytes);
            return;
        }
        std::lock_guard<std::mutex> lock(mutex_);
        file_->clear();
        file_->seekg(static_cast<std::streamoff>(off));
        file_->read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(bytes));
        if (static_cast<size_t>(file_->gcount()) != bytes)
            throw Error("short read in IDX file", path_ + "[" + std::to_string(first) + "]",
                        "the file shrank or cannot be read");
    }

private:
    std::string path_;
    bool gz_ = false;
    uint8_t type_ = 0;
    std::vector<uint32_t> dims_;
    size_t header_ = 0, item_ = 0;
    std::vector<uint8_t> mem_;
    std::unique_ptr<std::ifstream> file_;
    mutable std::mutex mutex_;
};

}  // namespace io_detail

class IdxDataset : public Dataset {
public:
    IdxDataset(const std::string& images, const std::string& labels, std::string name)
        : images_(images), name_(std::move(name)) {
        const auto& d = images_.dims();
        if (images_.type() != 0x08 || !(d.size() == 3 || (d.size() == 4 && (d[3] == 1 || d[3] == 3))))
            throw Error("unsupported IDX image file", images,
                        "expected unsigned bytes with dimensions [N,H,W] or [N,H,W,C] (C = 1 or 3)");
        if (d[1] == 0 || d[2] == 0) throw Error("unsupported IDX image file", images, "zero-sized images");
        height_ = static_cast<int>(d[1]);
        width_ = static_cast<int>(d[2]);
        channels_ = d.size() == 4 ? static_cast<int>(d[3]) : 1;
        if (!labels.empty()) {
            io_detail::IdxFile lf(labels);
            if (lf.dims().size() != 1 || (lf.type() != 0x08 && lf.type() != 0x0C))
                throw Error("unsupported IDX label file", labels,
                            "expected one dimension of unsigned bytes or 32-bit integers");
            if (lf.count() != images_.count())
                throw Error("labels do not match the images", labels,
                            std::to_string(lf.count()) + " labels for " + std::to_string(images_.count()) +
                                " images in " + images);
            std::vector<uint8_t> raw(lf.count() * lf.item_bytes());
            if (!raw.empty()) lf.read_range(0, lf.count(), raw.data());
            labels_.resize(lf.count());
            for (size_t i = 0; i < labels_.size(); ++i) {
                if (lf.type() == 0x08) labels_[i] = raw[i];
                else {
                    const uint8_t* p = raw.data() + 4 * i;
                    labels_[i] = static_cast<int32_t>(uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 |
                                                      uint32_t(p[2]) << 8 | p[3]);
                }
            }
        }
    }
    size_t size() const override { return images_.count(); }
    bool labelled() const override { return !labels_.empty(); }
    std::string name() const override { return name_; }
    int label(size_t i) const override {
        check_index(i);
        return labels_.empty() ? -1 : labels_[i];
    }
    Sample get(size_t i) const override {
        check_index(i);
        std::vector<uint8_t> buf(images_.item_bytes());
        images_.read(i, buf.data());
        Sample s;
        s.source = images_.path() + "[" + std::to_string(i) + "]";
        s.image = image_from_u8(width_, height_, channels_, buf.data(), s.source);
        s.label = labels_.empty() ? -1 : labels_[i];
        return s;
    }

private:
    io_detail::IdxFile images_;
    std::vector<int> labels_;
    int width_ = 0, height_ = 0, channels_ = 1;
    std::string name_;
};

}  // namespace mutiny

#endif  // MUTINY_IO_IDX_HPP_
