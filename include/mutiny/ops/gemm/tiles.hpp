// The float32 GEMM's tile sizes, shared by every instruction-set level (so packed panels and task
// decompositions, hence the bits, do not depend on the level).
#ifndef MUTINY_OPS_GEMM_TILES_HPP_
#define MUTINY_OPS_GEMM_TILES_HPP_

#include <cstdint>

namespace mutiny {
namespace gemm {

constexpr int MR = 6;                // rows of a micro-tile (A panels are MR rows wide)
constexpr int NR = 16;               // columns of a micro-tile (B panels are NR columns wide)
#ifndef MUTINY_GEMM_KC
#define MUTINY_GEMM_KC 256
#endif
#ifndef MUTINY_GEMM_MC
#define MUTINY_GEMM_MC 120
#endif
constexpr int64_t KC = MUTINY_GEMM_KC;  // depth of a K block: a KC x NR B micro-panel is 16 KB (L1)
constexpr int64_t MC = MUTINY_GEMM_MC;  // rows per M block (a multiple of MR): MC x KC of A panels is 120 KB (L2)

}  // namespace gemm
}  // namespace mutiny

#endif  // MUTINY_OPS_GEMM_TILES_HPP_
