#!/usr/bin/env bash
# The suite's sanitizer stage (after scripts/setup.sh, which installs the
# sanitizer runtimes): a second build with GEMMAC_SANITIZE=address,undefined
# into BUILD_DIR-asan running the unit and lit tests (ctest labels unit, lit:
# tiny and small synthetic models; the full-size fixtures, e2e, qemu, JNI,
# install and fuzz tests stay in the plain build), and a runtime-only
# ThreadSanitizer build into BUILD_DIR-tsan running the test of sessions on
# several threads. Any report fails the stage; each step prints its wall time.
# Usage: scripts/sanitize.sh [BUILD_DIR]   (default: build; builds into
# BUILD_DIR-asan and BUILD_DIR-tsan)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
asan_dir="$build_dir-asan"
tsan_dir="$build_dir-tsan"

# Reports name functions and lines (the builds carry line tables).
export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-22/bin/llvm-symbolizer
export TSAN_SYMBOLIZER_PATH=$ASAN_SYMBOLIZER_PATH UBSAN_SYMBOLIZER_PATH=$ASAN_SYMBOLIZER_PATH
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

stage() {  # stage NAME COMMAND...: runs COMMAND, then prints its wall time
  local start=$SECONDS
  "${@:2}"
  echo "== sanitize: $1 took $((SECONDS - start)) s"
}

cmake -S . -B "$asan_dir" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DGEMMAC_SANITIZE=address,undefined \
  -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
  -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
  -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit
stage "asan build" cmake --build "$asan_dir" -j 2
stage "asan tests" ctest --test-dir "$asan_dir" -L '^(unit|lit)$' --output-on-failure -j 2 --timeout 1500

# The runtime alone: the test writes its tiny models itself.
cmake -S . -B "$tsan_dir" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DGEMMAC_SANITIZE=thread -DGEMMAC_BUILD_COMPILER=OFF \
  -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22
stage "tsan build" cmake --build "$tsan_dir" -j 2 --target gemmac_threads_tests
stage "tsan tests" ctest --test-dir "$tsan_dir" -R '^Threads\.' --output-on-failure --timeout 600
