// RNN, GRU and LSTM beyond ONNX's node tests: bidirectional with sequence_lens and initial
// states, layout = 1, clip, both GRU forms, peepholes, input_forget, every activation (expected
// values from onnxruntime, tests/unit/rnn_cases.py); f64 and f16; the float32 GEMM path against the
// f64 loops on larger shapes; bitwise determinism; optional outputs; opset 7; bad input.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "one_node.hpp"
#include "rnn_cases.hpp"

using namespace mutiny;
using one_node::Op;

namespace {

// The inputs rnn_cases.py generates: element i of slot s is float32(scale * (((i*37 + (s+1)*11)
// % 101) / 50 - 1)), X unscaled.
Tensor gen(const Shape& s, int64_t seed, double scale) {
    std::vector<float> v(static_cast<size_t>(s.numel()));
    for (size_t i = 0; i < v.size(); ++i)
        v[i] = static_cast<float>(scale * (static_cast<double>((static_cast<int64_t>(i) * 37 + seed * 11) % 101) / 50.0 - 1.0));
    return one_node::f32(s, v);
}

Tensor lens_tensor(const std::vector<int32_t>& l) { return Tensor::from_vector<int32_t>(Shape{static_cast<int64_t>(l.size())}, l); }

Op case_op(const rnn_cases::Case& c) {
    Op o(c.op, std::vector<Tensor>(8), c.attrs(), c.y_absent ? 2 : c.outputs.size());
    for (const auto& in : c.inputs) o.inputs[in.first] = gen(in.second, static_cast<int64_t>(in.first) + 1, in.first == 0 ? 1.0 : c.scale);
    if (!c.lens.empty()) o.inputs[4] = lens_tensor(c.lens);
    while (o.inputs.back().empty()) o.inputs.pop_back();
    return o;
}

Tensor convert(const Tensor& t, DType to) {
    if (t.empty() || t.dtype() == DType::i32 || t.dtype() == to) return t;
    Tensor r(to, t.shape());
    for (int64_t i = 0; i < t.numel(); ++i) {
        const double v = t.get_f64(i);
        if (to == DType::f64) r.data<double>()[i] = v;
        else if (to == DType::f16) r.data<half>()[i] = half(static_cast<float>(v));
        else r.data<float>()[i] = static_cast<float>(v);
    }
    return r;
}

Op with_dtype(Op o, DType t) {
    for (auto& in : o.inputs) in = convert(in, t);
    return o;
}

void check_close(const Tensor& got, const Shape& shape, const std::vector<float>& want, double tol) {
    REQUIRE(got.shape() == shape);
    for (size_t i = 0; i < want.size(); ++i) {
        INFO("element " << i);
        CHECK(std::fabs(got.get_f64(static_cast<int64_t>(i)) - want[i]) <= tol * (1.0 + std::fabs(want[i])));
    }
}

void check_bitwise(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i) CHECK(a[i].bitwise_equal(b[i]));
}

// A larger node with random inputs: every feature on, sizes past the GEMM's panel widths.
Op big(const std::string& op, int64_t gates, bool layout1, uint32_t seed) {
    const int64_t S = 7, N = 5, I = 19, H = 37, D = 2;
    Attributes a;
    a.set_int("hidden_size", H);
    a.set_string("direction", "bidirectional");
    a.set_int("layout", layout1 ? 1 : 0);
    if (op == "GRU") a.set_int("linear_before_reset", seed % 2 == 0 ? 1 : 0);
    std::vector<Tensor> in{one_node::random_tensor(layout1 ? Shape{N, S, I} : Shape{S, N, I}, seed),
                           one_node::random_tensor(Shape{D, gates * H, I}, seed + 1, -0.3f, 0.3f),
                           one_node::random_tensor(Shape{D, gates * H, H}, seed + 2, -0.3f, 0.3f),
                           one_node::random_tensor(Shape{D, 2 * gates * H}, seed + 3),
                           lens_tensor({7, 3, 0, 6, 1}),
                           one_node::random_tensor(layout1 ? Shape{N, D, H} : Shape{D, N, H}, seed + 4)};
    if (op == "LSTM") {
        in.push_back(one_node::random_tensor(layout1 ? Shape{N, D, H} : Shape{D, N, H}, seed + 5));
        in.push_back(one_node::random_tensor(Shape{D, 3 * H}, seed + 6));
    }
    return Op(op, in, a, op == "LSTM" ? 3 : 2);
}

}  // namespace

