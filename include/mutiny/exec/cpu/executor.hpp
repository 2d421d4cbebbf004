// The CPU executor: compiles a graph (plus a kernel-site configuration) into a plan per batch
// size and runs batches. It owns its oneTBB task arena, so the thread count is the executor's,
// not the process's. Intermediate buffers are planned statically: a value's storage returns to
// the pool once its last reader has run, and a plan allocates its pool once.
// Every kernel computes each output element in a fixed order whatever the thread count, so
// outputs are bitwise identical for 1, 2 or N threads.
//
// Incremental execution (docs/architecture.md, "Incremental execution"): run_trace() keeps every value of a batch; run_from()
// re-executes only the nodes that depend on a set of overridden nodes (a mutant's kernels),
// reading everything else from the trace. A neuron-level override may compute only some output
// units (channels) of its node, from weights sliced to those units, and copy the rest from the
// trace: every kernel computes each output element by one fixed chain of operations (see
// ops/gemm/blocking.hpp), so slicing the weights changes no bit of the units it computes. Such a narrow
// value stays narrow through the nodes that compute each unit from the same unit of their one
// input alone (elementwise activations; pooling, per channel): they run on those units only, and
// the full tensor (the trace's, with the units replaced) is made only where a node needs it. Both
// are checked bitwise against full re-execution in tests/unit/test_incremental.cpp.
//
// Data-dependent shapes (Value::data_dependent: downstream of NonZero, Unique, a Loop whose
// carried value grows...): such a node has no planned kernel or buffer. Each run infers its output
// shapes from its inputs' values, prepares its kernel for them and runs it, as subgraphs run
// (ops/control/subgraph.hpp): exact, and slower only for those nodes. Everything before them keeps
// the static plan.
#ifndef MUTINY_EXEC_CPU_EXECUTOR_HPP_
#define MUTINY_EXEC_CPU_EXECUTOR_HPP_

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <tbb/info.h>
#include <tbb/task_arena.h>

#include "../../graph/graph.hpp"
#include "../input_shapes.hpp"
#include "../node_times.hpp"
#include "../../ops/infer.hpp"
#include "../../ops/op.hpp"

namespace mutiny {

// Every value of one run, indexed by value id: constants, inputs, intermediates and outputs.
using Trace = std::vector<Tensor>;

// Called by run_from() with each output of each node downstream of the overridden ones, right
// after the node ran (node index, value id, the value in full): campaign profiles
// (analysis/profile.hpp) compare them with the trace without keeping them.
using ValueObserver = std::function<void(int node, int value, const Tensor& full)>;

// A kernel standing in for node `node`'s during one run_from() call. `units`, when not empty,
// are the only output units (axis 1 of a Conv's output, the last axis of a Gemm's or MatMul's)
// the kernel computes: prepare_node() built it from weights sliced to those units, and the other
// units are copied from the trace.
struct NodeOverride {
    int node = -1;
    Kernel kernel;
    std::vector<int64_t> units;
    std::map<size_t, Tensor> inputs;  // input position -> the sliced constant the kernel reads there
    // A node with data-dependent shapes has no kernel until its input values are known: it is
    // prepared per run with these sites from `inputs`, which then hold its constant inputs as they
    // were when the override was made (a weight mutant's patched weights).
    bool per_run = false;
    SiteConfig sites;
};

struct CpuOptions {
    int threads = 0;                                // 0: all hardware threads
    SiteConfig sites;                               // applied to every node (kernel-level mutant)
    std::map<std::string, SiteConfig> node_sites;   // or to named nodes only
    // Fuse element-wise nodes into the Conv before them in run() (fuse_groups(); same bits either
    // way). Off, or MUTINY_FUSION=0 in the environment: every node runs its own kernel (the
    // reference fusion is tested against).
    bool fuse = true;
};

class CpuExecutor {
public:
    explicit CpuExecutor(Graph graph, CpuOptions opt = {})
        : graph_(std::move(graph)), opt_(std::move(opt)),
          // Default: the cores this process may run on (its affinity mask, as under mpirun's
          // binding or taskset), not every core of the machine: an arena wider than that makes
          // oneTBB warn and adds threads that only take turns.
          arena_(opt_.threads > 0 ? opt_.threads : std::max(1, tbb::info::default_concurrency())) {
        validate(graph_);
    }

    const Graph& graph() const { return graph_; }
    // The constant tensor of value v, writable, for patching weights in place (weight mutants):
    // kernels prepared later (prepare_node) see the change, the plans' kernels do not. Only
    // values may change through it, never shapes or structure; restore them when done.
    Tensor& mutable_constant(int v) {
        Value& val = graph_.values.at(static_cast<size_t>(v));
        if (!val.is_constant()) throw Error("value '" + val.name + "' is not a constant", "graph " + graph_.name, "only constants (weights) can be patched");
        return val.constant;
    }
    int threads() const { return arena_.max_concurrency(); }

    // Runs one batch. Inputs in the order of graph().inputs; outputs in the order of outputs.
    // `times`, when given, receives each node's wall time (exec/node_times.hpp); the outputs are
    // the same bits either way.
    std::vector<Tensor> run(const std::vector<Tensor>& inputs, NodeTimes* times = nullptr) {
        Plan& p = plan_for(input_shapes_of(graph_, inputs));
        check_inputs(inputs, p);
        const auto start = times ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
        std::vector<Tensor> result;
        if (times) times->reset(graph_.nodes.size());
        arena_.execute([&] { result = execute(p, inputs, times); });
        if (times) times->total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return result;
    }

