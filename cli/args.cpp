#include "args.hpp"

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

long Args::get_int(const std::string& k, long def) const {
    if (!has(k)) return def;
    const std::string v = get(k);
    char* end = nullptr;
    const long x = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end) throw UsageError("option --" + k + " needs an integer, got '" + v + "'");
    return x;
}

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
