#!/usr/bin/env python3
"""ONNX Runtime's view of Mutiny's ONNX writer (`mutiny convert MODEL OUT.onnx`, io/onnx_export.hpp).

For each model: Mutiny writes it as ONNX; onnx.checker checks the file; ONNX Runtime loads and runs it;
its first output must be within 1e-5 (|d| <= 1e-5 * max(1, |x|)) of Mutiny's own run of the original
model (`mutiny run`, which imports it) on the same input, or ("ok*") no further from it than ONNX
Runtime's run of the original model is (a quantized model's rounding boundaries). Models: the shipped ones (models/*.onnx,
random inputs in [0, 1)), the shared data's small models and backend test folders (their stored
inputs), the control-flow and com.microsoft fixtures (subgraphs, other domains) and two light
ImageNet models. Prints one line per model and a summary; exits 1 when one
fails. The bitwise check (import -> export -> import runs as the original) is ctest's
unit.onnx_export and data.onnx_export_models.

    python3 tools/check_onnx_export.py build/bin/mutiny [--shared ../shared/data] [--limit N]
"""
import argparse
import csv
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper


def mutiny_first_output(cli, model, data):
    """Mutiny's first output for the one sample of `data` (a data spec), from `mutiny run`."""
    r = subprocess.run([cli, "run", model, "--data", data, "--out", "-"], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("mutiny run: " + r.stderr.strip())
    rows = list(csv.reader(r.stdout.splitlines()))
    return np.array([float(v) for v in rows[1][3:]], dtype=np.float64)


def check(cli, model, feeds, data, tmp):
    out = os.path.join(tmp, "exported.onnx")
    r = subprocess.run([cli, "convert", model, "--out", out, "--force"], capture_output=True, text=True)
    if r.returncode != 0:
        return "refused", r.stderr.strip()
    note = ""
    try:
        onnx.checker.check_model(onnx.load(out))
    except onnx.checker.ValidationError as e:
        # An output whose shape follows the data has no rank in Mutiny's IR, so none is written;
        # the checker wants one, ONNX Runtime does not.
        note = "; checker: " + str(e).splitlines()[0][:80]
    want = mutiny_first_output(cli, model, data)
    got = ort_first_output(out, feeds)
    if got.shape != want.shape:
        return "FAIL", "output sizes %s vs %s" % (got.shape, want.shape)
    d = differences(got, want)
    if np.all(d <= 1e-5 * np.maximum(1.0, np.abs(want))):
        return "ok", "%d values, max |d| %.3g%s" % (got.size, float(np.max(d)) if d.size else 0.0, note)
    # ONNX Runtime and Mutiny may disagree on the original model too (a quantized model's rounding
    # boundaries): the written file must not disagree more than the original does.
    try:
        d0 = differences(ort_first_output(model, feeds), want)
    except Exception:  # noqa: BLE001 -- ORT cannot run the original
        d0 = None
    if d0 is not None and np.max(d) <= np.max(d0):
        return "ok*", "max |d| %.3g; ONNX Runtime on the original differs from Mutiny by %.3g%s" % (np.max(d), np.max(d0), note)
    return "FAIL", "max |d| %.3g%s%s" % (np.max(d), "" if d0 is None else "; on the original %.3g" % np.max(d0), note)


def ort_first_output(path, feeds):
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    inits = {i.name for i in onnx.load(path).graph.initializer}
    names = [n for n in names if n not in inits]
    return sess.run(None, dict(zip(names, feeds)))[0].astype(np.float64).ravel()


def differences(got, want):
    """|got - want|, 0 where both are NaN or the same infinity, NaN where only one is NaN."""
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    with np.errstate(invalid="ignore"):
        return np.where(same, 0.0, np.abs(got - want))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cli")
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))
    ap.add_argument("--limit", type=int, default=0, help="at most N backend test folders per suite (0: all)")
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    cases = []  # (name, model, feeds, data spec)
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
        for model in sorted(glob.glob(os.path.join(root, "models", "*.onnx"))) + [
                os.path.join(a.shared, "models", "opt-mnist.onnx"), os.path.join(a.shared, "models", "mnist_pytorch_mlp_bn.onnx"),
                os.path.join(a.shared, "onnx", "light", "light_squeezenet.onnx"), os.path.join(a.shared, "onnx", "light", "light_shufflenet.onnx")]:
            if not os.path.exists(model):
                continue
            g = onnx.load(model).graph
            inits = {i.name for i in g.initializer}
            inp = [i for i in g.input if i.name not in inits][0]  # IR 3 lists initializers as inputs
            dims = [d.dim_value if d.dim_value > 0 else 1 for d in inp.type.tensor_type.shape.dim]
            x = rng.random(dims, dtype=np.float32)
            npy = os.path.join(tmp, os.path.basename(model) + ".npy")
            np.save(npy, x.reshape([1] + dims[1:]))
            cases.append((os.path.relpath(model, root), model, [x], "npy:" + npy))
        suites = [os.path.join(a.shared, s) for s in ["models/mnist-8", "onnx/node/*", "onnx/pytorch-converted/*"]]
        suites += [os.path.join(root, "tests", "fixtures", s) for s in ["control_flow/*", "contrib_quant/*"]]
        for suite in suites:
            dirs = sorted(d for d in glob.glob(suite) if os.path.exists(os.path.join(d, "model.onnx")))
            if a.limit:
                dirs = dirs[:a.limit]
            for d in dirs:
                s = os.path.join(d, "test_data_set_0")
                files = sorted(glob.glob(os.path.join(s, "input_*.pb")), key=lambda f: int(f.rsplit("_", 1)[1][:-3]))
                feeds = [numpy_helper.to_array(onnx.load_tensor(f)) for f in files]
                cases.append((os.path.relpath(d, a.shared if d.startswith(a.shared) else root), os.path.join(d, "model.onnx"), feeds, s))
        counts = {}
        for name, model, feeds, data in cases:
            try:
                status, detail = check(a.cli, model, feeds, data, tmp)
            except Exception as e:  # noqa: BLE001 -- a model Mutiny cannot run, or ORT refuses
                status, detail = ("skip" if "mutiny run" in str(e) else "FAIL"), str(e).splitlines()[0][:200]
            counts[status] = counts.get(status, 0) + 1
            print("%-6s %s: %s" % (status, name, detail))
        print(", ".join("%d %s" % (v, k) for k, v in sorted(counts.items())))
        return 1 if counts.get("FAIL") else 0


if __name__ == "__main__":
    sys.exit(main())
