// Gemm: Y = alpha * A' * B' + beta * C (A', B' optionally transposed; C broadcast
// unidirectionally), on the packed float32 GEMM (blocking.hpp) or the reference loop.
#ifndef MUTINY_OPS_GEMM_GEMM_HPP_
#define MUTINY_OPS_GEMM_GEMM_HPP_

#include <vector>

#include "../common.hpp"
#include "blocking.hpp"
#if MUTINY_WITH_OPENCL
#include "../../exec/opencl/tiled_gemm.hpp"
#endif

namespace mutiny {
namespace gemm {

// ---- Gemm ------------------------------------------------------------------------------------------

inline void gemm_infer(InferContext& c) {
    c.expect_inputs(2, 3);
    for (size_t i = 0; i < 3; ++i) {
        if (!c.has_input(i)) continue;
        if (!is_supported_float(c.dtype(i)))
            c.fail("unsupported input dtype", "input " + std::to_string(i) + " is " + dtype_name(c.dtype(i)) + "; Gemm supports f32, f64 and f16");
        if (c.dtype(i) != c.dtype(0))
            c.fail("input dtypes differ", std::string("input 0 is ") + dtype_name(c.dtype(0)) + ", input " + std::to_string(i) + " is " + dtype_name(c.dtype(i)));
    }
    const Shape& a = c.shape(0);
    const Shape& b = c.shape(1);
    if (a.rank() != 2) c.fail("Gemm input A is not a matrix", "A has shape " + a.str() + ", rank 2 is required");
    if (b.rank() != 2) c.fail("Gemm input B is not a matrix", "B has shape " + b.str() + ", rank 2 is required");
    const bool ta = c.attrs().get_int("transA", 0) != 0, tb = c.attrs().get_int("transB", 0) != 0;
    const int64_t M = ta ? a[1] : a[0], Ka = ta ? a[0] : a[1];
    const int64_t Kb = tb ? b[1] : b[0], N = tb ? b[0] : b[1];
    if (Ka != Kb)
        c.fail("Gemm inner dimensions differ",
               "A" + std::string(ta ? "^T" : "") + " is " + std::to_string(M) + "x" + std::to_string(Ka) + " (A " + a.str() +
                   "), B" + (tb ? "^T" : "") + " is " + std::to_string(Kb) + "x" + std::to_string(N) + " (B " + b.str() + ")");
    const Shape out{M, N};
    if (c.has_input(2)) {
        const Shape& cs = c.shape(2);
        bool ok = cs.rank() <= 2;
        if (ok) {
            for (size_t i = 0; i < cs.rank(); ++i) {
                const int64_t want = out[2 - cs.rank() + i];
                if (cs[i] != 1 && cs[i] != want) ok = false;
            }
        }
        if (!ok) c.fail("Gemm bias C does not broadcast to [M,N]", "C has shape " + cs.str() + ", the result is " + out.str());
    }
    c.set_output(0, c.dtype(0), out);
}

// Fills y[M,N] (ldy) with beta * C broadcast (or zeros).
inline void fill_bias(int64_t m0, int64_t m1, int64_t n0, int64_t n1, float* y, int64_t ldy, const float* cp,
                      int64_t csm, int64_t csn, float beta) {
    for (int64_t m = m0; m < m1; ++m) {
        float* row = y + (m - m0) * ldy;
        const int64_t w = n1 - n0;
        if (!cp || beta == 0.0f) {
            std::fill(row, row + w, 0.0f);
        } else if (csn == 0) {
            const float v = beta * cp[m * csm];
            std::fill(row, row + w, v);
        } else if (beta == 1.0f) {
            const float* src = cp + m * csm + n0 * csn;
            for (int64_t j = 0; j < w; ++j) row[j] = src[j * csn];
        } else {
            const float* src = cp + m * csm + n0 * csn;
            for (int64_t j = 0; j < w; ++j) row[j] = beta * src[j * csn];
        }
    }
}

inline Kernel gemm_prepare(const PrepareContext& pc) {
    const bool ta = pc.attrs().get_int("transA", 0) != 0, tb = pc.attrs().get_int("transB", 0) != 0;
    const double alpha = pc.attrs().get_float("alpha", 1.0), beta = pc.attrs().get_float("beta", 1.0);
    const SiteConfig sites = pc.sites;
    const bool mutated = !sites.is_default();  // decided once: the default path never looks at sites
    const DType dt = pc.in[0].dtype;
    if (dt != DType::f32) {
        return [ta, tb, alpha, beta, sites](ExecContext& c) {
            const Tensor& A = c.input(0);
            const Tensor& B = c.input(1);
            Tensor& Y = *c.out[0];
            const int64_t M = Y.shape()[0], N = Y.shape()[1];
            const int64_t K = ta ? A.shape()[0] : A.shape()[1];
            const int64_t Ke = sites.reduction_drop_last && K > 0 ? K - 1 : K;
            const int64_t ars = ta ? 1 : K, acs = ta ? M : 1;
            const int64_t brs = tb ? 1 : N, bcs = tb ? K : 1;
            std::vector<int64_t> cstr{0, 0};
            const Tensor* Cp = c.has(2) ? c.in[2] : nullptr;
            if (Cp) cstr = broadcast_strides(Cp->shape(), Shape{M, N});
            dispatch_dtype(A.dtype(), [&](auto tag) {
                using T = decltype(tag);
                if constexpr (std::is_same_v<T, double> || std::is_same_v<T, half>) {
                    const T* cp = Cp ? Cp->data<T>() : nullptr;
                    ref_gemm<T>(M, N, Ke, alpha, A.data<T>(), ars, acs, B.data<T>(), brs, bcs, Y.data<T>(), N,
                                [&](int64_t m, int64_t n) -> compute_t<T> {
                                    return cp ? static_cast<compute_t<T>>(beta) * load(cp[m * cstr[0] + n * cstr[1]]) : compute_t<T>(0);
                                });
                } else {
                    throw Error("unsupported dtype", Graph::where(*c.node), dtype_name(A.dtype()));
                }
            });
        };
    }
    // float32: a constant B is packed once into NR-column panels (full depth K).
    Tensor packed;
    const Tensor* bconst = pc.consts.size() > 1 ? pc.consts[1] : nullptr;
    if (bconst && bconst->dtype() == DType::f32) {
        const int64_t K = tb ? bconst->shape()[1] : bconst->shape()[0], N = tb ? bconst->shape()[0] : bconst->shape()[1];
        packed = Tensor(DType::f32, Shape{packed_b_size(N, K)});
        pack_b(bconst->data<float>(), tb ? 1 : N, tb ? K : 1, N, K, packed.data<float>());
    }
    const float falpha = static_cast<float>(alpha), fbeta = static_cast<float>(beta);
    return [ta, tb, falpha, fbeta, sites, mutated, packed](ExecContext& c) {
        const Tensor& A = c.input(0);
        Tensor& Y = *c.out[0];
        const int64_t M = Y.shape()[0], N = Y.shape()[1];
        const int64_t K = ta ? A.shape()[0] : A.shape()[1];
        const int64_t Ke = sites.reduction_drop_last && K > 0 ? K - 1 : K;
        const Tensor* Cp = c.has(2) ? c.in[2] : nullptr;
        const float* cp = Cp ? Cp->data<float>() : nullptr;
        int64_t csm = 0, csn = 0;
        if (Cp) {
            const auto s = broadcast_strides(Cp->shape(), Shape{M, N});
            csm = s[0];
            csn = s[1];
        }
        GemmOperands op;
        op.A = A.data<float>();
        op.ars = ta ? 1 : K;
        op.acs = ta ? M : 1;
        op.Bpk = packed.empty() ? nullptr : packed.data<float>();
        op.B = packed.empty() ? c.input(1).data<float>() : nullptr;
        op.brs = tb ? 1 : N;
        op.bcs = tb ? K : 1;
        const Blocks bl = plan_blocks(M, N, Ke, 1, op.Bpk != nullptr);
        run_gemm(1, M, N, K, Ke, falpha, op, Y.data<float>(), bl, mutated ? &sites : nullptr, cp == nullptr || fbeta == 0.0f,
                 [&](int64_t, int64_t m0, int64_t m1, int64_t n0, int64_t n1, float* y) { fill_bias(m0, m1, n0, n1, y, N, cp, csm, csn, fbeta); });
    };
}


#if MUTINY_WITH_OPENCL
// kernels/gemm.cl, shared by Gemm and MatMul: Y[b] = alpha * A[b] * B[b] + beta * C over nprod
// products; meta = {M, N, K, a row/col strides, b row/col strides, C strides, has C}.
inline bool plan_gemm_opencl(opencl::NodePlanner& p) {
    if (!p.float_kernel()) return false;
    const bool ta = p.attrs().get_int("transA", 0) != 0, tb = p.attrs().get_int("transB", 0) != 0;
    const Shape& as = p.in_type(0).shape;
    opencl::TiledGemm g;
    g.M = p.out_type().shape[0];
    g.N = p.out_type().shape[1];
    g.K = ta ? as[0] : as[1];
    g.ars = ta ? 1 : g.K;
    g.acs = ta ? g.M : 1;
    g.brs = tb ? 1 : g.N;
    g.bcs = tb ? g.K : 1;
    g.alpha = p.attrs().get_float("alpha", 1.0);
    g.beta = p.attrs().get_float("beta", 1.0);
    g.has_c = p.has_input(2);
    if (g.has_c) {
        const auto cs = broadcast_strides(p.in_type(2).shape, Shape{g.M, g.N});
        g.csm = cs[0];
        g.csn = cs[1];
    }
    opencl::plan_tiled_gemm(p, p.in(0), p.in(1), g.has_c ? p.in(2) : p.in(0), g);
    return true;
}
#endif

// A neuron of a Gemm is an output column: with constant f32 weights and a per-column (or scalar)
// bias, some columns can be computed alone from the weights sliced to them.
inline bool gemm_units(const Graph& g, const Node& n, UnitAxes& axes) {
    if (n.inputs.size() < 2 || n.inputs[1] < 0) return false;
    const Value& w = g.value(n.inputs[1]);
    if (!w.is_constant() || w.dtype != DType::f32) return false;
    if (n.inputs.size() >= 3 && n.inputs[2] >= 0) {
        const Value& c = g.value(n.inputs[2]);
        if (!c.is_constant() || c.shape.rank() > 1) return false;
    }
    axes.weight_axis = n.attrs.get_int("transB", 0) ? 0 : 1;
    axes.output_axis = 1;
    return true;
}

inline void register_gemm(Registry& r) {
    OpDef& d = r.add(OpDef{
    "Gemm",
    [](ImportContext& ic) {
        // Opsets 1-6 had `broadcast`; C's broadcasting is always unidirectional since opset 7.
        if (ic.opset < 7) ic.node->attrs.erase("broadcast");
    },
    gemm_infer, gemm_prepare});
    d.sites.store = true;
    d.sites.reduction = true;
    d.units = gemm_units;
#if MUTINY_WITH_OPENCL
    d.plan_opencl = plan_gemm_opencl;
#endif
}

}  // namespace gemm
}  // namespace mutiny

#endif  // MUTINY_OPS_GEMM_GEMM_HPP_
