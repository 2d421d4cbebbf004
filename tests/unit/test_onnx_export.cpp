// The ONNX writer (io/onnx_export.hpp): Mutiny graph -> ONNX -> Mutiny graph computes the same
// bits (shipped models; the control-flow, com.microsoft and ONNX node fixtures: subgraphs, other
// domains, attributes of every kind); tensors of every dtype and attributes read back as written;
// symbolic dimensions become dim_params; what opset 21 cannot say is refused naming the node.
#include <doctest/doctest.h>

#include "support/onnx_round_trip.hpp"
#include "support/support.hpp"

#include <cstdint>
#include <filesystem>
#include <random>

#include <mutiny/mutiny.hpp>

using namespace mutiny;
namespace fs = std::filesystem;

static Graph reimport(const std::string& bytes) {
    return import_onnx(onnx::parse_model(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "exported"), "exported");
}

TEST_CASE("shipped models: export -> import runs bitwise as the original") {
    for (const char* name : {"fashion_fcnn", "fashion_lenet5", "fashion_lenet5_int8", "fashion_resnet"}) {
        CAPTURE(name);
        const Graph g = load_model(MUTINY_SOURCE_DIR + "/models/" + name + ".onnx");
        const Graph back = reimport(onnx_model_bytes(g));
        CHECK(back.nodes.size() == g.nodes.size());
        std::vector<Tensor> in;
        std::mt19937_64 rng(7);
        for (const int id : g.inputs) {
            Shape s = g.value(id).shape;
            for (auto& d : s.dims()) d = d < 0 ? 3 : d;  // a batch of 3
            Tensor t(DType::f32, s);
            for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(rng() >> 40) / static_cast<float>(1 << 24);
            in.push_back(t);
        }
        CpuExecutor a(g), b(back);
        const auto x = a.run(in), y = b.run(in);
        REQUIRE(x.size() == y.size());
        for (size_t o = 0; o < x.size(); ++o) CHECK(x[o].bitwise_equal(y[o]));
    }
}

TEST_CASE("fixtures with subgraphs, com.microsoft ops and recent ONNX ops round-trip bitwise") {
    int same = 0;
    for (const char* set : {"control_flow", "contrib_quant", "onnx_node"}) {
        for (const auto& t : find_conformance_tests({MUTINY_SOURCE_DIR + "/tests/fixtures/" + set})) {
            const mutiny_test::RoundTrip r = mutiny_test::onnx_round_trip(t);
            CAPTURE(t.string());
            CHECK_MESSAGE(r.status != mutiny_test::RoundTrip::Status::differs, r.detail);
            CHECK_MESSAGE(r.status != mutiny_test::RoundTrip::Status::refused, r.detail);
            same += r.status == mutiny_test::RoundTrip::Status::same;
        }
    }
    CHECK(same >= 100);
}

TEST_CASE("com.microsoft ops keep their domain and opset import") {
    const Graph g = load_onnx(MUTINY_SOURCE_DIR + "/tests/fixtures/contrib_quant/qlinear_add_u8_same/model.onnx");
    const std::string bytes = onnx_model_bytes(g);
    const onnx::ModelProto m = onnx::parse_model(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "exported");
    CHECK(onnx::opset_version(m) == kOnnxExportOpset);
    CHECK(onnx::opset_version(m, "com.microsoft") == 1);
    bool found = false;
    for (const auto& n : m.graph.node) found = found || (n.domain == "com.microsoft" && n.op_type == "QLinearAdd");
    CHECK(found);
}

