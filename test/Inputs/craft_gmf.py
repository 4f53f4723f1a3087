"""Makes a .gmf that differs from a genuine one, to test how the runtime binds
a compiled forward pass to its model file.

usage: craft_gmf.py FLATC SCHEMA IN OUT --vocab N
       craft_gmf.py FLATC SCHEMA IN OUT --flip producer|weights

--vocab N: a consistent smaller model (config, embedding shape and segment
size, logits width; no tokenizer) whose FlatBuffer is rebuilt by flatc and
padded to the old segment_base, with the old weights and content_hash kept:
every loader check passes, only the plan differs from the one the library
beside it bakes in.
--flip: one byte XOR 1, in the producer string (before segment_base, where
the FlatBuffer verifier accepts it) or in the middle of the weights.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile


def to_json(flatc, schema, path, workdir):
    subprocess.run([flatc, "--json", "--raw-binary", "--strict-json", "-o", workdir, schema, "--", path],
                   check=True)
    name = os.path.splitext(os.path.basename(path))[0] + ".json"
    with open(os.path.join(workdir, name)) as f:
        return json.load(f)


def shrink_vocab(flatc, schema, data, model, vocab, workdir):
    old = model["config"]["vocab_size"]
    model["config"]["vocab_size"] = vocab
    for tensor in model["tensors"]:
        if tensor["shape"][0] == old:
            tensor["shape"][0] = vocab
            segment = model["segments"][tensor.get("segment", 0)]
            segment["size"] = segment["size"] // old * vocab
    for value in model["plan"]["values"]:
        if value.get("width") == old:
            value["width"] = vocab
    model["tokenizer"] = []
    source = os.path.join(workdir, "crafted.json")
    with open(source, "w") as f:
        json.dump(model, f)
    subprocess.run([flatc, "-b", "-o", workdir, schema, source], check=True)
    with open(os.path.join(workdir, "crafted.gmf"), "rb") as f:  # the schema's file_extension
        flatbuffer = f.read()
    base = model["segment_base"]
    if len(flatbuffer) > base:
        sys.exit(f"the crafted FlatBuffer ({len(flatbuffer)} bytes) does not fit before segment_base {base}")
    return flatbuffer + bytes(base - len(flatbuffer)) + data[base:]


def flip(data, model, where):
    base = model["segment_base"]
    if where == "producer":
        offset = data.find(model["producer"].encode(), 0, base)
        assert offset >= 0, "no producer string before segment_base"
    else:
        offset = base + (len(data) - base) // 2
    out = bytearray(data)
    out[offset] ^= 1
    return bytes(out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("flatc")
    parser.add_argument("schema")
    parser.add_argument("input")
    parser.add_argument("output")
    change = parser.add_mutually_exclusive_group(required=True)
    change.add_argument("--vocab", type=int)
    change.add_argument("--flip", choices=["producer", "weights"])
    args = parser.parse_args()
    with open(args.input, "rb") as f:
        data = f.read()
    with tempfile.TemporaryDirectory() as workdir:
        model = to_json(args.flatc, args.schema, args.input, workdir)
        if args.vocab:
            crafted = shrink_vocab(args.flatc, args.schema, data, model, args.vocab, workdir)
        else:
            crafted = flip(data, model, args.flip)
    with open(args.output, "wb") as f:
        f.write(crafted)


if __name__ == "__main__":
    main()
