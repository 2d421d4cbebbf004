// MutateNN's 22 configured mutations as presets, under MutateNN's names and with its meaning, and
// the named groups enumeration accepts.
//
// MutateNN mutates TVM's Relay graph (nn.conv2d = Conv, nn.dense = Gemm/MatMul, nn.batch_norm =
// BatchNormalization, add = Add or a two-input Sum) and the TIR of the kernels TVM generates
// (if-statements, stores). Here the Relay mutations configure the graph-level operators and the TIR
// ones the kernel sites. Like MutateNN, a preset applies to all occurrences by default; a position
// selects the N-th (counted over the matching nodes in topological order, as MutateNN counts calls),
// the first, the last, or a seeded random one.
#ifndef MUTINY_MUTATE_PRESETS_HPP_
#define MUTINY_MUTATE_PRESETS_HPP_

#include "graph_ops.hpp"
#include "kernel_ops.hpp"
#include "neuron_ops.hpp"
#include "quant_ops.hpp"
#include "registry.hpp"

namespace mutiny {
namespace mutate_presets {

inline void add_mutatenn(MutationRegistry& r, const char* name, const char* op, std::map<std::string, std::string> fixed, const char* summary) {
    r.add_preset(PresetDef{name, op, "MutateNN", summary, std::move(fixed)});
}

// MutateNN's presets and the operator groups (vanilla, mutatenn, deepmutation, graph, kernel,
// neuron, all); the groups list the operators registered before.
inline void register_presets(MutationRegistry& r) {
    add_mutatenn(r, "transpose_conv2d_0_before", "insert_transpose", {{"layers", "conv"}, {"input", "0"}, {"order", "before"}},
                 "transpose the data input of every Conv");
    add_mutatenn(r, "transpose_dense_0_before", "insert_transpose", {{"layers", "dense"}, {"input", "0"}, {"order", "before"}},
                 "transpose the data input of every Gemm/MatMul");
    add_mutatenn(r, "transpose_conv2d_dense_0_before", "insert_transpose", {{"layers", "conv_dense"}, {"input", "0"}, {"order", "before"}},
                 "transpose the data input of every Conv and Gemm/MatMul");
    add_mutatenn(r, "transpose_conv2d_dense_1_before", "insert_transpose", {{"layers", "conv_dense"}, {"input", "1"}, {"order", "before"}},
                 "transpose the weights of every Conv and Gemm/MatMul");
    add_mutatenn(r, "transpose_batch_norm_0_before", "insert_transpose", {{"layers", "batch_norm"}, {"input", "0"}, {"order", "before"}},
                 "transpose the data input of every BatchNormalization");
    add_mutatenn(r, "exp_conv2d_dense_0_before", "insert_exp", {{"layers", "conv_dense"}, {"input", "0"}, {"order", "before"}},
                 "exp of the data input of every Conv and Gemm/MatMul");
    add_mutatenn(r, "exp_conv2d_dense_0_after", "insert_exp", {{"layers", "conv_dense"}, {"input", "0"}, {"order", "after"}},
                 "exp of the output of every Conv and Gemm/MatMul");
    add_mutatenn(r, "exp_batch_norm_0_before", "insert_exp", {{"layers", "batch_norm"}, {"input", "0"}, {"order", "before"}},
                 "exp of the data input of every BatchNormalization");
    add_mutatenn(r, "round_batch_norm_0_before", "insert_round", {{"layers", "batch_norm"}, {"input", "0"}, {"order", "before"}},
                 "round the data input of every BatchNormalization");
    add_mutatenn(r, "replace_func_add_to_subtract", "replace_arith", {{"from", "Add"}, {"to", "Sub"}}, "every add becomes a subtract");
    add_mutatenn(r, "replace_func_relu_to_sigmoid", "replace_activation", {{"from", "Relu"}, {"to", "Sigmoid"}}, "every Relu becomes a Sigmoid");
    add_mutatenn(r, "ifstmt_LT_to_LE", "cmp_swap", {{"swap", "lt_to_le"}}, "< becomes <= at the LT comparison sites");
    add_mutatenn(r, "ifstmt_LT_to_GT", "cmp_swap", {{"swap", "lt_to_gt"}}, "< becomes > at the LT comparison sites");
    add_mutatenn(r, "ifstmt_GT_to_LT", "cmp_swap", {{"swap", "gt_to_lt"}}, "> becomes < at the GT comparison sites");
    add_mutatenn(r, "ifstmt_GT_to_GE", "cmp_swap", {{"swap", "gt_to_ge"}}, "> becomes >= at the GT comparison sites");
    add_mutatenn(r, "change_threshold_ite_LT_r_a_0_5", "threshold_shift", {{"site", "lt"}, {"action", "add"}, {"t", "0.5"}},
                 "a < b becomes a < b + 0.5 at the LT comparison sites (right operand, add 0.5)");
    add_mutatenn(r, "float32_to_float16", "store_type", {{"type", "f16"}}, "stored values pass through float16");
    add_mutatenn(r, "float32_to_int32", "store_type", {{"type", "i32"}}, "stored values pass through int32");
    add_mutatenn(r, "float32_to_int16", "store_type", {{"type", "i16"}}, "stored values pass through int16");
    add_mutatenn(r, "float32_to_int8", "store_type", {{"type", "i8"}}, "stored values pass through int8");
    add_mutatenn(r, "subtract_from_store_value", "store_tweak", {{"action", "sub_eps"}}, "stored v becomes v - 1e-8");
    add_mutatenn(r, "multiply_store_value", "store_tweak", {{"action", "mul_eps"}}, "stored v becomes v * (1 + 1e-8)");

    r.add_group("vanilla", {"CW", "NAI", "NEB"});  // DeepMAACC's exhaustive set
    r.add_group("mutatenn", r.preset_names());
    r.add_group("deepmutation", {"GF", "WS", "NEB", "NAI", "NS", "LD", "LAm", "AFRm"});
    std::vector<std::string> graph, kernel, neuron, quant, all;
    for (const auto& n : r.operator_names()) {
        const std::string& f = r.find_operator(n)->family;
        (f == "graph" ? graph : f == "kernel" ? kernel : f == "quant" ? quant : neuron).push_back(n);
        all.push_back(n);
    }
    r.add_group("graph", graph);
    r.add_group("kernel", kernel);
    r.add_group("neuron", neuron);
    r.add_group("quant", quant);
    r.add_group("all", all);
}

}  // namespace mutate_presets

// Every built-in mutation operator, preset and group, in listing order.
inline void register_mutation_operators(MutationRegistry& r) {
    register_graph_operators(r);
    register_kernel_operators(r);
    register_neuron_operators(r);
    register_quant_operators(r);
    mutate_presets::register_presets(r);
}
}  // namespace mutiny

#endif  // MUTINY_MUTATE_PRESETS_HPP_
