#!/usr/bin/env python3
"""Writes the campaign fixtures of tests/fixtures/campaign:

fcnn_fixed_batch2.onnx: models/fashion_fcnn.onnx with its batch dimension fixed to 2 (input and
output), so that a data set of an odd size leaves a last batch the model cannot take: a campaign in
which every device fails (cli.campaign_every_device_failed).

text_bert_tiny.npz: a labelled token data set for the BERT-style
text classifier of the exporter set (tests/fixtures/exporters/bert_tiny_dynamic: two inputs,
input_ids and attention_mask, symbolic batch and sequence length), for campaigns on `npz:` data.

48 sequences of 16 tokens (ids in the model's 512-word vocabulary, padded with 0 after a random
length of 4..16, attention_mask 1 on the tokens), labelled with ONNX Runtime's top-1 of the model
(the model is untrained: the labels are what the deployed model says, so the original scores 100%
and a kill is a changed decision).

Usage: python3 tools/make_campaign_fixtures.py [--out tests/fixtures/campaign] [--what all|text|fixed-batch]
Needs: onnx, onnxruntime, numpy (pip). Deterministic (seeded).
"""
import argparse
import os

import numpy as np
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))


def fixed_batch(out):
    import onnx

    m = onnx.load(os.path.join(HERE, "..", "models", "fashion_fcnn.onnx"))
    for v in list(m.graph.input) + list(m.graph.output):
        v.type.tensor_type.shape.dim[0].ClearField("dim_param")
        v.type.tensor_type.shape.dim[0].dim_value = 2
    del m.graph.value_info[:]
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, "fcnn_fixed_batch2.onnx"))
    print("wrote", os.path.join(out, "fcnn_fixed_batch2.onnx"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "..", "tests", "fixtures", "campaign"))
    ap.add_argument("--what", default="all", choices=["all", "text", "fixed-batch"])
    args = ap.parse_args()
    out = args.out
    os.makedirs(out, exist_ok=True)
    if args.what in ("all", "fixed-batch"):
        fixed_batch(out)
    if args.what == "fixed-batch":
        return
    model = os.path.join(HERE, "..", "tests", "fixtures", "exporters", "bert_tiny_dynamic", "model.onnx")
    rng = np.random.default_rng(2026)
    n, seq = 48, 16
    lengths = rng.integers(4, seq + 1, n)
    ids = rng.integers(1, 512, (n, seq)).astype(np.int64)
    mask = (np.arange(seq)[None, :] < lengths[:, None]).astype(np.int64)
    ids *= mask
    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    logits = sess.run(None, {"input_ids": ids, "attention_mask": mask})[0]
    labels = logits.argmax(1).astype(np.int64)
    np.savez_compressed(os.path.join(out, "text_bert_tiny.npz"), input_ids=ids, attention_mask=mask, labels=labels)
    print("wrote", os.path.join(out, "text_bert_tiny.npz"), "labels per class:", np.bincount(labels, minlength=3).tolist(),
          "(onnxruntime", ort.__version__ + ")")


if __name__ == "__main__":
    main()
