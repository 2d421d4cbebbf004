// Runtime instruction-set dispatch for the CPU kernels whose speed depends on vector width (the
// float32 GEMM that Gemm, MatMul, Conv and the RNNs share, the implicit-GEMM conv tile, the vector
// exp and sigmoid).
//
// One build holds every level the compiler can target (x86-64: SSE2, AVX2+FMA, AVX-512; other
// CPUs: portable C++), each compiled once in the compiled part (impl/isa_kernels.hpp) with the
// compiler's per-function target attributes, so no -march flag is needed. The first kernel call
// picks the best level the CPU (and OS) supports, unless the environment variable MUTINY_ISA or
// isa::force() names one.
//
// Every level computes every output with the same operations in the same order, with a fused
// multiply-add per product: AVX2 and AVX-512 with the fma instruction, SSE2 and portable C++ with
// an exact emulation (std::fma, or doubles with round-to-odd, ops/isa/vec8.inl). So outputs,
// and therefore kill matrices, are bitwise identical whatever the level (tests/unit/test_isa.cpp
// checks it on every level the machine has).
#ifndef MUTINY_OPS_ISA_DISPATCH_HPP_
#define MUTINY_OPS_ISA_DISPATCH_HPP_

#include <cstdint>
#include <string>
#include <vector>

namespace mutiny {
namespace isa {

enum class Level { generic = 0, sse2 = 1, avx2 = 2, avx512 = 3 };

// "generic", "sse2", "avx2", "avx512".
const char* name(Level l);

// The levels this build holds and this CPU runs, lowest first (x86-64: sse2 always).
std::vector<Level> supported();

// The level kernels run at: the one forced, else MUTINY_ISA's, else the best supported. The first
// call reads MUTINY_ISA; a value naming no level, or one the CPU lacks, throws mutiny::Error (so
// an unusable level is an error message, never an illegal-instruction crash).
Level active();

// Forces a level for every later kernel call (throws mutiny::Error when the CPU lacks it). Outputs
// do not change with the level, only the time they take.
void force(Level l);
// The same from a name; an unknown name throws mutiny::Error listing the levels.
void force(const std::string& level_name);

// The kernels of one level. Matrix panels are laid out as in gemm/blocking.hpp (MR-row A panels,
// NR-column B panels; gemm/tiles.hpp).
struct Kernels {
    Level level;
    // Y[rows x cols] (ldy) = Y0 + A * B over k < Ke (see gemm::block_gemm).
    void (*block_gemm)(int64_t rows, int64_t cols, int64_t Ke, const float* Ap, int64_t depth_a, const float* Bp, int64_t depth_b,
                       float* Y, int64_t ldy, const float* row_init, bool zero_init);
    // One implicit-GEMM conv tile (conv/implicit.hpp): rows (<= MR) x cols (<= implicit_cols) of Y
    // from A panel a and B column block p of depth k at xb + off[k] + p*NR. Null where the level
    // has none (conv then builds im2col panels; same bits).
    void (*implicit_tile)(int rows, int64_t cols, int64_t kc, const float* a, const float* xb, const int64_t* off, float* c, int64_t ldc,
                          const float* init);
    int64_t implicit_cols;  // widest tile implicit_tile takes (a multiple of 8)
    // y[i] = e^x[i] and 1 / (1 + e^-x[i]), float32 (ops/isa/vector_math.inl).
    void (*exp_f32)(const float* x, float* y, int64_t n);
    void (*sigmoid_f32)(const float* x, float* y, int64_t n);
};

// The active level's kernels (reads MUTINY_ISA on the first call, see active()).
const Kernels& kernels();

// The kernels of one level, for tests that compare levels (throws when the CPU lacks it).
const Kernels& kernels(Level l);

}  // namespace isa
}  // namespace mutiny

#endif  // MUTINY_OPS_ISA_DISPATCH_HPP_