TEST_CASE("RNN, GRU, LSTM: cases beyond the node tests match onnxruntime") {
    for (const auto& c : rnn_cases::cases()) {
        CAPTURE(c.name);
        const Op o = case_op(c);
        const std::vector<Tensor> got = one_node::run(o);
        const size_t first = c.y_absent ? 1 : 0;
        for (size_t k = 0; k < c.outputs.size(); ++k) check_close(got[first + k], c.outputs[k].shape, c.outputs[k].values, 2e-6);
        // The weights fed at run time (packed per run) give the same bits as constants (packed once).
        Op fed = o;
        fed.runtime.assign(o.inputs.size(), true);
        check_bitwise(one_node::run(fed), got);
        // f64 runs on plain loops, f16 computes in float32 from the rounded inputs.
        const std::vector<Tensor> g64 = one_node::run(with_dtype(o, DType::f64));
        for (size_t k = 0; k < c.outputs.size(); ++k) check_close(g64[first + k], c.outputs[k].shape, c.outputs[k].values, 2e-6);
        const Op o16 = with_dtype(o, DType::f16);
        const std::vector<Tensor> g16 = one_node::run(o16), r16 = one_node::run(with_dtype(o16, DType::f32));
        for (size_t k = first; k < g16.size(); ++k) {
            REQUIRE(g16[k].dtype() == DType::f16);
            check_close(g16[k], r16[k].shape(), r16[k].to_vector<float>(), 1e-3);
        }
    }
}

TEST_CASE("RNN, GRU, LSTM: the float32 GEMM path matches the f64 loops on larger shapes, bitwise the same on 1, 2 and 3 threads") {
    const std::vector<std::pair<std::string, int64_t>> ops{{"RNN", 1}, {"GRU", 3}, {"LSTM", 4}};
    uint32_t seed = 10;
    for (const auto& op : ops)
        for (bool layout1 : {false, true}) {
            for (int rep = 0; rep < 2; ++rep, seed += 10) {  // GRU: both linear_before_reset forms
                CAPTURE(op.first);
                CAPTURE(layout1);
                const Op o = big(op.first, op.second, layout1, seed);
                const std::vector<Tensor> one = one_node::run(o, {}, 1);
                check_bitwise(one_node::run(o, {}, 2), one);
                check_bitwise(one_node::run(o, {}, 3), one);
                const std::vector<Tensor> ref = one_node::run(with_dtype(o, DType::f64));
                for (size_t k = 0; k < one.size(); ++k) {
                    const std::vector<float> want = convert(ref[k], DType::f32).to_vector<float>();
                    check_close(one[k], ref[k].shape(), want, 1e-5);
                }
                // Sequence 2 has length 0: Y is zero for it and so are Y_h, Y_c (as onnxruntime).
                const Tensor& yh = one[1];
                for (int64_t d = 0; d < 2; ++d)
                    for (int64_t j = 0; j < 37; ++j) CHECK(yh.data<float>()[(layout1 ? 2 * 2 + d : d * 5 + 2) * 37 + j] == 0.0f);
            }
        }
}

TEST_CASE("RNN, GRU, LSTM: optional outputs and opset 7") {
    const rnn_cases::Case* lstm = nullptr;
    for (const auto& c : rnn_cases::cases())
        if (std::string(c.name) == "lstm_bidirectional_peepholes_lens") lstm = &c;
    REQUIRE(lstm);
    Op o = case_op(*lstm);
    const std::vector<Tensor> all = one_node::run(o);
    o.outputs = 1;  // Y only
    const std::vector<Tensor> y = one_node::run(o);
    REQUIRE(y.size() == 1);
    CHECK(y[0].bitwise_equal(all[0]));

    // Opset 7 has no layout: an attribute there is dropped, the node reads X sequence first.
    const Op o14(o.op, o.inputs, o.attrs, 3, 14);
    Op o7 = o14;
    o7.opset = 7;
    o7.attrs.set_int("layout", 1);
    check_bitwise(one_node::run(o7), one_node::run(o14));
    // Older opsets (output_sequence, GRU-1 without linear_before_reset) are refused by the importer.
    for (const char* op : {"RNN", "GRU", "LSTM"}) CHECK(Registry::instance().get(op, "test").min_opset == 7);
}

