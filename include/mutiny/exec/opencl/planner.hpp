// Planning a graph for one OpenCL device: the per-batch-size Plan (a device buffer per value, the
// kernels, one step per node) and NodePlanner, the interface an op's OpenCL planning function
// (OpDef::plan_opencl, in the op's own file) uses to turn one node into a step: kernels from
// kernels/<family>.cl built with the node's dtype and kernel-site options, arguments set once at
// plan time, launches and copies enqueued when the step runs.
// Ops without an OpenCL kernel (or a dtype their kernel lacks) run their CPU kernel on the host
// (plan_cpu_fallback): inputs read back, outputs written to the device. Nodes of data-dependent
// shapes run on the host per run and keep their outputs there (plan_host_per_run).
#ifndef MUTINY_EXEC_OPENCL_PLANNER_HPP_
#define MUTINY_EXEC_OPENCL_PLANNER_HPP_

#if MUTINY_WITH_OPENCL

#include <array>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "../../core/half.hpp"
#include "../../graph/graph.hpp"
#include "../../ops/infer.hpp"
#include "../../ops/op.hpp"
#include "buffers.hpp"
#include "device.hpp"

namespace mutiny {

struct OpenClOptions {
    std::string device;                            // "" (MUTINY_OPENCL_DEVICE, else device 0), an index or a name substring
    SiteConfig sites;                              // applied to every node (kernel-level mutant)
    std::map<std::string, SiteConfig> node_sites;  // or to named nodes only
    std::string binary_cache_dir;                  // on-disk program binaries ("" = in-process cache only)
    bool cpu_fallback = true;                      // ops without an OpenCL kernel run their CPU kernel
    std::string build_options;                     // appended to every build (vendor switches, -DMUTINY_USE_FMA=1)
    // float32 tensors computed in half precision (a mode, not the default; the device needs
    // cl_khr_fp16, else the executor refuses to start): kernels are built with -DMUTINY_HALF=1.
    bool fp16_compute = false;
    // Per-node timing (exec/node_times.hpp): the queue is made with CL_QUEUE_PROFILING_ENABLE, so
    // run() can time nodes when asked. Off (the default), the queue has no profiling.
    bool timing = false;
};

namespace opencl {

// MUTINY_DTYPE of a storage type, -1 when the kernels do not handle it.
inline int kernel_dtype(DType t) {
    switch (t) {
        case DType::f32: return 0;
        case DType::f16: return 1;
        case DType::f64: return 2;
        default: return -1;
    }
}

// The -D options of a site configuration (empty for the unmutated code).
inline std::string site_options(const SiteConfig& s, DType t) {
    if (s.is_default()) return "";
    std::string o;
    o += " -DMUTINY_CMP=" + std::to_string(static_cast<int>(s.cmp));
    o += " -DMUTINY_SHIFT=" + std::to_string(static_cast<int>(s.shift));
    char buf[64];
    // The threshold as a literal of the compute type, rounded as the CPU's static_cast<C> rounds it.
    if (t == DType::f64) std::snprintf(buf, sizeof buf, "(%.17e)", s.threshold);
    else std::snprintf(buf, sizeof buf, "(%.9ef)", static_cast<double>(static_cast<float>(s.threshold)));
    o += " -DMUTINY_THRESHOLD=" + std::string(buf);
    o += " -DMUTINY_STORE=" + std::to_string(static_cast<int>(s.store));
    o += " -DMUTINY_DROP_LAST=" + std::string(s.reduction_drop_last ? "1" : "0");
    o += " -DMUTINY_ROUND=" + std::to_string(static_cast<int>(s.round));
    return o;
}

// The options every program of dtype t starts with on a device (before sites and vendor switches).
inline std::string base_build_options(const DeviceInfo& info, DType t) {
    std::string opts = "-cl-std=CL1.2 -DMUTINY_DTYPE=" + std::to_string(kernel_dtype(t)) + site_enum_options();
    if (info.fp64) opts += " -DMUTINY_FP64=1";
    if (info.correctly_rounded_divide_sqrt) opts += " -cl-fp32-correctly-rounded-divide-sqrt";
    return opts;
}

using Step = std::function<void()>;

// Everything one batch size needs on the device.
struct Plan {
    struct NodeStep {
        bool fallback = false;  // runs the CPU kernel
        std::string why;        // why it does (no kernel, a dtype the kernel lacks, ...)
        Step run;
    };
    int64_t batch = 0;
    std::vector<TypeInfo> types;
    // Integer values that depend on the input shapes alone (shape arithmetic), by value id: their
    // buffers are written once when the plan is made, and kernels planned after them see them as
    // constants.
    std::vector<Tensor> shape_values;
    // Data-dependent values (Value::data_dependent; by value id): no device buffer. The host steps of
    // the nodes that compute them (plan_host_per_run) keep them in `host`, each run; a suffix
    // executor reads those computed before its first node from its base's (`host_borrowed`).
    std::vector<char> dynamic;
    std::vector<Tensor> host;
    std::vector<char> host_borrowed;
    const std::vector<Tensor>* base_host = nullptr;
    const Tensor& host_value(size_t v) const { return host_borrowed[v] ? (*base_host)[v] : host[v]; }
    std::vector<cl_mem> mem;             // per value (not owned; constants point into the ConstantBuffers)
    std::vector<Mem> owned;              // value buffers and kernel metadata
    std::vector<Kern> kernels;
    std::vector<NodeStep> steps;         // per node
    // Per-node timing (OpenClExecutor::run with NodeTimes, on a queue made with profiling): while
    // `profiling` is set, every command a step enqueues takes its event from profile_event() and the
    // executor sums the events' device times per node. Off, profile_event() is nullptr and no event
    // is made at all.
    bool profiling = false;
    std::vector<cl_event> events;
    cl_event* profile_event() {
        if (!profiling) return nullptr;
        events.push_back(nullptr);
        return &events.back();
    }
};

// What an executor shares with the planning of its nodes.
struct PlanEnv {
    const Graph* graph = nullptr;
    DeviceContext* ctx = nullptr;
    cl_command_queue queue = nullptr;
    const OpenClOptions* opt = nullptr;
    ConstantBuffers* consts = nullptr;
    std::map<std::string, std::string>* sources = nullptr;  // family -> program source
};

class NodePlanner {
public:
    NodePlanner(PlanEnv& env, Plan& p, const Node& node) : env_(env), p_(p), node_(node) {}

