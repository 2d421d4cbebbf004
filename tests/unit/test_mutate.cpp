// Mutation operators: exact, hand-checked effects on small graphs; specs; enumeration counts;
// bad requests.
#include <doctest/doctest.h>

#include "mutant_spec.hpp"
#include "support/support.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>
#include <string>

#include <mutiny/mutiny.hpp>

using namespace mutiny;

namespace {

Tensor vec(Shape s, std::vector<float> v) { return Tensor::from_vector<float>(std::move(s), v); }

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof(float)) == 0; }

using mutiny_test::contains;
using mutiny_test::error_of;

// x[N,3] -> Gemm "fc" (B [3,4] = 1..12, C [4]) -> y
Graph gemm_graph(bool transB = false) {
    GraphBuilder b("gemm");
    auto x = b.input("x", DType::f32, {-1, 3});
    std::vector<float> w(12);
    for (int i = 0; i < 12; ++i) w[static_cast<size_t>(i)] = static_cast<float>(i + 1);
    Attributes a;
    if (transB) a.set_int("transB", 1);
    auto y = b.node("Gemm", {x, b.constant("W", vec(transB ? Shape{4, 3} : Shape{3, 4}, w)), b.constant("C", vec({4}, {0.5f, -1, 2, 3}))}, a, "fc");
    b.output(y);
    return b.build();
}

// x[N,1,3,3] -> Conv "conv" (W [2,1,2,2] = 1..8, B = {10, 20}) -> y
Graph conv_graph() {
    GraphBuilder b("conv");
    auto x = b.input("x", DType::f32, {-1, 1, 3, 3});
    auto y = b.node("Conv", {x, b.constant("W", vec({2, 1, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8})), b.constant("B", vec({2}, {10, 20}))}, {}, "conv");
    b.output(y);
    return b.build();
}

std::vector<float> values(const Graph& g, const std::string& name) { return g.value(g.value_id(name)).constant.to_vector<float>(); }

std::vector<float> run1(const Graph& g, const std::vector<Tensor>& in, CpuOptions opt = {}) {
    opt.threads = 1;
    CpuExecutor ex(g, opt);
    return ex.run(in)[0].to_vector<float>();
}

std::string model_path(const std::string& name) { return (mutiny_test::source_dir() / "models" / name).string(); }

}  // namespace

TEST_CASE("mutant specs round-trip through their one-line text") {
    MutantSpec s = spec("NAI", "node:/conv 1/Conv%x=y/units:3,7,9", {{"bias", "keep"}, {"note", "a b=c\td"}}, 18446744073709551615ull);
    s.id = "m000042";
    const std::string line = s.str();
    CHECK(line.find('\n') == std::string::npos);
    CHECK(line == "id=m000042 op=NAI target=node:/conv%201/Conv%25x=y/units:3,7,9 seed=18446744073709551615 bias=keep note=a%20b=c%09d");
    CHECK(MutantSpec::parse(line) == s);
    CHECK(MutantSpec::parse(MutantSpec::parse(line).str()).str() == line);
    CHECK(MutantSpec::parse("op=CW target=all").seed == 0);
    CHECK_THROWS_AS(MutantSpec::parse("op=CW"), Error);                        // no target
    CHECK_THROWS_AS(MutantSpec::parse("target=all"), Error);                   // no op
    CHECK_THROWS_AS(MutantSpec::parse("op=CW target=all seed=-1"), Error);     // not unsigned
    CHECK_THROWS_AS(MutantSpec::parse("op=CW target=all p=1 p=2"), Error);     // twice
    CHECK_THROWS_AS(MutantSpec::parse("op=CW target=all x=%4"), Error);        // bad escape
    CHECK_THROWS_AS(MutantSpec::parse("op=CW target=all junk"), Error);        // not key=value
}

TEST_CASE("NAI on neuron j negates column j and nothing else") {
    Graph g = gemm_graph();
    const auto w0 = values(g, "W"), c0 = values(g, "C");
    const Mutation m = apply_mutant(g, spec("NAI", "node:fc/units:1"));
    CHECK(m.unit_node == 0);
    CHECK(m.units == std::vector<int64_t>{1});
    CHECK(m.changed_nodes == std::vector<int>{0});
    REQUIRE(m.weights.size() == 1);
    CHECK(m.weights[0].index == std::vector<int64_t>{1, 5, 9});
    apply_weights(g, m);
    CHECK(values(g, "W") == std::vector<float>{1, -2, 3, 4, 5, -6, 7, 8, 9, -10, 11, 12});
    CHECK(values(g, "C") == c0);  // DeepMAACC keeps the bias
    revert_weights(g, m);
    CHECK(values(g, "W") == w0);

    // transB = 1: unit j is row j of B.
    Graph t = gemm_graph(true);
    apply_weights(t, apply_mutant(t, spec("NAI", "node:fc/units:2", {{"bias", "negate"}})));
    CHECK(values(t, "W") == std::vector<float>{1, 2, 3, 4, 5, 6, -7, -8, -9, 10, 11, 12});
    CHECK(values(t, "C") == std::vector<float>{0.5f, -1, -2, 3});

    // A cluster of neurons is one mutant.
    Graph c = gemm_graph();
    apply_weights(c, apply_mutant(c, spec("NAI", "node:fc/units:0,3")));
    CHECK(values(c, "W") == std::vector<float>{-1, 2, 3, -4, -5, 6, 7, -8, -9, 10, 11, -12});
}

TEST_CASE("NEB zeroes the incoming weights, keeping or zeroing the bias") {
    Graph g = gemm_graph();
    apply_weights(g, apply_mutant(g, spec("NEB", "node:fc/units:3")));
    CHECK(values(g, "W") == std::vector<float>{1, 2, 3, 0, 5, 6, 7, 0, 9, 10, 11, 0});
    CHECK(values(g, "C") == std::vector<float>{0.5f, -1, 2, 3});
    Graph z = gemm_graph();
    apply_weights(z, apply_mutant(z, spec("NEB", "node:fc/units:3", {{"bias", "zero"}})));
    CHECK(values(z, "C") == std::vector<float>{0.5f, -1, 2, 0});
    // Blocking an already blocked neuron changes nothing: equivalent.
    Graph e = z;  // shares the (mutated) weights
    CHECK(evaluate_mutant(e, spec("NEB", "node:fc/units:3")).status == MutantStatus::equivalent);
}

