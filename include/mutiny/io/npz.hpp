// NumPy's .npz: a zip archive of .npy files (np.savez stores them, np.savez_compressed deflates
// them). NpzFile reads the central directory (zip64 records included: NumPy forces zip64 local
// headers) and gives each entry's .npy bytes: a stored entry stays in the file and is read in place
// (its CRC-32 checked once by streaming through it), a deflated one is inflated through zlib into
// memory, size and CRC-32 checked.
//
// The archive is untrusted input: every size and offset is checked against the file before it is
// used, and a deflated entry may not claim more than deflate can produce from its compressed bytes
// (1032:1), so a file cannot make the reader allocate more than its own size justifies.
#ifndef MUTINY_IO_NPZ_HPP_
#define MUTINY_IO_NPZ_HPP_

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <zlib.h>

#include "../core/error.hpp"
#include "random_access_file.hpp"

namespace mutiny {

struct NpzEntry {
    std::string name;       // the array's name: the file name less ".npy"
    std::string file_name;  // as stored in the archive
    uint16_t method = 0;    // 0 stored, 8 deflated
    uint32_t crc = 0;
    uint64_t compressed = 0, size = 0, header_offset = 0;
};

namespace npz_detail {

inline uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }
inline uint32_t le32(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24; }
inline uint64_t le64(const uint8_t* p) { return uint64_t(le32(p)) | uint64_t(le32(p + 4)) << 32; }

constexpr uint64_t kMaxDeflateRatio = 1032;  // the most deflate can expand: 258 bytes per 2 bits

inline std::string hex32(uint32_t v) {
    char b[16];
    std::snprintf(b, sizeof b, "%08x", v);
    return b;
}

}  // namespace npz_detail

class NpzFile {
public:
    explicit NpzFile(std::shared_ptr<const RandomAccessFile> file) : f_(std::move(file)) { read_directory(); }

    const std::string& path() const { return f_->path(); }
    const std::vector<NpzEntry>& entries() const { return entries_; }
    const NpzEntry* find(const std::string& array) const {
        for (const auto& e : entries_)
            if (e.name == array) return &e;
        return nullptr;
    }
    // "a, b, c": the array names, for errors.
    std::string names() const {
        std::string s;
        for (const auto& e : entries_) s += (s.empty() ? "" : ", ") + e.name;
        return s.empty() ? "none (the archive is empty)" : s;
    }
    // Where an entry's bytes start, from its local header (checked against the central directory).
    uint64_t data_offset(const NpzEntry& e) const {
        using namespace npz_detail;
        const std::string where = path() + "[" + e.name + "]";
        uint8_t h[30];
        if (e.header_offset > f_->size() || f_->size() - e.header_offset < 30)
            throw Error("corrupt npz entry", where, "its local header offset " + std::to_string(e.header_offset) + " is beyond the file");
        f_->read(e.header_offset, h, 30, "local header");
        if (le32(h) != 0x04034b50)
            throw Error("corrupt npz entry", where + " at byte " + std::to_string(e.header_offset), "no local file header signature there");
        if (le16(h + 8) != e.method)
            throw Error("corrupt npz entry", where, "the local header and the central directory disagree on the compression method");
        const uint64_t start = e.header_offset + 30 + le16(h + 26) + le16(h + 28);
        if (start > f_->size() || e.compressed > f_->size() - start)
            throw Error("truncated npz entry", where + " at byte " + std::to_string(start),
                        std::to_string(e.compressed) + " bytes of data, the file ends at " + std::to_string(f_->size()));
        return start;
    }
    // Checks a stored entry's CRC-32 by streaming through its bytes.
    void check_stored(const NpzEntry& e, uint64_t start) const {
        std::vector<uint8_t> buf(static_cast<size_t>(std::min<uint64_t>(e.size, uint64_t(1) << 20)));
        uLong crc = crc32(0L, Z_NULL, 0);
        for (uint64_t at = 0; at < e.size;) {
            const size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), e.size - at));
            f_->read(start + at, buf.data(), n, "entry " + e.name);
            crc = crc32(crc, buf.data(), static_cast<uInt>(n));
            at += n;
        }
        check_crc(e, static_cast<uint32_t>(crc));
    }
    // A deflated entry's bytes, inflated and checked (size and CRC-32).
    std::vector<uint8_t> inflate(const NpzEntry& e, uint64_t start) const {
        using namespace npz_detail;
        const std::string where = path() + "[" + e.name + "]";
        const std::vector<uint8_t> in = f_->read(start, static_cast<size_t>(e.compressed), "entry " + e.name);
        std::vector<uint8_t> out(static_cast<size_t>(e.size));
        uint8_t none = 0;  // zlib refuses a null output pointer, even for an empty entry
        z_stream z{};
        if (inflateInit2(&z, -MAX_WBITS) != Z_OK) throw Error("zlib error", where, "inflateInit2 failed");
        z.next_in = const_cast<Bytef*>(in.data());
        z.next_out = out.empty() ? &none : out.data();
        int rc = Z_OK;
        uint64_t in_left = in.size(), out_left = out.size();
        // zlib counts in uInt: feed and drain in pieces of at most 1 GiB.
        while (rc == Z_OK) {
            const uInt ci = static_cast<uInt>(std::min<uint64_t>(in_left, uint64_t(1) << 30));
            const uInt co = static_cast<uInt>(std::min<uint64_t>(out_left, uint64_t(1) << 30));
            z.avail_in = ci;
            z.avail_out = co;
            rc = ::inflate(&z, Z_NO_FLUSH);
            in_left -= ci - z.avail_in;
            out_left -= co - z.avail_out;
            if (rc == Z_BUF_ERROR && (out_left == 0 || in_left == 0)) break;
        }
        const std::string msg = z.msg ? z.msg : "";
        inflateEnd(&z);
        if (rc != Z_STREAM_END) {
            if (rc == Z_DATA_ERROR) throw Error("corrupt npz entry", where, "invalid deflate data" + (msg.empty() ? std::string() : ": " + msg));
            throw Error("corrupt npz entry", where,
                        out_left == 0 ? "the deflate stream holds more than the " + std::to_string(e.size) + " bytes the directory declares"
                                      : "the deflate stream ends early, after " + std::to_string(e.size - out_left) + " of " + std::to_string(e.size) + " bytes");
        }
        if (out_left != 0)
            throw Error("corrupt npz entry", where,
                        "inflated to " + std::to_string(e.size - out_left) + " bytes, the directory declares " + std::to_string(e.size));
        check_crc(e, static_cast<uint32_t>(crc32_z(crc32(0L, Z_NULL, 0), out.data(), out.size())));
        return out;
    }

