// What an op is: one OpDef per op kind, kept in the file that implements it, holding everything
// about the op, so no other layer keeps a list of op names:
//  * import: how an ONNX node of a given opset becomes the canonical IR node (attributes that
//    later opsets turned into inputs become inputs, defaults filled in);
//  * infer: output dtypes and shapes from input dtypes, shapes and (when known) constant values;
//  * prepare: a CPU kernel for one node, free to pre-pack constant weights;
//  * plan_opencl: the node's OpenCL step (kernels from kernels/*.cl), or none (CPU fallback);
//  * sites: the kernel-level mutation sites its kernels have;
//  * unit_local, units: what incremental execution of neuron mutants may assume.
// The registry is data (a map from op kind to OpDef), filled on first use by the compiled part
// (implementation.hpp); a user can register an op, or replace a built-in one, without patching
// Mutiny. docs/adding-an-op.md walks through adding one.
#ifndef MUTINY_OPS_OP_HPP_
#define MUTINY_OPS_OP_HPP_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/tensor.hpp"
#include "../graph/graph.hpp"
#include "sites.hpp"

namespace mutiny {

struct TypeInfo {
    DType dtype = DType::f32;
    Shape shape;
};

// Thrown by shape inference when an output shape depends on the values of an input that is known
// only at run time (NonZero, Unique, TopK with a computed K, a Reshape target read from data).
// Whole-graph inference (infer_types_given with a `dynamic` mask) catches it and marks the node's
// outputs data-dependent: the CPU executor then infers, prepares and runs that node per run.
struct ValueDependentShape : Error {
    using Error::Error;
};

class InferContext {
public:
    InferContext(const Graph& g, const Node& n, std::vector<TypeInfo> in, std::vector<const Tensor*> consts)
        : graph_(g), node_(n), in_(std::move(in)), consts_(std::move(consts)), out_(n.outputs.size()) {}

