#!/usr/bin/env python3
"""Writes tests/fixtures/contrib_quant/: one-node models of ONNX Runtime's contrib quantized ops
(domain com.microsoft: QLinearAdd, QLinearMul, QLinearSigmoid, QLinearLeakyRelu,
QLinearGlobalAveragePool, QLinearAveragePool, QLinearConcat, QLinearSoftmax, QGemm), uint8 and int8,
as ONNX backend-test folders (model.onnx + test_data_set_*/input_*.pb, output_*.pb) whose outputs
come from ONNX Runtime's CPU execution provider: the reference for these ops, which have no ONNX
reference implementation. The quantized inputs are graph inputs (fed at run time); scales and zero
points are initializers, as onnxruntime.quantization writes them. The binary ops cover same-shape,
broadcast and scalar operands (ORT's type inference refuses an omitted zero point there); the lookup
ops cover all 256 input values and omit none either; the pools cover NCHW and NHWC, 1 to 3 spatial
axes, padding, ceil_mode, count_include_pad, auto_pad and a window of the whole image (ORT's
fallback to the global pool); Concat an input copied (the output's scale and zero point) next to
requantized ones; Softmax both opsets' axis semantics and a probability of 1 saturating int8; QGemm
uint8 x int8, uint8 x uint8 and int8 x int8, per-column B scales, every bias shape, transposes,
alpha and a float output; qgemm_zero_k_* an empty inner dimension (K = 0), whose references follow
ONNX Runtime's source (qgemm_zero_k_reference: its 1.32 binary returns uninitialised memory
there). qoperator_cnn/ is a small float CNN quantized by onnxruntime.quantization
(QOperator, per-channel weights) into QLinearConv, QLinearAveragePool, QLinearConcat, QGemm and
QLinearSoftmax, with tests/fixtures/campaign/qoperator_cnn.npz (inputs and ORT's predictions as
labels) for a campaign on it. bad/ holds nodes of ops Mutiny does not implement (another
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


def node_model(node, inputs, out_shape, out_type, inits):
    """A model of one com.microsoft node, inputs (name, type, shape) fed at run time."""
    g = helper.make_graph([node], node.op_type, [helper.make_tensor_value_info(n, t, sh) for n, t, sh in inputs],
                          [helper.make_tensor_value_info("y", out_type, out_shape)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1)],
                          producer_name="make_contrib_quant_fixtures")
    m.ir_version = 8
    return m


def average_pool_cases(rng):
    U8, I8 = TensorProto.UINT8, TensorProto.INT8
    cases = [  # name suffix, type, X shape (NCHW order), attributes, params (x, y)
        ("u8_k3s2_pads", U8, [2, 3, 9, 9], dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]), [(0.05, 128), (0.04, 120)]),
        ("i8_k2_ceil_include_pad", I8, [1, 4, 7, 6], dict(kernel_shape=[2, 3], strides=[2, 2], pads=[1, 0, 1, 1], ceil_mode=1,
                                                          count_include_pad=1), [(0.02, -5), (0.015, 3)]),
        ("u8_nhwc", U8, [2, 5, 8, 8], dict(kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1], channels_last=1), [(0.1, 7), (0.09, 2)]),
        ("i8_1d_same_upper", I8, [2, 3, 11], dict(kernel_shape=[4], strides=[3], auto_pad="SAME_UPPER"), [(0.03, 0), (0.02, -10)]),
        ("u8_3d", U8, [1, 2, 5, 6, 7], dict(kernel_shape=[2, 3, 2], strides=[2, 1, 2], pads=[0, 1, 1, 1, 1, 0]), [(0.07, 100), (0.05, 90)]),
        ("u8_whole_image", U8, [2, 6, 5, 5], dict(kernel_shape=[5, 5]), [(0.05, 128), (0.03, 120)]),
        ("i8_nhwc_1d_valid", I8, [3, 4, 9], dict(kernel_shape=[3], strides=[2], auto_pad="VALID", channels_last=1), [(0.04, 2), (0.03, -2)]),
    ]
    for suffix, t, shape, attrs, params in cases:
        last = attrs.get("channels_last", 0)
        xshape = [shape[0]] + shape[2:] + [shape[1]] if last else shape
        m = one_node("QLinearAveragePool", ["x"], [xshape], t, params, None, **attrs)
        m.graph.output[0].type.tensor_type.ClearField("shape")  # ORT infers it
        yield f"qlinear_average_pool_{suffix}", m, [{"x": rand(rng, t, xshape)} for _ in range(2)]


def concat_cases(rng):
    U8, I8 = TensorProto.UINT8, TensorProto.INT8
    cases = [  # name suffix, type, axis, input shapes, params per input, output params
        ("u8_axis1_copy", U8, 1, [[2, 3, 4], [2, 5, 4], [2, 1, 4]], [(0.05, 128), (0.04, 120), (0.2, 3)], (0.04, 120)),
        ("i8_last", I8, -1, [[3, 2, 5], [3, 2, 7]], [(0.02, -5), (0.031, 9)], (0.025, 0)),
        ("u8_axis0", U8, 0, [[1, 6], [3, 6], [2, 6]], [(0.1, 0), (0.003, 250), (0.05, 128)], (0.06, 100)),
    ]
    for suffix, t, axis, shapes, params, yp in cases:
        inits, names = param("y", yp[0], yp[1], t)
        ins = []
        for i, (sh, (sc, zp)) in enumerate(zip(shapes, params)):
            ii, nn = param(f"x{i}", sc, zp, t)
            inits += ii
            names += [f"x{i}"] + nn
            ins.append((f"x{i}", t, sh))
        out_shape = list(shapes[0])
        out_shape[axis] = sum(sh[axis] for sh in shapes)
        node = helper.make_node("QLinearConcat", names, ["y"], domain="com.microsoft", axis=axis)
        m = node_model(node, ins, out_shape, t, inits)
        yield f"qlinear_concat_{suffix}", m, [{n: rand(rng, t, sh) for n, _, sh in ins} for _ in range(2)]


def softmax_cases(rng):
    U8, I8 = TensorProto.UINT8, TensorProto.INT8
    cases = [  # name suffix, type, X shape, attributes, params (x, y)
        ("u8_last", U8, [4, 10], dict(opset=13, axis=-1), [(0.1, 128), (1.0 / 256, 0)]),
        ("i8_last_saturate", I8, [3, 2, 16], dict(opset=13), [(0.05, 0), (1.0 / 256, -128)]),
        ("u8_axis1_opset13", U8, [2, 7, 3], dict(opset=13, axis=1), [(0.3, 10), (1.0 / 200, 3)]),
        ("i8_opset12_flatten", I8, [2, 3, 5], dict(opset=12, axis=1), [(0.02, 1), (1.0 / 256, -128)]),
        ("u8_wide_row", U8, [2, 300], dict(opset=13), [(0.1, 0), (1.0 / 256, 0)]),
    ]
    for suffix, t, shape, attrs, params in cases:
        m = one_node("QLinearSoftmax", ["x"], [shape], t, params, shape, **attrs)
        feeds = [{"x": rand(rng, t, shape)} for _ in range(2)]
        if suffix == "i8_last_saturate":  # a row with one dominant value: 256 / 256 saturates at 127
            feeds[0]["x"][0, 0, :] = -100
            feeds[0]["x"][0, 0, 3] = 127
        yield f"qlinear_softmax_{suffix}", m, feeds


def qgemm_cases(rng):
    U8, I8, I32 = TensorProto.UINT8, TensorProto.INT8, TensorProto.INT32
    cases = [  # name suffix, A type, B type, M, K, N, attributes, b params (per column if lists), bias shape, y params
        ("u8s8", U8, I8, 5, 12, 7, {}, (0.02, 0), [7], (0.3, 120)),
        ("u8s8_per_column_transb", U8, I8, 4, 9, 6, dict(transB=1), ([0.01, 0.02, 0.015, 0.03, 0.005, 0.012], [0] * 6), [1, 6], (0.25, 128)),
        ("u8u8_transa_alpha", U8, U8, 3, 8, 5, dict(transA=1, alpha=0.5), (0.03, 128), [3, 1], (0.2, 100)),
        ("s8s8_bias_mn", I8, I8, 4, 10, 3, {}, (0.02, 3), [4, 3], (0.15, -4)),
        ("u8s8_no_bias", U8, I8, 2, 16, 8, {}, (0.04, 0), None, (0.5, 130)),
        ("u8s8_float_output", U8, I8, 3, 6, 4, {}, (0.05, 0), [4], None),
    ]
    for suffix, ta, tb, M, K, N, attrs, bp, bias, yp in cases:
        a_shape = [K, M] if attrs.get("transA") else [M, K]
        b_shape = [N, K] if attrs.get("transB") else [K, N]
        b = rand(rng, tb, b_shape)
        c = rng.integers(-3000, 3000, size=bias).astype(np.int32) if bias is not None else None
        m = qgemm_model(ta, tb, a_shape, [M, N], attrs, 0.04, bp, b, c, yp)
        yield f"qgemm_{suffix}", m, [{"a": rand(rng, ta, a_shape)} for _ in range(2)]


def qgemm_model(ta, tb, a_shape, out_shape, attrs, a_scale, bp, b, c, yp):
    """A QGemm node model: A fed at run time, everything else an initializer (c: the bias or None;
    yp: the output's (scale, zero point), or None for a float output)."""
    inits = [numpy_helper.from_array(np.array(a_scale, np.float32), "a_scale"),
             numpy_helper.from_array(np.array(120 if ta == TensorProto.UINT8 else -2, NP[ta]), "a_zp"),
             numpy_helper.from_array(np.array(bp[0], np.float32), "b_scale"), numpy_helper.from_array(np.array(bp[1], NP[tb]), "b_zp"),
             numpy_helper.from_array(b, "b")]
    names = ["a", "a_scale", "a_zp", "b", "b_scale", "b_zp", "c" if c is not None else ""]
    if c is not None:
        inits.append(numpy_helper.from_array(c, "c"))
    out_type = TensorProto.FLOAT
    if yp is not None:
        inits += [numpy_helper.from_array(np.array(yp[0], np.float32), "y_scale"), numpy_helper.from_array(np.array(yp[1], NP[ta]), "y_zp")]
        names += ["y_scale", "y_zp"]
        out_type = ta
    while names[-1] == "":
        names.pop()
    node = helper.make_node("QGemm", names, ["y"], domain="com.microsoft", **attrs)
    return node_model(node, [("a", ta, a_shape)], out_shape, out_type, inits)


def qgemm_zero_k_reference(m, feeds):
    """QGemm with K = 0 (A [M, 0], B [0, N]): no products. ONNX Runtime's source handles it apart
    (contrib_ops/cpu/quantization/quant_gemm.cc, HandleZeroKCase): a quantized output is the bias
    alone as float32 C * a_scale * b_scale[0] (alpha and per-column b scales play no part), divided
    by y_scale, rounded half to even, plus y_zero_point, saturated; without a bias, y_zero_point.
    onnxruntime 1.32's binary lacks that path (its output there is uninitialised memory, different
    from run to run), so these references follow the source. A float output is the empty sum of
    the general case, float(C) * (alpha * a_scale) * b_scale[n] (the source writes bytes there)."""
    inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    node = m.graph.node[0]
    alpha = np.float32(next((a.f for a in node.attribute if a.name == "alpha"), 1.0))
    M = feeds["a"].shape[1] if any(a.name == "transA" and a.i for a in node.attribute) else feeds["a"].shape[0]
    b = inits["b"]
    N = b.shape[0] if any(a.name == "transB" and a.i for a in node.attribute) else b.shape[1]
    f32 = np.float32
    c = np.broadcast_to(inits["c"], (M, N)).astype(f32) if "c" in inits else None
    if "y_zp" not in inits:
        s = (alpha * f32(inits["a_scale"])) * np.broadcast_to(inits["b_scale"].astype(f32), (N,))
        return [(c if c is not None else np.zeros((M, N), f32)) * s]
    zp = inits["y_zp"]
    if c is None:
        return [np.full((M, N), zp, zp.dtype)]
    q = np.rint(((c * f32(inits["a_scale"])) * inits["b_scale"].astype(f32).reshape(-1)[0]) / f32(inits["y_scale"]))
    info = np.iinfo(zp.dtype)
    return [np.clip(q + int(zp), info.min, info.max).astype(zp.dtype)]


def qgemm_zero_k_cases(out):
    """QGemm with an empty inner dimension, written with qgemm_zero_k_reference's outputs."""
    U8, I8 = TensorProto.UINT8, TensorProto.INT8
    cases = [  # name suffix, A type, B type, M, N, attributes, a scale, b params, bias, y params
        # Exact binary scales: C * 0.5 * 0.5 / 0.5 is a tie for odd C (half to even), and large C saturate.
        ("u8s8_ties_saturate", U8, I8, 2, 4, {}, 0.5, (0.5, 0), [[1, 3, -5, 7], [1000, -1000, 254, 2]], (0.5, 128)),
        ("s8s8_per_column_alpha_transab", I8, I8, 3, 4, dict(transA=1, transB=1, alpha=2.0), 0.04,
         ([0.02, 0.03, 0.05, 0.07], [0, 0, 0, 0]), [[-300], [17], [2900]], (0.11, -3)),
        ("u8u8_no_bias", U8, U8, 3, 5, {}, 0.04, (0.03, 128), None, (0.2, 100)),
        ("u8s8_float_output", U8, I8, 2, 3, dict(alpha=0.5), 0.04, ([0.01, 0.02, 0.05], [0, 0, 0]), [[-40, 3, 2500]], None),
    ]
    for suffix, ta, tb, M, N, attrs, a_scale, bp, bias, yp in cases:
        a_shape = [0, M] if attrs.get("transA") else [M, 0]
        b_shape = [N, 0] if attrs.get("transB") else [0, N]
        c = np.array(bias, np.int32) if bias is not None else None
        m = qgemm_model(ta, tb, a_shape, [M, N], attrs, a_scale, bp, np.zeros(b_shape, NP[tb]), c, yp)
        name = f"qgemm_zero_k_{suffix}"
        write_folder(out, name, m, [{"a": np.zeros(a_shape, NP[ta])}], lambda feeds, m=m: qgemm_zero_k_reference(m, feeds))
        print(name)


def quantized_cnn(out, rng):
    """A small float CNN (Conv, Relu, AveragePool, two Conv branches joined by Concat, Gemm,
    Softmax) quantized by onnxruntime.quantization.quantize_static in QOperator format (uint8
    activations, int8 weights, per-channel weights): a model as ORT's tool writes it, using
    QLinearConv, QLinearAveragePool, QLinearConcat, QGemm and QLinearSoftmax."""
    import tempfile
    from onnxruntime import quantization as q
    F = TensorProto.FLOAT

    def w(name, *shape):
        return numpy_helper.from_array((rng.standard_normal(shape) * 0.3).astype(np.float32), name)

    nodes = [
        helper.make_node("Conv", ["input", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("AveragePool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "wa", "ba"], ["ca"]),
        helper.make_node("Conv", ["p1", "wb", "bb"], ["cb"], pads=[1, 1, 1, 1]),
        helper.make_node("Concat", ["ca", "cb"], ["cat"], axis=1),
        helper.make_node("AveragePool", ["cat"], ["p2"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Flatten", ["p2"], ["flat"]),
        helper.make_node("Gemm", ["flat", "wg", "bg"], ["logits"], transB=1),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=-1),
    ]
    inits = [w("w1", 8, 3, 3, 3), w("b1", 8), w("wa", 4, 8, 1, 1), w("ba", 4), w("wb", 6, 8, 3, 3), w("bb", 6),
             w("wg", 10, 160), w("bg", 10)]
    g = helper.make_graph(nodes, "qoperator_cnn", [helper.make_tensor_value_info("input", F, [2, 3, 16, 16])],
                          [helper.make_tensor_value_info("probs", F, [2, 10])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="make_contrib_quant_fixtures")
    m.ir_version = 8
    onnx.checker.check_model(m)

    class Reader(q.CalibrationDataReader):
        def __init__(self):
            self.batches = iter([{"input": rng.standard_normal((2, 3, 16, 16)).astype(np.float32)} for _ in range(8)])

        def get_next(self):
            return next(self.batches, None)

    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "float.onnx"), os.path.join(tmp, "q.onnx")
        onnx.save(m, src)
        q.quantize_static(src, dst, Reader(), quant_format=q.QuantFormat.QOperator, per_channel=True,
                          activation_type=q.QuantType.QUInt8, weight_type=q.QuantType.QInt8)
        qm = onnx.load(dst)
    ops = sorted({(n.domain + "." if n.domain else "") + n.op_type for n in qm.graph.node})
    for need in ("com.microsoft.QLinearAveragePool", "com.microsoft.QLinearConcat", "com.microsoft.QGemm", "com.microsoft.QLinearSoftmax"):
        assert need in ops, (need, ops)
    feeds = [{"input": rng.standard_normal((2, 3, 16, 16)).astype(np.float32)} for _ in range(3)]
    write_case(out, "qoperator_cnn", qm, feeds)
    # Campaign data (tests/fixtures/campaign/qoperator_cnn.npz): 32 samples labelled with ORT's
    # predictions, so the original is right on every one.
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(qm.SerializeToString(), so, providers=["CPUExecutionProvider"])
    x = rng.standard_normal((32, 3, 16, 16)).astype(np.float32)
    labels = np.concatenate([sess.run(None, {"input": x[i:i + 2]})[0].argmax(axis=1) for i in range(0, 32, 2)]).astype(np.int64)
    np.savez(os.path.join(out, "..", "campaign", "qoperator_cnn.npz"), input=x, labels=labels)
    return ops


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
    for gen in (binary_cases, lookup_cases, pool_cases, average_pool_cases, concat_cases, softmax_cases, qgemm_cases):
        for name, m, feeds in gen(rng):
            write_case(a.out, name, m, feeds)
            print(name)
    print("qoperator_cnn:", ", ".join(quantized_cnn(a.out, rng)))
    qgemm_zero_k_cases(a.out)
    bad_models(a.out)


if __name__ == "__main__":
    main()
