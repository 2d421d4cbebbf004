// The OpenCL executor: compiles a graph (plus a kernel-site configuration) into a plan per batch
// size and runs batches on one OpenCL device, with the same interface as the CPU executor
// (run, run_trace, run_from).
//
// A plan (planner.hpp) holds one device buffer per value (allocated once, reused by every run of
// that batch size; run_trace reads them all back), constants uploaded once per executor
// (buffers.hpp), and one prepared step per node whose kernel arguments are set at plan time, so a
// run is: write the inputs, enqueue every step on an in-order queue, read the outputs.
//
// Each op plans its own node (OpDef::plan_opencl, in the op's file): kernels come from
// kernels/*.cl (embedded, see device.hpp), one program per op family, dtype and site
// configuration. A node's SiteConfig becomes build options (docs/mutation.md), so a kernel mutant
// is a cached rebuild of the affected families only.
//
// Ops without an OpenCL kernel run their CPU kernel on the host with the same sites (inputs read
// back, outputs written to the device) when OpenClOptions::cpu_fallback is set (the default);
// otherwise planning fails with an error naming the op and the node. fallback_nodes() lists them.
// So do nodes of data-dependent shapes (NonZero, Unique, a Loop with a computed trip count) and
// every node after them (docs/architecture.md, "Data-dependent shapes"): inferred, prepared and
// run on the host each run, their values kept on the host; the static part stays on the device.
//
// A suffix executor (the constructor taking a base executor and a first node) is a campaign's
// mutant on the device: a weight or kernel mutant of the base's graph (same values), which runs
// only nodes first.. and reads every value computed before them, and the inputs, from the base's
// buffers (the original's activations stay on the device: no transfer at all for the prefix), and
// takes every constant but its own edited ones from the base's (only changed weights are
// uploaded). submit() enqueues a run without waiting (several executors' queues run at once);
// collect() waits for its output reads' event.
#ifndef MUTINY_EXEC_OPENCL_EXECUTOR_HPP_
#define MUTINY_EXEC_OPENCL_EXECUTOR_HPP_

#if MUTINY_WITH_OPENCL

#include <algorithm>
#include <chrono>
#include <climits>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "../../graph/graph.hpp"
#include "../../ops/infer.hpp"
#include "../../ops/op.hpp"
#include "../cpu/executor.hpp"
#include "buffers.hpp"
#include "device.hpp"
#include "../input_shapes.hpp"
#include "../node_times.hpp"
#include "planner.hpp"

namespace mutiny {

class OpenClExecutor {
public:
    explicit OpenClExecutor(Graph graph, OpenClOptions opt = {})
        : graph_(std::move(graph)), opt_(std::move(opt)) {
        validate(graph_);
        ctx_ = opencl::device_context(opencl::select_device(opt_.device));
        if (opt_.fp16_compute) {
            // Precision honesty: half arithmetic where the device has it, never a silent float.
            if (!ctx_->info().fp16)
                throw Error("device lacks cl_khr_fp16", ctx_->info().label(),
                            "fp16 computation needs half-precision arithmetic, which the device does not list (its extensions: " +
                                ctx_->info().extensions + ")");
            opt_.build_options += " -DMUTINY_HALF=1";
        }
        cl_int e = CL_SUCCESS;
        const cl_device_id dev = ctx_->device();
        // Profiling only when per-node timing is asked: it may cost the driver time per command.
        queue_ = clCreateCommandQueue(ctx_->context(), dev, opt_.timing ? CL_QUEUE_PROFILING_ENABLE : 0, &e);
        opencl::check(e, "clCreateCommandQueue", ctx_->info().label());
    }
    // A suffix executor of `base` (see above): `graph` has base's values (a weight mutant's edited
    // constants, listed in `own_constants`, are its own); it runs nodes first.. after base has run
    // the same inputs. `base` must outlive it, and keep its plans (release_plans) while it lives.
    OpenClExecutor(Graph graph, OpenClOptions opt, OpenClExecutor& base, size_t first, std::set<int> own_constants)
        : OpenClExecutor(std::move(graph), std::move(opt)) {
        if (ctx_.get() != base.ctx_.get() || graph_.values.size() != base.graph_.values.size() ||
            graph_.nodes.size() != base.graph_.nodes.size() || first > graph_.nodes.size())
            throw Error("not a suffix of the base executor", "graph " + graph_.name,
                        "a suffix executor needs the base's device and values (a weight or kernel mutant), and a first node within the graph");
        base_ = &base;
        first_ = first;
        share_constants(base, std::move(own_constants));
    }
    OpenClExecutor(const OpenClExecutor&) = delete;
    OpenClExecutor& operator=(const OpenClExecutor&) = delete;
    ~OpenClExecutor() {
        if (queue_) clFinish(queue_);
        if (done_) clReleaseEvent(done_);
        plans_.clear();
        consts_.clear();
        if (queue_) clReleaseCommandQueue(queue_);
    }

