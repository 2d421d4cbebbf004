#!/usr/bin/env python3
"""Writes tests/unit/rnn_cases.hpp: RNN, GRU and LSTM cases beyond ONNX's node tests, with
expected outputs from onnxruntime (pip install onnxruntime; 1.32 was used). onnx.reference's
RNN/GRU/LSTM lack sequence_lens, clip, activations and input_forget, so onnxruntime is the oracle.

Inputs are generated, not stored: element i of an input with seed s and scale k is
float32(k * (((i * 37 + s * 11) % 101) / 50.0 - 1.0)), computed the same way by test_rnn.cpp.

    python3 tests/unit/rnn_cases.py > tests/unit/rnn_cases.hpp
"""
import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper

SLOTS = ["X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"]


def gen(shape, seed, scale):
    i = np.arange(int(np.prod(shape)), dtype=np.int64)
    return (scale * (((i * 37 + seed * 11) % 101) / 50.0 - 1.0)).astype(np.float32).reshape(shape)


def case(name, op, attrs, shapes, lens=None, nout=2, scale=1.0):
    """shapes: slot -> shape; each slot's seed is its position, its scale `scale` (X: 1)."""
    # onnxruntime has no layout = 1: it runs on the inputs transposed to layout 0, and the
    # outputs are transposed back (layout only permutes axes).
    layout1 = attrs.get("layout", 0) == 1
    run_attrs = {k: v for k, v in attrs.items() if k != "layout"}
    feeds, ins, vis = {}, [], []
    for k, slot in enumerate(SLOTS):
        if slot == "sequence_lens" and lens is not None:
            v = np.array(lens, dtype=np.int32)
        elif slot in shapes:
            v = gen(shapes[slot], k + 1, 1.0 if slot == "X" else scale)
            if layout1 and slot in ("X", "initial_h", "initial_c"):
                v = np.ascontiguousarray(v.transpose(1, 0, 2))
        else:
            ins.append("")
            continue
        ins.append(slot)
        feeds[slot] = v
        vis.append(helper.make_tensor_value_info(slot, TensorProto.INT32 if v.dtype == np.int32 else TensorProto.FLOAT, v.shape))
    while ins and ins[-1] == "":
        ins.pop()
    outs = ["Y", "Y_h", "Y_c"][:nout]
    node = helper.make_node(op, ins, outs, **run_attrs)
    graph = helper.make_graph([node], "g", vis, [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outs])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    got = sess.run(None, feeds)
    if layout1:
        got = [got[0].transpose(2, 0, 1, 3)] + [o.transpose(1, 0, 2) for o in got[1:]]
    return dict(name=name, op=op, attrs=attrs, shapes=shapes, lens=lens, scale=scale, outs=got)


def cpp_attrs(attrs):
    parts = []
    for k, v in attrs.items():
        if isinstance(v, str):
            parts.append(f'a.set_string("{k}", "{v}");')
        elif isinstance(v, int):
            parts.append(f'a.set_int("{k}", {v});')
        elif isinstance(v, float):
            parts.append(f'a.set_float("{k}", {v!r});')
        elif isinstance(v, list) and v and isinstance(v[0], str):
            parts.append(f'a.set_strings("{k}", {{{", ".join(chr(34) + s + chr(34) for s in v)}}});')
        else:
            parts.append(f'a.set_floats("{k}", {{{", ".join(repr(float(x)) for x in v)}}});')
    return " ".join(parts)


def num(x):
    t = f"{x:.9g}"
    return t + ("f" if any(ch in t for ch in ".e") else ".f")


def cpp_case(c):
    lines = [f'    {{"{c["name"]}", "{c["op"]}",', f"     [] {{ Attributes a; {cpp_attrs(c['attrs'])} return a; }},"]
    shapes = ", ".join(f'{{{SLOTS.index(s)}, Shape{{{", ".join(map(str, sh))}}}}}' for s, sh in c["shapes"].items())
    lines.append(f"     {{{shapes}}}, {{{', '.join(map(str, c['lens'] or []))}}}, {c['scale']!r}, {'true' if c.get('skip_y') else 'false'},")
    outs = []
    for o in c["outs"]:
        vals = [num(x) for x in o.ravel()]
        rows = [", ".join(vals[i:i + 8]) for i in range(0, len(vals), 8)]
        body = ",\n       ".join(rows)
        outs.append(f"      {{Shape{{{', '.join(map(str, o.shape))}}},\n       {{{body}}}}}")
    lines.append("     {\n" + ",\n".join(outs) + "}},")
    return "\n".join(lines)


