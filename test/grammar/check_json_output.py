#!/usr/bin/env python3
"""Runs a command and checks that it succeeds and that its standard output is
one JSON document that validates against a schema (python3-jsonschema).

  check_json_output.py SCHEMA.json COMMAND [ARGS...]
"""
import json
import subprocess
import sys

import jsonschema


def main():
    with open(sys.argv[1]) as file:
        schema = json.load(file)
    run = subprocess.run(sys.argv[2:], capture_output=True, text=True)
    print(run.stdout)
    print(run.stderr, file=sys.stderr)
    if run.returncode != 0:
        sys.exit(f"exit code {run.returncode}")
    jsonschema.Draft7Validator(schema).validate(json.loads(run.stdout))
    print("output validates")


if __name__ == "__main__":
    main()
