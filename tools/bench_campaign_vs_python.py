#!/usr/bin/env python3
"""DeepMAACC's vanilla analysis (every neuron of every Conv/Gemm layer x CW, NAI, NEB) of a model over
the Fashion-MNIST test set, side by side in one run:
  (i)   mutiny campaign (incremental execution),
  (ii)  mutiny campaign --no-incremental (every node re-executed for every mutant),
  (iii) a Python reference loop: patch the weights with onnx, re-run each mutant with onnxruntime.
Prints a markdown table of wall times (medians over --iters for (i) and (ii)) and checks that the
three kill matrices (prediction criterion) are identical. Mutants are matched by identity (layer,
operator, unit: Mutiny's manifest.json specs against the loop's own enumeration); where (i) and (iii)
differ, one more Mutiny run keeps its outputs and every differing cell is shown with its top-1/top-2
margins on both sides: a cell where either margin is below --tie (1e-4) is a float near-tie
between two implementations' rounding (Mutiny's and onnxruntime's kernels sum in different orders),
not a different mutant.

Usage: tools/bench_campaign_vs_python.py [--cli build/bin/mutiny] [--model models/fashion_lenet5.onnx]
       [--limit N] [--threads 2] [--iters 3]
The reference loop follows DeepMAACC's operator definitions (docs/mutation.md): CW multiplies a
neuron's incoming weights and bias by 1.1; NAI negates its incoming weights (bias kept); NEB zeroes
them (bias kept). A neuron is an output channel of a Conv (weight axis 0) or an output unit of a
Gemm (axis 0 with transB=1, else axis 1).
"""
import argparse, gzip, json, os, statistics, subprocess, sys, tempfile, time

import numpy as np
import onnx
from onnx import numpy_helper
import onnxruntime as ort


def load_fashion(limit):
    d = "/usr/share/datasets/fashion-mnist"
    with gzip.open(os.path.join(d, "t10k-images-idx3-ubyte.gz")) as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    x = x[:limit].astype(np.float32) / 255.0
    return x


def python_reference(model_path, x, threads):
    """Runs the original and every mutant with onnxruntime. Returns (seconds, original logits, rows):
    one row per mutant, (node name, operator, unit, logits)."""
    m = onnx.load(model_path)
    inits = {i.name: i for i in m.graph.initializer}
    layers = []
    for n in m.graph.node:
        if n.op_type not in ("Conv", "Gemm"):
            continue
        w = n.input[1]
        b = n.input[2] if len(n.input) > 2 and n.input[2] else None
        axis = 0
        if n.op_type == "Gemm":
            tb = [a.i for a in n.attribute if a.name == "transB"]
            axis = 0 if tb and tb[0] == 1 else 1
        layers.append((n.name, w, b, axis))
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    inp = m.graph.input[0].name

    def run(model):
        s = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
        # A copy: the array onnxruntime returns can keep the session's memory alive (GBs over 708 runs).
        return np.array(s.run(None, {inp: x})[0], copy=True)

    t0 = time.perf_counter()
    orig = run(m)
    rows = []
    for node, w, b, axis in layers:
        W0 = numpy_helper.to_array(inits[w]).copy()
        B0 = numpy_helper.to_array(inits[b]).copy() if b else None
        units = W0.shape[axis]
        for op in ("CW", "NAI", "NEB"):
            for u in range(units):
                W = W0.copy()
                sl = [slice(None)] * W.ndim
                sl[axis] = u
                sl = tuple(sl)
                B = B0.copy() if B0 is not None else None
                if op == "CW":
                    W[sl] = W[sl] * np.float32(1.1)
                    if B is not None:
                        B[u] = B[u] * np.float32(1.1)
                elif op == "NAI":
                    W[sl] = -W[sl]
                else:
                    W[sl] = 0
                inits[w].CopyFrom(numpy_helper.from_array(W, w))
                if B is not None:
                    inits[b].CopyFrom(numpy_helper.from_array(B, b))
                rows.append((node, op, u, run(m)))
        inits[w].CopyFrom(numpy_helper.from_array(W0, w))
        if B0 is not None:
            inits[b].CopyFrom(numpy_helper.from_array(B0, b))
    return time.perf_counter() - t0, orig, rows


def mutant_keys(out):
    """(node name, operator, unit) of each mutant of a Mutiny run, in its order (manifest.json)."""
    keys = []
    with open(os.path.join(out, "manifest.json")) as f:
        for spec in json.load(f)["mutants"]:
            fields = dict(t.split("=", 1) for t in spec.split())
            node, units = fields["target"][len("node:"):].rsplit("/units:", 1)
            keys.append((node, fields["op"], int(units)))
    return keys


def margin(row):
    """Top-1 minus top-2 score."""
    s = np.sort(row)
    return float(s[-1] - s[-2])


