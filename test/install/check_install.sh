#!/usr/bin/env bash
# Uses an installed gemmac the way an app does (driven by test/install/CMakeLists.txt):
#   1. cmake --install the build (component runtime) into <work>/prefix;
#   2. libgemmac.so exports exactly the functions gemmac.h declares (nm -D);
#   3. builds examples/simple standalone with find_package(gemmac), and simple.c
#      with `pkg-config --cflags --libs gemmac`;
#   4. runs both on the model (when given): same greedy text, some tokens generated.
set -euo pipefail

usage() {
  echo "usage: $0 --build DIR --source DIR --work DIR --libdir REL --cmake EXE" \
       "--generator NAME --cc EXE --nm EXE --pkg-config EXE --model FILE.gmf|''" >&2
  exit 2
}
build= source= work= libdir= cmake= generator= cc= nm= pkg_config= model=
while (($#)); do
  [[ $# -ge 2 ]] || usage
  case $1 in
    --build) build=$2 ;; --source) source=$2 ;; --work) work=$2 ;; --libdir) libdir=$2 ;;
    --cmake) cmake=$2 ;; --generator) generator=$2 ;; --cc) cc=$2 ;; --nm) nm=$2 ;;
    --pkg-config) pkg_config=$2 ;; --model) model=$2 ;;
    *) echo "$0: unknown option $1" >&2; usage ;;
  esac
  shift 2
done
for required in build source work libdir cmake generator cc nm pkg_config; do
  [[ -n ${!required} ]] || { echo "$0: --${required//_/-} is required" >&2; usage; }
done
if [[ -n $model && ! -f $model ]]; then
  echo "$0: model $model does not exist (the model_qat fixture makes it)" >&2
  exit 1
fi

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

prefix=$work/prefix
rm -rf "$work"
mkdir -p "$work"

step "install into $prefix"
"$cmake" --install "$build" --prefix "$prefix" --component runtime
(cd "$prefix" && find . ! -type d | sort)
library=$prefix/$libdir/libgemmac.so
for file in "$library" "$prefix/include/gemmac/gemmac.h" "$prefix/$libdir/cmake/gemmac/gemmacConfig.cmake" \
            "$prefix/$libdir/cmake/gemmac/gemmacConfigVersion.cmake" "$prefix/$libdir/pkgconfig/gemmac.pc"; do
  [[ -e $file ]] || fail "$file was not installed"
done

step "exported symbols of $library"
# The API: every function gemmac.h declares (preprocessed, so comments are gone),
# but gemmac_compiled_*, which compiled model libraries define, not the runtime.
"$cc" -E -P "$prefix/include/gemmac/gemmac.h" | grep -oE 'gemmac_[a-z0-9_]+ *\(' | tr -d ' (' \
  | grep -v '^gemmac_compiled_' | sort -u > "$work/declared.txt"
[[ -s $work/declared.txt ]] || fail "no function declarations found in gemmac.h"
# Symbols some linkers define in every shared library (none with GNU ld 2.40 or
# lld 22 here): not ours, not our dependencies'.
allowed='^(_init|_fini|__bss_start|_edata|_end)$'
"$nm" -D --defined-only "$library" | awk '{print $NF}' | sort -u > "$work/exported.txt"
missing=$(comm -23 "$work/declared.txt" "$work/exported.txt")
extra=$(comm -13 "$work/declared.txt" "$work/exported.txt" | grep -vE "$allowed" || true)
[[ -z $missing ]] || fail "declared in gemmac.h but not exported: $missing"
[[ -z $extra ]] || fail "exported but not in gemmac.h (internals leak): $(echo "$extra" | head -20)"
echo "$(wc -l < "$work/declared.txt") functions of gemmac.h exported, nothing else"

step "examples/simple standalone with find_package(gemmac)"
"$cmake" -S "$source/examples/simple" -B "$work/simple-cmake" -G "$generator" \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release
"$cmake" --build "$work/simple-cmake"
with_cmake=$work/simple-cmake/gemmac-simple

step "simple.c with pkg-config"
export PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
flags=$("$pkg_config" --cflags --libs gemmac) || fail "pkg-config does not find gemmac in $PKG_CONFIG_PATH"
echo "pkg-config --cflags --libs gemmac: $flags"
with_pkg_config=$work/simple-pkg-config
# shellcheck disable=SC2086 # the flags are words
"$cc" -O2 -o "$with_pkg_config" "$source/examples/simple/simple.c" $flags \
  -Wl,-rpath,"$("$pkg_config" --variable=libdir gemmac)"

# Both must load the installed library, not the build tree's.
installed_soname=$(cd "$prefix/$libdir" && realpath libgemmac.so)
for binary in "$with_cmake" "$with_pkg_config"; do
  loaded=$(ldd "$binary" | awk '/libgemmac/ {print $3}')
  [[ -n $loaded && $(realpath "$loaded") == "$installed_soname" ]] \
    || fail "$binary loads '$loaded', not the installed $installed_soname"
done

if [[ -z $model ]]; then
  echo "no model given (built without the compiler): not running the binaries"
  exit 0
fi
step "run both on $model"
prompt="The capital of France is"
for binary in "$with_cmake" "$with_pkg_config"; do
  name=$(basename "$binary")
  status=0
  "$binary" "$model" "$prompt" 8 > "$work/$name.out" 2> "$work/$name.err" || status=$?
  (( status == 0 )) || { cat "$work/$name.err" >&2; fail "$binary exited with status $status"; }
  cat "$work/$name.out" "$work/$name.err"
  grep -qE '^generated [1-9][0-9]* tokens$' "$work/$name.err" || fail "$binary generated no tokens"
  [[ $(head -c ${#prompt} "$work/$name.out") == "$prompt" ]] || fail "$binary did not echo the prompt"
  (( $(wc -c < "$work/$name.out") > ${#prompt} + 1 )) || fail "$binary printed no generated text"
done
cmp "$work/gemmac-simple.out" "$work/simple-pkg-config.out" \
  || fail "the two builds generated different text from the same model (greedy)"
echo "PASS"