    // Runs one batch and keeps every value (each in its own storage), for run_from().
    Trace run_trace(const std::vector<Tensor>& inputs) {
        Plan& p = plan_for(input_shapes_of(graph_, inputs));
        check_inputs(inputs, p);
        Trace vals;
        arena_.execute([&] { vals = execute_trace(p, inputs); });
        return vals;
    }

    // The batch size of a trace made by run_trace().
    int64_t batch_of_trace(const Trace& trace) const {
        std::vector<Tensor> in;
        for (int i : graph_.inputs) in.push_back(trace.at(static_cast<size_t>(i)));
        return batch_of(in);
    }

    // A kernel for node n at the trace's batch size, from the graph's current constants (patch
    // them first to prepare a weight mutant's kernel) with `sites` as its kernel-level sites.
    // With `units`, the kernel computes only those output units, from weights sliced to them
    // (Conv without groups, Gemm, MatMul with constant weights; see sliceable()).
    NodeOverride prepare_node(int n, int64_t batch, const SiteConfig& sites, const std::vector<int64_t>& units = {}) {
        return prepare_node(n, input_shapes_for_batch(graph_, batch), sites, units);
    }
    // The same for the plan of these input shapes (input_shapes_of, input_shapes_of_trace).
    // `replaced`, when given, stands in for constants by value id (patched_constants(): a weight
    // mutant's edited weights, leaving the graph's shared weights untouched); the override keeps
    // them for the kernel to read when it runs.
    NodeOverride prepare_node(int n, const InputShapes& shapes, const SiteConfig& sites, const std::vector<int64_t>& units = {},
                              const std::map<int, Tensor>* replaced = nullptr) {
        Plan& p = plan_for(shapes);
        const Node& node = graph_.nodes.at(static_cast<size_t>(n));
        NodeOverride o;
        o.node = n;
        o.units = units;
        if (p.dynamic_node.at(static_cast<size_t>(n))) {
            if (!units.empty())
                throw Error("cannot compute only some units of this node", Graph::where(node),
                            "its shapes depend on run-time values (see sliceable())");
            o.per_run = true;
            o.sites = sites;
            for (size_t i = 0; i < node.inputs.size(); ++i)
                if (node.inputs[i] >= 0 && graph_.value(node.inputs[i]).is_constant())
                    o.inputs[i] = replacement(replaced, node.inputs[i]) ? *replacement(replaced, node.inputs[i]) : graph_.value(node.inputs[i]).constant.clone();
            return o;
        }
        PrepareContext pc = prepare_context(p, node);
        pc.sites = sites;
        for (size_t i = 0; i < node.inputs.size(); ++i)
            if (const Tensor* r = replacement(replaced, node.inputs[i])) {
                o.inputs[i] = *r;
                pc.consts[i] = &o.inputs[i];
            }
        // Kernels may read constant inputs at run time too (a Gemm's bias), so the sliced
        // constants travel with the override and replace the node's inputs when it runs.
        if (!units.empty()) slice_context(pc, node, units, o.inputs);
        const OpDef& def = Registry::instance().get(node.op, Graph::where(node));
        o.kernel = def.prepare(pc);
        return o;
    }

    // The site configuration node n runs with when nothing overrides it.
    const SiteConfig& sites_of(int n) const {
        auto ns = opt_.node_sites.find(graph_.nodes.at(static_cast<size_t>(n)).name);
        return ns != opt_.node_sites.end() ? ns->second : opt_.sites;
    }

    // Whether prepare_node() can compute only some output units of node n (its OpDef says; Conv
    // without groups, Gemm and MatMul with constant f32 weights).
    bool sliceable(int n) const {
        const Node& node = graph_.nodes.at(static_cast<size_t>(n));
        for (int o : node.outputs)
            if (graph_.value(o).data_dependent) return false;
        UnitAxes axes;
        return unit_axes(node, axes);
    }

    // Re-executes what depends on the overridden nodes, everything else read from the trace;
    // returns the graph outputs. Bitwise equal to a full run of the mutated graph.
    // With `full`, every node runs (the same result, the cost of a complete re-execution: the
    // baseline incremental execution is measured against).
    // The trace may come from another executor of the same graph (run_trace() of one executor,
    // mutants run from it by several, one per thread: CpuCampaignDevice). `observe`, when given,
    // sees every output of the nodes downstream of the overrides (with `full` too, only those).
    std::vector<Tensor> run_from(const Trace& trace, const std::vector<NodeOverride>& overrides, bool full = false,
                                 const ValueObserver* observe = nullptr) {
        if (trace.size() != graph_.values.size())
            throw Error("trace does not belong to this graph", "graph " + graph_.name,
                        std::to_string(trace.size()) + " values in the trace, " + std::to_string(graph_.values.size()) + " in the graph");
        Plan& p = plan_for(input_shapes_of_trace(graph_, trace));
        std::vector<Tensor> result;
        arena_.execute([&] { result = execute_from(p, trace, overrides, full, observe); });
        return result;
    }

