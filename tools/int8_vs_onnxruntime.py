#!/usr/bin/env python3
"""ONNX Runtime's side of bench/README.md's int8 table: each shipped model quantized by the recipe
`mutiny diff --against cpu,cpu@int8` simulates, calibrated on the same inputs, against its float model.

    python3 tools/int8_vs_onnxruntime.py [--first N] [MODEL ...]   (default: N = 1000, the three shipped models)

    onnxruntime.quantization.quantize_static(..., quant_format=QDQ, calibrate_method=MinMax,
        per_channel=True, activation_type=QUInt8, weight_type=QInt8)

on the first N Fashion-MNIST test images (pixels / 255), then ORT (CPU, default graph optimisations)
runs the float and the quantized model on those images. Prints per model: top-1 agreement, max
|int8 - float| and SQNR (dB) of the logits, the figures `mutiny diff` prints for its own int8 side.
Needs onnx, onnxruntime, numpy and Debian's dataset-fashion-mnist.
"""
import argparse
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "models"))
sys.path.insert(0, HERE)
from fashion_data import DEFAULT_DATA_DIR, load_split  # noqa: E402
from make_int8_fixtures import quantize, run  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--first", type=int, default=1000)
    ap.add_argument("models", nargs="*", default=["fashion_fcnn", "fashion_lenet5", "fashion_resnet"])
    a = ap.parse_args()
    x, _ = load_split(DEFAULT_DATA_DIR, "test")
    x = x[:a.first]
    for name in a.models:
        src = os.path.join(ROOT, "models", name + ".onnx")
        with tempfile.TemporaryDirectory() as tmp:
            dst = os.path.join(tmp, name + "_int8.onnx")
            quantize(src, dst, x, "input")
            q = run(dst, x, True)
        f = run(src, x, True)
        agree = int((q.argmax(1) == f.argmax(1)).sum())
        d = q.astype(np.float64) - f
        sqnr = 10 * np.log10((f.astype(np.float64) ** 2).sum() / (d ** 2).sum())
        print(f"{name}: top-1 agreement {agree} of {len(x)}, max |int8 - float| {np.abs(d).max():.3g}, SQNR {sqnr:.3g} dB")


if __name__ == "__main__":
    main()
