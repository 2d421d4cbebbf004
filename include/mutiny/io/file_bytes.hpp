// Reading a whole file, with errors that name the file and the reason. A folder, a missing file or
// an unreadable one is an Error, never what the standard library makes of it: a folder "opens" as
// a stream whose size reads as nearly 2^63 bytes, which became `std::bad_alloc`.
#ifndef MUTINY_IO_FILE_BYTES_HPP_
#define MUTINY_IO_FILE_BYTES_HPP_

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "../core/error.hpp"

namespace mutiny {

inline std::vector<uint8_t> read_file_bytes(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw Error("cannot open file", path, "is a directory");
    errno = 0;
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        const int e = errno;
        throw Error("cannot open file", path, e ? std::strerror(e) : "no such file or not readable");
    }
    f.seekg(0, std::ios::end);
    const std::streamoff end = f.tellg();
    if (end < 0) throw Error("cannot read file", path, "not a regular file");
    f.seekg(0, std::ios::beg);
    std::vector<uint8_t> bytes(static_cast<size_t>(end));
    if (!bytes.empty() && !f.read(reinterpret_cast<char*>(bytes.data()), end))
        throw Error("cannot read file", path, "read failed after " + std::to_string(f.gcount()) + " bytes");
    return bytes;
}

}  // namespace mutiny

#endif  // MUTINY_IO_FILE_BYTES_HPP_
