#!/usr/bin/env python3
"""Makes the exporter model set: small models of the architectures people deploy, exported by the
real exporters (torch.onnx's TorchScript and dynamo exporters, tf2onnx, onnxruntime.quantization),
each written as an ONNX backend test folder whose expected outputs come from ONNX Runtime:

    OUT/<name>/model.onnx
    OUT/<name>/test_data_set_0/input_N.pb, output_N.pb   (outputs: onnxruntime, CPU)
    OUT/<name>/tolerance.txt                             (what `mutiny conformance` compares with)
    OUT/<name>/meta.json                                 (how it was made: exporter, versions, ops)
    OUT/README.md                                        (the table of all folders, regenerated)

    python3 tools/make_exporter_models.py [--out DIR] [--only torch,keras,quant]

Default OUT: tests/fixtures/exporters. Needs onnx, onnxruntime and numpy, plus torch (and
onnxscript for the dynamo exporter) for the torch and quant groups, tensorflow-cpu and tf2onnx
for the keras group. Groups whose framework does not import are skipped with a message, so torch
and TensorFlow can live in separate environments: run the script once in each (quant reads the
torch group's float models from OUT). Deterministic for given package versions: fixed seeds,
single-threaded ORT; tf2onnx alone names some folded constants differently from run to run
(same graph, same values).

References are computed with ORT's graph optimisations disabled, so each op runs as the ONNX
specification defines it (ORT's fused kernels round differently, notably for quantized graphs
where a fused QLinearConv requantizes in one step); the script checks that ORT with its default
optimisations agrees within the folder's tolerance and records the largest difference.
"""
import argparse
import importlib
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

SEED = 20260501
OPSET = 17  # LayerNormalization is a standard op from 17; what current exporters default to or above
# Float models: rel 1e-4 (float32 kernels summing in another order), abs 1e-5 for outputs near 0.
FLOAT_TOL = (1e-4, 1e-5)
# Quantized models: what ONNX Runtime's own quantization tests allow between two runs of a
# quantized model (onnxruntime/test/python/quantization/op_test_utils.py, check_model_correctness:
# rtol 1e-2, atol 0.05). A rounding tie resolved differently moves one value by a quantization step.
QUANT_TOL = (1e-2, 0.05)


def versions(*mods):
    out = {}
    for m in ("numpy", "onnx", "onnxruntime") + mods:
        try:
            out[m] = importlib.import_module(m).__version__
        except ImportError:
            pass
    out["python"] = sys.version.split()[0]
    return out


def session(model_bytes, optimize):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimize else ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(model_bytes, so, providers=["CPUExecutionProvider"])


def ops_of(graph, acc):
    for n in graph.node:
        acc.add(n.op_type if n.domain in ("", "ai.onnx") else n.domain + "." + n.op_type)
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                ops_of(a.g, acc)
            for g in a.graphs:
                ops_of(g, acc)
    return acc


def dims_of(vi):
    return [d.dim_param if d.dim_param else (d.dim_value if d.HasField("dim_value") else "?") for d in vi.type.tensor_type.shape.dim]