    const Graph& graph() const { return graph_; }
    const opencl::DeviceInfo& device() const { return ctx_->info(); }
    const OpenClOptions& options() const { return opt_; }
    // Program cache counters of the device (shared by every executor on it).
    opencl::ProgramStats program_stats() const { return ctx_->stats(); }
    opencl::DeviceContext& device_context() { return *ctx_; }

    // Compiles the plan for a batch size now (programs built, buffers allocated); run() does it on
    // first use otherwise.
    void prepare(int64_t batch = 1) {
        std::lock_guard<std::mutex> lock(mu_);
        plan_for(input_shapes_for_batch(graph_, batch));
    }

    // Names of the nodes that run their CPU kernel (no OpenCL kernel for their op or dtype), in
    // the plan with every symbolic dimension at `batch` (0: the size validation chose, see
    // symbolic_size; a model with a symbolic image size cannot take 1).
    std::vector<std::string> fallback_nodes(int64_t batch = 0) {
        const auto why = host_reasons(batch);
        std::vector<std::string> v;
        for (size_t n = 0; n < why.size(); ++n)
            if (!why[n].empty()) v.push_back(graph_.nodes[n].name + " (" + graph_.nodes[n].op + ")");
        return v;
    }
    // Per node of graph().nodes, in the same plan: "" when it runs on the device, else why it runs
    // its CPU kernel on the host ("no OpenCL kernel for the op", a dtype its kernel lacks, ...).
    std::vector<std::string> host_reasons(int64_t batch = 0) {
        std::lock_guard<std::mutex> lock(mu_);
        Plan& p = plan_for(input_shapes_for_batch(graph_, batch > 0 ? batch : symbolic_size(graph_)));
        std::vector<std::string> v;
        for (const auto& st : p.steps) v.push_back(st.fallback ? st.why : "");
        return v;
    }

    // Takes every constant but `own_constants` from `base`'s buffers (a weight mutant of its graph:
    // only the edited weights are uploaded). Call before the first run; `base` must outlive this.
    void share_constants(OpenClExecutor& base, std::set<int> own_constants) {
        std::lock_guard<std::mutex> lock(mu_);
        if (graph_.values.size() != base.graph_.values.size() || ctx_.get() != base.ctx_.get())
            throw Error("cannot share the base's constants", "graph " + graph_.name, "the graphs' values or devices differ");
        consts_.share(&base.consts_, &base.graph_, std::move(own_constants));
    }

    // Drops every plan (their device buffers); the next run plans again. Suffix executors of this
    // one must have dropped theirs first.
    void release_plans() {
        std::lock_guard<std::mutex> lock(mu_);
        opencl::check(clFinish(queue_), "clFinish", where_dev());
        plans_.clear();
    }
    // The first node a suffix executor runs (0 for a whole one).
    size_t first_node() const { return first_; }