def main():
    S, N, I = 3, 2, 2
    cases = []
    # RNN: bidirectional with sequence_lens and initial_h, a different activation per direction.
    H = 3
    cases.append(case("rnn_bidirectional_lens_initial_h", "RNN",
                      dict(hidden_size=H, direction="bidirectional", activations=["Tanh", "LeakyRelu"], activation_alpha=[0.2]),
                      dict(X=(S, N, I), W=(2, H, I), R=(2, H, H), B=(2, 2 * H), initial_h=(2, N, H)), lens=[3, 1]))
    cases.append(case("rnn_reverse_layout1_clip", "RNN", dict(hidden_size=H, direction="reverse", layout=1, clip=0.9),
                      dict(X=(N, S, I), W=(1, H, I), R=(1, H, H), B=(1, 2 * H), initial_h=(N, 1, H)), lens=[2, 3]))
    # Every activation, as RNN's f (Y_h only).
    for act, alpha, beta in [("Relu", None, None), ("Tanh", None, None), ("Sigmoid", None, None), ("Affine", 0.5, 0.25),
                             ("LeakyRelu", None, None), ("ThresholdedRelu", 0.3, None), ("ScaledTanh", 0.7, 1.5),
                             ("HardSigmoid", 0.3, -0.1), ("Elu", 0.8, None), ("Softsign", None, None), ("Softplus", None, None)]:
        at = dict(hidden_size=2, activations=[act])
        if alpha is not None:
            at["activation_alpha"] = [alpha]
        if beta is not None:
            at["activation_beta"] = [beta]
        c = case("rnn_activation_" + act, "RNN", at, dict(X=(2, 1, 2), W=(1, 2, 2), R=(1, 2, 2), B=(1, 4)), scale=2.0)
        c["outs"] = c["outs"][1:]
        c["skip_y"] = True
        cases.append(c)
    # GRU: both forms of the h gate, bidirectional with lengths and initial_h; batch-first with clip.
    H = 4
    for lbr in (0, 1):
        cases.append(case(f"gru_bidirectional_lens_lbr{lbr}", "GRU", dict(hidden_size=H, direction="bidirectional", linear_before_reset=lbr),
                          dict(X=(S, N, I), W=(2, 3 * H, I), R=(2, 3 * H, H), B=(2, 6 * H), initial_h=(2, N, H)), lens=[2, 3]))
        cases.append(case(f"gru_layout1_clip_lbr{lbr}", "GRU",
                          dict(hidden_size=H, layout=1, clip=0.6, linear_before_reset=lbr, activations=["HardSigmoid", "Softsign"],
                               activation_alpha=[0.3], activation_beta=[0.4]),
                          dict(X=(N, S, I), W=(1, 3 * H, I), R=(1, 3 * H, H), B=(1, 6 * H), initial_h=(N, 1, H)), scale=2.0))
    # LSTM: bidirectional with peepholes, lengths, initial h and c; reverse batch-first with
    # input_forget, clip and other activations.
    H = 3
    cases.append(case("lstm_bidirectional_peepholes_lens", "LSTM", dict(hidden_size=H, direction="bidirectional"),
                      dict(X=(S, N, I), W=(2, 4 * H, I), R=(2, 4 * H, H), B=(2, 8 * H), initial_h=(2, N, H), initial_c=(2, N, H),
                           P=(2, 3 * H)), lens=[1, 3], nout=3))
    cases.append(case("lstm_reverse_layout1_input_forget_clip", "LSTM",
                      dict(hidden_size=H, direction="reverse", layout=1, input_forget=1, clip=0.8,
                           activations=["HardSigmoid", "Elu", "ScaledTanh"], activation_alpha=[0.25, 0.9, 1.2], activation_beta=[0.45, 0.6]),
                      dict(X=(N, S, I), W=(1, 4 * H, I), R=(1, 4 * H, H), B=(1, 8 * H), initial_h=(N, 1, H), initial_c=(N, 1, H),
                           P=(1, 3 * H)), lens=[3, 2], nout=3, scale=1.5))
    print("// Generated by tests/unit/rnn_cases.py (expected outputs from onnxruntime 1.32); do not edit.")
    print("#ifndef MUTINY_TESTS_UNIT_RNN_CASES_HPP_\n#define MUTINY_TESTS_UNIT_RNN_CASES_HPP_\n")
    print("#include <mutiny/graph/attributes.hpp>\n\n#include <utility>\n#include <vector>\n")
    print("namespace rnn_cases {\n\nusing namespace mutiny;\n")
    print("struct Expected {\n    Shape shape;\n    std::vector<float> values;\n};")
    print("struct Case {\n    const char* name;\n    const char* op;\n    Attributes (*attrs)();\n"
          "    std::vector<std::pair<size_t, Shape>> inputs;  // slot (X, W, R, B, -, initial_h, initial_c, P), shape\n"
          "    std::vector<int32_t> lens;                     // sequence_lens; empty: absent\n"
          "    double scale;                                  // of every input but X\n"
          "    bool y_absent;                                 // the node has only Y_h (Y is an unused output)\n"
          "    std::vector<Expected> outputs;                 // Y, Y_h[, Y_c]; only Y_h when y_absent\n};\n")
    print("inline const std::vector<Case>& cases() {\n    static const std::vector<Case> c{")
    for c in cases:
        print(cpp_case(c))
    print("    };\n    return c;\n}\n\n}  // namespace rnn_cases\n\n#endif  // MUTINY_TESTS_UNIT_RNN_CASES_HPP_")


main()
