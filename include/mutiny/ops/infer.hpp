// Shape inference, validation and constant folding over a whole graph, driven by the registry.
// Every graph that is built, imported or mutated goes through validate(): a graph that does not
// type-check is rejected with the node and the reason, never run.
#ifndef MUTINY_OPS_INFER_HPP_
#define MUTINY_OPS_INFER_HPP_

#include <exception>
#include <string>
#include <vector>

#include "op.hpp"

namespace mutiny {

// An op's infer() may compute a negative size from a file's values; refused before anything uses it.
inline void check_inferred_dims(const Node& n, const std::vector<TypeInfo>& outs) {
    for (size_t o = 0; o < outs.size(); ++o)
        for (auto d : outs[o].shape)
            if (d < 0) throw Error("negative dimension inferred", Graph::where(n), "output " + std::to_string(o) + " has shape " + outs[o].shape.str());
}

// Prepares node n's kernel (op `def`) for known input values (`in`: their types, `values`: the
// tensors, nullptr for an absent optional input) and output types `out`, with `sites`, and runs
// it: its outputs. Constant folding, data-dependent nodes (CpuExecutor) and tests evaluate one
// node this way.
inline std::vector<Tensor> evaluate_node(const Graph& g, const Node& n, const OpDef& def, const std::vector<TypeInfo>& in,
                                         const std::vector<const Tensor*>& values, const std::vector<TypeInfo>& out,
                                         const SiteConfig& sites = {}) {
    PrepareContext pc;
    pc.graph = &g;
    pc.node = &n;
    pc.in = in;
    pc.out = out;
    pc.consts = values;
    pc.sites = sites;
    Kernel k = def.prepare(pc);
    std::vector<Tensor> outs;
    for (const TypeInfo& t : out) outs.emplace_back(t.dtype, t.shape);
    ExecContext ec;
    ec.node = &n;
    ec.in = values;
    for (auto& t : outs) ec.out.push_back(&t);
    k(ec);
    return outs;
}

// The outputs an op's inference computed (InferContext::values()), when they are what its kernel
// would give with `sites`: no site mutated, or an op whose kernels have none (Loop).
inline const std::vector<Tensor>* inferred_values(const OpDef& def, const InferContext& ic, const SiteConfig& sites) {
    return !ic.values().empty() && (sites.is_default() || !def.sites.any()) ? &ic.values() : nullptr;
}

// Node n's outputs for known input values (`in`: their types, `values`: the tensors, nullptr for an
// absent optional input): its output types inferred from them, then its kernel prepared with
// `sites` and run, unless inference already computed the outputs (a Loop runs once, not twice).
// The one path that runs a node of data-dependent shapes, on the CPU executor and on the OpenCL
// executor's host steps alike.
inline std::vector<Tensor> evaluate_known(const Graph& g, const Node& n, const OpDef& def, const std::vector<TypeInfo>& in,
                                          const std::vector<const Tensor*>& values, const SiteConfig& sites = {}) {
    InferContext ic(g, n, in, values);
    def.infer(ic);
    check_inferred_dims(n, ic.outputs());
    if (const std::vector<Tensor>* v = inferred_values(def, ic, sites)) return *v;
    return evaluate_node(g, n, def, in, values, ic.outputs(), sites);
}

// Types of every value of g given the types of its inputs (in g.inputs order) and, where known,
// their values (nullptr: known only at run time). Known values count as constants: with `fold`,
// nodes whose inputs are all constant are evaluated and their outputs returned in `folded`
// (indexed by value id; empty tensors elsewhere). Given every input's value, this evaluates the
// whole graph: that is how subgraphs (Loop and Scan bodies, If branches) run (ops/control/).
//
// Without folding, small values computed from constants and input shapes are carried on too
// (shape arithmetic: Shape -> Gather -> Concat -> a Reshape target), so that inference works
// whatever sizes the symbolic dimensions take; `shape_values` (indexed by value id) receives the
// integer ones, which depend on the input shapes alone and which a plan may give its kernels as
// constants.
//
// Data-dependent shapes: an op whose output shape depends on the value of a run-time input
// (NonZero, Unique, a computed Reshape target) throws ValueDependentShape. With `dynamic` (indexed
// by value id), inference goes on instead: that node's outputs, and everything computed from
// them, are marked 1 there, with the value's declared dtype and an empty shape, to be inferred per
// run (CpuExecutor). Without it the exception propagates (a subgraph's types, the OpenCL planner).
inline std::vector<TypeInfo> infer_types_given(const Graph& g, const std::vector<TypeInfo>& input_types,
                                               const std::vector<const Tensor*>& input_values,
                                               std::vector<Tensor>* folded = nullptr,
                                               std::vector<Tensor>* shape_values = nullptr,
                                               std::vector<char>* dynamic = nullptr) {
    if (input_types.size() != g.inputs.size() || input_values.size() != g.inputs.size())
        throw Error("wrong number of graph inputs", "graph " + g.name,
                    std::to_string(input_types.size()) + " given, " + std::to_string(g.inputs.size()) + " declared");
    std::vector<TypeInfo> types(g.values.size());
    std::vector<char> known(g.values.size(), 0);
    std::vector<Tensor> consts(g.values.size());
    for (size_t v = 0; v < g.values.size(); ++v) {
        const Value& val = g.values[v];
        if (val.is_constant()) {
            types[v] = TypeInfo{val.constant.dtype(), val.constant.shape()};
            consts[v] = val.constant;
            known[v] = 1;
        }
    }
    for (size_t i = 0; i < g.inputs.size(); ++i) {
        const size_t id = static_cast<size_t>(g.inputs[i]);
        // A declared input shape comes from the file, like every output size (InferContext::set_output).
        if (input_types[i].shape.is_concrete())
            checked::numel(input_types[i].shape.dims(), "graph input '" + g.value(g.inputs[i]).name + "'", "graph " + g.name);
        types[id] = input_types[i];
        known[id] = 1;
        if (input_values[i]) consts[id] = *input_values[i];
    }
    if (dynamic) dynamic->assign(g.values.size(), 0);
    // Marks node n's outputs data-dependent (see above).
    auto mark_dynamic = [&](const Node& n) {
        for (int o : n.outputs) {
            types[static_cast<size_t>(o)] = TypeInfo{g.value(o).dtype, Shape()};
            known[static_cast<size_t>(o)] = 1;
            (*dynamic)[static_cast<size_t>(o)] = 1;
        }
    };
    const Registry& reg = Registry::instance();
    for (const Node& n : g.nodes) {
        const OpDef& def = reg.get(n.op, Graph::where(n));
        std::vector<TypeInfo> in(n.inputs.size());
        std::vector<const Tensor*> cin(n.inputs.size(), nullptr);
        bool all_const = true, dyn = false;
        for (size_t i = 0; i < n.inputs.size(); ++i) {
            const int v = n.inputs[i];
            if (v < 0) continue;
            if (!known[static_cast<size_t>(v)])
                throw Error("input '" + g.value(v).name + "' used before it is computed", Graph::where(n),
                            "the graph is not in topological order");
            in[i] = types[static_cast<size_t>(v)];
            if (!consts[static_cast<size_t>(v)].empty()) cin[i] = &consts[static_cast<size_t>(v)];
            else all_const = false;
            dyn = dyn || (dynamic && (*dynamic)[static_cast<size_t>(v)]);
        }
        if (dyn) {  // computed from a data-dependent value: data-dependent too
            mark_dynamic(n);
            continue;
        }
        std::vector<Tensor> shape_holders;  // storage-less tensors standing for run-time inputs
        if (def.shape_only && !all_const) {
            all_const = true;
            shape_holders.reserve(n.inputs.size());
            for (size_t i = 0; i < n.inputs.size(); ++i)
                if (n.inputs[i] >= 0 && !cin[i]) {
                    shape_holders.emplace_back(in[i].dtype, in[i].shape, nullptr);
                    cin[i] = &shape_holders.back();
                }
        }
        auto refuse_bf16 = [&](DType t, const std::string& which) {
            if (t == DType::bf16 && !def.bf16)
                throw Error("unsupported dtype bfloat16", Graph::where(n),
                            which + " is bfloat16, a storage type that only Cast, CastLike and copies take");
        };
        for (size_t i = 0; i < n.inputs.size(); ++i)
            if (n.inputs[i] >= 0) refuse_bf16(in[i].dtype, "input " + std::to_string(i));
        InferContext ctx(g, n, in, cin);
        try {
            def.infer(ctx);
        } catch (const ValueDependentShape&) {
            if (!dynamic) throw;
            mark_dynamic(n);
            continue;
        }
        for (size_t o = 0; o < n.outputs.size(); ++o) refuse_bf16(ctx.outputs()[o].dtype, "output " + std::to_string(o));
        check_inferred_dims(n, ctx.outputs());
        for (size_t o = 0; o < n.outputs.size(); ++o) {
            const TypeInfo& t = ctx.outputs()[o];
            types[static_cast<size_t>(n.outputs[o])] = t;
            known[static_cast<size_t>(n.outputs[o])] = 1;
        }
        bool small = true;
        for (const TypeInfo& t : ctx.outputs()) small = small && t.shape.numel() <= 4096;
        if (all_const && def.prepare && (folded || small)) {
            const std::vector<Tensor>* done = inferred_values(def, ctx, SiteConfig{});
            const std::vector<Tensor> outs = done ? *done : evaluate_node(g, n, def, in, cin, ctx.outputs());
            for (size_t o = 0; o < n.outputs.size(); ++o) {
                consts[static_cast<size_t>(n.outputs[o])] = outs[o];
                if (shape_values && !dtype_is_float(outs[o].dtype())) {
                    shape_values->resize(g.values.size());
                    (*shape_values)[static_cast<size_t>(n.outputs[o])] = outs[o];
                }
            }
        }
    }
    for (int o : g.outputs)
        if (!known[static_cast<size_t>(o)])
            throw Error("graph output '" + g.value(o).name + "' is never computed", "graph " + g.name, "no node produces it");
    if (folded) *folded = std::move(consts);
    return types;
}

// Concrete types of every value for one batch size (symbolic dims of the graph inputs replaced by
// `batch`), folding as infer_types_given does.
inline std::vector<TypeInfo> infer_types(const Graph& g, int64_t batch, std::vector<Tensor>* folded = nullptr,
                                         std::vector<char>* dynamic = nullptr) {
    std::vector<TypeInfo> in;
    for (int id : g.inputs) {
        const Value& val = g.value(id);
        Shape s = val.shape;
        for (auto& d : s.dims())
            if (d < 0) d = batch;
        in.push_back(TypeInfo{val.dtype, s});
    }
    return infer_types_given(g, in, std::vector<const Tensor*>(in.size(), nullptr), folded, nullptr, dynamic);
}

// The size validation and folding give the graph's symbolic dimensions: the smallest of 1, 8, 32,
// 128 at which shape inference succeeds with every symbolic dimension at that size and at twice it.
// A model with only a batch dimension takes 1; one with a symbolic image size needs a size its
// convolutions and poolings can take (a 2x2 MaxPool refuses a 1x1 map). Inference folds only
// values computed from constants and input shapes, so a larger size costs nothing. Where no size
// works, the error at size 1 is thrown (it names the node).
inline int64_t symbolic_size(const Graph& g) {
    bool symbolic = false;
    for (int id : g.inputs)
        for (auto d : g.value(id).shape) symbolic = symbolic || d < 0;
    if (!symbolic) return 1;
    std::exception_ptr first;
    std::vector<char> dynamic;
    for (int64_t m : {1, 8, 32, 128}) {
        try {
            infer_types(g, m, nullptr, &dynamic);
            infer_types(g, 2 * m, nullptr, &dynamic);
            return m;
        } catch (const Error&) {
            if (!first) first = std::current_exception();
        }
    }
    std::rethrow_exception(first);
}

// Sorts the graph, infers at the symbolic size m and 2m (symbolic_size), and records graph-level
// shapes (-1 where a dimension follows a symbolic input dimension; Value::data_dependent where the
// shape depends on run-time values). Throws with the failing node on any inconsistency.
inline void validate(Graph& g) {
    g.sort();
    if (g.outputs.empty()) throw Error("graph has no outputs", "graph " + g.name, "nothing to compute");
    const int64_t m = symbolic_size(g);
    std::vector<char> d1, d2;
    const auto t1 = infer_types(g, m, nullptr, &d1);
    const auto t2 = infer_types(g, 2 * m, nullptr, &d2);
    for (size_t v = 0; v < g.values.size(); ++v) {
        Value& val = g.values[v];
        if (val.is_constant() || g.is_input(static_cast<int>(v))) continue;
        val.data_dependent = d1[v] || d2[v];
        if (val.data_dependent) {  // dtype as declared (or as an earlier validation found), shape per run
            val.shape = Shape();
            continue;
        }
        Shape s = t1[v].shape;
        if (t2[v].shape.rank() == s.rank())
            for (size_t d = 0; d < s.rank(); ++d)
                if (t2[v].shape[d] != s[d]) s[d] = -1;
        val.dtype = t1[v].dtype;
        val.shape = s;
    }
}

// Replaces every node whose outputs do not depend on run-time inputs by constants (weights
// computed by ConstantOfShape, shape arithmetic as PyTorch exports it, Constant nodes).
// Shape arithmetic that involves the symbolic batch size is folded for Reshape targets: the
// target is evaluated at the symbolic size m and 2m (symbolic_size) and the one entry that scales
// with it becomes -1. Targets computed from two symbolic dimensions (batch x sequence) do not
// scale by 2 and stay computed per run.
inline void fold_constants(Graph& g) {
    g.sort();
    std::vector<Tensor> f1, f2;
    bool batch_dependent = false;
    for (int id : g.inputs)
        for (auto d : g.value(id).shape) batch_dependent = batch_dependent || d < 0;
    const int64_t m = symbolic_size(g);
    std::vector<char> dynamic;  // data-dependent values are never constants: nothing to fold there
    infer_types(g, m, &f1, &dynamic);
    if (batch_dependent) infer_types(g, 2 * m, &f2, &dynamic);
    else f2 = f1;
    auto same = [](const Tensor& a, const Tensor& b) { return !a.empty() && !b.empty() && a.bitwise_equal(b); };
    // Reshape targets computed from the batch size: make them batch-agnostic.
    for (Node& n : g.nodes) {
        if (n.op != "Reshape" || n.inputs.size() < 2 || n.inputs[1] < 0) continue;
        const size_t v = static_cast<size_t>(n.inputs[1]);
        if (f1[v].empty() || f2[v].empty() || same(f1[v], f2[v])) continue;
        auto a = f1[v].to_i64_vector(), b = f2[v].to_i64_vector();
        if (a.size() != b.size()) continue;
        int differing = -1, count = 0;
        bool has_minus_one = false;
        for (size_t i = 0; i < a.size(); ++i) {
            if (a[i] != b[i]) { differing = static_cast<int>(i); ++count; }
            if (a[i] == -1) has_minus_one = true;
        }
        if (count != 1 || has_minus_one || b[static_cast<size_t>(differing)] != 2 * a[static_cast<size_t>(differing)]) continue;
        a[static_cast<size_t>(differing)] = -1;
        n.inputs[1] = g.add_constant(g.unique_name(g.value(static_cast<int>(v)).name + "_folded"),
                                     Tensor::from_vector<int64_t>(Shape{static_cast<int64_t>(a.size())}, a));
    }
    std::vector<Node> kept;
    for (Node& n : g.nodes) {
        bool all = !n.outputs.empty();
        for (int o : n.outputs) all = all && same(f1[static_cast<size_t>(o)], f2[static_cast<size_t>(o)]);
        if (!all) {
            kept.push_back(std::move(n));
            continue;
        }
        for (int o : n.outputs) {
            Value& val = g.value(o);
            val.constant = f1[static_cast<size_t>(o)];
            val.dtype = val.constant.dtype();
            val.shape = val.constant.shape();
        }
    }
    g.nodes = std::move(kept);
    g.prune();
}

}  // namespace mutiny

#include "../graph/builder.hpp"

namespace mutiny {
inline Graph GraphBuilder::build() {
    Graph g = g_;
    validate(g);
    return g;
}
}  // namespace mutiny

#endif  // MUTINY_OPS_INFER_HPP_
