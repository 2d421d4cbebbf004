// What RNN, GRU and LSTM share: shape inference and validation, where a (time, batch) row lives
// in X, Y, Y_h under either layout, sequence lengths, and the products. A step's arithmetic is
// the op's own (rnn.hpp, gru.hpp, lstm.hpp).
//
// The products run on the project's GEMM: X·W^T for every time step at once (one [S*N, I] x
// [I, G*H] product per direction, the biases as its initial value), then per step H·R^T
// ([N, H] x [H, G*H]). float32 uses the packed GEMM (ops/gemm/blocking.hpp), weights packed once in
// prepare when they are constants; f64 a plain loop; f16 computes in float32. Every output element
// is one fixed chain of operations computed by one task, so results do not depend on the thread
// count (the GEMM's own argument, blocking.hpp; the per-step cell code is split by batch rows).
#ifndef MUTINY_OPS_RNN_COMMON_HPP_
#define MUTINY_OPS_RNN_COMMON_HPP_

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"
#include "../gemm/blocking.hpp"
#include "config.hpp"

namespace mutiny {
namespace rnn {

inline const char* input_name(size_t i) {
    static const char* names[] = {"X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"};
    return i < 8 ? names[i] : "?";
}

// Each sequence's length must be in [0, seq_length].
template <class Fail>
void check_lengths(const Tensor& lens, int64_t S, Fail fail) {
    const int32_t* p = lens.data<int32_t>();
    for (int64_t b = 0; b < lens.numel(); ++b)
        if (p[b] < 0 || p[b] > S)
            fail("sequence_lens[" + std::to_string(b) + "] = " + std::to_string(p[b]) + " out of range",
                 "lengths are in [0, seq_length = " + std::to_string(S) + "]");
}

inline void infer_rnn(InferContext& c, const Kind& k) {
    c.expect_inputs(3, k.max_inputs);
    if (c.node().outputs.size() > k.max_outputs)
        c.fail("too many outputs", std::to_string(c.node().outputs.size()) + " declared; " + k.op + " has " + std::to_string(k.max_outputs) +
                                       (k.max_outputs == 3 ? " (Y, Y_h, Y_c)" : " (Y, Y_h)"));
    const DType t = c.dtype(0);
    for (size_t i = 0; i < k.max_inputs; ++i) {
        if (!c.has_input(i)) continue;
        if (i == 4) {
            if (c.dtype(4) != DType::i32) c.fail("sequence_lens is " + std::string(dtype_name(c.dtype(4))), "it must be int32");
            continue;
        }
        if (!gemm::is_supported_float(c.dtype(i)))
            c.fail("unsupported input dtype", std::string(input_name(i)) + " is " + dtype_name(c.dtype(i)) + "; " + k.op + " supports f32, f64 and f16");
        if (c.dtype(i) != t)
            c.fail("input dtypes differ", std::string("X is ") + dtype_name(t) + ", " + input_name(i) + " is " + dtype_name(c.dtype(i)));
    }
    for (size_t i = 0; i < 3; ++i)
        if (c.shape(i).rank() != 3) c.fail(std::string(input_name(i)) + " has shape " + c.shape(i).str(), "rank 3 is required");
    const Config cfg = parse_config(c.attrs(), k, c.shape(2)[2], [&](const std::string& w, const std::string& y) { c.fail(w, y); });
    const Shape& x = c.shape(0);
    const int64_t D = cfg.dirs, H = cfg.hidden, G = k.gates;
    const int64_t S = cfg.layout1 ? x[1] : x[0], N = cfg.layout1 ? x[0] : x[1], I = x[2];
    const std::string setting = std::string(k.op) + " with hidden_size=" + std::to_string(H) + ", " + std::to_string(D) + " direction" +
                                (D == 2 ? "s" : "") + " and input_size=" + std::to_string(I) + " (X " + x.str() + ")";
    auto expect_shape = [&](size_t i, const Shape& want, const std::string& layout) {
        const Shape& s = c.shape(i);
        bool ok = s.rank() == want.rank();
        for (size_t j = 0; ok && j < s.rank(); ++j) ok = s[j] < 0 || want[j] < 0 || s[j] == want[j];
        if (!ok) c.fail(std::string(input_name(i)) + " has shape " + s.str() + ", expected " + want.str(), setting + ": " + input_name(i) + " is " + layout);
    };
    const std::string g = std::to_string(G);
    expect_shape(1, Shape{D, G * H, I}, "[directions, " + g + "*hidden_size, input_size]");
    expect_shape(2, Shape{D, G * H, H}, "[directions, " + g + "*hidden_size, hidden_size]");
    if (c.has_input(3)) expect_shape(3, Shape{D, 2 * G * H}, "[directions, " + std::to_string(2 * G) + "*hidden_size]");
    if (c.has_input(4)) {
        expect_shape(4, Shape{N}, "[batch_size]");
        if (const Tensor* lens = c.constant(4)) check_lengths(*lens, S, [&](const std::string& w, const std::string& y) { c.fail(w, y); });
    }
    const Shape hs = cfg.layout1 ? Shape{N, D, H} : Shape{D, N, H};
    const std::string hl = cfg.layout1 ? "[batch_size, directions, hidden_size] (layout=1)" : "[directions, batch_size, hidden_size]";
    if (c.has_input(5)) expect_shape(5, hs, hl);
    if (c.has_input(6)) expect_shape(6, hs, hl);
    if (c.has_input(7)) expect_shape(7, Shape{D, 3 * H}, "[directions, 3*hidden_size]");
    for (size_t o = 0; o < c.node().outputs.size(); ++o)
        c.set_output(o, t, o == 0 ? (cfg.layout1 ? Shape{N, S, D, H} : Shape{S, D, N, H}) : hs);
}

// Sizes and where each (time, batch) row lives. X is [S, N, I] (layout 0) or [N, S, I] (layout 1),
// so row (t, b) of X, and of the all-steps product X·W^T, is t*N + b or b*S + t.
struct Dims {
    int64_t S = 0, N = 0, I = 0, H = 0, D = 1, G = 1;
    bool layout1 = false;
    int64_t xrow(int64_t t, int64_t b) const { return layout1 ? b * S + t : t * N + b; }
    int64_t y_off(int64_t t, int64_t d, int64_t b) const { return (layout1 ? (b * S + t) * D + d : (t * D + d) * N + b) * H; }
    int64_t h_off(int64_t d, int64_t b) const { return (layout1 ? b * D + d : d * N + b) * H; }
};

// Rows [r0, r0 + rows) of one direction of a weight W or R (ONNX keeps them [gates*H, K]): the
// right operand of A·Bt^T. float32 holds GEMM panels, f64 the rows themselves.
template <class C>
struct Operand {
    const C* bt = nullptr;
    const float* packed = nullptr;
    int64_t rows = 0, K = 0;
};

// Y[M, rows] (row-major) = bias (one value per column; none: 0) + A[M, K] (row stride lda) · Bt^T.
inline void gemm_bt(int64_t M, const float* A, int64_t lda, const Operand<float>& w, const float* bias, float* Y) {
    if (M <= 0 || w.rows <= 0) return;
    gemm::GemmOperands op;
    op.A = A;
    op.ars = lda;
    op.acs = 1;
    op.Bpk = w.packed;
    const int64_t N = w.rows, K = w.K;
    const gemm::Blocks bl = gemm::plan_blocks(M, N, K, 1, true);
    gemm::run_gemm(1, M, N, K, K, 1.0f, op, Y, bl, nullptr, bias == nullptr,
                   [&](int64_t, int64_t m0, int64_t m1, int64_t n0, int64_t n1, float* y) {
                       for (int64_t m = m0; m < m1; ++m) {
                           if (bias) std::copy(bias + n0, bias + n1, y + (m - m0) * N);
                           else std::fill(y + (m - m0) * N, y + (m - m0) * N + (n1 - n0), 0.0f);
                       }
                   });
}
inline void gemm_bt(int64_t M, const double* A, int64_t lda, const Operand<double>& w, const double* bias, double* Y) {
    const int64_t N = w.rows, K = w.K;
    parallel_chunks(M, grain_for(M, N * std::max<int64_t>(K, 1)), [&](int64_t m0, int64_t m1) {
        for (int64_t m = m0; m < m1; ++m)
            for (int64_t n = 0; n < N; ++n) {
                double s = bias ? bias[n] : 0.0;
                for (int64_t k = 0; k < K; ++k) s += A[m * lda + k] * w.bt[n * K + k];
                Y[m * N + n] = s;
            }
    });
}

// A float tensor (f32 or f16) as float32.
inline Tensor as_f32(const Tensor& t) {
    if (t.dtype() == DType::f32) return t;
    Tensor f(DType::f32, t.shape());
    const half* s = t.data<half>();
    float* d = f.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) d[i] = static_cast<float>(s[i]);
    return f;
}

// One weight input ([D, rows_total, K]) cut into row parts, one operand per (direction, part):
// the parts are gates multiplied at different moments of a step (GRU's h gate). A constant
// float32 (or f16) weight is packed once, in prepare.
class WeightOperands {
public:
    WeightOperands() = default;
    explicit WeightOperands(std::vector<std::pair<int64_t, int64_t>> parts) : parts_(std::move(parts)) {}
    void prepack(const Tensor* w) {
        if (w && (w->dtype() == DType::f32 || w->dtype() == DType::f16)) packed_ = pack(as_f32(*w));
    }
    template <class C>
    struct Bound {
        std::vector<Tensor> keep;  // panels packed for this run
        std::vector<Operand<C>> ops;
        size_t nparts = 1;
        const Operand<C>& at(int64_t d, size_t part) const { return ops[static_cast<size_t>(d) * nparts + part]; }
    };
    // This run's operands over w (the weight as C).
    template <class C>
    Bound<C> bind(const C* w, const Shape& shape) const {
        Bound<C> b;
        b.nparts = parts_.size();
        const int64_t D = shape[0], rows_total = shape[1], K = shape[2];
        if constexpr (std::is_same_v<C, float>) {
            b.keep = packed_.empty() ? pack_raw(w, D, rows_total, K) : packed_;
        }
        for (int64_t d = 0; d < D; ++d)
            for (size_t p = 0; p < parts_.size(); ++p) {
                Operand<C> o;
                o.bt = w + (d * rows_total + parts_[p].first) * K;
                o.rows = parts_[p].second;
                o.K = K;
                if constexpr (std::is_same_v<C, float>) o.packed = b.keep[static_cast<size_t>(d) * parts_.size() + p].template data<float>();
                b.ops.push_back(o);
            }
        return b;
    }

private:
    std::vector<Tensor> pack(const Tensor& w) const { return pack_raw(w.data<float>(), w.shape()[0], w.shape()[1], w.shape()[2]); }
    std::vector<Tensor> pack_raw(const float* w, int64_t D, int64_t rows_total, int64_t K) const {
        std::vector<Tensor> out;
        for (int64_t d = 0; d < D; ++d)
            for (const auto& part : parts_) {
                Tensor t(DType::f32, Shape{gemm::packed_b_size(part.second, K)});
                // b[k, n] = W[r0 + n, k]: the rows of W are the columns of W^T.
                gemm::pack_b(w + (d * rows_total + part.first) * K, 1, K, part.second, K, t.data<float>());
                out.push_back(std::move(t));
            }
        return out;
    }
    std::vector<std::pair<int64_t, int64_t>> parts_;
    std::vector<Tensor> packed_;
};

// One run's inputs and outputs in the compute type C (float for f32 and f16, double for f64).
template <class C>
struct Run {
    Dims dm;
    const C* x = nullptr;
    const C* b = nullptr;   // [D, 2*G*H]: Wb then Rb
    const C* h0 = nullptr;  // initial_h, initial_c (layout as Y_h)
    const C* c0 = nullptr;
    const C* p = nullptr;   // LSTM peepholes [D, 3*H]: i, o, f
    std::vector<int64_t> lens;  // per batch entry (seq_length without sequence_lens)
    int64_t steps = 0;          // the longest length
    C* y = nullptr;             // absent outputs: nullptr
    C* yh = nullptr;
    C* yc = nullptr;
    WeightOperands::Bound<C> W, R;
    // The time step that step s of direction d processes for a sequence of length len: the
    // backward direction starts at each sequence's own last step.
    int64_t time(bool backward, int64_t s, int64_t len) const { return backward ? len - 1 - s : s; }
    // W's bias plus R's for gates [g0, g1) of direction d (out: (g1 - g0) * H values).
    void bias_sum(int64_t d, int64_t g0, int64_t g1, bool add_r, C* out) const {
        const int64_t H = dm.H, G = dm.G;
        for (int64_t j = g0 * H; j < g1 * H; ++j) {
            const C wb = b ? b[d * 2 * G * H + j] : C(0), rb = b ? b[d * 2 * G * H + G * H + j] : C(0);
            out[j - g0 * H] = add_r ? wb + rb : wb;
        }
    }
    // The state [N, H] of direction d before the first step: initial_h/c, or zeros.
    std::vector<C> initial(const C* init, int64_t d) const {
        std::vector<C> s(static_cast<size_t>(dm.N * dm.H), C(0));
        if (init)
            for (int64_t b = 0; b < dm.N; ++b) std::copy(init + dm.h_off(d, b), init + dm.h_off(d, b) + dm.H, s.begin() + b * dm.H);
        return s;
    }
    // Writes a final state to Y_h / Y_c. A sequence of length 0 has no last step: zeros, as
    // onnxruntime gives.
    void final_state(C* out, const std::vector<C>& st, int64_t d) const {
        if (!out) return;
        for (int64_t b = 0; b < dm.N; ++b)
            for (int64_t j = 0; j < dm.H; ++j) out[dm.h_off(d, b) + j] = lens[static_cast<size_t>(b)] > 0 ? st[static_cast<size_t>(b * dm.H + j)] : C(0);
    }
    // Runs body(b) for every batch row whose sequence is still running at step s, in chunks of
    // rows (a row's arithmetic never depends on the chunking).
    template <class F>
    void rows(int64_t s, int64_t cost, F body) const {
        parallel_chunks(dm.N, grain_for(dm.N, cost * dm.H), [&](int64_t b0, int64_t b1) {
            for (int64_t bb = b0; bb < b1; ++bb)
                if (s < lens[static_cast<size_t>(bb)]) body(bb);
        });
    }
};

// Calls body(Run<C>&) for a node: converts f16 to float and back, checks sequence_lens, sizes
// the run and binds the weights.
template <class Body>
void dispatch_run(ExecContext& c, const Kind& k, const Config& cfg, const WeightOperands& wops, const WeightOperands& rops, Body body) {
    const Tensor& X = c.input(0);
    const DType dt = X.dtype();
    Dims dm;
    dm.layout1 = cfg.layout1;
    dm.S = cfg.layout1 ? X.shape()[1] : X.shape()[0];
    dm.N = cfg.layout1 ? X.shape()[0] : X.shape()[1];
    dm.I = X.shape()[2];
    dm.H = cfg.hidden;
    dm.D = cfg.dirs;
    dm.G = k.gates;
    std::vector<int64_t> lens(static_cast<size_t>(dm.N), dm.S);
    if (c.has(4)) {
        const Tensor& L = c.input(4);
        check_lengths(L, dm.S, [&](const std::string& w, const std::string& y) -> void { throw Error(w, Graph::where(*c.node), y); });
        for (int64_t b = 0; b < dm.N; ++b) lens[static_cast<size_t>(b)] = L.data<int32_t>()[b];
    }
    auto go = [&](auto tag, auto get) {
        using C = decltype(tag);
        Run<C> r;
        r.dm = dm;
        r.lens = lens;
        r.steps = lens.empty() ? 0 : *std::max_element(lens.begin(), lens.end());
        r.x = get(0);
        r.b = get(3);
        r.h0 = get(5);
        r.c0 = get(6);
        r.p = get(7);
        r.W = wops.bind<C>(get(1), c.input(1).shape());
        r.R = rops.bind<C>(get(2), c.input(2).shape());
        return r;
    };
    // Y is zero past each sequence's end: cleared once when a sequence is shorter.
    const bool short_seq = std::any_of(lens.begin(), lens.end(), [&](int64_t l) { return l < dm.S; });
    if (dt == DType::f64) {
        Run<double> r = go(double{}, [&](size_t i) -> const double* { return c.has(i) && i != 4 ? c.in[i]->data<double>() : nullptr; });
        for (size_t o = 0; o < c.out.size(); ++o) (o == 0 ? r.y : o == 1 ? r.yh : r.yc) = c.out[o]->data<double>();
        if (r.y && short_seq) std::fill(r.y, r.y + c.out[0]->numel(), 0.0);
        body(r);
        return;
    }
    // f32 runs in place; f16 through float copies of the inputs and outputs.
    std::vector<Tensor> in(c.in.size()), out;
    for (size_t i = 0; i < c.in.size(); ++i)
        if (c.has(i) && i != 4) in[i] = as_f32(*c.in[i]);
    for (Tensor* t : c.out) out.push_back(dt == DType::f32 ? *t : Tensor(DType::f32, t->shape()));
    Run<float> r = go(float{}, [&](size_t i) -> const float* { return i < in.size() && !in[i].empty() ? in[i].data<float>() : nullptr; });
    for (size_t o = 0; o < out.size(); ++o) (o == 0 ? r.y : o == 1 ? r.yh : r.yc) = out[o].data<float>();
    if (r.y && short_seq) std::fill(r.y, r.y + out[0].numel(), 0.0f);
    body(r);
    if (dt == DType::f16)
        for (size_t o = 0; o < out.size(); ++o) {
            half* d = c.out[o]->data<half>();
            const float* s = out[o].data<float>();
            for (int64_t i = 0; i < out[o].numel(); ++i) d[i] = half(s[i]);
        }
}

// Opset 14 added layout; before it a layout attribute means nothing.
inline void import_recurrent(ImportContext& ic) {
    if (ic.opset < 14) ic.node->attrs.erase("layout");
}

// Registers one of the three ops. Op gives kind() and the run, run<C>(const Config&, Run<C>&).
// prepare reads the configuration and packs constant weights: W in one part; R in one, or two
// for GRU's default h gate, which is multiplied only after the reset gate (gru.hpp).
template <class Op>
void register_recurrent(Registry& reg) {
    reg.add(OpDef{Op::kind().op, import_recurrent, [](InferContext& c) { infer_rnn(c, Op::kind()); },
                  [](const PrepareContext& pc) -> Kernel {
                      const Kind& k = Op::kind();
                      const std::string where = pc.where();
                      const Config cfg = parse_config(pc.attrs(), k, pc.in[2].shape[2],
                                                      [&](const std::string& a, const std::string& b) -> void { throw Error(a, where, b); });
                      const int64_t H = cfg.hidden, G = k.gates;
                      WeightOperands w({{0, G * H}}), r({{0, G * H}});
                      if (G == 3 && !cfg.linear_before_reset) r = WeightOperands({{0, 2 * H}, {2 * H, H}});
                      w.prepack(pc.consts.size() > 1 ? pc.consts[1] : nullptr);
                      r.prepack(pc.consts.size() > 2 ? pc.consts[2] : nullptr);
                      return [cfg, w, r](ExecContext& c) {
                          dispatch_run(c, Op::kind(), cfg, w, r, [&](auto& run) { Op::run(cfg, run); });
                      };
                  },
                  7});
}

}  // namespace rnn
}  // namespace mutiny

#endif  // MUTINY_OPS_RNN_COMMON_HPP_