TEST_CASE("CW multiplies incoming weights and bias by 1 + p") {
    Graph g = gemm_graph();
    apply_weights(g, apply_mutant(g, spec("CW", "node:fc/units:0")));
    CHECK(values(g, "W") == std::vector<float>{1.1f, 2, 3, 4, 5.5f, 6, 7, 8, static_cast<float>(9 * 1.1), 10, 11, 12});
    CHECK(values(g, "W")[4] == static_cast<float>(5.0 * 1.1));
    CHECK(values(g, "C")[0] == static_cast<float>(0.5 * 1.1));
    CHECK(values(g, "C")[1] == -1.0f);
    Graph h = gemm_graph();
    apply_weights(h, apply_mutant(h, spec("CW", "node:fc/units:1", {{"p", "-0.5"}})));
    CHECK(values(h, "W") == std::vector<float>{1, 1, 3, 4, 5, 3, 7, 8, 9, 5, 11, 12});
    CHECK(values(h, "C")[1] == -0.5f);
    CHECK(evaluate_mutant(h, spec("CW", "node:fc/units:1", {{"p", "0"}})).status == MutantStatus::equivalent);
}

TEST_CASE("NS swaps exactly two neurons: weights and bias") {
    Graph g = conv_graph();
    const Mutation m = apply_mutant(g, spec("NS", "node:conv/units:0,1"));
    apply_weights(g, m);
    CHECK(values(g, "W") == std::vector<float>{5, 6, 7, 8, 1, 2, 3, 4});
    CHECK(values(g, "B") == std::vector<float>{20, 10});
    CHECK(m.units == std::vector<int64_t>{0, 1});
    revert_weights(g, m);
    CHECK(values(g, "W") == std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8});
    CHECK(values(g, "B") == std::vector<float>{10, 20});
    // The mutated conv computes the original's channels swapped.
    Tensor x = vec({1, 1, 3, 3}, {1, 0, 2, -1, 3, 0.5f, 2, 1, -2});
    const auto y0 = run1(g, {x});
    apply_weights(g, m);
    const auto y1 = run1(g, {x});
    for (size_t i = 0; i < 4; ++i) {
        CHECK(same_bits(y1[i], y0[i + 4]));
        CHECK(same_bits(y1[i + 4], y0[i]));
    }
    CHECK_THROWS_AS(apply_mutant(g, spec("NS", "node:conv/units:0")), Error);  // needs two units
}

TEST_CASE("GF with a seed changes exactly round(r x n) weights, deterministically") {
    GraphBuilder b("gf");
    auto x = b.input("x", DType::f32, {-1, 100});
    std::vector<float> w(1000);
    for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i % 17) * 0.25f - 2.0f;
    b.output(b.node("Gemm", {x, b.constant("W", vec({100, 10}, w))}, {}, "fc"));
    Graph g = b.build();
    for (const char* r : {"0.01", "0.25", "0.333", "1"}) {
        const Mutation m = apply_mutant(g, spec("GF", "node:fc", {{"ratio", r}}, 7));
        REQUIRE(m.weights.size() == 1);
        const auto want = static_cast<size_t>(std::llround(std::atof(r) * 1000));
        CHECK(m.weights[0].index.size() == want);
        std::set<int64_t> distinct(m.weights[0].index.begin(), m.weights[0].index.end());
        CHECK(distinct.size() == want);
        Graph h = g;
        const auto before = values(h, "W");
        apply_weights(h, m);
        const auto after = values(h, "W");
        size_t changed = 0;
        for (size_t i = 0; i < after.size(); ++i) changed += same_bits(after[i], before[i]) ? 0 : 1;
        CHECK(changed == want);
        revert_weights(h, m);
        CHECK(values(h, "W") == before);
    }
    // Same seed, same mutant; another seed, another one.
    const Mutation a = apply_mutant(g, spec("GF", "node:fc", {{"ratio", "0.05"}}, 3));
    const Mutation a2 = apply_mutant(g, spec("GF", "node:fc", {{"ratio", "0.05"}}, 3));
    const Mutation c = apply_mutant(g, spec("GF", "node:fc", {{"ratio", "0.05"}}, 4));
    CHECK(a.weights[0].index == a2.weights[0].index);
    CHECK(a.weights[0].after == a2.weights[0].after);
    CHECK(a.weights[0].index != c.weights[0].index);
    // The noise has roughly the requested spread.
    const Mutation big = apply_mutant(g, spec("GF", "node:fc", {{"ratio", "1"}, {"sigma", "0.5"}}, 1));
    double s2 = 0;
    for (size_t k = 0; k < big.weights[0].index.size(); ++k) {
        const double d = static_cast<double>(big.weights[0].after[k]) - static_cast<double>(big.weights[0].before[k]);
        s2 += d * d;
    }
    const double sd = std::sqrt(s2 / 1000.0);
    CHECK(sd > 0.45);
    CHECK(sd < 0.55);
    // A ratio that selects no weight is not applicable.
    CHECK(evaluate_mutant(g, spec("GF", "node:fc", {{"ratio", "0.0001"}})).status == MutantStatus::not_applicable);
}

TEST_CASE("WS permutes one neuron's incoming weights and nothing else") {
    Graph g = conv_graph();
    const Mutation m = apply_mutant(g, spec("WS", "node:conv/units:1", {}, 11));
    apply_weights(g, m);
    const auto w = values(g, "W");
    CHECK(std::vector<float>(w.begin(), w.begin() + 4) == std::vector<float>{1, 2, 3, 4});
    std::vector<float> u(w.begin() + 4, w.end());
    CHECK(u != std::vector<float>{5, 6, 7, 8});
    std::sort(u.begin(), u.end());
    CHECK(u == std::vector<float>{5, 6, 7, 8});
    CHECK(values(g, "B") == std::vector<float>{10, 20});
}

TEST_CASE("MatMul layers: the following Add holds the bias") {
    GraphBuilder b("dense");
    auto x = b.input("x", DType::f32, {-1, 2});
    auto h = b.node("MatMul", {x, b.constant("W", vec({2, 3}, {1, 2, 3, 4, 5, 6}))}, {}, "mm");
    b.output(b.node("Add", {h, b.constant("bias", vec({3}, {7, 8, 9}))}, {}, "add"));
    Graph g = b.build();
    const Mutation m = apply_mutant(g, spec("NEB", "node:mm/units:2", {{"bias", "zero"}}));
    CHECK(m.changed_nodes == std::vector<int>{0, 1});
    apply_weights(g, m);
    CHECK(values(g, "W") == std::vector<float>{1, 2, 0, 4, 5, 0});
    CHECK(values(g, "bias") == std::vector<float>{7, 8, 0});
}

