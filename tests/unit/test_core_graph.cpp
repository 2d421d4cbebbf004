// Core types, the graph IR and its validation, the CPU executor's contract on small graphs.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include <mutiny/mutiny.hpp>

#include <tbb/global_control.h>

using namespace mutiny;

TEST_CASE("half conversion rounds to nearest even and saturates to inf") {
    CHECK(half(1.0f).bits == 0x3c00);
    CHECK(half(65504.0f).bits == 0x7bff);
    CHECK(half(65520.0f).bits == 0x7c00);                    // halfway to the next binade: inf
    CHECK(half(std::ldexp(1.0f, -24)).bits == 0x0001);       // smallest subnormal
    CHECK(half(std::ldexp(1.0f, -25)).bits == 0x0000);       // tie rounds to even (zero)
    CHECK(half(0.1f).bits == 0x2e66);
    CHECK(half(1.0f + std::ldexp(1.0f, -11)).bits == 0x3c00);      // tie, even stays
    CHECK(half(1.0f + 3 * std::ldexp(1.0f, -11)).bits == 0x3c02);  // tie, odd rounds up
    CHECK(half(-2.5f).bits == 0xc100);
    CHECK(std::isnan(static_cast<float>(half(std::numeric_limits<float>::quiet_NaN()))));
    for (uint32_t b = 0; b < 0x7c00; ++b) {  // every finite half survives a round trip
        const float f = half_bits_to_float(static_cast<uint16_t>(b));
        REQUIRE(float_to_half_bits(f) == b);
    }
}

TEST_CASE("shapes broadcast like numpy and say why they do not") {
    CHECK(Shape::broadcast({2, 1, 3}, {4, 1}) == Shape{2, 4, 3});
    CHECK(Shape::broadcast({}, {5}) == Shape{5});
    try {
        Shape::broadcast({2, 3}, {4}, "node 'x' (Add)");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) == "shapes do not broadcast at node 'x' (Add): [2,3] and [4] differ at axis 1");
    }
}

TEST_CASE("tensors are 64-byte aligned and check their dtype") {
    Tensor t(DType::f32, {3, 5});
    CHECK(reinterpret_cast<uintptr_t>(t.raw()) % 64 == 0);
    CHECK(t.nbytes() == 60);
    CHECK_THROWS_AS(t.data<int64_t>(), Error);
    Tensor u = t.reshaped({15});
    u.data<float>()[7] = 2.5f;
    CHECK(t.data<float>()[7] == 2.5f);  // views share storage
    Tensor c = t.clone();
    c.data<float>()[7] = 1.0f;
    CHECK(t.data<float>()[7] == 2.5f);
}

TEST_CASE("errors carry what, where and why") {
    Error e("unsupported op 'Foo'", "model.onnx node 'n1' (Foo)", "no implementation");
    CHECK(std::string(e.what()) == "unsupported op 'Foo' at model.onnx node 'n1' (Foo): no implementation");
    CHECK(e.where_part() == "model.onnx node 'n1' (Foo)");
}

static Tensor vec(Shape s, std::vector<float> v) { return Tensor::from_vector<float>(std::move(s), v); }

TEST_CASE("builder, topological order and validation") {
    GraphBuilder b("g");
    auto x = b.input("x", DType::f32, {-1, 3});
    auto c = b.constant("c", vec({3}, {1, 2, 3}));
    auto s = b.node("Add", {x, c});
    auto r = b.node("Relu", {s});
    b.output(r);
    Graph g = b.build();
    CHECK(g.value(g.value_id(r)).shape == Shape{-1, 3});  // batch stays symbolic

    // Nodes listed out of order are sorted; the order is stable.
    Graph h = g;
    std::swap(h.nodes[0], h.nodes[1]);
    validate(h);
    CHECK(h.nodes[0].op == "Add");

    SUBCASE("a cycle is rejected") {
        Graph bad = g;
        bad.nodes[0].inputs[0] = bad.nodes[1].outputs[0];
        CHECK_THROWS_WITH_AS(validate(bad), doctest::Contains("cycle"), Error);
    }
    SUBCASE("a shape mismatch names the node") {
        GraphBuilder b2;
        auto y = b2.input("y", DType::f32, {2, 3});
        b2.output(b2.node("Add", {y, b2.constant("k", vec({4}, {1, 2, 3, 4}))}, {}, "bad_add"));
        CHECK_THROWS_WITH_AS(b2.build(), doctest::Contains("node 'bad_add' (Add)"), Error);
    }
    SUBCASE("an unknown op is reported with its name") {
        GraphBuilder b3;
        auto y = b3.input("y", DType::f32, {2});
        b3.output(b3.node("NoSuchOp", {y}));
        CHECK_THROWS_WITH_AS(b3.build(), doctest::Contains("unsupported op 'NoSuchOp'"), Error);
    }
}

