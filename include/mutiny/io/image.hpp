// Image loading: PNG, JPEG, BMP (and binary PGM/PPM) through stb_image, from a file or from memory.
//
// Every image comes back as float pixels in HWC order with 1 (gray) or 3 (RGB) channels and values
// in 0..255: gray+alpha becomes gray, RGBA becomes RGB (alpha is dropped, not composited), and
// 16-bit PNG/PNM samples are scaled by 255/65535 so every recipe sees the same range.
//
// Linking: stb is C and its implementation must exist exactly once in a program. Mutiny does not
// compile it into its headers; it links Debian's shared build (libstb0/libstb-dev: -lstb). The
// CMake target mutiny::mutiny carries that requirement.
//
// Failures (missing file, unknown format, corrupt or truncated data) throw mutiny::Error naming the
// file and the reason (stb's failure reason when stb is the one that rejects the data). stb is
// lenient with truncated BMP and PNM files (it pads missing rows, or leaves them unread), so their
// pixel arrays' extent is checked here before decoding, and the decoded size against the memory
// limit (max_tensor_bytes(), CLI --max-memory).
#ifndef MUTINY_IO_IMAGE_HPP_
#define MUTINY_IO_IMAGE_HPP_

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#if __has_include(<stb_image.h>)
#include <stb_image.h>
#elif __has_include(<stb/stb_image.h>)
#include <stb/stb_image.h>
#else
#error "mutiny/io/image.hpp needs stb_image.h (Debian: libstb-dev)"
#endif

#include "../core/checked.hpp"
#include "../core/error.hpp"
#include "file_bytes.hpp"

namespace mutiny {

struct Image {
    int width = 0;
    int height = 0;
    int channels = 0;           // 1 (gray) or 3 (RGB)
    std::vector<float> pixels;  // HWC, row-major, values 0..255
    std::string source;         // file name, or data-set entry ("file[index]")

    float at(int y, int x, int c = 0) const {
        return pixels[(static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)) *
                          static_cast<size_t>(channels) + static_cast<size_t>(c)];
    }
    bool empty() const { return pixels.empty(); }
};

// An Image from 8-bit HWC samples (IDX, CIFAR after reordering, tests). channels must be 1 or 3.
inline Image image_from_u8(int width, int height, int channels, const uint8_t* hwc, std::string source) {
    if (width <= 0 || height <= 0 || (channels != 1 && channels != 3))
        throw Error("invalid image geometry", source,
                    std::to_string(width) + "x" + std::to_string(height) + " with " +
                        std::to_string(channels) + " channels (need positive size, 1 or 3 channels)");
    Image im;
    im.width = width;
    im.height = height;
    im.channels = channels;
    im.source = std::move(source);
    const size_t n = static_cast<size_t>(width) * static_cast<size_t>(height) * static_cast<size_t>(channels);
    im.pixels.resize(n);
    for (size_t i = 0; i < n; ++i) im.pixels[i] = static_cast<float>(hwc[i]);
    return im;
}

namespace io_detail {

inline uint32_t rd_le32(const uint8_t* p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
inline uint16_t rd_le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }

// Which format the bytes claim to be; stb is only asked to decode formats recognised here, so that
// arbitrary bytes are never "successfully" decoded by a lenient probe (stb's TGA reader).
inline const char* image_format(const uint8_t* p, size_t n) {
    if (n >= 8 && std::memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0) return "PNG";
    if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) return "JPEG";
    if (n >= 2 && p[0] == 'B' && p[1] == 'M') return "BMP";
    if (n >= 2 && p[0] == 'P' && (p[1] == '5' || p[1] == '6')) return "PNM";
    return nullptr;
}

// stb pads a truncated uncompressed BMP with zeros instead of failing: check the pixel array fits.
inline void check_bmp_extent(const uint8_t* p, size_t n, const std::string& source) {
    if (n < 26) throw Error("truncated image", source, "BMP header is cut short (" + std::to_string(n) + " bytes)");
    const uint32_t offset = rd_le32(p + 10);
    const uint32_t hsz = rd_le32(p + 14);
    int64_t w = 0, h = 0;
    uint32_t bpp = 0, compression = 0;
    if (hsz == 12) {
        w = rd_le16(p + 18);
        h = rd_le16(p + 20);
        bpp = rd_le16(p + 24);
    } else {
        if (n < 34) throw Error("truncated image", source, "BMP header is cut short (" + std::to_string(n) + " bytes)");
        w = static_cast<int32_t>(rd_le32(p + 18));
        h = static_cast<int32_t>(rd_le32(p + 22));
        bpp = rd_le16(p + 28);
        compression = rd_le32(p + 30);
    }
    if (compression != 0 && compression != 3) return;  // RLE: stb checks as it decodes
    if (h < 0) h = -h;
    if (w <= 0 || bpp == 0) return;                    // stb reports these itself
    const uint64_t stride = ((static_cast<uint64_t>(w) * bpp + 31) / 32) * 4;
    const uint64_t need = static_cast<uint64_t>(offset) + stride * static_cast<uint64_t>(h);
    if (need > n)
        throw Error("truncated image", source,
                    "BMP pixel data needs " + std::to_string(need) + " bytes, the file has " + std::to_string(n));
}

