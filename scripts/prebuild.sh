#!/usr/bin/env bash
# npm run prebuild: the Linux Node-API prebuilds, from any x86_64 Linux host:
#
#   prebuilds/linux-x64/file-locking.glibc.node
#   prebuilds/linux-arm64/file-locking.glibc.node
#
#   PREBUILD_ARCHS="x64 arm64"   (default) which architectures to build
#
# Both are cross-compiled with zig (scripts/zig.sh fetches the pinned version
# from the npm registry once) against glibc 2.28, the oldest glibc Node 20
# itself runs on, with zig's libc++ linked in statically, so they load on
# Debian 10+, Ubuntu 20.04+ and RHEL 8+ without the system's libstdc++. The
# ".glibc" tag is node-gyp-build's libc tag (the name prebuildify --tag-libc
# gives): on musl (Alpine) node-gyp-build skips these and builds from source.
#
# Every binary is checked by scripts/check-prebuild.sh (architecture, highest
# GLIBC_ version, NEEDED libraries, exported symbols); any failure fails this
# script. The first run compiles zig's libc++ for each target (minutes, cached
# in ~/.cache/zig afterwards; later runs take about a second).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
ARCHS="${PREBUILD_ARCHS:-x64 arm64}"
NAME=file-locking   # package.json's name: node-gyp-build ignores it, prebuildify writes it

fail() { echo "prebuild: FAIL: $*" >&2; exit 1; }
[ "$(uname -s)" = Linux ] || fail "this script builds the Linux prebuilds; run it on Linux"

stage="$(mktemp -d "${TMPDIR:-/tmp}/file-locking-prebuild.XXXXXX")"
trap 'rm -rf "$stage"' EXIT

for arch in $ARCHS; do
  t0=$(date +%s.%N)
  bash scripts/build-addon.sh "linux-$arch" "$stage/$arch.node" || fail "the linux-$arch build failed"
  bash scripts/check-prebuild.sh "$stage/$arch.node" "$arch" >/dev/null || fail "the linux-$arch build is not fit to ship"
  dir="prebuilds/linux-$arch"
  rm -rf "$dir"
  mkdir -p "$dir"
  mv "$stage/$arch.node" "$dir/$NAME.glibc.node"
  secs="$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')"
  echo "prebuild: $(bash scripts/check-prebuild.sh "$dir/$NAME.glibc.node" "$arch" | sed 's/^check-prebuild: //') ($(stat -c %s "$dir/$NAME.glibc.node") bytes, $secs s)"
done