    // The fusion groups run() uses at this batch size (see fuse_groups()): each is a Conv's node
    // index followed by those of the nodes fused into its epilogue.
    std::vector<std::vector<int>> fusion_groups(int64_t batch) {
        const Plan& p = plan_for(input_shapes_for_batch(graph_, batch));
        std::vector<std::vector<int>> groups;
        for (size_t n = 0; n < p.group_end.size(); ++n)
            if (p.group_end[n] > static_cast<int>(n)) {
                groups.emplace_back();
                for (int k = static_cast<int>(n); k <= p.group_end[n]; ++k) groups.back().push_back(k);
            }
        return groups;
    }

    // The batch size implied by the inputs (1 when no input has a symbolic dimension).
    int64_t batch_of(const std::vector<Tensor>& inputs) const { return batch_of_shapes(graph_, input_shapes_of(graph_, inputs)); }

private:
    struct Plan {
        int64_t batch = 0;
        std::vector<TypeInfo> types;
        // Integer values that depend on the input shapes alone (shape arithmetic), by value id:
        // constants for this plan's kernels.
        std::vector<Tensor> shape_values;
        std::vector<char> dynamic;               // value -> shape known per run only (data-dependent)
        std::vector<char> dynamic_node;          // node -> inferred, prepared and run per run
        std::vector<Kernel> kernels;
        std::vector<int> slot;                   // value -> pooled buffer, -1 for none
        std::vector<std::shared_ptr<Storage>> pool;
        std::vector<std::vector<int>> free_after; // node -> values whose buffers die after it
        std::map<std::pair<int, int64_t>, Kernel> narrow_kernels;  // (node, units) -> kernel for that many units
        // Fusion (run() only): node -> the last node of the group it heads (itself when none),
        // and the head's fused steps with the value each reads as `other` (-1: none).
        std::vector<int> group_end;
        std::map<int, std::vector<std::pair<SpanKernel, int>>> fused;
    };

    // Fusion groups (docs/architecture.md, "Fusion"): a Conv with a float32 output (an op with
    // OpDef::epilogue) and the nodes right after it in node order that each read the previous one's
    // output, its only reader, and can run as a step of its epilogue (OpDef::prepare_span), none of
    // them with data-dependent shapes, no intermediate a graph output, and no step with sites (the
    // Conv keeps its own: its kernel applies them before the steps). Only run()
    // fuses: run_trace() and run_from() need every intermediate value and run node by node, so
    // whatever a campaign stores, restarts from or overrides is computed unfused. Within a group
    // the buffers of the group's inputs are freed after its last node (plan_for), so the fused
    // output never aliases a value the Conv still reads.
    void fuse_groups(Plan& p) const {
        const size_t nn = graph_.nodes.size();
        p.group_end.resize(nn);
        for (size_t n = 0; n < nn; ++n) p.group_end[n] = static_cast<int>(n);
        const char* env = std::getenv("MUTINY_FUSION");  // "0": off for every executor (compare runs)
        if (!opt_.fuse || (env && std::string(env) == "0")) return;
        std::vector<int> readers(graph_.values.size(), 0);
        for (const Node& node : graph_.nodes)
            for (int in : node.inputs)
                if (in >= 0) ++readers[static_cast<size_t>(in)];
        const Registry& reg = Registry::instance();
        auto one_static_output = [&](size_t n) {
            const Node& node = graph_.nodes[n];
            return node.outputs.size() == 1 && !p.dynamic[static_cast<size_t>(node.outputs[0])];
        };
        // The head keeps its own sites (its kernel applies them before the steps); a step has none.
        auto plain = [&](size_t n) { return one_static_output(n) && sites_of(static_cast<int>(n)).is_default(); };
        for (size_t n = 0; n < nn; ++n) {
            const Node& head = graph_.nodes[n];
            const OpDef* hd = reg.find(head.op);
            if (!hd || !hd->epilogue || !one_static_output(n) || p.types[static_cast<size_t>(head.outputs[0])].dtype != DType::f32) continue;
            std::vector<std::pair<SpanKernel, int>> steps;
            int v = head.outputs[0];
            size_t k = n + 1;
            for (; k < nn; ++k) {
                const Node& node = graph_.nodes[k];
                if (readers[static_cast<size_t>(v)] != 1 || is_graph_output(graph_, v) || !plain(k)) break;
                const auto at = std::find(node.inputs.begin(), node.inputs.end(), v);
                const OpDef* d = reg.find(node.op);
                if (at == node.inputs.end() || !d || !d->prepare_span) break;
                if (p.types[static_cast<size_t>(node.outputs[0])].shape != p.types[static_cast<size_t>(v)].shape) break;
                PrepareContext pc = prepare_context(p, node);
                pc.sites = sites_of(static_cast<int>(k));
                SpanFusion f = d->prepare_span(pc, static_cast<size_t>(at - node.inputs.begin()));
                if (!f.f) break;
                steps.emplace_back(std::move(f.f), f.other_input < 0 ? -1 : node.inputs.at(static_cast<size_t>(f.other_input)));
                v = node.outputs[0];
            }
            if (steps.empty()) continue;
            p.group_end[n] = static_cast<int>(k - 1);
            p.fused[static_cast<int>(n)] = std::move(steps);
            n = k - 1;
        }
    }

