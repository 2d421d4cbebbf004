#!/usr/bin/env python3
"""Writes tests/fixtures/contrib_quant/: one-node models of ONNX Runtime's contrib quantized ops
(domain com.microsoft: QLinearAdd, QLinearMul, QLinearSigmoid, QLinearLeakyRelu,
QLinearGlobalAveragePool), uint8 and int8, as ONNX backend-test folders (model.onnx +
test_data_set_*/input_*.pb, output_*.pb) whose outputs come from ONNX Runtime's CPU execution
provider: the reference for these ops, which have no ONNX reference implementation. The quantized
inputs are graph inputs (fed at run time); scales and zero points are initializers, as
onnxruntime.quantization writes them. The binary ops cover same-shape, broadcast and scalar
operands (ORT's type inference refuses an omitted zero point there); the lookup ops cover all 256
input values and omit none either. bad/ holds nodes of ops Mutiny does not implement (another
com.microsoft op, another domain), which must be refused naming the op.

Usage: python3 tools/make_contrib_quant_fixtures.py [--out tests/fixtures/contrib_quant]
Needs: onnx, onnxruntime, numpy (pip). Deterministic: seeded inputs.
"""
import argparse
import os
import shutil

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
import onnxruntime as ort

from backend_test_folder import write_folder

NP = {TensorProto.UINT8: np.uint8, TensorProto.INT8: np.int8}


def param(name, scale, zp, t):
    """A scale (float32 scalar) and, unless zp is None, a zero point of type t."""
    inits = [numpy_helper.from_array(np.array(scale, np.float32), name + "_scale")]
    if zp is not None:
        inits.append(numpy_helper.from_array(np.array(zp, NP[t]), name + "_zp"))
    return inits, [name + "_scale", name + "_zp" if zp is not None else ""]


def one_node(op, ins, shapes, t, params, out_shape, **attrs):
    """A model of one com.microsoft node: quantized inputs `ins` (graph inputs of `shapes`) each
    followed by its (scale, zero point), then the output's."""
    inits, names = [], []
    for x, (scale, zp) in zip(ins + ["y"], params):
        i, n = param(x, scale, zp, t)
        inits += i
        names += ([x] if x != "y" else []) + n
    while names and names[-1] == "":
        names.pop()
    node = helper.make_node(op, names, ["y"], domain="com.microsoft", **attrs)
    g = helper.make_graph([node], op, [helper.make_tensor_value_info(x, t, s) for x, s in zip(ins, shapes)],
                          [helper.make_tensor_value_info("y", t, out_shape)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1)],
                          producer_name="make_contrib_quant_fixtures")
    m.ir_version = 8
    return m


def write_case(out, name, m, feeds_list):
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # the node as written
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    write_folder(out, name, m, feeds_list, lambda feeds: sess.run(None, feeds))


def rand(rng, t, shape):
    info = np.iinfo(NP[t])
    return rng.integers(info.min, info.max + 1, size=shape, dtype=np.int64).astype(NP[t])


def binary_cases(rng):
    U8, I8 = TensorProto.UINT8, TensorProto.INT8
    cases = [  # name suffix, type, A shape, B shape, params (A, B, C)
        ("u8_same", U8, [2, 3, 4, 5], [2, 3, 4, 5], [(0.02, 128), (0.05, 100), (0.04, 120)]),
        ("i8_same", I8, [3, 17], [3, 17], [(0.031, -3), (0.017, 5), (0.023, 0)]),
        ("u8_broadcast", U8, [2, 3, 4, 5], [3, 1, 1], [(0.1, 10), (0.25, 200), (0.3, 77)]),
        ("i8_broadcast", I8, [4, 1, 6], [1, 5, 6], [(0.0123, 7), (0.0456, -20), (0.0378, 3)]),
        ("u8_scalar_b", U8, [1, 8, 7, 7], [1], [(0.007, 0), (0.5, 3), (0.01, 128)]),
        ("i8_scalar_a", I8, [1], [2, 19], [(0.2, -1), (0.01, 4), (0.05, -7)]),
    ]
    for op, short in (("QLinearAdd", "add"), ("QLinearMul", "mul")):
        for suffix, t, sa, sb, params in cases:
            out_shape = list(np.broadcast_shapes(tuple(sa), tuple(sb)))
            if op == "QLinearMul":  # a product's range: keep the output scale near sA * sB * 128
                params = params[:2] + [(params[0][0] * params[1][0] * 96, params[2][1])]
            m = one_node(op, ["a", "b"], [sa, sb], t, params, out_shape)
            feeds = [{"a": rand(rng, t, sa), "b": rand(rng, t, sb)} for _ in range(2)]
            yield f"qlinear_{short}_{suffix}", m, feeds


