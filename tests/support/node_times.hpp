// What a timed run must hold whatever the machine (exec/node_times.hpp): the outputs the bits of
// an untimed run, a time per node, each >= 0, their sum within the run's wall time. Used by the
// CPU's and the OpenCL executor's tests.
#ifndef MUTINY_TESTS_NODE_TIMES_HPP_
#define MUTINY_TESTS_NODE_TIMES_HPP_

#include <doctest/doctest.h>

#include <vector>

#include <mutiny/core/tensor.hpp>
#include <mutiny/exec/node_times.hpp>
#include <mutiny/graph/graph.hpp>

namespace mutiny_test {

inline void check_timed_run(const mutiny::Graph& g, const std::vector<mutiny::Tensor>& plain, const std::vector<mutiny::Tensor>& timed,
                            const mutiny::NodeTimes& t) {
    REQUIRE(timed.size() == plain.size());
    for (size_t i = 0; i < timed.size(); ++i) CHECK(timed[i].bitwise_equal(plain[i]));
    REQUIRE(t.seconds.size() == g.nodes.size());
    REQUIRE(t.where.size() == g.nodes.size());
    double sum = 0;
    for (size_t n = 0; n < g.nodes.size(); ++n) {
        CAPTURE(g.nodes[n].name);
        CHECK(t.seconds[n] >= 0);
        sum += t.seconds[n];
    }
    CHECK(t.total > 0);
    CHECK(sum <= t.total);
}

}  // namespace mutiny_test

#endif  // MUTINY_TESTS_NODE_TIMES_HPP_
