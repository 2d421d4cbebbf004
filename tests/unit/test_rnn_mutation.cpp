// Neuron- and weight-level mutation of recurrent layers (RNN, GRU, LSTM): a unit is a hidden unit
// of one direction, its incoming weights its row in every gate of W and R, its bias its entry in
// every gate of B. The expected positions below follow ONNX's layouts (W [D, G*H, I], R [D, G*H, H],
// B [D, 2*G*H], gate g's rows g*H .. g*H + H - 1), written out by hand.
#include <doctest/doctest.h>

#include "mutant_spec.hpp"
#include "support/support.hpp"

#include <set>
#include <string>
#include <vector>

#include <mutiny/mutiny.hpp>

using namespace mutiny;

namespace {

Tensor ramp(const Shape& s, float start) {
    std::vector<float> v(static_cast<size_t>(s.numel()));
    for (size_t i = 0; i < v.size(); ++i) v[i] = start + 0.01f * static_cast<float>(i);
    return Tensor::from_vector<float>(s, v);
}

// x [seq 3, batch 1, 3] -> bidirectional LSTM (H = 2) "lstm" -> Y [3, 2, 1, 2]
Graph lstm_graph() {
    GraphBuilder b("lstm");
    auto x = b.input("x", DType::f32, {3, -1, 3});
    Attributes a;
    a.set_int("hidden_size", 2);
    a.set_string("direction", "bidirectional");
    auto y = b.node("LSTM", {x, b.constant("W", ramp({2, 8, 3}, -0.2f)), b.constant("R", ramp({2, 8, 2}, 0.1f)), b.constant("B", ramp({2, 16}, 0.3f))}, a, "lstm");
    b.output(y);
    return b.build();
}

// Flat positions of unit (d, u) in every gate of a [D, G*H, in] tensor, ascending.
std::vector<int64_t> rows_of(int64_t d, int64_t u, int64_t G, int64_t H, int64_t in) {
    std::vector<int64_t> v;
    for (int64_t g = 0; g < G; ++g)
        for (int64_t i = 0; i < in; ++i) v.push_back(((d * G + g) * H + u) * in + i);
    return v;
}

}  // namespace

TEST_CASE("LSTM units: D x H of them, each with its rows in every gate of W and R and its 2G biases") {
    const Graph g = lstm_graph();
    const LayerWeights L = mutate_neuron::layer_weights(g, 0);
    REQUIRE(L.na.empty());
    CHECK(L.units == 4);  // 2 directions x 2 hidden units
    CHECK(L.fan_in == 4 * 3 + 4 * 2);
    CHECK(L.bias_per_unit == 8);

    // NEB on unit 3 = direction 1, hidden unit 1, bias zeroed.
    const Mutation m = apply_mutant(g, spec("NEB", "node:lstm/units:3", {{"bias", "zero"}}));
    REQUIRE(m.weights.size() == 3);
    CHECK(m.weights[0].value == g.value_id("W"));
    CHECK(m.weights[0].index == rows_of(1, 1, 4, 2, 3));
    CHECK(m.weights[1].value == g.value_id("R"));
    CHECK(m.weights[1].index == rows_of(1, 1, 4, 2, 2));
    CHECK(m.weights[2].value == g.value_id("B"));
    CHECK(m.weights[2].index == std::vector<int64_t>{16 + 1, 16 + 3, 16 + 5, 16 + 7, 16 + 9, 16 + 11, 16 + 13, 16 + 15});
    for (const auto& e : m.weights)
        for (float v : e.after) CHECK(v == 0.0f);
    CHECK(m.changed_nodes == std::vector<int>{0});
    CHECK(m.units == std::vector<int64_t>{3});
}

