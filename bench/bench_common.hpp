// What every benchmark program shares: the machine line of its header and reading an option's
// value from the command line (a missing value is a usage error, exit 2).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace bench {

// The CPU's model name from /proc/cpuinfo, for the header every benchmark prints.
inline std::string cpu_model() {
    std::ifstream f("/proc/cpuinfo");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "unknown";
}

// The value after argv[i] (i moves onto it); `prog` names the program in the error.
inline std::string option_value(int argc, char** argv, int& i, const char* prog) {
    if (i + 1 >= argc) {
        std::fprintf(stderr, "%s: %s needs a value\n", prog, argv[i]);
        std::exit(2);
    }
    return argv[++i];
}

}  // namespace bench