// stb reads a binary PGM/PPM's pixels without checking the file holds them (it allocates the declared
// size and leaves the rest unread): check the header's width x height x channels x sample bytes fit
// in the bytes after it. The header is "P5"/"P6", then width, height and maxval as decimal numbers
// separated by blanks or '#' comments, then one blank.
inline void check_pnm_extent(const uint8_t* p, size_t n, const std::string& source) {
    size_t i = 2;
    auto number = [&]() -> uint64_t {
        for (;;) {
            while (i < n && std::isspace(p[i])) ++i;
            if (i < n && p[i] == '#') {
                while (i < n && p[i] != '\n' && p[i] != '\r') ++i;
                continue;
            }
            break;
        }
        uint64_t v = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9') {
            v = std::min<uint64_t>(v * 10 + static_cast<uint64_t>(p[i] - '0'), uint64_t{1} << 40);  // saturates
            ++i;
        }
        return v;
    };
    const uint64_t w = number(), h = number(), maxval = number();
    ++i;  // the one blank after maxval
    if (w == 0 || h == 0) return;  // reported as a corrupt header after stb's look
    const uint64_t channels = p[1] == '6' ? 3 : 1, sample = maxval > 255 ? 2 : 1;
    const uint64_t have = i < n ? n - i : 0;
    // w, h < 2^41: the product is checked by division so it cannot wrap.
    if (w * channels * sample > have || h > have / (w * channels * sample))
        throw Error("truncated image", source,
                    "PNM of " + std::to_string(w) + "x" + std::to_string(h) + " pixels needs " +
                        (w * channels * sample > (UINT64_MAX / h) ? std::string("more than 2^64") : std::to_string(w * h * channels * sample)) +
                        " bytes of pixel data, the file has " + std::to_string(have));
}

