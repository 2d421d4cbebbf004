#!/usr/bin/env python3
"""Writes ONNX's own node tests (onnx.backend.test.case.node: the models and reference outputs the
ONNX project generates its backend tests from) as backend-test folders, for ops that Debian's
libonnx-testdata (ONNX 1.12) lacks, or all of them.

Usage:
  python3 tools/make_onnx_node_tests.py --out tests/fixtures/onnx_node --match "^test_gelu|^test_qlinearmatmul_.*float16|^test_bitwise_|^test_mish|^test_l[12p]normalization|^test_lppool_[12]d|^test_group_normalization|^test_center_crop_pad|^test_col2im|^test_(basic_)?deform_conv|^test_affine_grid|^test_image_decoder_decode_(png|bmp|pnm)"
      the committed fixtures: ops and types newer than ONNX 1.12 (Gelu, QLinearMatMul-21 float16 scales,
      the Bitwise ops, Mish, LpNormalization, LpPool, GroupNormalization, CenterCropPad, Col2Im,
      DeformConv, AffineGrid, ImageDecoder of PNG, BMP and PNM; test_lppool_3d_default, 0.7 MB, is
      left to the full set). The random ops' tests (Bernoulli) are left out: their references are
      numpy's draws, which `mutiny conformance` skips.
  python3 tools/make_onnx_node_tests.py --out /tmp/onnx-node-all
      every node test of the installed onnx (1,800+ folders; for `mutiny conformance`, not committed)
Needs: onnx, numpy (pip). Deterministic: ONNX's generators are seeded.
"""
import argparse
import os
import re
import shutil
import warnings

import numpy as np
import onnx
from onnx import numpy_helper
from onnx.backend.test.case import node


def write_value(path, value, name):
    if isinstance(value, np.ndarray) or np.isscalar(value):
        t = numpy_helper.from_array(np.asarray(value), name)
        open(path, "wb").write(t.SerializeToString())
        return True
    return False  # sequences, maps, optionals: not written


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--match", default="", help="regular expression on the test name (default: all)")
    a = ap.parse_args()
    warnings.simplefilter("ignore")
    cases = node.collect_testcases(None)
    os.makedirs(a.out, exist_ok=True)
    n = 0
    for c in cases:
        if a.match and not re.search(a.match, c.name):
            continue
        d = os.path.join(a.out, c.name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        onnx.save(c.model, os.path.join(d, "model.onnx"))
        ok = True
        for k, (inputs, outputs) in enumerate(c.data_sets or []):
            s = os.path.join(d, f"test_data_set_{k}")
            os.makedirs(s)
            for i, v in enumerate(inputs):
                ok &= write_value(os.path.join(s, f"input_{i}.pb"), v, c.model.graph.input[i].name)
            for i, v in enumerate(outputs):
                ok &= write_value(os.path.join(s, f"output_{i}.pb"), v, c.model.graph.output[i].name)
        if not ok:
            shutil.rmtree(d)
            continue
        n += 1
    print(f"wrote {n} node tests to {a.out} (onnx {onnx.__version__})")


if __name__ == "__main__":
    main()
