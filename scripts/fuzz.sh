#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each (default 600) on its seed corpus
# (test/fuzz/*_corpus), keeping what it finds in BUILD/test/fuzz/*_corpus; the
# targets are those of test/fuzz/CMakeLists.txt (gemmac_fuzzers).
# Usage: scripts/fuzz.sh [SECONDS] [BUILD_DIR]   (after scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
build_dir=${2:-build}
cmake --build "$build_dir" -j 2 --target gemmac_fuzzers
for fuzzer in "$build_dir"/bin/gemmac_*_fuzzer; do
  name=$(basename "$fuzzer" _fuzzer); name=${name#gemmac_}
  corpus="$build_dir/test/fuzz/${name}_corpus"
  mkdir -p "$corpus"
  echo "== $name: $seconds s"
  "$fuzzer" -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 \
    "$corpus" "test/fuzz/${name}_corpus"
done