def lookup_cases(rng):
    U8, I8 = TensorProto.UINT8, TensorProto.INT8
    every = {U8: np.arange(256, dtype=np.uint8).reshape(16, 16), I8: np.arange(-128, 128, dtype=np.int8).reshape(16, 16)}
    cases = [  # op, name suffix, type, params (X, Y), attributes
        ("QLinearSigmoid", "sigmoid_u8", U8, [(0.05, 128), (1.0 / 256, 0)], {}),
        ("QLinearSigmoid", "sigmoid_i8", I8, [(0.1, -10), (1.0 / 256, -128)], {}),
        ("QLinearSigmoid", "sigmoid_u8_wide", U8, [(0.2, 100), (0.0039, 3)], {}),
        ("QLinearLeakyRelu", "leaky_relu_u8", U8, [(0.03, 120), (0.02, 100)], {"alpha": 0.1}),
        ("QLinearLeakyRelu", "leaky_relu_i8", I8, [(0.05, 0), (0.04, -30)], {}),
    ]
    for op, suffix, t, params, attrs in cases:
        m = one_node(op, ["x"], [[16, 16]], t, params, [16, 16], **attrs)
        yield f"qlinear_{suffix}", m, [{"x": every[t]}, {"x": rand(rng, t, [16, 16])}]


def pool_cases(rng):
    U8, I8 = TensorProto.UINT8, TensorProto.INT8
    cases = [  # name suffix, type, X shape, output shape, channels_last, params (x, y)
        ("u8_nchw", U8, [2, 3, 5, 5], [2, 3, 1, 1], 0, [(0.05, 128), (0.03, 120)]),
        ("i8_nchw_3d", I8, [2, 4, 9], [2, 4, 1], 0, [(0.02, -5), (0.01, 3)]),
        ("u8_nhwc", U8, [2, 4, 4, 6], [2, 1, 1, 6], 1, [(0.1, 7), (0.09, 2)]),
        ("i8_nhwc", I8, [1, 3, 5, 10], [1, 1, 1, 10], 1, [(0.04, 0), (0.007, -100)]),
    ]
    for suffix, t, shape, out_shape, last, params in cases:
        m = one_node("QLinearGlobalAveragePool", ["x"], [shape], t, params, out_shape, channels_last=last)
        yield f"qlinear_global_average_pool_{suffix}", m, [{"x": rand(rng, t, shape)} for _ in range(2)]


def bad_models(out):
    """Nodes of another domain that Mutiny does not implement: refused at load, naming the op."""
    d = os.path.join(out, "bad")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    U8 = TensorProto.UINT8
    for name, domain, op in (("unknown_contrib", "com.microsoft", "QLinearWhere"), ("other_domain", "com.example", "Foo")):
        g = helper.make_graph([helper.make_node(op, ["x"], ["y"], domain=domain)], name,
                              [helper.make_tensor_value_info("x", U8, [2])], [helper.make_tensor_value_info("y", U8, [2])])
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid(domain, 1)])
        m.ir_version = 8
        onnx.save(m, os.path.join(d, name + ".onnx"))  # not checked: the ops have no schema here


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "contrib_quant"))
    a = ap.parse_args()
    rng = np.random.default_rng(13)
    os.makedirs(a.out, exist_ok=True)
    for gen in (binary_cases, lookup_cases, pool_cases):
        for name, m, feeds in gen(rng):
            write_case(a.out, name, m, feeds)
            print(name)
    bad_models(a.out)


if __name__ == "__main__":
    main()