def write_case(out, name, model, feeds, meta, tol):
    """Writes OUT/name from an onnx.ModelProto and its inputs (numpy arrays, graph input order)."""
    d = os.path.join(out, name)
    shutil.rmtree(d, ignore_errors=True)
    ds = os.path.join(d, "test_data_set_0")
    os.makedirs(ds)
    onnx.checker.check_model(model)
    data = model.SerializeToString()
    with open(os.path.join(d, "model.onnx"), "wb") as f:
        f.write(data)
    ref = session(data, optimize=False)
    names = [i.name for i in ref.get_inputs()]
    assert len(names) == len(feeds), (name, names)
    feed = dict(zip(names, feeds))
    outs = ref.run(None, feed)
    for i, (n, a) in enumerate(zip(names, feeds)):
        with open(os.path.join(ds, f"input_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(np.asarray(a), n).SerializeToString())
    for i, (o, a) in enumerate(zip(ref.get_outputs(), outs)):
        with open(os.path.join(ds, f"output_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(np.asarray(a), o.name).SerializeToString())
    # ORT as deployed (all graph optimisations) against the reference: a sanity check of the
    # tolerance, not part of the test.
    opt = session(data, optimize=True).run(None, feed)
    worst = max(float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))) if a.size else 0.0 for a, b in zip(opt, outs))
    agree = all(np.allclose(a, b, rtol=tol[0], atol=tol[1]) for a, b in zip(opt, outs))
    with open(os.path.join(d, "tolerance.txt"), "w") as f:
        f.write(f"# what mutiny conformance allows for this folder (docs/formats.md); see meta.json\nrtol {tol[0]:g}\natol {tol[1]:g}\n")
    g = model.graph
    inits = {i.name for i in g.initializer}
    meta = dict(meta)
    meta.update({
        "name": name,
        "opset_import": {(o.domain or "ai.onnx"): o.version for o in model.opset_import},
        "producer": f"{model.producer_name} {model.producer_version}".strip(),
        "inputs": {i.name: {"dims": dims_of(i), "dtype": onnx.helper.tensor_dtype_to_np_dtype(i.type.tensor_type.elem_type).name}
                   for i in g.input if i.name not in inits},
        "test_input_shapes": [list(np.asarray(a).shape) for a in feeds],
        "outputs": {o.name: dims_of(o) for o in g.output},
        "ops": sorted(ops_of(g, set())),
        "model_bytes": len(data),
        "reference": "onnxruntime CPUExecutionProvider, graph optimizations disabled, 1 thread",
        "tolerance": {"rtol": tol[0], "atol": tol[1]},
        "ort_optimized_max_abs_diff": worst,
        "ort_optimized_within_tolerance": bool(agree),
    })
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"{name}: {len(data) / 1024:.0f} KiB, ops {' '.join(meta['ops'])}; ORT optimized vs reference max |diff| {worst:.3g}"
          + ("" if agree else "  ** outside the tolerance **"))


# ---- torch ---------------------------------------------------------------------------------------
def torch_export(model, args, input_names, dynamic=None, dynamo=False, opset=None):
    import torch
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.onnx")
        if dynamo:
            shapes = None
            if dynamic:
                shapes = tuple({ax: torch.export.Dim(f"{n}_{ax}") for ax in axes} for n, axes in zip(input_names, dynamic))
            prog = torch.onnx.export(model, args, dynamo=True, input_names=input_names, output_names=["logits"],
                                     dynamic_shapes=shapes, opset_version=opset or 18)
            prog.save(path, external_data=False)
        else:
            axes = None
            if dynamic:
                axes = {n: {ax: f"{n}_{ax}" for ax in a} for n, a in zip(input_names, dynamic)}
                axes["logits"] = {0: f"{input_names[0]}_0"}
            torch.onnx.export(model, args, path, dynamo=False, input_names=input_names, output_names=["logits"],
                              dynamic_axes=axes, opset_version=OPSET, do_constant_folding=True)
        return onnx.load(path)


