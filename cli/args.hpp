// Argument parsing shared by the mutiny commands: positionals, `--flag`, `--key value` and
// `--key=value`. A bad call throws UsageError, which main() turns into one line and exit code 2.
#pragma once

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace cli {

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Args {
public:
    // Parses argv[first..argc). `valued` lists options that take a value; `flags` those that do not.
    Args(int argc, char** argv, int first, const std::set<std::string>& valued, const std::set<std::string>& flags);

    bool has(const std::string& k) const { return opts_.count(k) != 0; }
    std::string get(const std::string& k, const std::string& def = "") const;
    long get_int(const std::string& k, long def) const;
    const std::vector<std::string>& positionals() const { return pos_; }

private:
    std::map<std::string, std::string> opts_;
    std::vector<std::string> pos_;
};

// "a,b,,c" -> {a, b, c}: empty items are dropped, so a trailing comma is harmless.
std::vector<std::string> split_list(const std::string& s);

}  // namespace cli
