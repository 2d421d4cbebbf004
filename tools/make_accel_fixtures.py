#!/usr/bin/env python3
"""SciPy reference for Mutiny's neuron and mutant clustering (tests/unit/test_accelerate.cpp).

    python3 tools/make_accel_fixtures.py [MODEL] [OUT]
    (default: models/fashion_lenet5.onnx -> tests/fixtures/cluster/lenet5_accel.txt)

Needs onnx, numpy, scipy. Reads the model's Conv/Gemm weights with onnx and computes, independently
of Mutiny, what docs/mutation.md ("Acceleration") defines:
  * neuron clustering: per layer, row j = incoming weights of unit j then its bias, every column
    min-max scaled across units (constant column -> 0); Ward linkage; fcluster maxclust
    k = ceil(units / s) for s = 3;
  * mutant clustering with weight features: per layer, the same rows divided by sqrt(dim); average
    linkage of pdist (Euclidean); fcluster distance cut at 0.3; the medoid of each cluster (least
    summed distance to the other members, ties to the lowest unit).
Output, line-oriented, numbers written with repr() (exact through strtod):
    layer NAME UNITS
    ward ROWS           then ROWS lines "id1 id2 distance size"
    maxclust K          then one line of UNITS labels
    average ROWS        then ROWS lines
    distance T          then one line of UNITS labels
    medoids N           then one line: the medoid unit of each cluster, by ascending label
"""
import math
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import pdist, squareform


def fmt(v):
    return repr(float(v))


def layers(model):
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    for n in model.graph.node:
        if n.op_type not in ("Conv", "Gemm"):
            continue
        W = inits[n.input[1]].astype(np.float64)
        b = inits[n.input[2]].astype(np.float64) if len(n.input) > 2 and n.input[2] in inits else None
        if n.op_type == "Conv":
            rows = W.reshape(W.shape[0], -1)
        else:
            trans_b = any(a.name == "transB" and a.i == 1 for a in n.attribute)
            rows = W if trans_b else W.T
        if b is not None:
            rows = np.concatenate([rows, b.reshape(-1, 1)], axis=1)
        yield n.name, rows


def scaled(rows):
    lo, hi = rows.min(axis=0), rows.max(axis=0)
    rng = hi - lo
    out = np.zeros_like(rows)
    nz = rng > 0
    out[:, nz] = (rows[:, nz] - lo[nz]) / rng[nz]
    return out


def main():
    model_path = sys.argv[1] if len(sys.argv) > 1 else "models/fashion_lenet5.onnx"
    out_path = sys.argv[2] if len(sys.argv) > 2 else "tests/fixtures/cluster/lenet5_accel.txt"
    s, threshold = 3, 0.3
    lines = []
    for name, rows in layers(onnx.load(model_path)):
        x = scaled(rows)
        n = x.shape[0]
        lines.append(f"layer {name} {n}")
        Z = linkage(x, method="ward", metric="euclidean")
        lines.append(f"ward {len(Z)}")
        lines += [f"{int(r[0])} {int(r[1])} {fmt(r[2])} {int(r[3])}" for r in Z]
        k = math.ceil(n / s)
        lines.append(f"maxclust {k}")
        lines.append(" ".join(str(v) for v in fcluster(Z, k, criterion="maxclust")))
        y = x / math.sqrt(x.shape[1])
        D = pdist(y)
        Za = linkage(D, method="average")
        lines.append(f"average {len(Za)}")
        lines += [f"{int(r[0])} {int(r[1])} {fmt(r[2])} {int(r[3])}" for r in Za]
        labels = fcluster(Za, threshold, criterion="distance")
        lines.append(f"distance {threshold}")
        lines.append(" ".join(str(v) for v in labels))
        S = squareform(D)
        medoids = []
        for c in sorted(set(labels)):
            members = [i for i in range(n) if labels[i] == c]
            sums = [sum(S[a, b] for b in members if b != a) for a in members]
            medoids.append(members[int(np.argmin(sums))])  # argmin: first of equal minima
        lines.append(f"medoids {len(medoids)}")
        lines.append(" ".join(str(v) for v in medoids))
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    with open(out_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main()
