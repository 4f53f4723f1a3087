#!/usr/bin/env python3
"""Writes an edited copy of a config.json, for the importer's limit tests.

  edit_config.py IN OUT [--set KEY JSON]... [--drop KEY]...

KEY may be dotted (text_config.vocab_size) to reach into nested objects; JSON
is any JSON value (a number, a list, an object).
"""
import argparse
import json

parser = argparse.ArgumentParser()
parser.add_argument("input")
parser.add_argument("output")
parser.add_argument("--set", nargs=2, action="append", default=[])
parser.add_argument("--drop", action="append", default=[])
args = parser.parse_args()

with open(args.input) as f:
    config = json.load(f)


def parent_of(key):
    *path, last = key.split(".")
    node = config
    for part in path:
        node = node.setdefault(part, {})
    return node, last


for key, value in args.set:
    node, last = parent_of(key)
    node[last] = json.loads(value)
for key in args.drop:
    node, last = parent_of(key)
    node.pop(last, None)
with open(args.output, "w") as f:
    json.dump(config, f, indent=2)
