// A mutant spec written out in a test (id "t"): the operator, its target, parameters and seed.
#ifndef MUTINY_TESTS_UNIT_MUTANT_SPEC_HPP_
#define MUTINY_TESTS_UNIT_MUTANT_SPEC_HPP_

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include <mutiny/mutate/spec.hpp>

inline mutiny::MutantSpec spec(const std::string& op, const std::string& target, std::map<std::string, std::string> params = {},
                               uint64_t seed = 0) {
    mutiny::MutantSpec s;
    s.id = "t";
    s.op = op;
    s.target = target;
    s.params = std::move(params);
    s.seed = seed;
    return s;
}

#endif  // MUTINY_TESTS_UNIT_MUTANT_SPEC_HPP_