def torch_cases(out):
    import torch
    import exporter_models_torch as tm
    ver = versions("torch", "onnxscript")
    rng = np.random.default_rng(SEED)
    img = lambda n: rng.standard_normal((n, 3, 32, 32)).astype(np.float32)
    seq = lambda n, t: rng.standard_normal((n, t, 16)).astype(np.float32)

    def ids_mask(n, s):
        ids = rng.integers(1, 512, (n, s)).astype(np.int64)
        mask = np.ones((n, s), np.int64)
        for b in range(1, n):  # later rows padded: masked attention matters
            mask[b, s - 3 * b:] = 0
            ids[b, s - 3 * b:] = 0
        return [ids, mask]

    # name, architecture, inputs (fixed shapes), inputs of the dynamic variant, its dynamic axes
    cases = [("se_cnn", "se_cnn", [img(2)], [img(3)], [[0]]),
             ("mobilenet_v3_small", "mobilenet_v3_small", [img(2)], [img(3)], [[0]]),
             ("efficientnet_mbconv", "efficientnet_mbconv", [img(2)], [img(3)], [[0]]),
             ("vit_tiny", "vit_tiny", [img(2)], [img(3)], [[0]]),
             ("bert_tiny", "bert_tiny", ids_mask(2, 16), ids_mask(3, 12), [[0, 1], [0, 1]]),
             ("lstm_classifier", "lstm_classifier", [seq(2, 12)], [seq(3, 9)], [[0, 1]]),
             ("gru_classifier", "gru_classifier", [seq(2, 12)], [seq(3, 9)], [[0, 1]])]
    names = {"bert_tiny": ["input_ids", "attention_mask"]}
    made = {}
    for name, arch, feeds, dyn_feeds, axes in cases:
        gen = torch.Generator().manual_seed(SEED)
        model = tm.build(arch, gen)
        made[name] = model
        inames = names.get(arch, ["input"])
        targs = tuple(torch.from_numpy(a) for a in feeds)
        base = {"family": arch, "exporter": "torch.onnx.export (TorchScript, dynamo=False)", "seed": SEED, "versions": ver}
        write_case(out, name, torch_export(model, targs, inames), feeds, base, FLOAT_TOL)
        dyn = dict(base, dynamic_axes={n: a for n, a in zip(inames, axes)})
        write_case(out, name + "_dynamic", torch_export(model, targs, inames, dynamic=axes), dyn_feeds, dyn, FLOAT_TOL)
    # 10. the dynamo exporter (torch.export + onnxscript), fixed and dynamic batch.
    if hasattr(torch.onnx, "export"):
        feeds = [img(2)]
        base = {"family": "se_cnn", "exporter": "torch.onnx.export (dynamo=True)", "seed": SEED, "versions": ver}
        targs = (torch.from_numpy(feeds[0]),)
        try:
            write_case(out, "se_cnn_dynamo", torch_export(made["se_cnn"], targs, ["input"], dynamo=True), feeds, base, FLOAT_TOL)
            write_case(out, "se_cnn_dynamo_dynamic", torch_export(made["se_cnn"], targs, ["input"], dynamic=[[0]], dynamo=True),
                       [img(3)], dict(base, dynamic_axes={"input": [0]}), FLOAT_TOL)
            # The ViT through the dynamo exporter at opset 21, where GELU becomes the Gelu op (opset 20).
            feeds = [img(2)]
            write_case(out, "vit_tiny_dynamo_opset21", torch_export(made["vit_tiny"], (torch.from_numpy(feeds[0]),), ["input"], dynamo=True,
                                                                    opset=21), feeds, dict(base, family="vit_tiny"), FLOAT_TOL)
        except Exception as e:  # noqa: BLE001 - an exporter that cannot run here is reported, not fatal
            print(f"the dynamo exporter failed: {type(e).__name__}: {e}")
    # The float model the QOperator quantizer gets: SE-CNN with a MatMul classifier.
    gen = torch.Generator().manual_seed(SEED)
    m = tm.build("se_cnn_matmul_head", gen)
    feeds = [img(2)]
    write_case(out, "se_cnn_matmul_head", torch_export(m, (torch.from_numpy(feeds[0]),), ["input"]), feeds,
               {"family": "se_cnn", "exporter": "torch.onnx.export (TorchScript, dynamo=False)", "seed": SEED, "versions": ver}, FLOAT_TOL)


