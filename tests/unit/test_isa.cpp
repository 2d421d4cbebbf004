// Runtime instruction-set dispatch (ops/isa/dispatch.hpp): every level this machine runs computes
// the same bits. The fused multiply-add of every level (the SSE2 and portable ones emulate it)
// against std::fma, including signed zeros, subnormals, overflow, infinities and NaN; the GEMM
// macro-kernel of every level against a scalar std::fma chain over awkward shapes; the vector exp
// and sigmoid; and the shipped models end to end (on AVX-512 their small convs take the
// implicit-GEMM path, elsewhere im2col). Also the errors for a level that does not exist or that
// the CPU lacks.
#include <doctest/doctest.h>

#include "support/support.hpp"

#include <mutiny/exec/cpu/executor.hpp>
#include <mutiny/model.hpp>
#include <mutiny/ops/gemm/blocking.hpp>
#include <mutiny/ops/isa/dispatch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace mutiny;

namespace {

// Restores the level active when it was made.
struct KeepLevel {
    isa::Level saved = isa::active();
    ~KeepLevel() { isa::force(saved); }
};

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b)); }

float bits_to_float(uint32_t u) {
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}

// fma(a[r], b[n], c[r]) for a 6 x 16 tile through one K step of the level's GEMM.
std::vector<float> gemm_fma(const isa::Kernels& k, const float* a, const float* b, const float* c) {
    using gemm::MR;
    using gemm::NR;
    std::vector<float> ap(MR), bp(NR), y(MR * NR);
    std::memcpy(ap.data(), a, MR * sizeof(float));
    std::memcpy(bp.data(), b, NR * sizeof(float));
    k.block_gemm(MR, NR, 1, ap.data(), 1, bp.data(), 1, y.data(), NR, c, false);
    return y;
}

}  // namespace

TEST_CASE("the machine runs at least the baseline level, and the best one by default") {
    const auto levels = isa::supported();
    REQUIRE(!levels.empty());
    CHECK(levels.front() == isa::Level::generic);
#if defined(__x86_64__)
    REQUIRE(levels.size() >= 2);
    CHECK(levels[1] == isa::Level::sse2);
#endif
    if (!std::getenv("MUTINY_ISA")) CHECK(isa::active() == levels.back());
    MESSAGE("levels this machine runs: " << [&] {
        std::string s;
        for (auto l : levels) s += std::string(isa::name(l)) + " ";
        return s;
    }());
}

TEST_CASE("every level's fused multiply-add is std::fma, bit for bit") {
    using gemm::MR;
    using gemm::NR;
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    const float tiny = std::numeric_limits<float>::denorm_min(), big = std::numeric_limits<float>::max();
    // Triples where a separate multiply and add would round twice, plus the special values.
    std::vector<float> specials = {0.0f, -0.0f, 1.0f, -1.0f, tiny, -tiny, 1e-38f, big, -big, inf, -inf, nan, 1.0f + 0x1p-23f, 1.0f - 0x1p-24f, 3.0f};
    for (isa::Level level : isa::supported()) {
        CAPTURE(isa::name(level));
        const isa::Kernels& k = isa::kernels(level);
        int64_t checked = 0, wrong = 0;
        float a[MR], b[NR], c[MR];
        auto check = [&] {
            const std::vector<float> y = gemm_fma(k, a, b, c);
            for (int r = 0; r < MR; ++r)
                for (int n = 0; n < NR; ++n) {
                    ++checked;
                    if (!same_bits(y[r * NR + n], std::fma(a[r], b[n], c[r]))) ++wrong;
                }
        };
        for (int it = 0; it < 4000; ++it) {
            const int mode = it % 4;
            for (int r = 0; r < MR; ++r) {
                if (mode == 0) a[r] = bits_to_float(static_cast<uint32_t>(rng()));
                else if (mode == 1) a[r] = u(rng);
                else if (mode == 2) a[r] = u(rng) * 1e-20f;
                else a[r] = u(rng) * 1e19f;
            }
            for (int n = 0; n < NR; ++n) {
                if (mode == 0) b[n] = bits_to_float(static_cast<uint32_t>(rng()));
                else if (mode == 2) b[n] = u(rng) * 1e-19f;
                else if (mode == 3) b[n] = u(rng) * 1e20f;
                else b[n] = u(rng);
            }
            for (int r = 0; r < MR; ++r) {
                if (mode == 0) c[r] = bits_to_float(static_cast<uint32_t>(rng()));
                else if (mode == 1) c[r] = -a[r] * b[r % NR] * (1.0f + u(rng) * 1e-6f);  // cancellation
                else if (mode == 2) c[r] = u(rng) * 1e-38f;                               // subnormal results
                else c[r] = u(rng) * 3e38f;                                               // overflow
            }
            check();
        }
        for (size_t i = 0; i < specials.size(); ++i) {
            for (int r = 0; r < MR; ++r) a[r] = specials[(i + static_cast<size_t>(r)) % specials.size()];
            for (int n = 0; n < NR; ++n) b[n] = specials[(i * 3 + static_cast<size_t>(n)) % specials.size()];
            for (size_t j = 0; j < specials.size(); ++j) {
                for (int r = 0; r < MR; ++r) c[r] = specials[(j + static_cast<size_t>(r) * 5) % specials.size()];
                check();
            }
        }
        CHECK(checked > 300000);
        CHECK(wrong == 0);
    }
}

