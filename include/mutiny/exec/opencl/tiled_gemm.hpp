// Planning one tiled GEMM (kernels/gemm.cl) for a node: Gemm, MatMul and Conv (1x1 as a plain
// GEMM, others with the kernel's fused im2col) describe their products and call plan_tiled_gemm,
// which picks the tile parameters (tuner cache or defaults, gemm_tuning.hpp), builds the kernel
// with them and sets the node's step.
#ifndef MUTINY_EXEC_OPENCL_TILED_GEMM_HPP_
#define MUTINY_EXEC_OPENCL_TILED_GEMM_HPP_

#if MUTINY_WITH_OPENCL

#include <vector>

#include "gemm_tuning.hpp"
#include "planner.hpp"

namespace mutiny {
namespace opencl {

// Products Y_p = init + alpha * A_p B_p (kernels/gemm.cl's header gives the layout).
struct TiledGemm {
    int64_t M = 0, N = 0, K = 0;
    int64_t ars = 0, acs = 0, brs = 0, bcs = 0;  // A and B strides
    int64_t csm = 0, csn = 0;                    // C strides (broadcast: 0)
    bool has_c = false;
    double alpha = 1.0, beta = 0.0;
    std::vector<int> im2col;                     // the convolution geometry (18 ints), or empty
    std::vector<int> aoff{0}, boff{0}, coff{0};  // per product

    // Row-major A (M x K) and B (K x N), no bias: MatMul's products.
    static TiledGemm row_major(int64_t M, int64_t N, int64_t K) {
        TiledGemm g;
        g.M = M;
        g.N = N;
        g.K = K;
        g.ars = K;
        g.acs = 1;
        g.brs = N;
        g.bcs = 1;
        return g;
    }

    std::vector<int> meta() const {
        std::vector<int> m = NodePlanner::to_int({M, N, K, ars, acs, brs, bcs, csm, csn, has_c ? 1 : 0, im2col.empty() ? 0 : 1});
        m.insert(m.end(), im2col.begin(), im2col.end());
        return m;
    }
};

// Global and local sizes of the launch of `g` with parameters `t`.
inline std::pair<std::array<size_t, 3>, std::array<size_t, 3>> tiled_gemm_range(const TiledGemm& g, const GemmParams& t) {
    auto tiles = [](int64_t n, int tile) { return static_cast<size_t>((n + tile - 1) / tile); };
    return {{tiles(g.N, t.tn) * static_cast<size_t>(t.wn), tiles(g.M, t.tm) * static_cast<size_t>(t.wm), g.aoff.size()},
            {static_cast<size_t>(t.wn), static_cast<size_t>(t.wm), 1}};
}

// Sets the node's step to the GEMM `g` over device buffers a, b and c (c unused without has_c).
inline void plan_tiled_gemm(NodePlanner& p, cl_mem a, cl_mem b, cl_mem c, const TiledGemm& g) {
    const DType t = p.out_type().dtype;
    const GemmParams tp = gemm_params(p.device(), p.options().binary_cache_dir, g.M, g.N, g.K, t == DType::f64 ? 8 : 4);
    cl_kernel k = p.kernel("gemm", "gemm", t, tp.options());
    p.arg(k, 0, a);
    p.arg(k, 1, b);
    p.arg(k, 2, c);
    p.arg(k, 3, p.out());
    p.arg(k, 4, p.meta(g.meta()));
    p.arg(k, 5, p.meta(g.aoff));
    p.arg(k, 6, p.meta(g.boff));
    p.arg(k, 7, p.meta(g.coff));
    p.arg_c(k, 8, g.alpha, t);
    p.arg_c(k, 9, g.beta, t);
    const auto r = tiled_gemm_range(g, tp);
    p.run(p.launch_local(k, r.first, r.second));
}

}  // namespace opencl
}  // namespace mutiny

#endif  // MUTINY_WITH_OPENCL
#endif  // MUTINY_EXEC_OPENCL_TILED_GEMM_HPP_
