// The ONNX decoders built on the protobuf reader (mutiny/io/onnx_proto.hpp): messages built with a
// tiny encoder (pb_encoder.hpp), files written at test time, and the shared data's mnist-8.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "mutiny/io/onnx_proto.hpp"
#include "pb_encoder.hpp"
#include "support/support.hpp"

namespace {

namespace ox = mutiny::onnx;
using namespace pb_encoder;
using mutiny_test::contains;
using mutiny_test::error_of;

Buf graph_with_node(const Buf& node) {
    Buf g;
    put_len(g, 1, node);
    put_str(g, 2, "g");
    return g;
}

Buf model_with_graph(const Buf& graph) {
    Buf m;
    put_int(m, 1, 8);  // ir_version
    Buf opset;
    put_int(opset, 2, 17);
    put_len(m, 8, opset);
    put_len(m, 7, graph);
    return m;
}

// An If node whose then_branch holds `inner` graph.
Buf if_node(const Buf& inner) {
    Buf attr;
    put_str(attr, 1, "then_branch");
    put_len(attr, 6, inner);
    put_int(attr, 20, ox::AttributeProto::GRAPH);
    Buf node;
    put_str(node, 4, "If");
    put_len(node, 5, attr);
    return node;
}

}  // namespace

TEST_CASE("onnx: model basics") {
    Buf node;
    put_str(node, 1, "x");
    put_str(node, 1, "w");
    put_str(node, 2, "y");
    put_str(node, 3, "mm");
    put_str(node, 4, "MatMul");
    put_str(node, 7, "");
    Buf m = model_with_graph(graph_with_node(node));
    put_str(m, 2, "tests");
    put_int(m, 5, 3);

    const ox::ModelProto model = ox::parse_model(m.data(), m.size(), "m");
    CHECK(model.ir_version == 8);
    CHECK(model.producer_name == "tests");
    CHECK(model.model_version == 3);
    CHECK(ox::opset_version(model) == 17);
    REQUIRE(model.graph.node.size() == 1);
    const ox::NodeProto& n = model.graph.node[0];
    CHECK(n.input == std::vector<std::string>{"x", "w"});
    CHECK(n.output == std::vector<std::string>{"y"});
    CHECK(n.name == "mm");
    CHECK(n.op_type == "MatMul");
    CHECK(model.graph.name == "g");
}

TEST_CASE("onnx: a model needs a graph") {
    Buf m;
    put_int(m, 1, 8);
    CHECK(contains(error_of([&] { ox::parse_model(m.data(), m.size(), "m.onnx"); }), "no graph"));
    CHECK(contains(error_of([] { ox::parse_model(nullptr, 0, "empty"); }), "no graph"));
}

TEST_CASE("onnx: opset_version") {
    ox::ModelProto m;
    m.ir_version = 8;
    m.opset_import = {{"ai.onnx", 13}, {"", 11}, {"com.microsoft", 1}};
    CHECK(ox::opset_version(m) == 13);
    CHECK(ox::opset_version(m, "ai.onnx") == 13);
    CHECK(ox::opset_version(m, "com.microsoft") == 1);
    CHECK(ox::opset_version(m, "ai.onnx.ml") == 0);
    ox::ModelProto old;
    old.ir_version = 2;  // before opset_import existed
    CHECK(ox::opset_version(old) == 1);
}

