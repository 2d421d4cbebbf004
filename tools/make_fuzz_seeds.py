#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/): one small valid input
per shape of each format, so libFuzzer starts past the magic numbers and headers. Deterministic:
rerunning gives the same bytes. Needs Pillow for the JPEG seeds (pip install pillow).

    python3 tools/make_fuzz_seeds.py [--out tests/fuzz/corpus]
"""
import argparse
import gzip
import io
import os
import struct
import zlib

FNV_BASIS = 1469598103934665603  # Mutiny's offset basis (core/hash.hpp)
FNV_PRIME = 1099511628211


def fnv1a(data, h=FNV_BASIS):
    for b in data:
        h ^= b
        h = (h * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return h


def write(folder, name, data):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def idx(type_code, dims, payload):
    return bytes([0, 0, type_code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + payload


def gz(data):
    # mtime 0: the same bytes on every run
    return gzip.compress(data, mtime=0)


def png(width, height, color_type, bit_depth, rows):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    raw = b"".join(b"\0" + r for r in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def bmp24(width, height):
    stride = (width * 3 + 3) // 4 * 4
    pixels = b"".join(bytes((x * 40 + y * 7 + c * 90) % 256 for x in range(width) for c in range(3)).ljust(stride, b"\0")
                      for y in range(height))
    header = struct.pack("<2sIHHI", b"BM", 54 + len(pixels), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    return header + info + pixels


def native_model():
    # y = Relu(x) on [1,4], a weight constant and one attribute of each list kind, and a self-test.
    bins = bytearray()
    def tensor(dtype, shape, data):
        nonlocal bins
        off = (len(bins) + 63) // 64 * 64
        bins += b"\0" * (off - len(bins)) + data
        return "%s [%s] %d" % (dtype, ",".join(str(d) for d in shape), off)
    x = struct.pack("<4f", -1.0, 0.5, -0.25, 2.0)
    y = struct.pack("<4f", 1.0, 2.5, 3.0, 6.0)  # Relu(x) + w
    w = struct.pack("<4f", 1.0, 2.0, 3.0, 4.0)
    text = ("mutiny-model 1\ngraph tiny%20graph\nmeta preprocess unit\n"
            "value x f32 [1,4]\nvalue y f32 [1,4]\nvalue w f32 [1,4] const " + tensor("f32", [1, 4], w) + "\n"
            "value z f32 [1,4]\ninput 0\noutput 3\n"
            "node Relu relu in 0 out 1\nattr note string a%25b\n"
            "node Add add in 1 2 out 3\nattr ks ints 2 3 3\nattr fs floats 2 0x1p-1 -0x1.8p+1\nattr ss strings 2 a b\n"
            "attr t tensor " + tensor("i64", [2], struct.pack("<2q", 7, -7)) + "\nattr f float 0x1.4p+0\nattr i int -3\n"
            "selftest 0x1.4f8b588e368f1p-17 0x1.0c6f7a0b5ed8dp-20\n"
            "selftest-input " + tensor("f32", [1, 4], x) + "\nselftest-output " + tensor("f32", [1, 4], y) + "\nend\n").encode()
    boff = (64 + len(text) + 63) // 64 * 64
    body = bytearray(boff + len(bins))
    body[0:8] = b"MUTINY\0\n"
    struct.pack_into("<IIQQQ", body, 8, 2, 0, len(text), boff, len(bins))
    body[64:64 + len(text)] = text
    body[boff:] = bins
    sum_ = fnv1a(body[64:], fnv1a(body[48:64], fnv1a(body[0:40])))
    struct.pack_into("<Q", body, 40, sum_)
    return bytes(body)


def checkpoint(shape, done, identity=b"campaign"):
    # The fuzz target's campaign (tests/fuzz/fuzz_checkpoint.cpp): a 5-byte shape prefix
    # (inputs, classes, mutants, devices, batch) then the record; all counts zero, consistent.
    n_in, classes, mutants, devices, batch = shape
    prefix = bytes([n_in - 1, classes - 2, mutants, devices - 1, batch - 1])
    out = bytearray()
    u64 = lambda v: out.extend(struct.pack("<Q", v & 0xFFFFFFFFFFFFFFFF))
    f64 = lambda v: out.extend(struct.pack("<d", v))
    def s(b):
        u64(len(b)); out.extend(b)
    processed = min(done * batch, n_in)
    words = (n_in + 63) // 64
    def summary(inputs):
        u64(0); u64(0); s(b""); u64(1); u64(inputs); u64(0); u64(0); u64(0); f64(0.0); f64(0.0)
        u64(words); [u64(0) for _ in range(words)]
        u64(classes); [u64(0) for _ in range(classes)]
        u64(classes); [u64(0) for _ in range(classes)]
        u64(0)
    s(b"MUTINY-CHECKPOINT-2"); s(identity); u64(done)
    for _ in range(devices):
        s(b""); f64(0.5); summary(processed)
        for _ in range(mutants):
            summary(processed); f64(0.25)
    for _ in range((devices - 1) * (1 + mutants)):
        u64(processed); u64(0); f64(0.0); f64(0.0); f64(0.0); f64(0.0)
        counts = [processed] + [0] * (classes - 1) if processed else []
        for _ in range(2):
            u64(len(counts)); [u64(c) for c in counts]
    u64(devices); [u64(0) for _ in range(devices)]
    return prefix + bytes(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "fuzz", "corpus"))
    out = ap.parse_args().out

    d = os.path.join(out, "idx")
    images = idx(0x08, [2, 3, 3], bytes(range(18)))
    write(d, "images_u8_2x3x3.idx", images)
    write(d, "images_u8_2x3x3.idx.gz", gz(images))
    write(d, "images_nhwc_1x2x2x3.idx", idx(0x08, [1, 2, 2, 3], bytes(range(12))))
    write(d, "labels_u8.idx", idx(0x08, [2], b"\x01\x09"))
    write(d, "labels_i32.idx.gz", gz(idx(0x0C, [2], struct.pack(">2i", 3, 7))))
    write(d, "floats_f64.idx", idx(0x0E, [1, 1], struct.pack(">d", 1.5)))

    d = os.path.join(out, "cifar")
    write(d, "cifar10_1.bin", bytes([3]) + bytes((i * 7) % 256 for i in range(3072)))
    write(d, "cifar100_1.bin", bytes([5, 42]) + bytes((i * 11) % 256 for i in range(3072)))

    d = os.path.join(out, "image")
    write(d, "gray_3x2.png", png(3, 2, 0, 8, [b"\x00\x80\xff", b"\x10\x20\x30"]))
    write(d, "rgb_2x2.png", png(2, 2, 2, 8, [b"\xff\0\0\0\xff\0", b"\0\0\xff\x80\x80\x80"]))
    write(d, "rgba_1x2.png", png(1, 2, 6, 8, [b"\x01\x02\x03\x04", b"\x05\x06\x07\x08"]))
    write(d, "gray16_2x1.png", png(2, 1, 0, 16, [b"\x00\x01\xff\xfe"]))
    write(d, "palette_2x1.png", png(2, 1, 3, 8, [b"\x00\x01"])[:33]
          + struct.pack(">I", 6) + b"PLTE\xff\0\0\0\xff\0" + struct.pack(">I", zlib.crc32(b"PLTE\xff\0\0\0\xff\0"))
          + png(2, 1, 3, 8, [b"\x00\x01"])[33:])
    write(d, "rgb_3x2.bmp", bmp24(3, 2))
    write(d, "gray_2x2.pgm", b"P5\n2 2\n255\n\x00\x40\x80\xff")
    write(d, "rgb_1x2.ppm", b"P6 1 2 255\n\xff\x00\x00\x00\xff\x00")
    # JPEG: baseline, progressive and gray, 8x8 (Pillow).
    from PIL import Image
    rgb = Image.frombytes("RGB", (8, 8), bytes((x * 30 + y * 3 + c * 60) % 256 for y in range(8) for x in range(8) for c in range(3)))
    for name, img, progressive in (("rgb_8x8.jpg", rgb, False), ("rgb_8x8_progressive.jpg", rgb, True),
                                   ("gray_8x8.jpg", rgb.convert("L"), False)):
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=50, progressive=progressive, optimize=False)
        write(d, name, buf.getvalue())

    d = os.path.join(out, "native")
    write(d, "relu_add.mutiny", native_model())

    d = os.path.join(out, "checkpoint")
    write(d, "in20_c10_m2_d1_b8_done1", checkpoint((20, 10, 2, 1, 8), 1))
    write(d, "in70_c3_m1_d2_b64_done1", checkpoint((70, 3, 1, 2, 64), 1))
    write(d, "in5_c2_m0_d1_b2_done3", checkpoint((5, 2, 0, 1, 2), 3))

    d = os.path.join(out, "recipe")
    for i, r in enumerate(["unit", "torch-imagenet", "gray;resize=28x28;scale=1/255;mean=0.5;std=0.5;layout=nhwc",
                           "bgr;resize-short=5;crop=3x2;mean=1,2,3", "caffe;inception;rgb;grey;raw", "scale=-2.5e-1;layout=NCHW"]):
        write(d, "recipe_%d.txt" % i, r.encode())

    d = os.path.join(out, "dataset_spec")
    for i, s in enumerate(["idx:images.idx,labels.idx", "idx:images.idx.gz@first=1", "cifar:cifar.bin@sample=1:7",
                           "cifar10:cifar.bin,cifar.bin", "folder:classes", "images:classes/a@first=2", "list:list.txt",
                           "npy:x.npy@labels=y.npy", "npz:data.npz@inputs=in:x@labels=y", "fashion-mnist:test@sample=2:3"]):
        write(d, "spec_%d.txt" % i, s.encode())

    d = os.path.join(out, "mutant_list")
    write(d, "list.txt", b"# mutiny mutant list\n# model-hash: fnv1a64:0123456789abcdef models/x%20y.onnx\n"
                         b"# mutiny mutants x.onnx --ops vanilla\nid=m000001 op=CW target=node:/fc1/Gemm/units:0 seed=0 p=0.1\n"
                         b"id=m000002 op=GF(ratio=0.5,sigma=0.1) target=weights:fc1.weight seed=18446744073709551615\r\n"
                         b"# not_applicable: id=m3 op=NAI target=* seed=1 -- no activations\n")
    write(d, "ops.txt", b"OPS vanilla, GF(ratio=0.5 , sigma=0.1),NEB(),mutatenn,")

    d = os.path.join(out, "csv")
    write(d, "header.csv", b"a,b,c\n1,2,3\n-4.5,5e3,0x1p-2\n\n7,8,9\r\n")
    write(d, "plain.csv", b"1\n2\n3\n")


if __name__ == "__main__":
    main()
