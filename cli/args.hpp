// Argument parsing shared by the mutiny commands: positionals, `--flag`, `--key value` and
// `--key=value`. A bad call throws UsageError, which main() turns into one line and exit code 2.
#pragma once

#include <cstdint>
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
    // Numeric options, parsed strictly (parse_int, parse_number below): `def` when absent.
    int64_t get_int(const std::string& k, int64_t def, int64_t lo, int64_t hi) const;
    uint64_t get_u64(const std::string& k, uint64_t def) const;
    double get_number(const std::string& k, double def, double lo, double hi) const;
    const std::vector<std::string>& positionals() const { return pos_; }

private:
    std::map<std::string, std::string> opts_;
    std::vector<std::string> pos_;
};

// Strict numbers, the one way every command reads them: the whole text is one number (no blanks,
// no trailing characters, no leading '+'), inside [lo, hi]; anything else, including a value too
// large for any integer type, is a UsageError naming `name` (e.g. "--threads") and the range, so no
// value wraps or is silently clamped.
int64_t parse_int(const std::string& text, const std::string& name, int64_t lo, int64_t hi);
uint64_t parse_u64(const std::string& text, const std::string& name);  // 0 .. 2^64-1 (seeds)
double parse_number(const std::string& text, const std::string& name, double lo, double hi);  // finite

// Options that mean the same in every command that takes them.
int threads_option(const Args& a);                     // --threads N: 0 (default) = every core, up to 1024
int64_t batch_option(const Args& a, int64_t def);      // --batch N: 1 .. 1048576 inputs per batch
int64_t& global_max_memory();                          // --max-memory SIZE (a global option, main.cpp): bytes; 0 when absent
uint64_t seed_option(const Args& a);                   // --seed S: 0 (default) .. 2^64-1

// "a,b,,c" -> {a, b, c}: empty items are dropped, so a trailing comma is harmless.
std::vector<std::string> split_list(const std::string& s);

}  // namespace cli
