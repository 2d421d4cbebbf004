// Scratch files for the fuzz targets whose parsers read paths (IDX, CIFAR, data-set specs): one
// private folder per process, removed at exit, in memory (/dev/shm) where there is one: a file
// written per execution on a disk-backed folder makes a target wait on writeback (170 exec/s).
#ifndef MUTINY_TESTS_FUZZ_SCRATCH_HPP_
#define MUTINY_TESTS_FUZZ_SCRATCH_HPP_

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

namespace fuzz {

inline const std::filesystem::path& scratch_dir() {
    static const std::filesystem::path dir = [] {
        std::error_code ec;
        const std::filesystem::path base = std::filesystem::is_directory("/dev/shm", ec) ? "/dev/shm" : std::filesystem::temp_directory_path();
        const auto d = base / ("mutiny-fuzz-" + std::to_string(::getpid()));
        std::filesystem::remove_all(d);
        std::filesystem::create_directories(d);
        std::atexit([] { std::error_code ec; std::filesystem::remove_all(scratch_dir(), ec); });
        return d;
    }();
    return dir;
}

// Writes the bytes to scratch_dir()/name (replacing it) and returns the path.
inline std::string scratch_file(const std::string& name, const std::uint8_t* data, std::size_t size) {
    const std::string path = (scratch_dir() / name).string();
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    return path;
}

}  // namespace fuzz

#endif  // MUTINY_TESTS_FUZZ_SCRATCH_HPP_