def mutiny_run(cli, model, limit, threads, incremental, out, outputs=False):
    cmd = [cli, "campaign", model, "--data", f"fashion-mnist:test@first={limit}", "--ops", "vanilla", "--out", out,
           "--threads", str(threads), "--quiet", "--batch", "10000"]
    if not outputs:
        cmd.append("--no-outputs")
    if not incremental:
        cmd.append("--no-incremental")
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    t = time.perf_counter() - t0
    with open(os.path.join(out, "kill_matrix-cpu.txt")) as f:
        lines = [l.split() for l in f if not l.startswith("#")]
    kills = []
    for mid, hexs in lines:
        bits = []
        for ch in hexs:
            v = int(ch, 16)
            bits += [(v >> k) & 1 for k in range(4)]
        kills.append(np.array(bits[:limit], dtype=bool))
    return t, dict(zip(mutant_keys(out), kills))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default="build/bin/mutiny", help="the mutiny program (default: build/bin/mutiny)")
    ap.add_argument("--model", default="models/fashion_lenet5.onnx")
    ap.add_argument("--limit", type=int, default=10000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--tie", type=float, default=1e-4, help="a top-1/top-2 margin below this is a near-tie")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="mutiny-bench-")
    mutiny_run(a.cli, a.model, a.limit, a.threads, True, tmp)  # warm-up (page cache, data)
    ti, ki, tf, kf = [], None, [], None
    for _ in range(a.iters):
        t, ki = mutiny_run(a.cli, a.model, a.limit, a.threads, True, tmp + "/i")
        ti.append(t)
        t, kf = mutiny_run(a.cli, a.model, a.limit, a.threads, False, tmp + "/f")
        tf.append(t)
    x = load_fashion(a.limit)
    tp, orig_p, rows = python_reference(a.model, x, a.threads)
    same_if = ki.keys() == kf.keys() and all((ki[k] == kf[k]).all() for k in ki)
    mi, mf = statistics.median(ti), statistics.median(tf)
    print(f"# {a.model}, {len(ki)} mutants x {a.limit} images, {a.threads} threads, medians of {a.iters} (Python loop: 1 run); "
          f"onnxruntime {ort.__version__}, load {os.getloadavg()[0]:.1f}")
    print("| run | seconds | Mutiny is faster by |")
    print("|---|---:|---:|")
    print(f"| (i) mutiny campaign | {mi:.2f} ({min(ti):.2f}-{max(ti):.2f}) | 1x |")
    print(f"| (ii) mutiny --no-incremental | {mf:.2f} ({min(tf):.2f}-{max(tf):.2f}) | {mf / mi:.1f}x |")
    print(f"| (iii) Python: onnx patch + onnxruntime | {tp:.2f} | {tp / mi:.1f}x |")
    # (i) against (iii), mutant by mutant (matched by layer, operator and unit, not by position).
    kp = {(node, op, u): logits.argmax(1) != orig_p.argmax(1) for node, op, u, logits in rows}
    if kp.keys() != ki.keys():
        print(f"kill matrices: (i) == (ii): {same_if}; (i) vs (iii): different mutant sets "
              f"({len(ki.keys() - kp.keys())} only in Mutiny, {len(kp.keys() - ki.keys())} only in the loop)")
        return 1
    diff = {k: np.nonzero(ki[k] != kp[k])[0] for k in ki}
    cells = sum(len(v) for v in diff.values())
    killed_i = sum(bool(v.any()) for v in ki.values())
    killed_p = sum(bool(v.any()) for v in kp.values())
    print(f"kill matrices: (i) == (ii): {same_if}; (i) vs (iii), matched by mutant: {cells} differing cells of "
          f"{len(ki) * a.limit} in {sum(len(v) > 0 for v in diff.values())} mutants; killed mutants {killed_i} vs {killed_p}")
    if cells == 0:
        return 0
    # Why they differ: one more Mutiny run, with its outputs, and the margins of each differing cell.
    out = tempfile.mkdtemp(prefix="mutiny-bench-outputs-")
    mutiny_run(a.cli, a.model, a.limit, a.threads, True, out, outputs=True)
    keys = mutant_keys(out)
    C = orig_p.shape[1]
    mo = np.memmap(os.path.join(out, "outputs-cpu.f32"), np.float32, "r", shape=(len(keys) + 1, a.limit, C))
    logits_p = {(node, op, u): logits for node, op, u, logits in rows}
    orig_disagree = int((mo[0].argmax(1) != orig_p.argmax(1)).sum())
    max_abs = max(float(np.abs(mo[0] - orig_p).max()), max(float(np.abs(mo[r + 1] - logits_p[k]).max()) for r, k in enumerate(keys)))
    ties, worst = 0, 0.0
    print(f"original: top-1 disagrees on {orig_disagree} inputs; largest |logit difference| Mutiny vs onnxruntime over every "
          f"model and input: {max_abs:.3g}")
    print("| mutant | input | Mutiny original/mutant top-1 | onnxruntime original/mutant top-1 | smallest top-1/top-2 margin (Mutiny, onnxruntime) |")
    print("|---|---:|---|---|---|")
    for r, k in enumerate(keys):
        for j in diff[k]:
            mm, mp = mo[r + 1][j], logits_p[k][j]
            m_min = min(margin(mo[0][j]), margin(mm))
            p_min = min(margin(orig_p[j]), margin(mp))
            tie = min(m_min, p_min) < a.tie
            ties += tie
            worst = max(worst, min(m_min, p_min))
            print(f"| {k[0]} {k[1]} unit {k[2]} | {j} | {mo[0][j].argmax()}/{mm.argmax()} | {orig_p[j].argmax()}/{mp.argmax()} | "
                  f"{m_min:.3g}, {p_min:.3g}{' (near-tie)' if tie else ''} |")
    print(f"differing cells that are float near-ties (a top-1/top-2 margin < {a.tie:g} on one side): {ties} of {cells}; "
          f"largest such margin {worst:.3g}")
    return 0 if ties == cells else 1

if __name__ == "__main__":
    sys.exit(main())
