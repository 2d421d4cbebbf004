// Mutiny graph -> ONNX ModelProto bytes (the inverse of onnx_import.hpp), written with pb::Writer
// and the field numbers of onnx_proto.hpp. The IR is canonical (every op in the form the importer
// normalises to), so the model is written at one opset of the default domain, kOnnxExportOpset, in
// which that form is valid; ops of other domains ("com.microsoft.QLinearAdd") are written in their
// domain, imported at version 1. What the importer turned into something ONNX cannot say is undone
// or refused (export_node_attributes): a subgraph's captures become outer-scope reads again, an
// outer weight copied into a subgraph is read from the outer scope again, Split gets num_outputs,
// the legacy Scatter becomes ScatterElements, Resize's "simple" nearest mode (Upsample) becomes
// floor or ceil; a legacy semantics with no opset-21 form (Softmax's 2-D coercion on an inner
// axis, PRelu-6's channel slope, GroupNormalization-18's per-group parameters, OneHot-9, Scan-8,
// Dropout-7's float mask when it is read) is an Error naming the node. Symbolic dimensions (-1 in the IR) of the
// graph inputs are written as dim_params (N for the first axis, N<axis> for others); the outputs'
// as unknown dimensions. Tensors are written as raw_data, little-endian, of any Mutiny dtype.
#ifndef MUTINY_IO_ONNX_EXPORT_HPP_
#define MUTINY_IO_ONNX_EXPORT_HPP_

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/tensor.hpp"
#include "../graph/graph.hpp"
#include "onnx_import.hpp"
#include "onnx_proto.hpp"
#include "protobuf_writer.hpp"

