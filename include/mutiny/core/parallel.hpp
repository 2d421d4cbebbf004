// Deterministic data parallelism. Work is cut into chunks whose boundaries depend only on the
// problem size and the grain, never on the number of threads, and every output element is computed
// by exactly one chunk with a fixed order of operations. So results are bitwise identical whatever
// the thread count; threads only change which core computes a chunk.
#ifndef MUTINY_CORE_PARALLEL_HPP_
#define MUTINY_CORE_PARALLEL_HPP_

#include <cstdint>
#include <memory>
#include <type_traits>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>

namespace mutiny {

namespace detail {
// The TBB loop over chunks, instantiated once: callers pass their body through a function pointer,
// so each kernel compiles one small thunk instead of its own copy of TBB's task machinery (which was
// most of the compiled part's build time). One indirect call per chunk of >= ~32k operations.
using ChunkBody = void (*)(const void* body, int64_t begin, int64_t end);
inline void parallel_chunks_erased(int64_t n, int64_t grain, ChunkBody run, const void* body) {
    const int64_t chunks = (n + grain - 1) / grain;
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, chunks, 1),
                      [&](const tbb::blocked_range<int64_t>& r) {
                          for (int64_t c = r.begin(); c != r.end(); ++c) {
                              const int64_t b = c * grain;
                              const int64_t e = b + grain < n ? b + grain : n;
                              run(body, b, e);
                          }
                      },
                      tbb::simple_partitioner());
}
}  // namespace detail

// Calls fn(begin, end) for consecutive chunks [k*grain, min((k+1)*grain, n)).
template <class F>
void parallel_chunks(int64_t n, int64_t grain, F&& fn) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    if (n <= grain) {
        fn(int64_t{0}, n);
        return;
    }
    using Body = std::remove_reference_t<F>;
    detail::parallel_chunks_erased(
        n, grain, [](const void* body, int64_t b, int64_t e) { (*static_cast<Body*>(const_cast<void*>(body)))(b, e); },
        static_cast<const void*>(std::addressof(fn)));
}

// Picks a grain so that a loop of n items of roughly `cost` operations each has chunks of at
// least ~32k operations (amortising task overhead). Depends on n and cost only.
inline int64_t grain_for(int64_t n, int64_t cost) {
    const int64_t target = 32768;
    int64_t g = cost > 0 ? target / cost : n;
    if (g < 1) g = 1;
    if (g > n) g = n;
    return g;
}

}  // namespace mutiny

#endif  // MUTINY_CORE_PARALLEL_HPP_
