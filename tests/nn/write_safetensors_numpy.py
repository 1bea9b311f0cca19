#!/usr/bin/env python3
"""Writes safetensors files by hand with struct + json + NumPy only, as another tool would,
for tests/nn/test_serialize.cpp to read.

usage: write_safetensors_numpy.py OUT_DIR

Writes OUT_DIR/numpy_padded.safetensors (header padded with spaces to a multiple of 8, as
the reference implementation does) and OUT_DIR/numpy_unpadded.safetensors (no padding).
Both hold the tensors below, listed in the header in a non-sorted order, with the data in
yet another order, and no CRC metadata. Values follow the formulas the C++ test checks:
  float tensors:  np.arange(n) * 0.1 - 1.0   (float64 arithmetic, then cast)
  int64 tensors:  np.arange(n) * 1000003 - 2**62
"""
import json
import os
import struct
import sys

import numpy as np

TENSORS = [  # name, dtype, shape -- the names and shapes of the C++ test's Net
    ("steps", "<i8", "I64", (3,)),
    ("body.weight", "<f4", "F32", (2, 3)),
    ("scale", "<f8", "F64", (4,)),
    ("temperature", "<f8", "F64", ()),
    ("head.weight", "<f4", "F32", (3,)),
]
DATA_ORDER = ["scale", "head.weight", "steps", "temperature", "body.weight"]


def values(np_dtype, shape):
    n = int(np.prod(shape, dtype=np.int64))
    if np_dtype == "<i8":
        return (np.arange(n, dtype=np.int64) * 1000003 - 2**62).reshape(shape)
    return (np.arange(n, dtype=np.float64) * 0.1 - 1.0).astype(np_dtype).reshape(shape)


def write(path, pad):
    by_name = {name: (np_dtype, st_dtype, shape) for name, np_dtype, st_dtype, shape in TENSORS}
    blobs, entries, offset = [], {}, 0
    for name in DATA_ORDER:
        np_dtype, st_dtype, shape = by_name[name]
        raw = values(np_dtype, shape).astype(np_dtype).tobytes()
        entries[name] = {"dtype": st_dtype, "shape": list(shape),
                         "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header = {name: entries[name] for name, *_ in TENSORS}  # header order != data order
    header["__metadata__"] = {"writer": "numpy"}
    text = json.dumps(header).encode("utf-8")  # default separators: with spaces
    if pad:
        text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main():
    out = sys.argv[1]
    write(os.path.join(out, "numpy_padded.safetensors"), pad=True)
    write(os.path.join(out, "numpy_unpadded.safetensors"), pad=False)


if __name__ == "__main__":
    main()
