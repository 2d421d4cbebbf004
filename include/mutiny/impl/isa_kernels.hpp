// The CPU kernels of every instruction-set level, and the choice between them (ops/isa/dispatch.hpp),
// defined once per program (see implementation.hpp).
//
// Each level is the same source (ops/isa/level.inl and the .inl files it reads) read once more
// inside a namespace of its own, with MUTINY_ISA_LEVEL telling it which vectors to use, between
// pragmas that give every function defined there the level's target attribute: the compiler emits
// AVX2 or AVX-512 code for those functions only, whatever -march the build uses, and nothing
// outside them runs an instruction the CPU may lack. The standard headers those files use are included first, outside
// the target regions, so no shared inline function is ever compiled for a wider level.
#ifndef MUTINY_IMPL_ISA_KERNELS_HPP_
#define MUTINY_IMPL_ISA_KERNELS_HPP_

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "../ops/gemm/tiles.hpp"
#include "../ops/isa/dispatch.hpp"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define MUTINY_ISA_X86 1
#include <immintrin.h>
#else
#define MUTINY_ISA_X86 0
#endif

namespace mutiny {
namespace isa {

// ---- portable C++ (every CPU; fma by std::fma) ---------------------------------------------------
namespace level_generic {
#define MUTINY_ISA_LEVEL 0
#include "../ops/isa/level.inl"
#undef MUTINY_ISA_LEVEL
}  // namespace level_generic

#if MUTINY_ISA_X86
// ---- SSE2 (the x86-64 baseline; fma emulated exactly) --------------------------------------------
namespace level_sse2 {
#define MUTINY_ISA_LEVEL 1
#include "../ops/isa/level.inl"
#undef MUTINY_ISA_LEVEL
}  // namespace level_sse2

// ---- AVX2 + FMA -----------------------------------------------------------------------------------
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif
namespace level_avx2 {
#define MUTINY_ISA_LEVEL 2
#include "../ops/isa/level.inl"
#undef MUTINY_ISA_LEVEL
}  // namespace level_avx2
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

// ---- AVX-512 (F; its 8-float vector math is AVX2's) -----------------------------------------------
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,avx512f"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma,avx512f")
#endif
namespace level_avx512 {
#define MUTINY_ISA_LEVEL 3
#include "../ops/isa/level.inl"
#undef MUTINY_ISA_LEVEL
}  // namespace level_avx512
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif  // MUTINY_ISA_X86

// ---- the tables and the choice --------------------------------------------------------------------
namespace detail {

const Kernels generic_kernels{Level::generic, &level_generic::block_gemm, nullptr, 0, &level_generic::exp_f32, &level_generic::sigmoid_f32};
#if MUTINY_ISA_X86
const Kernels sse2_kernels{Level::sse2, &level_sse2::block_gemm, nullptr, 0, &level_sse2::exp_f32, &level_sse2::sigmoid_f32};
const Kernels avx2_kernels{Level::avx2, &level_avx2::block_gemm, &level_avx2::implicit_tile, gemm::NR, &level_avx2::exp_f32,
                           &level_avx2::sigmoid_f32};
const Kernels avx512_kernels{Level::avx512, &level_avx512::block_gemm, &level_avx512::implicit_tile, 2 * gemm::NR,
                             &level_avx512::exp_f32,  &level_avx512::sigmoid_f32};
#endif

// The table of a level this build holds, else null.
inline const Kernels* table_of(Level l) {
    switch (l) {
        case Level::generic: return &generic_kernels;
#if MUTINY_ISA_X86
        case Level::sse2: return &sse2_kernels;
        case Level::avx2: return &avx2_kernels;
        case Level::avx512: return &avx512_kernels;
#endif
        default: return nullptr;
    }
}

// Whether the CPU and the operating system (which must save the wider registers) run level l;
// the compiler's CPU-feature test checks both (cpuid and xgetbv).
inline bool cpu_runs(Level l) {
    if (!table_of(l)) return false;
#if MUTINY_ISA_X86
    __builtin_cpu_init();
    switch (l) {
        case Level::avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        case Level::avx512: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("avx512f");
        default: return true;
    }
#else
    return true;
#endif
}

inline std::string level_list(const std::vector<Level>& ls) {
    std::string s;
    for (Level l : ls) s += (s.empty() ? "" : ", ") + std::string(name(l));
    return s;
}

constexpr Level all_levels[] = {Level::generic, Level::sse2, Level::avx2, Level::avx512};

inline Level parse(const std::string& text, const std::string& where) {
    for (Level l : all_levels)
        if (text == name(l)) return l;
    throw Error("unknown instruction-set level '" + text + "'", where,
                "the levels are generic, sse2, avx2, avx512; this CPU runs " + level_list(supported()));
}

inline const Kernels& checked(Level l, const std::string& where) {
    if (!cpu_runs(l))
        throw Error(std::string("instruction-set level ") + name(l) + " is not available", where,
                    table_of(l) ? "this CPU (or its operating system) lacks it; it runs " + level_list(supported())
                                : "this build targets another processor family; it holds " + level_list(supported()));
    return *table_of(l);
}

inline std::atomic<const Kernels*>& active_table() {
    static std::atomic<const Kernels*> t{nullptr};
    return t;
}

// The level of the first kernel call: MUTINY_ISA's, else the best the CPU runs.
inline const Kernels& initial() {
    const char* env = std::getenv("MUTINY_ISA");
    if (env && *env) return checked(parse(env, "environment variable MUTINY_ISA"), "environment variable MUTINY_ISA");
    return *table_of(supported().back());
}

}  // namespace detail

const char* name(Level l) {
    switch (l) {
        case Level::generic: return "generic";
        case Level::sse2: return "sse2";
        case Level::avx2: return "avx2";
        case Level::avx512: return "avx512";
    }
    return "?";
}

std::vector<Level> supported() {
    std::vector<Level> out;
    for (Level l : detail::all_levels)
        if (detail::cpu_runs(l)) out.push_back(l);
    return out;
}

const Kernels& kernels() {
    auto& slot = detail::active_table();
    if (const Kernels* k = slot.load(std::memory_order_acquire)) return *k;
    const Kernels* chosen = &detail::initial();
    const Kernels* expected = nullptr;
    slot.compare_exchange_strong(expected, chosen, std::memory_order_acq_rel);  // a concurrent force() wins
    return *slot.load(std::memory_order_acquire);
}

const Kernels& kernels(Level l) { return detail::checked(l, std::string("isa::kernels(") + name(l) + ")"); }

Level active() { return kernels().level; }

void force(Level l) { detail::active_table().store(&detail::checked(l, std::string("isa::force(") + name(l) + ")"), std::memory_order_release); }

void force(const std::string& level_name) { force(detail::parse(level_name, "isa::force(\"" + level_name + "\")")); }

}  // namespace isa
}  // namespace mutiny

#undef MUTINY_ISA_X86

#endif  // MUTINY_IMPL_ISA_KERNELS_HPP_