    // Whether node n computes each unit of its output (along `axis` of its one input, of rank
    // `rank`) from the same unit of the input alone, by a chain of operations that does not depend
    // on the other units (OpDef::unit_local: elementwise activations, any axis; pooling, channels).
    // Such a node can run on a narrow value (some units) and give those units bitwise.
    static bool unit_local(const Node& node, size_t axis, size_t rank) {
        if (node.inputs.size() != 1 || node.outputs.size() != 1) return false;
        const OpDef* def = Registry::instance().find(node.op);
        if (!def) return false;
        if (def->unit_local == UnitLocality::elementwise) return true;
        return def->unit_local == UnitLocality::channels && axis == 1 && rank >= 3;
    }

    bool unit_axes(const Node& node, UnitAxes& axes) const {
        const OpDef* def = Registry::instance().find(node.op);
        return def && def->units && def->units(graph_, node, axes);
    }

    // Node n's kernel for an input narrowed to `units` units along `axis` (cached per plan).
    Kernel& narrow_kernel(Plan& p, int n, size_t axis, int64_t units) {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = p.narrow_kernels.find({n, units});
        if (it != p.narrow_kernels.end()) return it->second;
        const Node& node = graph_.nodes.at(static_cast<size_t>(n));
        PrepareContext pc = prepare_context(p, node);
        pc.sites = sites_of(n);
        for (TypeInfo* t : {&pc.in[0], &pc.out[0]}) {
            std::vector<int64_t> d(t->shape.dims().begin(), t->shape.dims().end());
            d[axis] = units;
            t->shape = Shape(d);
        }
        const OpDef& def = Registry::instance().get(node.op, Graph::where(node));
        return p.narrow_kernels.emplace(std::make_pair(n, units), def.prepare(pc)).first->second;
    }

    static const Tensor* replacement(const std::map<int, Tensor>* replaced, int v) {
        if (!replaced || v < 0) return nullptr;
        auto it = replaced->find(v);
        return it == replaced->end() ? nullptr : &it->second;
    }

    static bool is_graph_output(const Graph& g, int v) {
        return std::find(g.outputs.begin(), g.outputs.end(), v) != g.outputs.end();
    }

    // The plan for one set of input shapes (inference re-run for each new set).
    Plan& plan_for(const InputShapes& shapes) {
        std::lock_guard<std::mutex> lock(mu_);
        const std::vector<int64_t> key = input_shapes_key(shapes);
        auto it = plans_.find(key);
        if (it != plans_.end()) return *it->second;
        auto p = std::make_unique<Plan>();
        p->batch = batch_of_shapes(graph_, shapes);
        p->types = infer_types_given(graph_, input_types(graph_, shapes), std::vector<const Tensor*>(shapes.size(), nullptr), nullptr,
                                     &p->shape_values, &p->dynamic);
        p->shape_values.resize(graph_.values.size());
        const Registry& reg = Registry::instance();
        const size_t nv = graph_.values.size();
        // Last reader of each value; graph outputs live to the end and get their own storage.
        std::vector<int> last(nv, -1);
        for (size_t n = 0; n < graph_.nodes.size(); ++n)
            for (int in : graph_.nodes[n].inputs)
                if (in >= 0) last[static_cast<size_t>(in)] = static_cast<int>(n);
        p->slot.assign(nv, -1);
        p->free_after.assign(graph_.nodes.size(), {});
        std::vector<size_t> slot_size;
        std::vector<int> free_slots;
        p->dynamic_node.assign(graph_.nodes.size(), 0);
        fuse_groups(*p);
        int group_end = -1;  // the last node of the fusion group being planned
        for (size_t n = 0; n < graph_.nodes.size(); ++n) {
            const Node& node = graph_.nodes[n];
            const OpDef& def = reg.get(node.op, Graph::where(node));
            if (!def.prepare) throw Error("op has no CPU kernel", Graph::where(node), "it can only be folded at import");
            for (int o : node.outputs) p->dynamic_node[n] = p->dynamic_node[n] || p->dynamic[static_cast<size_t>(o)];
            if (p->dynamic_node[n]) {
                p->kernels.emplace_back();  // prepared per run (run_dynamic)
            } else {
                PrepareContext pc = prepare_context(*p, node);
                pc.sites = sites_of(static_cast<int>(n));
                p->kernels.push_back(def.prepare(pc));
            }
            // Outputs take the smallest free slot that fits (best fit), else a new slot; values
            // of data-dependent shape get their own storage each run.
            for (int o : node.outputs) {
                if (is_graph_output(graph_, o) || p->dynamic[static_cast<size_t>(o)]) continue;
                const TypeInfo& t = p->types[static_cast<size_t>(o)];
                const size_t bytes = static_cast<size_t>(t.shape.numel()) * dtype_size(t.dtype);
                int best = -1;
                for (size_t k = 0; k < free_slots.size(); ++k) {
                    const int s = free_slots[k];
                    if (slot_size[static_cast<size_t>(s)] >= bytes &&
                        (best < 0 || slot_size[static_cast<size_t>(s)] < slot_size[static_cast<size_t>(free_slots[static_cast<size_t>(best)])]))
                        best = static_cast<int>(k);
                }
                if (best < 0 && !free_slots.empty()) {  // grow the largest free slot instead of adding one
                    best = 0;
                    for (size_t k = 1; k < free_slots.size(); ++k)
                        if (slot_size[static_cast<size_t>(free_slots[k])] > slot_size[static_cast<size_t>(free_slots[static_cast<size_t>(best)])])
                            best = static_cast<int>(k);
                }
                int s;
                if (best >= 0) {
                    s = free_slots[static_cast<size_t>(best)];
                    free_slots.erase(free_slots.begin() + best);
                    slot_size[static_cast<size_t>(s)] = std::max(slot_size[static_cast<size_t>(s)], bytes);
                } else {
                    s = static_cast<int>(slot_size.size());
                    slot_size.push_back(bytes);
                }
                p->slot[static_cast<size_t>(o)] = s;
                if (last[static_cast<size_t>(o)] < 0) {  // never read: free right after
                    p->free_after[n].push_back(o);
                }
            }
            // Buffers whose last reader is this node return to the pool after it runs (within a
            // fusion group, after the group's last node).
            group_end = std::max(group_end, p->group_end[n]);
            const size_t fa = static_cast<size_t>(std::max(group_end, static_cast<int>(n)));
            for (int in : node.inputs)
                if (in >= 0 && last[static_cast<size_t>(in)] == static_cast<int>(n) && p->slot[static_cast<size_t>(in)] >= 0)
                    p->free_after[fa].push_back(in);
            if (fa != n) continue;
            std::sort(p->free_after[n].begin(), p->free_after[n].end());
            p->free_after[n].erase(std::unique(p->free_after[n].begin(), p->free_after[n].end()), p->free_after[n].end());
            for (int v : p->free_after[n]) free_slots.push_back(p->slot[static_cast<size_t>(v)]);
        }
        for (size_t b : slot_size) p->pool.push_back(std::make_shared<Storage>(b));
        Plan& ref = *p;
        plans_[key] = std::move(p);
        return ref;
    }