    const Node& node() const { return node_; }
    const Graph& graph() const { return *env_.graph; }
    const Attributes& attrs() const { return node_.attrs; }
    std::string where() const { return Graph::where(node_); }
    std::string where_dev() const { return env_.ctx->info().label(); }
    const DeviceInfo& device() const { return env_.ctx->info(); }
    const OpenClOptions& options() const { return *env_.opt; }
    cl_command_queue queue() const { return env_.queue; }

    bool has_input(size_t i) const { return node_.input(i) >= 0; }
    const TypeInfo& in_type(size_t i) const { return p_.types[static_cast<size_t>(node_.input(i))]; }
    const TypeInfo& out_type(size_t i = 0) const { return p_.types[static_cast<size_t>(node_.outputs.at(i))]; }
    // The constant value of input i, or nullptr when it is computed at run time.
    const Tensor* constant(size_t i) const {
        const int v = node_.input(i);
        if (v < 0) return nullptr;
        if (graph().value(v).is_constant()) return &graph().value(v).constant;
        const Tensor& sv = p_.shape_values[static_cast<size_t>(v)];
        return sv.empty() ? nullptr : &sv;
    }
    cl_mem in(size_t i) {
        const int v = node_.input(i);
        if (v < 0) throw Error("missing input " + std::to_string(i), where(), "the kernel needs it");
        if (graph().value(v).is_constant()) return env_.consts->get(*env_.ctx, graph(), v);
        return p_.mem[static_cast<size_t>(v)];
    }
    cl_mem out(size_t i = 0) { return p_.mem[static_cast<size_t>(node_.outputs.at(i))]; }

    // Whether the float kernels handle dtype t on this device.
    bool is_kernel_float(DType t) const { return t == DType::f32 || t == DType::f16 || (t == DType::f64 && device().fp64); }
    // The compute ops' precondition: the output and every input share one float type the kernels
    // handle. False: the node falls back to its CPU kernel.
    bool float_kernel() const {
        if (node_.outputs.empty()) return false;
        const DType t = out_type().dtype;
        if (!is_kernel_float(t)) return false;
        for (size_t i = 0; i < node_.inputs.size(); ++i)
            if (node_.inputs[i] >= 0 && in_type(i).dtype != t) return false;
        return true;
    }

