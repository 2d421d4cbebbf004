// ONNX -> Mutiny graph. Reads a ModelProto (io/onnx_proto.hpp), converts tensors and attributes,
// lets each op's import() normalise its node to the canonical opset, folds what does not depend
// on run-time inputs (weights made by ConstantOfShape, PyTorch's shape arithmetic) and validates.
// IR-3 files that list initializers among the graph inputs get them as constants; a graph input
// that only carries a weight's shape (the "light" models' *__SHAPE inputs) has an initializer too
// and folds the same way.
#ifndef MUTINY_IO_ONNX_IMPORT_HPP_
#define MUTINY_IO_ONNX_IMPORT_HPP_

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "../core/half.hpp"
#include "../core/tensor.hpp"
#include "../graph/graph.hpp"
#include "../ops/infer.hpp"
#include "onnx_proto.hpp"

namespace mutiny {
namespace onnx_import {

inline DType dtype_from_onnx(int32_t t, const std::string& where) {
    switch (t) {
        case onnx::FLOAT: return DType::f32;
        case onnx::FLOAT16: return DType::f16;
        case onnx::DOUBLE: return DType::f64;
        case onnx::INT64: return DType::i64;
        case onnx::INT32: return DType::i32;
        case onnx::INT16: return DType::i16;
        case onnx::INT8: return DType::i8;
        case onnx::UINT8: return DType::u8;
        case onnx::UINT16: return DType::u16;
        case onnx::UINT32: return DType::u32;
        case onnx::UINT64: return DType::u64;
        case onnx::BOOL: return DType::boolean;
        case onnx::BFLOAT16: return DType::bf16;
        default: break;
    }
    throw Error("unsupported ONNX data type " + std::to_string(t), where,
                "Mutiny handles float, float16, bfloat16, double, int8-64, uint8-64 and bool tensors");
}

inline int32_t dtype_to_onnx(DType t) {
    switch (t) {
        case DType::f32: return onnx::FLOAT;
        case DType::f16: return onnx::FLOAT16;
        case DType::f64: return onnx::DOUBLE;
        case DType::i64: return onnx::INT64;
        case DType::i32: return onnx::INT32;
        case DType::i16: return onnx::INT16;
        case DType::i8: return onnx::INT8;
        case DType::u8: return onnx::UINT8;
        case DType::u16: return onnx::UINT16;
        case DType::u32: return onnx::UINT32;
        case DType::u64: return onnx::UINT64;
        case DType::boolean: return onnx::BOOL;
        case DType::bf16: return onnx::BFLOAT16;
    }
    return onnx::UNDEFINED;
}

// TensorProto -> Tensor. raw_data is little-endian (as is every machine Mutiny targets); the
// typed fields follow onnx.proto's rules for which field carries which type.
inline Tensor tensor_from_proto(const onnx::TensorProto& p, const std::string& where) {
    const std::string w = where + (p.name.empty() ? "" : " tensor '" + p.name + "'");
    if (p.data_location == onnx::TensorProto::EXTERNAL || !p.external_data.empty())
        throw Error("external tensor data is not supported", w,
                    "the weights live in a separate file; re-save the model with onnx.save(..., save_as_external_data=False)");
    const DType dt = dtype_from_onnx(p.data_type, w);
    for (auto d : p.dims)
        if (d < 0) throw Error("negative tensor dimension", w, std::to_string(d));
    const Shape shape(p.dims);
    const size_t n = static_cast<size_t>(checked::numel(p.dims, "tensor", w));
    const size_t es = dtype_size(dt);
    // The data present is checked against the declared size before anything is allocated: a file
    // of a few bytes may declare 2^28 elements and no data.
    auto expect = [&](size_t have) {
        if (have != n)
            throw Error("tensor data does not match its shape", w,
                        std::to_string(have) + " values for shape " + shape.str() + " (" + std::to_string(n) + " elements)");
    };
    if (p.has_raw_data) {
        if (p.raw_data.size() / es != n || p.raw_data.size() % es != 0)
            throw Error("tensor raw_data does not match its shape", w,
                        std::to_string(p.raw_data.size()) + " bytes for " + std::to_string(n) + " elements of " +
                            std::to_string(es) + " bytes");
        checked::bytes(static_cast<int64_t>(n), es, "tensor", w);  // the limit's error names the tensor
        Tensor t(dt, shape);
        if (n) std::memcpy(t.raw(), p.raw_data.data(), n * es);
        return t;
    }
    switch (dt) {
        case DType::f32: expect(p.float_data.size()); break;
        case DType::f64: expect(p.double_data.size()); break;
        case DType::i64: expect(p.int64_data.size()); break;
        case DType::u32:
        case DType::u64: expect(p.uint64_data.size()); break;
        default: expect(p.int32_data.size());
    }
    checked::bytes(static_cast<int64_t>(n), es, "tensor", w);
    Tensor t(dt, shape);
    switch (dt) {
        case DType::f32:
            if (n) std::memcpy(t.raw(), p.float_data.data(), n * 4);
            break;
        case DType::f64:
            if (n) std::memcpy(t.raw(), p.double_data.data(), n * 8);
            break;
        case DType::i64:
            if (n) std::memcpy(t.raw(), p.int64_data.data(), n * 8);
            break;
        case DType::u32:
        case DType::u64:
            for (size_t i = 0; i < n; ++i) {
                if (dt == DType::u32) t.data<uint32_t>()[i] = static_cast<uint32_t>(p.uint64_data[i]);
                else t.data<uint64_t>()[i] = p.uint64_data[i];
            }
            break;
        default:  // int32_data carries i32, i16, i8, u16, u8, bool, f16 and bf16 (f16, bf16 as their bits)
            for (size_t i = 0; i < n; ++i) {
                const int32_t v = p.int32_data[i];
                switch (dt) {
                    case DType::i32: t.data<int32_t>()[i] = v; break;
                    case DType::i16: t.data<int16_t>()[i] = static_cast<int16_t>(v); break;
                    case DType::i8: t.data<int8_t>()[i] = static_cast<int8_t>(v); break;
                    case DType::u16: t.data<uint16_t>()[i] = static_cast<uint16_t>(v); break;
                    case DType::u8:
                    case DType::boolean: static_cast<uint8_t*>(t.raw())[i] = static_cast<uint8_t>(v); break;
                    case DType::f16: t.data<half>()[i] = half::from_bits(static_cast<uint16_t>(v)); break;
                    case DType::bf16: t.data<bfloat16>()[i] = bfloat16::from_bits(static_cast<uint16_t>(v)); break;
                    default: break;
                }
            }
    }
    return t;
}

inline Attribute attribute_from_proto(const onnx::AttributeProto& a, const std::string& where) {
    using A = onnx::AttributeProto;
    const std::string w = where + " attribute '" + a.name + "'";
    switch (a.type) {
        case A::FLOAT: return Attribute::of_float(a.f);
        case A::INT: return Attribute::of_int(a.i);
        case A::STRING: return Attribute::of_string(a.s);
        case A::TENSOR:
            if (!a.t) throw Error("tensor attribute without a tensor", w, "the file is corrupt");
            return Attribute::of_tensor(tensor_from_proto(*a.t, w));
        case A::FLOATS: return Attribute::of_floats(std::vector<double>(a.floats.begin(), a.floats.end()));
        case A::INTS: return Attribute::of_ints(a.ints);
        case A::STRINGS: return Attribute::of_strings(a.strings);
        case A::GRAPH: throw Error("subgraph attribute outside a node", w, "only nodes carry subgraphs");
        case A::GRAPHS: throw Error("graph-list attributes are not supported", w, "no ONNX op of the default domain uses them");
        default: break;
    }
    throw Error("unsupported attribute type " + std::to_string(static_cast<int>(a.type)), w,
                "Mutiny reads float, int, string, tensor and their lists");
}

// One graph being imported: the main graph or a subgraph (If's branches, Loop's and Scan's body).
// A subgraph may read values of the graphs around it by name (ONNX's outer scope): such a value
// becomes an input of the subgraph after its own inputs (a "capture"), and the control-flow node
// that owns the subgraph gets the outer value as an extra input after its formal ones, so that
// sorting, pruning and the executors see the dependency like any other. An outer constant (a
// weight) is copied into the subgraph as a constant instead, so the body's kernels can pre-pack it.
// A graph input's shape: a dimension with neither value nor name is unknown (-1), as is a
// dim_value of -1 (some exporters write it for "unknown"); any other negative value is refused
// rather than taken for unknown.
inline Shape input_shape(const onnx::ValueInfoProto& in, const std::string& where) {
    std::vector<int64_t> dims;
    for (const auto& d : in.dims) {
        if (d.has_value && d.value < -1)
            throw Error("negative dimension in graph input", where,
                        "dimension " + std::to_string(dims.size()) + " is " + std::to_string(d.value) +
                            "; a dimension is a size >= 0 or a name (dim_param)");
        dims.push_back(d.has_value ? d.value : -1);
    }
    return Shape(dims);
}

class GraphImport {
public:
    GraphImport(Graph& g, int64_t opset, std::string where, GraphImport* outer)
        : g_(g), opset_(opset), where_(std::move(where)), outer_(outer) {}