    PrepareContext prepare_context(const Plan& p, const Node& node) const {
        PrepareContext pc;
        pc.graph = &graph_;
        pc.node = &node;
        for (int in : node.inputs) {
            pc.in.push_back(in >= 0 ? p.types[static_cast<size_t>(in)] : TypeInfo{});
            const Tensor* c = nullptr;
            if (in >= 0 && graph_.value(in).is_constant()) c = &graph_.value(in).constant;
            else if (in >= 0 && !p.shape_values[static_cast<size_t>(in)].empty()) c = &p.shape_values[static_cast<size_t>(in)];
            pc.consts.push_back(c);
        }
        for (int o : node.outputs) pc.out.push_back(p.types[static_cast<size_t>(o)]);
        return pc;
    }

    // Output axis that holds the units of a sliceable node's output.
    size_t unit_axis(const Node& node) const {
        UnitAxes axes;
        unit_axes(node, axes);
        return axes.output_axis;
    }

    // Narrows a Conv/Gemm/MatMul PrepareContext to the given output units: weights (and bias)
    // sliced to them, the output type narrowed. `keep` owns the sliced constants.
    void slice_context(PrepareContext& pc, const Node& node, const std::vector<int64_t>& units, std::map<size_t, Tensor>& keep) const {
        UnitAxes axes;
        if (!unit_axes(node, axes)) throw Error("cannot compute only some units of this node", Graph::where(node), "only Conv (group 1), Gemm and MatMul with constant f32 weights");
        const Tensor& W = *pc.consts[1];
        const Shape& ws = W.shape();
        const int64_t U = static_cast<int64_t>(units.size());
        // Which axis of W holds the units, and the element stride pattern.
        const int64_t axis = static_cast<int64_t>(axes.weight_axis);
        const int64_t total = ws[static_cast<size_t>(axis)];
        for (int64_t u : units)
            if (u < 0 || u >= total) throw Error("unit " + std::to_string(u) + " out of range", Graph::where(node), "the node has " + std::to_string(total) + " units");
        std::vector<int64_t> dims(ws.dims().begin(), ws.dims().end());
        dims[static_cast<size_t>(axis)] = U;
        Tensor w(DType::f32, Shape(dims));
        const float* src = W.data<float>();
        float* dst = w.data<float>();
        const int64_t outer = axis == 0 ? 1 : ws[0];
        const int64_t inner = axis == 0 ? ws.numel() / ws[0] : 1;
        for (int64_t o = 0; o < outer; ++o)
            for (int64_t j = 0; j < U; ++j) {
                const int64_t u = units[static_cast<size_t>(j)];
                std::memcpy(dst + (o * U + j) * inner, src + (o * total + u) * inner, static_cast<size_t>(inner) * sizeof(float));
            }
        keep[1] = std::move(w);
        pc.consts[1] = &keep[1];
        pc.in[1].shape = keep[1].shape();
        if (pc.consts.size() > 2 && pc.consts[2] && pc.consts[2]->shape().rank() == 1 && pc.consts[2]->shape()[0] == total) {
            const Tensor& B = *pc.consts[2];
            Tensor b(B.dtype(), Shape({U}));
            for (int64_t j = 0; j < U; ++j)
                std::memcpy(static_cast<char*>(b.raw()) + j * static_cast<int64_t>(dtype_size(B.dtype())),
                            static_cast<const char*>(B.raw()) + units[static_cast<size_t>(j)] * static_cast<int64_t>(dtype_size(B.dtype())),
                            dtype_size(B.dtype()));
            keep[2] = std::move(b);
            pc.consts[2] = &keep[2];
            pc.in[2].shape = keep[2].shape();
        }
        std::vector<int64_t> od(pc.out[0].shape.dims().begin(), pc.out[0].shape.dims().end());
        od[axes.output_axis] = U;
        pc.out[0].shape = Shape(od);
    }

