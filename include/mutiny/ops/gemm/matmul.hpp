// MatMul with numpy semantics (broadcast batch dimensions, 1-D operands promoted), on the packed
// float32 GEMM (blocking.hpp) or the reference loop.
#ifndef MUTINY_OPS_GEMM_MATMUL_HPP_
#define MUTINY_OPS_GEMM_MATMUL_HPP_

#include <vector>

#include "../common.hpp"
#include "blocking.hpp"
#include "gemm.hpp"
#if MUTINY_WITH_OPENCL
#include "../../exec/opencl/tiled_gemm.hpp"
#endif

namespace mutiny {
namespace gemm {

// ---- MatMul (numpy semantics) ---------------------------------------------------------------------

struct MatMulShapes {
    Shape batch;      // broadcast batch dims
    int64_t M = 1, K = 1, N = 1;
    Shape out;
    std::vector<int64_t> a_bstr, b_bstr;  // element strides of A's / B's matrices per batch dim (0 = broadcast)
};

// `fail` reports an error (InferContext::fail or a thrower).
template <class Fail>
MatMulShapes matmul_shapes(const Shape& a, const Shape& b, Fail fail) {
    if (a.rank() == 0 || b.rank() == 0)
        fail("MatMul operand is a scalar", "A has shape " + a.str() + ", B has shape " + b.str() + "; rank >= 1 is required");
    MatMulShapes r;
    std::vector<int64_t> ad = a.dims(), bd = b.dims();
    const bool a1 = ad.size() == 1, b1 = bd.size() == 1;
    if (a1) ad.insert(ad.begin(), 1);
    if (b1) bd.push_back(1);
    r.M = ad[ad.size() - 2];
    r.K = ad[ad.size() - 1];
    r.N = bd[bd.size() - 1];
    if (bd[bd.size() - 2] != r.K)
        fail("MatMul inner dimensions differ", "A " + a.str() + " has K = " + std::to_string(r.K) + ", B " + b.str() +
                                                   " has K = " + std::to_string(bd[bd.size() - 2]));
    const Shape ab(std::vector<int64_t>(ad.begin(), ad.end() - 2));
    const Shape bb(std::vector<int64_t>(bd.begin(), bd.end() - 2));
    const size_t rr = std::max(ab.rank(), bb.rank());
    std::vector<int64_t> bat(rr);
    for (size_t i = 0; i < rr; ++i) {
        const int64_t da = i < rr - ab.rank() ? 1 : ab[i - (rr - ab.rank())];
        const int64_t db = i < rr - bb.rank() ? 1 : bb[i - (rr - bb.rank())];
        if (da == db || db == 1) bat[i] = da;
        else if (da == 1) bat[i] = db;
        else
            fail("MatMul batch dimensions do not broadcast", "A " + a.str() + " and B " + b.str() + " differ at batch axis " + std::to_string(i));
    }
    r.batch = Shape(bat);
    auto bstrides = [&](const Shape& s, int64_t mat) {
        std::vector<int64_t> st(rr, 0);
        int64_t acc = mat;
        for (size_t i = s.rank(); i-- > 0;) {
            st[rr - s.rank() + i] = s[i] == 1 ? 0 : acc;
            acc *= s[i];
        }
        return st;
    };
    r.a_bstr = bstrides(ab, r.M * r.K);
    r.b_bstr = bstrides(bb, r.K * r.N);
    std::vector<int64_t> o = bat;
    if (!a1) o.push_back(r.M);
    if (!b1) o.push_back(r.N);
    r.out = Shape(o);
    return r;
}

inline void matmul_infer(InferContext& c) {
    c.expect_inputs(2, 2);
    for (size_t i = 0; i < 2; ++i)
        if (!is_supported_float(c.dtype(i)))
            c.fail("unsupported input dtype", "input " + std::to_string(i) + " is " + dtype_name(c.dtype(i)) + "; MatMul supports f32, f64 and f16");
    if (c.dtype(0) != c.dtype(1))
        c.fail("input dtypes differ", std::string(dtype_name(c.dtype(0))) + " and " + dtype_name(c.dtype(1)));
    const auto r = matmul_shapes(c.shape(0), c.shape(1), [&](const std::string& w, const std::string& y) { c.fail(w, y); });
    c.set_output(0, c.dtype(0), r.out);
}

inline Kernel matmul_prepare(const PrepareContext& pc) {
    const SiteConfig sites = pc.sites;
    const bool mutated = !sites.is_default();
    const std::string where = pc.where();
    auto thrower = [where](const std::string& w, const std::string& y) -> void { throw Error(w, where, y); };
    const MatMulShapes sh = matmul_shapes(pc.in[0].shape, pc.in[1].shape, thrower);
    const int64_t M = sh.M, K = sh.K, N = sh.N;
    const int64_t Ke = sites.reduction_drop_last && K > 0 ? K - 1 : K;
    const int64_t nbatch = sh.batch.numel();
    // B without batch dims: A's batch folds into M (one [batch*M, K] x [K, N] product).
    const bool fold = pc.in[1].shape.rank() <= 2;
    if (pc.in[0].dtype != DType::f32) {
        return [Ke, where](ExecContext& c) {
            const Tensor& A = c.input(0);
            const Tensor& B = c.input(1);
            Tensor& Y = *c.out[0];
            const MatMulShapes sh = matmul_shapes(A.shape(), B.shape(), [&](const std::string& w, const std::string& y) -> void { throw Error(w, where, y); });
            const int64_t nbatch = sh.batch.numel();
            dispatch_dtype(A.dtype(), [&](auto tag) {
                using T = decltype(tag);
                if constexpr (std::is_same_v<T, double> || std::is_same_v<T, half>) {
                    const T* ap = A.data<T>();
                    const T* bp = B.data<T>();
                    T* yp = Y.data<T>();
                    const auto bs = sh.batch.strides();
                    for (int64_t bi = 0; bi < nbatch; ++bi) {
                        int64_t ao = 0, bo = 0;
                        for (size_t d = 0; d < sh.batch.rank(); ++d) {
                            const int64_t idx = (bi / bs[d]) % sh.batch[d];
                            ao += idx * sh.a_bstr[d];
                            bo += idx * sh.b_bstr[d];
                        }
                        ref_gemm<T>(sh.M, sh.N, Ke, 1.0, ap + ao, sh.K, 1, bp + bo, sh.N, 1, yp + bi * sh.M * sh.N, sh.N,
                                    [](int64_t, int64_t) { return compute_t<T>(0); });
                    }
                } else {
                    throw Error("unsupported dtype", Graph::where(*c.node), dtype_name(A.dtype()));
                }
            });
        };
    }
    // float32. A constant B without batch dims is packed once into NR-column panels.
    Tensor packed;
    const Tensor* bconst = pc.consts.size() > 1 ? pc.consts[1] : nullptr;
    if (bconst && fold) {
        packed = Tensor(DType::f32, Shape{packed_b_size(N, K)});
        pack_b(bconst->data<float>(), N, 1, N, K, packed.data<float>());
    }
    const Shape ashape = pc.in[0].shape, bshape = pc.in[1].shape;
    const Blocks bl0 = plan_blocks(fold ? nbatch * M : M, N, Ke, fold ? 1 : nbatch, !packed.empty());
    return [sh0 = sh, ashape, bshape, fold, bl0, packed, sites, mutated, where](ExecContext& c) {
        // Shapes are those of prepare() unless the batch changed: then re-derive them.
        MatMulShapes sh = sh0;
        const bool changed = c.input(0).shape() != ashape || c.input(1).shape() != bshape;
        if (changed) {
            sh = matmul_shapes(c.input(0).shape(), c.input(1).shape(),
                               [&](const std::string& w, const std::string& y) -> void { throw Error(w, where, y); });
            if (sh.K != sh0.K || sh.N != sh0.N || (!packed.empty() && c.input(1).shape() != bshape))
                throw Error("MatMul input shapes changed since prepare", where, "A " + c.input(0).shape().str() + ", B " + c.input(1).shape().str());
        }
        const int64_t nbatch = sh.batch.numel();
        const int64_t Mr = fold ? nbatch * sh.M : sh.M;  // rows per product
        const int64_t nprod = fold ? 1 : nbatch;
        const int64_t Ke = sites.reduction_drop_last && sh.K > 0 ? sh.K - 1 : sh.K;
        const Blocks bl = changed ? plan_blocks(Mr, sh.N, Ke, nprod, !packed.empty()) : bl0;
        const int64_t K = sh.K, N = sh.N;
        GemmOperands op;
        op.A = c.input(0).data<float>();
        op.ars = K;
        op.acs = 1;
        op.Bpk = packed.empty() ? nullptr : packed.data<float>();
        op.B = packed.empty() ? c.input(1).data<float>() : nullptr;
        op.brs = N;
        op.bcs = 1;
        std::vector<int64_t> aoff, boff;
        if (nprod > 1) {
            const auto bs = sh.batch.strides();
            aoff.resize(static_cast<size_t>(nprod));
            boff.resize(static_cast<size_t>(nprod));
            for (int64_t bi = 0; bi < nprod; ++bi) {
                int64_t ao = 0, bo = 0;
                for (size_t d = 0; d < sh.batch.rank(); ++d) {
                    const int64_t idx = (bi / bs[d]) % sh.batch[d];
                    ao += idx * sh.a_bstr[d];
                    bo += idx * sh.b_bstr[d];
                }
                aoff[static_cast<size_t>(bi)] = ao;
                boff[static_cast<size_t>(bi)] = bo;
            }
            op.aoff = aoff.data();
            op.boff = boff.data();
        }
        run_gemm(nprod, Mr, N, K, Ke, 1.0f, op, c.out[0]->data<float>(), bl, mutated ? &sites : nullptr, true,
                 [&](int64_t, int64_t m0, int64_t m1, int64_t n0, int64_t n1, float* y) {
                     for (int64_t m = 0; m < m1 - m0; ++m) std::fill(y + m * N, y + m * N + (n1 - n0), 0.0f);
                 });
    };
}

#if MUTINY_WITH_OPENCL
inline bool plan_matmul_opencl(opencl::NodePlanner& p) {
    if (!p.float_kernel()) return false;
    const std::string where = p.where();
    const auto sh = matmul_shapes(p.in_type(0).shape, p.in_type(1).shape,
                                  [&](const std::string& w, const std::string& y) -> void { throw Error(w, where, y); });
    const size_t nprod = static_cast<size_t>(sh.batch.numel());
    opencl::TiledGemm g = opencl::TiledGemm::row_major(sh.M, sh.N, sh.K);
    g.coff.assign(nprod, 0);
    std::vector<int>& aoff = g.aoff;
    std::vector<int>& boff = g.boff;
    aoff.assign(nprod, 0);
    boff.assign(nprod, 0);
    const auto bst = sh.batch.strides();
    for (size_t bi = 0; bi < nprod; ++bi) {
        int64_t ao = 0, bo = 0;
        for (size_t d = 0; d < sh.batch.rank(); ++d) {
            const int64_t idx = (static_cast<int64_t>(bi) / bst[d]) % sh.batch[d];
            ao += idx * sh.a_bstr[d];
            bo += idx * sh.b_bstr[d];
        }
        aoff[bi] = static_cast<int>(ao);
        boff[bi] = static_cast<int>(bo);
    }
    opencl::plan_tiled_gemm(p, p.in(0), p.in(1), p.in(0), g);
    return true;
}
#endif

// A neuron of a MatMul with a constant 2-D f32 right operand is an output column.
inline bool matmul_units(const Graph& g, const Node& n, UnitAxes& axes) {
    if (n.inputs.size() < 2 || n.inputs[1] < 0) return false;
    const Value& w = g.value(n.inputs[1]);
    if (!w.is_constant() || w.dtype != DType::f32 || w.shape.rank() != 2) return false;
    axes.weight_axis = 1;
    axes.output_axis = g.value(n.outputs.at(0)).shape.rank() - 1;
    return true;
}

inline void register_matmul(Registry& r) {
    OpDef& d = r.add(OpDef{"MatMul", nullptr, matmul_infer, matmul_prepare});
    d.sites.store = true;
    d.sites.reduction = true;
    d.units = matmul_units;
#if MUTINY_WITH_OPENCL
    d.plan_opencl = plan_matmul_opencl;
#endif
}

}  // namespace gemm
}  // namespace mutiny

#endif  // MUTINY_OPS_GEMM_MATMUL_HPP_
