#!/usr/bin/env python3
"""gemmac-serve bench's report: every stream count in every repetition, and
the summary (medians, each repetition's ratio to its own one-stream run)
recomputed here from the runs it lists."""
import json
import statistics
import subprocess
import sys

serve, model = sys.argv[1], sys.argv[2]
result = subprocess.run([serve, "bench", model, "--streams", "1,3", "--tokens", "4", "--repetitions", "3"],
                        capture_output=True, text=True, timeout=240)
if result.returncode != 0:
    sys.exit("bench failed: %s" % result.stderr)
report = json.loads(result.stdout.strip().splitlines()[-1])
entries = {entry["streams"]: entry for entry in report["streams"]}
if sorted(entries) != [1, 3]:
    sys.exit("stream counts %s" % sorted(entries))
ones = entries[1]["runs"]
for streams, entry in entries.items():
    runs = entry["runs"]
    if len(runs) != 3 or min(runs) <= 0:
        sys.exit("%d streams: runs %s" % (streams, runs))
    if abs(entry["aggregate_tokens_per_s"] - statistics.median(runs)) > 1e-9 * max(runs):
        sys.exit("%d streams: aggregate %s is not the median of %s" % (streams, entry["aggregate_tokens_per_s"], runs))
    ratio = statistics.median(run / one for run, one in zip(runs, ones))
    if abs(entry["vs_one_stream"] - ratio) > 1e-9 * ratio:
        sys.exit("%d streams: vs_one_stream %s, paired ratios give %s" % (streams, entry["vs_one_stream"], ratio))
print("bench report: %s" % {s: round(e["vs_one_stream"], 2) for s, e in entries.items()})