// A JPEG's marker structure, walked without decoding: its frame size (from the SOFn segment) and
// whether the data reaches the end-of-image marker. stb's decoder fills a truncated baseline JPEG
// with zeros and succeeds, so a cut file would be classified as if whole; this catches it.
//
// It also checks that every scan's Huffman and quantisation tables were defined before it: stb
// reads an undefined table's uninitialised memory, and can crash (fuzz_image) or give pixels that
// change from run to run.
struct JpegLayout {
    enum class End { complete, truncated, malformed } end = End::malformed;
    size_t cut_at = 0;       // truncated: the file's size
    int64_t width = -1, height = -1;
    std::string why;         // malformed for a reason found here (else stb reports it)
};
inline JpegLayout jpeg_layout(const uint8_t* p, size_t n) {
    JpegLayout j;
    auto truncated = [&] {
        j.end = JpegLayout::End::truncated;
        j.cut_at = n;
        return j;
    };
    auto malformed = [&](std::string why) {
        j.end = JpegLayout::End::malformed;
        j.why = std::move(why);
        return j;
    };
    bool defined[2][4] = {};  // Huffman tables seen: [DC, AC][id]
    bool quant_defined[4] = {};
    std::vector<uint8_t> quant_used;  // the frame's components' quantisation tables
    bool progressive = false;
    size_t i = 2;  // after SOI (FF D8)
    for (;;) {
        // stb skips bytes that are not a marker where it looks for one, so the walk does too (it
        // once stopped there, and the tables of the segments after went unchecked: fuzz_image).
        while (i < n && p[i] != 0xFF) ++i;
        if (i >= n) return truncated();
        while (i < n && p[i] == 0xFF) ++i;  // fill bytes
        if (i >= n) return truncated();
        const uint8_t m = p[i++];
        if (m == 0xD9) {
            j.end = JpegLayout::End::complete;
            return j;
        }
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) continue;  // TEM, RSTn: no length
        if (i + 2 > n) return truncated();
        const size_t len = static_cast<size_t>(p[i]) << 8 | p[i + 1];
        if (len < 2) return j;
        if (len > n - i) return truncated();
        // SOF0..SOF15 but DHT (C4), JPG (C8), DAC (CC): precision, height, width.
        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC && len >= 7) {
            j.height = static_cast<int64_t>(p[i + 3]) << 8 | p[i + 4];
            j.width = static_cast<int64_t>(p[i + 5]) << 8 | p[i + 6];
            progressive = m == 0xC2;
            const size_t nf = len >= 8 ? p[i + 7] : 0;
            quant_used.clear();
            for (size_t c = 0; c < nf && 10 + 3 * c < len; ++c) quant_used.push_back(p[i + 10 + 3 * c]);
        }
        if (m == 0xDB) {  // DQT: tables of (precision << 4 | id, 64 values of 1 or 2 bytes)
            for (size_t t = i + 2; t < i + len; t += 1 + ((p[t] >> 4) ? 128 : 64))
                if ((p[t] & 15) < 4) quant_defined[p[t] & 15] = true;
        }
        if (m == 0xC4) {  // DHT: tables of (class << 4 | id, 16 code counts, the symbols)
            for (size_t t = i + 2; t < i + len;) {
                if (t + 17 > i + len) return malformed("a Huffman table segment is cut short");
                size_t symbols = 0;
                for (size_t k = 1; k <= 16; ++k) symbols += p[t + k];
                if ((p[t] >> 4) < 2 && (p[t] & 15) < 4) defined[p[t] >> 4][p[t] & 15] = true;
                t += 17 + symbols;
            }
        }
        if (m == 0xDA)
            for (uint8_t q : quant_used)
                if (q < 4 && !quant_defined[q])
                    return malformed("the frame uses quantisation table " + std::to_string(q) + ", which is not defined before its first scan");
        if (m == 0xDA && len >= 3) {  // SOS: components (id, DC table << 4 | AC table), then Ss
            const size_t ns = p[i + 2];
            if (len >= 6 + 2 * ns) {
                const int ss = p[i + 3 + 2 * ns];
                for (size_t c = 0; c < ns; ++c) {
                    const int td = p[i + 4 + 2 * c] >> 4, ta = p[i + 4 + 2 * c] & 15;
                    // Baseline scans use both tables; a progressive scan its DC table when it
                    // starts at coefficient 0 and its AC table otherwise.
                    const bool dc = !progressive || ss == 0, ac = !progressive || ss > 0;
                    if (dc && td < 4 && !defined[0][td])
                        return malformed("a scan uses DC Huffman table " + std::to_string(td) + ", which is not defined before it");
                    if (ac && ta < 4 && !defined[1][ta])
                        return malformed("a scan uses AC Huffman table " + std::to_string(ta) + ", which is not defined before it");
                }
            }
        }
        i += len;
        if (m == 0xDA) {  // SOS: entropy-coded data up to the next marker (not a stuffed 00 or RSTn)
            for (;;) {
                if (i + 1 >= n) return truncated();
                if (p[i] == 0xFF && p[i + 1] != 0x00 && p[i + 1] != 0xFF && !(p[i + 1] >= 0xD0 && p[i + 1] <= 0xD7)) break;
                ++i;
            }
        }
    }
}

// The width and height an image's header declares (-1 when unknown), read without decoding, so a
// header that stb refuses for its size can be reported as such.
inline void declared_size(const uint8_t* p, size_t n, const char* fmt, int64_t& w, int64_t& h) {
    w = h = -1;
    auto be32 = [&](size_t at) { return static_cast<int64_t>(uint32_t(p[at]) << 24 | uint32_t(p[at + 1]) << 16 | uint32_t(p[at + 2]) << 8 | p[at + 3]); };
    if (std::strcmp(fmt, "PNG") == 0 && n >= 24 && std::memcmp(p + 12, "IHDR", 4) == 0) {
        w = be32(16);
        h = be32(20);
    } else if (std::strcmp(fmt, "JPEG") == 0) {
        const JpegLayout j = jpeg_layout(p, n);
        w = j.width;
        h = j.height;
    } else if (std::strcmp(fmt, "BMP") == 0 && n >= 26) {
        const bool core = rd_le32(p + 14) == 12;
        w = core ? rd_le16(p + 18) : (n >= 26 ? static_cast<int32_t>(rd_le32(p + 18)) : -1);
        h = core ? rd_le16(p + 20) : (n >= 26 ? static_cast<int32_t>(rd_le32(p + 22)) : -1);
        if (h < 0) h = -h;
    }
}

struct StbFree {
    void operator()(void* p) const { stbi_image_free(p); }
};

}  // namespace io_detail

