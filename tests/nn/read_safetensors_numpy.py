#!/usr/bin/env python3
"""Reads a safetensors file written by xgrad with struct + json + NumPy only, and checks it,
for tests/nn/test_serialize.cpp. Exits 0 when every check passes; prints the failure and
exits 1 otherwise.

usage: read_safetensors_numpy.py FILE

Checks: the header length is a multiple of 8 and the header is JSON padded with spaces;
the tensors tile the data section; each tensor's values follow the formula the C++ test
wrote them with (float: np.arange(n) * 0.1 - 1.0 in float64 then cast; int64:
np.arange(n) * 1000003 - 2**62), bit for bit; the metadata's "crc32" is zlib's CRC32 of the
data section and "crc32_header" that of the header as compact, key-sorted JSON without
"crc32_header" itself.
"""
import json
import struct
import sys
import zlib

import numpy as np

DTYPES = {"F32": "<f4", "F64": "<f8", "I64": "<i8"}


def expected(np_dtype, shape):
    n = int(np.prod(shape, dtype=np.int64))
    if np_dtype == "<i8":
        return (np.arange(n, dtype=np.int64) * 1000003 - 2**62).reshape(shape)
    return (np.arange(n, dtype=np.float64) * 0.1 - 1.0).astype(np_dtype).reshape(shape)


def main():
    with open(sys.argv[1], "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    assert n % 8 == 0, f"header length {n} is not a multiple of 8"
    text = blob[8:8 + n].decode("utf-8")
    assert text.rstrip(" ") == text.rstrip(), "header padding is not spaces"
    header = json.loads(text)
    data = blob[8 + n:]
    meta = header.pop("__metadata__")
    end = 0
    for name, e in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        begin, stop = e["data_offsets"]
        assert begin == end, f"{name}: data begins at {begin}, expected {end}"
        end = stop
        np_dtype = DTYPES[e["dtype"]]
        arr = np.frombuffer(data[begin:stop], dtype=np_dtype).reshape(e["shape"])
        want = expected(np_dtype, tuple(e["shape"]))
        assert arr.tobytes() == want.astype(np_dtype).tobytes(), f"{name}: {arr} != {want}"
    assert end == len(data), f"tensors end at {end}, data holds {len(data)} bytes"
    assert meta["crc32"] == "%08x" % (zlib.crc32(data) & 0xFFFFFFFF), "crc32 mismatch"
    header["__metadata__"] = {k: v for k, v in meta.items() if k != "crc32_header"}
    text = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    crc = "%08x" % (zlib.crc32(text.encode("utf-8")) & 0xFFFFFFFF)
    assert meta["crc32_header"] == crc, "crc32_header mismatch"
    assert "xgrad_version" in meta


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"read_safetensors_numpy: FAILED: {e}")
        sys.exit(1)
