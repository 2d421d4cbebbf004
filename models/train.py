#!/usr/bin/env python3
"""Train and export Mutiny's shipped Fashion-MNIST models.

Usage
-----
    python3 models/train.py                   # retrain and export all three models
    python3 models/train.py --only fashion_lenet5
    python3 models/train.py --only fashion_resnet --epochs 4
    python3 models/train.py --data-dir /usr/share/datasets/fashion-mnist --out-dir models

Models (all take input "input", float32 [N,1,28,28], pixels / 255 in [0,1];
all produce output "logits", float32 [N,10], raw logits, no softmax):

  fashion_fcnn    DeepMAACC's FCNN: Flatten -> Dense(50,ReLU) x3 -> Dense(10)
  fashion_lenet5  DeepMAACC's LeNet-5: ZeroPad 2 (28->32) -> Conv(6,5x5,sigmoid)
                  -> AvgPool 2 -> Conv(16,5x5,sigmoid) -> AvgPool 2 -> Flatten
                  -> Dense(120,sigmoid) -> Dense(84,sigmoid) -> Dense(10)
  fashion_resnet  small residual CNN: strided Conv+BN+ReLU stem (14x14), three basic
                  blocks 16 (identity skip) / 32 / 64 channels (stride 2, 1x1 conv
                  shortcuts), GlobalAveragePool, Dense(10); BatchNormalization kept
                  in the exported graph (not folded into Conv)

After export, constant-only nodes the TorchScript exporter leaves behind (the Pad
amounts, Identity copies of de-duplicated initializers) are folded into initializers,
so every node of the shipped graphs computes on the input.

Data: Debian package `dataset-fashion-mnist` (apt-get install -y dataset-fashion-mnist),
gzip'ed IDX files in /usr/share/datasets/fashion-mnist/, read with gzip + numpy.
Training uses the 60,000 training images; accuracy is measured on the 10,000 test images.

Outputs per model NAME, written to --out-dir (default: the directory of this script):
  NAME.onnx            standard ONNX, opset 13, dynamic batch dimension "N"
  NAME.reference.bin   onnxruntime (CPU, float32) logits on the 10,000 test images,
                       raw little-endian float32, shape [10000,10], IDX file order
  NAME.json            metadata: accuracies, timings, versions, sha256 of the files

Requirements (pip): torch, onnx, onnxruntime, numpy. Everything is seeded (python,
numpy, torch; fixed data order) and runs with torch.use_deterministic_algorithms(True)
on a fixed number of CPU threads (--threads, default 1); retraining with the same
torch version on the same kind of CPU reproduces the same weights. Each model seeds
itself, so `--only NAME` gives the same model as a full run.
"""

import argparse
import json
import os
import random
import sys
import time

import numpy as np

# On a small shared machine OpenMP threads that spin while waiting for each other make
# training many times slower; passive waiting avoids that. Must be set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

SEED = 20240601
OPSET = 13
DEFAULT_THREADS = 1
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from fashion_data import DEFAULT_DATA_DIR, add_recipe, load_split, read_idx_gz, run_onnxruntime, sha256_file  # noqa: E402,F401


# --------------------------------------------------------------------------- data


# --------------------------------------------------------------------------- models

class FCNN(nn.Module):
    """DeepMAACC FCNN: 50+50+50+10 = 160 neurons."""

    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(28 * 28, 50)
        self.fc2 = nn.Linear(50, 50)
        self.fc3 = nn.Linear(50, 50)
        self.fc4 = nn.Linear(50, 10)

    def forward(self, x):
        x = self.flatten(x)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = F.relu(self.fc3(x))
        return self.fc4(x)