TEST_CASE("RNN, GRU, LSTM: bad input is a clear error") {
    const Tensor X = gen(Shape{3, 2, 2}, 1, 1.0);
    auto rnn = [&](Attributes a, std::vector<Tensor> extra = {}) {
        std::vector<Tensor> in{X, gen(Shape{1, 4, 2}, 2, 1.0), gen(Shape{1, 4, 4}, 3, 1.0)};
        for (auto& t : extra) in.push_back(t);
        return Op("RNN", in, a, 2);
    };
    Attributes h4;
    h4.set_int("hidden_size", 4);
    CHECK_NOTHROW(one_node::run(rnn(h4)));
    Attributes h5 = h4;
    h5.set_int("hidden_size", 5);
    one_node::check_error(rnn(h5), "W has shape [1,4,2], expected [1,5,2]");
    Attributes bi = h4;
    bi.set_string("direction", "bidirectional");
    one_node::check_error(rnn(bi), "W has shape [1,4,2], expected [2,4,2]");
    one_node::check_error(rnn(h4, {gen(Shape{1, 4}, 4, 1.0)}), "B has shape [1,4], expected [1,8]");
    one_node::check_error(Op("GRU", {X, gen(Shape{1, 4, 2}, 2, 1.0), gen(Shape{1, 4, 4}, 3, 1.0)}, h4, 2),
                          "W has shape [1,4,2], expected [1,12,2]");
    one_node::check_error(rnn(h4, {Tensor(), lens_tensor({3, 4})}), "sequence_lens[1] = 4 out of range");
    one_node::check_error(rnn(h4, {Tensor(), lens_tensor({-1, 2})}), "sequence_lens[0] = -1 out of range");
    Op fed = rnn(h4, {Tensor(), lens_tensor({3, 9})});
    fed.runtime = {false, false, false, false, true};  // lengths known at run time: the kernel checks
    one_node::check_error(fed, "sequence_lens[1] = 9 out of range");
    one_node::check_error(rnn(h4, {Tensor(), Tensor::from_vector<int64_t>(Shape{2}, {3, 3})}), "sequence_lens is i64");
    one_node::check_error(rnn(h4, {Tensor(), Tensor(), gen(Shape{1, 3, 4}, 5, 1.0)}), "initial_h has shape [1,3,4], expected [1,2,4]");
    Attributes act = h4;
    act.set_strings("activations", {"Swish"});
    one_node::check_error(rnn(act), "unknown activation 'Swish'");
    act.set_strings("activations", {"Tanh", "Tanh"});
    one_node::check_error(rnn(act), "wrong number of activations");
    act.set_strings("activations", {"ScaledTanh"});
    one_node::check_error(rnn(act), "ScaledTanh needs activation_alpha");
    Attributes dir = h4;
    dir.set_string("direction", "sideways");
    one_node::check_error(rnn(dir), "unknown direction 'sideways'");
    Attributes lay = h4;
    lay.set_int("layout", 2);
    one_node::check_error(rnn(lay), "layout 2 out of range");
    Attributes clip = h4;
    clip.set_float("clip", -1.0);
    one_node::check_error(rnn(clip), "is not positive");
    Op three = rnn(h4);
    three.outputs = 3;
    one_node::check_error(three, "too many outputs");
    one_node::check_error(Op("LSTM", {X, gen(Shape{1, 16, 2}, 2, 1.0), gen(Shape{1, 16, 4}, 3, 1.0), Tensor(), Tensor(), Tensor(), Tensor(),
                                      gen(Shape{1, 8}, 4, 1.0)},
                             h4, 3),
                          "P has shape [1,8], expected [1,12]");
    one_node::check_error(Op("RNN", {X, convert(gen(Shape{1, 4, 2}, 2, 1.0), DType::f64), gen(Shape{1, 4, 4}, 3, 1.0)}, h4, 2),
                          "input dtypes differ");
    one_node::check_error(Op("RNN", {gen(Shape{3, 2}, 1, 1.0), gen(Shape{1, 4, 2}, 2, 1.0), gen(Shape{1, 4, 4}, 3, 1.0)}, h4, 2),
                          "X has shape [3,2]");
}