    // Enqueues a run of one batch (a suffix executor: of its nodes, on the batch its base ran last)
    // and the reads of its outputs, without waiting; collect() returns the outputs.
    void submit(const std::vector<Tensor>& inputs) {
        std::lock_guard<std::mutex> lock(mu_);
        Plan& p = plan_for(input_shapes_of(graph_, inputs));
        check_inputs(inputs, p);
        if (!base_) upload_inputs(p, inputs);
        pending_.clear();
        if (done_) clReleaseEvent(done_);
        done_ = nullptr;
        enqueue(p, first_);
        for (int o : graph_.outputs) {
            const Value& val = graph_.value(o);
            const auto in = std::find(graph_.inputs.begin(), graph_.inputs.end(), o);
            if (val.is_constant()) pending_.push_back(val.constant);
            else if (in != graph_.inputs.end()) pending_.push_back(inputs[static_cast<size_t>(in - graph_.inputs.begin())]);
            else if (p.dynamic[static_cast<size_t>(o)]) pending_.push_back(p.host_value(static_cast<size_t>(o)));  // its host step has run
            else {
                const TypeInfo& ti = p.types[static_cast<size_t>(o)];
                pending_.emplace_back(ti.dtype, ti.shape);
                Tensor& t = pending_.back();
                if (t.nbytes() == 0) continue;
                if (done_) clReleaseEvent(done_);
                done_ = nullptr;
                opencl::check(clEnqueueReadBuffer(queue_, p.mem[static_cast<size_t>(o)], CL_FALSE, 0, t.nbytes(), t.raw(), 0, nullptr, &done_),
                              "reading '" + val.name + "' from the device", where_dev());
                ctx_->count_read(t.nbytes());
            }
        }
        opencl::check(clFlush(queue_), "clFlush", where_dev());
    }
    // Waits for the run submit() enqueued (the event of its last read: the queue is in order) and
    // returns its outputs.
    std::vector<Tensor> collect() {
        std::lock_guard<std::mutex> lock(mu_);
        if (done_) {
            const cl_int e = clWaitForEvents(1, &done_);
            clReleaseEvent(done_);
            done_ = nullptr;
            opencl::check(e, "waiting for the outputs", where_dev());
        } else {
            opencl::check(clFinish(queue_), "clFinish", where_dev());
        }
        return std::move(pending_);
    }

    // Runs one batch. Inputs in the order of graph().inputs; outputs in the order of outputs.
    // `times`, when given, receives each node's time (exec/node_times.hpp: device time from the
    // queue's profiling, host time for the nodes that run on the host); the executor must have
    // been made with OpenClOptions::timing.
    std::vector<Tensor> run(const std::vector<Tensor>& inputs, NodeTimes* times = nullptr) {
        std::lock_guard<std::mutex> lock(mu_);
        if (times && !opt_.timing)
            throw Error("per-node timing asked of an executor without it", where_dev(),
                        "make the executor with OpenClOptions::timing, so that its queue records the commands' device times");
        Plan& p = plan_for(input_shapes_of(graph_, inputs));
        check_inputs(inputs, p);
        const auto start = times ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
        if (!base_) upload_inputs(p, inputs);  // a suffix executor's are its base's
        if (times) execute_timed(p, first_, *times);
        else execute(p, first_);
        std::vector<Tensor> out;
        for (int o : graph_.outputs) out.push_back(read_value(p, o, &inputs));
        if (times) times->total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return out;
    }

    // Runs one batch and returns every value's tensor, indexed by value id (constants and inputs
    // included), for run_from.
    Trace run_trace(const std::vector<Tensor>& inputs) {
        std::lock_guard<std::mutex> lock(mu_);
        refuse_suffix("run_trace");
        Plan& p = plan_for(input_shapes_of(graph_, inputs));
        check_inputs(inputs, p);
        upload_inputs(p, inputs);
        execute(p, 0);
        std::vector<Tensor> trace(graph_.values.size());
        for (size_t v = 0; v < trace.size(); ++v) trace[v] = read_value(p, static_cast<int>(v), &inputs);
        return trace;
    }

