// A read-only file read at any offset from any thread (pread): how the npy/npz data sets read the
// samples of a batch without holding the file in memory. Reads are checked against the size seen at
// open, so a file that shrinks afterwards gives an error, not garbage. A buffer can stand in for a
// file (from_memory), so the same readers run on bytes (the fuzz targets).
#ifndef MUTINY_IO_RANDOM_ACCESS_FILE_HPP_
#define MUTINY_IO_RANDOM_ACCESS_FILE_HPP_

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/error.hpp"

namespace mutiny {

class RandomAccessFile {
public:
    explicit RandomAccessFile(const std::string& path) : path_(path) {
        fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0) throw Error("cannot open file", path, std::strerror(errno));
        struct stat st {};
        if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
            const std::string why = S_ISDIR(st.st_mode) ? "it is a folder, a file was expected" : "not a regular file";
            ::close(fd_);
            throw Error("cannot read file", path, why);
        }
        size_ = static_cast<uint64_t>(st.st_size);
    }
    // `bytes` read as if they were the file `name`.
    RandomAccessFile(std::vector<uint8_t> bytes, std::string name) : path_(std::move(name)), mem_(std::move(bytes)), size_(mem_.size()) {}
    ~RandomAccessFile() {
        if (fd_ >= 0) ::close(fd_);
    }
    RandomAccessFile(const RandomAccessFile&) = delete;
    RandomAccessFile& operator=(const RandomAccessFile&) = delete;

    const std::string& path() const { return path_; }
    uint64_t size() const { return size_; }

    // Reads exactly n bytes at `offset` into dst; `what` names what is read in errors.
    void read(uint64_t offset, void* dst, size_t n, const std::string& what) const {
        check(offset, n, what);
        auto* p = static_cast<char*>(dst);
        if (fd_ < 0) {
            if (n) std::memcpy(p, mem_.data() + offset, n);
            return;
        }
        while (n > 0) {
            const ssize_t got = ::pread(fd_, p, n, static_cast<off_t>(offset));
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0)
                throw Error("cannot read file", path_ + " at byte " + std::to_string(offset),
                            what + ": " + (got < 0 ? std::strerror(errno) : "the file shrank since it was opened"));
            p += got;
            n -= static_cast<size_t>(got);
            offset += static_cast<uint64_t>(got);
        }
    }
    // The same into a new buffer, allocated only once the range is known to be in the file.
    std::vector<uint8_t> read(uint64_t offset, size_t n, const std::string& what) const {
        check(offset, n, what);
        std::vector<uint8_t> v(n);
        read(offset, v.data(), n, what);
        return v;
    }

private:
    void check(uint64_t offset, uint64_t n, const std::string& what) const {
        if (offset > size_ || n > size_ - offset)
            throw Error("read beyond the end of the file", path_ + " at byte " + std::to_string(offset),
                        what + ": " + std::to_string(n) + " bytes wanted, the file has " + std::to_string(size_));
    }

    std::string path_;
    std::vector<uint8_t> mem_;  // the bytes, when not a file
    int fd_ = -1;
    uint64_t size_ = 0;
};

}  // namespace mutiny

#endif  // MUTINY_IO_RANDOM_ACCESS_FILE_HPP_