TEST_CASE("weight edits need float32 constants (or 8- and 16-bit integer ones, zero points)") {
    GraphBuilder b("f64");
    auto x = b.input("x", DType::f64, {-1, 2});
    b.output(b.node("MatMul", {x, b.constant("W", Tensor::from_vector<double>({2, 2}, {1, 2, 3, 4}))}, {}, "mm"));
    Graph g = b.build();
    const Outcome o = evaluate_mutant(g, spec("NAI", "node:mm/units:0"));
    CHECK(o.status == MutantStatus::not_applicable);
    CHECK(contains(o.reason, "float32"));
    CHECK(contains(error_of([&] { apply_mutant(g, spec("NAI", "node:mm/units:0")); }), "float32"));
    Mutation bad;
    bad.weights.push_back(WeightEdit{g.value_id("W"), {0}, {1.0f}, {2.0f}});
    CHECK(contains(error_of([&] { apply_weights(g, bad); }), "weight edit of a constant that is neither float32 nor an 8- or 16-bit integer"));
}

TEST_CASE("comparator LT -> LE at ReLU's site changes exactly the outputs at 0") {
    GraphBuilder b("relu");
    auto x = b.input("x", DType::f32, {-1, 6});
    b.output(b.node("Relu", {x}, {}, "relu"));
    Graph g = b.build();
    const float nz = -0.0f;
    Tensor in = vec({1, 6}, {-1.5f, nz, 0.0f, 0.25f, 2.0f, -3.0f});
    const auto y0 = run1(g, {in});
    const Mutation m = apply_mutant(g, spec("ifstmt_LT_to_LE", "node:relu"));
    REQUIRE(m.node_sites.count("relu"));
    CHECK(m.node_sites.at("relu").cmp == SiteConfig::Cmp::lt_to_le);
    CHECK(m.changed_nodes == std::vector<int>{0});
    CpuOptions opt;
    opt.node_sites = m.node_sites;
    const auto y1 = run1(g, {in}, opt);
    // x = -0: `x < 0` is false (Relu passes -0 through), `x <= 0` is true (it writes +0).
    CHECK(same_bits(y0[1], nz));
    CHECK(same_bits(y1[1], 0.0f));
    for (size_t i = 0; i < 6; ++i)
        if (i != 1) CHECK(same_bits(y0[i], y1[i]));

    // < -> >: the positive part is cut instead.
    opt.node_sites = apply_mutant(g, spec("ifstmt_LT_to_GT", "op:Relu")).node_sites;
    CHECK(run1(g, {in}, opt) == std::vector<float>{-1.5f, nz, 0.0f, 0.0f, 0.0f, -3.0f});
    // a < b -> a < b + 0.5.
    opt.node_sites = apply_mutant(g, spec("change_threshold_ite_LT_r_a_0_5", "all")).node_sites;
    CHECK(run1(g, {in}, opt) == std::vector<float>{0, 0, 0, 0, 2.0f, 0});
}

TEST_CASE("a comparator swap where the kernel has no such site is not applicable") {
    Graph g = conv_graph();
    const Outcome o = evaluate_mutant(g, spec("cmp_swap", "node:conv"));
    CHECK(o.status == MutantStatus::not_applicable);
    CHECK(contains(o.reason, "no such site"));
    CHECK_THROWS_AS(apply_mutant(g, spec("cmp_swap", "node:conv")), Error);
    EnumerateOptions e;
    e.ops = {"kernel"};
    bool seen = false;
    for (const Mutant& m : enumerate_mutants(g, e))
        if (m.spec.op == "cmp_swap") {
            seen = true;
            CHECK(m.status == MutantStatus::not_applicable);
            CHECK(contains(m.reason, "LT comparison site"));
        }
    CHECK(seen);
}

TEST_CASE("f32 -> i8 stores truncate and saturate at -128 and 127") {
    GraphBuilder b("neg");
    auto x = b.input("x", DType::f32, {-1, 7});
    b.output(b.node("Neg", {x}, {}, "neg"));
    Graph g = b.build();
    Tensor in = vec({1, 7}, {300.0f, -300.0f, -127.9f, 3.7f, -3.7f, 128.5f, -128.9f});
    CpuOptions opt;
    opt.node_sites = apply_mutant(g, spec("float32_to_int8", "node:neg")).node_sites;
    CHECK(run1(g, {in}, opt) == std::vector<float>{-128, 127, 127, -3, 3, -128, 127});
    opt.node_sites = apply_mutant(g, spec("float32_to_int16", "node:neg")).node_sites;
    CHECK(run1(g, {in}, opt) == std::vector<float>{-300, 300, 127, -3, 3, -128, 128});
    opt.node_sites = apply_mutant(g, spec("float32_to_float16", "node:neg")).node_sites;
    CHECK(run1(g, {in}, opt)[2] == 127.875f);  // 127.9 to the nearest half
    // v * (1 + 1e-8) is v in float32: provably equivalent. v - 1e-8 is not (only running tells).
    CHECK(evaluate_mutant(g, spec("multiply_store_value", "node:neg")).status == MutantStatus::equivalent);
    CHECK(evaluate_mutant(g, spec("subtract_from_store_value", "node:neg")).status == MutantStatus::ok);
}

TEST_CASE("Add -> Sub gives a - b") {
    GraphBuilder b("add");
    auto a = b.input("a", DType::f32, {-1, 3});
    auto c = b.input("b", DType::f32, {-1, 3});
    b.output(b.node("Relu", {b.node("Add", {a, c}, {}, "add")}, {}, "relu"));
    Graph g = b.build();
    const Mutation m = apply_mutant(g, spec("replace_func_add_to_subtract", "all"));
    REQUIRE(m.graph);
    CHECK(m.changed_nodes == std::vector<int>{0});
    CHECK(g.nodes[0].op == "Add");  // the original is untouched
    CHECK(run1(*m.graph, {vec({1, 3}, {5, 6, 7}), vec({1, 3}, {1, 2, 9})}) == std::vector<float>{4, 4, 0});
    // Relu -> Sigmoid.
    const Mutation s = apply_mutant(g, spec("replace_func_relu_to_sigmoid", "all"));
    CHECK(run1(*s.graph, {vec({1, 3}, {0, 0, 0}), vec({1, 3}, {0, 0, 0})}) == std::vector<float>{0.5f, 0.5f, 0.5f});
}

