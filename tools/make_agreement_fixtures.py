#!/usr/bin/env python3
"""Writes the reference fixtures for Mutiny's output-agreement measures (include/mutiny/analysis/discrepancy.hpp):
extrapolated rank-biased overlap and top-k Jaccard, checked by tests/unit/test_agreement.cpp.

    python3 tools/make_agreement_fixtures.py [OUT_DIR]     (default: tests/fixtures/diff)

Needs numpy. Deterministic (fixed seed). agreement.txt has one case per line:

    N P DEPTH K RBO JACCARD X1..XN Y1..YN

X and Y are two score vectors (float32 values, written with repr()); their rankings sort the scores
descending, ties by the lower index first. RBO is the extrapolated rank-biased overlap RBO_ext of the
two rankings at persistence P evaluated to depth DEPTH, written from Webber, Moffat and Zobel, "A
similarity measure for indefinite rankings" (ACM TOIS 2010), eq. 32 for lists of equal length:

    RBO_ext = X_k / k * p^k + (1 - p) / p * sum_{d=1..k} X_d / d * p^d,   X_d = |S[:d] & T[:d]|

computed here with Python sets and fractions-free float arithmetic, independently of the C++ code.
JACCARD is |A & B| / |A | B| of the two top-K index sets.
"""
import os
import sys

import numpy as np


def ranking(x):
    return sorted(range(len(x)), key=lambda i: (-x[i], i))


def rbo_ext(s, t, p, k):
    k = min(k, len(s), len(t))
    total = 0.0
    for d in range(1, k + 1):
        x_d = len(set(s[:d]) & set(t[:d]))
        total += x_d / d * p ** d
    x_k = len(set(s[:k]) & set(t[:k]))
    return x_k / k * p ** k + (1 - p) / p * total


def jaccard_top(x, y, k):
    a, b = set(ranking(x)[:k]), set(ranking(y)[:k])
    return len(a & b) / len(a | b)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/diff"
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20261207)
    pairs = []
    for n in (2, 3, 5, 10, 10, 10, 20, 100):
        x = rng.standard_normal(n).astype(np.float32)
        pairs.append((x, x.copy()))                                   # identical
        pairs.append((x, (-x).astype(np.float32)))                    # reversed
        pairs.append((x, (x + 0.3 * rng.standard_normal(n)).astype(np.float32)))  # perturbed
        y = x.copy()
        if n > 1:
            y[[0, 1]] = y[[1, 0]]                                     # one swap
        pairs.append((x, y))
    ties = np.array([1, 1, 0, 2, 2, 0.5], np.float32)
    pairs.append((ties, np.array([2, 1, 1, 0, 2, 0.5], np.float32)))
    lines = [f"# numpy {np.__version__}: N P DEPTH K RBO JACCARD X1..XN Y1..YN (see tools/make_agreement_fixtures.py)"]
    for x, y in pairs:
        n = len(x)
        xs, ys = [float(v) for v in x], [float(v) for v in y]
        s, t = ranking(xs), ranking(ys)
        for p in (0.9, 0.5, 0.98):
            for depth in sorted({n, min(n, 5), min(n, 3)}):
                k = min(5, n)
                lines.append(" ".join([str(n), repr(p), str(depth), str(k), repr(rbo_ext(s, t, p, depth)), repr(jaccard_top(xs, ys, k))] +
                                      [repr(v) for v in xs] + [repr(v) for v in ys]))
    with open(os.path.join(out, "agreement.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(lines) - 1} cases to {out}/agreement.txt")


if __name__ == "__main__":
    main()