TEST_CASE("every level's GEMM is the scalar fma chain, bit for bit, over awkward shapes") {
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (int64_t rows : {1, 2, 3, 6, 7, 13}) {
        for (int64_t cols : {1, 5, 16, 17, 40, 48, 65}) {
            for (int64_t K : {1, 9, 256, 300}) {
                CAPTURE(rows);
                CAPTURE(cols);
                CAPTURE(K);
                std::vector<float> A(static_cast<size_t>(rows * K)), B(static_cast<size_t>(K * cols)), bias(static_cast<size_t>(rows));
                for (auto& v : A) v = u(rng);
                for (auto& v : B) v = u(rng);
                for (auto& v : bias) v = u(rng);
                std::vector<float> Ap(static_cast<size_t>(gemm::packed_a_size(rows, K))), Bp(static_cast<size_t>(gemm::packed_b_size(cols, K)));
                gemm::pack_a(A.data(), K, 1, rows, K, 1.0f, Ap.data());
                gemm::pack_b(B.data(), cols, 1, cols, K, Bp.data());
                std::vector<float> want(static_cast<size_t>(rows * cols));
                for (int64_t m = 0; m < rows; ++m)
                    for (int64_t n = 0; n < cols; ++n) {
                        float acc = bias[static_cast<size_t>(m)];
                        for (int64_t k = 0; k < K; ++k) acc = std::fma(A[static_cast<size_t>(m * K + k)], B[static_cast<size_t>(k * cols + n)], acc);
                        want[static_cast<size_t>(m * cols + n)] = acc;
                    }
                for (isa::Level level : isa::supported()) {
                    CAPTURE(isa::name(level));
                    std::vector<float> y(static_cast<size_t>(rows * cols), -7.0f);
                    isa::kernels(level).block_gemm(rows, cols, K, Ap.data(), K, Bp.data(), K, y.data(), cols, bias.data(), false);
                    CHECK(std::memcmp(y.data(), want.data(), y.size() * sizeof(float)) == 0);
                }
            }
        }
    }
}

TEST_CASE("every level's vector exp and sigmoid give the same bits") {
    std::vector<float> x;
    for (int i = -40000; i <= 40000; ++i) x.push_back(static_cast<float>(i) * 0.0025f);
    for (float v : {-1e30f, 1e30f, std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                    std::numeric_limits<float>::quiet_NaN(), -0.0f, 1e-40f})
        x.push_back(v);
    const auto n = static_cast<int64_t>(x.size());
    std::vector<float> e0(x.size()), s0(x.size()), e(x.size()), s(x.size());
    const auto levels = isa::supported();
    isa::kernels(levels.front()).exp_f32(x.data(), e0.data(), n);
    isa::kernels(levels.front()).sigmoid_f32(x.data(), s0.data(), n);
    for (isa::Level level : levels) {
        CAPTURE(isa::name(level));
        isa::kernels(level).exp_f32(x.data(), e.data(), n);
        isa::kernels(level).sigmoid_f32(x.data(), s.data(), n);
        CHECK(std::memcmp(e.data(), e0.data(), e.size() * sizeof(float)) == 0);
        CHECK(std::memcmp(s.data(), s0.data(), s.size() * sizeof(float)) == 0);
    }
    CHECK(e0[40000] == 1.0f);  // e^0
    CHECK(s0[40000] == 0.5f);
}

TEST_CASE("the shipped models give the same bits on every level") {
    KeepLevel keep;
    for (const char* name : {"fashion_fcnn", "fashion_lenet5", "fashion_resnet", "fashion_lenet5_int8"}) {
        const Graph g = load_model((mutiny_test::source_dir() / "models" / (std::string(name) + ".onnx")).string());
        for (int64_t batch : {7, 64}) {
            CAPTURE(name);
            CAPTURE(batch);
            Shape s = g.value(g.inputs[0]).shape;
            for (auto& d : s.dims())
                if (d < 0) d = batch;
            Tensor x(DType::f32, s);
            std::mt19937 rng(static_cast<uint32_t>(batch));
            std::uniform_real_distribution<float> u(0.0f, 1.0f);
            for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = u(rng);
            Tensor first;
            for (isa::Level level : isa::supported()) {
                CAPTURE(isa::name(level));
                isa::force(level);
                const Tensor y = CpuExecutor(g, CpuOptions{2, {}, {}}).run({x})[0];
                if (first.empty()) first = y;
                else CHECK(y.bitwise_equal(first));
            }
        }
    }
}

TEST_CASE("a level that does not exist or that the CPU lacks is an error, not a crash") {
    KeepLevel keep;
    const std::string unknown = mutiny_test::error_of([] { isa::force("avx1024"); });
    CHECK(unknown.find("unknown instruction-set level 'avx1024'") != std::string::npos);
    CHECK(unknown.find("generic, sse2, avx2, avx512") != std::string::npos);
    CHECK(mutiny_test::error_of([] { isa::force("AVX2"); }).find("unknown instruction-set level 'AVX2'") != std::string::npos);
    const auto have = isa::supported();
    int lacking = 0;
    for (isa::Level l : {isa::Level::generic, isa::Level::sse2, isa::Level::avx2, isa::Level::avx512}) {
        const bool runs = std::find(have.begin(), have.end(), l) != have.end();
        if (runs) {
            CHECK_NOTHROW(isa::force(l));
            CHECK(isa::active() == l);
        } else {
            ++lacking;
            const std::string err = mutiny_test::error_of([&] { isa::force(l); });
            CHECK(err.find(std::string("instruction-set level ") + isa::name(l) + " is not available") != std::string::npos);
            CHECK(isa::active() != l);
        }
    }
    if (lacking == 0) MESSAGE("this CPU runs every level: the not-available error is checked on CPUs that lack one");
}
