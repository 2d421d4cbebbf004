#include "replacing_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

#include <unistd.h>

#include <mutiny/core/error.hpp>

namespace cli {

namespace {

std::string temporary_next_to(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? "." + path + ".tmp" : path.substr(0, slash + 1) + "." + path.substr(slash + 1) + ".tmp";
}

}  // namespace

ReplacingFile::ReplacingFile(std::string path) : path_(std::move(path)), tmp_(temporary_next_to(path_)) {
    if (to_stdout()) return;
    out_.open(tmp_, std::ios::binary | std::ios::trunc);
    if (!out_) throw mutiny::Error("cannot write", path_, "cannot create the temporary " + tmp_ + ": " + std::strerror(errno));
}

ReplacingFile::~ReplacingFile() {
    if (committed_ || to_stdout()) return;
    out_.close();
    ::unlink(tmp_.c_str());
}

void ReplacingFile::commit() {
    if (to_stdout()) {
        committed_ = true;
        std::cout << buffer_.str() << std::flush;
        if (!std::cout) throw mutiny::Error("cannot write", "standard output", "write failed (a closed pipe or a full disk)");
        return;
    }
    out_.flush();
    const bool written = static_cast<bool>(out_);
    out_.close();
    if (!written || !out_) {
        ::unlink(tmp_.c_str());
        committed_ = true;
        throw mutiny::Error("cannot write", path_, "write failed (disk full?); the previous file, if any, is intact");
    }
    if (std::rename(tmp_.c_str(), path_.c_str()) != 0) {
        const int e = errno;
        ::unlink(tmp_.c_str());
        committed_ = true;
        throw mutiny::Error("cannot write", path_, std::string("rename failed: ") + std::strerror(e));
    }
    committed_ = true;
}

}  // namespace cli
