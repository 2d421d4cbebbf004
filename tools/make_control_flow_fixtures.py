#!/usr/bin/env python3
"""Writes tests/fixtures/control_flow/: small If/Loop/Scan models as ONNX backend-test folders
(model.onnx + test_data_set_*/input_*.pb, output_*.pb) whose outputs come from ONNX Runtime,
checked against ONNX's reference implementation (onnx.reference) where that implements the case
(it has no reversed Scan directions), plus models that must be refused or stopped (bad/*.onnx).
Unlike ONNX's own node tests, the inputs here are fed at run time, so the control-flow kernels run
inside the executors rather than being folded at load time, and the bodies read outer values.

Usage: python3 tools/make_control_flow_fixtures.py [--out tests/fixtures/control_flow]
Needs: onnx, onnxruntime, numpy (pip). Deterministic: fixed inputs, no randomness.
"""
import argparse
import os
import shutil

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator
import onnxruntime as ort

from backend_test_folder import write_folder

F, I64, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL


def vi(name, t, shape):
    return helper.make_tensor_value_info(name, t, shape)


def model(graph, opset=16):
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="make_control_flow_fixtures")
    m.ir_version = 8
    return m


def write_case(out, name, m, feeds_list):
    onnx.checker.check_model(m)
    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    try:
        ref = ReferenceEvaluator(m)
    except RuntimeError as e:  # a case the reference does not implement
        print(f"{name}: onnx.reference cannot run it ({e}); ONNX Runtime only")
        ref = None

    def run(feeds):
        res = sess.run(None, feeds)
        if ref is not None:
            # Values only: the reference concatenates Loop's scan outputs (np.vstack) where the
            # spec (and ONNX Runtime) stacks them along a new axis; same values, same order.
            try:
                expected = ref.run(None, feeds)
            except ValueError as e:  # its np.vstack of zero scan iterations
                print(f"{name}: onnx.reference cannot run these feeds ({e}); ONNX Runtime only")
                expected = None
            for a, b in zip(res, expected or []):
                np.testing.assert_allclose(np.ravel(a), np.ravel(b), rtol=1e-6, atol=1e-6)
        return res

    write_folder(out, name, m, feeds_list, run)


def loop_runtime():
    # y += x + i for i in 0..3 (M = 4 and cond = true are initializers; x is fed at run time and
    # read by the body from the outer scope); scan output: y after each iteration.
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("Cast", ["i"], ["i_f"], to=F),
         helper.make_node("Add", ["x", "i_f"], ["step"]),
         helper.make_node("Add", ["y_in", "step"], ["y_out"]),
         helper.make_node("Identity", ["y_out"], ["scan"])],
        "body", [vi("i", I64, []), vi("cond_in", B, []), vi("y_in", F, [2, 3])],
        [vi("cond_out", B, []), vi("y_out", F, [2, 3]), vi("scan", F, [2, 3])])
    g = helper.make_graph(
        [helper.make_node("Loop", ["M", "cond", "y0"], ["y", "ys"], body=body)],
        "loop_runtime", [vi("x", F, [2, 3]), vi("y0", F, [2, 3])], [vi("y", F, [2, 3]), vi("ys", F, [4, 2, 3])],
        [numpy_helper.from_array(np.array(4, np.int64), "M"), numpy_helper.from_array(np.array(True), "cond")])
    x = np.arange(6, dtype=np.float32).reshape(2, 3) / 4
    return model(g), [{"x": x, "y0": np.ones((2, 3), np.float32)}]


def loop_until():
    # A while loop: carried s doubles until it exceeds 100 (the condition is computed in the body;
    # M is a large constant). The iteration count depends on the input's value: no scan outputs.
    body = helper.make_graph(
        [helper.make_node("Mul", ["s_in", "two"], ["s_out"]),
         helper.make_node("ReduceMax", ["s_out"], ["mx"], keepdims=0),
         helper.make_node("Less", ["mx", "limit"], ["cond_out"])],
        "body", [vi("i", I64, []), vi("cond_in", B, []), vi("s_in", F, [3])], [vi("cond_out", B, []), vi("s_out", F, [3])],
        [numpy_helper.from_array(np.array(2, np.float32), "two"), numpy_helper.from_array(np.array(100, np.float32), "limit")])
    g = helper.make_graph(
        [helper.make_node("Loop", ["M", "cond", "s0"], ["s"], body=body)],
        "loop_until", [vi("s0", F, [3])], [vi("s", F, [3])],
        [numpy_helper.from_array(np.array(1000, np.int64), "M"), numpy_helper.from_array(np.array(True), "cond")])
    return model(g), [{"s0": np.array([1, 3, -2], np.float32)}, {"s0": np.array([0.5, 60, 7], np.float32)}]