TEST_CASE("LD on a shape-preserving layer equals the graph without it") {
    auto make = [](bool with_sigmoid) {
        GraphBuilder b("ld");
        auto x = b.input("x", DType::f32, {-1, 4});
        auto h = b.node("Gemm", {x, b.constant("W", vec({4, 4}, {1, 0.5f, -1, 2, 0, 1, 1, -0.5f, 2, 0, 1, 1, -1, 1, 0, 0.25f}))}, {}, "fc");
        if (with_sigmoid) h = b.node("Sigmoid", {h}, {}, "sig");
        b.output(b.node("Tanh", {h}, {}, "tanh"));
        return b.build();
    };
    Graph g = make(true), want = make(false);
    const Mutation m = apply_mutant(g, spec("LD", "node:sig"));
    REQUIRE(m.graph);
    CHECK(m.graph->nodes.size() == 2);
    Tensor in = vec({2, 4}, {0.1f, -2, 3, 0.5f, 1, 1, -1, 0});
    const auto y = run1(*m.graph, {in}), yw = run1(want, {in});
    REQUIRE(y.size() == yw.size());
    for (size_t i = 0; i < y.size(); ++i) CHECK(same_bits(y[i], yw[i]));
    // Never the input or output layer.
    CHECK(evaluate_mutant(g, spec("LD", "node:fc")).status == MutantStatus::not_applicable);
    CHECK(contains(evaluate_mutant(g, spec("LD", "node:tanh")).reason, "output layer"));
    // AFRm removes the same activation; LAm duplicates it.
    CHECK(run1(*apply_mutant(g, spec("AFRm", "node:sig")).graph, {in}) == yw);
    const Mutation dup = apply_mutant(g, spec("LAm", "node:sig"));
    CHECK(dup.graph->nodes.size() == 4);
}

TEST_CASE("LAm of an idempotent layer is equivalent") {
    GraphBuilder b("lam");
    auto x = b.input("x", DType::f32, {-1, 4});
    b.output(b.node("Sigmoid", {b.node("Relu", {b.node("Tanh", {x}, {}, "t")}, {}, "r")}, {}, "s"));
    Graph g = b.build();
    const Outcome o = evaluate_mutant(g, spec("LAm", "node:r"));
    CHECK(o.status == MutantStatus::equivalent);
    CHECK(contains(o.reason, "idempotent"));
}