TEST_CASE("tensors of every dtype read back bitwise") {
    for (const DType dt : {DType::f32, DType::f16, DType::bf16, DType::f64, DType::i8, DType::i16, DType::i32, DType::i64, DType::u8,
                           DType::u16, DType::u32, DType::u64, DType::boolean}) {
        CAPTURE(dtype_name(dt));
        Tensor t(dt, Shape{2, 3});
        auto* p = static_cast<uint8_t*>(t.raw());
        for (size_t i = 0; i < t.nbytes(); ++i) p[i] = static_cast<uint8_t>(dt == DType::boolean ? i % 2 : i * 37 + 11);
        const std::string bytes = onnx_tensor_bytes(t, "w");
        const onnx::TensorProto tp = onnx::parse_tensor(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "tensor");
        CHECK(tp.name == "w");
        CHECK(tp.data_type == onnx_import::dtype_to_onnx(dt));
        CHECK(onnx_import::tensor_from_proto(tp, "tensor").bitwise_equal(t));
    }
    const Tensor empty(DType::f32, Shape{0, 4});  // zero elements: raw_data present and empty
    const std::string bytes = onnx_tensor_bytes(empty, "");
    CHECK(onnx_import::tensor_from_proto(onnx::parse_tensor(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "t"), "t").shape() == Shape{0, 4});
}

TEST_CASE("attributes of every kind read back as written") {
    std::set<std::string> domains;
    const std::vector<std::pair<std::string, Attribute>> cases = {
        {"i", Attribute::of_int(-5)},
        {"f", Attribute::of_float(0.25)},
        {"s", Attribute::of_string("same_upper")},
        {"ints", Attribute::of_ints({1, -2, 1LL << 40})},
        {"floats", Attribute::of_floats({0.5, -1.5})},
        {"strings", Attribute::of_strings({"a", "", "c"})},
        {"t", Attribute::of_tensor(Tensor::from_vector<int64_t>(Shape{2}, {3, -4}))},
    };
    for (const auto& c : cases) {
        CAPTURE(c.first);
        pb::Writer w;
        onnx_export::write_attribute(w, c.first, c.second, "test", {}, {}, domains);
        pb::Reader r(reinterpret_cast<const uint8_t*>(w.data().data()), w.data().size(), "attribute");
        onnx::AttributeProto a;
        onnx::detail::decode(r, a);
        CHECK(a.name == c.first);
        CHECK(onnx_import::attribute_from_proto(a, "test") == c.second);
    }
}

TEST_CASE("symbolic dimensions are written as dim_params") {
    const Graph g = load_model(MUTINY_SOURCE_DIR + "/models/fashion_fcnn.onnx");
    REQUIRE(g.value(g.inputs[0]).shape[0] < 0);
    const std::string bytes = onnx_model_bytes(g);
    const onnx::ModelProto m = onnx::parse_model(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "exported");
    REQUIRE(!m.graph.input.empty());
    CHECK(!m.graph.input[0].dims[0].has_value);
    CHECK(m.graph.input[0].dims[0].param == "N");
    const Graph back = reimport(bytes);
    CHECK(back.value(back.inputs[0]).shape == g.value(g.inputs[0]).shape);
}

TEST_CASE("what opset 21 cannot say is refused, naming the node") {
    Graph g;
    g.add_input("x", DType::f32, Shape{2, 3, 4});
    Node n;
    n.op = "Softmax";
    n.name = "sm";
    n.inputs = {0};
    n.outputs = {g.add_value("y")};
    n.attrs.set_int("axis", 1);
    n.attrs.set_int("legacy_coerce", 1);  // Softmax-11 on an inner axis: coerced to 2-D
    g.nodes.push_back(n);
    g.outputs = {1};
    validate(g);
    const std::string e = mutiny_test::error_of([&] { onnx_model_bytes(g); });
    CHECK(mutiny_test::contains(e, "cannot write node 'sm' (Softmax) as ONNX opset 21"));
    CHECK(mutiny_test::contains(e, "coerces the input to 2-D at axis 1"));
    // On the last axis the legacy op is the current one: written without the mark.
    g.nodes[0].attrs.set_int("axis", 2);
    const Graph back = reimport(onnx_model_bytes(g));
    CHECK(!back.nodes[0].attrs.has("legacy_coerce"));
    Tensor x(DType::f32, Shape{2, 3, 4});
    for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>(i % 7) - 3.0f;
    CHECK(CpuExecutor(g).run({x})[0].bitwise_equal(CpuExecutor(back).run({x})[0]));
    g.nodes[0].attrs.set_int("legacy_mystery", 1);
    CHECK(mutiny_test::contains(mutiny_test::error_of([&] { onnx_model_bytes(g); }), "attribute 'legacy_mystery' is Mutiny's mark of a legacy semantics"));
}
