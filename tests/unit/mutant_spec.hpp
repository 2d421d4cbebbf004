// A mutant spec written out in a test (id "t"): the operator, its target, parameters and seed;
// and the outputs of the mutant it names, run on the CPU executor.
#ifndef MUTINY_TESTS_UNIT_MUTANT_SPEC_HPP_
#define MUTINY_TESTS_UNIT_MUTANT_SPEC_HPP_

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include <mutiny/mutiny.hpp>

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

// g's outputs for `in` with mutant s applied (weights edited, kernel sites set), g left as it was.
inline std::vector<mutiny::Tensor> run_mutant(const mutiny::Graph& g0, const mutiny::MutantSpec& s, const std::vector<mutiny::Tensor>& in) {
    mutiny::Graph g = g0;
    const mutiny::Mutation m = mutiny::apply_mutant(g, s);
    mutiny::apply_weights(g, m);
    mutiny::CpuOptions o;
    for (const auto& kv : m.node_sites) o.node_sites[kv.first] = kv.second;
    mutiny::CpuExecutor ex(g, o);
    std::vector<mutiny::Tensor> y = ex.run(in);
    mutiny::revert_weights(g, m);
    return y;
}

#endif  // MUTINY_TESTS_UNIT_MUTANT_SPEC_HPP_