namespace mutiny {

// The default-domain opset every exported model imports, and the IR version that goes with it.
inline constexpr int64_t kOnnxExportOpset = 21;
inline constexpr int64_t kOnnxExportIrVersion = 10;

struct OnnxExportOptions {
    std::string producer = "mutiny";
    std::map<std::string, std::string> metadata;  // written as metadata_props (the importer reads them back)
};

namespace onnx_export {

namespace f = onnx::field;

inline void write_tensor(pb::Writer& w, const Tensor& t, const std::string& name) {
    std::vector<int64_t> dims(t.shape().dims().begin(), t.shape().dims().end());
    for (const int64_t d : dims) w.int64(f::tensor_dims, d);
    w.int64(f::tensor_data_type, onnx_import::dtype_to_onnx(t.dtype()));
    w.string_if(f::tensor_name, name);
    // raw_data is written even when empty: the importer tells "no data" from "zero elements" by it.
    w.bytes(f::tensor_raw_data, t.raw(), t.nbytes());
}

// ValueInfoProto: elem type and, when `shape` is set, its dims; -1 as the dim_param `symbolic(axis)`
// or, when that is empty, as an unknown dimension.
template <class Symbolic>
void write_value_info(pb::Writer& w, const std::string& name, DType dt, const Shape* shape, Symbolic symbolic) {
    pb::Writer tt;
    tt.int64(f::tensor_type_elem_type, onnx_import::dtype_to_onnx(dt));
    if (shape) {
        pb::Writer sh;
        for (size_t a = 0; a < shape->rank(); ++a) {
            pb::Writer d;
            if ((*shape)[a] >= 0) d.int64(f::dim_value, (*shape)[a]);
            else if (!symbolic(a).empty()) d.string(f::dim_param, symbolic(a));
            sh.message(f::shape_dim, d);
        }
        tt.message(f::tensor_type_shape, sh);
    }
    pb::Writer ty;
    ty.message(f::type_tensor_type, tt);
    w.string(f::value_name, name);
    w.message(f::value_type, ty);
}

inline void write_graph(pb::Writer& w, const Graph& g, const std::string& where, const std::set<std::string>& outer_constants,
                        const std::set<std::string>& captured, std::set<std::string>& domains, bool top, const std::string& owner = "");

// The node's attributes as opset kOnnxExportOpset states them (see the file comment), or an Error.
// `used` marks the values some node or graph output reads; `outputs` is how many of the node's
// outputs to write (an unread legacy output may be dropped).
inline Attributes export_node_attributes(const Graph& g, const Node& n, const std::vector<bool>& used, std::string& op, size_t& outputs,
                                         const std::string& where) {
    outputs = n.outputs.size();
    Attributes a = n.attrs;
    a.erase("captures");
    auto refuse = [&](const std::string& why) {
        throw Error("cannot write " + Graph::where(n) + " as ONNX opset " + std::to_string(kOnnxExportOpset), where, why);
    };
    auto in_shape = [&](size_t i) -> const Shape* {
        const int id = n.input(i);
        return id < 0 ? nullptr : &g.value(id).shape;
    };
    if (op == "Scatter") op = "ScatterElements";  // Scatter-9/11 is ScatterElements without reduction
    // Attributes of opsets before 7 that later opsets dropped and Mutiny's kernels ignore (binary ops
    // broadcast as numpy does whatever `broadcast` and `axis` say).
    a.erase("consumed_inputs");
    a.erase("is_test");
    static const std::set<std::string> legacy_broadcast = {"Add", "Sub", "Mul", "Div", "Pow", "And", "Or", "Xor", "Equal", "Greater", "Less"};
    if (legacy_broadcast.count(op)) {
        a.erase("broadcast");
        a.erase("axis");
    }
    if (a.has("legacy_coerce")) {                 // Softmax, LogSoftmax, Hardmax before opset 13
        const Shape* x = in_shape(0);
        const int64_t r = x ? static_cast<int64_t>(x->rank()) : -1;
        int64_t axis = a.get_int("axis", 1);
        if (axis < 0) axis += r;
        // The 2-D coercion flattens the axes from `axis` on: the current op is the same when the
        // axes after it are all of size 1.
        bool same = x && axis >= 0 && axis < r;
        for (int64_t i = axis + 1; same && i < r; ++i) same = (*x)[static_cast<size_t>(i)] == 1;
        if (!same)
            refuse("opset " + std::string("< 13 coerces the input to 2-D at axis ") + std::to_string(a.get_int("axis", 1)) +
                   ", which equals the opset 13 op only when the axes after it have size 1 (input " + (x ? x->str() : std::string("?")) + ")");
        a.erase("legacy_coerce");
    }
    if (a.has("legacy_channel_slope")) {
        // PRelu before opset 7 broadcasts a 1-D slope over axis 1 where numpy broadcasting would not.
        const Shape *x = in_shape(0), *s = in_shape(1);
        if (x && s && s->rank() == 1 && x->rank() >= 2 && (*s)[0] == (*x)[1] && (*s)[0] != (*x)[x->rank() - 1])
            refuse("PRelu before opset 7 broadcasts a 1-D slope over channels; opset 21 does not");
        a.erase("legacy_channel_slope");
    }
    if (a.has("legacy_group_params")) refuse("GroupNormalization-18's scale and bias are per group; opset 21's are per channel");
    if (a.has("legacy_nonnegative")) refuse("OneHot before opset 11 has no negative indices; opset 21's wrap them");
    if (a.has("batch_major")) refuse("Scan-8 scans a batch axis first; opset 9 and later have no batch axis");
    if (a.has("legacy_mask_type")) {  // Dropout before opset 10: a float mask; unread, it does not show
        if (n.outputs.size() > 1 && used[static_cast<size_t>(n.outputs[1])]) refuse("Dropout before opset 10 gives a float mask; opset 21's is bool");
        outputs = 1;
        a.erase("legacy_mask_type");
    }
    if (op == "Split" && n.input(1) < 0 && !a.has("num_outputs")) a.set_int("num_outputs", static_cast<int64_t>(n.outputs.size()));
    if (op == "Resize" && a.get_string("nearest_mode", "") == "simple") {
        // Upsample's nearest rounding: floor when upsampling, ceil when downsampling (resize_geometry.hpp).
        if (a.get_string("mode", "nearest") != "nearest") {
            a.erase("nearest_mode");
        } else {
            const int s = n.input(2);
            if (s < 0 || !g.value(s).is_constant()) refuse("Upsample's nearest mode needs constant scales to be written as Resize");
            bool up = false, down = false;
            const Tensor& sc = g.value(s).constant;
            for (int64_t i = 0; i < sc.numel(); ++i) {
                const double v = sc.get_f64(i);
                up = up || v > 1;
                down = down || v < 1;
            }
            if (up && down) refuse("Upsample's nearest mode with scales both above and below 1 has no Resize nearest_mode");
            a.set_string("nearest_mode", down ? "ceil" : "floor");
        }
    }
    for (const auto& kv : a.all())
        if (kv.first.rfind("legacy_", 0) == 0) refuse("attribute '" + kv.first + "' is Mutiny's mark of a legacy semantics with no opset 21 form");
    return a;
}

inline void write_attribute(pb::Writer& w, const std::string& name, const Attribute& at, const std::string& where,
                            const std::set<std::string>& scope_constants, const std::vector<std::string>& captures,
                            std::set<std::string>& domains, const std::string& owner = "") {
    using A = onnx::AttributeProto;
    w.string(f::attr_name, name);
    switch (at.kind) {
        case Attribute::Kind::i:
            w.int64(f::attr_i, at.i);
            w.int64(f::attr_type, A::INT);
            break;
        case Attribute::Kind::f:
            w.float32(f::attr_f, static_cast<float>(at.f));
            w.int64(f::attr_type, A::FLOAT);
            break;
        case Attribute::Kind::s:
            w.string(f::attr_s, at.s);
            w.int64(f::attr_type, A::STRING);
            break;
        case Attribute::Kind::ints:
            w.packed_varints(f::attr_ints, at.ints);
            w.int64(f::attr_type, A::INTS);
            break;
        case Attribute::Kind::floats:
            w.packed_floats(f::attr_floats, std::vector<float>(at.floats.begin(), at.floats.end()));
            w.int64(f::attr_type, A::FLOATS);
            break;
        case Attribute::Kind::strings:
            for (const auto& s : at.strings) w.string(f::attr_strings, s);
            w.int64(f::attr_type, A::STRINGS);
            break;
        case Attribute::Kind::tensor: {
            pb::Writer t;
            write_tensor(t, at.t, "");
            w.message(f::attr_t, t);
            w.int64(f::attr_type, A::TENSOR);
            break;
        }
        case Attribute::Kind::graph: {
            if (!at.g) throw Error("cannot write attribute '" + name + "'", where, "the subgraph is missing");
            pb::Writer sub;
            write_graph(sub, *at.g, where + " attribute '" + name + "'", scope_constants,
                        std::set<std::string>(captures.begin(), captures.end()), domains, false, owner);
            w.message(f::attr_g, sub);
            w.int64(f::attr_type, A::GRAPH);
            break;
        }
    }
}

// One graph: the main graph (top) or a subgraph. `outer_constants` are the constants of the graphs
// around it (a subgraph's copy of one is read from the outer scope again); `captured` the names the
// owning node captured (inputs of the subgraph the importer added: they are outer-scope reads).
inline void write_graph(pb::Writer& w, const Graph& g, const std::string& where, const std::set<std::string>& outer_constants,
                        const std::set<std::string>& captured, std::set<std::string>& domains, bool top, const std::string& owner) {
    std::vector<bool> used(g.values.size(), false);
    for (const Node& n : g.nodes)
        for (const int i : n.inputs)
            if (i >= 0) used[static_cast<size_t>(i)] = true;
    for (const int o : g.outputs) used[static_cast<size_t>(o)] = true;
    std::set<std::string> scope = outer_constants;
    for (const Value& v : g.values)
        if (v.is_constant()) scope.insert(v.name);

    for (const Node& n : g.nodes) {
        const std::string nw = where + " " + Graph::where(n);
        std::string op = n.op;
        size_t n_out = 0;
        const Attributes attrs = export_node_attributes(g, n, used, op, n_out, nw);
        std::string domain;
        if (const size_t dot = op.rfind('.'); dot != std::string::npos) {
            domain = op.substr(0, dot);
            op = op.substr(dot + 1);
            domains.insert(domain);
        }
        const std::vector<std::string> captures = n.attrs.get_strings("captures", {});
        pb::Writer nd;
        // The captured outer values follow the formal inputs; the subgraphs read them by name.
        const size_t formal = n.inputs.size() - std::min(n.inputs.size(), captures.size());
        size_t count = formal;
        while (count > 0 && n.inputs[count - 1] < 0) --count;  // trailing absent optional inputs are left out
        for (size_t i = 0; i < count; ++i) nd.string(f::node_input, n.inputs[i] < 0 ? std::string() : g.value(n.inputs[i]).name);
        for (size_t o = 0; o < n_out; ++o) nd.string(f::node_output, g.value(n.outputs[o]).name);
        nd.string_if(f::node_name, n.name);
        nd.string(f::node_op_type, op);
        for (const auto& kv : attrs.all()) {
            pb::Writer at;
            write_attribute(at, kv.first, kv.second, nw, scope, captures, domains, op);
            nd.message(f::node_attribute, at);
        }
        nd.string_if(f::node_domain, domain);
        w.message(f::graph_node, nd);
    }
    w.string(f::graph_name, g.name.empty() ? std::string("graph") : g.name);
    for (size_t v = 0; v < g.values.size(); ++v) {
        const Value& val = g.values[v];
        if (!val.is_constant() || !used[v]) continue;
        if (!top && outer_constants.count(val.name)) continue;  // the importer's copy of an outer weight
        pb::Writer t;
        write_tensor(t, val.constant, val.name);
        w.message(f::graph_initializer, t);
    }
    for (size_t k = 0; k < g.inputs.size(); ++k) {
        const Value& v = g.value(g.inputs[k]);
        if (!top && captured.count(v.name)) continue;
        pb::Writer vi;
        if (top) {
            write_value_info(vi, v.name, v.dtype, &v.shape, [](size_t axis) { return axis == 0 ? std::string("N") : "N" + std::to_string(axis); });
        } else {
            // A subgraph's inputs as the file declared them (the importer keeps no "no shape": an
            // undeclared shape reads as a scalar, so rank 0 is written only where it is certain: a
            // Loop body's iteration number and condition, which ONNX Runtime needs).
            const bool shaped = v.shape.rank() > 0 || (owner == "Loop" && k < 2);
            write_value_info(vi, v.name, v.dtype, shaped ? &v.shape : nullptr, [](size_t) { return std::string(); });
        }
        w.message(f::graph_input, vi);
    }
    for (const int id : g.outputs) {
        const Value& v = g.value(id);
        pb::Writer vi;
        const bool shaped = top && !v.data_dependent;
        write_value_info(vi, v.name, v.dtype, shaped ? &v.shape : nullptr, [](size_t) { return std::string(); });
        w.message(f::graph_output, vi);
    }
}

}  // namespace onnx_export

// A TensorProto file (a backend test's input_N.pb / output_N.pb).
inline std::string onnx_tensor_bytes(const Tensor& t, const std::string& name) {
    pb::Writer w;
    onnx_export::write_tensor(w, t, name);
    return w.take();
}

// The ONNX ModelProto of `g` (opset kOnnxExportOpset), as bytes; `where` names the graph in errors.
inline std::string onnx_model_bytes(const Graph& g, const OnnxExportOptions& opt = {}, const std::string& where = "ONNX export") {
    namespace f = onnx::field;
    pb::Writer graph;
    std::set<std::string> domains;
    onnx_export::write_graph(graph, g, where, {}, {}, domains, true);
    pb::Writer m;
    m.int64(f::model_ir_version, kOnnxExportIrVersion);
    m.string(f::model_producer_name, opt.producer);
    m.message(f::model_graph, graph);
    pb::Writer def;
    def.string(f::opset_domain, "");
    def.int64(f::opset_version, kOnnxExportOpset);
    m.message(f::model_opset_import, def);
    for (const std::string& d : domains) {
        pb::Writer o;
        o.string(f::opset_domain, d);
        o.int64(f::opset_version, 1);
        m.message(f::model_opset_import, o);
    }
    for (const auto& kv : opt.metadata) {
        pb::Writer e;
        e.string(f::entry_key, kv.first);
        e.string(f::entry_value, kv.second);
        m.message(f::model_metadata_props, e);
    }
    if (m.data().size() > onnx::kMaxFileBytes)
        throw Error("cannot write ONNX model", where,
                    std::to_string(m.data().size()) + " bytes: protobuf cannot encode 2 GiB or more (Mutiny does not write external data)");
    return m.take();
}

}  // namespace mutiny

#endif  // MUTINY_IO_ONNX_EXPORT_HPP_
