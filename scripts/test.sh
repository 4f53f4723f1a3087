#!/usr/bin/env bash
# Sets up (packages + build) and runs the whole test suite: lit/FileCheck, GoogleTest,
# and the end-to-end tests against ../shared/reference; then the sanitizer stage
# (scripts/sanitize.sh: the unit and lit tests under ASan + UBSan, sessions on
# several threads under TSan).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
bash scripts/setup.sh "$build_dir"
ctest --test-dir "$build_dir" --output-on-failure -j 2 --timeout 1500
bash scripts/sanitize.sh "$build_dir"
