#!/usr/bin/env python3
"""Quantize a shipped model to int8 as deployments do: ONNX Runtime's static quantization tool,
QDQ format (QuantizeLinear -> DequantizeLinear around each quantized op), weights per channel,
calibrated on Fashion-MNIST training images. The result is the quantized CNN Mutiny's
quantization mutants (QS, QZ, QR) and campaigns are demonstrated and tested on.

Usage
-----
    python3 models/quantize.py                       # fashion_lenet5 -> fashion_lenet5_int8
    python3 models/quantize.py --model fashion_resnet --calibration 1000

Outputs, next to the float model (--out-dir, default this directory):
  NAME_int8.onnx            QDQ model, int8 weights (per channel) and activations (per tensor)
  NAME_int8.reference.bin   onnxruntime (CPU) logits on the 10,000 test images, float32 [10000,10]
  NAME_int8.json            accuracies (float model and quantized model, by onnxruntime), the
                            calibration set, versions, sha256 of the files

Requirements (pip): onnx, onnxruntime, numpy. Data: Debian package dataset-fashion-mnist (as
train.py). Deterministic: the calibration images are the first N training images, in file order.
"""

import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from fashion_data import DEFAULT_DATA_DIR, add_recipe, load_split, run_onnxruntime, sha256_file  # noqa: E402



def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="fashion_lenet5")
    ap.add_argument("--calibration", type=int, default=500, help="training images used to calibrate (default 500)")
    ap.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    ap.add_argument("--out-dir", default=HERE)
    a = ap.parse_args()

    import onnx
    import onnxruntime as ort
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    src = os.path.join(HERE, a.model + ".onnx")
    name = a.model + "_int8"
    dst = os.path.join(a.out_dir, name + ".onnx")
    xtr, _ = load_split(a.data_dir, "train")
    xte, yte = load_split(a.data_dir, "test")

    class Reader(CalibrationDataReader):
        def __init__(self, x):
            self.it = iter([{"input": x[i:i + 100]} for i in range(0, x.shape[0], 100)])

        def get_next(self):
            return next(self.it, None)

    quantize_static(src, dst, Reader(xtr[:a.calibration]), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
    add_recipe(dst)
    onnx.checker.check_model(onnx.load(dst), full_check=True)

    ref = run_onnxruntime(dst, xte)
    ref.tofile(os.path.join(a.out_dir, name + ".reference.bin"))
    acc_q = float((ref.argmax(1) == yte).mean())
    acc_f = float((run_onnxruntime(src, xte).argmax(1) == yte).mean())
    meta = {
        "model": name,
        "source": a.model + ".onnx",
        "quantization": "onnxruntime.quantization.quantize_static, QDQ, per_channel=True, activations and weights QInt8",
        "calibration": f"the first {a.calibration} Fashion-MNIST training images (pixels / 255)",
        "test_accuracy_float_onnxruntime": acc_f,
        "test_accuracy_int8_onnxruntime": acc_q,
        "versions": {"onnx": onnx.__version__, "onnxruntime": ort.__version__, "numpy": np.__version__},
        "sha256": {f: sha256_file(os.path.join(a.out_dir, f)) for f in (name + ".onnx", name + ".reference.bin")},
    }
    with open(os.path.join(a.out_dir, name + ".json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(f"{name}: test accuracy float {acc_f:.4f}, int8 {acc_q:.4f} (onnxruntime)")


if __name__ == "__main__":
    main()
