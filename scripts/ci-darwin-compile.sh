#!/usr/bin/env bash
# Cross-compiles and links src-native/ for x86_64-macos and aarch64-macos
# (macOS 11, the deployment target binding.gyp sets) with zig, warnings as
# errors, so a change that breaks the macOS build fails here on Linux. Called
# by .ci/run. It proves the macOS build compiles and links, not that it runs:
# the binaries are checked with file(1) and thrown away. The darwin prebuilds
# that ship are built and tested on macOS by .github/workflows/release.yml.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
fail() { echo "FAIL ci-darwin-compile: $*"; exit 1; }

out="$(mktemp -d "${TMPDIR:-/tmp}/file-locking-darwin.XXXXXX")"
trap 'rm -rf "$out"' EXIT
for arch in x64 arm64; do
  case "$arch" in x64) want='Mach-O 64-bit x86_64' ;; arm64) want='Mach-O 64-bit arm64' ;; esac
  log="$out/$arch.log"
  bash "$ROOT/scripts/build-addon.sh" "darwin-$arch" "$out/$arch.node" >"$log" 2>&1 ||
    { cat "$log"; fail "darwin-$arch does not compile or link"; }
  # -Werror turns the compiler's warnings into errors; zig's driver prints its
  # own "warning:" lines too, and those must not appear either.
  if grep -qi 'warning' "$log"; then cat "$log"; fail "darwin-$arch built with warnings"; fi
  desc="$(file -b "$out/$arch.node")"
  case "$desc" in
    "$want"*) echo "PASS darwin-$arch compiles and links with 0 warnings: $(cut -d, -f1 <<<"$desc")" ;;
    *) fail "darwin-$arch is not a $want binary: $desc" ;;
  esac
done
