// If: runs then_branch or else_branch by a one-element bool condition; the branches take no
// inputs of their own and may read outer values. Output types: the chosen branch's when the
// condition is a constant; otherwise both branches must agree in dtype, and where their shapes differ the
// node's output shapes are data-dependent (inferred per run by the CPU executor).
// The condition is MutateNN's if-statement: its comparison is a kernel site of the node that
// computes it (Less, Greater, ...), so a mutant of that node flips branches here.
#ifndef MUTINY_OPS_CONTROL_IF_HPP_
#define MUTINY_OPS_CONTROL_IF_HPP_

#include <string>
#include <vector>

#include "subgraph.hpp"

namespace mutiny {
namespace control {

inline void infer_if(InferContext& c) {
    if (formal_inputs(c.node()) != 1) c.fail("wrong number of inputs", "If takes one condition");
    if (c.dtype(0) != DType::boolean || c.shape(0).numel() != 1)
        c.fail("the condition must be one bool", std::string("got ") + dtype_name(c.dtype(0)) + " " + c.shape(0).str());
    const Body then_b(c.node(), "then_branch", 0), else_b(c.node(), "else_branch", 0);
    if (then_b.graph->outputs.size() != else_b.graph->outputs.size())
        c.fail("the branches have different numbers of outputs",
               std::to_string(then_b.graph->outputs.size()) + " and " + std::to_string(else_b.graph->outputs.size()));
    if (c.node().outputs.size() > then_b.graph->outputs.size())
        c.fail("more outputs than the branches give", std::to_string(c.node().outputs.size()) + " declared, " +
                                                          std::to_string(then_b.graph->outputs.size()) + " given");
    std::vector<TypeInfo> out;
    if (const Tensor* cond = c.constant(0)) {
        out = (condition_value(*cond, c.where(), "the condition") ? then_b : else_b).infer({}, {}, c);
    } else {
        out = then_b.infer({}, {}, c);
        const auto other = else_b.infer({}, {}, c);
        for (size_t i = 0; i < out.size(); ++i) {
            if (out[i].dtype != other[i].dtype)
                c.fail("the branches give output " + std::to_string(i) + " different dtypes",
                       std::string(dtype_name(out[i].dtype)) + " and " + dtype_name(other[i].dtype));
            if (out[i].shape != other[i].shape)  // the shape follows the condition: known per run only
                throw ValueDependentShape("the branches give output " + std::to_string(i) + " different shapes", c.where(),
                                          out[i].shape.str() + " and " + other[i].shape.str() + ": it depends on the condition's run-time value");
        }
    }
    for (size_t i = 0; i < c.node().outputs.size(); ++i) c.set_output(i, out[i].dtype, out[i].shape);
}

inline Kernel prepare_if(const PrepareContext& pc) {
    const Body then_b(*pc.node, "then_branch", 0), else_b(*pc.node, "else_branch", 0);
    return [then_b, else_b](ExecContext& c) {
        const std::string where = Graph::where(*c.node);
        const Body& b = condition_value(c.input(0), where, "the condition") ? then_b : else_b;
        const std::vector<Tensor> r = b.run({}, c);
        for (size_t i = 0; i < c.out.size(); ++i)
            if (c.out[i]) copy_to_output(r[i], *c.out[i], where, i);
    };
}

inline void register_if(Registry& r) { r.add(OpDef{"If", nullptr, infer_if, prepare_if}); }

}  // namespace control
}  // namespace mutiny

#endif  // MUTINY_OPS_CONTROL_IF_HPP_
