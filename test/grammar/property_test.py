#!/usr/bin/env python3
"""Property test of constrained decoding: random JSON schemas (seeded) x seeded
sampling at temperature 1 on a model; every complete output must parse and
validate, as judged by python3-jsonschema (an independent validator), and an
output cut short by the token budget must be reported as unfinished.

  property_test.py DRIVER MODEL.gmf [--schemas N] [--tokens N] [--seed S]
"""
import argparse
import json
import random
import subprocess
import sys
import tempfile

import jsonschema

WORDS = ["id", "name", "age", "ok", "tags", "x", "note", "score", "city", "kind"]


def random_schema(rng, depth=0):
    kinds = ["string", "integer", "number", "boolean", "null", "enum", "const"]
    if depth < 2:
        kinds += ["object", "object", "array", "anyOf"]
    kind = rng.choice(kinds)
    if kind == "string":
        schema = {"type": "string", "maxLength": rng.randint(0, 6)}
        if rng.random() < 0.3:
            schema["minLength"] = rng.randint(0, schema["maxLength"])
        return schema
    if kind in ("integer", "number"):
        schema = {"type": kind}
        if rng.random() < 0.6:
            lo = rng.randint(-300, 300)
            schema["minimum"] = lo
            if rng.random() < 0.7:
                schema["maximum"] = lo + rng.randint(0, 500)
        elif rng.random() < 0.3:
            schema["exclusiveMaximum"] = rng.randint(-50, 50)
        return schema
    if kind in ("boolean", "null"):
        return {"type": kind}
    if kind == "enum":
        return {"enum": rng.sample(["red", "green", "a\"b", "é", 1, 2.5, None, True], rng.randint(1, 3))}
    if kind == "const":
        return {"const": rng.choice(["fixed", 42, {"k": [1, "v"]}, None])}
    if kind == "array":
        schema = {"type": "array", "items": random_schema(rng, depth + 1), "maxItems": rng.randint(0, 3)}
        if rng.random() < 0.5:
            schema["minItems"] = rng.randint(0, min(1, schema["maxItems"]))
        return schema
    if kind == "anyOf":
        return {"anyOf": [random_schema(rng, depth + 1) for _ in range(2)]}
    names = rng.sample(WORDS, rng.randint(1, 3))
    schema = {"type": "object", "properties": {n: random_schema(rng, depth + 1) for n in names}}
    schema["required"] = [n for n in names if rng.random() < 0.6]
    if rng.random() < 0.7:
        schema["additionalProperties"] = False
    return schema


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("driver")
    parser.add_argument("model")
    parser.add_argument("--schemas", type=int, default=24)
    parser.add_argument("--tokens", type=int, default=48)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    schemas = [random_schema(rng) for _ in range(args.schemas)]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl") as file:
        for schema in schemas:
            file.write(json.dumps(schema) + "\n")
        file.flush()
        run = subprocess.run([args.driver, args.model, file.name, str(args.tokens), str(args.seed)],
                             capture_output=True, text=True, check=True)
    results = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(results) == len(schemas), run.stderr

    failures, complete = [], 0
    for schema, result in zip(schemas, results):
        text = bytes.fromhex(result["text_hex"]).decode("utf-8", errors="replace")
        if result["status"] == "error":
            failures.append(f"error {result['message']!r} for {json.dumps(schema)}")
            continue
        if result["status"] == "unfinished":
            print(f"unfinished (budget): {text!r}")
            continue
        complete += 1
        try:
            document = json.loads(text)
            jsonschema.Draft7Validator(schema).validate(document)
            print(f"ok: {text!r}")
        except (ValueError, jsonschema.ValidationError) as error:
            failures.append(f"{text!r} does not validate against {json.dumps(schema)}: {error}")
    print(f"{complete} of {len(schemas)} outputs complete, {len(failures)} failures")
    for failure in failures:
        print("FAIL:", failure)
    # Most outputs must finish, or the test would prove little.
    if failures or complete < len(schemas) // 2:
        sys.exit(1)


if __name__ == "__main__":
    main()
