// The float32 GEMM's macro-kernel (block_gemm, see blocking.hpp) for one instruction-set level:
// the loops over M blocks, K blocks and panels that call the level's micro-kernels. Included once
// per level by impl/isa_kernels.hpp (no include guard).

// Y[rows x cols] (ldy) = Y0 + A * B over k in [0, Ke). Ap: the block's A panels (panel i holds
// rows i*MR.. as [depth_a][MR]); Bp: its B panels (panel j holds columns j*NR.. as [depth_b][NR]).
// Y0 = row_init[m] broadcast along row m (a bias), or 0 when zero_init, or else the current Y.
// Loops: M blocks of MC rows (A in L2), K blocks of KC (a B micro-panel in L1), B panels, A panels.
inline void block_gemm(int64_t rows, int64_t cols, int64_t Ke, const float* Ap, int64_t depth_a, const float* Bp, int64_t depth_b,
                       float* Y, int64_t ldy, const float* row_init, bool zero_init) {
    static const float zeros[MR] = {};
    const bool init = row_init || zero_init;
    if (Ke <= 0) {
        if (init)
            for (int64_t m = 0; m < rows; ++m) std::fill(Y + m * ldy, Y + m * ldy + cols, zero_init ? 0.0f : row_init[m]);
        return;
    }
    // The first K block starts each accumulator from its init value.
    auto init_of = [&](int64_t k0, int64_t i) -> const float* {
        if (k0 > 0 || !init) return nullptr;
        return zero_init ? zeros : row_init + i * MR;
    };
    const int64_t mp = (rows + MR - 1) / MR, np = (cols + NR - 1) / NR;
    constexpr int64_t mc_panels = MC / MR;
#if MUTINY_ISA_LEVEL == 3
    // Row panels of 3-6 rows take B panels 2 at a time (a KC-deep pair, 32 KB, stays in L1 while
    // the M block's A panels stream from L2); a last row panel of 1-2 rows takes 4 at a time.
    const int tail = static_cast<int>(rows - (mp - 1) * MR);
    const int64_t mfull = tail <= 2 ? mp - 1 : mp;  // row panels of 3-6 rows
    for (int64_t i0 = 0; i0 < mp; i0 += mc_panels) {
        const int64_t i1 = std::min(mp, i0 + mc_panels), iend = std::min(i1, mfull);
        for (int64_t k0 = 0; k0 < Ke; k0 += KC) {
            const int64_t kc = std::min(KC, Ke - k0);
            for (int64_t j = 0; j < np && iend > i0; j += 2) {
                const int64_t je = std::min(np, j + 2);
                const float* b = Bp + j * depth_b * NR + k0 * NR;
                for (int64_t i = i0; i < iend; ++i) {
                    const int rw = static_cast<int>(std::min<int64_t>(MR, rows - i * MR));
                    ukernel512_any(rw, j, je, cols, kc, Ap + i * depth_a * MR + k0 * MR, b, depth_b * NR, Y + i * MR * ldy + j * NR, ldy,
                                   init_of(k0, i));
                }
            }
            if (i1 > iend) {
                const int64_t i = mp - 1;
                for (int64_t j = 0; j < np; j += 4) {
                    const int64_t je = std::min(np, j + 4);
                    ukernel512_any(tail, j, je, cols, kc, Ap + i * depth_a * MR + k0 * MR, Bp + j * depth_b * NR + k0 * NR, depth_b * NR,
                                   Y + i * MR * ldy + j * NR, ldy, init_of(k0, i));
                }
            }
        }
    }
#else
    // A last row panel of 1 or 2 rows runs over 3 full B panels at a time where it can.
    const int tail = static_cast<int>(rows - (mp - 1) * MR);
    const bool wide_tail = tail <= 2;
    const int64_t full_np = cols / NR;
    for (int64_t i0 = 0; i0 < mp; i0 += mc_panels) {
        const int64_t i1 = std::min(mp, i0 + mc_panels);
        const bool has_tail = wide_tail && i1 == mp;
        const int64_t iend = has_tail ? i1 - 1 : i1;
        for (int64_t k0 = 0; k0 < Ke; k0 += KC) {
            const int64_t kc = std::min(KC, Ke - k0);
            // Groups of 3 B panels: every row panel, the 1-2 row tail included, uses them while
            // they are in L1.
            for (int64_t j0 = 0; j0 < np; j0 += 3) {
                const int64_t j1 = std::min(np, j0 + 3);
                for (int64_t j = j0; j < j1; ++j) {
                    const float* b = Bp + j * depth_b * NR + k0 * NR;
                    const int cw = static_cast<int>(std::min<int64_t>(NR, cols - j * NR));
                    for (int64_t i = i0; i < iend; ++i) {
                        const int rw = static_cast<int>(std::min<int64_t>(MR, rows - i * MR));
                        ukernel_any(rw, cw, kc, Ap + i * depth_a * MR + k0 * MR, b, Y + i * MR * ldy + j * NR, ldy, init_of(k0, i));
                    }
                }
                if (!has_tail) continue;
                const int64_t i = mp - 1;
                const float* a = Ap + i * depth_a * MR + k0 * MR;
                float* yt = Y + i * MR * ldy;
                if (j0 + 3 <= full_np) {
                    const float* b = Bp + j0 * depth_b * NR + k0 * NR;
                    if (tail == 2) ukernel_wide<2>(kc, a, b, depth_b * NR, yt + j0 * NR, ldy, init_of(k0, i));
                    else ukernel_wide<1>(kc, a, b, depth_b * NR, yt + j0 * NR, ldy, init_of(k0, i));
                } else {
                    for (int64_t j = j0; j < j1; ++j)
                        ukernel_any(tail, static_cast<int>(std::min<int64_t>(NR, cols - j * NR)), kc, a, Bp + j * depth_b * NR + k0 * NR,
                                    yt + j * NR, ldy, init_of(k0, i));
                }
            }
        }
    }
#endif
}