def if_runtime():
    # The condition is fed at run time; both branches read x from the outer scope.
    then_g = helper.make_graph([helper.make_node("Mul", ["x", "two"], ["t"])], "then", [], [vi("t", F, [2, 2])],
                               [numpy_helper.from_array(np.array(2, np.float32), "two")])
    else_g = helper.make_graph([helper.make_node("Sub", ["x", "one"], ["e"])], "else", [], [vi("e", F, [2, 2])],
                               [numpy_helper.from_array(np.array(1, np.float32), "one")])
    g = helper.make_graph(
        [helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0),
         helper.make_node("Greater", ["s", "zero"], ["c"]),
         helper.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=else_g)],
        "if_runtime", [vi("x", F, [2, 2])], [vi("y", F, [2, 2])], [numpy_helper.from_array(np.array(0, np.float32), "zero")])
    return model(g), [{"x": np.array([[1, 2], [3, -1]], np.float32)}, {"x": np.array([[-1, 2], [-3, 1]], np.float32)}]


def scan_axes():
    # Running sums along axis 1 of x [2, 4, 3], walked backwards, stacked backwards along axis 1;
    # the body also scales by w from the outer scope.
    body = helper.make_graph(
        [helper.make_node("Mul", ["xs", "w"], ["wx"]),
         helper.make_node("Add", ["acc_in", "wx"], ["acc_out"]),
         helper.make_node("Identity", ["acc_out"], ["out"])],
        "body", [vi("acc_in", F, [2, 3]), vi("xs", F, [2, 3])], [vi("acc_out", F, [2, 3]), vi("out", F, [2, 3])])
    g = helper.make_graph(
        [helper.make_node("Scan", ["acc0", "x"], ["acc", "outs"], body=body, num_scan_inputs=1,
                          scan_input_axes=[1], scan_input_directions=[1], scan_output_axes=[-2], scan_output_directions=[1])],
        "scan_axes", [vi("acc0", F, [2, 3]), vi("x", F, [2, 4, 3]), vi("w", F, [3])], [vi("acc", F, [2, 3]), vi("outs", F, [2, 4, 3])])
    x = (np.arange(24, dtype=np.float32).reshape(2, 4, 3) - 7) / 3
    return model(g), [{"acc0": np.zeros((2, 3), np.float32), "x": x, "w": np.array([1, -0.5, 2], np.float32)}]


def nested():
    # If (fed) whose then-branch holds a Loop whose body reads x from two scopes out.
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("Add", ["v_in", "x"], ["v_out"])],
        "body", [vi("i", I64, []), vi("cond_in", B, []), vi("v_in", F, [2])], [vi("cond_out", B, []), vi("v_out", F, [2])])
    then_g = helper.make_graph([helper.make_node("Loop", ["M", "T", "x"], ["r"], body=body)], "then", [], [vi("r", F, [2])],
                               [numpy_helper.from_array(np.array(3, np.int64), "M"), numpy_helper.from_array(np.array(True), "T")])
    else_g = helper.make_graph([helper.make_node("Neg", ["x"], ["r2"])], "else", [], [vi("r2", F, [2])])
    g = helper.make_graph([helper.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=else_g)],
                          "nested", [vi("c", B, []), vi("x", F, [2])], [vi("y", F, [2])])
    x = np.array([1.5, -2], np.float32)
    return model(g), [{"c": np.array(True), "x": x}, {"c": np.array(False), "x": x}]