    const Node& node() const { return node_; }
    const Attributes& attrs() const { return node_.attrs; }
    std::string where() const { return Graph::where(node_); }
    size_t num_inputs() const { return in_.size(); }
    bool has_input(size_t i) const { return i < node_.inputs.size() && node_.inputs[i] >= 0; }
    const Shape& shape(size_t i) const { return require(i).shape; }
    DType dtype(size_t i) const { return require(i).dtype; }
    // The constant value of input i, or nullptr when it is only known at run time.
    const Tensor* constant(size_t i) const { return has_input(i) ? consts_[i] : nullptr; }
    const Tensor& require_constant(size_t i, const char* what) const {
        const Tensor* t = constant(i);
        if (!t) throw ValueDependentShape(std::string(what) + " must be a constant", where(), "its value sets an output shape and input " + std::to_string(i) + " is computed at run time");
        return *t;
    }
    void set_output(size_t i, DType t, Shape s) {
        if (i >= out_.size()) throw Error("op produces more outputs than the node declares", where(), "output " + std::to_string(i));
        // Every size an op computes from a file's values is checked here, before a later node
        // iterates over it or anything is allocated (constant folding, planning): dimensions and
        // the element count within kMaxExtent, the bytes within the memory limit.
        if (s.is_concrete()) {
            const std::string what = node_.op + " output " + std::to_string(i);
            checked::bytes(checked::numel(s.dims(), what, where()), dtype_size(t), what, where());
        }
        out_[i] = TypeInfo{t, std::move(s)};
    }
    const std::vector<TypeInfo>& outputs() const { return out_; }
    // The outputs themselves, for an op whose inference had to compute them (a Loop with every
    // input known runs to learn its trip count): evaluate_known() takes them instead of running
    // the node's kernel a second time. They must be what the kernel gives with no sites mutated.
    void set_values(std::vector<Tensor> v) {
        if (v.size() != out_.size()) throw Error("op computed another number of outputs than the node declares", where(), std::to_string(v.size()) + " computed");
        values_ = std::move(v);
    }
    const std::vector<Tensor>& values() const { return values_; }
    [[noreturn]] void fail(const std::string& what, const std::string& why) const { throw Error(what, where(), why); }
    void expect_inputs(size_t lo, size_t hi) const {
        size_t n = node_.inputs.size();
        while (n > 0 && node_.inputs[n - 1] < 0) --n;
        if (n < lo || n > hi)
            fail("wrong number of inputs", std::to_string(n) + " given, " + std::to_string(lo) +
                                               (lo == hi ? "" : ".." + std::to_string(hi)) + " expected");
    }
    void expect_float(size_t i) const {
        if (!dtype_is_float(dtype(i)))
            fail("unsupported input dtype", std::string("input ") + std::to_string(i) + " is " + dtype_name(dtype(i)) + ", a float type is required");
    }
    const Graph& graph() const { return graph_; }

private:
    const TypeInfo& require(size_t i) const {
        if (!has_input(i)) fail("missing input " + std::to_string(i), "the op requires it");
        return in_[i];
    }
    const Graph& graph_;
    const Node& node_;
    std::vector<TypeInfo> in_;
    std::vector<const Tensor*> consts_;
    std::vector<TypeInfo> out_;
    std::vector<Tensor> values_;
};

// Fusion (exec/cpu/executor.hpp, docs/architecture.md "Fusion"): the element-wise nodes that
// follow a Conv can run as an epilogue of its kernel, on each output tile while it is still in
// cache. A SpanKernel is one such node: it transforms, in place, n consecutive float32 elements
// of output channel `ch`, each by exactly the operations of the node's own kernel (so fused and
// unfused runs give the same bits); `other` points to the same elements of the node's other
// operand when that is a full tensor (a residual Add), else it is null.
using SpanKernel = std::function<void(float* y, int64_t n, int64_t ch, const float* other)>;
struct SpanFusion {
    SpanKernel f;           // empty: this node cannot be fused
    int other_input = -1;   // the input position `other` is read from, -1 for none
};
// The fused steps a producing kernel applies to its output, in order. `other` tensors are laid out
// like the output, [N, channels, plane].
struct Epilogue {
    struct Step {
        SpanKernel f;
        const float* other = nullptr;
    };
    std::vector<Step> steps;
    int64_t channels = 0, plane = 0;
    // Output elements [p0, p0 + n) of channel ch of image img, at y.
    void apply(float* y, int64_t n, int64_t img, int64_t ch, int64_t p0) const {
        for (const Step& s : steps) s.f(y, n, ch, s.other ? s.other + (img * channels + ch) * plane + p0 : nullptr);
    }
    // A tile: rows channels ch0.. (ldy apart) of cols elements from p0.
    void apply_tile(float* y, int64_t rows, int64_t cols, int64_t ldy, int64_t img, int64_t ch0, int64_t p0) const {
        for (int64_t r = 0; r < rows; ++r) apply(y + r * ldy, cols, img, ch0 + r, p0);
    }
};

// Inputs and outputs of one kernel call. Outputs arrive allocated with their inferred shapes.
struct ExecContext {
    const Node* node = nullptr;
    std::vector<const Tensor*> in;  // nullptr for an absent optional input
    std::vector<Tensor*> out;
    const SiteConfig* sites = nullptr;
    // Set by the executor only for an op with OpDef::epilogue (Conv): the fused nodes that follow,
    // to apply to out[0] (which is then the last fused node's output).
    const Epilogue* epilogue = nullptr;
    const Tensor& input(size_t i) const {
        if (i >= in.size() || !in[i]) throw Error("missing input " + std::to_string(i), Graph::where(*node), "kernel needs it");
        return *in[i];
    }
    bool has(size_t i) const { return i < in.size() && in[i]; }
};

using Kernel = std::function<void(ExecContext&)>;

// What prepare() sees: the node, the input types and any constant inputs (weights).
struct PrepareContext {
    const Graph* graph = nullptr;
    const Node* node = nullptr;
    std::vector<TypeInfo> in;
    std::vector<TypeInfo> out;
    std::vector<const Tensor*> consts;
    SiteConfig sites;
    const Attributes& attrs() const { return node->attrs; }
    std::string where() const { return Graph::where(*node); }
};

// What import() sees: the node as read from ONNX (attributes converted, inputs resolved) and the
// graph, so legacy attributes can become constant inputs.
struct ImportContext {
    Graph* graph = nullptr;
    Node* node = nullptr;
    int64_t opset = 0;
    std::string where() const { return Graph::where(*node); }
    // Appends (or sets at position i) a constant input made from a tensor.
    void set_constant_input(size_t i, Tensor t) {
        const int id = graph->add_constant(graph->unique_name(node->name + "_" + std::to_string(i) + "_const"), std::move(t));
        if (node->inputs.size() <= i) node->inputs.resize(i + 1, -1);
        node->inputs[i] = id;
    }
};

namespace opencl {
class NodePlanner;  // exec/opencl/planner.hpp
}

// How a node's output units relate to its input's, for incremental execution of neuron mutants
// (exec/cpu/executor.hpp): `elementwise`: each output element from the same input element alone
// (activations); `channels`: each channel (axis 1) from the same input channel alone (pooling).
enum class UnitLocality : uint8_t { none, elementwise, channels };

// Where a node's units live when it can compute only some of them, from weights sliced to those
// units (neuron mutants): the axis of the weights (input 1) and of the output that holds them.
struct UnitAxes {
    size_t weight_axis = 0;
    size_t output_axis = 0;
};

struct OpDef {
    OpDef() = default;
    OpDef(std::string name_, void (*import_)(ImportContext&), void (*infer_)(InferContext&), Kernel (*prepare_)(const PrepareContext&),
          int64_t min_opset_ = 1, bool shape_only_ = false)
        : name(std::move(name_)), import(import_), infer(infer_), prepare(prepare_), min_opset(min_opset_), shape_only(shape_only_) {}