TEST_CASE("onnx: attributes, including type inference for old files") {
    Buf node;
    put_str(node, 4, "Op");
    auto add_attr = [&](const Buf& a) { put_len(node, 5, a); };

    Buf f;  // float without type
    put_str(f, 1, "alpha");
    put_float(f, 2, 0.25f);
    add_attr(f);
    Buf i;  // int without type, value 0 (present, so still INT)
    put_str(i, 1, "axis");
    put_int(i, 3, 0);
    add_attr(i);
    Buf s;
    put_str(s, 1, "mode");
    put_str(s, 4, "constant");
    add_attr(s);
    Buf ints;  // packed ints without type
    put_str(ints, 1, "perm");
    put_len(ints, 8, Buf{0x01, 0x00, 0x02});
    add_attr(ints);
    Buf floats;  // unpacked floats
    put_str(floats, 1, "scales");
    put_float(floats, 7, 1.0f);
    put_float(floats, 7, 2.0f);
    add_attr(floats);
    Buf strs;
    put_str(strs, 1, "names");
    put_str(strs, 9, "a");
    put_str(strs, 9, "b");
    add_attr(strs);
    Buf t;  // tensor, with explicit type
    Buf tensor;
    put_int(tensor, 2, ox::FLOAT);
    put_str(tensor, 9, std::string("\x00\x00\x80\x3f", 4));
    put_str(t, 1, "value");
    put_len(t, 5, tensor);
    put_int(t, 20, ox::AttributeProto::TENSOR);
    add_attr(t);
    Buf g;  // graph without type
    put_str(g, 1, "body");
    put_len(g, 6, graph_with_node(Buf{}));
    add_attr(g);
    Buf ref;
    put_str(ref, 1, "ratio");
    put_str(ref, 21, "parent_ratio");
    put_int(ref, 20, ox::AttributeProto::FLOAT);
    add_attr(ref);

    const Buf m = model_with_graph(graph_with_node(node));
    const ox::ModelProto model = ox::parse_model(m.data(), m.size(), "m");
    const auto& a = model.graph.node.at(0).attribute;
    REQUIRE(a.size() == 9);
    CHECK(a[0].type == ox::AttributeProto::FLOAT);
    CHECK(a[0].f == 0.25f);
    CHECK(a[1].type == ox::AttributeProto::INT);
    CHECK(a[1].i == 0);
    CHECK(a[2].type == ox::AttributeProto::STRING);
    CHECK(a[2].s == "constant");
    CHECK(a[3].type == ox::AttributeProto::INTS);
    CHECK(a[3].ints == std::vector<std::int64_t>{1, 0, 2});
    CHECK(a[4].type == ox::AttributeProto::FLOATS);
    CHECK(a[4].floats == std::vector<float>{1.0f, 2.0f});
    CHECK(a[5].type == ox::AttributeProto::STRINGS);
    CHECK(a[5].strings == std::vector<std::string>{"a", "b"});
    CHECK(a[6].type == ox::AttributeProto::TENSOR);
    REQUIRE(a[6].t);
    CHECK(a[6].t->has_raw_data);
    CHECK(a[6].t->raw_data.size() == 4);
    CHECK(a[7].type == ox::AttributeProto::GRAPH);
    REQUIRE(a[7].g);
    CHECK(a[7].g->name == "g");
    CHECK(a[8].ref_attr_name == "parent_ratio");
    CHECK(a[8].type == ox::AttributeProto::FLOAT);
}

TEST_CASE("onnx: subgraph recursion is depth limited") {
    auto nested_model = [](int levels) {
        Buf g = graph_with_node(Buf{});
        for (int k = 0; k < levels; ++k) g = graph_with_node(if_node(g));
        return model_with_graph(g);
    };
    SUBCASE("realistic nesting parses") {
        const Buf m = nested_model(5);
        const ox::ModelProto model = ox::parse_model(m.data(), m.size(), "m");
        const ox::GraphProto* g = &model.graph;
        int depth = 0;
        while (!g->node.empty() && !g->node[0].attribute.empty()) {
            g = g->node[0].attribute[0].g.get();
            ++depth;
        }
        CHECK(depth == 5);
    }
    SUBCASE("crafted deep nesting throws instead of exhausting the stack") {
        const Buf m = nested_model(200);
        CHECK(contains(error_of([&] { ox::parse_model(m.data(), m.size(), "deep.onnx"); }),
                       "nested deeper than 64"));
    }
}

