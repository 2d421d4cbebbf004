#!/usr/bin/env python3
"""Writes the ONNX Runtime fixtures for `mutiny diff`'s int8 sides (include/mutiny/analysis/qdq_float.hpp,
int8_simulation.hpp), checked by tests/unit/test_int8_diff.cpp.

    python3 tools/make_int8_fixtures.py [OUT_DIR]     (default: tests/fixtures/int8)

Needs onnx, onnxruntime, numpy and Debian's dataset-fashion-mnist. Deterministic. Every model below
is quantized by

    onnxruntime.quantization.quantize_static(..., quant_format=QDQ, calibrate_method=MinMax,
        per_channel=True, activation_type=QUInt8, weight_type=QInt8)

the recipe Mutiny's @int8 side simulates. Writes:

  grid_float.onnx, grid_int8.onnx, grid_inputs.npy
      A small CNN (Conv 3x3 + Relu + AveragePool + Flatten + Gemm) whose weights lie on the int8
      per-channel grid (integers times 2^-6, each channel reaching 127 x 2^-6) and whose biases are 0,
      so quantizing them changes nothing; the QDQ model ORT makes of it, calibrated on
      grid_inputs.npy (8 random inputs in [0,1)). ORT removes the Relu (its Q saturates at 0): the
      float model of grid_int8.onnx is grid_float.onnx again, bit for bit.
  lenet5_inputs_u8.npy      the first 20 Fashion-MNIST test images (uint8 [20,1,28,28]; the model
                            reads pixels / 255 as float32)
  lenet5_ort_int8.npy       ORT's outputs (float32 [20,10]) of models/fashion_lenet5.onnx quantized
                            with those 20 images as calibration data, default graph optimisations
                            (ORT fuses the QDQ groups into integer kernels: QLinearConv, ...)
  lenet5_ort_int8_noopt.npy the same model run with every graph optimisation disabled: each
                            QuantizeLinear, DequantizeLinear and float op as written
  lenet5_ort_params.txt     every activation QuantizeLinear of ORT's model: `TENSOR SCALE ZERO_POINT
                            RANGE_OF` (TENSOR the Q's input, SCALE as float.hex of the float32,
                            RANGE_OF the tensor whose calibrated range gave them), every weight:
                            `weight:NAME SCALE...` (per channel), and the MinMax calibrator's range of
                            every tensor: `range:TENSOR MIN MAX` (float.hex of the float32s)
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "models"))


def quantize(src, dst, inputs, input_name):
    from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter([{input_name: inputs[i:i + 1]} for i in range(inputs.shape[0])])

        def get_next(self):
            return next(self.it, None)

    quantize_static(src, dst, Reader(), quant_format=QuantFormat.QDQ, calibrate_method=CalibrationMethod.MinMax,
                    per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)


def run(path, x, optimise):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    if not optimise:
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    name = s.get_inputs()[0].name
    return np.concatenate([s.run(None, {name: x[i:i + 1]})[0] for i in range(x.shape[0])]).astype(np.float32)


def grid_model(path):
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(18)
    step = np.float32(2.0 ** -6)

    def on_grid(shape):
        k = rng.integers(-127, 128, size=shape)
        k = k.reshape(shape[0], -1)
        k[np.arange(shape[0]), rng.integers(0, k.shape[1], size=shape[0])] = 127 * rng.choice([-1, 1], size=shape[0])
        return (k.reshape(shape).astype(np.float32) * step).astype(np.float32)

    w1 = on_grid((4, 1, 3, 3))
    w2 = on_grid((10, 64))
    inits = [numpy_helper.from_array(w1, "conv.weight"), numpy_helper.from_array(np.zeros(4, np.float32), "conv.bias"),
             numpy_helper.from_array(w2, "fc.weight"), numpy_helper.from_array(np.zeros(10, np.float32), "fc.bias")]
    nodes = [
        helper.make_node("Conv", ["input", "conv.weight", "conv.bias"], ["conv_out"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv_out"], ["relu_out"], name="relu"),
        helper.make_node("AveragePool", ["relu_out"], ["pool_out"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["pool_out"], ["flat"], name="flatten"),
        helper.make_node("Gemm", ["flat", "fc.weight", "fc.bias"], ["logits"], name="fc", transB=1),
    ]
    g = helper.make_graph(nodes, "grid", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 8, 8])],
                          [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    onnx.checker.check_model(m)
    onnx.save(m, path)


def ort_ranges(src, inputs, input_name):
    """The MinMax calibrator's range per tensor, as quantize_static computes them."""
    import tempfile
    from onnxruntime.quantization import CalibrationDataReader
    from onnxruntime.quantization.calibrate import CalibrationMethod, create_calibrator

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter([{input_name: inputs[i:i + 1]} for i in range(inputs.shape[0])])

        def get_next(self):
            return next(self.it, None)

    with tempfile.TemporaryDirectory() as tmp:
        c = create_calibrator(src, augmented_model_path=os.path.join(tmp, "augmented.onnx"), calibrate_method=CalibrationMethod.MinMax)
        c.collect_data(Reader())
        data = c.compute_data()
    return {k: data[k].range_value for k in data.keys()}


