// Crash-safe files for long runs: a little-endian binary encoder/decoder for checkpoints, a
// checksum seal around a record, and a durable atomic write (temporary file, fsync, rename, fsync
// of the folder) so a SIGKILL or a power cut leaves either the old file or the new one, never half
// of either. A write that fails (full
// disk, unwritable folder) removes its temporary file and throws, leaving the previous file intact.
#ifndef MUTINY_ANALYSIS_CHECKPOINT_HPP_
#define MUTINY_ANALYSIS_CHECKPOINT_HPP_

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "../core/error.hpp"
#include "../core/hash.hpp"

namespace mutiny {

class ByteWriter {
public:
    void u64(uint64_t v) {
        for (int i = 0; i < 8; ++i) b_.push_back(static_cast<uint8_t>(v >> (8 * i)));
    }
    void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }
    void f64(double v) {
        uint64_t u;
        std::memcpy(&u, &v, 8);
        u64(u);
    }
    void str(const std::string& s) {
        u64(s.size());
        b_.insert(b_.end(), s.begin(), s.end());
    }
    template <class T> void vec(const std::vector<T>& v) {
        u64(v.size());
        for (const T& x : v) {
            if constexpr (std::is_floating_point_v<T>) f64(static_cast<double>(x));
            else u64(static_cast<uint64_t>(x));
        }
    }
    const std::vector<uint8_t>& bytes() const { return b_; }

private:
    std::vector<uint8_t> b_;
};

class ByteReader {
public:
    ByteReader(const std::vector<uint8_t>& b, std::string where) : b_(b), where_(std::move(where)) {}
    uint64_t u64() {
        need(8);
        uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(b_[p_ + static_cast<size_t>(i)]) << (8 * i);
        p_ += 8;
        return v;
    }
    int64_t i64() { return static_cast<int64_t>(u64()); }
    double f64() {
        const uint64_t u = u64();
        double v;
        std::memcpy(&v, &u, 8);
        return v;
    }
    std::string str() {
        const uint64_t n = u64();
        need(n);
        std::string s(b_.begin() + static_cast<std::ptrdiff_t>(p_), b_.begin() + static_cast<std::ptrdiff_t>(p_ + n));
        p_ += n;
        return s;
    }
    template <class T> std::vector<T> vec() {
        const uint64_t n = u64();
        if (n > (b_.size() - p_) / 8) need(UINT64_MAX);  // n * 8 could wrap: compare by division
        std::vector<T> v(n);
        for (auto& x : v) {
            if constexpr (std::is_floating_point_v<T>) x = static_cast<T>(f64());
            else x = static_cast<T>(u64());
        }
        return v;
    }
    bool done() const { return p_ == b_.size(); }

private:
    void need(uint64_t n) const {
        if (n > b_.size() - p_) throw Error("truncated checkpoint", where_, "the file ends at byte " + std::to_string(b_.size()) + " inside a record");
    }
    const std::vector<uint8_t>& b_;
    std::string where_;
    size_t p_ = 0;
};

// A sealed record: its bytes followed by their 64-bit FNV-1a (u64, little-endian), so any change
// of one byte (or truncation) is detected before a single field is trusted.
inline std::vector<uint8_t> sealed(std::vector<uint8_t> b) {
    const uint64_t h = fnv1a(b.data(), b.size());
    for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(h >> (8 * i)));
    return b;
}
// The record inside sealed bytes; throws when the checksum does not match.
inline std::vector<uint8_t> unsealed(std::vector<uint8_t> b, const std::string& where) {
    if (b.size() < 8) throw Error("corrupt checkpoint", where, "the file has " + std::to_string(b.size()) + " bytes, too few to hold its checksum");
    uint64_t h = 0;
    for (size_t i = 0; i < 8; ++i) h |= static_cast<uint64_t>(b[b.size() - 8 + i]) << (8 * i);
    b.resize(b.size() - 8);
    if (fnv1a(b.data(), b.size()) != h)
        throw Error("corrupt checkpoint", where,
                    "checksum mismatch (the file changed after it was written, or another Mutiny version wrote it); nothing was changed: "
                    "resume from an intact copy, or run without --resume to start over");
    return b;
}

// Writes all of `data` to fd; false (errno set) on a short write that cannot continue.
inline bool write_all(int fd, const uint8_t* data, size_t n) {
    while (n > 0) {
        const ssize_t w = ::write(fd, data, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        if (w == 0) {
            errno = ENOSPC;
            return false;
        }
        data += w;
        n -= static_cast<size_t>(w);
    }
    return true;
}

// Replaces `path` with `bytes` durably: DIR/.NAME.tmp, fsync, rename over path, fsync of DIR.
inline void write_durable(const std::string& path, const std::vector<uint8_t>& bytes) {
    const size_t slash = path.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    const std::string tmp = dir + "/." + name + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw Error("cannot write", path, std::string("cannot create ") + tmp + ": " + std::strerror(errno));
    const bool ok = write_all(fd, bytes.data(), bytes.size()) && ::fsync(fd) == 0;
    const int err = errno;
    const bool closed = ::close(fd) == 0;
    if (!ok || !closed) {
        ::unlink(tmp.c_str());
        throw Error("cannot write", path, std::string(std::strerror(ok ? errno : err)) + " (the previous version, if any, is intact)");
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const int e = errno;
        ::unlink(tmp.c_str());
        throw Error("cannot write", path, std::string("rename failed: ") + std::strerror(e));
    }
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);  // the rename itself survives a crash (best effort: some filesystems refuse)
        ::close(dfd);
    }
}

inline void write_durable(const std::string& path, const std::string& text) {
    write_durable(path, std::vector<uint8_t>(text.begin(), text.end()));
}

}  // namespace mutiny

#endif  // MUTINY_ANALYSIS_CHECKPOINT_HPP_