TEST_CASE("onnx: value infos") {
    auto dim_value = [](std::int64_t v) { Buf d; put_int(d, 1, v); return d; };
    auto dim_param = [](const std::string& p) { Buf d; put_str(d, 2, p); return d; };
    Buf shape;
    put_len(shape, 1, dim_param("batch"));
    put_len(shape, 1, dim_value(3));
    put_len(shape, 1, Buf{});  // unknown
    Buf tensor_type;
    put_int(tensor_type, 1, ox::FLOAT16);
    put_len(tensor_type, 2, shape);
    Buf type;
    put_len(type, 1, tensor_type);
    Buf vi;
    put_str(vi, 1, "x");
    put_len(vi, 2, type);

    Buf scalar_tt;  // shape present but empty: a scalar
    put_int(scalar_tt, 1, ox::INT64);
    put_len(scalar_tt, 2, Buf{});
    Buf scalar_type;
    put_len(scalar_type, 1, scalar_tt);
    Buf scalar;
    put_str(scalar, 1, "s");
    put_len(scalar, 2, scalar_type);

    Buf seq;  // a sequence type is not modelled: elem_type stays 0
    Buf seq_type;
    put_len(seq_type, 4, type);
    put_str(seq, 1, "q");
    put_len(seq, 2, seq_type);

    Buf g;
    put_len(g, 11, vi);
    put_len(g, 12, scalar);
    put_len(g, 13, seq);
    const Buf m = model_with_graph(g);
    const ox::ModelProto model = ox::parse_model(m.data(), m.size(), "m");

    REQUIRE(model.graph.input.size() == 1);
    const ox::ValueInfoProto& x = model.graph.input[0];
    CHECK(x.name == "x");
    CHECK(x.elem_type == ox::FLOAT16);
    CHECK(x.has_shape);
    REQUIRE(x.dims.size() == 3);
    CHECK_FALSE(x.dims[0].has_value);
    CHECK(x.dims[0].param == "batch");
    CHECK(x.dims[1].has_value);
    CHECK(x.dims[1].value == 3);
    CHECK_FALSE(x.dims[2].has_value);
    CHECK(x.dims[2].param.empty());

    REQUIRE(model.graph.output.size() == 1);
    CHECK(model.graph.output[0].elem_type == ox::INT64);
    CHECK(model.graph.output[0].has_shape);
    CHECK(model.graph.output[0].dims.empty());

    REQUIRE(model.graph.value_info.size() == 1);
    CHECK(model.graph.value_info[0].name == "q");
    CHECK(model.graph.value_info[0].elem_type == ox::UNDEFINED);
    CHECK_FALSE(model.graph.value_info[0].has_shape);
}

TEST_CASE("onnx: tensor fields") {
    Buf t;
    put_str(t, 8, "w");
    put_int(t, 2, ox::DOUBLE);
    put_len(t, 1, Buf{0x02});
    put_tag(t, 10, 1);  // one unpacked double: 1.0
    for (std::uint8_t byte : Buf{0, 0, 0, 0, 0, 0, 0xF0, 0x3F}) t.push_back(byte);
    put_int(t, 11, -1);  // uint64_data
    put_int(t, 5, -3);   // int32_data, sign-extended
    put_str(t, 6, "s0");
    put_str(t, 6, std::string("\0\xff", 2));
    Buf loc;
    put_str(loc, 1, "location");
    put_str(loc, 2, "weights.bin");
    put_len(t, 13, loc);
    put_int(t, 14, ox::TensorProto::EXTERNAL);
    const ox::TensorProto tp = ox::parse_tensor(t.data(), t.size(), "t");
    CHECK(tp.name == "w");
    CHECK(tp.data_type == ox::DOUBLE);
    CHECK(tp.dims == std::vector<std::int64_t>{2});
    CHECK(tp.double_data == std::vector<double>{1.0});
    CHECK(tp.uint64_data == std::vector<std::uint64_t>{std::numeric_limits<std::uint64_t>::max()});
    CHECK(tp.int32_data == std::vector<std::int32_t>{-3});
    CHECK(tp.string_data == std::vector<std::string>{"s0", std::string("\0\xff", 2)});
    REQUIRE(tp.external_data.size() == 1);
    CHECK(tp.external_data[0].first == "location");
    CHECK(tp.external_data[0].second == "weights.bin");
    CHECK(tp.data_location == ox::TensorProto::EXTERNAL);
    CHECK_FALSE(tp.has_raw_data);

    SUBCASE("empty raw_data is still present") {
        Buf e;
        put_str(e, 9, "");
        CHECK(ox::parse_tensor(e.data(), e.size(), "t").has_raw_data);
    }
    SUBCASE("a known field with the wrong wire type is an error naming the message and field") {
        Buf bad;
        put_str(bad, 2, "FLOAT");
        const std::string msg = error_of([&] { ox::parse_tensor(bad.data(), bad.size(), "bad.pb"); });
        CHECK(contains(msg, "bad.pb, byte 0 (TensorProto field 2)"));
        CHECK(contains(msg, "expected varint"));
    }
}

