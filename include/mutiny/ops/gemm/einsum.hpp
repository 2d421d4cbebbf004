// Einsum (opset 12): numpy's einsum over any number of operands. The equation's terms name each
// operand's axes by letters, "..." standing for leading axes broadcast across operands (right
// aligned, size 1 against n); the output is explicit ("->") or implicit (the ellipsis axes, then the
// letters used once, in ASCII order). A letter repeated within a term takes that operand's diagonal;
// letters absent from the output are summed.
// Two f32 operands without diagonals, broadcasts or letters of one operand alone summed are a
// batched matrix product: each is permuted to [batch, M, K] / [batch, K, N] and multiplied by the
// project GEMM (blocking.hpp). Everything else runs a direct loop: each output element summed over
// the summed letters in one fixed order (double for floats, int64 for integers), so results never
// depend on the thread count.
#ifndef MUTINY_OPS_GEMM_EINSUM_HPP_
#define MUTINY_OPS_GEMM_EINSUM_HPP_

#include <algorithm>
#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "../shape/copy.hpp"
#include "blocking.hpp"

namespace mutiny {
namespace gemm {

// Labels: 'A'..'Z' and 'a'..'z' as their ASCII codes; ellipsis axis j (of E, right aligned) as 256 + j.
struct EinsumPlan {
    std::vector<std::vector<int>> terms;  // per operand, the label of each axis
    std::vector<int> out;                 // the output's labels
    std::vector<int> summed;              // labels not in the output
    std::vector<int64_t> size;            // by label (index up to 256 + E)
    Shape out_shape;
};

inline std::vector<int> einsum_term(const std::string& t, int64_t rank, int ell, bool is_output, const std::string& eq, const std::string& where) {
    auto bad = [&](const std::string& why) -> void { throw Error("invalid Einsum equation '" + eq + "'", where, why); };
    std::vector<int> labels;
    bool seen_ell = false;
    size_t ell_pos = 0;
    for (size_t i = 0; i < t.size(); ++i) {
        const char ch = t[i];
        if (ch == '.') {
            if (seen_ell || t.compare(i, 3, "...") != 0) bad("'.' outside one '...' in term '" + t + "'");
            seen_ell = true;
            ell_pos = labels.size();
            i += 2;
        } else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) {
            labels.push_back(static_cast<unsigned char>(ch));
        } else {
            bad(std::string("character '") + ch + "' in term '" + t + "'; letters and '...' are allowed");
        }
    }
    const int64_t n = static_cast<int64_t>(labels.size());
    int64_t e = 0;
    if (is_output) {
        e = seen_ell ? ell : 0;
    } else {
        if (seen_ell ? rank < n : rank != n)
            bad("term '" + t + "' names " + std::to_string(n) + " axes" + (seen_ell ? " and '...'" : "") + " for an operand of rank " + std::to_string(rank));
        e = seen_ell ? rank - n : 0;
    }
    std::vector<int> ellipsis;
    for (int64_t j = 0; j < e; ++j) ellipsis.push_back(256 + ell - static_cast<int>(e) + static_cast<int>(j));
    labels.insert(labels.begin() + static_cast<std::ptrdiff_t>(ell_pos), ellipsis.begin(), ellipsis.end());
    return labels;
}

inline EinsumPlan einsum_plan(const std::string& equation, const std::vector<Shape>& shapes, const std::string& where) {
    std::string eq;
    for (const char ch : equation)
        if (ch != ' ') eq += ch;
    const size_t arrow = eq.find("->");
    const std::string lhs = eq.substr(0, arrow);
    std::vector<std::string> terms;
    for (size_t b = 0;;) {
        const size_t c = lhs.find(',', b);
        terms.push_back(lhs.substr(b, c == std::string::npos ? std::string::npos : c - b));
        if (c == std::string::npos) break;
        b = c + 1;
    }
    if (terms.size() != shapes.size())
        throw Error("Einsum equation and inputs disagree", where,
                    "'" + equation + "' has " + std::to_string(terms.size()) + " operand terms, " + std::to_string(shapes.size()) + " inputs given");
    // The ellipsis rank: the most axes any operand's "..." covers.
    int ell = 0;
    for (size_t i = 0; i < terms.size(); ++i) {
        const size_t p = terms[i].find("...");
        if (p == std::string::npos) continue;
        int letters = 0;
        for (const char ch : terms[i]) letters += ch != '.';
        ell = std::max(ell, static_cast<int>(shapes[i].rank()) - letters);
    }
    EinsumPlan pl;
    pl.size.assign(static_cast<size_t>(256 + ell), -1);
    std::vector<int> uses(pl.size.size(), 0);
    for (size_t i = 0; i < terms.size(); ++i) {
        pl.terms.push_back(einsum_term(terms[i], static_cast<int64_t>(shapes[i].rank()), ell, false, equation, where));
        for (size_t a = 0; a < pl.terms[i].size(); ++a) {
            const int l = pl.terms[i][a];
            const int64_t d = shapes[i][a];
            int64_t& s = pl.size[static_cast<size_t>(l)];
            ++uses[static_cast<size_t>(l)];
            if (s < 0 || (l >= 256 && s == 1)) s = d;
            else if (d != s && !(l >= 256 && d == 1))
                throw Error("Einsum index of inconsistent size", where,
                            (l >= 256 ? std::string("an axis of '...'") : std::string("index '") + static_cast<char>(l) + "'") + " is " + std::to_string(s) +
                                " in one place and " + std::to_string(d) + " in input " + std::to_string(i) + " (shape " + shapes[i].str() + ")");
        }
    }
    if (arrow != std::string::npos) {
        pl.out = einsum_term(eq.substr(arrow + 2), 0, ell, true, equation, where);
        for (size_t a = 0; a < pl.out.size(); ++a) {
            const int l = pl.out[a];
            if (pl.size[static_cast<size_t>(l)] < 0)
                throw Error("invalid Einsum equation '" + equation + "'", where, std::string("output index '") + static_cast<char>(l) + "' names no input axis");
            if (std::count(pl.out.begin(), pl.out.end(), l) > 1)
                throw Error("invalid Einsum equation '" + equation + "'", where, std::string("output index '") + static_cast<char>(l) + "' repeated");
        }
    } else {
        for (int j = 0; j < ell; ++j) pl.out.push_back(256 + j);
        for (int l = 0; l < 256; ++l)
            if (uses[static_cast<size_t>(l)] == 1) pl.out.push_back(l);
    }
    std::vector<int64_t> od;
    for (const int l : pl.out) od.push_back(pl.size[static_cast<size_t>(l)]);
    pl.out_shape = Shape(od);
    for (size_t l = 0; l < pl.size.size(); ++l)
        if (pl.size[l] >= 0 && std::find(pl.out.begin(), pl.out.end(), static_cast<int>(l)) == pl.out.end()) pl.summed.push_back(static_cast<int>(l));
    return pl;
}

// Element stride of each label in operand i: the sum over its axes with that label (a diagonal),
// 0 where the label is absent or broadcast (size 1 against n).
inline std::vector<int64_t> einsum_strides(const EinsumPlan& pl, size_t i, const Shape& s) {
    std::vector<int64_t> st(pl.size.size(), 0);
    const auto as = s.strides();
    for (size_t a = 0; a < pl.terms[i].size(); ++a) {
        const int l = pl.terms[i][a];
        if (s[a] == pl.size[static_cast<size_t>(l)]) st[static_cast<size_t>(l)] += as[a];
    }
    return st;
}

template <class T>
void einsum_direct(const EinsumPlan& pl, const std::vector<const Tensor*>& in, Tensor& y) {
    using Acc = std::conditional_t<std::is_integral_v<T>, int64_t, double>;
    const size_t nops = in.size();
    std::vector<std::vector<int64_t>> st;
    std::vector<const T*> ptr;
    for (size_t i = 0; i < nops; ++i) {
        st.push_back(einsum_strides(pl, i, in[i]->shape()));
        ptr.push_back(static_cast<const T*>(in[i]->raw()));
    }
    // Per operand, the strides of the output's and the summed labels, in loop order.
    std::vector<int64_t> osz, ssz;
    for (const int l : pl.out) osz.push_back(pl.size[static_cast<size_t>(l)]);
    for (const int l : pl.summed) ssz.push_back(pl.size[static_cast<size_t>(l)]);
    int64_t nsum = 1;
    for (const int64_t d : ssz) nsum *= d;
    T* yp = static_cast<T*>(y.raw());
    const int64_t total = y.numel();
    parallel_chunks(total, grain_for(total, nsum * static_cast<int64_t>(nops) + 1), [&](int64_t b, int64_t e) {
        std::vector<int64_t> base(nops), idx(ssz.size());
        for (int64_t o = b; o < e; ++o) {
            int64_t rem = o;
            std::fill(base.begin(), base.end(), 0);
            for (size_t a = pl.out.size(); a-- > 0;) {
                const int64_t v = rem % osz[a];
                rem /= osz[a];
                for (size_t i = 0; i < nops; ++i) base[i] += v * st[i][static_cast<size_t>(pl.out[a])];
            }
            Acc acc = 0;
            std::fill(idx.begin(), idx.end(), 0);
            for (int64_t k = 0; k < nsum; ++k) {
                Acc p = 1;
                for (size_t i = 0; i < nops; ++i) {
                    int64_t off = base[i];
                    for (size_t s = 0; s < idx.size(); ++s) off += idx[s] * st[i][static_cast<size_t>(pl.summed[s])];
                    p *= static_cast<Acc>(load(ptr[i][off]));
                }
                acc += p;
                for (size_t s = idx.size(); s-- > 0;) {
                    if (++idx[s] < ssz[s]) break;
                    idx[s] = 0;
                }
            }
            if constexpr (std::is_same_v<T, half>) yp[o] = shape_ops::half_from_double(acc);
            else yp[o] = static_cast<T>(acc);
        }
    });
}

// Whether two f32 operands are a batched matrix product (see the file comment).
inline bool einsum_is_matmul(const EinsumPlan& pl, const std::vector<Shape>& s) {
    if (pl.terms.size() != 2) return false;
    for (size_t i = 0; i < 2; ++i) {
        const auto& t = pl.terms[i];
        const auto& o = pl.terms[1 - i];
        for (size_t a = 0; a < t.size(); ++a) {
            const int l = t[a];
            if (std::count(t.begin(), t.end(), l) > 1 || s[i][a] != pl.size[static_cast<size_t>(l)]) return false;
            const bool in_out = std::find(pl.out.begin(), pl.out.end(), l) != pl.out.end();
            if (!in_out && std::find(o.begin(), o.end(), l) == o.end()) return false;
        }
    }
    return true;
}

inline void einsum_matmul(const EinsumPlan& pl, const Tensor& a, const Tensor& b, Tensor& y) {
    const auto has = [](const std::vector<int>& v, int l) { return std::find(v.begin(), v.end(), l) != v.end(); };
    const auto& ta = pl.terms[0];
    const auto& tb = pl.terms[1];
    std::vector<int> batch, ms, ns, ks;
    for (const int l : pl.out) (has(ta, l) && has(tb, l) ? batch : has(ta, l) ? ms : ns).push_back(l);
    for (const int l : pl.summed) ks.push_back(l);
    auto prod = [&](const std::vector<int>& v) {
        int64_t p = 1;
        for (const int l : v) p *= pl.size[static_cast<size_t>(l)];
        return p;
    };
    const int64_t nb = prod(batch), M = prod(ms), N = prod(ns), K = prod(ks);
    // Operand i permuted to the label order `order` (contiguous).
    auto permuted = [&](const Tensor& t, size_t i, const std::vector<std::vector<int>>& groups) {
        const auto st = einsum_strides(pl, i, t.shape());
        std::vector<int64_t> dims, strides;
        for (const auto& g : groups)
            for (const int l : g) {
                dims.push_back(pl.size[static_cast<size_t>(l)]);
                strides.push_back(st[static_cast<size_t>(l)]);
            }
        Tensor r(DType::f32, Shape{t.numel()});
        shape_ops::strided_copy(t.raw(), r.raw(), 4, dims, strides, 0);
        return r;
    };
    const Tensor pa = permuted(a, 0, {batch, ms, ks}), pb = permuted(b, 1, {batch, ks, ns});
    std::vector<int> natural = batch;
    natural.insert(natural.end(), ms.begin(), ms.end());
    natural.insert(natural.end(), ns.begin(), ns.end());
    const bool direct = natural == pl.out;
    Tensor tmp = direct ? y : Tensor(DType::f32, Shape{nb * M * N});
    std::vector<int64_t> aoff(static_cast<size_t>(nb)), boff(static_cast<size_t>(nb));
    for (int64_t p = 0; p < nb; ++p) {
        aoff[static_cast<size_t>(p)] = p * M * K;
        boff[static_cast<size_t>(p)] = p * K * N;
    }
    GemmOperands op;
    op.A = pa.data<float>();
    op.ars = K;
    op.acs = 1;
    op.B = pb.data<float>();
    op.brs = N;
    op.bcs = 1;
    op.aoff = aoff.data();
    op.boff = boff.data();
    run_gemm(nb, M, N, K, K, 1.0f, op, tmp.data<float>(), plan_blocks(M, N, K, nb, false), nullptr, true,
             [&](int64_t, int64_t m0, int64_t m1, int64_t n0, int64_t n1, float* yb) {
                 for (int64_t m = 0; m < m1 - m0; ++m) std::fill(yb + m * N, yb + m * N + (n1 - n0), 0.0f);
             });
    if (direct) return;
    // tmp is [batch, M, N] in `natural` label order: gather it into the output's order.
    std::vector<int64_t> nst(natural.size());
    int64_t acc = 1;
    for (size_t j = natural.size(); j-- > 0;) {
        nst[j] = acc;
        acc *= pl.size[static_cast<size_t>(natural[j])];
    }
    std::vector<int64_t> dims, strides;
    for (const int l : pl.out) {
        dims.push_back(pl.size[static_cast<size_t>(l)]);
        strides.push_back(nst[static_cast<size_t>(std::find(natural.begin(), natural.end(), l) - natural.begin())]);
    }
    shape_ops::strided_copy(tmp.raw(), y.raw(), 4, dims, strides, 0);
}

inline void register_einsum(Registry& r) {
    r.add(OpDef{
        "Einsum", nullptr,
        [](InferContext& c) {
            if (!c.attrs().has("equation")) c.fail("missing attribute 'equation'", "Einsum needs its equation");
            std::vector<Shape> shapes;
            for (size_t i = 0; i < c.node().inputs.size(); ++i) {
                if (c.dtype(i) == DType::boolean) c.fail("unsupported Einsum dtype", "input " + std::to_string(i) + " is bool; a number type is required");
                if (c.dtype(i) != c.dtype(0))
                    c.fail("Einsum input dtypes differ", "input 0 is " + std::string(dtype_name(c.dtype(0))) + ", input " + std::to_string(i) + " is " + dtype_name(c.dtype(i)));
                shapes.push_back(c.shape(i));
            }
            if (shapes.empty()) c.fail("wrong number of inputs", "Einsum takes at least one");
            c.set_output(0, c.dtype(0), einsum_plan(c.attrs().get_string("equation", ""), shapes, c.where()).out_shape);
        },
        [](const PrepareContext& pc) -> Kernel {
            std::vector<Shape> shapes;
            for (const auto& t : pc.in) shapes.push_back(t.shape);
            const EinsumPlan pl = einsum_plan(pc.attrs().get_string("equation", ""), shapes, pc.where());
            const bool mm = pc.in[0].dtype == DType::f32 && einsum_is_matmul(pl, shapes);
            return [pl, mm](ExecContext& c) {
                if (mm) return einsum_matmul(pl, c.input(0), c.input(1), *c.out[0]);
                std::vector<const Tensor*> in;
                for (size_t i = 0; i < c.in.size(); ++i) in.push_back(&c.input(i));
                dispatch_dtype(in[0]->dtype(), [&](auto tag) { einsum_direct<decltype(tag)>(pl, in, *c.out[0]); });
            };
        },
        12});
}

}  // namespace gemm
}  // namespace mutiny

#endif  // MUTINY_OPS_GEMM_EINSUM_HPP_
