// Fixtures of the image, preprocessing and data-set tests (test_images.cpp, test_preprocess.cpp,
// test_datasets.cpp): a temp folder per test, files written byte by byte (raw, gzip, IDX, 16-bit PNG,
// stb PNG), and value checks on tensors and images.
#ifndef MUTINY_TESTS_UNIT_IO_FIXTURES_HPP_
#define MUTINY_TESTS_UNIT_IO_FIXTURES_HPP_

#include <doctest/doctest.h>

#include <mutiny/io/dataset.hpp>
#include <mutiny/io/image.hpp>
#include <mutiny/io/preprocess.hpp>

#if __has_include(<stb_image_write.h>)
#include <stb_image_write.h>
#else
#include <stb/stb_image_write.h>
#endif
#include <zlib.h>

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace io_fixtures {

namespace fs = std::filesystem;
using namespace mutiny;

struct TempDir {
    fs::path path;
    explicit TempDir(const std::string& tag) {
        path = fs::temp_directory_path() /
               ("mutiny_test_data_io_" + tag + "_" + std::to_string(static_cast<long>(::getpid())));
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    std::string operator/(const std::string& name) const { return (path / name).string(); }
};

inline void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

inline void write_gz(const std::string& path, const std::vector<uint8_t>& bytes) {
    gzFile gz = gzopen(path.c_str(), "wb");
    REQUIRE(gz != nullptr);
    REQUIRE(gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()));
    gzclose(gz);
}

inline std::vector<uint8_t> read_all(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    REQUIRE(f.good());
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

inline void put_be32(std::vector<uint8_t>& v, uint32_t x) {
    v.push_back(static_cast<uint8_t>(x >> 24));
    v.push_back(static_cast<uint8_t>(x >> 16));
    v.push_back(static_cast<uint8_t>(x >> 8));
    v.push_back(static_cast<uint8_t>(x));
}

inline std::vector<uint8_t> idx_bytes(uint8_t type, const std::vector<uint32_t>& dims, const std::vector<uint8_t>& data) {
    std::vector<uint8_t> v{0, 0, type, static_cast<uint8_t>(dims.size())};
    for (auto d : dims) put_be32(v, d);
    v.insert(v.end(), data.begin(), data.end());
    return v;
}

// A minimal PNG encoder for what stb_image_write cannot write: 16-bit samples (big-endian),
// colour type 0 (gray) or 2 (RGB), filter 0 on every row.
inline std::vector<uint8_t> png16(int w, int h, int channels, const std::vector<uint16_t>& samples) {
    std::vector<uint8_t> raw;
    for (int y = 0; y < h; ++y) {
        raw.push_back(0);
        for (int i = 0; i < w * channels; ++i) {
            const uint16_t s = samples[static_cast<size_t>(y * w * channels + i)];
            raw.push_back(static_cast<uint8_t>(s >> 8));
            raw.push_back(static_cast<uint8_t>(s));
        }
    }
    uLongf zlen = compressBound(static_cast<uLong>(raw.size()));
    std::vector<uint8_t> z(zlen);
    REQUIRE(compress(z.data(), &zlen, raw.data(), static_cast<uLong>(raw.size())) == Z_OK);
    z.resize(zlen);
    std::vector<uint8_t> out{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    auto chunk = [&](const char* type, const std::vector<uint8_t>& data) {
        put_be32(out, static_cast<uint32_t>(data.size()));
        std::vector<uint8_t> td(type, type + 4);
        td.insert(td.end(), data.begin(), data.end());
        out.insert(out.end(), td.begin(), td.end());
        put_be32(out, static_cast<uint32_t>(crc32(0, td.data(), static_cast<uInt>(td.size()))));
    };
    std::vector<uint8_t> ihdr;
    put_be32(ihdr, static_cast<uint32_t>(w));
    put_be32(ihdr, static_cast<uint32_t>(h));
    ihdr.insert(ihdr.end(), {16, static_cast<uint8_t>(channels == 1 ? 0 : 2), 0, 0, 0});
    chunk("IHDR", ihdr);
    chunk("IDAT", z);
    chunk("IEND", {});
    return out;
}

inline void write_png(const std::string& path, int w, int h, int c, const std::vector<uint8_t>& px) {
    fs::create_directories(fs::path(path).parent_path());
    REQUIRE(stbi_write_png(path.c_str(), w, h, c, px.data(), w * c) != 0);
}


inline void check_values(const Tensor& t, const std::vector<float>& want, float tol) {
    REQUIRE(t.numel() == static_cast<int64_t>(want.size()));
    const float* p = t.data<float>();
    for (size_t i = 0; i < want.size(); ++i) {
        INFO("element " << i);
        CHECK(std::fabs(p[i] - want[i]) <= tol);
    }
}

inline Image make_image(int w, int h, int c, const std::vector<float>& px) {
    Image im;
    im.width = w;
    im.height = h;
    im.channels = c;
    im.pixels = px;
    im.source = "test-image";
    return im;
}


}  // namespace io_fixtures

#endif  // MUTINY_TESTS_UNIT_IO_FIXTURES_HPP_
