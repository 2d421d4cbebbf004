// ONNX model and tensor files decoded into plain structs, on top of pb::Reader (no libprotobuf).
//
// Only what Mutiny uses is kept; every other field (doc strings of values, sparse tensors,
// training info, local functions, metadata of nodes, ...) is skipped. Field numbers follow
// onnx.proto3 exactly. Decoding is schema-strict where it is cheap to be: a known field with the
// wrong wire type is an error rather than being silently dropped, because it means the file is
// corrupt or is not ONNX at all.
#ifndef MUTINY_IO_ONNX_PROTO_HPP_
#define MUTINY_IO_ONNX_PROTO_HPP_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "model_format.hpp"
#include "protobuf.hpp"

namespace mutiny::onnx {

// TensorProto.DataType. Plain enum with a fixed underlying type so that values from newer files
// (not listed here) are still representable without UB.
enum DataType : std::int32_t {
    UNDEFINED = 0,
    FLOAT = 1,
    UINT8 = 2,
    INT8 = 3,
    UINT16 = 4,
    INT16 = 5,
    INT32 = 6,
    INT64 = 7,
    STRING = 8,
    BOOL = 9,
    FLOAT16 = 10,
    DOUBLE = 11,
    UINT32 = 12,
    UINT64 = 13,
    COMPLEX64 = 14,
    COMPLEX128 = 15,
    BFLOAT16 = 16,
    FLOAT8E4M3FN = 17,
    FLOAT8E4M3FNUZ = 18,
    FLOAT8E5M2 = 19,
    FLOAT8E5M2FNUZ = 20,
    UINT4 = 21,
    INT4 = 22,
    FLOAT4E2M1 = 23,
    FLOAT8E8M0 = 24,
    UINT2 = 25,
    INT2 = 26,
    FLOAT6E2M3 = 27,
    FLOAT6E3M2 = 28,
};

struct GraphProto;

struct TensorProto {
    enum DataLocation : std::int32_t { DEFAULT = 0, EXTERNAL = 1 };

    std::vector<std::int64_t> dims;
    std::int32_t data_type = UNDEFINED;  // a DataType; kept as int32 since files may hold others
    std::string name;
    std::string raw_data;
    std::vector<float> float_data;
    std::vector<std::int32_t> int32_data;
    std::vector<std::int64_t> int64_data;
    std::vector<double> double_data;
    std::vector<std::uint64_t> uint64_data;
    std::vector<std::string> string_data;
    std::int32_t data_location = DEFAULT;
    std::vector<std::pair<std::string, std::string>> external_data;  // key, value
    // proto3 cannot tell an absent raw_data from an empty one; a zero-element tensor needs both
    // cases distinguished from "data is in the typed fields".
    bool has_raw_data = false;
};

// AttributeProto::FLOAT and mutiny::onnx::FLOAT are deliberately distinct, as in ONNX itself.
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wshadow"
#endif
struct AttributeProto {
    enum AttributeType : std::int32_t {
        UNDEFINED = 0,
        FLOAT = 1,
        INT = 2,
        STRING = 3,
        TENSOR = 4,
        GRAPH = 5,
        FLOATS = 6,
        INTS = 7,
        STRINGS = 8,
        TENSORS = 9,
        GRAPHS = 10,
        SPARSE_TENSOR = 11,
        SPARSE_TENSORS = 12,
        TYPE_PROTO = 13,
        TYPE_PROTOS = 14,
    };
#if defined(__clang__)
#pragma clang diagnostic pop
#endif