private:
    void check_crc(const NpzEntry& e, uint32_t got) const {
        if (got != e.crc)
            throw Error("npz entry fails its CRC check", path() + "[" + e.name + "]",
                        "CRC-32 " + npz_detail::hex32(got) + ", the directory says " + npz_detail::hex32(e.crc) + ": the archive is corrupt");
    }

    [[noreturn]] void bad(const std::string& why, uint64_t at) const {
        throw Error("not a valid npz (zip) file", path() + " at byte " + std::to_string(at), why);
    }

    void read_directory() {
        using namespace npz_detail;
        const uint64_t size = f_->size();
        // End of central directory: 22 bytes plus a comment of up to 65535, at the very end.
        const uint64_t tail_n = std::min<uint64_t>(size, 22 + 65535);
        if (size < 22) bad("the file has " + std::to_string(size) + " bytes, fewer than a zip end record", 0);
        const std::vector<uint8_t> tail = f_->read(size - tail_n, static_cast<size_t>(tail_n), "zip end record");
        int64_t eocd = -1;
        for (int64_t i = static_cast<int64_t>(tail_n) - 22; i >= 0; --i) {
            const uint8_t* p = tail.data() + i;
            if (le32(p) == 0x06054b50 && static_cast<uint64_t>(i) + 22 + le16(p + 20) == tail_n) {
                eocd = i;
                break;
            }
        }
        if (eocd < 0) bad("no zip end-of-central-directory record (not a zip archive, or truncated)", size);
        const uint8_t* p = tail.data() + eocd;
        const uint64_t eocd_at = size - tail_n + static_cast<uint64_t>(eocd);
        uint64_t count = le16(p + 10), cd_size = le32(p + 12), cd_off = le32(p + 16);
        if (le16(p + 4) != 0 || le16(p + 6) != 0) bad("multi-volume zip archives are not supported", eocd_at);
        if (count == 0xFFFF || cd_size == 0xFFFFFFFF || cd_off == 0xFFFFFFFF) {
            // Zip64: a locator (20 bytes) just before the end record points at the zip64 end record.
            if (eocd_at < 20) bad("zip64 values without a zip64 locator", eocd_at);
            uint8_t loc[20], rec[56];
            f_->read(eocd_at - 20, loc, 20, "zip64 locator");
            if (le32(loc) != 0x07064b50) bad("zip64 values without a zip64 locator", eocd_at - 20);
            const uint64_t rec_at = le64(loc + 8);
            if (rec_at > size || size - rec_at < 56) bad("the zip64 end record offset is beyond the file", eocd_at - 12);
            f_->read(rec_at, rec, 56, "zip64 end record");
            if (le32(rec) != 0x06064b50) bad("no zip64 end record where the locator points", rec_at);
            count = le64(rec + 32);
            cd_size = le64(rec + 40);
            cd_off = le64(rec + 48);
        }
        if (cd_off > size || cd_size > size - cd_off)
            bad("the central directory (" + std::to_string(cd_size) + " bytes at " + std::to_string(cd_off) + ") is beyond the file", eocd_at);
        if (count > cd_size / 46) bad(std::to_string(count) + " entries cannot fit a " + std::to_string(cd_size) + "-byte central directory", eocd_at);
        const std::vector<uint8_t> cd = f_->read(cd_off, static_cast<size_t>(cd_size), "central directory");
        uint64_t at = 0;
        for (uint64_t k = 0; k < count; ++k) {
            if (cd.size() - at < 46 || le32(cd.data() + at) != 0x02014b50) bad("central directory entry " + std::to_string(k) + " is missing or corrupt", cd_off + at);
            const uint8_t* h = cd.data() + at;
            const uint64_t name_n = le16(h + 28), extra_n = le16(h + 30), comment_n = le16(h + 32);
            if (cd.size() - at - 46 < name_n + extra_n + comment_n) bad("central directory entry " + std::to_string(k) + " runs past the directory", cd_off + at);
            NpzEntry e;
            e.file_name.assign(reinterpret_cast<const char*>(h + 46), static_cast<size_t>(name_n));
            e.method = le16(h + 10);
            e.crc = le32(h + 16);
            e.compressed = le32(h + 20);
            e.size = le32(h + 24);
            e.header_offset = le32(h + 42);
            read_zip64_extra(h + 46 + name_n, extra_n, e, cd_off + at);
            const std::string where = path() + "[" + e.file_name + "]";
            if (le16(h + 8) & 1) throw Error("encrypted npz entry", where, "encrypted zip entries are not supported");
            if (e.method != 0 && e.method != 8)
                throw Error("unsupported npz compression", where, "method " + std::to_string(e.method) + "; supported: 0 (stored, np.savez) and 8 (deflated, np.savez_compressed)");
            if (e.compressed > size)
                bad("entry '" + e.file_name + "' claims " + std::to_string(e.compressed) + " bytes, more than the file", cd_off + at);
            if (e.method == 0 && e.compressed != e.size)
                bad("stored entry '" + e.file_name + "' has compressed size " + std::to_string(e.compressed) + " but size " + std::to_string(e.size), cd_off + at);
            if (e.method == 8 && e.size > e.compressed * kMaxDeflateRatio + 1024)
                throw Error("corrupt npz entry", where,
                            "declares " + std::to_string(e.size) + " bytes inflated from " + std::to_string(e.compressed) + ", more than deflate can produce");
            e.name = e.file_name;
            if (e.name.size() > 4 && e.name.compare(e.name.size() - 4, 4, ".npy") == 0) e.name.resize(e.name.size() - 4);
            if (find(e.name)) bad("two entries named '" + e.file_name + "'", cd_off + at);
            entries_.push_back(std::move(e));
            at += 46 + name_n + extra_n + comment_n;
        }
        check_no_overlap(cd_off);
    }

    // Entries may not share bytes (each local header of at least 30 bytes, then its data, before the
    // next entry and the central directory): overlapping entries would let a small file inflate the
    // same compressed bytes many times over.
    void check_no_overlap(uint64_t cd_off) const {
        std::vector<const NpzEntry*> by(entries_.size());
        for (size_t i = 0; i < by.size(); ++i) by[i] = &entries_[i];
        std::sort(by.begin(), by.end(), [](const NpzEntry* a, const NpzEntry* b) { return a->header_offset < b->header_offset; });
        for (size_t i = 0; i < by.size(); ++i) {
            const uint64_t next = i + 1 < by.size() ? by[i + 1]->header_offset : cd_off;
            if (by[i]->header_offset > next || next - by[i]->header_offset < 30 + by[i]->compressed)
                bad("entry '" + by[i]->file_name + "' (" + std::to_string(by[i]->compressed) + " bytes at " + std::to_string(by[i]->header_offset) +
                        ") overlaps " + (i + 1 < by.size() ? "entry '" + by[i + 1]->file_name + "'" : std::string("the central directory")),
                    by[i]->header_offset);
        }
    }

    // The zip64 extended information extra field (id 1) holds, in order, whichever of size,
    // compressed size and header offset are 0xFFFFFFFF in the fixed header.
    void read_zip64_extra(const uint8_t* x, uint64_t n, NpzEntry& e, uint64_t at) const {
        using namespace npz_detail;
        for (uint64_t i = 0; i + 4 <= n;) {
            const uint16_t id = le16(x + i), len = le16(x + i + 2);
            if (i + 4 + len > n) bad("an extra field of entry '" + e.file_name + "' runs past its end", at);
            if (id == 1) {
                uint64_t j = i + 4;
                for (uint64_t* v : {&e.size, &e.compressed, &e.header_offset}) {
                    if (*v != 0xFFFFFFFF) continue;
                    if (j + 8 > i + 4 + len) bad("the zip64 field of entry '" + e.file_name + "' is too short", at);
                    *v = le64(x + j);
                    j += 8;
                }
            }
            i += 4 + uint64_t(len);
        }
        if (e.size == 0xFFFFFFFF || e.compressed == 0xFFFFFFFF || e.header_offset == 0xFFFFFFFF)
            bad("entry '" + e.file_name + "' needs a zip64 field and has none", at);
    }

    std::shared_ptr<const RandomAccessFile> f_;
    std::vector<NpzEntry> entries_;
};

}  // namespace mutiny

#endif  // MUTINY_IO_NPZ_HPP_
