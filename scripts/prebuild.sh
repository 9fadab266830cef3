#!/usr/bin/env bash
# npm run prebuild: Node-API prebuilds for linux-x64 and linux-arm64 into
# prebuilds/<platform>-<arch>/file_locking.node, where node-gyp-build finds them.
#
#   PREBUILD_ARCHS="x64 arm64"   (default) which architectures to build
#
# arm64 is cross-compiled with Debian's g++-aarch64-linux-gnu
# (apt-get install g++-aarch64-linux-gnu). Every binary is checked with
# file(1): node-gyp given --arch=arm64 without CC/CXX silently builds x86-64.
#
# prebuildify runs `node-gyp rebuild`, which would leave the last cross build
# in build/Release, and node-gyp-build prefers build/Release over prebuilds/.
# So it builds in a scratch copy of the addon sources and only writes
# prebuilds/ here; the developer's build/ is left alone.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
ARCHS="${PREBUILD_ARCHS:-x64 arm64}"
export JOBS="${JOBS:-max}"   # node-gyp: compile the sources in parallel

# Node headers: node-gyp would download them for the target version, and only
# the npm registry is reachable here. Use the installed Node's headers (the
# N-API ABI is stable; binding.gyp pins NAPI_VERSION=8).
if [ -z "${npm_config_nodedir:-}" ]; then
  nodedir="$(cd "$(dirname "$(command -v node)")/.." && pwd)"
  [ -f "$nodedir/include/node/node_api.h" ] && export npm_config_nodedir="$nodedir"
fi

fail() { echo "prebuild: FAIL: $*" >&2; exit 1; }

[ "$(uname -s)" = Linux ] || fail "this script builds the Linux prebuilds; run it on Linux"
command -v file >/dev/null || fail "file(1) is needed to check the binaries (apt-get install file)"

stage="$(mktemp -d "${TMPDIR:-/tmp}/file-locking-prebuild.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
cp -r binding.gyp package.json src-native "$stage/"
ln -s "$ROOT/node_modules" "$stage/node_modules"

expect_file() { # arch -> the machine name file(1) prints
  case "$1" in
    x64) echo 'x86-64' ;;
    arm64) echo 'ARM aarch64' ;;
    *) fail "no file(1) signature known for arch $1" ;;
  esac
}

for arch in $ARCHS; do
  t0=$(date +%s.%N)
  rm -rf "$stage/build" "prebuilds/linux-$arch"
  env_args=()
  if [ "$arch" != "$(node -p process.arch)" ]; then
    case "$arch" in
      arm64) triple=aarch64-linux-gnu ;;
      *) fail "no cross toolchain known for $arch" ;;
    esac
    command -v "$triple-g++" >/dev/null ||
      fail "$triple-g++ not found: apt-get install g++-$triple (or PREBUILD_ARCHS=x64)"
    env_args=(CC="$triple-gcc" CXX="$triple-g++" LINK="$triple-g++" AR="$triple-ar"
              PREBUILD_STRIP_BIN="$triple-strip")
  fi
  env "${env_args[@]}" "$ROOT/node_modules/.bin/prebuildify" --napi --strip --quiet \
    --arch "$arch" --cwd "$stage" --out "$ROOT" ||
    fail "prebuildify for linux-$arch failed (rerun without --quiet in scripts/prebuild.sh to see node-gyp)"

  shopt -s nullglob
  bins=(prebuilds/linux-"$arch"/*.node)
  shopt -u nullglob
  [ "${#bins[@]}" -gt 0 ] || fail "no prebuild written to prebuilds/linux-$arch"
  want="$(expect_file "$arch")"
  for b in "${bins[@]}"; do
    desc="$(file -b "$b")"
    case "$desc" in
      *"ELF 64-bit LSB shared object, $want"*) ;;
      *) fail "$b is not a linux-$arch binary: $desc" ;;
    esac
    glibc=""
    if command -v objdump >/dev/null; then
      glibc="$(objdump -T "$b" | grep -o 'GLIBC_[0-9][0-9.]*' | sort -u -V | tail -1)"
      glibc="${glibc:+, needs ${glibc/_/ >= }}"
    fi
    secs="$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')"
    echo "prebuild: OK $b ($(stat -c %s "$b") bytes${glibc}, ${secs} s): $desc"
  done
done
