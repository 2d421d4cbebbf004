#!/usr/bin/env python3
"""Writes the .npy/.npz fixtures of tests/unit/test_npy*.cpp and tests/cli (tests/fixtures/npy/), with
NumPy itself, so the reader is checked against files it did not write, plus a tiny two-input text
classifier (two_input.onnx, made with onnx's helper API) and its logits computed by NumPy.

    python3 tools/make_npy_fixtures.py [--out tests/fixtures/npy]

Deterministic: fixed values and seeds; rerunning rewrites identical files (numpy 2.x, onnx 1.2x).

Files:
  <dtype>[_be].npy        one array per dtype (f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1), shape (3, 2), holding
                          that dtype's extremes; _be: stored big-endian
  v2.npy, v3.npy          f4 (2, 3) written with header versions 2.0 and 3.0
  fortran.npy             i4 (2, 3) in Fortran order
  scalar.npy              a 0-d array (no sample axis)
  features.npy            f4 (6, 4); labels.npy: i8 (6,); labels5.npy: i8 (5,)
  text.npz                stored (np.savez): input_ids i8 (24, 4), attention_mask i8 (24, 4), labels i8 (24,),
                          topic i8 (24,) (labels 0..9, beyond the model's 3 classes)
  text_deflated.npz       the same arrays, deflated (np.savez_compressed), names ids, mask, y
  text_logits.npy         f4 (24, 3): two_input.onnx's logits on text.npz, computed by NumPy in float64
  two_input.onnx          input_ids, attention_mask int64 [N, 4] -> logits float32 [N, 3]:
                          Gather(embedding 10x2) * mask, summed over tokens, Gemm 2x8, Relu, Gemm 8x3
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

DTYPES = ["f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "b1"]


def extremes(code):
    """Six values of the dtype: its extremes and a few ordinary ones."""
    dt = np.dtype(code)
    if dt.kind == "b":
        return np.array([True, False, True, True, False, False], dtype=dt)
    if dt.kind == "f":
        fi = np.finfo(dt)
        return np.array([fi.min, fi.max, fi.tiny, -0.0, 1.5, -2.25], dtype=dt)
    ii = np.iinfo(dt)
    return np.array([ii.min, ii.max, 0, 1, ii.max // 3, ii.min // 5 if ii.min else 7], dtype=dt)


def text_model():
    rng = np.random.default_rng(7)
    emb = rng.standard_normal((10, 2)).astype(np.float32)
    w1 = rng.standard_normal((2, 8)).astype(np.float32)
    b1 = rng.standard_normal(8).astype(np.float32)
    w2 = rng.standard_normal((8, 3)).astype(np.float32)
    b2 = rng.standard_normal(3).astype(np.float32)
    nodes = [
        helper.make_node("Gather", ["emb", "input_ids"], ["e"], axis=0, name="embed"),
        helper.make_node("Cast", ["attention_mask"], ["m"], to=TensorProto.FLOAT, name="mask_float"),
        helper.make_node("Unsqueeze", ["m", "axis2"], ["m3"], name="mask_3d"),
        helper.make_node("Mul", ["e", "m3"], ["em"], name="masked"),
        helper.make_node("ReduceSum", ["em", "axis1"], ["pooled"], keepdims=0, name="pool"),
        helper.make_node("Gemm", ["pooled", "w1", "b1"], ["h"], name="fc1"),
        helper.make_node("Relu", ["h"], ["hr"], name="relu"),
        helper.make_node("Gemm", ["hr", "w2", "b2"], ["logits"], name="fc2"),
    ]
    inits = [numpy_helper.from_array(a, n) for n, a in
             [("emb", emb), ("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2),
              ("axis2", np.array([2], np.int64)), ("axis1", np.array([1], np.int64))]]
    graph = helper.make_graph(
        nodes, "two_input",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["N", 4]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["N", 4])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 3])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="make_npy_fixtures")
    onnx.checker.check_model(model)

    def logits(ids, mask):
        e = emb.astype(np.float64)[ids] * mask[:, :, None]
        h = np.maximum(e.sum(axis=1) @ w1 + b1, 0)
        return (h @ w2 + b2).astype(np.float32)
    return model, logits


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "npy"))
    out = ap.parse_args().out
    os.makedirs(out, exist_ok=True)
    p = lambda name: os.path.join(out, name)

    for code in DTYPES:
        a = extremes(code).reshape(3, 2)
        np.save(p(code + ".npy"), a)
        if a.dtype.itemsize > 1:
            np.save(p(code + "_be.npy"), a.astype(a.dtype.newbyteorder(">")))
    v = (np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5) / 4
    for ver in [(2, 0), (3, 0)]:
        with open(p("v%d.npy" % ver[0]), "wb") as f:
            np.lib.format.write_array(f, v, version=ver)
    np.save(p("fortran.npy"), np.asfortranarray(np.arange(6, dtype=np.int32).reshape(2, 3)))
    np.save(p("scalar.npy"), np.array(3.0, dtype=np.float32))
    np.save(p("features.npy"), (np.arange(24, dtype=np.float32).reshape(6, 4) - 10) / 8)
    np.save(p("labels.npy"), np.array([0, 1, 2, 1, 0, 2], dtype=np.int64))
    np.save(p("labels5.npy"), np.array([0, 1, 2, 1, 0], dtype=np.int64))

    model, logits = text_model()
    onnx.save(model, p("two_input.onnx"))
    rng = np.random.default_rng(11)
    ids = rng.integers(0, 10, size=(24, 4), dtype=np.int64)
    mask = (rng.random((24, 4)) < 0.75).astype(np.int64)
    mask[:, 0] = 1
    y = logits(ids, mask)
    labels = y.argmax(axis=1).astype(np.int64)
    labels[::5] = (labels[::5] + 1) % 3  # some wrong, so accuracy is not 1
    topic = (np.arange(24, dtype=np.int64) * 7) % 10
    np.savez(p("text.npz"), input_ids=ids, attention_mask=mask, labels=labels, topic=topic)
    np.savez_compressed(p("text_deflated.npz"), ids=ids, mask=mask, y=labels)
    np.save(p("text_logits.npy"), y)


if __name__ == "__main__":
    main()