def bad_models(out):
    d = os.path.join(out, "bad")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)

    def save(name, g):
        onnx.save(model(g), os.path.join(d, name + ".onnx"))  # not checked: some are invalid on purpose

    # A loop whose condition never turns false and has no trip count.
    body = helper.make_graph([helper.make_node("Identity", ["cond_in"], ["cond_out"]),
                              helper.make_node("Add", ["v_in", "v_in"], ["v_out"])],
                             "body", [vi("i", I64, []), vi("cond_in", B, []), vi("v_in", F, [1])], [vi("cond_out", B, []), vi("v_out", F, [1])])
    # As a test folder with an input and no expected output (`mutiny conformance ... --max-loop-iterations`).
    forever = model(helper.make_graph([helper.make_node("Loop", ["", "cond", "v0"], ["v"], body=body)], "loop_forever",
                                      [vi("v0", F, [1])], [vi("v", F, [1])], [numpy_helper.from_array(np.array(True), "cond")]))
    f = os.path.join(d, "loop_forever")
    shutil.rmtree(f, ignore_errors=True)
    os.makedirs(os.path.join(f, "test_data_set_0"))
    onnx.save(forever, os.path.join(f, "model.onnx"))
    open(os.path.join(f, "test_data_set_0", "input_0.pb"), "wb").write(
        numpy_helper.from_array(np.array([1], np.float32), "v0").SerializeToString())
    # A body that reads a value nobody defines.
    body = helper.make_graph([helper.make_node("Identity", ["cond_in"], ["cond_out"]),
                              helper.make_node("Add", ["v_in", "nowhere"], ["v_out"])],
                             "body", [vi("i", I64, []), vi("cond_in", B, []), vi("v_in", F, [1])], [vi("cond_out", B, []), vi("v_out", F, [1])])
    save("body_undefined", helper.make_graph([helper.make_node("Loop", ["M", "", "v0"], ["v"], body=body)], "body_undefined",
                                             [vi("v0", F, [1])], [vi("v", F, [1])], [numpy_helper.from_array(np.array(2, np.int64), "M")]))
    # Branches of different dtypes under a run-time condition.
    then_g = helper.make_graph([helper.make_node("Identity", ["x"], ["t"])], "then", [], [vi("t", F, [2])])
    else_g = helper.make_graph([helper.make_node("Cast", ["x"], ["e"], to=I64)], "else", [], [vi("e", I64, [2])])
    save("if_dtypes", helper.make_graph([helper.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=else_g)], "if_dtypes",
                                        [vi("c", B, []), vi("x", F, [2])], [vi("y", F, [2])]))
    # A body with fewer inputs than the loop passes (iteration, condition, 1 carried value).
    body = helper.make_graph([helper.make_node("Identity", ["cond_in"], ["cond_out"])],
                             "body", [vi("cond_in", B, [])], [vi("cond_out", B, [])])
    save("body_inputs", helper.make_graph([helper.make_node("Loop", ["M", "", "v0"], ["v"], body=body)], "body_inputs",
                                          [vi("v0", F, [1])], [vi("v", F, [1])], [numpy_helper.from_array(np.array(2, np.int64), "M")]))


def if_shapes():
    # Branches of different shapes under a run-time condition: the output shape is known per run
    # (a data-dependent node), [2] in one data set and [4] in the other.
    then_g = helper.make_graph([helper.make_node("Identity", ["x"], ["t"])], "then", [], [vi("t", F, [2])])
    else_g = helper.make_graph([helper.make_node("Concat", ["x", "x"], ["e"], axis=0)], "else", [], [vi("e", F, [4])])
    g = helper.make_graph([helper.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=else_g)], "if_shapes",
                          [vi("c", B, []), vi("x", F, [2])], [vi("y", F, [None])])
    x = np.array([1.5, -2], np.float32)
    return model(g), [{"c": np.array(True), "x": x}, {"c": np.array(False), "x": x}]


def loop_count():
    # Scan outputs of a loop whose iteration count is fed at run time: their length is known per
    # run (3 in one data set, 0 and 5 in the others).
    body = helper.make_graph([helper.make_node("Identity", ["cond_in"], ["cond_out"]),
                              helper.make_node("Add", ["v_in", "one"], ["v_out"]), helper.make_node("Mul", ["v_in", "v_in"], ["s"])],
                             "body", [vi("i", I64, []), vi("cond_in", B, []), vi("v_in", F, [1])],
                             [vi("cond_out", B, []), vi("v_out", F, [1]), vi("s", F, [1])],
                             [numpy_helper.from_array(np.array([1], np.float32), "one")])
    g = helper.make_graph([helper.make_node("Loop", ["n", "", "v0"], ["v", "ss"], body=body)], "loop_count",
                          [vi("n", I64, []), vi("v0", F, [1])], [vi("v", F, [1]), vi("ss", F, [None, 1])])
    v0 = np.array([0.5], np.float32)
    return model(g), [{"n": np.array(3, np.int64), "v0": v0}, {"n": np.array(0, np.int64), "v0": v0}, {"n": np.array(5, np.int64), "v0": v0}]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "control_flow"))
    out = ap.parse_args().out
    for name, make in [("loop_runtime", loop_runtime), ("loop_until", loop_until), ("if_runtime", if_runtime),
                       ("scan_axes", scan_axes), ("nested", nested), ("if_shapes", if_shapes), ("loop_count", loop_count)]:
        m, feeds = make()
        write_case(out, name, m, feeds)
    bad_models(out)
    print("wrote", out, "(onnx", onnx.__version__ + ", onnxruntime", ort.__version__ + ", numpy", np.__version__ + ")")


if __name__ == "__main__":
    main()
