#!/usr/bin/env bash
# Fetches Debian 12's arm64 builds of the runtime's libraries (XNNPACK,
# pthreadpool, cpuinfo, sentencepiece + protobuf-lite, FlatBuffers, GoogleTest)
# and unpacks them into a private sysroot for cross-building the runtime
# (cmake/toolchains/aarch64-linux.cmake). amd64 and arm64 builds of these
# packages conflict in apt, so nothing is installed: apt runs with its own
# arm64 package lists and cache under the sysroot, and dpkg-deb -x unpacks.
# libc and libstdc++ come from Debian's cross packages (libc6-dev-arm64-cross,
# g++-aarch64-linux-gnu) that scripts/setup.sh installs.
# Usage: scripts/arm64-sysroot.sh [DIR]   (default: third_party_cache/arm64-sysroot)
set -euo pipefail
cd "$(dirname "$0")/.."
sysroot=${1:-third_party_cache/arm64-sysroot}
packages=(
  libxnnpack0 libxnnpack-dev libpthreadpool0 libpthreadpool-dev libcpuinfo0
  libsentencepiece0 libsentencepiece-dev libprotobuf-lite32
  libflatbuffers2 libflatbuffers-dev libgtest-dev
)
stamp="$sysroot/.packages"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${packages[*]}" ]; then
  exit 0
fi
apt_dir=$(mktemp -d)
trap 'rm -rf "$apt_dir"' EXIT
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/debs"
apt_opts=(-o APT::Architecture=arm64 -o APT::Architectures=arm64
          -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
          # apt's sandbox user cannot write to a private temporary directory.
          -o Debug::NoLocking=1 -o APT::Sandbox::User=root -qq)
apt-get "${apt_opts[@]}" update
(cd "$apt_dir/debs" && apt-get "${apt_opts[@]}" download "${packages[@]}")
rm -rf "$sysroot"
mkdir -p "$sysroot"
for deb in "$apt_dir"/debs/*.deb; do
  dpkg-deb -x "$deb" "$sysroot"
done
echo "${packages[*]}" > "$stamp"
echo "arm64 sysroot ready in $sysroot"
