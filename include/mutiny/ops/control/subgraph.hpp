// What If, Loop and Scan share: binding a subgraph's inputs (its formal ones, then the outer values
// it reads, "captures", which the node carries after its formal inputs, named by the `captures`
// attribute), inferring its output types from its input types, and running it. A subgraph runs by
// evaluating every node with all inputs known (infer_types_given with values), so shapes inside a
// body may change from one iteration to the next and data-dependent ops (NonZero) just work; the
// body's kernels are prepared per call, which is simple and exact, not the fastest.
#ifndef MUTINY_OPS_CONTROL_SUBGRAPH_HPP_
#define MUTINY_OPS_CONTROL_SUBGRAPH_HPP_

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../common.hpp"
#include "../infer.hpp"
#include "limits.hpp"

namespace mutiny {
namespace control {

// The node's formal inputs (those its op defines), before the captured outer values.
inline size_t formal_inputs(const Node& n) {
    const size_t c = n.attrs.get_strings("captures").size();
    if (c > n.inputs.size()) throw Error("more captured values than inputs", Graph::where(n), "the node is corrupt");
    return n.inputs.size() - c;
}

inline const Graph& subgraph(const Node& n, const char* attr) {
    const Graph* g = n.attrs.get_graph(attr);
    if (!g) throw Error(std::string("missing subgraph attribute '") + attr + "'", Graph::where(n), "the op requires it");
    return *g;
}

// One subgraph of a node, bound: the positions, in the node's inputs, of the outer values the
// subgraph reads after its `formal` own inputs.
struct Body {
    std::shared_ptr<const Graph> graph;
    size_t formal = 0;
    std::vector<size_t> capture_pos;
    std::string where;

    Body() = default;
    Body(const Node& n, const char* attr, size_t formal_) : formal(formal_) {
        graph = n.attrs.share_graph(attr);
        where = Graph::where(n) + " " + attr;
        if (!graph) throw Error(std::string("missing subgraph attribute '") + attr + "'", Graph::where(n), "the op requires it");
        if (graph->inputs.size() < formal)
            throw Error("subgraph has too few inputs", where,
                        std::to_string(graph->inputs.size()) + " declared, the op passes " + std::to_string(formal));
        const auto names = n.attrs.get_strings("captures");
        const size_t first = n.inputs.size() - names.size();
        for (size_t i = formal; i < graph->inputs.size(); ++i) {
            const std::string& nm = graph->value(graph->inputs[i]).name;
            const auto it = std::find(names.begin(), names.end(), nm);
            if (it == names.end())
                throw Error("subgraph has more inputs than the op passes", where,
                            "input '" + nm + "' is neither one of its " + std::to_string(formal) + " formal inputs nor an outer value");
            capture_pos.push_back(first + static_cast<size_t>(it - names.begin()));
        }
    }

    // Output types for formal input types (and values, where known); the captures' types and
    // values come from the node's inputs as `c` sees them.
    std::vector<TypeInfo> infer(std::vector<TypeInfo> types, std::vector<const Tensor*> values, const InferContext& c) const {
        check_formal(types);
        values.resize(types.size(), nullptr);  // formal inputs without known values
        for (size_t p : capture_pos) {
            types.push_back(TypeInfo{c.dtype(p), c.shape(p)});
            values.push_back(c.constant(p));
        }
        std::vector<TypeInfo> all;
        try {
            all = infer_types_given(*graph, types, values);
        } catch (const ValueDependentShape& e) {  // the node's outputs then depend on values too
            throw ValueDependentShape(e.what_part(), where + ": " + e.where_part(), e.why_part());
        } catch (const Error& e) {
            throw Error(e.what_part(), where + ": " + e.where_part(), e.why_part());
        }
        std::vector<TypeInfo> out;
        for (int o : graph->outputs) out.push_back(all[static_cast<size_t>(o)]);
        return out;
    }

    // Runs the subgraph on formal input tensors; the captures come from the kernel's inputs.
    std::vector<Tensor> run(const std::vector<const Tensor*>& formal_in, const ExecContext& c) const {
        std::vector<TypeInfo> types;
        std::vector<const Tensor*> values = formal_in;
        for (const Tensor* t : formal_in) types.push_back(TypeInfo{t->dtype(), t->shape()});
        check_formal(types);
        for (size_t p : capture_pos) {
            const Tensor& t = c.input(p);
            types.push_back(TypeInfo{t.dtype(), t.shape()});
            values.push_back(&t);
        }
        std::vector<Tensor> folded;
        std::vector<TypeInfo> all;
        try {
            all = infer_types_given(*graph, types, values, &folded);
        } catch (const Error& e) {
            throw Error(e.what_part(), where + ": " + e.where_part(), e.why_part());
        }
        std::vector<Tensor> out;
        for (int o : graph->outputs) {
            const size_t v = static_cast<size_t>(o);
            if (!folded[v].empty()) out.push_back(folded[v]);
            else if (all[v].shape.numel() == 0) out.emplace_back(all[v].dtype, all[v].shape);
            else throw Error("subgraph output '" + graph->value(o).name + "' was not computed", where, "its producer has no CPU kernel");
        }
        return out;
    }