    // The id of the value called `name`, capturing it from the enclosing graphs when needed;
    // -1 when no graph in scope defines it.
    int resolve(const std::string& name) {
        const int id = g_.find_value(name);
        if (id >= 0 || !outer_) return id;
        const int oid = outer_->resolve(name);
        if (oid < 0) return -1;
        const Value& ov = outer_->g_.value(oid);
        if (ov.is_constant()) return g_.add_constant(name, ov.constant);
        captures_.push_back(name);
        return g_.add_input(name, ov.dtype, ov.shape);
    }
    const std::vector<std::string>& captures() const { return captures_; }

    void add_nodes(const onnx::GraphProto& gp) {
        const Registry& reg = Registry::instance();
        for (size_t k = 0; k < gp.node.size(); ++k) {
            const auto& np = gp.node[k];
            Node n;
            // An op of another domain is registered as "<domain>.<op_type>" (ONNX Runtime's
            // com.microsoft quantized ops: ops/quant/contrib_*.hpp); the default domain's by its type.
            const bool other_domain = !np.domain.empty() && np.domain != "ai.onnx";
            n.op = other_domain ? np.domain + "." + np.op_type : np.op_type;
            n.name = np.name.empty() ? np.op_type + "_" + std::to_string(k) : np.name;
            const std::string w = where_ + " " + Graph::where(n) + " (opset " + std::to_string(opset_) + ")";
            if (other_domain && !reg.find(n.op))
                throw Error("unsupported op '" + n.op + "'", w, "Mutiny implements the default ONNX domain and a few of ONNX Runtime's com.microsoft quantized ops");
            const OpDef* def = reg.find(n.op);
            if (!def) throw Error("unsupported op '" + np.op_type + "'", w, "Mutiny has no implementation of this op");
            // Subgraphs first: the outer values they read become this node's extra inputs.
            std::vector<std::string> node_captures;
            for (const auto& a : np.attribute) {
                if (a.type != onnx::AttributeProto::GRAPH) {
                    n.attrs.set(a.name, attribute_from_proto(a, w));
                    continue;
                }
                if (!a.g) throw Error("graph attribute without a graph", w + " attribute '" + a.name + "'", "the file is corrupt");
                auto sub = std::make_shared<Graph>();
                GraphImport si(*sub, opset_, w + " attribute '" + a.name + "'", this);
                si.build_subgraph(*a.g);
                for (const auto& c : si.captures())
                    if (std::find(node_captures.begin(), node_captures.end(), c) == node_captures.end()) node_captures.push_back(c);
                n.attrs.set(a.name, Attribute::of_graph(std::move(sub)));
            }
            for (const auto& in : np.input) {
                if (in.empty()) { n.inputs.push_back(-1); continue; }
                const int id = resolve(in);
                if (id < 0) throw Error("input '" + in + "' is not defined before use", w, "the file's nodes are not in topological order or the value is missing");
                n.inputs.push_back(id);
            }
            // The subgraphs' outer values follow the formal inputs; `captures` names them as the
            // subgraphs do (ops/control/subgraph.hpp binds them by that name, not by position).
            if (!node_captures.empty()) {
                n.attrs.set("captures", Attribute::of_strings(node_captures));
                for (const auto& c : node_captures) n.inputs.push_back(resolve(c));
            }
            // Trailing empty output names mean "not requested" (e.g. MaxPool without Indices).
            size_t num_out = np.output.size();
            while (num_out > 0 && np.output[num_out - 1].empty()) --num_out;
            for (size_t o = 0; o < num_out; ++o) {
                const std::string& on = np.output[o];
                n.outputs.push_back(g_.add_value(on.empty() ? g_.unique_name(n.name + "_unused_" + std::to_string(o)) : on));
            }
            g_.nodes.push_back(std::move(n));
            if (def->import) {
                ImportContext ic;
                ic.graph = &g_;
                ic.node = &g_.nodes.back();
                ic.opset = opset_;
                try {
                    def->import(ic);
                } catch (const Error& e) {
                    throw Error(e.what_part(), w, e.why_part());
                }
            }
        }
    }

