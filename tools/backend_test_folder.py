"""Writes one ONNX backend-test folder (model.onnx + test_data_set_<k>/input_<i>.pb, output_<i>.pb),
the layout `mutiny conformance` and ONNX's runner read: shared by the fixture scripts in tools/."""
import os
import shutil

import numpy as np
import onnx
from onnx import numpy_helper


def write_folder(out, name, model, feeds_list, run):
    """Replaces out/name with the model and one data set per feeds dict; run(feeds) gives the
    reference outputs, in the model's output order."""
    d = os.path.join(out, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    onnx.save(model, os.path.join(d, "model.onnx"))
    for k, feeds in enumerate(feeds_list):
        s = os.path.join(d, f"test_data_set_{k}")
        os.makedirs(s)
        for i, inp in enumerate(model.graph.input):
            open(os.path.join(s, f"input_{i}.pb"), "wb").write(numpy_helper.from_array(feeds[inp.name], inp.name).SerializeToString())
        for i, (o, r) in enumerate(zip(model.graph.output, run(feeds))):
            open(os.path.join(s, f"output_{i}.pb"), "wb").write(numpy_helper.from_array(np.asarray(r), o.name).SerializeToString())