// Decodes an encoded image held in memory; `source` names it in errors and in the result.
inline Image load_image_from_memory(const void* data, size_t size, const std::string& source) {
    const auto* p = static_cast<const uint8_t*>(data);
    if (size == 0 || p == nullptr) throw Error("cannot decode image", source, "empty file");
    if (size > static_cast<size_t>(INT32_MAX))
        throw Error("cannot decode image", source, "larger than 2 GiB");
    const char* fmt = io_detail::image_format(p, size);
    if (!fmt) {
        char head[64];
        std::snprintf(head, sizeof head, "%02x %02x %02x %02x", p[0], size > 1 ? p[1] : 0,
                      size > 2 ? p[2] : 0, size > 3 ? p[3] : 0);
        throw Error("cannot decode image", source,
                    std::string("not a PNG, JPEG, BMP or PNM file (starts with bytes ") + head + ")");
    }
    if (std::strcmp(fmt, "BMP") == 0) io_detail::check_bmp_extent(p, size, source);
    if (std::strcmp(fmt, "PNM") == 0) io_detail::check_pnm_extent(p, size, source);
    if (std::strcmp(fmt, "JPEG") == 0) {
        const io_detail::JpegLayout j = io_detail::jpeg_layout(p, size);
        if (j.end == io_detail::JpegLayout::End::truncated)
            throw Error("cannot decode image", source,
                        "corrupt or truncated JPEG (the data ends at byte " + std::to_string(size) + ", before the end-of-image marker)");
        if (!j.why.empty()) throw Error("cannot decode image", source, "corrupt JPEG (" + j.why + ")");
    }

    const int len = static_cast<int>(size);
    int w = 0, h = 0, comp = 0;
    if (!stbi_info_from_memory(p, len, &w, &h, &comp)) {
        // stb tries every format in turn, so its reason is the last one's ("unknown image type"):
        // say what is known instead. stb decodes at most 2^24 pixels a side and about 2^30 bytes.
        int64_t dw = -1, dh = -1;
        io_detail::declared_size(p, size, fmt, dw, dh);
        if (dw > 0 && dh > 0 && (dw > (int64_t{1} << 24) || dh > (int64_t{1} << 24) || dw * dh > (int64_t{1} << 30)))
            throw Error("cannot decode image", source,
                        std::string(fmt) + " of " + std::to_string(dw) + "x" + std::to_string(dh) +
                            " pixels: the dimensions are too large to decode (at most 2^24 a side and 2^30 bytes of pixels)");
        const char* why = stbi_failure_reason();
        const std::string reason = !why || std::strcmp(why, "unknown image type") == 0 ? "its header is not valid" : why;
        throw Error("cannot decode image", source, std::string("corrupt or truncated ") + fmt + " (" + reason + ")");
    }
    // stb's PNM reader takes a width or height it cannot read as 0 and "decodes" an empty image.
    if (w <= 0 || h <= 0)
        throw Error("cannot decode image", source,
                    std::string("corrupt ") + fmt + " (its header gives a size of " + std::to_string(w) + "x" + std::to_string(h) + " pixels)");
    const int want = comp <= 2 ? 1 : 3;  // gray(+alpha) -> gray, RGB(A) -> RGB
    // The float image within the memory limit before stb allocates its own copy (a small PNG or
    // JPEG can declare up to 2^30 pixels).
    checked::bytes(static_cast<int64_t>(w) * h * want, sizeof(float), "decoded image", source);
    const bool sixteen = stbi_is_16_bit_from_memory(p, len) != 0;

    Image im;
    int cw = 0, ch = 0, cc = 0;
    if (sixteen) {
        std::unique_ptr<stbi_us, io_detail::StbFree> px(stbi_load_16_from_memory(p, len, &cw, &ch, &cc, want));
        if (!px) {
            const char* why = stbi_failure_reason();
            throw Error("cannot decode image", source,
                        std::string("corrupt or truncated ") + fmt + " (" + (why ? why : "unknown reason") + ")");
        }
        const size_t n = static_cast<size_t>(cw) * static_cast<size_t>(ch) * static_cast<size_t>(want);
        im.pixels.resize(n);
        for (size_t i = 0; i < n; ++i)
            im.pixels[i] = static_cast<float>(static_cast<double>(px.get()[i]) * (255.0 / 65535.0));
    } else {
        std::unique_ptr<stbi_uc, io_detail::StbFree> px(stbi_load_from_memory(p, len, &cw, &ch, &cc, want));
        if (!px) {
            const char* why = stbi_failure_reason();
            throw Error("cannot decode image", source,
                        std::string("corrupt or truncated ") + fmt + " (" + (why ? why : "unknown reason") + ")");
        }
        const size_t n = static_cast<size_t>(cw) * static_cast<size_t>(ch) * static_cast<size_t>(want);
        im.pixels.resize(n);
        for (size_t i = 0; i < n; ++i) im.pixels[i] = static_cast<float>(px.get()[i]);
    }
    im.width = cw;
    im.height = ch;
    im.channels = want;
    im.source = source;
    return im;
}

// Loads an image file (PNG, JPEG, BMP, binary PGM/PPM).
inline Image load_image(const std::string& path) {
    const std::vector<uint8_t> bytes = read_file_bytes(path);
    return load_image_from_memory(bytes.data(), bytes.size(), path);
}

}  // namespace mutiny

#endif  // MUTINY_IO_IMAGE_HPP_