    void add_outputs(const onnx::GraphProto& gp) {
        for (const auto& out : gp.output) {
            const int id = resolve(out.name);
            if (id < 0) throw Error("graph output '" + out.name + "' is never produced", where_, "no node or initializer has that name");
            // The declared dtype stands until inference gives one (it stays for an output whose
            // shape depends on run-time values, which validate() does not infer).
            if (out.elem_type != 0 && !g_.value(id).is_constant()) {
                try {
                    g_.value(id).dtype = dtype_from_onnx(out.elem_type, where_);
                } catch (const Error&) {  // a type Mutiny has no tensors of: inference says so where it matters
                }
            }
            g_.outputs.push_back(id);
        }
    }

private:
    // A subgraph: its initializers, its declared inputs (their types come from the node that runs
    // it, at inference: declared shapes are often absent), its nodes, then its outputs; sorted but
    // not validated here (its input types are known only where it is used).
    void build_subgraph(const onnx::GraphProto& gp) {
        g_.name = gp.name.empty() ? "subgraph" : gp.name;
        for (const auto& init : gp.initializer) {
            if (init.name.empty()) throw Error("initializer without a name", where_, "every initializer needs one");
            g_.add_constant(init.name, tensor_from_proto(init, where_));
        }
        for (const auto& in : gp.input) {
            const std::string w = where_ + " input '" + in.name + "'";
            if (g_.find_value(in.name) >= 0) throw Error("subgraph input '" + in.name + "' defined twice", w, "input names must be unique");
            // The op that runs the subgraph gives its inputs' types (bodies often omit them).
            g_.add_input(in.name, in.elem_type == 0 ? DType::f32 : dtype_from_onnx(in.elem_type, w), input_shape(in, w));
        }
        add_nodes(gp);
        add_outputs(gp);
        try {
            g_.sort();
        } catch (const Error& e) {
            throw Error(e.what_part(), where_ + " " + e.where_part(), e.why_part());
        }
    }