    // A kernel of an op family (kernels/<family>.cl) for a dtype and the node's sites; the program
    // comes from the device's cache. `params`: the kernel's own -D options (tile sizes).
    cl_kernel kernel(const std::string& family, const std::string& name, DType t, const std::string& params = "") {
        std::string opts = base_build_options(device(), t) + params;
        opts += site_options(sites(), t);
        if (!env_.opt->build_options.empty()) opts += " " + env_.opt->build_options;
        auto src = env_.sources->find(family);
        if (src == env_.sources->end()) src = env_.sources->emplace(family, program_source(family)).first;
        cl_program prog = env_.ctx->program(src->second, opts, env_.opt->binary_cache_dir);
        cl_int e = CL_SUCCESS;
        cl_kernel k = clCreateKernel(prog, name.c_str(), &e);
        check(e, "clCreateKernel '" + name + "'", where());
        p_.kernels.emplace_back(k);
        return k;
    }
    const SiteConfig& sites() const {
        auto ns = env_.opt->node_sites.find(node_.name);
        return ns != env_.opt->node_sites.end() ? ns->second : env_.opt->sites;
    }

    // Declines the node (its CPU kernel runs on the host) for a reason `mutiny inspect --device` shows.
    bool decline(const std::string& why) {
        p_.steps[index()].why = why;
        return false;
    }
    // A kernel of a data-movement family by element size: base + "_u8", "_u16", "_u32" or "_u64".
    static std::string sized(const std::string& base, size_t element_size) {
        return base + (element_size == 1 ? "_u8" : element_size == 2 ? "_u16" : element_size == 4 ? "_u32" : "_u64");
    }

    template <class V>
    void arg(cl_kernel k, cl_uint i, const V& v) {
        check(clSetKernelArg(k, i, sizeof(V), &v), "clSetKernelArg " + std::to_string(i), where());
    }
    // An element's bytes (the low `size` bytes of bits) as an argument of that size (uchar .. ulong).
    void arg_bits(cl_kernel k, cl_uint i, uint64_t bits, size_t size) {
        unsigned char b[8] = {};
        std::memcpy(b, &bits, size);  // little-endian host: the low bytes are the element
        check(clSetKernelArg(k, i, size, b), "clSetKernelArg " + std::to_string(i), where());
    }
    // A scalar of the compute type (double for f64 tensors, float otherwise).
    void arg_c(cl_kernel k, cl_uint i, double v, DType t) {
        if (t == DType::f64) arg(k, i, v);
        else arg(k, i, static_cast<float>(v));
    }
    // A scalar of ACC (double where the device has fp64).
    void arg_acc(cl_kernel k, cl_uint i, double v, DType t) {
        if (device().fp64 || t == DType::f64) arg(k, i, v);
        else arg(k, i, static_cast<float>(v));
    }
    // A read-only table for a kernel (shapes, strides, per-channel parameters), owned by the plan.
    template <class V>
    cl_mem meta(const std::vector<V>& v) {
        return create_buffer(*env_.ctx, p_.owned, v.size() * sizeof(V), v.empty() ? nullptr : v.data(), "kernel metadata");
    }

    // The plan whose profile_event() every command a step enqueues passes as its event (an op
    // that enqueues commands itself, as Concat does, passes it too).
    Plan* events() const { return &p_; }

