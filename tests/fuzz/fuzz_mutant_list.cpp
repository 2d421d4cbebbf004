// libFuzzer target for mutant lists and operator lists (mutate/mutant_list.hpp, mutate/spec.hpp):
// the list parser, each spec's canonical line (parse(str()) must give the same spec), and the
// operator-list syntax of --ops/--preset, on the whole text and on each line.
//
// fuzz-seeds: tests/fuzz/corpus/mutant_list/*
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "mutiny/core/error.hpp"
#include "mutiny/mutate/mutant_list.hpp"
#include "mutiny/mutate/spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        const mutiny::MutantList l = mutiny::parse_mutant_list(text, "fuzz list");
        if (l.specs.size() != l.lines.size()) std::abort();
        for (const auto& s : l.specs) {
            const std::string line = s.str();
            if (mutiny::MutantSpec::parse(line).str() != line) std::abort();
        }
    } catch (const mutiny::Error&) {
    }
    std::istringstream in(text);
    std::string line;
    try {
        (void)mutiny::parse_operator_list(text);
    } catch (const mutiny::Error&) {
    }
    while (std::getline(in, line)) {
        try {
            for (const auto& r : mutiny::parse_operator_list(line))
                if (r.name.empty() || r.pos == 0 || r.pos > line.size()) std::abort();
        } catch (const mutiny::Error&) {
        }
    }
    return 0;
}
