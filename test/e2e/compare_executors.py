"""Scores one reference prompt with two model files and compares the logits.

usage: compare_executors.py GEMMAC_RUN REFERENCE.json PROMPT EXPECTED.gmf ACTUAL.gmf [--tol 1e-4] [--chunk N]

Runs `gemmac-run score` on the prompt's ids with both models (e.g. the portable
executor and a compiled target library) and checks the top-8 logits and
log-sum-exps at every position with test/Inputs/compare_scores.py.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("gemmac_run")
    parser.add_argument("reference")
    parser.add_argument("prompt")
    parser.add_argument("expected")
    parser.add_argument("actual")
    parser.add_argument("--tol", default="1e-4")
    parser.add_argument("--chunk", default="32")
    args = parser.parse_args()
    with open(args.reference) as f:
        prompts = {p["name"]: p for p in json.load(f)["prompts"]}
    ids = ",".join(str(i) for i in prompts[args.prompt]["ids"])
    compare = os.path.join(os.path.dirname(__file__), "..", "Inputs", "compare_scores.py")
    with tempfile.TemporaryDirectory() as tmp:
        outputs = []
        for name, model in (("expected", args.expected), ("actual", args.actual)):
            path = os.path.join(tmp, name + ".json")
            with open(path, "w") as out:
                subprocess.run([args.gemmac_run, "score", model, "--ids", ids, "--topk", "8",
                                "--chunk", args.chunk], stdout=out, check=True)
            outputs.append(path)
        result = subprocess.run([sys.executable, compare, *outputs, "--tol", args.tol])
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