    std::string name;
    // Files older than IR version 2 have no type field; it is then inferred from the value set.
    AttributeType type = UNDEFINED;
    float f = 0.0f;
    std::int64_t i = 0;
    std::string s;
    std::shared_ptr<TensorProto> t;  // null unless set
    std::shared_ptr<GraphProto> g;   // null unless set
    std::vector<float> floats;
    std::vector<std::int64_t> ints;
    std::vector<std::string> strings;
    std::vector<TensorProto> tensors;
    std::vector<GraphProto> graphs;
    std::string ref_attr_name;
};

// TypeProto.tensor_type.shape.dim
struct Dim {
    bool has_value = false;  // false: symbolic (param) or unknown (neither set)
    std::int64_t value = 0;
    std::string param;
};

struct ValueInfoProto {
    std::string name;
    std::int32_t elem_type = UNDEFINED;  // 0 also for non-tensor types (sequence, map, ...)
    bool has_shape = false;              // true with empty dims means a scalar
    std::vector<Dim> dims;
};

struct NodeProto {
    std::vector<std::string> input;
    std::vector<std::string> output;
    std::string name;
    std::string op_type;
    std::string domain;
    std::vector<AttributeProto> attribute;
};

struct GraphProto {
    std::vector<NodeProto> node;
    std::string name;
    std::vector<TensorProto> initializer;
    std::vector<ValueInfoProto> input;
    std::vector<ValueInfoProto> output;
    std::vector<ValueInfoProto> value_info;
    std::string doc_string;
};

struct OperatorSetId {
    std::string domain;
    std::int64_t version = 0;
};

struct ModelProto {
    std::int64_t ir_version = 0;
    std::vector<OperatorSetId> opset_import;
    std::string producer_name;
    std::string producer_version;
    std::string domain;
    std::int64_t model_version = 0;
    std::string doc_string;
    GraphProto graph;
    std::vector<std::pair<std::string, std::string>> metadata_props;  // key, value
};

// Field numbers of onnx.proto3's messages, shared by the decoders below and the writer
// (onnx_export.hpp), so the two cannot disagree.
namespace field {
enum Model : std::uint32_t { model_ir_version = 1, model_producer_name = 2, model_producer_version = 3, model_domain = 4,
                             model_version = 5, model_doc_string = 6, model_graph = 7, model_opset_import = 8, model_metadata_props = 14 };
enum OperatorSetIdField : std::uint32_t { opset_domain = 1, opset_version = 2 };
enum StringStringEntry : std::uint32_t { entry_key = 1, entry_value = 2 };
enum Graph : std::uint32_t { graph_node = 1, graph_name = 2, graph_initializer = 5, graph_doc_string = 10, graph_input = 11,
                             graph_output = 12, graph_value_info = 13 };
enum Node : std::uint32_t { node_input = 1, node_output = 2, node_name = 3, node_op_type = 4, node_attribute = 5, node_domain = 7 };
enum Attribute : std::uint32_t { attr_name = 1, attr_f = 2, attr_i = 3, attr_s = 4, attr_t = 5, attr_g = 6, attr_floats = 7, attr_ints = 8,
                                 attr_strings = 9, attr_tensors = 10, attr_graphs = 11, attr_type = 20, attr_ref_attr_name = 21 };
enum Tensor : std::uint32_t { tensor_dims = 1, tensor_data_type = 2, tensor_float_data = 4, tensor_int32_data = 5, tensor_string_data = 6,
                              tensor_int64_data = 7, tensor_name = 8, tensor_raw_data = 9, tensor_double_data = 10, tensor_uint64_data = 11,
                              tensor_external_data = 13, tensor_data_location = 14 };
enum ValueInfo : std::uint32_t { value_name = 1, value_type = 2 };
enum Type : std::uint32_t { type_tensor_type = 1, tensor_type_elem_type = 1, tensor_type_shape = 2, shape_dim = 1, dim_value = 1, dim_param = 2 };
}  // namespace field

// protobuf itself cannot address messages of 2 GiB or more; larger weights must be external.
inline constexpr std::uintmax_t kMaxFileBytes = 0x7FFFFFFFu;

namespace detail {

// Decoders parse *into* an existing object so that a message field repeated in the input merges,
// as protobuf specifies (scalars: last wins; repeated: appended).
inline void decode(pb::Reader& r, GraphProto& g);

inline void assign_bytes(std::string& dst, pb::Bytes b) {
    dst.assign(reinterpret_cast<const char*>(b.data), b.size);
}

inline std::pair<std::string, std::string> decode_entry(pb::Reader r) {
    std::pair<std::string, std::string> kv;
    while (r.next()) {
        switch (r.field()) {
        case field::entry_key: kv.first = r.read_string(); break;
        case field::entry_value: kv.second = r.read_string(); break;
        default: r.skip();
        }
    }
    return kv;
}

inline void decode(pb::Reader& r, TensorProto& t) {
    while (r.next()) {
        switch (r.field()) {
        case field::tensor_dims: r.read_repeated_varint(t.dims); break;
        case field::tensor_data_type: t.data_type = r.read_int32(); break;
        case field::tensor_float_data: r.read_repeated_fixed(t.float_data); break;
        case field::tensor_int32_data: r.read_repeated_varint(t.int32_data); break;
        case field::tensor_string_data: t.string_data.push_back(r.read_string()); break;
        case field::tensor_int64_data: r.read_repeated_varint(t.int64_data); break;
        case field::tensor_name: t.name = r.read_string(); break;
        case field::tensor_raw_data:
            // The one copy of the payload (read_string would build a temporary first).
            assign_bytes(t.raw_data, r.read_bytes());
            t.has_raw_data = true;
            break;
        case field::tensor_double_data: r.read_repeated_fixed(t.double_data); break;
        case field::tensor_uint64_data: r.read_repeated_varint(t.uint64_data); break;
        case field::tensor_external_data: t.external_data.push_back(decode_entry(r.read_message("StringStringEntryProto"))); break;
        case field::tensor_data_location: t.data_location = r.read_int32(); break;
        default: r.skip();  // 3 segment, 12 doc_string, 16 metadata_props
        }
    }
}

inline void decode_shape(pb::Reader r, std::vector<Dim>& dims) {
    while (r.next()) {
        if (r.field() != field::shape_dim) { r.skip(); continue; }
        pb::Reader dr = r.read_message("TensorShapeProto.Dimension");
        Dim d;
        while (dr.next()) {
            switch (dr.field()) {
            // dim_value and dim_param are a oneof: the last one present wins.
            case field::dim_value: d.value = dr.read_int64(); d.has_value = true; d.param.clear(); break;
            case field::dim_param: d.param = dr.read_string(); d.has_value = false; d.value = 0; break;
            default: dr.skip();  // 3 denotation
            }
        }
        dims.push_back(std::move(d));
    }
}

inline void decode_type(pb::Reader r, ValueInfoProto& v) {
    while (r.next()) {
        if (r.field() != field::type_tensor_type) { r.skip(); continue; }  // only tensor_type is modelled
        pb::Reader tr = r.read_message("TypeProto.Tensor");
        while (tr.next()) {
            switch (tr.field()) {
            case field::tensor_type_elem_type: v.elem_type = tr.read_int32(); break;
            case field::tensor_type_shape: v.has_shape = true; decode_shape(tr.read_message("TensorShapeProto"), v.dims); break;
            default: tr.skip();
            }
        }
    }
}

inline void decode(pb::Reader& r, ValueInfoProto& v) {
    while (r.next()) {
        switch (r.field()) {
        case field::value_name: v.name = r.read_string(); break;
        case field::value_type: decode_type(r.read_message("TypeProto"), v); break;
        default: r.skip();  // 3 doc_string, 4 metadata_props
        }
    }
}

inline void decode(pb::Reader& r, AttributeProto& a) {
    // Presence of singular scalars is only observable while decoding (proto3 has no has_ bits).
    bool has_f = false, has_i = false, has_s = false;
    while (r.next()) {
        switch (r.field()) {
        case field::attr_name: a.name = r.read_string(); break;
        case field::attr_f: a.f = r.read_float(); has_f = true; break;
        case field::attr_i: a.i = r.read_int64(); has_i = true; break;
        case field::attr_s: a.s = r.read_string(); has_s = true; break;
        case field::attr_t: {
            pb::Reader sub = r.read_message("TensorProto");
            if (!a.t) a.t = std::make_shared<TensorProto>();
            decode(sub, *a.t);
            break;
        }
        case field::attr_g: {
            pb::Reader sub = r.read_message("GraphProto");
            if (!a.g) a.g = std::make_shared<GraphProto>();
            decode(sub, *a.g);
            break;
        }
        case field::attr_floats: r.read_repeated_fixed(a.floats); break;
        case field::attr_ints: r.read_repeated_varint(a.ints); break;
        case field::attr_strings: a.strings.push_back(r.read_string()); break;
        case field::attr_tensors: {
            pb::Reader sub = r.read_message("TensorProto");
            a.tensors.emplace_back();
            decode(sub, a.tensors.back());
            break;
        }
        case field::attr_graphs: {
            pb::Reader sub = r.read_message("GraphProto");
            a.graphs.emplace_back();
            decode(sub, a.graphs.back());
            break;
        }
        case field::attr_type: a.type = static_cast<AttributeProto::AttributeType>(r.read_int32()); break;
        case field::attr_ref_attr_name: a.ref_attr_name = r.read_string(); break;
        default: r.skip();  // 13 doc_string, 14/15 type protos, 22/23 sparse tensors
        }
    }
    if (a.type == AttributeProto::UNDEFINED) {
        // Same precedence as ONNX's own helper for IR version 1 files, where exactly one is set.
        if (has_f) a.type = AttributeProto::FLOAT;
        else if (has_i) a.type = AttributeProto::INT;
        else if (has_s) a.type = AttributeProto::STRING;
        else if (a.t) a.type = AttributeProto::TENSOR;
        else if (a.g) a.type = AttributeProto::GRAPH;
        else if (!a.floats.empty()) a.type = AttributeProto::FLOATS;
        else if (!a.ints.empty()) a.type = AttributeProto::INTS;
        else if (!a.strings.empty()) a.type = AttributeProto::STRINGS;
        else if (!a.tensors.empty()) a.type = AttributeProto::TENSORS;
        else if (!a.graphs.empty()) a.type = AttributeProto::GRAPHS;
    }
}

inline void decode(pb::Reader& r, NodeProto& n) {
    static constexpr std::uint32_t kRepeated[] = {field::node_input, field::node_output, field::node_attribute};
    std::size_t counts[3];
    r.count_fields(kRepeated, counts);
    n.input.reserve(n.input.size() + counts[0]);
    n.output.reserve(n.output.size() + counts[1]);
    n.attribute.reserve(n.attribute.size() + counts[2]);
    while (r.next()) {
        switch (r.field()) {
        case field::node_input: n.input.push_back(r.read_string()); break;
        case field::node_output: n.output.push_back(r.read_string()); break;
        case field::node_name: n.name = r.read_string(); break;
        case field::node_op_type: n.op_type = r.read_string(); break;
        case field::node_attribute: {
            pb::Reader sub = r.read_message("AttributeProto");
            n.attribute.emplace_back();
            decode(sub, n.attribute.back());
            break;
        }
        case field::node_domain: n.domain = r.read_string(); break;
        default: r.skip();  // 6 doc_string, 8 overload, 9 metadata_props, 10 device configs
        }
    }
}

// Subgraph recursion (graph -> node -> attribute -> graph) is bounded by pb::kMaxDepth: each
// level is a nested message, so a crafted file cannot recurse deeper than that.
inline void decode(pb::Reader& r, GraphProto& g) {
    static constexpr std::uint32_t kRepeated[] = {field::graph_node, field::graph_initializer, field::graph_input, field::graph_output,
                                                   field::graph_value_info};
    std::size_t counts[5];
    r.count_fields(kRepeated, counts);
    g.node.reserve(g.node.size() + counts[0]);
    g.initializer.reserve(g.initializer.size() + counts[1]);
    g.input.reserve(g.input.size() + counts[2]);
    g.output.reserve(g.output.size() + counts[3]);
    g.value_info.reserve(g.value_info.size() + counts[4]);
    while (r.next()) {
        switch (r.field()) {
        case field::graph_node: {
            pb::Reader sub = r.read_message("NodeProto");
            g.node.emplace_back();
            decode(sub, g.node.back());
            break;
        }
        case field::graph_name: g.name = r.read_string(); break;
        case field::graph_initializer: {
            pb::Reader sub = r.read_message("TensorProto");
            g.initializer.emplace_back();
            decode(sub, g.initializer.back());
            break;
        }
        case field::graph_doc_string: g.doc_string = r.read_string(); break;
        case field::graph_input:
        case field::graph_output:
        case field::graph_value_info: {
            auto& list = r.field() == field::graph_input ? g.input : r.field() == field::graph_output ? g.output : g.value_info;
            pb::Reader sub = r.read_message("ValueInfoProto");
            list.emplace_back();
            decode(sub, list.back());
            break;
        }
        default: r.skip();  // 14 quantization_annotation, 15 sparse_initializer, 16 metadata
        }
    }
}

inline OperatorSetId decode_opset(pb::Reader r) {
    OperatorSetId o;
    while (r.next()) {
        switch (r.field()) {
        case field::opset_domain: o.domain = r.read_string(); break;
        case field::opset_version: o.version = r.read_int64(); break;
        default: r.skip();
        }
    }
    return o;
}

// Whole-file read with the checks that give a useful message before any parsing starts.
inline std::vector<std::uint8_t> read_file(const std::string& path, const char* kind) {
    const std::string what = std::string("cannot load ONNX ") + kind;
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) throw Error(what, path, "no such file");
    if (fs::is_directory(st)) throw Error(what, path, "is a directory");
    if (!fs::is_regular_file(st)) throw Error(what, path, "not a regular file");
    const std::uintmax_t size = fs::file_size(path, ec);
    if (ec) throw Error(what, path, "cannot determine file size: " + ec.message());
    if (size == 0) throw Error(what, path, "empty file");
    if (size > kMaxFileBytes)
        throw Error(what, path,
                    "oversized file (" + std::to_string(size) +
                        " bytes): protobuf cannot encode 2 GiB or more; store weights as external data");

    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) throw Error(what, path, std::strerror(errno));
    std::vector<std::uint8_t> buf(static_cast<std::size_t>(size));
    std::size_t got = 0;
    while (got < buf.size()) {
        const std::size_t n = std::fread(buf.data() + got, 1, buf.size() - got, f);
        if (n == 0) break;
        got += n;
    }
    const bool read_error = std::ferror(f) != 0;
    std::fclose(f);
    if (read_error) throw Error(what, path, "read error");
    if (got != buf.size())
        throw Error(what, path,
                    "file shrank while reading (" + std::to_string(got) + " of " +
                        std::to_string(buf.size()) + " bytes)");
    return buf;
}

}  // namespace detail

