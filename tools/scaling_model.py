#!/usr/bin/env python3
"""The scaling model of an exhaustive campaign (bench/README.md, "Scaling model").

Per mutant, the work a campaign does is the FLOPs from the mutant's first changed node to the
output (incremental execution), per input: the estimate shards and MPI chunks are dealt by
(include/mutiny/analysis/shard_cost.hpp), recomputed here from the ONNX file with ONNX's shape
inference as an independent check of it. FLOPs depend on shapes only, so unseeded light models
give the same counts as seeded ones.

  mutiny mutants MODEL --ops vanilla --out mutants.txt
  python3 tools/scaling_model.py MODEL mutants.txt --inputs 100 --gflops 27 --machines 1,4,16,64 --cores 2,16,64

prints the mutants and their work by layer, the whole campaign's work and its predicted time on M
machines of C cores (one rank per core) at the given sustained GFLOP/s per core, and the bytes rank
0 gathers and writes.
"""
import argparse
import re
from collections import OrderedDict

import numpy as np
import onnx
from onnx import numpy_helper, shape_inference


def node_flops(model):
    """FLOPs per node at batch 1, in Mutiny's node order (ConstantOfShape nodes are folded into
    constants on load, so they are not nodes there): shard_cost.hpp's rule, MACs of Conv and
    Gemm/MatMul count 2, any other node one per output element."""
    inferred = shape_inference.infer_shapes(model)
    shapes = {}
    for v in list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output):
        shapes[v.name] = [d.dim_value if d.HasField("dim_value") else 1 for d in v.type.tensor_type.shape.dim]
    for t in model.graph.initializer:
        shapes[t.name] = list(t.dims)
    for n in model.graph.node:  # weights made by ConstantOfShape: their shape is the constant input
        if n.op_type == "ConstantOfShape":
            src = next((t for t in model.graph.initializer if t.name == n.input[0]), None)
            if src is not None:
                shapes[n.output[0]] = [int(x) for x in numpy_helper.to_array(src)]
    nodes, flops = [], []
    for n in model.graph.node:
        if n.op_type == "ConstantOfShape":
            continue
        out = int(np.prod(shapes.get(n.output[0], [0])))
        if n.op_type in ("Conv", "ConvTranspose"):
            w = shapes[n.input[1]]
            f = 2.0 * out * int(np.prod(w)) / w[0]
        elif n.op_type in ("Gemm", "MatMul"):
            a = shapes[n.input[0]]
            trans_a = any(at.name == "transA" and at.i for at in n.attribute)
            f = 2.0 * out * a[-2 if trans_a else -1]
        else:
            f = float(out)
        nodes.append(n)
        flops.append(f)
    return nodes, flops


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("mutants", help="a mutant list written by `mutiny mutants --out`")
    ap.add_argument("--inputs", type=int, default=100)
    ap.add_argument("--gflops", type=float, required=True, help="sustained GFLOP/s of one core running the model")
    ap.add_argument("--machines", default="1,4,16,64")
    ap.add_argument("--cores", default="2,16,64")
    ap.add_argument("--classes", type=int, default=1000)
    a = ap.parse_args()

    nodes, flops = node_flops(onnx.load(a.model))
    suffix = np.cumsum(flops[::-1])[::-1].tolist() + [0.0]
    total = suffix[0]
    fixed = 0.01 * total + 1
    by_layer = OrderedDict()
    count = 0
    for line in open(a.mutants):
        m = re.search(r"target=node:n(\d+)", line)
        if not line.startswith("id=") or not m:
            continue
        k = int(m.group(1))
        key = (k, nodes[k].op_type)
        c = by_layer.setdefault(key, [0, suffix[k] + fixed])
        c[0] += 1
        count += 1
    work = sum(n * cost for n, cost in by_layer.values())
    print(f"model: {total / 1e9:.3f} GFLOP per input over {len(nodes)} nodes; {count} mutants")
    print("| layer (node) | mutants | GFLOP per mutant per input | share of the campaign |")
    print("|---|---:|---:|---:|")
    for (k, op), (n, cost) in by_layer.items():
        print(f"| n{k} {op} | {n} | {cost / 1e9:.3f} | {100 * n * cost / work:.2f}% |")
    per_input = work / 1e9
    print(f"campaign: {per_input:,.0f} GFLOP per input = {per_input / (total / 1e9):,.0f} full forward passes per input; "
          f"x {a.inputs} inputs = {per_input * a.inputs / 1e6:,.2f} PFLOP")
    seconds = per_input * a.inputs / a.gflops
    # Each rank runs 2 chunks (mpi_campaign.cpp), each chunk the original over every input: work
    # that does not shrink with more ranks. Efficiency = useful work / all work.
    fixed_rank = 2 * a.inputs * total / 1e9 / a.gflops
    print(f"one core at {a.gflops} GFLOP/s: {seconds / 3600:,.1f} h; per rank (one core) fixed: 2 originals x {a.inputs} inputs = {fixed_rank:,.1f} s")
    print("| machines x cores | ranks | predicted hours | efficiency |")
    print("|---|---:|---:|---:|")
    for mm in [int(x) for x in a.machines.split(",")]:
        for cc in [int(x) for x in a.cores.split(",")]:
            r = mm * cc
            t = seconds / r + fixed_rank
            print(f"| {mm} x {cc} | {r} | {t / 3600:,.2f} | {100 * seconds / r / t:.1f}% |")
    # What rank 0 gathers and writes: per mutant and criterion one kill bit per input (the kill
    # matrices; the per-input verdicts travel in the chunk results too), and, when kept, every
    # output: mutants x inputs x classes float32.
    kill_bytes = count * a.inputs / 8
    out_bytes = (count + 1) * a.inputs * a.classes * 4
    print(f"kill matrix per criterion: {kill_bytes / 2**20:,.1f} MiB; outputs (if kept): {out_bytes / 2**30:,.1f} GiB")


if __name__ == "__main__":
    main()
