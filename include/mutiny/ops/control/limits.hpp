// The process-wide limit on Loop iterations (ops/control/loop.hpp), public so that programs and
// the CLI (--max-loop-iterations) can set it without including the ops.
#ifndef MUTINY_OPS_CONTROL_LIMITS_HPP_
#define MUTINY_OPS_CONTROL_LIMITS_HPP_

#include <atomic>
#include <cstdint>

namespace mutiny {
namespace control {

// How many iterations a Loop may run before it is stopped with an error (a loop whose condition
// never turns false, or a trip count from a corrupt file).
inline std::atomic<int64_t>& max_loop_iterations() {
    static std::atomic<int64_t> limit{1000000};
    return limit;
}

}  // namespace control
}  // namespace mutiny

#endif  // MUTINY_OPS_CONTROL_LIMITS_HPP_
