#!/usr/bin/env python3
"""Data for a sampled campaign on a light ImageNet model (bench/README.md, "A big-model run").

Writes OUT/model.onnx: the light model with seeded random weights and a symbolic batch, as
tools/bench_vs_onnxruntime.py seeds it (seed 7); and OUT/data.npz: COUNT images of 224 x 224 made
from the shared ImageNet pictures (MUTINY_SHARED_DATA_DIR/images/imagenet_*) by seeded crops (60-100%
of the shorter side, anywhere in the picture) and mirror flips, Caffe-preprocessed (BGR, mean
104/117/123 subtracted), as array `x` (float32 [COUNT, 3, 224, 224]), and `labels`: ONNX Runtime's
top-1 class of each image on the seeded model (the weights are random, so the original's own
predictions are the only meaningful labels: the original is right on every input and a mutant is
killed where it changes a prediction).

  python3 tools/make_imagenet_sample.py [--model light_resnet50] [--count 100] --out DIR
then
  mpirun -np 2 build/bin/mutiny campaign DIR/model.onnx --data "npz:DIR/data.npz@inputs=gpu_0/data_0:x" \
      --ops vanilla --sample 200 --mpi --threads 1 --out DIR/run
"""
import argparse
import glob
import os
import sys

import numpy as np
import onnxruntime as ort
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_vs_onnxruntime import SHARED, seeded_light_model  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="light_resnet50")
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    shared = os.environ.get("MUTINY_SHARED_DATA_DIR", SHARED)
    os.makedirs(a.out, exist_ok=True)
    model = os.path.join(a.out, "model.onnx")
    seeded_light_model(os.path.join(shared, "onnx", "light", a.model + ".onnx"), model)
    pictures = sorted(glob.glob(os.path.join(shared, "images", "imagenet_*", "*")))
    if not pictures:
        sys.exit("no pictures under " + os.path.join(shared, "images", "imagenet_*"))
    rng = np.random.default_rng(a.seed)
    mean = np.array([104.0, 117.0, 123.0], dtype=np.float32).reshape(3, 1, 1)
    x = np.empty((a.count, 3, 224, 224), dtype=np.float32)
    for i in range(a.count):
        img = Image.open(pictures[i % len(pictures)]).convert("RGB")
        w, h = img.size
        side = int(min(w, h) * rng.uniform(0.6, 1.0))
        left, top = int(rng.integers(0, w - side + 1)), int(rng.integers(0, h - side + 1))
        img = img.crop((left, top, left + side, top + side)).resize((224, 224), Image.BILINEAR)
        if rng.random() < 0.5:
            img = img.transpose(Image.FLIP_LEFT_RIGHT)
        rgb = np.asarray(img, dtype=np.float32).transpose(2, 0, 1)
        x[i] = rgb[::-1] - mean  # BGR, mean subtracted
    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    labels = np.concatenate([sess.run(None, {name: x[i:i + 10]})[0].argmax(axis=1) for i in range(0, a.count, 10)]).astype(np.int64)
    np.savez(os.path.join(a.out, "data.npz"), x=x, labels=labels)
    print(f"{model}: input {name}; {a.count} images from {len(pictures)} pictures, {len(set(labels.tolist()))} distinct labels -> {a.out}/data.npz")


if __name__ == "__main__":
    main()
