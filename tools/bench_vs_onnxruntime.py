#!/usr/bin/env python3
"""Mutiny vs ONNX Runtime, side by side in one run, both at the same thread count.

For each (model, batch) row: the same ONNX file is timed by ONNX Runtime (Python, CPU EP,
intra_op_num_threads=T, inter_op=1, sequential) and by Mutiny's bench_inference, alternating
engines in rounds so machine noise hits both alike. The "light" ImageNet models carry
ConstantOfShape(0.02) weights; both engines get the same seeded random weights instead
(numpy, seed 7, N(0, 1/fan_in)), written to a temporary ONNX file with a symbolic batch.

usage: tools/bench_vs_onnxruntime.py [--bench build/bench/bench_inference] [--threads 2]
                                     [--iters 20] [--rounds 3] [--markdown]
Needs pip's onnx, onnxruntime and numpy; not used by the library or its tests.
"""
import argparse, json, os, platform, subprocess, sys, tempfile, time

import numpy as np
import onnx
from onnx import numpy_helper
import onnxruntime as ort

SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")


def seeded_light_model(src, dst, seed=7):
    """Replace every ConstantOfShape weight by a seeded random initializer; make batch symbolic."""
    m = onnx.load(src)
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    rng = np.random.default_rng(seed)
    keep_nodes, new_inits = [], []
    for n in g.node:
        if n.op_type == "ConstantOfShape" and n.input[0] in inits:
            shape = tuple(int(d) for d in numpy_helper.to_array(inits[n.input[0]]))
            fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
            if len(shape) == 1:  # biases, BN params: positive around 1 for BN scales/vars
                arr = (0.5 + rng.random(shape)).astype(np.float32)
            else:
                arr = (rng.standard_normal(shape) / np.sqrt(max(fan_in, 1))).astype(np.float32)
            new_inits.append(numpy_helper.from_array(arr, n.output[0]))
        else:
            keep_nodes.append(n)
    shape_inputs = {n.input[0] for n in g.node if n.op_type == "ConstantOfShape"}
    del g.node[:]
    g.node.extend(keep_nodes)
    # Keep only initializers some node reads: the `*__SHAPE` ones fed only the dropped
    # ConstantOfShape nodes, and light_resnet50 carries one that nothing reads at all.
    consumed = {x for n in g.node for x in n.input}
    kept = [i for i in g.initializer if i.name in consumed and i.name not in shape_inputs]
    del g.initializer[:]
    g.initializer.extend(kept + new_inits)
    init_names = {i.name for i in g.initializer} | shape_inputs | {i.name for i in m.graph.input if i.name not in consumed}
    real_inputs = [i for i in g.input if i.name not in init_names]
    del g.input[:]
    g.input.extend(real_inputs)
    # The light models are IR 3, where every initializer must also be a graph input (ONNX Runtime
    # refuses an IR-3 initializer that no input declares). Initializers are weights here, not
    # inputs: IR 4 lets them stand alone, so both engines treat them as constants.
    m.ir_version = max(m.ir_version, 4)
    for i in g.input:
        i.type.tensor_type.shape.dim[0].dim_param = "N"
    for o in g.output:
        if o.type.tensor_type.shape.dim:
            o.type.tensor_type.shape.dim[0].dim_param = "N"
    # Reshape targets with a literal batch of 1 would pin the batch: use 0 (copy) instead.
    for init in g.initializer:
        for n in g.node:
            if n.op_type == "Reshape" and len(n.input) > 1 and n.input[1] == init.name:
                a = numpy_helper.to_array(init).copy()
                if a.size and a[0] == 1:
                    a[0] = 0
                    init.CopyFrom(numpy_helper.from_array(a.astype(np.int64), init.name))
    onnx.save(m, dst)


def batchable_mnist(src, dst):
    """mnist-8 pins batch 1 (input and a Reshape to [1,256]); make both batch-agnostic."""
    m = onnx.load(src)
    g = m.graph
    del g.value_info[:]  # intermediate shapes recorded at batch 1 (ONNX Runtime warns on every run)
    for i in list(g.input) + list(g.output):
        if i.type.tensor_type.shape.dim:
            i.type.tensor_type.shape.dim[0].dim_param = "N"
    for init in g.initializer:
        if init.data_type == onnx.TensorProto.INT64:
            a = numpy_helper.to_array(init).copy()
            if a.ndim == 1 and a.size == 2 and a[0] == 1:
                a[0] = -1
                init.CopyFrom(numpy_helper.from_array(a, init.name))
    onnx.save(m, dst)