    // Runs nodes first_node.. of graph().nodes, taking every value computed before them (and the
    // inputs) from `trace` (as run_trace returns it; only the values those nodes read are needed).
    std::vector<Tensor> run_from(const Trace& trace, size_t first_node) {
        std::lock_guard<std::mutex> lock(mu_);
        refuse_suffix("run_from");
        if (trace.size() != graph_.values.size())
            throw Error("trace does not fit the graph", "graph " + graph_.name,
                        std::to_string(trace.size()) + " tensors for " + std::to_string(graph_.values.size()) + " values");
        if (first_node > graph_.nodes.size())
            throw Error("run_from past the last node", "graph " + graph_.name,
                        "node " + std::to_string(first_node) + " of " + std::to_string(graph_.nodes.size()));
        std::vector<Tensor> inputs;
        for (int id : graph_.inputs) inputs.push_back(trace[static_cast<size_t>(id)]);
        Plan& p = plan_for(input_shapes_of(graph_, inputs));
        const std::vector<int> prod = graph_.producers();
        // Values the remaining nodes (or the outputs) read that were computed earlier.
        std::set<int> need;
        for (size_t n = first_node; n < graph_.nodes.size(); ++n)
            for (int in : graph_.nodes[n].inputs)
                if (in >= 0 && prod[static_cast<size_t>(in)] < static_cast<int>(first_node)) need.insert(in);
        for (int v : need) {
            if (graph_.value(v).is_constant()) continue;
            const Tensor& t = trace[static_cast<size_t>(v)];
            const TypeInfo& want = p.types[static_cast<size_t>(v)];
            // A data-dependent value's type is the run's (the plan knows neither its shape nor,
            // for an intermediate, its dtype).
            const bool dynamic = p.dynamic[static_cast<size_t>(v)];
            if (t.empty() || (!dynamic && (t.dtype() != want.dtype || t.shape() != want.shape)))
                throw Error("trace lacks value '" + graph_.value(v).name + "'", "graph " + graph_.name,
                            t.empty() ? "it is empty" : "got " + std::string(dtype_name(t.dtype())) + " " + t.shape().str() +
                                                             ", expected " + dtype_name(want.dtype) + " " + want.shape.str());
            if (dynamic) p.host[static_cast<size_t>(v)] = t;
            else write(p.mem[static_cast<size_t>(v)], t, graph_.value(v).name);
        }
        execute(p, first_node);
        std::vector<Tensor> out;
        for (int o : graph_.outputs) {
            if (prod[static_cast<size_t>(o)] >= 0 && prod[static_cast<size_t>(o)] < static_cast<int>(first_node) &&
                !trace[static_cast<size_t>(o)].empty())
                out.push_back(trace[static_cast<size_t>(o)]);
            else
                out.push_back(read_value(p, o, &inputs));
        }
        return out;
    }

    // The batch size of a trace made by run_trace().
    int64_t batch_of_trace(const Trace& trace) const {
        std::vector<Tensor> in;
        for (int i : graph_.inputs) in.push_back(trace.at(static_cast<size_t>(i)));
        return batch_of(in);
    }

    // The batch size implied by the inputs (1 when no input has a symbolic dimension).
    int64_t batch_of(const std::vector<Tensor>& inputs) const { return batch_of_shapes(graph_, input_shapes_of(graph_, inputs)); }

private:
    using Plan = opencl::Plan;

    std::string where_dev() const { return ctx_->info().label(); }
    void refuse_suffix(const std::string& call) const {
        if (base_) throw Error(call + " on a suffix executor", "graph " + graph_.name, "it runs from node " + std::to_string(first_) + " on its base's values only");
    }

