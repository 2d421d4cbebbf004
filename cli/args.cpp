#include "args.hpp"

#include <cctype>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>


namespace cli {

Args::Args(int argc, char** argv, int first, const std::set<std::string>& valued, const std::set<std::string>& flags) {
    for (int i = first; i < argc; ++i) {
        std::string a = argv[i];
        if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
            std::string key = a.substr(2), val;
            const auto eq = key.find('=');
            const bool has_eq = eq != std::string::npos;
            if (has_eq) {
                val = key.substr(eq + 1);
                key = key.substr(0, eq);
            }
            if (valued.count(key)) {
                if (!has_eq) {
                    if (i + 1 >= argc) throw UsageError("option --" + key + " needs a value");
                    val = argv[++i];
                }
                opts_[key] = val;
            } else if (flags.count(key)) {
                if (has_eq) throw UsageError("option --" + key + " takes no value");
                opts_[key] = "1";
            } else {
                throw UsageError("unknown option --" + key);
            }
        } else {
            pos_.push_back(a);
        }
    }
}

std::string Args::get(const std::string& k, const std::string& def) const {
    auto it = opts_.find(k);
    return it == opts_.end() ? def : it->second;
}

int64_t Args::get_int(const std::string& k, int64_t def, int64_t lo, int64_t hi) const {
    return has(k) ? parse_int(get(k), "--" + k, lo, hi) : def;
}

uint64_t Args::get_u64(const std::string& k, uint64_t def) const { return has(k) ? parse_u64(get(k), "--" + k) : def; }

double Args::get_number(const std::string& k, double def, double lo, double hi) const {
    return has(k) ? parse_number(get(k), "--" + k, lo, hi) : def;
}

namespace {

// Digits only, accumulated with an overflow check: strtoull would accept "-1" (as 2^64-1), leading
// blanks and "+", and clamp on overflow.
bool digits_value(const std::string& t, size_t from, uint64_t& v) {
    if (from >= t.size()) return false;
    v = 0;
    for (size_t i = from; i < t.size(); ++i) {
        if (t[i] < '0' || t[i] > '9') return false;
        const uint64_t d = static_cast<uint64_t>(t[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    return true;
}

std::string range_text(int64_t lo, int64_t hi) {
    if (hi == INT64_MAX) return "an integer >= " + std::to_string(lo);
    return "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
}

}  // namespace

int64_t parse_int(const std::string& text, const std::string& name, int64_t lo, int64_t hi) {
    const bool neg = !text.empty() && text[0] == '-';
    uint64_t mag = 0;
    const bool ok = digits_value(text, neg ? 1 : 0, mag) && mag <= (neg ? uint64_t{1} << 63 : static_cast<uint64_t>(INT64_MAX));
    const int64_t v = !ok ? 0 : neg ? static_cast<int64_t>(0 - mag) : static_cast<int64_t>(mag);
    if (!ok || v < lo || v > hi) throw UsageError("option " + name + " needs " + range_text(lo, hi) + ", got '" + text + "'");
    return v;
}

uint64_t parse_u64(const std::string& text, const std::string& name) {
    uint64_t v = 0;
    if (!digits_value(text, 0, v)) throw UsageError("option " + name + " needs an unsigned integer below 2^64, got '" + text + "'");
    return v;
}

double parse_number(const std::string& text, const std::string& name, double lo, double hi) {
    char* end = nullptr;
    const bool starts_ok = !text.empty() && (std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '-' || text[0] == '.');
    const double v = starts_ok ? std::strtod(text.c_str(), &end) : 0;
    if (!starts_ok || *end != '\0' || !std::isfinite(v) || v < lo || v > hi) {
        auto g = [](double x) {
            char b[32];
            std::snprintf(b, sizeof b, "%g", x);
            return std::string(b);
        };
        const std::string range = hi == DBL_MAX ? "a number >= " + g(lo) : "a number from " + g(lo) + " to " + g(hi);
        throw UsageError("option " + name + " needs " + range + ", got '" + text + "'");
    }
    return v;
}

int threads_option(const Args& a) { return static_cast<int>(a.get_int("threads", 0, 0, 1024)); }
int64_t batch_option(const Args& a, int64_t def) { return a.get_int("batch", def, 1, int64_t{1} << 20); }
int64_t& global_max_memory() {
    static int64_t bytes = 0;
    return bytes;
}
uint64_t seed_option(const Args& a) { return a.get_u64("seed", 0); }

std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> v;
    size_t i = 0;
    while (i <= s.size()) {
        size_t j = s.find(',', i);
        if (j == std::string::npos) j = s.size();
        if (j > i) v.push_back(s.substr(i, j - i));
        i = j + 1;
    }
    return v;
}

}  // namespace cli