inline TensorProto parse_tensor(const std::uint8_t* data, std::size_t size, const std::string& where) {
    pb::Reader r(data, size, where, "TensorProto");
    TensorProto t;
    detail::decode(r, t);
    return t;
}

inline ModelProto parse_model(const std::uint8_t* data, std::size_t size, const std::string& where) {
    pb::Reader r(data, size, where, "ModelProto");
    ModelProto m;
    bool has_graph = false;
    while (r.next()) {
        switch (r.field()) {
        case field::model_ir_version: m.ir_version = r.read_int64(); break;
        case field::model_producer_name: m.producer_name = r.read_string(); break;
        case field::model_producer_version: m.producer_version = r.read_string(); break;
        case field::model_domain: m.domain = r.read_string(); break;
        case field::model_version: m.model_version = r.read_int64(); break;
        case field::model_doc_string: m.doc_string = r.read_string(); break;
        case field::model_graph: {
            pb::Reader sub = r.read_message("GraphProto");
            detail::decode(sub, m.graph);
            has_graph = true;
            break;
        }
        case field::model_opset_import: m.opset_import.push_back(detail::decode_opset(r.read_message("OperatorSetIdProto"))); break;
        case field::model_metadata_props: m.metadata_props.push_back(detail::decode_entry(r.read_message("StringStringEntryProto"))); break;
        default: r.skip();  // 20 training_info, 25 functions, 26 configuration
        }
    }
    if (!has_graph)
        throw Error("invalid ONNX model", where,
                    "no graph (ModelProto field 7 is missing; is this an ONNX model file?)");
    return m;
}

