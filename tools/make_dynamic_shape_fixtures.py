#!/usr/bin/env python3
"""Writes tests/fixtures/dynamic_shapes/: models whose inputs have symbolic dimensions other than
the batch (a sequence length), as ONNX backend-test folders whose data sets use different sizes,
with ONNX Runtime's outputs. The shape arithmetic inside (Shape -> Gather -> Mul -> Concat ->
Reshape) depends on those sizes, so the executors must re-plan per input shapes; data_dependent's
output shapes depend on the input values themselves (NonZero, Unique, TopK with a computed K,
Compress), so the CPU executor infers those nodes per run; masked_cnn has such nodes between its
layers and a static [batch, classes] output (a campaign subject, with
tests/fixtures/campaign/masked_cnn.npz).

Usage: python3 tools/make_dynamic_shape_fixtures.py [--out tests/fixtures/dynamic_shapes]
Needs: onnx, onnxruntime, numpy (pip). Deterministic (seeded).
"""
import argparse
import os
import shutil

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

F, I64 = TensorProto.FLOAT, TensorProto.INT64


def const(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


def seq_reshape():
    # x [batch, seq, 4] -> rows [batch*seq, 4] @ W [4, 3] -> [batch, seq, 3] -> softmax -> mean over seq.
    rng = np.random.default_rng(7)
    nodes = [
        helper.make_node("Shape", ["x"], ["shp"]),
        helper.make_node("Gather", ["shp", "i0"], ["b"], axis=0),
        helper.make_node("Gather", ["shp", "i1"], ["s"], axis=0),
        helper.make_node("Mul", ["b", "s"], ["bs"]),
        helper.make_node("Unsqueeze", ["bs", "ax0"], ["bs1"]),
        helper.make_node("Concat", ["bs1", "four"], ["rows_shape"], axis=0),
        helper.make_node("Reshape", ["x", "rows_shape"], ["rows"]),
        helper.make_node("MatMul", ["rows", "W"], ["proj"]),
        helper.make_node("Unsqueeze", ["b", "ax0"], ["b1"]),
        helper.make_node("Unsqueeze", ["s", "ax0"], ["s1"]),
        helper.make_node("Concat", ["b1", "s1", "three"], ["back_shape"], axis=0),
        helper.make_node("Reshape", ["proj", "back_shape"], ["y3"]),
        helper.make_node("Softmax", ["y3"], ["p"], axis=-1),
        helper.make_node("ReduceMean", ["p", "ax1"], ["y"], keepdims=0),
    ]
    g = helper.make_graph(
        nodes, "seq_reshape",
        [helper.make_tensor_value_info("x", F, ["batch", "seq", 4])],
        [helper.make_tensor_value_info("y", F, ["batch", 3])],
        [const("i0", np.array(0, np.int64)), const("i1", np.array(1, np.int64)), const("ax0", np.array([0], np.int64)),
         const("ax1", np.array([1], np.int64)), const("four", np.array([4], np.int64)), const("three", np.array([3], np.int64)),
         const("W", rng.standard_normal((4, 3)).astype(np.float32))])
    feeds = [{"x": rng.standard_normal(s).astype(np.float32)} for s in [(2, 3, 4), (1, 5, 4), (3, 1, 4), (2, 3, 4)]]
    return g, feeds


def image_size():
    # x [batch, 3, height, width] -> Conv 3x3 pad 1 -> Relu -> MaxPool 2x2 -> GlobalAveragePool ->
    # Flatten -> Gemm: a CNN that takes any image size (convolution geometry re-planned per size).
    rng = np.random.default_rng(11)
    nodes = [
        helper.make_node("Conv", ["x", "Wc", "Bc"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("MaxPool", ["r"], ["m"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("GlobalAveragePool", ["m"], ["g"]),
        helper.make_node("Flatten", ["g"], ["f"]),
        helper.make_node("Gemm", ["f", "Wg", "Bg"], ["y"], transB=1),
    ]
    g = helper.make_graph(
        nodes, "image_size",
        [helper.make_tensor_value_info("x", F, ["batch", 3, "height", "width"])],
        [helper.make_tensor_value_info("y", F, ["batch", 5])],
        [const("Wc", rng.standard_normal((8, 3, 3, 3)).astype(np.float32)), const("Bc", rng.standard_normal(8).astype(np.float32)),
         const("Wg", rng.standard_normal((5, 8)).astype(np.float32)), const("Bg", rng.standard_normal(5).astype(np.float32))])
    feeds = [{"x": rng.standard_normal(s).astype(np.float32)} for s in [(2, 3, 16, 16), (1, 3, 9, 23), (2, 3, 32, 8), (2, 3, 16, 16)]]
    return g, feeds


def data_dependent():
    # Ops whose output shapes follow run-time values, fed from a Gemm layer: the activations above
    # 0.5 (NonZero -> GatherND), their sum, the distinct rounded inputs (Unique), the top K of each
    # row with K counted from the data (TopK), and the rows with a positive sum (Compress).
    rng = np.random.default_rng(13)
    nodes = [
        helper.make_node("Gemm", ["x", "W", "B"], ["h"]),
        helper.make_node("Relu", ["h"], ["r"]),
        helper.make_node("Greater", ["r", "half"], ["mask"]),
        helper.make_node("NonZero", ["mask"], ["nz"]),
        helper.make_node("Transpose", ["nz"], ["idx"]),
        helper.make_node("GatherND", ["r", "idx"], ["vals"]),
        helper.make_node("ReduceSum", ["vals"], ["total"], keepdims=0),
        helper.make_node("Mul", ["x", "two"], ["x2"]),
        helper.make_node("Round", ["x2"], ["xr"]),
        helper.make_node("Unique", ["xr"], ["uniq", "uidx", "uinv", "ucount"], sorted=1),
        helper.make_node("Gather", ["x", "zero"], ["row0"], axis=0),
        helper.make_node("Greater", ["row0", "zerof"], ["pos0"]),
        helper.make_node("Cast", ["pos0"], ["pos0i"], to=I64),
        helper.make_node("ReduceSum", ["pos0i", "axis0"], ["k"], keepdims=1),
        helper.make_node("TopK", ["x", "k"], ["topv", "topi"], axis=1),
        helper.make_node("ReduceSum", ["x", "axis1"], ["rowsum"], keepdims=0),
        helper.make_node("Greater", ["rowsum", "zerof"], ["keep"]),
        helper.make_node("Compress", ["x", "keep"], ["rows"], axis=0),
    ]
    g = helper.make_graph(
        nodes, "data_dependent",
        [helper.make_tensor_value_info("x", F, ["batch", 6])],
        [helper.make_tensor_value_info("vals", F, [None]), helper.make_tensor_value_info("total", F, []),
         helper.make_tensor_value_info("uniq", F, [None]), helper.make_tensor_value_info("ucount", I64, [None]),
         helper.make_tensor_value_info("topv", F, ["batch", None]), helper.make_tensor_value_info("topi", I64, ["batch", None]),
         helper.make_tensor_value_info("rows", F, [None, 6])],
        [const("W", rng.standard_normal((6, 8)).astype(np.float32)), const("B", rng.standard_normal(8).astype(np.float32)),
         const("half", np.array(0.5, np.float32)), const("two", np.array(2, np.float32)), const("zero", np.array(0, np.int64)),
         const("zerof", np.array(0, np.float32)), const("axis0", np.array([0], np.int64)), const("axis1", np.array([1], np.int64))])
    feeds = [{"x": rng.standard_normal(s).astype(np.float32)} for s in [(3, 6), (1, 6), (4, 6), (3, 6)]]
    return g, feeds


def masked_cnn():
    # A small CNN whose logits pass through a data-dependent masking before the output: the
    # positive logits are found with NonZero (their count follows the data), gathered and
    # scattered back over the other logits scaled by 0.25. The output is [batch, 5] whatever the
    # count, so campaigns run on it: the Conv and Gemm stay planned (on OpenCL: on the device),
    # the masking runs per run (on OpenCL: on the host).
    rng = np.random.default_rng(29)
    nodes = [
        helper.make_node("Conv", ["x", "Wc", "Bc"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("MaxPool", ["r"], ["m"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["m"], ["f"]),
        helper.make_node("Gemm", ["f", "Wg", "Bg"], ["logits"], transB=1),
        helper.make_node("Greater", ["logits", "zerof"], ["pos"]),
        helper.make_node("NonZero", ["pos"], ["nz"]),
        helper.make_node("Transpose", ["nz"], ["idx"]),
        helper.make_node("GatherND", ["logits", "idx"], ["kept"]),
        helper.make_node("Mul", ["logits", "quarter"], ["scaled"]),
        helper.make_node("ScatterND", ["scaled", "idx", "kept"], ["y"]),
    ]
    g = helper.make_graph(
        nodes, "masked_cnn",
        [helper.make_tensor_value_info("x", F, ["batch", 1, 8, 8])],
        [helper.make_tensor_value_info("y", F, ["batch", 5])],
        [const("Wc", rng.standard_normal((4, 1, 3, 3)).astype(np.float32)), const("Bc", rng.standard_normal(4).astype(np.float32) * 0.1),
         const("Wg", (rng.standard_normal((5, 64)) * 0.3).astype(np.float32)), const("Bg", rng.standard_normal(5).astype(np.float32) * 0.1),
         const("zerof", np.array(0, np.float32)), const("quarter", np.array(0.25, np.float32))])
    feeds = [{"x": rng.standard_normal(s).astype(np.float32)} for s in [(3, 1, 8, 8), (1, 1, 8, 8), (4, 1, 8, 8)]]
    return g, feeds


def write(out, name, g, feeds):
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)], producer_name="make_dynamic_shape_fixtures")
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    d = os.path.join(out, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    onnx.save(m, os.path.join(d, "model.onnx"))
    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    for k, f in enumerate(feeds):
        s = os.path.join(d, f"test_data_set_{k}")
        os.makedirs(s)
        for i, inp in enumerate(m.graph.input):
            open(os.path.join(s, f"input_{i}.pb"), "wb").write(numpy_helper.from_array(f[inp.name], inp.name).SerializeToString())
        for i, (o, r) in enumerate(zip(m.graph.output, sess.run(None, f))):
            open(os.path.join(s, f"output_{i}.pb"), "wb").write(numpy_helper.from_array(r, o.name).SerializeToString())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "dynamic_shapes"))
    out = ap.parse_args().out
    g, feeds = seq_reshape()
    write(out, "seq_reshape", g, feeds)
    g, feeds = image_size()
    write(out, "image_size", g, feeds)
    g, feeds = data_dependent()
    write(out, "data_dependent", g, feeds)
    # The first data set's inputs as an array, for `mutiny run --data npy:` (tests/cli).
    np.save(os.path.join(out, "data_dependent", "x.npy"), feeds[0]["x"])
    g, feeds = masked_cnn()
    write(out, "masked_cnn", g, feeds)
    # Campaign data (tests/fixtures/campaign/masked_cnn.npz): 40 images labelled with ONNX Runtime's
    # predictions, but every fifth label moved to the next class, so the original misses some.
    x = np.random.default_rng(19).standard_normal((40, 1, 8, 8)).astype(np.float32)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)])
    m.ir_version = 8
    pred = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0].argmax(axis=1)
    labels = np.where(np.arange(40) % 5 == 4, (pred + 1) % 5, pred).astype(np.int64)
    np.savez(os.path.join(out, "..", "campaign", "masked_cnn.npz"), x=x, labels=labels)
    # The same network whose output is the kept logits themselves ([count]): not [batch, classes],
    # which a campaign finds from its first run and refuses (tests/cli).
    del g.output[:]
    g.output.extend([helper.make_tensor_value_info("kept", F, [None])])
    kept = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)], producer_name="make_dynamic_shape_fixtures")
    kept.ir_version = 8
    onnx.checker.check_model(kept, full_check=True)
    onnx.save(kept, os.path.join(out, "masked_cnn_kept.onnx"))
    print("wrote", out, "(onnx", onnx.__version__ + ", onnxruntime", ort.__version__ + ")")


if __name__ == "__main__":
    main()
