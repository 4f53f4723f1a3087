#!/usr/bin/env python3
"""Writes a broken copy of a safetensors file, for the importer's error tests.

  edit_safetensors.py IN OUT [--drop NAME] [--rename OLD NEW]
                             [--transpose NAME] [--dtype NAME DTYPE]

Only the header changes (plus dropped bytes), so each edit produces exactly one
kind of problem: a missing tensor, an unexpected one, a wrong shape (same byte
size) or an unsupported dtype (same element size).
"""
import argparse
import json
import struct

parser = argparse.ArgumentParser()
parser.add_argument("input")
parser.add_argument("output")
parser.add_argument("--drop", action="append", default=[])
parser.add_argument("--rename", nargs=2, action="append", default=[])
parser.add_argument("--transpose", action="append", default=[])
parser.add_argument("--dtype", nargs=2, action="append", default=[])
args = parser.parse_args()

with open(args.input, "rb") as f:
    data = f.read()
(header_len,) = struct.unpack("<Q", data[:8])
header = json.loads(data[8 : 8 + header_len])
body = data[8 + header_len :]

metadata = header.pop("__metadata__", None)
tensors = {}
for name, info in header.items():
    begin, end = info["data_offsets"]
    tensors[name] = (info["dtype"], info["shape"], body[begin:end])

for name in args.drop:
    del tensors[name]
for old, new in args.rename:
    tensors[new] = tensors.pop(old)
for name in args.transpose:
    dtype, shape, raw = tensors[name]
    tensors[name] = (dtype, list(reversed(shape)), raw)
for name, dtype in args.dtype:
    _, shape, raw = tensors[name]
    tensors[name] = (dtype, shape, raw)

new_header = {} if metadata is None else {"__metadata__": metadata}
new_body = bytearray()
for name, (dtype, shape, raw) in tensors.items():
    new_header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(new_body), len(new_body) + len(raw)]}
    new_body += raw
encoded = json.dumps(new_header, separators=(",", ":")).encode()
encoded += b" " * (-len(encoded) % 8)
with open(args.output, "wb") as f:
    f.write(struct.pack("<Q", len(encoded)) + encoded + new_body)