    void write(cl_mem m, const Tensor& t, const std::string& name) { opencl::write_buffer(*ctx_, queue_, m, t, name); }
    Tensor read(cl_mem m, const TypeInfo& ti, const std::string& name) { return opencl::read_buffer(*ctx_, queue_, m, ti, name); }
    Tensor read_value(Plan& p, int v, const std::vector<Tensor>* inputs) {
        const Value& val = graph_.value(v);
        if (val.is_constant()) return val.constant;
        if (inputs)
            for (size_t i = 0; i < graph_.inputs.size(); ++i)
                if (graph_.inputs[i] == v) return (*inputs)[i];
        if (p.dynamic[static_cast<size_t>(v)]) return p.host_value(static_cast<size_t>(v));
        return read(p.mem[static_cast<size_t>(v)], p.types[static_cast<size_t>(v)], val.name);
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
    void upload_inputs(Plan& p, const std::vector<Tensor>& inputs) {
        for (size_t i = 0; i < inputs.size(); ++i)
            write(p.mem[static_cast<size_t>(graph_.inputs[i])], inputs[i], graph_.value(graph_.inputs[i]).name);
    }

    void execute(Plan& p, size_t first) {
        enqueue(p, first);
        opencl::check(clFinish(queue_), "clFinish", where_dev());
    }
    void enqueue(Plan& p, size_t first) {
        for (size_t n = first; n < p.steps.size(); ++n) run_step(p, n);
    }
    void run_step(Plan& p, size_t n) {
        try {
            p.steps[n].run();
        } catch (const Error& e) {
            throw Error(e.what_part(), Graph::where(graph_.nodes[n]) + " on " + where_dev(), e.why_part());
        }
    }

    // execute() with per-node times: every command a device step enqueues carries an event
    // (Plan::profile_event) whose START to END the node sums; a host step runs after the queue has
    // drained, timed by the host's clock. Waiting for the queue before host steps changes when
    // commands run, never what they compute.
    void execute_timed(Plan& p, size_t first, NodeTimes& t) {
        using clock = std::chrono::steady_clock;
        struct Profiling {  // the plan's events released, and profiling off, however the run ends
            Plan& p;
            explicit Profiling(Plan& plan) : p(plan) {
                p.events.clear();
                p.profiling = true;
            }
            ~Profiling() {
                p.profiling = false;
                for (cl_event e : p.events)
                    if (e) clReleaseEvent(e);
                p.events.clear();
            }
        } guard(p);
        t.reset(graph_.nodes.size());
        std::vector<size_t> from(p.steps.size() + 1, 0);  // node n's events: [from[n], from[n + 1])
        for (size_t n = first; n < p.steps.size(); ++n) {
            from[n] = p.events.size();
            const Plan::NodeStep& st = p.steps[n];
            if (!st.fallback) {
                run_step(p, n);
                continue;
            }
            opencl::check(clFinish(queue_), "clFinish", where_dev());
            const clock::time_point t0 = clock::now();
            run_step(p, n);
            t.seconds[n] = std::chrono::duration<double>(clock::now() - t0).count();
            t.where[n] = st.why == opencl::kDataDependentReason ? NodeTimes::Where::host_data_dependent : NodeTimes::Where::host_fallback;
        }
        from[p.steps.size()] = p.events.size();
        opencl::check(clFinish(queue_), "clFinish", where_dev());
        for (size_t n = first; n < p.steps.size(); ++n) {
            if (p.steps[n].fallback) continue;
            cl_ulong ns = 0;
            for (size_t e = from[n]; e < from[n + 1]; ++e) {
                cl_ulong a = 0, b = 0;
                opencl::check(clGetEventProfilingInfo(p.events[e], CL_PROFILING_COMMAND_START, sizeof a, &a, nullptr), "clGetEventProfilingInfo", where_dev());
                opencl::check(clGetEventProfilingInfo(p.events[e], CL_PROFILING_COMMAND_END, sizeof b, &b, nullptr), "clGetEventProfilingInfo", where_dev());
                ns += b > a ? b - a : 0;
            }
            // A step that enqueued nothing (shape values written at plan time, an empty tensor)
            // did nothing at run time.
            t.where[n] = from[n + 1] > from[n] ? NodeTimes::Where::device : NodeTimes::Where::none;
            t.seconds[n] = static_cast<double>(ns) * 1e-9;
        }
    }

    // Whether value v is the base's in a suffix executor's plan: an input or computed before first_.
    bool borrowed(const std::vector<int>& producers, size_t v) const {
        return base_ && !graph_.values[v].is_constant() && producers[v] < static_cast<int>(first_);
    }

    // The plan for one set of input shapes (inference re-run for each new set).
    Plan& plan_for(const InputShapes& shapes) {
        const std::vector<int64_t> key = input_shapes_key(shapes);
        auto it = plans_.find(key);
        if (it != plans_.end()) return *it->second;
        auto p = std::make_unique<Plan>();
        p->batch = batch_of_shapes(graph_, shapes);
        const int64_t batch = p->batch;
        // Values of data-dependent shapes (and the nodes computing them) are left to the host, per
        // run: the device plan allocates every buffer before the first kernel runs.
        p->types = infer_types_given(graph_, input_types(graph_, shapes), std::vector<const Tensor*>(shapes.size(), nullptr), nullptr,
                                     &p->shape_values, &p->dynamic);
        const size_t nv = graph_.values.size();
        p->shape_values.resize(nv);
        p->mem.assign(nv, nullptr);
        p->host.assign(nv, Tensor());
        p->host_borrowed.assign(nv, 0);
        const std::vector<int> prod = graph_.producers();
        if (base_) {
            std::lock_guard<std::mutex> lock(base_->mu_);
            Plan& bp = base_->plan_for(shapes);
            p->base_host = &bp.host;
            for (size_t v = 0; v < nv; ++v) {
                if (!borrowed(prod, v)) continue;
                if (p->dynamic[v]) p->host_borrowed[v] = 1;
                else p->mem[v] = bp.mem[v];
            }
        }
        // Sizes first, so an oversized plan fails before anything is allocated.
        const auto& info = ctx_->info();
        uint64_t total = 0;
        for (size_t v = 0; v < nv; ++v) {
            if (graph_.values[v].is_constant() || borrowed(prod, v) || p->dynamic[v]) continue;
            const TypeInfo& t = p->types[v];
            const uint64_t bytes = static_cast<uint64_t>(t.shape.numel()) * dtype_size(t.dtype);
            if (info.max_alloc && bytes > info.max_alloc)
                throw Error("out of device memory", where_dev(),
                            "value '" + graph_.values[v].name + "' " + t.shape.str() + " needs " + std::to_string(bytes) +
                                " bytes; the device allocates at most " + std::to_string(info.max_alloc) + " per buffer");
            total += bytes;
        }
        if (info.global_mem && total > info.global_mem)
            throw Error("out of device memory", where_dev(),
                        "batch " + std::to_string(batch) + " needs " + std::to_string(total) + " bytes of activations; the device has " +
                            std::to_string(info.global_mem));
        for (size_t v = 0; v < nv; ++v) {
            if (graph_.values[v].is_constant() || borrowed(prod, v) || p->dynamic[v]) continue;  // uploaded on demand (ConstantBuffers); the base's; the host's
            if (p->types[v].shape.numel() > INT_MAX)
                throw Error("tensor too large for the OpenCL kernels", "value '" + graph_.values[v].name + "'",
                            p->types[v].shape.str() + " has more than 2^31 - 1 elements (kernels index with 32 bits)");
            p->mem[v] = opencl::create_buffer(*ctx_, p->owned, static_cast<size_t>(p->types[v].shape.numel()) * dtype_size(p->types[v].dtype),
                                              nullptr, "value '" + graph_.values[v].name + "'");
        }
        p->steps.resize(graph_.nodes.size());
        opencl::PlanEnv env{&graph_, ctx_.get(), queue_, &opt_, &consts_, &sources_};
        for (size_t n = 0; n < graph_.nodes.size(); ++n) {
            if (n < first_) {
                p->steps[n].run = [] {};  // the base's (a suffix executor runs from first_)
                continue;
            }
            try {
                if (plan_data_dependent(env, *p, graph_.nodes[n])) continue;
                if (write_shape_values(*p, graph_.nodes[n])) continue;
                plan_node(env, *p, graph_.nodes[n]);
            } catch (const Error& e) {
                // Name the node whose kernel failed to build (the build log stays in the reason).
                if (e.where_part().find("node '") != std::string::npos) throw;
                throw Error(e.what_part(), Graph::where(graph_.nodes[n]) + " on " + e.where_part(), e.why_part());
            }
        }
        Plan& ref = *p;
        plans_[key] = std::move(p);
        return ref;
    }

    // A node with an output of data-dependent shape: its step runs it on the host per run
    // (plan_host_per_run), unless the CPU fallback is off.
    bool plan_data_dependent(opencl::PlanEnv& env, Plan& p, const Node& node) {
        bool dynamic = false;
        for (int o : node.outputs) dynamic = dynamic || p.dynamic[static_cast<size_t>(o)];
        if (!dynamic) return false;
        if (!opt_.cpu_fallback)
            throw Error(std::string(opencl::kDataDependentReason), Graph::where(node),
                        "its output shapes follow run-time values, so it runs on the host each run; set OpenClOptions::cpu_fallback to allow that");
        opencl::plan_host_per_run(env, p, node, opencl::NodePlanner(env, p, node).sites());
        return true;
    }

    // A node whose outputs are all shape arithmetic of this plan (Shape, Gather of a shape, Concat
    // of sizes): its outputs are written to their buffers now and the node does nothing at run time.
    bool write_shape_values(Plan& p, const Node& node) {
        if (node.outputs.empty()) return false;
        for (int o : node.outputs)
            if (p.shape_values[static_cast<size_t>(o)].empty()) return false;
        for (int o : node.outputs) {
            const Tensor& t = p.shape_values[static_cast<size_t>(o)];
            write(p.mem[static_cast<size_t>(o)], t, graph_.value(o).name);
        }
        p.steps[static_cast<size_t>(&node - graph_.nodes.data())].run = [] {};
        return true;
    }

    // The step of one node: the op's OpenCL planning when it has one for this node's dtypes, else
    // the CPU kernel (or an error without cpu_fallback).
    void plan_node(opencl::PlanEnv& env, Plan& p, const Node& node) {
        const OpDef& def = Registry::instance().get(node.op, Graph::where(node));
        opencl::NodePlanner planner(env, p, node);
        if (def.plan_opencl && !node.outputs.empty() && def.plan_opencl(planner)) return;
        std::string& why = p.steps[static_cast<size_t>(&node - graph_.nodes.data())].why;
        if (!def.plan_opencl) why = "no OpenCL kernel for the op";
        else if (why.empty()) why = "its OpenCL kernel does not take " + opencl::node_dtypes(p, node);
        if (!opt_.cpu_fallback) {
            const bool typed = !node.inputs.empty() && node.inputs[0] >= 0;
            const std::string dt = typed ? std::string(" for ") + dtype_name(planner.in_type(0).dtype) : "";
            if (typed && planner.in_type(0).dtype == DType::f64 && !ctx_->info().fp64)
                throw Error("device lacks cl_khr_fp64", Graph::where(node) + " on " + where_dev(), "f64 tensors need double precision");
            throw Error("no OpenCL kernel for op '" + node.op + "'" + dt, Graph::where(node),
                        why + "; set OpenClOptions::cpu_fallback to run it on the CPU");
        }
        opencl::plan_cpu_fallback(env, p, node, planner.sites());
    }

    Graph graph_;
    OpenClOptions opt_;
    std::shared_ptr<opencl::DeviceContext> ctx_;
    cl_command_queue queue_ = nullptr;
    std::mutex mu_;
    std::map<std::string, std::string> sources_;
    opencl::ConstantBuffers consts_;
    std::map<std::vector<int64_t>, std::unique_ptr<Plan>> plans_;  // by input_shapes_key()
    OpenClExecutor* base_ = nullptr;  // a suffix executor's base
    size_t first_ = 0;                // a suffix executor's first node
    std::vector<Tensor> pending_;     // outputs of the run submit() enqueued
    cl_event done_ = nullptr;         // its last output read
};

}  // namespace mutiny

#endif  // MUTINY_WITH_OPENCL
#endif  // MUTINY_EXEC_OPENCL_EXECUTOR_HPP_
