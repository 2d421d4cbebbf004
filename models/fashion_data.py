"""Fashion-MNIST data and ONNX helpers shared by train.py and quantize.py (no torch needed).

Data: Debian package `dataset-fashion-mnist`, gzip'ed IDX files in /usr/share/datasets/fashion-mnist/.
"""

import gzip
import hashlib
import os

import numpy as np

DEFAULT_DATA_DIR = "/usr/share/datasets/fashion-mnist"

def read_idx_gz(path):
    """Read a gzip'ed IDX file (ubyte data only) into a numpy array."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path}: not an IDX file")
    dtype_code, ndim = data[2], data[3]
    if dtype_code != 0x08:
        raise ValueError(f"{path}: unsupported IDX element type 0x{dtype_code:02x}")
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    count = int(np.prod(dims))
    if len(data) - offset != count:
        raise ValueError(f"{path}: expected {count} bytes of data, got {len(data) - offset}")
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(dims)

def load_split(data_dir, split):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx_gz(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx_gz(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    assert images.shape[0] == labels.shape[0] and images.shape[1:] == (28, 28)
    # preprocessing "unit": float32 pixels / 255, NCHW
    x = (images.astype(np.float32) / np.float32(255.0)).reshape(-1, 1, 28, 28)
    y = labels.astype(np.int64)
    return x, y

def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()

def run_onnxruntime(path, x, batch=1000):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(path, sess_options=so, providers=["CPUExecutionProvider"])
    out = []
    for i in range(0, x.shape[0], batch):
        out.append(sess.run(["logits"], {"input": x[i:i + batch]})[0])
    return np.concatenate(out).astype(np.float32)

def add_recipe(path, recipe="unit"):
    import onnx
    """Store the preprocessing recipe with the model (ONNX metadata_props), so `mutiny eval`
    feeds it the way it was trained without being told: key "mutiny.preprocess"."""
    m = onnx.load(path)
    for p in list(m.metadata_props):
        if p.key == "mutiny.preprocess":
            m.metadata_props.remove(p)
    entry = m.metadata_props.add()
    entry.key, entry.value = "mutiny.preprocess", recipe
    onnx.save(m, path)