    void check_inputs(const std::vector<Tensor>& inputs, const Plan& p) const {
        for (size_t i = 0; i < inputs.size(); ++i) {
            const int id = graph_.inputs[i];
            const Value& v = graph_.value(id);
            const TypeInfo& want = p.types[static_cast<size_t>(id)];
            if (inputs[i].empty()) throw Error("input '" + v.name + "' is empty", "graph " + graph_.name, "no tensor given");
            if (inputs[i].dtype() != want.dtype)
                throw Error("wrong input dtype", "input '" + v.name + "'",
                            std::string("got ") + dtype_name(inputs[i].dtype()) + ", the model expects " + dtype_name(want.dtype));
            if (inputs[i].shape() != want.shape)
                throw Error("wrong input shape", "input '" + v.name + "'",
                            "got " + inputs[i].shape().str() + ", the model expects " + v.shape.str() +
                                (v.shape.is_concrete() ? "" : " (N: any size)"));
        }
    }

    // `times`: per node wall times, read only when asked (no clock in the loop otherwise).
    std::vector<Tensor> execute(Plan& p, const std::vector<Tensor>& inputs, NodeTimes* times) {
        using clock = std::chrono::steady_clock;
        clock::time_point t0;
        const size_t nv = graph_.values.size();
        std::vector<Tensor> vals(nv);
        for (size_t v = 0; v < nv; ++v)
            if (graph_.values[v].is_constant()) vals[v] = graph_.values[v].constant;
        for (size_t i = 0; i < inputs.size(); ++i) vals[static_cast<size_t>(graph_.inputs[i])] = inputs[i];
        for (size_t n = 0; n < graph_.nodes.size(); ++n) {
            const Node& node = graph_.nodes[n];
            if (times) t0 = clock::now();
            if (p.dynamic_node[n]) {
                run_dynamic(n, vals, sites_of(static_cast<int>(n)));
                if (times) times->seconds[n] = std::chrono::duration<double>(clock::now() - t0).count();
                if (times) times->where[n] = NodeTimes::Where::cpu;
                for (int v : p.free_after[n]) vals[static_cast<size_t>(v)] = Tensor();
                continue;
            }
            ExecContext ec;
            ec.node = &node;
            for (int in : node.inputs) ec.in.push_back(in >= 0 ? &vals[static_cast<size_t>(in)] : nullptr);
            // A fusion group's head writes the group's last output, its steps applied as it goes.
            const size_t end = static_cast<size_t>(p.group_end[n]);
            Epilogue ep;
            const std::vector<int>& outs = end == n ? node.outputs : graph_.nodes[end].outputs;
            if (end != n) {
                const Shape& ys = p.types[static_cast<size_t>(outs[0])].shape;
                ep.channels = ys[1];
                ep.plane = ys.product(2, ys.rank());
                for (const auto& st : p.fused.at(static_cast<int>(n)))
                    ep.steps.push_back({st.first, st.second < 0 ? nullptr : vals[static_cast<size_t>(st.second)].data<float>()});
                ec.epilogue = &ep;
            }
            for (int o : outs) {
                const TypeInfo& t = p.types[static_cast<size_t>(o)];
                const int s = p.slot[static_cast<size_t>(o)];
                vals[static_cast<size_t>(o)] = s >= 0 ? Tensor(t.dtype, t.shape, p.pool[static_cast<size_t>(s)]) : Tensor(t.dtype, t.shape);
            }
            for (int o : outs) ec.out.push_back(&vals[static_cast<size_t>(o)]);
            try {
                p.kernels[n](ec);
            } catch (const Error& e) {
                throw Error(e.what_part(), Graph::where(node), e.why_part());
            }
            if (times) {
                times->seconds[n] = std::chrono::duration<double>(clock::now() - t0).count();
                times->where[n] = NodeTimes::Where::cpu;
                for (size_t k = n + 1; k <= end; ++k) times->where[k] = NodeTimes::Where::fused;
            }
            for (size_t k = n; k <= end; ++k)
                for (int v : p.free_after[k]) vals[static_cast<size_t>(v)] = Tensor();
            n = end;
        }
        std::vector<Tensor> out;
        for (int o : graph_.outputs) out.push_back(vals[static_cast<size_t>(o)]);
        return out;
    }

    // Like execute(), but every value keeps its own storage and all of them are returned.
    Trace execute_trace(Plan& p, const std::vector<Tensor>& inputs) {
        Trace vals(graph_.values.size());
        for (size_t v = 0; v < vals.size(); ++v)
            if (graph_.values[v].is_constant()) vals[v] = graph_.values[v].constant;
        for (size_t i = 0; i < inputs.size(); ++i) vals[static_cast<size_t>(graph_.inputs[i])] = inputs[i];
        for (size_t n = 0; n < graph_.nodes.size(); ++n) {
            const Node& node = graph_.nodes[n];
            if (p.dynamic_node[n]) {
                run_dynamic(n, vals, sites_of(static_cast<int>(n)));
                continue;
            }
            for (int o : node.outputs) {
                const TypeInfo& t = p.types[static_cast<size_t>(o)];
                vals[static_cast<size_t>(o)] = Tensor(t.dtype, t.shape);
            }
            run_node(node, p.kernels[n], vals);
        }
        return vals;
    }