    Step launch(cl_kernel k, size_t g0, size_t g1 = 1, size_t g2 = 1) const {
        const std::string where = where_dev();
        cl_command_queue q = env_.queue;
        DeviceContext* ctx = env_.ctx;
        Plan* pp = events();
        return [q, k, g0, g1, g2, where, ctx, pp] {
            if (g0 == 0 || g1 == 0 || g2 == 0) return;
            const size_t g[3] = {g0, g1, g2};
            const cl_uint dims = g2 > 1 ? 3 : g1 > 1 ? 2 : 1;
            check(clEnqueueNDRangeKernel(q, k, dims, nullptr, g, nullptr, 0, nullptr, pp->profile_event()), "clEnqueueNDRangeKernel", where);
            ctx->count_launch();
        };
    }
    // A launch with a work-group shape (kernels that tile through local memory): global sizes are
    // multiples of the local ones.
    Step launch_local(cl_kernel k, const std::array<size_t, 3>& global, const std::array<size_t, 3>& local) const {
        const std::string where = where_dev();
        cl_command_queue q = env_.queue;
        Plan* pp = events();
        return [q, k, global, local, where, pp] {
            if (global[0] == 0 || global[1] == 0 || global[2] == 0) return;
            check(clEnqueueNDRangeKernel(q, k, 3, nullptr, global.data(), local.data(), 0, nullptr, pp->profile_event()), "clEnqueueNDRangeKernel", where);
        };
    }
    Step copy(cl_mem src, cl_mem dst, size_t bytes) const {
        const std::string where = where_dev();
        cl_command_queue q = env_.queue;
        DeviceContext* ctx = env_.ctx;
        Plan* pp = events();
        return [q, src, dst, bytes, where, ctx, pp] {
            if (bytes == 0 || src == dst) return;
            check(clEnqueueCopyBuffer(q, src, dst, 0, 0, bytes, 0, nullptr, pp->profile_event()), "clEnqueueCopyBuffer", where);
            ctx->count_copy(bytes);
        };
    }
    // Fills `bytes` of dst with copies of one element's bytes (a constant output, such as a mask).
    Step fill(cl_mem dst, std::vector<unsigned char> pattern, size_t bytes) const {
        const std::string where = where_dev();
        cl_command_queue q = env_.queue;
        Plan* pp = events();
        return [q, dst, pattern, bytes, where, pp] {
            if (bytes == 0) return;
            check(clEnqueueFillBuffer(q, dst, pattern.data(), pattern.size(), 0, bytes, 0, nullptr, pp->profile_event()), "clEnqueueFillBuffer", where);
        };
    }
    // The node's step (what runs when the plan reaches it).
    void run(Step s) { p_.steps[index()].run = std::move(s); }
    void run_all(std::vector<Step> parts) {
        run([parts] {
            for (const auto& f : parts) f();
        });
    }

    static std::vector<int> to_int(const std::vector<int64_t>& v) {
        std::vector<int> r;
        for (auto x : v) r.push_back(static_cast<int>(x));
        return r;
    }
    // {rank, dims, sa, sb} for y = f(a, b) broadcast to `out` ({0} when no broadcasting is needed).
    static std::vector<int> broadcast_meta(const Shape& a, const Shape& b, const Shape& out) {
        if (a == out && b == out) return {0};
        std::vector<int> m{static_cast<int>(out.rank())};
        for (auto d : out) m.push_back(static_cast<int>(d));
        for (auto s : broadcast_strides(a, out)) m.push_back(static_cast<int>(s));
        for (auto s : broadcast_strides(b, out)) m.push_back(static_cast<int>(s));
        return m;
    }

private:
    size_t index() const { return static_cast<size_t>(&node_ - graph().nodes.data()); }