    std::string name;
    void (*import)(ImportContext&) = nullptr;
    void (*infer)(InferContext&) = nullptr;
    Kernel (*prepare)(const PrepareContext&) = nullptr;
    int64_t min_opset = 1;  // earliest ONNX opset whose semantics import() handles
    // The outputs depend on the inputs' shapes only (Shape, Size): foldable when shapes are static.
    bool shape_only = false;
    // Kernel-level mutation sites the op's kernels have (on every backend).
    KernelSites sites;
    UnitLocality unit_local = UnitLocality::none;
    // Whether node n of g can compute only some of its output units (false: it cannot); fills axes.
    bool (*units)(const Graph& g, const Node& n, UnitAxes& axes) = nullptr;
    // The op only moves or converts bytes (Cast, CastLike, Identity, Reshape, ...), so it takes
    // bfloat16 tensors; validate() refuses bfloat16 inputs and outputs to every other op, whose
    // kernels are not instantiated for it (dispatch_dtype).
    bool bf16 = false;
    // The outputs are random draws (seeded, deterministic: ops/tensor/random.hpp). A reference
    // drawn by another generator cannot be matched: `mutiny conformance` skips such models.
    bool random = false;
    // The node's OpenCL step (exec/opencl/planner.hpp); false when its kernels do not handle this
    // node (a dtype, an attribute), which then runs its CPU kernel. Null: no OpenCL kernel.
    bool (*plan_opencl)(opencl::NodePlanner& p) = nullptr;
    // Fusion: whether the op's CPU kernel applies ExecContext::epilogue to its float32 output
    // (Conv), and, for an element-wise op, how it runs as a step of one (null or an empty f: it
    // cannot be fused). `chain` is the input position the fused value arrives at.
    bool epilogue = false;
    SpanFusion (*prepare_span)(const PrepareContext& pc, size_t chain) = nullptr;
};

class Registry;

// The built-in ops, defined once: by the one translation unit that defines MUTINY_IMPLEMENTATION
// before including <mutiny/mutiny.hpp>, or by the library mutiny::compiled. The name is what the
// linker prints when neither (undefined reference) or both (multiple definition) happened, so it
// says the fix.
namespace link_check {
void define_MUTINY_IMPLEMENTATION_in_one_source_file_or_link_mutiny_compiled(Registry& r);
}

// The op registry: a map from op kind to OpDef, filled with the built-in ops on first use (no
// static initialisation order to depend on). Users may add or replace ops through instance().
class Registry {
public:
    static Registry& instance() {
        static Registry r = [] {
            Registry b;
            link_check::define_MUTINY_IMPLEMENTATION_in_one_source_file_or_link_mutiny_compiled(b);
            return b;
        }();
        return r;
    }
    // Registers (or replaces) an op; returns the stored definition so callers can fill in more.
    OpDef& add(OpDef def) {
        std::string n = def.name;
        OpDef& d = defs_[n];
        d = std::move(def);
        return d;
    }
    OpDef& alias(const std::string& name, const std::string& existing) {
        OpDef d = get(existing, "registry");
        d.name = name;
        return add(std::move(d));
    }
    const OpDef* find(const std::string& name) const {
        auto it = defs_.find(name);
        return it == defs_.end() ? nullptr : &it->second;
    }
    OpDef* find(const std::string& name) {
        auto it = defs_.find(name);
        return it == defs_.end() ? nullptr : &it->second;
    }
    const OpDef& get(const std::string& name, const std::string& where) const {
        const OpDef* d = find(name);
        if (!d) throw Error("unsupported op '" + name + "'", where, "Mutiny has no implementation of this op");
        return *d;
    }
    std::vector<std::string> names() const {
        std::vector<std::string> v;
        for (auto& kv : defs_) v.push_back(kv.first);
        return v;
    }

private:
    std::map<std::string, OpDef> defs_;
};

}  // namespace mutiny

#endif  // MUTINY_OPS_OP_HPP_