def ort_params(path, ranges):
    import onnx
    from onnx import numpy_helper
    m = onnx.load(path)
    init = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    lines = []
    for n in m.graph.node:
        if n.op_type == "QuantizeLinear" and n.input[0] not in init:
            s, z = init[n.input[1]], init[n.input[2]]
            of = n.input[1][:-len("_scale")]
            lines.append(f"{n.input[0]} {float(s).hex()} {int(z)} {of}")
        if n.op_type == "DequantizeLinear" and n.input[0] in init and init[n.input[0]].dtype == np.int8:
            s = init[n.input[1]].reshape(-1)
            lines.append(f"weight:{n.output[0]} " + " ".join(float(v).hex() for v in s))
    for k in sorted(ranges):
        lo, hi = ranges[k]
        lines.append(f"range:{k} {float(np.float32(np.asarray(lo).reshape(-1)[0])).hex()} {float(np.float32(np.asarray(hi).reshape(-1)[0])).hex()}")
    return "\n".join(lines) + "\n"


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests", "fixtures", "int8")
    os.makedirs(out, exist_ok=True)

    grid_model(os.path.join(out, "grid_float.onnx"))
    x = np.random.default_rng(7).random((8, 1, 8, 8)).astype(np.float32)
    np.save(os.path.join(out, "grid_inputs.npy"), x)
    quantize(os.path.join(out, "grid_float.onnx"), os.path.join(out, "grid_int8.onnx"), x, "input")

    from fashion_data import DEFAULT_DATA_DIR, read_idx_gz
    images = read_idx_gz(os.path.join(DEFAULT_DATA_DIR, "t10k-images-idx3-ubyte.gz"))[:20].reshape(20, 1, 28, 28)
    np.save(os.path.join(out, "lenet5_inputs_u8.npy"), images.astype(np.uint8))
    x = (images.astype(np.float32) / np.float32(255.0)).reshape(-1, 1, 28, 28)
    q = os.path.join(out, "lenet5_int8.tmp.onnx")
    quantize(os.path.join(ROOT, "models", "fashion_lenet5.onnx"), q, x, "input")
    np.save(os.path.join(out, "lenet5_ort_int8.npy"), run(q, x, True))
    np.save(os.path.join(out, "lenet5_ort_int8_noopt.npy"), run(q, x, False))
    with open(os.path.join(out, "lenet5_ort_params.txt"), "w") as f:
        f.write(ort_params(q, ort_ranges(os.path.join(ROOT, "models", "fashion_lenet5.onnx"), x, "input")))
    os.remove(q)
    for f in os.listdir(out):
        if f.endswith("-inferred.onnx") or f.endswith(".data"):
            os.remove(os.path.join(out, f))


if __name__ == "__main__":
    main()