    PlanEnv& env_;
    Plan& p_;
    const Node& node_;
};

// The node's dtypes as "int8, float32 -> uint8" (inputs, then outputs), for a reason to fall back.
inline std::string node_dtypes(const Plan& p, const Node& node) {
    std::string s;
    for (size_t i = 0; i < node.inputs.size(); ++i)
        if (node.inputs[i] >= 0) s += (s.empty() ? "" : ", ") + std::string(dtype_name(p.types[static_cast<size_t>(node.inputs[i])].dtype));
    s += " ->";
    for (size_t i = 0; i < node.outputs.size(); ++i)
        if (node.outputs[i] >= 0) s += std::string(i ? ", " : " ") + dtype_name(p.types[static_cast<size_t>(node.outputs[i])].dtype);
    return s;
}

// Node `node`'s CPU kernel as its step: inputs read from the device, outputs written back.
inline void plan_cpu_fallback(PlanEnv& env, Plan& p, const Node& node, const SiteConfig& sites) {
    const Graph& g = *env.graph;
    const OpDef& def = Registry::instance().get(node.op, Graph::where(node));
    if (!def.prepare) throw Error("op has no kernel", Graph::where(node), "it can only be folded at import");
    PrepareContext pc;
    pc.graph = &g;
    pc.node = &node;
    for (int in : node.inputs) {
        pc.in.push_back(in >= 0 ? p.types[static_cast<size_t>(in)] : TypeInfo{});
        pc.consts.push_back(in >= 0 && g.value(in).is_constant() ? &g.value(in).constant : nullptr);
    }
    for (int o : node.outputs) pc.out.push_back(p.types[static_cast<size_t>(o)]);
    pc.sites = sites;
    Kernel k = def.prepare(pc);
    Plan* pp = &p;
    const Node* np = &node;
    const Graph* gp = &g;
    cl_command_queue q = env.queue;
    DeviceContext* ctx = env.ctx;
    Plan::NodeStep& st = p.steps[static_cast<size_t>(&node - g.nodes.data())];
    st.fallback = true;
    st.run = [gp, pp, np, k, q, ctx] {
        std::vector<Tensor> ins(np->inputs.size());
        ExecContext ec;
        ec.node = np;
        for (size_t i = 0; i < np->inputs.size(); ++i) {
            const int v = np->inputs[i];
            if (v < 0) {
                ec.in.push_back(nullptr);
                continue;
            }
            ins[i] = gp->value(v).is_constant() ? gp->value(v).constant
                                                : read_buffer(*ctx, q, pp->mem[static_cast<size_t>(v)], pp->types[static_cast<size_t>(v)], gp->value(v).name);
            ec.in.push_back(&ins[i]);
        }
        std::vector<Tensor> outs;
        for (int o : np->outputs) outs.emplace_back(pp->types[static_cast<size_t>(o)].dtype, pp->types[static_cast<size_t>(o)].shape);
        for (auto& t : outs) ec.out.push_back(&t);
        k(ec);
        for (size_t i = 0; i < outs.size(); ++i)
            write_buffer(*ctx, q, pp->mem[static_cast<size_t>(np->outputs[i])], outs[i], gp->value(np->outputs[i]).name);
    };
}

// The reason `mutiny inspect --device opencl` gives for a node of data-dependent shapes.
inline constexpr const char* kDataDependentReason = "shape depends on data";

// Node `node` of data-dependent shapes (an output in Plan::dynamic) as its step: each run, its
// inputs are read back (a data-dependent one is already on the host), its output shapes inferred
// from their values, and its CPU kernel prepared with `sites` and run (evaluate_known, as the CPU
// executor's run_dynamic does); its outputs stay on the host (Plan::host), where the nodes after it,
// data-dependent too, read them. Nothing of it has a device buffer.
inline void plan_host_per_run(PlanEnv& env, Plan& p, const Node& node, const SiteConfig& sites) {
    const Graph* gp = env.graph;
    const OpDef* def = &Registry::instance().get(node.op, Graph::where(node));
    if (!def->prepare) throw Error("op has no kernel", Graph::where(node), "it can only be folded at import");
    Plan* pp = &p;
    const Node* np = &node;
    cl_command_queue q = env.queue;
    DeviceContext* ctx = env.ctx;
    Plan::NodeStep& st = p.steps[static_cast<size_t>(&node - gp->nodes.data())];
    st.fallback = true;
    st.why = kDataDependentReason;
    st.run = [gp, pp, np, def, sites, q, ctx] {
        std::vector<Tensor> ins(np->inputs.size());
        std::vector<TypeInfo> types(np->inputs.size());
        std::vector<const Tensor*> values(np->inputs.size(), nullptr);
        for (size_t i = 0; i < np->inputs.size(); ++i) {
            const int v = np->inputs[i];
            if (v < 0) continue;
            const size_t vi = static_cast<size_t>(v);
            if (gp->value(v).is_constant()) ins[i] = gp->value(v).constant;
            else if (pp->dynamic[vi]) ins[i] = pp->host_value(vi);
            else if (!pp->shape_values[vi].empty()) ins[i] = pp->shape_values[vi];
            else ins[i] = read_buffer(*ctx, q, pp->mem[vi], pp->types[vi], gp->value(v).name);
            types[i] = TypeInfo{ins[i].dtype(), ins[i].shape()};
            values[i] = &ins[i];
        }
        std::vector<Tensor> outs = evaluate_known(*gp, *np, *def, types, values, sites);
        for (size_t o = 0; o < outs.size(); ++o) pp->host[static_cast<size_t>(np->outputs[o])] = std::move(outs[o]);
    };
}

}  // namespace opencl
}  // namespace mutiny

#endif  // MUTINY_WITH_OPENCL
#endif  // MUTINY_EXEC_OPENCL_PLANNER_HPP_
