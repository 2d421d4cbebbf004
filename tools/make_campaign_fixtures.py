#!/usr/bin/env python3
"""Writes tests/fixtures/campaign/text_bert_tiny.npz: a labelled token data set for the BERT-style
text classifier of the exporter set (tests/fixtures/exporters/bert_tiny_dynamic: two inputs,
input_ids and attention_mask, symbolic batch and sequence length), for campaigns on `npz:` data.

48 sequences of 16 tokens (ids in the model's 512-word vocabulary, padded with 0 after a random
length of 4..16, attention_mask 1 on the tokens), labelled with ONNX Runtime's top-1 of the model
(the model is untrained: the labels are what the deployed model says, so the original scores 100%
and a kill is a changed decision).

Usage: python3 tools/make_campaign_fixtures.py [--out tests/fixtures/campaign]
Needs: onnxruntime, numpy (pip). Deterministic (seeded).
"""
import argparse
import os

import numpy as np
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "..", "tests", "fixtures", "campaign"))
    out = ap.parse_args().out
    os.makedirs(out, exist_ok=True)
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
