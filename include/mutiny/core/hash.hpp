// 64-bit FNV-1a, the one hash Mutiny uses for identities and checksums (model files, native model
// checksums, checkpoints, campaign outputs, OpenCL program caches, mutant seeds). Every step is a
// bijection of the state, so changing any single byte of the input always changes the hash: a
// checksum catches every one-byte corruption, not just most. The offset basis is 1469598103934665603,
// not FNV's 14695981039346656037: Mutiny has always used it, and seeds and stored checksums depend on
// it. Chain calls through `h` to hash data that arrives in pieces.
#ifndef MUTINY_CORE_HASH_HPP_
#define MUTINY_CORE_HASH_HPP_

#include <cstddef>
#include <cstdint>
#include <string>

namespace mutiny {

constexpr uint64_t kFnv1aBasis = 1469598103934665603ull;

inline uint64_t fnv1a(const void* data, size_t n, uint64_t h = kFnv1aBasis) {
    const auto* p = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i < n; ++i) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

inline uint64_t fnv1a(const std::string& s, uint64_t h = kFnv1aBasis) { return fnv1a(s.data(), s.size(), h); }

}  // namespace mutiny

#endif  // MUTINY_CORE_HASH_HPP_
