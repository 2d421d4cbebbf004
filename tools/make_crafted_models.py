#!/usr/bin/env python3
"""Writes tests/fixtures/crafted/*.onnx: small ONNX files crafted as an attacker would (issue 15),
each declaring sizes its bytes cannot justify or values that overflow size arithmetic. The CLI test
cli.crafted_files (tests/cmake/crafted_files.cmake) runs `mutiny inspect` and `mutiny run` on each
under an address-space limit and a timeout: each must end with exit code 0, 1 or 2.

Every model takes x: float [1,1,3,3] (so `--data idx:` of a 3x3 IDX image file feeds it) unless
its point is the input's own shape. No onnx.checker: these files are invalid on purpose.

    python3 tools/make_crafted_models.py [--out tests/fixtures/crafted]
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

I64_MAX = 2**63 - 1


def model(name, nodes, inits=(), inputs=None, outputs=None, opset=13):
    inputs = inputs or [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 3, 3])]
    outputs = outputs or [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)]
    g = helper.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="make_crafted_models")
    m.ir_version = 8
    return m


def i64(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def empty_tensor(name, dims, dtype=TensorProto.FLOAT):
    # Declares dims but holds no data at all.
    t = TensorProto()
    t.name = name
    t.data_type = dtype
    t.dims.extend(dims)
    return t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "crafted"))
    out = ap.parse_args().out
    os.makedirs(out, exist_ok=True)
    ms = {}
    # The product (2^32+1)(2^32-1)(2^32+1)(2^32-1)*9 wraps to 9, the input's element count; a
    # following Gather would then index far outside the buffer.
    ms["reshape_wrap"] = model("reshape_wrap", [
        helper.make_node("Reshape", ["x", "s"], ["r"]),
        helper.make_node("Gather", ["r", "i"], ["y"], axis=0)],
        [i64("s", [2**32 + 1, 2**32 - 1, 2**32 + 1, 2**32 - 1, 9]), i64("i", [2**32])])
    ms["pad_int64_max"] = model("pad_int64_max", [helper.make_node("Pad", ["x", "p"], ["y"])],
                                [i64("p", [0, 0, 0, I64_MAX, 0, 0, 0, 0])])
    ms["conv_pads_2_40"] = model("conv_pads_2_40", [helper.make_node("Conv", ["x", "w"], ["y"], pads=[2**40, 0, 0, 0])],
                                 [numpy_helper.from_array(np.ones((1, 1, 2, 2), np.float32), "w")])
    ms["conv_strides_2_62"] = model("conv_strides_2_62", [helper.make_node("Conv", ["x", "w"], ["y"], strides=[2**62, 1])],
                                    [numpy_helper.from_array(np.ones((1, 1, 2, 2), np.float32), "w")])
    ms["initializer_no_data_1gib"] = model("initializer_no_data_1gib", [helper.make_node("Add", ["x", "w"], ["y"])],
                                           [empty_tensor("w", [2**28])])
    ms["initializer_no_data_16gib"] = model("initializer_no_data_16gib", [helper.make_node("Add", ["x", "w"], ["y"])],
                                            [empty_tensor("w", [2**32, 1])])
    ms["constant_of_shape_2_40"] = model("constant_of_shape_2_40", [
        helper.make_node("ConstantOfShape", ["s"], ["c"]),
        helper.make_node("Add", ["x", "c"], ["y"])], [i64("s", [2**20, 2**20])])
    ms["input_dims_2_40"] = model("input_dims_2_40", [helper.make_node("Relu", ["x"], ["y"])],
                                  inputs=[helper.make_tensor_value_info("x", TensorProto.FLOAT, [2**40, 2**40])])
    ms["input_dim_negative"] = model("input_dim_negative", [helper.make_node("Relu", ["x"], ["y"])],
                                     inputs=[helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, -9])])
    ms["pow_int_zero_negative"] = model("pow_int_zero_negative", [
        helper.make_node("Pow", ["a", "b"], ["p"]),
        helper.make_node("Cast", ["p"], ["c"], to=TensorProto.FLOAT),
        helper.make_node("Add", ["x", "c"], ["y"])], [i64("a", [0]), i64("b", [-1])])
    ms["tile_huge"] = model("tile_huge", [helper.make_node("Tile", ["x", "r"], ["y"])], [i64("r", [1, 1, 2**31, 2**31])])
    ms["expand_huge"] = model("expand_huge", [helper.make_node("Expand", ["x", "s"], ["y"])], [i64("s", [2**30, 1, 3, 3])])
    ms["range_huge"] = model("range_huge", [
        helper.make_node("Range", ["a", "b", "d"], ["r"]),
        helper.make_node("Cast", ["r"], ["c"], to=TensorProto.FLOAT),
        helper.make_node("Add", ["x", "c"], ["y"])], [i64("a", 0), i64("b", 2**40), i64("d", 1)])
    ms["flatten_huge_input"] = model("flatten_huge_input", [helper.make_node("Flatten", ["x"], ["y"], axis=2)],
                                     inputs=[helper.make_tensor_value_info("x", TensorProto.FLOAT, [2**21, 2**21, 2**21, 4])])
    ms["maxpool_kernel_huge"] = model("maxpool_kernel_huge", [helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2**40, 1])])
    ms["gather_index_out_of_range"] = model("gather_index_out_of_range", [helper.make_node("Gather", ["x", "i"], ["y"], axis=3)],
                                            [i64("i", [3])])
    for name, m in ms.items():
        onnx.save(m, os.path.join(out, name + ".onnx"))


if __name__ == "__main__":
    main()
