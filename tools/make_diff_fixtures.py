#!/usr/bin/env python3
"""Writes the NumPy reference fixtures for Mutiny's tensor comparison (include/mutiny/analysis/tensor_diff.hpp,
`mutiny diff`), checked by tests/unit/test_tensor_diff.cpp.

    python3 tools/make_diff_fixtures.py [OUT_DIR]     (default: tests/fixtures/diff)

Needs numpy. Deterministic (fixed seed). Writes, per case, CASE_ref.npy and CASE_side.npy (float32)
and one line per (case, tolerance policy) in expected.txt:

    CASE STAT ATOL RTOL count finite same_inf both_nan invalid nan_ref nan_side inf_ref inf_side
         max_abs max_rel mean_abs median p90 p99 p99.9 cosine sqnr_db close pass required_atol required_rtol

every number written with repr() (round-trips through strtod; nan and inf as such). The oracle, in
float64 (the arrays cast first):
  pairs        finite: both finite; same_inf: the same infinity on both sides; invalid: the rest
               (a NaN anywhere, or an infinity the other side lacks); both_nan: NaN on both sides
  statistics   over the finite pairs, d = |side - ref|: max, max of d/|ref| where ref != 0, mean,
               numpy.percentile(d, 50/90/99/99.9) (default linear method), cosine and SQNR (dB) as
               numpy computes them from dot products; NaN when no pair is finite
  close        numpy.count_nonzero(numpy.isclose(side, ref, rtol, atol))
  pass         max: numpy.allclose(side, ref, rtol, atol); median/p90/p99/p99.9: no invalid pair and
               close * 1000 >= q * count (q = 500/900/990/999); mean: no invalid pair and
               mean(d) <= atol + rtol * mean(|ref|)
  required     the smallest atol that passes at RTOL and the smallest rtol that passes at ATOL
               (inf with an invalid pair): max and percentiles from the sorted per-element needs,
               mean in closed form.
"""
import os
import sys

import numpy as np

STATS = {"max": 1000, "median": 500, "p90": 900, "p99": 990, "p99.9": 999}


def cases(rng):
    c = {}
    r = rng.standard_normal(1000).astype(np.float32)
    c["noise"] = (r, (r + 1e-4 * rng.standard_normal(1000)).astype(np.float32))
    r = (10 * rng.standard_normal((3, 64))).astype(np.float32)
    c["fp16"] = (r, r.astype(np.float16).astype(np.float32))
    r = rng.standard_normal(200).astype(np.float32)
    s = (r + 1e-3 * rng.standard_normal(200)).astype(np.float32)
    r[[3, 50, 120]] = np.nan
    s[[3, 50, 121]] = np.nan
    c["nan_both"] = (r, s)
    r = rng.standard_normal(300).astype(np.float32)
    s = r.copy()
    s[7] = np.nan
    c["nan_side"] = (r, s)
    r = rng.standard_normal(100).astype(np.float32)
    s = (r + 1e-6 * rng.standard_normal(100)).astype(np.float32)
    r[[1, 2]] = [np.inf, -np.inf]
    s[[1, 2]] = [np.inf, -np.inf]
    c["same_inf"] = (r.copy(), s.copy())
    s[40] = np.inf
    r[41] = -np.inf
    s[41] = np.inf
    c["inf_mismatch"] = (r, s)
    r = rng.standard_normal(500).astype(np.float32)
    r[::10] = 0
    c["zeros_ref"] = (r, (r + 1e-5 * rng.standard_normal(500)).astype(np.float32))
    c["all_zero"] = (np.zeros(64, np.float32), np.zeros(64, np.float32))
    r = rng.standard_normal((2, 3, 4)).astype(np.float32)
    c["identical"] = (r, r.copy())
    r = rng.standard_normal(2000).astype(np.float32)
    s = (r + 1e-7 * rng.standard_normal(2000)).astype(np.float32)
    s[1234] += 5.0
    c["outlier"] = (r, s)
    c["single"] = (np.array([2.5], np.float32), np.array([2.75], np.float32))
    c["all_nan"] = (np.full(10, np.nan, np.float32), np.full(10, np.nan, np.float32))
    c["side_zero"] = (rng.standard_normal(50).astype(np.float32), np.zeros(50, np.float32))
    return c


POLICIES = [("max", 1e-8, 1e-5), ("max", 1e-3, 1e-3), ("max", 0.0, 0.0), ("mean", 1e-4, 0.0), ("mean", 0.0, 1e-4),
            ("median", 1e-5, 1e-5), ("p90", 1e-5, 0.0), ("p99", 1e-4, 1e-4), ("p99.9", 1e-6, 0.0)]


