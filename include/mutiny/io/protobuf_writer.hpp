// Minimal protobuf wire-format writer, the counterpart of protobuf.hpp's Reader: what Mutiny needs
// to write ONNX files (io/onnx_export.hpp) without libprotobuf. A message is built into a byte
// string; a sub-message is built by its own Writer and appended with its length (message()), so
// no length has to be known in advance. Packed repeated scalars are written packed, as protobuf 3
// writes them; the Reader accepts both encodings.
#ifndef MUTINY_IO_PROTOBUF_WRITER_HPP_
#define MUTINY_IO_PROTOBUF_WRITER_HPP_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "protobuf.hpp"

namespace mutiny::pb {

class Writer {
public:
    void varint(std::uint32_t field, std::uint64_t v) {
        tag(field, WireType::Varint);
        put_varint(v);
    }
    // int32/int64 fields: negative values are sign-extended to 10 bytes, as protobuf writes them.
    void int64(std::uint32_t field, std::int64_t v) { varint(field, static_cast<std::uint64_t>(v)); }
    void float32(std::uint32_t field, float f) {
        tag(field, WireType::Fixed32);
        put_le(&f, 4);
    }
    void bytes(std::uint32_t field, const void* data, std::size_t n) {
        tag(field, WireType::Len);
        put_varint(n);
        buf_.append(static_cast<const char*>(data), n);
    }
    void string(std::uint32_t field, const std::string& s) { bytes(field, s.data(), s.size()); }
    // A string field that proto3 leaves out when empty.
    void string_if(std::uint32_t field, const std::string& s) {
        if (!s.empty()) string(field, s);
    }
    void message(std::uint32_t field, const Writer& sub) { bytes(field, sub.buf_.data(), sub.buf_.size()); }
    void packed_varints(std::uint32_t field, const std::vector<std::int64_t>& v) {
        if (v.empty()) return;
        Writer p;
        for (const std::int64_t x : v) p.put_varint(static_cast<std::uint64_t>(x));
        message(field, p);
    }
    void packed_floats(std::uint32_t field, const std::vector<float>& v) {
        if (!v.empty()) bytes(field, v.data(), v.size() * 4);  // little-endian hosts only (as the Reader's fast path)
    }

    const std::string& data() const { return buf_; }
    std::string take() { return std::move(buf_); }

private:
    void tag(std::uint32_t field, WireType w) { put_varint((static_cast<std::uint64_t>(field) << 3) | static_cast<unsigned>(w)); }
    void put_varint(std::uint64_t v) {
        while (v >= 0x80) {
            buf_.push_back(static_cast<char>(static_cast<std::uint8_t>(v | 0x80)));
            v >>= 7;
        }
        buf_.push_back(static_cast<char>(static_cast<std::uint8_t>(v)));
    }
    void put_le(const void* p, std::size_t n) { buf_.append(static_cast<const char*>(p), n); }

    std::string buf_;
};

}  // namespace mutiny::pb

#endif  // MUTINY_IO_PROTOBUF_WRITER_HPP_