TEST_CASE("executor runs batches, rejects bad inputs, and is deterministic across threads") {
    GraphBuilder b;
    auto x = b.input("x", DType::f32, {-1, 4});
    auto y = b.node("Sigmoid", {b.node("Mul", {x, b.constant("two", vec({4}, {2, 2, 2, 2}))})});
    b.output(b.node("Tanh", {y}));
    Graph g = b.build();
    CpuExecutor ex(g);
    const auto out = ex.run({vec({2, 4}, {0, 1, -1, 0.5f, 3, -3, 0.25f, -0.25f})});
    REQUIRE(out[0].shape() == Shape{2, 4});
    CHECK(out[0].data<float>()[0] == doctest::Approx(std::tanh(0.5)));
    CHECK(out[0].data<float>()[1] == doctest::Approx(std::tanh(1.0 / (1.0 + std::exp(-2.0)))));
    CHECK_THROWS_WITH_AS(ex.run({vec({2, 5}, std::vector<float>(10, 0.f))}), doctest::Contains("wrong input shape"), Error);
    CHECK_THROWS_WITH_AS(ex.run({Tensor(DType::f64, {2, 4})}), doctest::Contains("wrong input dtype"), Error);
    CHECK_THROWS_WITH_AS(ex.run({}), doctest::Contains("wrong number of inputs"), Error);

    std::vector<float> big(4 * 100000);
    for (size_t i = 0; i < big.size(); ++i) big[i] = std::sin(static_cast<float>(i));
    Tensor in = vec({100000, 4}, big);
    Tensor ref;
    tbb::global_control allow(tbb::global_control::max_allowed_parallelism, 4);  // really 4, even on 2 cores
    for (int threads : {1, 2, 4}) {
        CpuOptions opt;
        opt.threads = threads;
        CpuExecutor e(g, opt);
        Tensor o = e.run({in})[0];
        if (ref.empty()) ref = o;
        CHECK(o.bitwise_equal(ref));
    }
}