TEST_CASE("transpose swaps the first two axes of equal size, or is not applicable") {
    Graph g = conv_graph();  // input [N,1,3,3]: axes 2 and 3
    const Mutation m = apply_mutant(g, spec("transpose_conv2d_0_before", "all"));
    const Node* t = nullptr;
    for (const Node& n : m.graph->nodes)
        if (n.op == "Transpose") t = &n;
    REQUIRE(t);
    CHECK(t->attrs.get_ints("perm") == std::vector<int64_t>{0, 1, 3, 2});
    Tensor x = vec({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
    Tensor xt = vec({1, 1, 3, 3}, {1, 4, 7, 2, 5, 8, 3, 6, 9});
    CHECK(run1(*m.graph, {x}) == run1(g, {xt}));
    // exp after the output: exp of the original output.
    Tensor small = vec({1, 1, 3, 3}, {0.01f, -0.02f, 0.03f, 0.04f, 0.05f, -0.06f, 0.07f, 0.08f, 0.09f});
    const auto y = run1(g, {small});
    const auto ye = run1(*apply_mutant(g, spec("exp_conv2d_dense_0_after", "all")).graph, {small});
    for (size_t i = 0; i < y.size(); ++i) CHECK(ye[i] == doctest::Approx(std::exp(static_cast<double>(y[i]))).epsilon(1e-6));

    Graph d = gemm_graph();  // input [N,3], weights [3,4]: no two equal sizes
    const Outcome o = evaluate_mutant(d, spec("transpose_dense_0_before", "node:fc"));
    CHECK(o.status == MutantStatus::not_applicable);
    CHECK(contains(o.reason, "no two axes have the same size"));
    CHECK(evaluate_mutant(d, spec("transpose_conv2d_dense_1_before", "all")).status == MutantStatus::not_applicable);
    EnumerateOptions e;
    e.ops = {"transpose_dense_0_before"};
    CHECK(contains(error_of([&] { enumerate_mutants(d, e); }), "does not apply to the model"));
}

TEST_CASE("a mutant that fails validation is invalid, with the validator's reason") {
    // The registry is data: a user operator that flips Gemm's transB breaks non-square shapes.
    OperatorDef op;
    op.name = "test_flip_transB";
    op.family = "graph";
    op.category = "test";
    op.expansion = Expansion::per_node;
    op.candidates = [](const Graph& g, const Params&) {
        std::vector<Candidate> c;
        for (size_t n = 0; n < g.nodes.size(); ++n)
            if (g.nodes[n].op == "Gemm") c.push_back({static_cast<int>(n), ""});
        return c;
    };
    op.none_reason = [](const Params&) { return std::string("no Gemm"); };
    op.apply = [](const Graph& g, const std::vector<int>& nodes, const Target&, const Params&, uint64_t) {
        Graph g2 = g;
        g2.nodes[static_cast<size_t>(nodes[0])].attrs.set_int("transB", 1);
        return mutate_graph::finish(std::move(g2), nodes);
    };
    MutationRegistry::instance().add(op);
    Graph g = gemm_graph();
    EnumerateOptions e;
    e.ops = {"test_flip_transB"};
    const auto ms = enumerate_mutants(g, e);
    REQUIRE(ms.size() == 1);
    CHECK(ms[0].status == MutantStatus::invalid);
    CHECK(contains(ms[0].reason, "fails validation"));
    CHECK(contains(error_of([&] { apply_mutant(g, ms[0].spec); }), "mutant is invalid"));
}

TEST_CASE("DeepMAACC's vanilla set: 708 mutants for LeNet-5, 480 for the FCNN") {
    EnumerateOptions e;
    e.ops = {"vanilla"};
    Graph lenet = load_model(model_path("fashion_lenet5.onnx"));
    const auto ml = enumerate_mutants(lenet, e);
    CHECK(ml.size() == 708);
    Graph fcnn = load_model(model_path("fashion_fcnn.onnx"));
    const auto mf = enumerate_mutants(fcnn, e);
    CHECK(mf.size() == 480);
    std::set<std::string> ids;
    for (const auto& m : ml) {
        CHECK(m.status == MutantStatus::ok);
        ids.insert(m.spec.id);
    }
    CHECK(ids.size() == 708);
    // Every mutant applies and reverts bitwise, touching only the weights it lists.
    std::vector<Tensor> orig;
    for (const Value& v : lenet.values) orig.push_back(v.is_constant() ? v.constant.clone() : Tensor());
    for (const auto& m : ml) {
        const MutantSpec s = MutantSpec::parse(m.spec.str());
        const Mutation mu = apply_mutant(lenet, s);
        REQUIRE(!mu.weights.empty());
        apply_weights(lenet, mu);
        revert_weights(lenet, mu);
    }
    for (size_t v = 0; v < lenet.values.size(); ++v)
        if (lenet.values[v].is_constant()) CHECK(lenet.values[v].constant.bitwise_equal(orig[v]));
}

TEST_CASE("positions: all, N-th, first, last, seeded random") {
    Graph g = load_model(model_path("fashion_resnet.onnx"));
    EnumerateOptions e;
    e.ops = {"replace_func_relu_to_sigmoid"};
    auto one = [&](const std::string& pos, uint64_t seed = 0) {
        e.position = pos;
        e.seed = seed;
        const auto ms = enumerate_mutants(g, e);
        REQUIRE(ms.size() == 1);
        return ms[0];
    };
    CHECK(one("all").spec.target == "all");
    std::vector<std::string> relus;
    for (size_t n = 0; n < g.nodes.size(); ++n)
        if (g.nodes[n].op == "Relu") relus.push_back(g.nodes[n].name);
    CHECK(one("first").spec.target == "node:" + relus.front());
    CHECK(one("last").spec.target == "node:" + relus.back());
    CHECK(one("3").spec.target == "node:" + relus[2]);
    // Seeded random: the seed alone decides (the same seed twice agrees), the draws are the stored
    // ones (a change of the position stream would silently change every seeded campaign), and
    // different seeds reach different Relus. Of the 7 Relus, seed 5 picks the first and seed 4 the
    // sixth: computed in Python from the definitions in mutate/spec.hpp, not by running Mutiny
    // (mt19937_64 seeded with splitmix64(seed ^ fnv1a64("position/<operator>")), rejection sampling
    // below 7; note fnv1a64 starts from 1469598103934665603, not FNV-1a's 14695981039346656037).
    const std::string seed5 = one("random", 5).spec.target;
    CHECK(one("random", 5).spec.target == seed5);
    CHECK(seed5 == "node:" + relus.at(0));
    CHECK(one("random", 4).spec.target == "node:" + relus.at(5));
    std::set<std::string> reached;
    for (uint64_t seed = 0; seed < 16; ++seed) {
        const std::string t = one("random", seed).spec.target;
        CHECK(std::find(relus.begin(), relus.end(), t.substr(5)) != relus.end());
        reached.insert(t);
    }
    CHECK(reached.size() > 1);
    const Mutation m = apply_mutant(g, one("3").spec);
    int sig = 0;
    for (const Node& n : m.graph->nodes) sig += n.op == "Sigmoid" ? 1 : 0;
    CHECK(sig == 1);
    // Neuron operators: the position picks the layer, every unit of it is a mutant.
    EnumerateOptions n;
    n.ops = {"NAI"};
    n.position = "2";
    Graph lenet = load_model(model_path("fashion_lenet5.onnx"));
    CHECK(enumerate_mutants(lenet, n).size() == 16);  // conv2 has 16 filters
}

TEST_CASE("bad requests are clear errors") {
    Graph lenet = load_model(model_path("fashion_lenet5.onnx"));
    EnumerateOptions e;
    SUBCASE("unknown operator: the error lists the known ones") {
        e.ops = {"NAI", "frobnicate"};
        const std::string err = error_of([&] { enumerate_mutants(lenet, e); });
        CHECK(contains(err, "unknown mutation operator 'frobnicate'"));
        CHECK(contains(err, "GF"));
        CHECK(contains(err, "ifstmt_LT_to_LE"));
        CHECK(contains(err, "vanilla"));
        CHECK(contains(error_of([&] { apply_mutant(lenet, spec("frobnicate", "all")); }), "known operators"));
    }
    SUBCASE("parameter out of range or unknown") {
        CHECK(contains(error_of([&] { apply_mutant(lenet, spec("CW", "node:/fc3/Gemm/units:0", {{"p", "20"}})); }), "out of range"));
        CHECK(contains(error_of([&] { apply_mutant(lenet, spec("GF", "node:/fc3/Gemm", {{"ratio", "0"}})); }), "(0, 1]"));
        CHECK(contains(error_of([&] { apply_mutant(lenet, spec("GF", "node:/fc3/Gemm", {{"sigma", "abc"}})); }), "not a number"));
        CHECK(contains(error_of([&] { apply_mutant(lenet, spec("NEB", "node:/fc3/Gemm/units:0", {{"bias", "drop"}})); }), "keep, zero"));
        CHECK(contains(error_of([&] { apply_mutant(lenet, spec("NAI", "node:/fc3/Gemm/units:0", {{"frob", "1"}})); }), "unknown parameter"));
        CHECK(contains(error_of([&] { apply_mutant(lenet, spec("float32_to_int8", "all", {{"type", "i16"}})); }), "fixed"));
        CHECK(contains(error_of([&] { apply_mutant(lenet, spec("replace_arith", "all", {{"from", "Mul"}, {"to", "Mul"}})); }), "both"));
    }
    SUBCASE("target or position that does not exist") {
        CHECK(contains(error_of([&] { apply_mutant(lenet, spec("NAI", "node:nope/units:0")); }), "no such node"));
        CHECK(contains(error_of([&] { apply_mutant(lenet, spec("NAI", "node:/fc3/Gemm/units:10")); }), "the layer has 10 units"));
        CHECK(contains(error_of([&] { apply_mutant(lenet, spec("store_type", "op:Relu")); }), "no such op kind"));
        CHECK(contains(error_of([&] { apply_mutant(lenet, spec("NAI", "all")); }), "needs a node target"));
        CHECK(contains(error_of([&] { apply_mutant(lenet, spec("store_type", "node:/fc3/Gemm/units:1")); }), "units"));
        CHECK(contains(error_of([&] { apply_mutant(lenet, spec("NAI", "layer:fc3")); }), "bad target"));
        e.ops = {"NAI"};
        e.position = "9";
        CHECK(contains(error_of([&] { enumerate_mutants(lenet, e); }), "position 9 does not exist"));
        e.position = "zeroth";
        CHECK(contains(error_of([&] { enumerate_mutants(lenet, e); }), "bad position"));
        // Inside a group the missing position is reported, not thrown.
        e.ops = {"vanilla"};
        e.position = "9";
        const auto ms = enumerate_mutants(lenet, e);
        REQUIRE(ms.size() == 3);
        for (const auto& m : ms) CHECK(m.status == MutantStatus::not_applicable);
    }
    SUBCASE("a preset that does not apply to the model") {
        e.ops = {"ifstmt_LT_to_LE"};  // LeNet-5 has Sigmoid, no Relu: no LT comparison site
        const std::string err = error_of([&] { enumerate_mutants(lenet, e); });
        CHECK(contains(err, "preset ifstmt_LT_to_LE does not apply to the model"));
        CHECK(contains(err, "LT comparison site"));
        e.ops = {"mutatenn"};
        size_t na = 0;
        for (const auto& m : enumerate_mutants(lenet, e)) na += m.status == MutantStatus::not_applicable ? 1 : 0;
        CHECK(na >= 5);
    }
}

TEST_CASE("every MutateNN preset is registered under its name") {
    const std::vector<std::string> names{
        "transpose_conv2d_0_before", "transpose_dense_0_before", "transpose_conv2d_dense_0_before", "transpose_conv2d_dense_1_before",
        "transpose_batch_norm_0_before", "exp_conv2d_dense_0_before", "exp_conv2d_dense_0_after", "exp_batch_norm_0_before",
        "round_batch_norm_0_before", "replace_func_add_to_subtract", "replace_func_relu_to_sigmoid", "ifstmt_LT_to_LE",
        "ifstmt_LT_to_GT", "ifstmt_GT_to_LT", "ifstmt_GT_to_GE", "change_threshold_ite_LT_r_a_0_5", "float32_to_float16",
        "float32_to_int32", "float32_to_int16", "float32_to_int8", "subtract_from_store_value", "multiply_store_value"};
    const auto& reg = MutationRegistry::instance();
    for (const auto& n : names) CHECK(reg.find_preset(n) != nullptr);
    CHECK(reg.find_group("mutatenn")->size() == 22);
    // Each one applies somewhere in fashion_resnet (Relu, Add, BatchNormalization, Conv, Gemm),
    // except the GT comparisons (no MaxPool) and the dense transpose (no square Gemm input).
    Graph g = load_model(model_path("fashion_resnet.onnx"));
    EnumerateOptions e;
    e.ops = {"mutatenn"};
    std::set<std::string> na;
    for (const auto& m : enumerate_mutants(g, e))
        if (m.status == MutantStatus::not_applicable) na.insert(m.spec.op);
    CHECK(na == std::set<std::string>{"ifstmt_GT_to_LT", "ifstmt_GT_to_GE", "transpose_dense_0_before"});
}

// ---- operator parameters wherever operators are named: NAME(KEY=VALUE,...) ------------------------

namespace {

// x[N,100] -> Gemm "fc" (W [100, 10], 1000 weights, none zero) -> y: GF's pool is the 1000 weights.
Graph gf_graph() {
    GraphBuilder b("gf");
    auto x = b.input("x", DType::f32, {-1, 100});
    std::vector<float> w(1000);
    for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i % 17) * 0.25f - 1.9f;
    b.output(b.node("Gemm", {x, b.constant("W", vec({100, 10}, w))}, {}, "fc"));
    return b.build();
}

std::vector<Mutant> listed(const Graph& g, const std::string& ops, uint64_t seed = 0) {
    EnumerateOptions e;
    e.ops = {ops};
    e.seed = seed;
    return enumerate_mutants(g, e);
}

}  // namespace

TEST_CASE("operator lists: names with parameters, blanks, positions") {
    const auto r = parse_operator_list(" GF( ratio = 0.5 , sigma=0.1 ) ,CW(p=0.2),, vanilla,NEB()");
    REQUIRE(r.size() == 4);
    CHECK(r[0].name == "GF");
    CHECK(r[0].params == std::map<std::string, std::string>{{"ratio", "0.5"}, {"sigma", "0.1"}});
    CHECK(r[0].pos == 2);
    CHECK(r[0].text == "GF( ratio = 0.5 , sigma=0.1 )");
    CHECK(r[1].name == "CW");
    CHECK(r[1].params.at("p") == "0.2");
    CHECK(r[1].pos == 33);
    CHECK(r[2].name == "vanilla");
    CHECK(r[2].params.empty());
    CHECK(r[3].name == "NEB");
    CHECK(r[3].params.empty());
    CHECK(parse_operator_list("").empty());
    CHECK(parse_operator_list(" , ").empty());
    // Syntax errors name the 1-based position and what was expected there.
    CHECK(error_of([] { parse_operator_list("GF:ratio=0.5"); }) ==
          "syntax error in operator list at 'GF:ratio=0.5' position 3: expected ',' or '(' after 'GF', got ':'; parameters are written NAME(KEY=VALUE,...)");
    CHECK(error_of([] { parse_operator_list("CW,GF(ratio=0.5"); }) ==
          "syntax error in operator list at 'CW,GF(ratio=0.5' position 16: expected ',' or ')' after the value of 'ratio', got the end");
    CHECK(contains(error_of([] { parse_operator_list("GF(ratio)"); }), "position 9: expected '=' after parameter 'ratio', got ')'"));
    CHECK(contains(error_of([] { parse_operator_list("GF(=1)"); }), "position 4: expected a parameter name, got '='"));
    CHECK(contains(error_of([] { parse_operator_list("GF(ratio=)"); }), "position 10: expected a value for parameter 'ratio', got ')'"));
    CHECK(contains(error_of([] { parse_operator_list("GF(ratio=1,)"); }), "position 12: expected a parameter name, got ')'"));
    CHECK(contains(error_of([] { parse_operator_list("GF(ratio=1)CW"); }), "position 12: expected ',' after ')', got 'C'"));
    CHECK(contains(error_of([] { parse_operator_list("GF(ratio=1,ratio=2)"); }), "position 12: parameter 'ratio' appears twice"));
    CHECK(contains(error_of([] { parse_operator_list("CW,(p=1)"); }), "position 4: expected an operator, preset or group name, got '('"));
}

TEST_CASE("operator parameters are checked against their declared kind and range") {
    Graph g = gemm_graph();
    // Unknown parameter: the valid ones are listed; an operator without parameters says so.
    CHECK(error_of([&] { listed(g, "CW,GF(rate=0.5)"); }) ==
          "unknown parameter 'rate' at operator GF in 'GF(rate=0.5)' (position 4 of the operator list 'CW,GF(rate=0.5)'): it takes ratio, sigma");
    CHECK(contains(error_of([&] { listed(g, "WS(p=1)"); }), "unknown parameter 'p' at operator WS in 'WS(p=1)': it takes no parameters"));
    // Wrong type: not a number, not an integer, a choice outside its set.
    CHECK(error_of([&] { listed(g, "GF(ratio=half)"); }) ==
          "wrong type for parameter 'ratio' at operator GF in 'GF(ratio=half)': 'half' is not a number; ratio takes a number in (0, 1]");
    CHECK(contains(error_of([&] { listed(g, "QZ(d=1.5)"); }), "'1.5' is not an integer; d takes an integer in [-255, 255]"));
    for (const char* bad : {"CW(p=+1)", "CW(p= 1x)", "CW(p=0x10)", "CW(p=inf)", "CW(p=nan)", "CW(p=1e999)"})
        CHECK_MESSAGE(contains(error_of([&] { listed(g, bad); }), "wrong type for parameter 'p'"), bad);
    CHECK(contains(error_of([&] { listed(g, "NEB(bias=drop)"); }), "parameter 'bias' out of range at operator NEB in 'NEB(bias=drop)': 'drop' is not one of keep, zero"));
    // Out of range: the range, with open and closed ends as declared.
    CHECK(contains(error_of([&] { listed(g, "GF(ratio=0)"); }), "parameter 'ratio' out of range at operator GF in 'GF(ratio=0)': 0 is outside (0, 1]"));
    CHECK(contains(error_of([&] { listed(g, "GF(ratio=1.01)"); }), "1.01 is outside (0, 1]"));
    CHECK(contains(error_of([&] { listed(g, "CW(p=-10.5)"); }), "-10.5 is outside [-10, 10]"));
    CHECK(contains(error_of([&] { listed(g, "QS(p=-1)"); }), "-1 is outside (-1, 100]"));
    // Groups take none; presets keep what they fix (another spelling of the same value is fine).
    CHECK(contains(error_of([&] { listed(g, "vanilla(p=0.2)"); }), "group vanilla takes no parameters"));
    CHECK(contains(error_of([&] { listed(g, "change_threshold_ite_LT_r_a_0_5(t=1)"); }), "parameter 't' is fixed at preset change_threshold_ite_LT_r_a_0_5"));
    CHECK_NOTHROW(resolve_operator("change_threshold_ite_LT_r_a_0_5", {{"t", "0.50"}}));
    // Checked before anything is enumerated: resolve_operator_lists needs no model.
    CHECK(contains(error_of([] { resolve_operator_lists({"CW", "frob(x=1)"}); }), "unknown mutation operator 'frob' at 'frob(x=1)'"));
}

TEST_CASE("parameters reach the operator and change the mutants") {
    Graph g = gf_graph();
    // GF on the 1000 weights of fc: ratio 0.5 fuzzes 500 of them, ratio 1 all 1000.
    auto changed = [&](const std::string& ops, uint64_t seed) {
        const auto ms = listed(g, ops, seed);
        REQUIRE(ms.size() == 1);
        CHECK(ms[0].status == MutantStatus::ok);
        const Mutation m = apply_mutant(g, MutantSpec::parse(ms[0].spec.str()));
        REQUIRE(m.weights.size() == 1);
        return m.weights[0];
    };
    const WeightEdit half = changed("GF(ratio=0.5)", 7), all = changed("GF(ratio=1)", 7), deflt = changed("GF", 7);
    CHECK(half.index.size() == 500);
    CHECK(all.index.size() == 1000);
    CHECK(deflt.index.size() == 10);  // the default ratio, 0.01
    // Seeded: the same list and seed give the same mutant, another seed another one.
    const WeightEdit again = changed("GF(ratio=0.5)", 7), other = changed("GF(ratio=0.5)", 8);
    CHECK(again.index == half.index);
    CHECK(again.after == half.after);
    CHECK(other.index != half.index);
    // sigma scales the noise: the same seed and positions, 10 x the offsets (to float rounding).
    const WeightEdit wide = changed("GF(ratio=0.5,sigma=1)", 7);
    REQUIRE(wide.index == half.index);
    for (size_t k = 0; k < 20; ++k) {
        const double d1 = static_cast<double>(half.after[k]) - half.before[k], d10 = static_cast<double>(wide.after[k]) - wide.before[k];
        CHECK(std::fabs(d10 - 10 * d1) < 3e-6);  // |w| <= 2.1: each float rounding is within 1.2e-7
        CHECK(std::fabs(d1) > 0);
    }
    // CW(p=0.2) multiplies unit 1's weights and bias by 1.2, the default by 1.1.
    Graph gg = gemm_graph();
    const auto cw = listed(gg, "CW(p=0.2),CW");
    REQUIRE(cw.size() == 8);
    CHECK(cw[1].spec.target == "node:fc/units:1");
    CHECK(cw[1].spec.str() == "id=m000002 op=CW target=node:fc/units:1 seed=0 p=0.2");
    CHECK(cw[5].spec.str() == "id=m000006 op=CW target=node:fc/units:1 seed=0 p=0.1");
    for (size_t i : {size_t{1}, size_t{5}}) {
        const double f = i == 1 ? 1.0 + 0.2 : 1.0 + 0.1;  // as CW computes it: w x (1 + p) in double, rounded
        const Mutation m = apply_mutant(gg, cw[i].spec);
        REQUIRE(m.weights.size() == 2);
        CHECK(m.weights[0].index == std::vector<int64_t>{1, 5, 9});  // column 1 of W [3, 4] = 2, 6, 10
        CHECK(m.weights[0].after == std::vector<float>{static_cast<float>(2.0 * f), static_cast<float>(6.0 * f), static_cast<float>(10.0 * f)});
        CHECK(m.weights[1].after == std::vector<float>{static_cast<float>(-1.0 * f)});
    }
}

TEST_CASE("non-default parameters are part of a mutant's name; values have one text") {
    Graph g = gemm_graph();
    const auto ms = listed(g, "CW,CW(p=0.2),CW(p=0.20),CW(p=2e-1),CW(p=0.1),NEB(bias=zero),GF(sigma=0.5,ratio=0.5)");
    std::map<std::string, size_t> by_label;
    for (const auto& m : ms) ++by_label[operator_label(m.spec)];
    // CW(p=0.20), CW(p=2e-1) are CW(p=0.2) again, CW(p=0.1) is CW: duplicates, dropped.
    CHECK(by_label == std::map<std::string, size_t>{{"CW", 4}, {"CW(p=0.2)", 4}, {"NEB(bias=zero)", 4}, {"GF(ratio=0.5,sigma=0.5)", 1}});
    CHECK(ms.size() == 13);
    // The label is itself a list item naming the same mutants.
    CHECK(listed(g, "GF(ratio=0.5,sigma=0.5)")[0].spec.params == ms.back().spec.params);
    CHECK(operator_label("CW", {{"p", "0.10"}}) == "CW");
    CHECK(operator_label("QZ", {{"d", "-2"}}) == "QZ(d=-2)");
    CHECK(operator_label("float32_to_int8", {}) == "float32_to_int8");
    CHECK(operator_label("store_type", {{"type", "i8"}}) == "store_type(type=i8)");
    CHECK(operator_label("threshold_shift", {{"t", "2.50"}, {"action", "mul"}}) == "threshold_shift(action=mul,t=2.5)");
    // Canonical numbers: integers without a fraction, others in the fewest digits that read back.
    CHECK(mutate_detail::canonical_number(2.0) == "2");
    CHECK(mutate_detail::canonical_number(-0.0) == "0");
    CHECK(mutate_detail::canonical_number(0.1) == "0.1");
    CHECK(mutate_detail::canonical_number(1.0 / 3) == "0.3333333333333333");
    CHECK(mutate_detail::canonical_number(2.5e-7) == "2.5e-07");
    // op=NAME(KEY=VALUE) in a spec line is op=NAME KEY=VALUE.
    CHECK(MutantSpec::parse("id=a op=CW(p=0.2) target=node:fc/units:1") == MutantSpec::parse("id=a op=CW target=node:fc/units:1 p=0.2"));
    CHECK(contains(error_of([] { MutantSpec::parse("op=CW(p=0.2) target=all p=0.3"); }), "parameter 'p' appears twice"));
    CHECK(contains(error_of([] { MutantSpec::parse("op=CW(p=0.2 target=all"); }), "expected ',' or ')' after the value of 'p', got the end"));
    CHECK(contains(error_of([&] { apply_mutant(g, MutantSpec::parse("op=CW(p=20) target=node:fc/units:1")); }), "20 is outside [-10, 10]"));
}

TEST_CASE("mutant lists: written with the model's identity, read back exactly, edited by hand") {
    Graph g = gemm_graph();
    const std::string hash = "fnv1a64:0123456789abcdef";
    const auto ms = listed(g, "CW(p=0.2),NEB");
    REQUIRE(ms.size() == 8);
    const std::string text = format_mutant_list(ms, "dir/my model.onnx", hash, "mutiny mutants ...");
    CHECK(text.rfind("# mutiny mutant list\n# model-hash: fnv1a64:0123456789abcdef dir/my%20model.onnx\n# mutiny mutants ...\n"
                     "id=m000001 op=CW target=node:fc/units:0 seed=0 p=0.2\n", 0) == 0);
    const MutantList l = parse_mutant_list(text, "list.txt");
    CHECK(l.model_hash == hash);
    CHECK(l.model == "dir/my model.onnx");
    REQUIRE(l.specs.size() == 8);
    CHECK(l.lines.front() == 4);
    CHECK(l.lines.back() == 11);
    const auto back = mutants_from_list(g, l, hash, "list.txt");
    REQUIRE(back.size() == ms.size());
    for (size_t i = 0; i < ms.size(); ++i) {
        CHECK(back[i].spec == ms[i].spec);
        CHECK(back[i].status == ms[i].status);
        CHECK(back[i].layer == ms[i].layer);
        CHECK(back[i].category == ms[i].category);
        CHECK(back[i].family == ms[i].family);
    }
    // Edited: lines deleted, a parameter changed (written as the user likes; the spec gets the
    // canonical text), a spec added without its parameter (the default is filled in), CW with p = 0
    // (changes nothing: equivalent), a not-buildable comment line left as it is.
    const std::string edited = "# model-hash: " + hash +
                               "\n\nid=m000002 op=CW target=node:fc/units:1 seed=0 p=0.30\n"
                               "# not_applicable: id=m000099 op=CW target=all seed=0 -- ignored\n"
                               "  id=extra op=NAI target=node:fc/units:3\r\n"
                               "id=zero op=CW(p=0) target=node:fc/units:2\n";
    const auto e = mutants_from_list(g, parse_mutant_list(edited, "e.txt"), hash, "e.txt");
    REQUIRE(e.size() == 3);
    CHECK(e[0].spec.str() == "id=m000002 op=CW target=node:fc/units:1 seed=0 p=0.3");
    CHECK(apply_mutant(g, e[0].spec).weights[0].after == std::vector<float>{static_cast<float>(2.0 * 1.3), static_cast<float>(6.0 * 1.3),
                                                                                static_cast<float>(10.0 * 1.3)});
    CHECK(e[1].spec.str() == "id=extra op=NAI target=node:fc/units:3 seed=0 bias=keep");
    CHECK(e[1].status == MutantStatus::ok);
    CHECK(e[2].status == MutantStatus::equivalent);
    CHECK(e[2].reason == "changes no weight bit");
    // Refused: another model, no identity.
    CHECK(error_of([&] { mutants_from_list(g, l, "fnv1a64:ffffffffffffffff", "list.txt"); }) ==
          "mutant list made for another model at list.txt: it is for fnv1a64:0123456789abcdef (dir/my model.onnx); "
          "the model given is fnv1a64:ffffffffffffffff");
    CHECK(contains(error_of([&] { mutants_from_list(g, parse_mutant_list("id=a op=CW target=node:fc/units:1\n", "n.txt"), hash, "n.txt"); }),
                   "mutant list without a model identity at n.txt: it has no '# model-hash:' line"));
    // Malformed lines are named by file and line.
    const std::string head = "# model-hash: " + hash + "\n";
    CHECK(error_of([&] { parse_mutant_list(head + "id=a op=CW target=node:fc/units:1\nid=b op=CW target\n", "bad.txt"); }) ==
          "bad mutant list at bad.txt line 3: field 'target' is not key=value");
    CHECK(error_of([&] { parse_mutant_list(head + "id=a op=CW target=all\nid=a op=NEB target=all\n", "dup.txt"); }) ==
          "bad mutant list at dup.txt line 3: id a is used again (first at line 2)");
    CHECK(contains(error_of([&] { parse_mutant_list("op=CW target=all\n", "x.txt"); }), "x.txt line 1: the spec has no id="));
    CHECK(contains(error_of([&] { parse_mutant_list(head + head, "x.txt"); }), "x.txt line 2: a second '# model-hash: ' line"));
    CHECK(contains(error_of([&] { parse_mutant_list("# model-hash: md5:abc\n", "x.txt"); }), "x.txt line 1: the model hash must be fnv1a64:"));
    // A line that parses but does not fit the model: its line and the reason.
    CHECK(error_of([&] { mutants_from_list(g, parse_mutant_list(head + "\nid=a op=CW target=node:fc/units:4 p=0.2\n", "u.txt"), hash, "u.txt"); }) ==
          "no such unit at u.txt line 3, target unit 4 of node 'fc' (Gemm): the layer has 4 units (0..3)");
    CHECK(contains(error_of([&] { mutants_from_list(g, parse_mutant_list(head + "id=a op=CW target=node:fc/units:1 p=0.2x\n", "t.txt"), hash, "t.txt"); }),
                   "wrong type for parameter 'p' at t.txt line 2, operator CW: '0.2x' is not a number"));
}
