"""Checks a `gemmac-run classify` JSON output, optionally against another.

usage: check_classify.py ACTUAL.json [--same-as EXPECTED.json] [--tol 1e-5]

The probabilities must sum to 1, each be exp(log_prob) / sum of exp(log_prob),
and the chosen label be the likeliest. With --same-as, every probability and
log_prob must be within the tolerance of the other output's. Exits 1 otherwise.
"""
import argparse
import json
import math
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("actual")
    parser.add_argument("--same-as")
    parser.add_argument("--tol", type=float, default=1e-5)
    args = parser.parse_args()
    with open(args.actual) as f:
        actual = json.load(f)
    labels = actual["labels"]
    probabilities = [label["probability"] for label in labels]
    total = sum(math.exp(label["log_prob"]) for label in labels)
    errors = []
    if abs(sum(probabilities) - 1) > args.tol:
        errors.append("probabilities sum to %g" % sum(probabilities))
    for label in labels:
        if abs(label["probability"] - math.exp(label["log_prob"]) / total) > args.tol:
            errors.append("%r: probability %g is not its normalized exp(log_prob)" % (label["label"], label["probability"]))
    best = max(range(len(labels)), key=lambda i: probabilities[i])
    if probabilities[actual["chosen_index"]] != probabilities[best] or actual["chosen"] != labels[actual["chosen_index"]]["label"]:
        errors.append("chosen %r is not the likeliest" % actual["chosen"])
    if args.same_as:
        with open(args.same_as) as f:
            expected = json.load(f)["labels"]
        worst = 0.0
        for want, got in zip(expected, labels):
            for key in ("probability", "log_prob"):
                worst = max(worst, abs(want[key] - got[key]))
        if [label["label"] for label in expected] != [label["label"] for label in labels] or worst > args.tol:
            errors.append("differs from %s by %g" % (args.same_as, worst))
        else:
            print("same as %s: largest difference %.3g" % (args.same_as, worst))
    for error in errors:
        print("check_classify: " + error, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
