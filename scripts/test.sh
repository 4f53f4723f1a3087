#!/usr/bin/env bash
# Sets up (packages + build) and runs the whole test suite: lit/FileCheck, GoogleTest,
# and the end-to-end tests against ../shared/reference.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
bash scripts/setup.sh "$build_dir"
ctest --test-dir "$build_dir" --output-on-failure -j 2 --timeout 1500