def time_ort(path, batch, threads, warmup, iters):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    feeds = {}
    rng = np.random.default_rng(42)
    for i in sess.get_inputs():
        shape = [batch if not isinstance(d, int) else d for d in i.shape]
        feeds[i.name] = rng.random(shape, dtype=np.float32)
    for _ in range(warmup):
        sess.run(None, feeds)
    ts = []
    for _ in range(iters):
        t0 = time.perf_counter()
        sess.run(None, feeds)
        ts.append((time.perf_counter() - t0) * 1000)
    return ts


def time_mutiny(bench, path, batch, threads, warmup, iters, save_io=None):
    cmd = [bench, path, "--batch", str(batch), "--threads", str(threads), "--warmup", str(warmup), "--iters", str(iters), "--json"]
    if save_io:
        cmd += ["--save-io", save_io]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    return r


def output_difference(path, prefix, threads):
    """ONNX Runtime on the input Mutiny ran (prefix.input.f32), against Mutiny's output
    (prefix.output.f32): (max |difference|, that over max |ONNX Runtime output|)."""
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    x = np.fromfile(prefix + ".input.f32", dtype=np.float32)
    shape = [d if isinstance(d, int) else -1 for d in inp.shape]
    x = x.reshape(shape)
    want = sess.run(None, {inp.name: x})[0].astype(np.float64)
    got = np.fromfile(prefix + ".output.f32", dtype=np.float32).astype(np.float64).reshape(want.shape)
    d = float(np.max(np.abs(got - want)))
    return d, d / max(float(np.max(np.abs(want))), 1e-30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", default="build/bench/bench_inference")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="mutiny_bench_")
    rows = []
    mnist = os.path.join(tmp, "mnist-8.onnx")
    batchable_mnist(os.path.join(SHARED, "models", "mnist-8", "model.onnx"), mnist)
    rows += [("mnist-8", mnist, 1), ("mnist-8", mnist, 64)]
    for name in ["light_squeezenet", "light_resnet50", "light_bvlc_alexnet", "light_densenet121", "light_vgg19"]:
        dst = os.path.join(tmp, name + ".onnx")
        seeded_light_model(os.path.join(SHARED, "onnx", "light", name + ".onnx"), dst)
        rows += [(name, dst, 1), (name, dst, 8)]
    if args.only:
        rows = [r for r in rows if args.only in r[0]]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    isa = subprocess.run([args.bench, "--isa"], capture_output=True, text=True).stdout.strip() or "?"
    print(f"# Mutiny vs ONNX Runtime {ort.__version__} | {cpu} | {os.cpu_count()} cores | threads {args.threads} | "
          f"commit {commit} | Mutiny's instruction set {isa} | load average {os.getloadavg()[0]:.2f} | "
          f"{args.rounds} rounds x {args.iters} iters, medians over all")
    print("| model | batch | ONNX Runtime median ms (IQR) | Mutiny median ms (IQR) | Mutiny / ORT | max abs diff | max diff / max abs |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, path, batch in rows:
        o_all, m_all = [], []
        prefix = os.path.join(tmp, f"{name}_b{batch}")
        for k in range(args.rounds):
            o_all += time_ort(path, batch, args.threads, args.warmup, args.iters)
            r = time_mutiny(args.bench, path, batch, args.threads, args.warmup, args.iters, prefix if k == 0 else None)
            m_all.append(r)
        diff, rel = output_difference(path, prefix, args.threads)
        o = np.array(o_all)
        m_med = float(np.median([r["median_ms"] for r in m_all]))
        m_q1 = float(np.median([r["q1_ms"] for r in m_all]))
        m_q3 = float(np.median([r["q3_ms"] for r in m_all]))
        o_med, o_q1, o_q3 = float(np.median(o)), float(np.percentile(o, 25)), float(np.percentile(o, 75))
        print(f"| {name} | {batch} | {o_med:.3f} ({o_q1:.3f}-{o_q3:.3f}) | {m_med:.3f} ({m_q1:.3f}-{m_q3:.3f}) | {m_med / o_med:.2f} "
              f"| {diff:.2e} | {rel:.2e} |", flush=True)


if __name__ == "__main__":
    main()