    Graph& g_;
    int64_t opset_;
    std::string where_;
    GraphImport* outer_;
    std::vector<std::string> captures_;
};

}  // namespace onnx_import

struct OnnxImportOptions {
    bool fold = true;  // fold constant subgraphs (weights, shape arithmetic)
    // Graph inputs given a fixed value at load time: they become constants. This is how an input
    // that carries a shape (a Reshape target, Pad's pads, a weight's shape) is "fed": Mutiny plans
    // with static shapes, so such a value is bound once, not per run.
    std::map<std::string, Tensor> bind;
};

inline Graph import_onnx(const onnx::ModelProto& m, const std::string& where, const OnnxImportOptions& opt = {}) {
    using namespace onnx_import;
    const int64_t opset = onnx::opset_version(m, "");
    if (opset < 1 || opset > 25)
        throw Error("unsupported ONNX opset " + std::to_string(opset), where, "Mutiny reads default-domain opsets 1 to 25 (tested 7 to 21)");
    const onnx::GraphProto& gp = m.graph;
    Graph g;
    g.name = gp.name.empty() ? "graph" : gp.name;
    for (const auto& init : gp.initializer) {
        if (init.name.empty()) throw Error("initializer without a name", where, "every initializer needs one");
        g.add_constant(init.name, tensor_from_proto(init, where));
    }
    for (const auto& in : gp.input) {
        if (g.find_value(in.name) >= 0) continue;  // IR 3: an initializer listed as an input
        const std::string w = where + " input '" + in.name + "'";
        auto bound = opt.bind.find(in.name);
        if (bound != opt.bind.end()) {
            if (in.elem_type != 0 && dtype_from_onnx(in.elem_type, w) != bound->second.dtype())
                throw Error("bound value has the wrong dtype", w, std::string("got ") + dtype_name(bound->second.dtype()));
            g.add_constant(in.name, bound->second);
            continue;
        }
        if (in.elem_type == 0) throw Error("unsupported graph input type (sequence, map or optional)", w, "Mutiny's values are tensors");
        if (!in.has_shape) throw Error("graph input has no shape", w, "Mutiny needs static shapes (a symbolic batch dimension is fine)");
        g.add_input(in.name, dtype_from_onnx(in.elem_type, w), input_shape(in, w));
    }
    GraphImport gi(g, opset, where, nullptr);
    gi.add_nodes(gp);
    gi.add_outputs(gp);
    try {
        if (opt.fold) fold_constants(g);
        validate(g);
    } catch (const Error& e) {
        throw Error(e.what_part(), where + " " + e.where_part(), e.why_part());
    }
    return g;
}

inline Graph load_onnx(const std::string& path, const OnnxImportOptions& opt = {}) {
    return import_onnx(onnx::load_model(path), path, opt);
}

inline Tensor load_onnx_tensor(const std::string& path) {
    return onnx_import::tensor_from_proto(onnx::load_tensor(path), path);
}

}  // namespace mutiny

#endif  // MUTINY_IO_ONNX_IMPORT_HPP_