TEST_CASE("native model file: bitwise round trip, checksum, truncation, self-test") {
    GraphBuilder b("native");
    auto x = b.input("x with space", DType::f32, {-1, 3});
    Attributes a;
    a.set_float("alpha", 0.1);
    a.set_ints("list", {1, -2, 3});
    b.output(b.node("LeakyRelu", {b.node("Add", {x, b.constant("c", vec({3}, {0.5f, -1, 2}))})}, a));
    NativeModel m;
    m.graph = b.build();
    m.metadata["preprocess"] = "scale=1/255; layout=nchw";
    m.selftest.inputs.push_back(vec({1, 3}, {1, 1, -4}));
    m.selftest.outputs.push_back(vec({1, 3}, {1.5f, 0, -0.2f}));
    const auto bytes = save_native_bytes(m);
    NativeModel back = load_native_bytes(bytes.data(), bytes.size(), "mem");
    CHECK(save_native_bytes(back) == bytes);
    CHECK(back.metadata.at("preprocess") == "scale=1/255; layout=nchw");
    CHECK(back.graph.nodes[1].attrs.get_float("alpha", 0) == 0.1);  // hex floats: exact
    CHECK_NOTHROW(verify_selftest(back, "mem"));

    auto corrupt = bytes;
    corrupt[corrupt.size() - 3] ^= 0x10;
    CHECK_THROWS_WITH_AS(load_native_bytes(corrupt.data(), corrupt.size(), "m.mutiny"), doctest::Contains("checksum mismatch"), Error);
    CHECK_THROWS_WITH_AS(load_native_bytes(bytes.data(), bytes.size() - 10, "m.mutiny"), doctest::Contains("truncated"), Error);
    CHECK_THROWS_WITH_AS(load_native_bytes(bytes.data(), 20, "m.mutiny"), doctest::Contains("truncated"), Error);

    // Every byte of the header is checked: each one-byte change is refused with a mutiny::Error.
    // Flags (12..15) and reserved bytes (48..63) are refused by the checksum itself, which covers
    // every byte of the file but its own 8 (40..47): native_header shows the mismatch.
    CHECK(native_header(bytes.data(), bytes.size()).checksum_ok());
    for (size_t i = 0; i < native::kHeader; ++i) {
        auto h = bytes;
        h[i] ^= 0x01;
        CAPTURE(i);
        CHECK_THROWS_AS(load_native_bytes(h.data(), h.size(), "m.mutiny"), Error);
        if (i >= 8) CHECK(!native_header(h.data(), h.size()).checksum_ok());
        if ((i >= 12 && i < 16) || i >= 48)
            CHECK_THROWS_WITH_AS(load_native_bytes(h.data(), h.size(), "m.mutiny"), doctest::Contains("checksum mismatch"), Error);
    }
    {
        const NativeHeader h = native_header(bytes.data(), bytes.size());
        CHECK(h.version == native::kVersion);
        CHECK(h.flags == 0);
        CHECK(h.binary_offset % kAlignment == 0);
        CHECK(h.binary_offset + h.binary_size == bytes.size());
        CHECK(h.text_size <= h.binary_offset - native::kHeader);
        CHECK(h.stored_checksum == h.computed_checksum);
    }
    // Crafted headers whose checksum was recomputed: flags, reserved bytes and a text size that
    // runs into the binary section each get their own message (the last once said "header
    // promises N bytes, the file has N").
    auto crafted = [&](size_t at, uint8_t v) {
        auto h = bytes;
        h[at] = v;
        const uint64_t sum = native::header_checksum(h.data(), h.size(), native::kVersion);
        for (int k = 0; k < 8; ++k) h[40 + static_cast<size_t>(k)] = static_cast<uint8_t>(sum >> (8 * k));
        return h;
    };
    auto flags = crafted(12, 1);
    CHECK_THROWS_WITH_AS(load_native_bytes(flags.data(), flags.size(), "m.mutiny"), doctest::Contains("unsupported native model flags 1"), Error);
    auto reserved = crafted(60, 7);
    CHECK_THROWS_WITH_AS(load_native_bytes(reserved.data(), reserved.size(), "m.mutiny"), doctest::Contains("reserved byte 60 is not 0"), Error);
    auto text = crafted(17, 0x7f);  // text size + 0x7f00
    CHECK_THROWS_WITH_AS(load_native_bytes(text.data(), text.size(), "m.mutiny"), doctest::Contains("does not fit before the binary section"), Error);
    // Version 1 files (checksum over the bytes after the header only) still load.
    auto v1 = bytes;
    v1[8] = 1;
    const uint64_t sum1 = native::header_checksum(v1.data(), v1.size(), 1);
    for (int k = 0; k < 8; ++k) v1[40 + static_cast<size_t>(k)] = static_cast<uint8_t>(sum1 >> (8 * k));
    CHECK(save_native_bytes(load_native_bytes(v1.data(), v1.size(), "v1.mutiny")) == bytes);

    NativeModel wrong = back;
    wrong.selftest.outputs[0].data<float>()[0] = 1.6f;
    CHECK_THROWS_WITH_AS(verify_selftest(wrong, "m.mutiny"), doctest::Contains("self-test failed"), Error);
}
