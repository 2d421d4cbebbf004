#!/usr/bin/env python3
"""Writes the SciPy reference fixtures for Mutiny's DeepCrime statistics (tests/unit/test_analysis.cpp):
the Wilcoxon signed-rank test and Cohen's d used by the `statistical` criterion over the seeded
instances of stochastic mutants (analysis/stats.hpp, analysis/kill.hpp).

    python3 tools/make_stats_fixtures.py [OUT_DIR]     (default: tests/fixtures/stats)

Needs numpy and scipy. Deterministic (fixed seed); numbers written with repr(), which round-trips
exactly through strtod. wilcoxon.txt has one case per line:
    P D ND d1 ... dN
P = scipy.stats.wilcoxon(d).pvalue (defaults: zero_method="wilcox", correction=False,
two-sided, method="auto"), D = mean(d) / std(d, ddof=1) (Cohen's d of the paired differences;
"inf"/"-inf" when the differences are constant and nonzero), N = len(d). The cases are shaped like
a campaign's: d_k = (original correct count - instance k's correct count) over n instances,
integers with ties and zeros, from n = 2 to 60 (exact, permutation and normal-approximation
branches of SciPy), plus a few real-valued ones.
"""
import math
import os
import sys

import numpy as np
import scipy
from scipy import stats


def cohen_d(d):
    d = np.asarray(d, dtype=float)
    sd = d.std(ddof=1)
    if sd == 0:
        return 0.0 if d.mean() == 0 else math.copysign(math.inf, d.mean())
    return d.mean() / sd


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/stats"
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20261130)
    cases = []
    # Hand-picked: all positive and distinct; all equal; with zeros; symmetric; tiny n.
    cases += [[3, 5, 8, 13, 21, 34], [7] * 10, [0, 0, 1, 2, 3, 4, 5, 6, 7], [1, -1, 2, -2, 3, -3, 4, -4],
              [2, 1], [4, 4, 4, 4, 4, 4], [0, 0, 0, 0, 0, 1], [-5, -3, -9, -12, -4, -6, -7, -8]]
    for n in (2, 3, 5, 6, 8, 10, 12, 13, 14, 16, 20, 25, 30, 40, 50, 51, 60):
        for shift in (0, 2, 8, 40):
            for spread in (3, 30, 300):
                d = np.round(rng.normal(shift, spread, n)).astype(int)
                cases.append(d.tolist())
        # No ties, no zeros: SciPy's exact distribution up to n = 50.
        d = rng.permutation(np.arange(1, 4 * n + 1))[:n] * rng.choice([-1, 1], n, p=[0.3, 0.7])
        cases.append(d.tolist())
    for n in (7, 15, 33):
        cases.append(rng.normal(0.01, 0.02, n).tolist())
    with open(os.path.join(out, "wilcoxon.txt"), "w") as f:
        f.write(f"# scipy {scipy.__version__}, numpy {np.__version__}: P D N d1..dN (see tools/make_stats_fixtures.py)\n")
        for d in cases:
            p = stats.wilcoxon(d).pvalue if any(x != 0 for x in d) else 1.0
            f.write(" ".join([repr(float(p)), repr(float(cohen_d(d))), str(len(d))] + [repr(x) for x in d]) + "\n")
    print(f"wrote {len(cases)} cases to {out}/wilcoxon.txt")


if __name__ == "__main__":
    main()
