"""Compares two `gemmac-run score` JSON outputs numerically.

usage: compare_scores.py EXPECTED.json ACTUAL.json [--tol 1e-4]

The top-k ids must agree wherever their logits are not within the tolerance
of each other (near-ties may swap); logits and log-sum-exps must agree within
the tolerance, relative to max(1, |expected|). Prints the largest difference;
exits 1 on a mismatch.
"""
import argparse
import json
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("expected")
    parser.add_argument("actual")
    parser.add_argument("--tol", type=float, default=1e-4)
    args = parser.parse_args()
    with open(args.expected) as f:
        expected = json.load(f)
    with open(args.actual) as f:
        actual = json.load(f)

    worst = 0.0

    def close(a, b, what):
        nonlocal worst
        diff = abs(a - b) / max(1.0, abs(a))
        worst = max(worst, diff)
        if diff > args.tol:
            sys.exit(f"{what}: {a} vs {b} (difference {diff:g} > {args.tol:g})")

    if len(expected["logsumexp"]) != len(actual["logsumexp"]):
        sys.exit("different numbers of positions")
    for pos, (e, a) in enumerate(zip(expected["logsumexp"], actual["logsumexp"])):
        close(e, a, f"position {pos} logsumexp")
    for pos, (e_ids, a_ids, e_logits, a_logits) in enumerate(
        zip(expected["topk_ids"], actual["topk_ids"], expected["topk_logits"], actual["topk_logits"])
    ):
        # Rank by rank the logits agree; an id may differ only within a near-tie.
        expected_by_id = dict(zip(e_ids, e_logits))
        for rank, (a_id, a_logit) in enumerate(zip(a_ids, a_logits)):
            close(e_logits[rank], a_logit, f"position {pos} rank {rank} logit")
            if a_id != e_ids[rank] and a_id in expected_by_id:
                close(expected_by_id[a_id], a_logit, f"position {pos} id {a_id} logit")
            elif a_id != e_ids[rank] and abs(e_logits[rank] - e_logits[-1]) > args.tol:
                sys.exit(f"position {pos} rank {rank}: id {a_id} vs {e_ids[rank]}")
    print(f"match: largest relative difference {worst:.3g}")


if __name__ == "__main__":
    main()
