// Memory sizes: the machine's physical memory, and sizes written by people ("2G", "512MiB").
#ifndef MUTINY_CORE_MEMORY_HPP_
#define MUTINY_CORE_MEMORY_HPP_

#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

#include "error.hpp"

namespace mutiny {

// Bytes of physical memory, or 0 when the system does not say.
inline int64_t physical_memory_bytes() {
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0 && pages <= INT64_MAX / page) return static_cast<int64_t>(pages) * page;
#endif
    return 0;
}

// "1.5G" -> bytes: a number (decimal point allowed) and an optional unit K, M, G, T (powers of
// 1024; "KB", "KiB" and "B" read the same), at least 1 byte and at most 2^62.
inline int64_t parse_memory_size(const std::string& text, const std::string& where) {
    const auto bad = [&](const std::string& why) { return Error("bad memory size '" + text + "'", where, why); };
    size_t i = 0;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (i == 0) throw bad("expected a number with an optional unit, e.g. 2G, 512M, 1.5G");
    std::string unit = text.substr(i);
    for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    double scale = 1;
    if (unit == "" || unit == "B") scale = 1;
    else if (unit == "K" || unit == "KB" || unit == "KIB") scale = 1024.0;
    else if (unit == "M" || unit == "MB" || unit == "MIB") scale = 1024.0 * 1024;
    else if (unit == "G" || unit == "GB" || unit == "GIB") scale = 1024.0 * 1024 * 1024;
    else if (unit == "T" || unit == "TB" || unit == "TIB") scale = 1024.0 * 1024 * 1024 * 1024;
    else throw bad("unknown unit '" + text.substr(i) + "' (use K, M, G or T)");
    const std::string num = text.substr(0, i);
    char* end = nullptr;
    const double v = std::strtod(num.c_str(), &end);
    if (end != num.c_str() + num.size() || !std::isfinite(v)) throw bad("'" + num + "' is not a number");
    const double bytes = std::floor(v * scale);
    if (bytes < 1) throw bad("less than one byte");
    if (bytes > 4611686018427387904.0) throw bad("more than 2^62 bytes");
    return static_cast<int64_t>(bytes);
}

// 1536 -> "1.5 KiB".
inline std::string memory_size_str(int64_t bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
    return buf;
}

}  // namespace mutiny

#endif  // MUTINY_CORE_MEMORY_HPP_