    // Runs node n of data-dependent shapes: its output types inferred from its inputs' values, its
    // kernel prepared for them with `sites`, its outputs in storage of their own. `consts`, when
    // given, replace inputs by position (an override's snapshot of the node's weights).
    void run_dynamic(size_t n, std::vector<Tensor>& vals, const SiteConfig& sites, const std::map<size_t, Tensor>* consts = nullptr) const {
        const Node& node = graph_.nodes[n];
        std::vector<TypeInfo> in;
        std::vector<const Tensor*> cin;
        for (size_t i = 0; i < node.inputs.size(); ++i) {
            const int v = node.inputs[i];
            const Tensor* t = v >= 0 ? &vals[static_cast<size_t>(v)] : nullptr;
            if (consts) {
                auto it = consts->find(i);
                if (it != consts->end()) t = &it->second;
            }
            in.push_back(t ? TypeInfo{t->dtype(), t->shape()} : TypeInfo{});
            cin.push_back(t);
        }
        const OpDef& def = Registry::instance().get(node.op, Graph::where(node));
        std::vector<Tensor> outs;
        try {
            outs = evaluate_known(graph_, node, def, in, cin, sites);
        } catch (const Error& e) {
            throw Error(e.what_part(), Graph::where(node), e.why_part());
        }
        for (size_t o = 0; o < node.outputs.size(); ++o) vals[static_cast<size_t>(node.outputs[o])] = std::move(outs[o]);
    }

    // `inputs`, when given, replace inputs by position (an override's own constants).
    void run_node(const Node& node, Kernel& kernel, std::vector<Tensor>& vals, const std::map<size_t, Tensor>* inputs = nullptr) const {
        ExecContext ec;
        ec.node = &node;
        for (size_t i = 0; i < node.inputs.size(); ++i) {
            const int in = node.inputs[i];
            const auto r = inputs ? inputs->find(i) : std::map<size_t, Tensor>::const_iterator{};
            ec.in.push_back(inputs && r != inputs->end() ? &r->second : in >= 0 ? &vals[static_cast<size_t>(in)] : nullptr);
        }
        for (int o : node.outputs) ec.out.push_back(&vals[static_cast<size_t>(o)]);
        try {
            kernel(ec);
        } catch (const Error& e) {
            throw Error(e.what_part(), Graph::where(node), e.why_part());
        }
    }