TEST_CASE("NS swaps two LSTM units' rows and biases; CW scales them; apply and revert restore every bit") {
    Graph g = lstm_graph();
    const std::vector<float> w0 = g.value(g.value_id("W")).constant.to_vector<float>();
    const std::vector<float> r0 = g.value(g.value_id("R")).constant.to_vector<float>();
    const std::vector<float> b0 = g.value(g.value_id("B")).constant.to_vector<float>();
    const Mutation ns = apply_mutant(g, spec("NS", "node:lstm/units:0,2"));  // direction 0 unit 0 <-> direction 1 unit 0
    apply_weights(g, ns);
    const std::vector<float> w1 = g.value(g.value_id("W")).constant.to_vector<float>();
    const std::vector<float> b1 = g.value(g.value_id("B")).constant.to_vector<float>();
    const auto a = rows_of(0, 0, 4, 2, 3), c = rows_of(1, 0, 4, 2, 3);
    for (size_t i = 0; i < a.size(); ++i) {
        CHECK(w1[static_cast<size_t>(a[i])] == w0[static_cast<size_t>(c[i])]);
        CHECK(w1[static_cast<size_t>(c[i])] == w0[static_cast<size_t>(a[i])]);
    }
    for (int64_t m = 0; m < 8; ++m) CHECK(b1[static_cast<size_t>(m * 2)] == b0[static_cast<size_t>(16 + m * 2)]);
    revert_weights(g, ns);
    CHECK(g.value(g.value_id("W")).constant.to_vector<float>() == w0);
    CHECK(g.value(g.value_id("B")).constant.to_vector<float>() == b0);

    const Mutation cw = apply_mutant(g, spec("CW", "node:lstm/units:1", {{"p", "0.5"}}));
    apply_weights(g, cw);
    const std::vector<float> r2 = g.value(g.value_id("R")).constant.to_vector<float>();
    std::set<int64_t> mine;
    for (int64_t i : rows_of(0, 1, 4, 2, 2)) mine.insert(i);
    for (size_t i = 0; i < r0.size(); ++i)
        CHECK(r2[i] == (mine.count(static_cast<int64_t>(i)) ? static_cast<float>(static_cast<double>(r0[i]) * 1.5) : r0[i]));
    revert_weights(g, cw);
    CHECK(g.value(g.value_id("R")).constant.to_vector<float>() == r0);
}

TEST_CASE("every neuron operator applies to RNN, GRU and LSTM layers and its mutant changes the outputs") {
    for (const std::string op : {"RNN", "GRU", "LSTM"}) {
        CAPTURE(op);
        const int64_t G = op == "LSTM" ? 4 : op == "GRU" ? 3 : 1;
        GraphBuilder b("rnn");
        auto x = b.input("x", DType::f32, {3, -1, 3});
        Attributes a;
        a.set_int("hidden_size", 2);
        b.output(b.node(op, {x, b.constant("W", ramp({1, G * 2, 3}, -0.2f)), b.constant("R", ramp({1, G * 2, 2}, 0.1f)), b.constant("B", ramp({1, 4 * G}, 0.3f))},
                        a, "rnn"));
        Graph g = b.build();
        EnumerateOptions eo;
        eo.ops = {"neuron"};
        const auto mutants = enumerate_mutants(g, eo);
        std::set<std::string> ops;
        CpuExecutor orig(g);
        const Tensor xin = ramp({3, 1, 3}, -1.0f);
        const Tensor y0 = orig.run({xin})[0];
        auto changes_outputs = [&](const MutantSpec& s) {
            Graph gm = g;  // constants are shared storage: patch, run, revert
            const Mutation m = apply_mutant(gm, s);
            apply_weights(gm, m);
            CpuExecutor ex(gm);
            const bool changed = !ex.run({xin})[0].bitwise_equal(y0);
            revert_weights(gm, m);
            return changed;
        };
        for (const Mutant& mu : mutants) {
            CAPTURE(mu.spec.str());
            if (mu.spec.op == "GF") {  // 1% of this small layer's weights rounds to none
                CHECK(mu.status == MutantStatus::not_applicable);
                CHECK(mutiny_test::contains(mu.reason, "rounds to none"));
                continue;
            }
            REQUIRE(mu.status == MutantStatus::ok);
            ops.insert(mu.spec.op);
            CHECK(changes_outputs(mu.spec));
        }
        CHECK(ops == std::set<std::string>{"CW", "NAI", "NEB", "NS", "WS"});
        MutantSpec gf = spec("GF", "node:rnn", {{"ratio", "0.5"}, {"sigma", "0.1"}});
        CHECK(changes_outputs(gf));
    }
}