# ---- onnxruntime.quantization --------------------------------------------------------------------
def quant_cases(out):
    from onnxruntime import quantization as q

    def ver(src):  # the source model's exporter versions, then this run's ORT
        with open(os.path.join(out, src, "meta.json")) as f:
            return dict(json.load(f)["versions"], **versions())

    class Reader(q.CalibrationDataReader):
        # Calibration batches drawn like the test inputs (standard normal images), fixed seed.
        def __init__(self, name, n=8):
            r = np.random.default_rng(SEED + 1)
            self.batches = iter([{name: r.standard_normal((2, 3, 32, 32)).astype(np.float32)} for _ in range(n)])

        def get_next(self):
            return next(self.batches, None)

    def load_feeds(src):
        ds = os.path.join(out, src, "test_data_set_0")
        return [numpy_helper.to_array(onnx.load_tensor(os.path.join(ds, f))) for f in sorted(os.listdir(ds)) if f.startswith("input_")]

    def need(src):
        path = os.path.join(out, src, "model.onnx")
        if not os.path.exists(path):
            raise SystemExit(f"quant: {path} is missing; run the torch group first")
        return path

    with tempfile.TemporaryDirectory() as tmp:
        pre = os.path.join(tmp, "pre.onnx")
        # 11. static QDQ of the SE-CNN, after ORT's recommended pre-processing (shape inference).
        q.quant_pre_process(need("se_cnn"), pre, skip_optimization=True)
        for name, per_channel, act in (("se_cnn_qdq_per_channel", True, q.QuantType.QInt8),
                                       ("se_cnn_qdq_per_tensor", False, q.QuantType.QInt8),
                                       ("se_cnn_qdq_u8", False, q.QuantType.QUInt8)):
            dst = os.path.join(tmp, name + ".onnx")
            wt = q.QuantType.QUInt8 if act == q.QuantType.QUInt8 else q.QuantType.QInt8
            q.quantize_static(pre, dst, Reader("input"), quant_format=q.QuantFormat.QDQ, per_channel=per_channel,
                              activation_type=act, weight_type=wt, calibrate_method=q.CalibrationMethod.MinMax)
            write_case(out, name, onnx.load(dst), load_feeds("se_cnn"),
                       {"family": "se_cnn", "exporter": f"onnxruntime.quantization.quantize_static (QDQ, per_channel={per_channel}, "
                        f"activations {act.name}, weights {wt.name}, MinMax over 8 random batches of 2 images)", "source": "se_cnn", "versions": ver("se_cnn")}, QUANT_TOL)
        # 12. dynamic int8 quantization of the BERT-style model: DynamicQuantizeLinear + MatMulInteger.
        for src in ("bert_tiny", "bert_tiny_dynamic"):
            dst = os.path.join(tmp, src + ".onnx")
            q.quantize_dynamic(need(src), dst, weight_type=q.QuantType.QInt8)
            write_case(out, src.replace("bert_tiny", "bert_tiny_int8_dynamic_quant"), onnx.load(dst), load_feeds(src),
                       {"family": "bert_tiny", "exporter": "onnxruntime.quantization.quantize_dynamic (weights QInt8)", "source": src,
                        "versions": ver(src)}, QUANT_TOL)
        # 13. QOperator static quantization: only Conv and MatMul (QLinearConv, QLinearMatMul, all
        # standard ops), then every op type ORT quantizes (adds com.microsoft contrib ops such as
        # QLinearAdd, QLinearGlobalAveragePool, QLinearSigmoid, QLinearMul).
        q.quant_pre_process(need("se_cnn_matmul_head"), pre, skip_optimization=True)
        for name, types in (("se_cnn_qoperator", ["Conv", "MatMul"]), ("se_cnn_qoperator_all_ops", None)):
            dst = os.path.join(tmp, name + ".onnx")
            q.quantize_static(pre, dst, Reader("input"), quant_format=q.QuantFormat.QOperator, per_channel=False,
                              activation_type=q.QuantType.QUInt8, weight_type=q.QuantType.QInt8, op_types_to_quantize=types)
            write_case(out, name, onnx.load(dst), load_feeds("se_cnn_matmul_head"),
                       {"family": "se_cnn", "exporter": "onnxruntime.quantization.quantize_static (QOperator, per tensor, activations "
                        f"QUInt8, weights QInt8, op types {types or 'all'})", "source": "se_cnn_matmul_head",
                        "versions": ver("se_cnn_matmul_head")}, QUANT_TOL)


# ---- README --------------------------------------------------------------------------------------
def write_readme(out):
    rows, vers = [], {}
    for name in sorted(os.listdir(out)):
        p = os.path.join(out, name, "meta.json")
        if not os.path.exists(p):
            continue
        with open(p) as f:
            m = json.load(f)
        for k, v in m.get("versions", {}).items():
            vers.setdefault(k, set()).add(v)
        shapes = "; ".join(f"{k} {v['dtype']} {v['dims']}" for k, v in m["inputs"].items())
        rows.append(f"| {name} | {m['exporter']} | {shapes} | {m['model_bytes'] / 1024:.0f} KiB | {', '.join(m['ops'])} |")
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write("# Exporter models\n\nMade by `tools/make_exporter_models.py` (regenerates this file): small models of deployed "
                "architectures (random weights, fixed seed) exported by real exporters, as ONNX backend test folders whose "
                "expected outputs are ONNX Runtime's (CPU, graph optimizations off). Each folder's `meta.json` says how it was "
                "made and with which package versions; `tolerance.txt` is what `mutiny conformance` compares with "
                "(docs/formats.md). `tests/data/test_exporter_models.cpp` lists which folders must pass and why the others "
                "are refused.\n\nPackage versions: "
                + ", ".join(f"{k} {' / '.join(sorted(v))}" for k, v in sorted(vers.items())) + ".\n\n"
                "| folder | exporter | inputs | model | ops |\n|---|---|---|---|---|\n" + "\n".join(rows) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(HERE, "..", "tests", "fixtures", "exporters"))
    ap.add_argument("--only", default="torch,keras,quant", help="comma-separated groups: torch, keras, quant")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    groups = a.only.split(",")
    if "torch" in groups:
        try:
            import torch  # noqa: F401
            torch_cases(a.out)
        except ImportError as e:
            print(f"torch group skipped: {e}")
    if "keras" in groups:
        try:
            import exporter_models_keras as km
        except ImportError as e:
            print(f"keras group skipped: {e}")
        else:
            km.keras_cases(a.out, write_case, versions, SEED, OPSET, FLOAT_TOL)
    if "quant" in groups:
        quant_cases(a.out)
    write_readme(a.out)


if __name__ == "__main__":
    main()