    std::vector<Tensor> execute_from(Plan& p, const Trace& trace, const std::vector<NodeOverride>& overrides, bool full,
                                     const ValueObserver* observe) {
        const size_t nv = graph_.values.size(), nn = graph_.nodes.size();
        std::vector<const NodeOverride*> ov(nn, nullptr);
        size_t first = nn;
        for (const NodeOverride& o : overrides) {
            if (o.node < 0 || static_cast<size_t>(o.node) >= nn) throw Error("override of a node that does not exist", "graph " + graph_.name, "node index " + std::to_string(o.node));
            ov[static_cast<size_t>(o.node)] = &o;
            first = std::min(first, static_cast<size_t>(o.node));
        }
        if (full) first = 0;
        std::vector<uint8_t> dirty(nv, 0);
        std::vector<Tensor> vals(trace.begin(), trace.end());  // shares the trace's storage; dirty values get their own
        // Narrow dirty values: only `units` (along `axis`) differ from the trace; `narrow` holds them.
        std::vector<Tensor> narrow(nv);
        std::vector<const std::vector<int64_t>*> nunits(nv, nullptr);
        std::vector<size_t> naxis(nv, 0);
        // Dirty values take the plan's pooled buffers: they are never aliased by the trace, and
        // two dirty values share a buffer only where their lifetimes cannot overlap.
        auto fresh = [&](int v, const Shape& shape) {
            const TypeInfo& t = p.types[static_cast<size_t>(v)];
            const int s = p.slot[static_cast<size_t>(v)];
            return s >= 0 && shape == t.shape ? Tensor(t.dtype, shape, p.pool[static_cast<size_t>(s)]) : Tensor(t.dtype, shape);
        };
        // The full value of a narrow one: the trace's, with its units replaced.
        auto full_of = [&](int v, Tensor y) {
            const size_t vi = static_cast<size_t>(v);
            const Shape& fshape = p.types[vi].shape;
            const size_t ax = naxis[vi];
            const std::vector<int64_t>& units = *nunits[vi];
            std::memcpy(y.raw(), trace[vi].raw(), y.nbytes());
            int64_t outer = 1, inner = 1;
            for (size_t d = 0; d < ax; ++d) outer *= fshape[d];
            for (size_t d = ax + 1; d < fshape.rank(); ++d) inner *= fshape[d];
            const int64_t total = fshape[ax], U = static_cast<int64_t>(units.size());
            const float* src = narrow[vi].data<float>();
            float* dst = y.data<float>();
            for (int64_t a = 0; a < outer; ++a)
                for (int64_t j = 0; j < U; ++j)
                    std::memcpy(dst + (a * total + units[static_cast<size_t>(j)]) * inner, src + (a * U + j) * inner, static_cast<size_t>(inner) * sizeof(float));
            return y;
        };
        auto materialize = [&](int v) {
            const size_t vi = static_cast<size_t>(v);
            if (!nunits[vi]) return;
            vals[vi] = full_of(v, fresh(v, p.types[vi].shape));
            narrow[vi] = Tensor();
            nunits[vi] = nullptr;
        };
        auto narrowed = [&](const Shape& full_shape, size_t ax, int64_t U) {
            std::vector<int64_t> d(full_shape.dims().begin(), full_shape.dims().end());
            d[ax] = U;
            return Shape(d);
        };
        // Downstream of the overrides (what `dirty` is without `full`): what the observer sees.
        std::vector<uint8_t> reach(observe ? nv : 0, 0);
        auto observed = [&](size_t n) {
            if (!observe) return;
            for (int v : graph_.nodes[n].outputs) {
                const size_t vi = static_cast<size_t>(v);
                if (!reach[vi]) continue;
                if (nunits[vi]) {
                    const Tensor whole = full_of(v, Tensor(p.types[vi].dtype, p.types[vi].shape));
                    (*observe)(static_cast<int>(n), v, whole);
                } else {
                    (*observe)(static_cast<int>(n), v, vals[vi]);
                }
            }
        };
        for (size_t n = first; n < nn; ++n) {
            const Node& node = graph_.nodes[n];
            bool run = full || ov[n] != nullptr;
            for (int in : node.inputs) run = run || (in >= 0 && dirty[static_cast<size_t>(in)]);
            if (!run) continue;
            for (int o : node.outputs) dirty[static_cast<size_t>(o)] = 1;
            if (observe) {
                bool r = ov[n] != nullptr;
                for (int in : node.inputs) r = r || (in >= 0 && reach[static_cast<size_t>(in)]);
                for (int o : node.outputs) reach[static_cast<size_t>(o)] = r;
            }
            const NodeOverride* o = ov[n];
            if (p.dynamic_node[n]) {
                for (int in : node.inputs)
                    if (in >= 0) materialize(in);
                if (o && !o->per_run) throw Error("override prepared for another plan", Graph::where(node), "its shapes depend on run-time values");
                run_dynamic(n, vals, o ? o->sites : sites_of(static_cast<int>(n)), o ? &o->inputs : nullptr);
                observed(n);
                continue;
            }
            if (o && !o->units.empty()) {
                // Compute the chosen units only: a narrow value.
                const int out = node.outputs[0];
                const size_t oi = static_cast<size_t>(out);
                for (int in : node.inputs)
                    if (in >= 0) materialize(in);
                const Shape& fshape = p.types[oi].shape;
                const size_t ax = unit_axis(node);
                std::vector<Tensor> tmp(vals);
                tmp[oi] = Tensor(DType::f32, narrowed(fshape, ax, static_cast<int64_t>(o->units.size())));
                run_node(node, const_cast<Kernel&>(o->kernel), tmp, &o->inputs);
                narrow[oi] = std::move(tmp[oi]);
                nunits[oi] = &o->units;
                naxis[oi] = ax;
                if (full) materialize(out);
                observed(n);
                continue;
            }
            const int in0 = node.inputs.empty() ? -1 : node.inputs[0];
            if (!o && !full && in0 >= 0 && nunits[static_cast<size_t>(in0)] &&
                unit_local(node, naxis[static_cast<size_t>(in0)], p.types[static_cast<size_t>(in0)].shape.rank())) {
                // The same units of the output, from the narrow input alone.
                const size_t ii = static_cast<size_t>(in0), oi = static_cast<size_t>(node.outputs[0]);
                const int64_t U = static_cast<int64_t>(nunits[ii]->size());
                Kernel& k = narrow_kernel(p, static_cast<int>(n), naxis[ii], U);
                Tensor y(p.types[oi].dtype, narrowed(p.types[oi].shape, naxis[ii], U));
                ExecContext ec;
                ec.node = &node;
                ec.in.push_back(&narrow[ii]);
                ec.out.push_back(&y);
                try {
                    k(ec);
                } catch (const Error& e) {
                    throw Error(e.what_part(), Graph::where(node), e.why_part());
                }
                narrow[oi] = std::move(y);
                nunits[oi] = nunits[ii];
                naxis[oi] = naxis[ii];
                observed(n);
                continue;
            }
            for (int in : node.inputs)
                if (in >= 0) materialize(in);
            for (int v : node.outputs) vals[static_cast<size_t>(v)] = fresh(v, p.types[static_cast<size_t>(v)].shape);
            run_node(node, o ? const_cast<Kernel&>(o->kernel) : p.kernels[n], vals, o ? &o->inputs : nullptr);
            observed(n);
        }
        std::vector<Tensor> out;
        for (int o : graph_.outputs) {
            materialize(o);
            out.push_back(dirty[static_cast<size_t>(o)] ? vals[static_cast<size_t>(o)] : trace[static_cast<size_t>(o)]);
        }
        return out;
    }

    Graph graph_;
    CpuOptions opt_;
    tbb::task_arena arena_;
    std::mutex mu_;
    std::map<std::vector<int64_t>, std::unique_ptr<Plan>> plans_;  // by input_shapes_key()
};

}  // namespace mutiny

#endif  // MUTINY_EXEC_CPU_EXECUTOR_HPP_