TEST_CASE("onnx: loading files") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / "mutiny_test_protobuf";
    fs::remove_all(dir);  // a failed earlier run may have left files behind
    fs::create_directories(dir);

    SUBCASE("missing file names the path") {
        const std::string path = (dir / "does_not_exist.onnx").string();
        const std::string msg = error_of([&] { ox::load_model(path); });
        CHECK(contains(msg, path));
        CHECK(contains(msg, "no such file"));
    }
    SUBCASE("empty file") {
        const fs::path p = dir / "empty.onnx";
        std::ofstream(p).close();
        CHECK(contains(error_of([&] { ox::load_tensor(p.string()); }), "empty file"));
    }
    SUBCASE("directory") {
        CHECK(contains(error_of([&] { ox::load_model(dir.string()); }), "is a directory"));
    }
    SUBCASE("oversized file is rejected before it is read") {
        const fs::path p = dir / "huge.onnx";
        std::ofstream(p).close();
        fs::resize_file(p, std::uintmax_t{1} << 31);  // sparse: costs no disk space
        const std::string msg = error_of([&] { ox::load_model(p.string()); });
        fs::remove(p);
        CHECK(contains(msg, "oversized"));
    }
    SUBCASE("round trip through a file") {
        const fs::path p = dir / "tensor.pb";
        Buf t;
        put_len(t, 1, Buf{0x02, 0x03});
        put_int(t, 2, ox::FLOAT);
        {
            std::ofstream out(p, std::ios::binary);
            out.write(reinterpret_cast<const char*>(t.data()), static_cast<std::streamsize>(t.size()));
        }
        CHECK(ox::load_tensor(p.string()).dims == std::vector<std::int64_t>{2, 3});
        // A tensor is not a model: the error says where the bytes came from.
        const std::string msg = error_of([&] { ox::load_model(p.string()); });
        CHECK(contains(msg, p.string()));
    }
    fs::remove_all(dir);
}

TEST_CASE("onnx: real files from the shared data set") {
    const std::string dir = (mutiny_test::shared_data() / "models/mnist-8").string();
    MUTINY_DATA_OR_SKIP(dir);
    const ox::ModelProto m = ox::load_model(dir + "/model.onnx");
    CHECK(m.ir_version == 3);
    CHECK(ox::opset_version(m) == 8);
    CHECK(m.producer_name == "CNTK");
    CHECK(m.graph.node.size() == 12);

    std::vector<std::string> ops;
    for (const ox::NodeProto& n : m.graph.node) ops.push_back(n.op_type);
    auto has_op = [&](const char* op) { return std::find(ops.begin(), ops.end(), op) != ops.end(); };
    CHECK(has_op("Conv"));
    CHECK(has_op("MaxPool"));
    CHECK(has_op("MatMul"));
    CHECK(has_op("Relu"));

    const ox::NodeProto& conv = m.graph.node.at(1);
    REQUIRE(conv.op_type == "Conv");
    bool saw_kernel = false;
    for (const ox::AttributeProto& a : conv.attribute) {
        if (a.name != "kernel_shape") continue;
        saw_kernel = true;
        CHECK(a.type == ox::AttributeProto::INTS);
        CHECK(a.ints == std::vector<std::int64_t>{5, 5});
    }
    CHECK(saw_kernel);

    const ox::TensorProto* w = nullptr;
    const ox::TensorProto* shape = nullptr;
    for (const ox::TensorProto& t : m.graph.initializer) {
        if (t.name == "Parameter193") w = &t;
        if (t.name == "Parameter193_reshape1_shape") shape = &t;
    }
    REQUIRE(w != nullptr);
    CHECK(w->dims == std::vector<std::int64_t>{16, 4, 4, 10});
    CHECK(w->data_type == ox::FLOAT);
    CHECK(w->float_data.size() == 2560);
    REQUIRE(shape != nullptr);
    CHECK(shape->data_type == ox::INT64);
    CHECK(shape->int64_data == std::vector<std::int64_t>{256, 10});

    REQUIRE(!m.graph.input.empty());
    const ox::ValueInfoProto& in = m.graph.input[0];
    CHECK(in.name == "Input3");
    CHECK(in.elem_type == ox::FLOAT);
    REQUIRE(in.dims.size() == 4);
    CHECK(in.dims[2].value == 28);

    const ox::TensorProto x = ox::load_tensor(dir + "/test_data_set_0/input_0.pb");
    CHECK(x.dims == std::vector<std::int64_t>{1, 1, 28, 28});
    CHECK(x.data_type == ox::FLOAT);
    CHECK(x.has_raw_data);
    CHECK(x.raw_data.size() == 784 * sizeof(float));
}