    // Only the count of formal inputs is checked: their types are the op's (bodies often omit
    // them, and ONNX Runtime too types a body from the node that runs it).
    void check_formal(const std::vector<TypeInfo>& types) const {
        if (types.size() != formal)
            throw Error("subgraph called with the wrong number of inputs", where,
                        std::to_string(types.size()) + " given, " + std::to_string(formal) + " declared");
    }
};

// A scalar of the given type.
inline Tensor scalar_i64(int64_t v) {
    Tensor t(DType::i64, Shape{});
    t.data<int64_t>()[0] = v;
    return t;
}
inline Tensor scalar_bool(bool v) {
    Tensor t(DType::boolean, Shape{});
    static_cast<uint8_t*>(t.raw())[0] = v ? 1 : 0;
    return t;
}
// The single value of a condition tensor (bool, one element).
inline bool condition_value(const Tensor& t, const std::string& where, const char* what) {
    if (t.dtype() != DType::boolean || t.numel() != 1)
        throw Error(std::string(what) + " must be one bool", where, std::string("got ") + dtype_name(t.dtype()) + " " + t.shape().str());
    return static_cast<const uint8_t*>(t.raw())[0] != 0;
}

// Copies a computed tensor into a kernel output allocated with the inferred type.
inline void copy_to_output(const Tensor& from, Tensor& to, const std::string& where, size_t index) {
    if (from.dtype() != to.dtype() || from.shape() != to.shape())
        throw Error("output " + std::to_string(index) + " changed type at run time", where,
                    std::string("inferred ") + dtype_name(to.dtype()) + " " + to.shape().str() + ", computed " +
                        dtype_name(from.dtype()) + " " + from.shape().str() + " (Mutiny plans static shapes)");
    if (from.nbytes()) std::memcpy(to.raw(), from.raw(), from.nbytes());
}

// The slice at `index` of axis `axis` of t (that axis removed), as a new tensor.
inline Tensor take_along(const Tensor& t, size_t axis, int64_t index) {
    std::vector<int64_t> dims = t.shape().dims();
    int64_t outer = 1, inner = 1;
    for (size_t d = 0; d < axis; ++d) outer *= dims[d];
    for (size_t d = axis + 1; d < dims.size(); ++d) inner *= dims[d];
    const int64_t len = dims[axis];
    dims.erase(dims.begin() + static_cast<std::ptrdiff_t>(axis));
    Tensor r(t.dtype(), Shape(dims));
    const size_t es = dtype_size(t.dtype()), row = static_cast<size_t>(inner) * es;
    const auto* src = static_cast<const uint8_t*>(t.raw());
    auto* dst = static_cast<uint8_t*>(r.raw());
    for (int64_t o = 0; o < outer; ++o)
        if (row) std::memcpy(dst + static_cast<size_t>(o) * row, src + static_cast<size_t>(o * len + index) * row, row);
    return r;
}

// Writes `part` (the output's shape without `axis`) at `index` of axis `axis` of `out`.
inline void put_along(Tensor& out, size_t axis, int64_t index, const Tensor& part, const std::string& where) {
    std::vector<int64_t> dims = out.shape().dims();
    const int64_t len = dims[axis];
    std::vector<int64_t> expect = dims;
    expect.erase(expect.begin() + static_cast<std::ptrdiff_t>(axis));
    if (part.dtype() != out.dtype() || part.shape() != Shape(expect))
        throw Error("a per-iteration output changed type", where,
                    std::string("expected ") + dtype_name(out.dtype()) + " " + Shape(expect).str() + ", got " +
                        dtype_name(part.dtype()) + " " + part.shape().str() + " (every iteration must give the same shape)");
    int64_t outer = 1, inner = 1;
    for (size_t d = 0; d < axis; ++d) outer *= dims[d];
    for (size_t d = axis + 1; d < dims.size(); ++d) inner *= dims[d];
    const size_t es = dtype_size(out.dtype()), row = static_cast<size_t>(inner) * es;
    const auto* src = static_cast<const uint8_t*>(part.raw());
    auto* dst = static_cast<uint8_t*>(out.raw());
    for (int64_t o = 0; o < outer; ++o)
        if (row) std::memcpy(dst + static_cast<size_t>(o * len + index) * row, src + static_cast<size_t>(o) * row, row);
}

// An axis attribute in [-rank, rank) made non-negative.
inline size_t norm_axis(int64_t axis, size_t rank, const std::string& where, const char* what) {
    const int64_t r = static_cast<int64_t>(rank);
    if (axis < -r || axis >= r)
        throw Error(std::string(what) + " out of range", where, std::to_string(axis) + " for rank " + std::to_string(rank));
    return static_cast<size_t>(axis < 0 ? axis + r : axis);
}

}  // namespace control
}  // namespace mutiny

#endif  // MUTINY_OPS_CONTROL_SUBGRAPH_HPP_