inline ModelProto load_model(const std::string& path) {
    check_model_folder(path);  // PyTorch, Keras, TFLite and TensorFlow files are named as such
    const std::vector<std::uint8_t> buf = detail::read_file(path, "model");
    check_model_bytes(path, buf.data(), buf.size());
    return parse_model(buf.data(), buf.size(), path);
}

inline TensorProto load_tensor(const std::string& path) {
    const std::vector<std::uint8_t> buf = detail::read_file(path, "tensor");
    return parse_tensor(buf.data(), buf.size(), path);
}

// The highest version imported for `domain` ("" and "ai.onnx" both name the default domain),
// or 0 if the model does not import it. Models older than IR version 3 predate opset_import and
// implicitly use default-domain opset 1.
inline std::int64_t opset_version(const ModelProto& m, const std::string& domain = "") {
    auto is_default = [](const std::string& d) { return d.empty() || d == "ai.onnx"; };
    const bool want_default = is_default(domain);
    std::int64_t best = 0;
    for (const OperatorSetId& o : m.opset_import) {
        const bool match = want_default ? is_default(o.domain) : o.domain == domain;
        if (match && o.version > best) best = o.version;
    }
    if (best == 0 && want_default && m.opset_import.empty() && m.ir_version < 3) return 1;
    return best;
}

}  // namespace mutiny::onnx

#endif  // MUTINY_IO_ONNX_PROTO_HPP_