class LeNet5(nn.Module):
    """DeepMAACC LeNet-5: 6+16+120+84+10 = 236 neurons."""

    def __init__(self):
        super().__init__()
        self.pad = nn.ZeroPad2d(2)  # 28x28 -> 32x32, exported as an explicit Pad node
        self.conv1 = nn.Conv2d(1, 6, 5)  # 32 -> 28
        self.pool1 = nn.AvgPool2d(2)  # 28 -> 14
        self.conv2 = nn.Conv2d(6, 16, 5)  # 14 -> 10
        self.pool2 = nn.AvgPool2d(2)  # 10 -> 5
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pad(x)
        x = self.pool1(torch.sigmoid(self.conv1(x)))
        x = self.pool2(torch.sigmoid(self.conv2(x)))
        x = self.flatten(x)
        x = torch.sigmoid(self.fc1(x))
        x = torch.sigmoid(self.fc2(x))
        return self.fc3(x)


class BasicBlock(nn.Module):
    """Conv-BN-ReLU-Conv-BN + skip, Add, ReLU. Strided blocks use a 1x1 conv+BN shortcut."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                nn.BatchNorm2d(cout),
            )
        else:
            self.shortcut = nn.Identity()

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class SmallResNet(nn.Module):
    """Conv3x3+BN+ReLU stem -> BasicBlocks -> GlobalAveragePool -> Dense(10).

    Default layout (sized for a busy 2-core CPU): stem Conv3x3 stride 2, 16ch @14x14
    -> block 16ch @14x14 (identity skip) -> block 32ch @7x7 (stride 2, 1x1 conv+BN shortcut)
    -> block 64ch @4x4 (stride 2, 1x1 conv+BN shortcut)."""

    def __init__(self, stem=16, blocks=((16, 1), (32, 2), (64, 2)), stem_stride=2):
        super().__init__()
        self.stem_conv = nn.Conv2d(1, stem, 3, stride=stem_stride, padding=1, bias=False)
        self.stem_bn = nn.BatchNorm2d(stem)
        layers, cin = [], stem
        for cout, stride in blocks:
            layers.append(BasicBlock(cin, cout, stride))
            cin = cout
        self.blocks = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(cin, 10)

    def forward(self, x):
        x = F.relu(self.stem_bn(self.stem_conv(x)))
        x = self.blocks(x)
        x = self.flatten(self.pool(x))
        return self.fc(x)


# Per-model training recipe. Adam everywhere; OneCycle schedule for fast convergence.
SPECS = {
    "fashion_fcnn": dict(
        make=FCNN, epochs=15, batch=128, lr=2e-3, weight_decay=0.0,
        min_acc=0.87, keep_bn=False, channels_last=False,
        description="DeepMAACC FCNN: Flatten -> Dense(50,ReLU) -> Dense(50,ReLU) -> "
                    "Dense(50,ReLU) -> Dense(10)",
    ),
    "fashion_lenet5": dict(
        make=LeNet5, epochs=20, batch=128, lr=4e-3, weight_decay=0.0,
        min_acc=0.88, keep_bn=False, channels_last=True,
        description="DeepMAACC LeNet-5: ZeroPad(2) 28->32 -> Conv(6,5x5,sigmoid) -> AvgPool(2) -> "
                    "Conv(16,5x5,sigmoid) -> AvgPool(2) -> Flatten -> Dense(120,sigmoid) -> "
                    "Dense(84,sigmoid) -> Dense(10)",
    ),
    "fashion_resnet": dict(
        make=SmallResNet, epochs=4, batch=128, lr=4e-3, weight_decay=0.0,
        min_acc=0.91, keep_bn=True, channels_last=True,
        description="Small ResNet: Conv3x3(16, stride 2)+BN+ReLU stem (14x14) -> "
                    "BasicBlock(16, identity skip) -> "
                    "BasicBlock(32, stride 2, 1x1 conv+BN shortcut) (7x7) -> "
                    "BasicBlock(64, stride 2, 1x1 conv+BN shortcut) (4x4) -> GlobalAveragePool -> "
                    "Dense(10); BatchNormalization kept as separate nodes",
    ),
}


# --------------------------------------------------------------------------- helpers

def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    os.environ.setdefault("PYTHONHASHSEED", str(seed))


def setup_torch(threads):
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False


@torch.no_grad()
def torch_logits(model, x, batch=1000):
    model.eval()
    out = []
    for i in range(0, x.shape[0], batch):
        out.append(model(x[i:i + batch]))
    return torch.cat(out).numpy().astype(np.float32)


def train_model(name, spec, xtr, ytr, xte, yte, epochs):
    seed_everything(SEED)
    model = spec["make"]()
    fmt = torch.channels_last if spec["channels_last"] else torch.contiguous_format
    model = model.to(memory_format=fmt)  # channels_last: faster oneDNN convs on CPU
    xtr = xtr.contiguous(memory_format=fmt)
    opt = torch.optim.Adam(model.parameters(), lr=spec["lr"], weight_decay=spec["weight_decay"])
    n = xtr.shape[0]
    steps_per_epoch = (n + spec["batch"] - 1) // spec["batch"]
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=spec["lr"], total_steps=epochs * steps_per_epoch, pct_start=0.25)
    gen = torch.Generator().manual_seed(SEED)
    t0, c0 = time.time(), time.process_time()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(n, generator=gen)
        total_loss = 0.0
        for s in range(steps_per_epoch):
            idx = perm[s * spec["batch"]:(s + 1) * spec["batch"]]
            xb, yb = xtr[idx], ytr[idx]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            sched.step()
            total_loss += loss.item() * idx.numel()
        acc = float((torch_logits(model, xte.contiguous(memory_format=fmt)).argmax(1)
                     == yte.numpy()).mean())
        print(f"[{name}] epoch {epoch + 1}/{epochs} loss {total_loss / n:.4f} "
              f"test acc {acc:.4f} ({time.time() - t0:.0f}s)", flush=True)
    train_seconds = time.time() - t0
    cpu_seconds = time.process_time() - c0
    model = model.to(memory_format=torch.contiguous_format)
    return model, train_seconds, cpu_seconds


def export_onnx(model, path, keep_bn):
    model.eval()
    dummy = torch.zeros(1, 1, 28, 28, dtype=torch.float32)
    kwargs = dict(
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
        opset_version=OPSET,
        export_params=True,
    )
    if keep_bn:
        # TrainingMode.PRESERVE with the model in eval mode skips the eval-mode peephole
        # pass that fuses BatchNorm into the preceding Conv; without constant folding the
        # BatchNormalization nodes stay (with running statistics, inference semantics).
        kwargs.update(training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    else:
        kwargs.update(do_constant_folding=True)
    try:
        torch.onnx.export(model, (dummy,), path, dynamo=False, **kwargs)
    except TypeError:  # older torch without the dynamo argument
        torch.onnx.export(model, (dummy,), path, **kwargs)


def fold_constants(path):
    """Make the exported graph contain only compute nodes on the real input.

    The TorchScript exporter leaves two kinds of constant-only nodes behind even with
    do_constant_folding=True:
      * the `pads` input of Pad (ZeroPad2d) is computed by a chain of Constant,
        ConstantOfShape, Concat, Reshape, Slice, Transpose, Cast nodes;
      * initializers with equal values are de-duplicated and re-created as
        `Identity(initializer)` (in the ResNet the bn2 and shortcut-BN biases of a block get
        identical Adam updates from the shared Add and stay equal).
    Every node whose inputs are all constants is evaluated once with onnx's reference
    evaluator and replaced by an initializer holding its output; initializers that are no
    longer used are dropped. Returns the list of folded op types."""
    import onnx
    from onnx import numpy_helper
    from onnx.reference import ReferenceEvaluator

    m = onnx.load(path)
    g = m.graph
    const = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    keep, folded = [], []
    for node in g.node:
        if all(i == "" or i in const for i in node.input) and node.op_type not in (
                "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
                "Multinomial", "Bernoulli"):
            single = onnx.helper.make_graph(
                [node], "fold",
                [onnx.helper.make_tensor_value_info(i, onnx.TensorProto.UNDEFINED, None)
                 for i in node.input if i],
                [onnx.helper.make_tensor_value_info(o, onnx.TensorProto.UNDEFINED, None)
                 for o in node.output])
            ref = ReferenceEvaluator(onnx.helper.make_model(single, opset_imports=m.opset_import))
            outs = ref.run(None, {i: const[i] for i in node.input if i})
            for name, value in zip(node.output, outs):
                const[name] = np.asarray(value)
            folded.append(node.op_type)
        else:
            keep.append(node)
    if not folded:
        return folded
    used = {i for node in keep for i in node.input} | {o.name for o in g.output}
    inits = [numpy_helper.from_array(const[name], name) for name in const if name in used]
    del g.node[:]
    g.node.extend(keep)
    del g.initializer[:]
    g.initializer.extend(inits)
    # value_info for folded tensors is now stale
    vi = [v for v in g.value_info if v.name not in const]
    del g.value_info[:]
    g.value_info.extend(vi)
    onnx.save(m, path)
    return folded


def check_onnx(path, keep_bn):
    import onnx
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    ops = [node.op_type for node in m.graph.node]
    leftover = {"Constant", "ConstantOfShape", "Identity", "Cast", "Shape"} & set(ops)
    assert not leftover, f"constant-only nodes left in the graph: {leftover}"
    assert len(m.graph.input) == 1 and len(m.graph.output) == 1
    inp = m.graph.input[0]
    out = m.graph.output[0]

    def shape(vi):
        return [d.dim_param if d.dim_param else d.dim_value for d in vi.type.tensor_type.shape.dim]

    assert inp.name == "input" and shape(inp) == ["N", 1, 28, 28], (inp.name, shape(inp))
    assert out.name == "logits" and shape(out) == ["N", 10], (out.name, shape(out))
    assert all(o.version == OPSET for o in m.opset_import if o.domain in ("", "ai.onnx")), \
        m.opset_import
    if keep_bn and "BatchNormalization" not in ops:
        raise RuntimeError(f"{path}: BatchNormalization nodes were folded away")
    if keep_bn:
        for node in m.graph.node:
            if node.op_type == "BatchNormalization":
                for a in node.attribute:
                    if a.name == "training_mode" and a.i != 0:
                        raise RuntimeError(f"{path}: BatchNormalization in training mode")
                assert len(node.output) == 1, "BatchNormalization must have one output"
    return ops, shape(inp), shape(out)


def build(name, args, xtr, ytr, xte, yte):
    import onnx
    import onnxruntime as ort
    spec = SPECS[name]
    epochs = args.epochs if args.epochs else spec["epochs"]
    print(f"== {name}: {spec['description']}", flush=True)
    model, train_seconds, cpu_seconds = train_model(name, spec, torch.from_numpy(xtr), torch.from_numpy(ytr),
                                       torch.from_numpy(xte), torch.from_numpy(yte), epochs)
    out_dir = args.out_dir
    onnx_path = os.path.join(out_dir, f"{name}.onnx")
    ref_path = os.path.join(out_dir, f"{name}.reference.bin")
    json_path = os.path.join(out_dir, f"{name}.json")

    export_onnx(model, onnx_path, spec["keep_bn"])
    folded = fold_constants(onnx_path)
    add_recipe(onnx_path)
    if folded:
        print(f"[{name}] folded constant-only nodes into initializers: {folded}")
    ops, in_shape, out_shape = check_onnx(onnx_path, spec["keep_bn"])

    logits_torch = torch_logits(model, torch.from_numpy(xte))
    logits_ort = run_onnxruntime(onnx_path, xte)
    assert logits_ort.shape == (xte.shape[0], 10)
    max_abs_diff = float(np.max(np.abs(logits_ort - logits_torch)))
    pred_t, pred_o = logits_torch.argmax(1), logits_ort.argmax(1)
    acc_t = float((pred_t == yte).mean())
    acc_o = float((pred_o == yte).mean())
    argmax_agree = int((pred_t == pred_o).sum())
    print(f"[{name}] torch acc {acc_t:.4f}  onnxruntime acc {acc_o:.4f}  "
          f"max |ort-torch| {max_abs_diff:.3g}  argmax agree {argmax_agree}/{len(yte)}", flush=True)
    if max_abs_diff > 1e-3:
        raise RuntimeError(f"{name}: onnxruntime and torch disagree (max abs diff {max_abs_diff})")

    logits_ort.astype("<f4").tofile(ref_path)
    size = os.path.getsize(onnx_path)
    if size >= 2 * 1024 * 1024:
        raise RuntimeError(f"{name}: {onnx_path} is {size} bytes (limit 2 MB)")

    counts = {}
    for op in ops:
        counts[op] = counts.get(op, 0) + 1
    meta = {
        "name": name,
        "description": spec["description"],
        "input": {"name": "input", "shape": in_shape, "dtype": "float32", "layout": "NCHW"},
        "output": {"name": "logits", "shape": out_shape, "dtype": "float32",
                   "semantics": "raw logits (no softmax)"},
        "preprocessing": "unit",
        "preprocessing_note": "float32 pixels / 255 in [0,1], no mean/std normalisation",
        "dataset": "Fashion-MNIST (Debian package dataset-fashion-mnist, "
                   "/usr/share/datasets/fashion-mnist/*.gz); trained on 60000 train images, "
                   "evaluated on 10000 test images",
        "test_images": int(xte.shape[0]),
        "test_accuracy_torch": acc_t,
        "test_accuracy_onnxruntime": acc_o,
        "max_abs_diff_onnxruntime_vs_torch": max_abs_diff,
        "argmax_agreement_onnxruntime_vs_torch": argmax_agree,
        "train_seconds": round(train_seconds, 1),
        "train_cpu_seconds": round(cpu_seconds, 1),
        "epochs": epochs,
        "batch_size": spec["batch"],
        "optimizer": f"Adam, OneCycle max_lr {spec['lr']}",
        "seed": SEED,
        "torch_num_threads": torch.get_num_threads(),
        "torch_version": torch.__version__,
        "onnx_version": onnx.__version__,
        "onnxruntime_version": ort.__version__,
        "numpy_version": np.__version__,
        "onnx_opset": OPSET,
        "onnx_file": os.path.basename(onnx_path),
        "onnx_bytes": size,
        "onnx_sha256": sha256_file(onnx_path),
        "onnx_node_count": len(ops),
        "onnx_op_types": counts,
        "reference_file": os.path.basename(ref_path),
        "reference_format": "raw little-endian float32, shape [10000,10], onnxruntime CPU "
                            "logits in test-set (IDX file) order",
        "reference_sha256": sha256_file(ref_path),
    }
    with open(json_path, "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    if acc_t < spec["min_acc"]:
        print(f"WARNING: {name} test accuracy {acc_t:.4f} below target {spec['min_acc']}",
              file=sys.stderr, flush=True)
    return meta


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=sorted(SPECS), action="append",
                    help="train only this model (may be repeated)")
    ap.add_argument("--epochs", type=int, default=0, help="override the number of epochs")
    ap.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                    help="torch CPU threads (default 1: fastest on a busy 2-core machine; "
                         "the thread count can change the low bits of the trained weights)")
    ap.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    ap.add_argument("--out-dir", default=HERE)
    args = ap.parse_args()

    setup_torch(args.threads)
    os.makedirs(args.out_dir, exist_ok=True)
    xtr, ytr = load_split(args.data_dir, "train")
    xte, yte = load_split(args.data_dir, "test")
    print(f"train {xtr.shape} test {xte.shape}; torch {torch.__version__}", flush=True)
    names = args.only or list(SPECS)
    t0 = time.time()
    failed = []
    for name in names:
        meta = build(name, args, xtr, ytr, xte, yte)
        if meta["test_accuracy_torch"] < SPECS[name]["min_acc"]:
            failed.append(name)
    print(f"total {time.time() - t0:.0f}s", flush=True)
    if failed:
        print(f"below accuracy target: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