def oracle(ref, side, stat, atol, rtol):
    r = ref.astype(np.float64).ravel()
    s = side.astype(np.float64).ravel()
    n = r.size
    fin = np.isfinite(r) & np.isfinite(s)
    same_inf = np.isinf(r) & np.isinf(s) & (r == s)
    invalid = ~fin & ~same_inf
    both_nan = np.isnan(r) & np.isnan(s)
    out = dict(count=n, finite=int(fin.sum()), same_inf=int(same_inf.sum()), both_nan=int(both_nan.sum()),
               invalid=int(invalid.sum()), nan_ref=int(np.isnan(r).sum()), nan_side=int(np.isnan(s).sum()),
               inf_ref=int(np.isinf(r).sum()), inf_side=int(np.isinf(s).sum()))
    rf, sf = r[fin], s[fin]
    d = np.abs(sf - rf)
    nan = float("nan")
    if d.size:
        nz = rf != 0
        out["max_abs"] = float(d.max())
        out["max_rel"] = float((d[nz] / np.abs(rf[nz])).max()) if nz.any() else 0.0
        out["mean_abs"] = float(d.mean())
        for k, q in (("median", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9)):
            out[k] = float(np.percentile(d, q))
        a2, b2 = float(np.dot(rf, rf)), float(np.dot(sf, sf))
        out["cosine"] = 1.0 if a2 == 0 and b2 == 0 else 0.0 if a2 == 0 or b2 == 0 else float(np.dot(rf, sf) / np.sqrt(a2 * b2))
        noise = float(np.dot(sf - rf, sf - rf))
        out["sqnr_db"] = float("inf") if noise == 0 else float(10 * np.log10(a2 / noise))
    else:
        for k in ("max_abs", "max_rel", "mean_abs", "median", "p90", "p99", "p99.9", "cosine", "sqnr_db"):
            out[k] = nan
    close = np.isclose(s, r, rtol=rtol, atol=atol)
    out["close"] = int(np.count_nonzero(close))
    inf = float("inf")
    if out["invalid"]:
        out["pass"], out["required_atol"], out["required_rtol"] = 0, inf, inf
    elif stat == "mean":
        if d.size == 0:
            out["pass"], out["required_atol"], out["required_rtol"] = 1, 0.0, 0.0
        else:
            md, mr = float(d.mean()), float(np.abs(rf).mean())
            out["pass"] = int(md <= atol + rtol * mr)
            out["required_atol"] = max(0.0, md - rtol * mr)
            out["required_rtol"] = 0.0 if md <= atol else (inf if mr == 0 else (md - atol) / mr)
    else:
        q = STATS[stat]
        out["pass"] = int(np.allclose(s, r, rtol=rtol, atol=atol)) if stat == "max" else int(out["close"] * 1000 >= q * n)
        k = -(-n * q // 1000) - out["same_inf"]  # close finite pairs needed
        if k <= 0:
            out["required_atol"] = out["required_rtol"] = 0.0
        else:
            need_atol = np.sort(d - rtol * np.abs(rf))
            out["required_atol"] = max(0.0, float(need_atol[k - 1]))
            with np.errstate(divide="ignore", invalid="ignore"):
                need_rtol = np.where(d <= atol, 0.0, np.where(rf == 0, inf, (d - atol) / np.abs(rf)))
            out["required_rtol"] = float(np.sort(need_rtol)[k - 1])
    return out


KEYS = ["count", "finite", "same_inf", "both_nan", "invalid", "nan_ref", "nan_side", "inf_ref", "inf_side", "max_abs", "max_rel",
        "mean_abs", "median", "p90", "p99", "p99.9", "cosine", "sqnr_db", "close", "pass", "required_atol", "required_rtol"]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/diff"
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20261207)
    lines = [f"# numpy {np.__version__}: CASE STAT ATOL RTOL " + " ".join(KEYS) + " (see tools/make_diff_fixtures.py)"]
    for name, (ref, side) in cases(rng).items():
        np.save(os.path.join(out, f"{name}_ref.npy"), ref)
        np.save(os.path.join(out, f"{name}_side.npy"), side)
        for stat, atol, rtol in POLICIES:
            o = oracle(ref, side, stat, atol, rtol)
            lines.append(" ".join([name, stat, repr(atol), repr(rtol)] + [repr(o[k]) if isinstance(o[k], float) else str(o[k]) for k in KEYS]))
    with open(os.path.join(out, "expected.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(lines) - 1} cases to {out}/expected.txt")


if __name__ == "__main__":
    main()
