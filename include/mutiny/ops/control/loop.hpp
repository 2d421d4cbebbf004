// Loop: body(iteration, condition, carried...) -> (condition, carried..., scan outputs...), run
// while the iteration is below the trip count M (if given) and the condition holds (an absent
// condition input means "always", as the spec says). Node outputs: the final carried values, then
// each scan output stacked over the iterations along a new first axis.
// Static shapes: carried values keep their type; the scan outputs' length is the trip count, known
// when every input is constant (the loop is evaluated), or when M is constant and the condition
// cannot turn false (absent, or passed through by the body). Otherwise the model is refused
// with the reason. Every loop stops with an error after max_loop_iterations() iterations.
#ifndef MUTINY_OPS_CONTROL_LOOP_HPP_
#define MUTINY_OPS_CONTROL_LOOP_HPP_

#include <string>
#include <vector>

#include "subgraph.hpp"

namespace mutiny {
namespace control {

struct LoopResult {
    std::vector<Tensor> carried;
    std::vector<std::vector<Tensor>> scans;
};

// Runs the loop: M and cond are the node's inputs 0 and 1 (nullptr when absent).
inline LoopResult run_loop(const Body& body, const Tensor* m, const Tensor* cond, std::vector<Tensor> carried,
                           const ExecContext& c, const std::string& where) {
    int64_t trip = -1;
    if (m) {
        if (m->numel() != 1 || (m->dtype() != DType::i64 && m->dtype() != DType::i32))
            throw Error("the trip count M must be one integer", where, std::string("got ") + dtype_name(m->dtype()) + " " + m->shape().str());
        trip = m->get_i64(0);
    }
    bool go = cond ? condition_value(*cond, where, "the condition") : true;
    const size_t n = carried.size();
    const size_t k = body.graph->outputs.size() - 1 - n;
    LoopResult r;
    r.scans.resize(k);
    const int64_t limit = max_loop_iterations().load();
    for (int64_t i = 0; go && (trip < 0 || i < trip); ++i) {
        if (i >= limit)
            throw Error("Loop ran past the iteration limit", where,
                        std::to_string(limit) + " iterations and the " + std::string(trip < 0 ? "condition is still true" : "trip count is " + std::to_string(trip)) +
                            "; raise the limit with --max-loop-iterations if the model really needs more");
        const Tensor it = scalar_i64(i), cd = scalar_bool(go);
        std::vector<const Tensor*> in{&it, &cd};
        for (const Tensor& t : carried) in.push_back(&t);
        std::vector<Tensor> out = body.run(in, c);
        if (cond) go = condition_value(out[0], where, "the body's condition output");
        for (size_t j = 0; j < n; ++j) carried[j] = out[1 + j];
        for (size_t j = 0; j < k; ++j) r.scans[j].push_back(out[1 + n + j]);
    }
    r.carried = std::move(carried);
    return r;
}

// Whether the body's condition output is always its condition input (an Identity, or the input
// itself), so the loop runs exactly M times when the condition starts true.
inline bool body_passes_condition(const Graph& g) {
    if (g.outputs.empty() || g.inputs.size() < 2) return false;
    int v = g.outputs[0];
    for (bool changed = true; changed;) {
        changed = false;
        for (const Node& nd : g.nodes)
            if (nd.op == "Identity" && !nd.outputs.empty() && nd.outputs[0] == v && !nd.inputs.empty()) {
                v = nd.inputs[0];
                changed = true;
            }
    }
    return v == g.inputs[1];
}

// The body's formal input types: the iteration number, the condition, the carried values.
inline std::vector<TypeInfo> loop_types(const InferContext& c, size_t n) {
    std::vector<TypeInfo> t{TypeInfo{DType::i64, Shape{}}, TypeInfo{DType::boolean, Shape{}}};
    for (size_t i = 0; i < n; ++i) t.push_back(TypeInfo{c.dtype(2 + i), c.shape(2 + i)});
    return t;
}

inline void check_loop_signature(const Node& nd, const Graph& body, size_t carried) {
    const std::string where = Graph::where(nd);
    if (body.outputs.size() < 1 + carried)
        throw Error("the body has too few outputs", where,
                    std::to_string(body.outputs.size()) + " for a condition and " + std::to_string(carried) + " carried values");
    if (nd.outputs.size() > body.outputs.size() - 1)
        throw Error("more outputs than the body gives", where,
                    std::to_string(nd.outputs.size()) + " declared, " + std::to_string(body.outputs.size() - 1) + " given");
}

// The iterations' values of one scan output stacked along a new first axis (shape `stacked`).
inline Tensor stack_scan(const std::vector<Tensor>& parts, DType t, const Shape& stacked, const std::string& where) {
    Tensor out(t, stacked);
    for (size_t i = 0; i < parts.size(); ++i) put_along(out, 0, static_cast<int64_t>(i), parts[i], where);
    return out;
}

inline void infer_loop(InferContext& c) {
    const Node& nd = c.node();
    const size_t f = formal_inputs(nd);
    if (f < 2) c.fail("wrong number of inputs", "Loop takes M, cond and the carried values (M and cond may be empty)");
    const size_t n = f - 2;
    const Body body(nd, "body", 2 + n);
    check_loop_signature(nd, *body.graph, n);
    const size_t k = body.graph->outputs.size() - 1 - n;
    if (c.has_input(0) && (c.shape(0).numel() != 1 || (c.dtype(0) != DType::i64 && c.dtype(0) != DType::i32)))
        c.fail("the trip count M must be one integer", std::string("got ") + dtype_name(c.dtype(0)) + " " + c.shape(0).str());
    if (c.has_input(1) && (c.dtype(1) != DType::boolean || c.shape(1).numel() != 1))
        c.fail("the condition must be one bool", std::string("got ") + dtype_name(c.dtype(1)) + " " + c.shape(1).str());

    bool all_known = true;
    for (size_t i = 0; i < nd.inputs.size(); ++i) all_known = all_known && (nd.inputs[i] < 0 || c.constant(i));
    if (all_known) {
        // Every input is known: run the loop now; its results give the exact types.
        ExecContext ec;
        ec.node = &nd;
        for (size_t i = 0; i < nd.inputs.size(); ++i) ec.in.push_back(c.constant(i));
        std::vector<Tensor> init;
        for (size_t i = 0; i < n; ++i) init.push_back(*c.constant(2 + i));
        const LoopResult r = run_loop(body, c.constant(0), c.constant(1), init, ec, c.where());
        // The loop has run: its outputs go with the types, so the node is not run again
        // (InferContext::set_values; a data-dependent Loop runs its body once per run).
        std::vector<Tensor> values;
        for (size_t o = 0; o < nd.outputs.size(); ++o) {
            if (o < n) {
                c.set_output(o, r.carried[o].dtype(), r.carried[o].shape());
                values.push_back(r.carried[o]);
            } else {
                const auto& parts = r.scans[o - n];
                const TypeInfo t = parts.empty() ? body.infer(loop_types(c, n), {}, c)[1 + o] : TypeInfo{parts[0].dtype(), parts[0].shape()};
                std::vector<int64_t> d{static_cast<int64_t>(parts.size())};
                for (auto x : t.shape) d.push_back(x);
                c.set_output(o, t.dtype, Shape(d));
                values.push_back(stack_scan(parts, t.dtype, Shape(d), c.where()));
            }
        }
        c.set_values(std::move(values));
        return;
    }
    const std::vector<TypeInfo> out = body.infer(loop_types(c, n), {}, c);
    if (out[0].dtype != DType::boolean || out[0].shape.numel() != 1)
        c.fail("the body's condition output must be one bool", std::string("got ") + dtype_name(out[0].dtype) + " " + out[0].shape.str());
    for (size_t i = 0; i < n; ++i) {
        if (out[1 + i].dtype != c.dtype(2 + i))
            c.fail("carried value " + std::to_string(i) + " changes dtype in the body",
                   std::string("from ") + dtype_name(c.dtype(2 + i)) + " to " + dtype_name(out[1 + i].dtype));
        // A carried value that grows (or shrinks) each iteration ends with a shape known only by
        // running the loop: the node is then run per run, its shapes inferred from the values.
        if (out[1 + i].shape != c.shape(2 + i))
            throw ValueDependentShape("carried value " + std::to_string(i) + " changes shape in the body", c.where(),
                                      "from " + c.shape(2 + i).str() + " to " + out[1 + i].shape.str() +
                                          ", so its final shape depends on the number of iterations");
    }
    int64_t trips = -1;
    if (k > 0) {
        const Tensor* m = c.constant(0);
        const Tensor* cond = c.constant(1);
        const bool cond_always = !c.has_input(1) || (cond && condition_value(*cond, c.where(), "the condition") && body_passes_condition(*body.graph));
        if (cond && !condition_value(*cond, c.where(), "the condition")) trips = 0;
        else if (m && cond_always) trips = std::max<int64_t>(0, m->get_i64(0));
        else
            throw ValueDependentShape("the iteration count of a Loop with scan outputs must be a constant", c.where(),
                                      "their length is the number of iterations, known before running only when M is a constant and "
                                      "the condition cannot turn false (or every input is a constant)");
    }
    for (size_t o = 0; o < nd.outputs.size(); ++o) {
        if (o < n) {
            c.set_output(o, c.dtype(2 + o), c.shape(2 + o));
        } else {
            std::vector<int64_t> d{trips};
            for (auto x : out[1 + o].shape) d.push_back(x);
            c.set_output(o, out[1 + o].dtype, Shape(d));
        }
    }
}

inline Kernel prepare_loop(const PrepareContext& pc) {
    const size_t n = formal_inputs(*pc.node) - 2;
    const Body body(*pc.node, "body", 2 + n);
    return [body, n](ExecContext& c) {
        const std::string where = Graph::where(*c.node);
        std::vector<Tensor> init;
        for (size_t i = 0; i < n; ++i) init.push_back(c.input(2 + i));
        const LoopResult r = run_loop(body, c.has(0) ? &c.input(0) : nullptr, c.has(1) ? &c.input(1) : nullptr, init, c, where);
        for (size_t o = 0; o < c.out.size(); ++o) {
            if (!c.out[o]) continue;
            if (o < n) {
                copy_to_output(r.carried[o], *c.out[o], where, o);
                continue;
            }
            const auto& parts = r.scans[o - n];
            if (static_cast<int64_t>(parts.size()) != c.out[o]->shape()[0])
                throw Error("the loop ran another number of times than planned", where,
                            std::to_string(parts.size()) + " iterations, " + std::to_string(c.out[o]->shape()[0]) + " planned (Mutiny plans static shapes)");
            for (size_t i = 0; i < parts.size(); ++i) put_along(*c.out[o], 0, static_cast<int64_t>(i), parts[i], where);
        }
    };
}

inline void register_loop(Registry& r) { r.add(OpDef{"Loop", nullptr, infer_loop, prepare_loop}); }

}  // namespace control
}  // namespace mutiny

#endif  // MUTINY_OPS_CONTROL_LOOP_HPP_
