#!/usr/bin/env bash
# Compiles and links src-native/ with zig for one target, warnings as errors:
#
#   scripts/build-addon.sh TARGET OUT.node [-DEXTRA ...]
#
#   TARGET: linux-x64 | linux-arm64   (glibc 2.28, libc++ linked in statically)
#           darwin-x64 | darwin-arm64 (macOS 11, Node's symbols resolved at load)
#
# The sources and defines come from binding.gyp, the single source of truth
# that node-gyp and CMakeLists.txt read too. On Linux a version script exports
# only the two Node-API entry points, so the statically linked libc++ stays
# private to the addon and cannot collide with another addon's or Node's.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
fail() { echo "build-addon: FAIL: $*" >&2; exit 1; }

[ $# -ge 2 ] || fail "usage: scripts/build-addon.sh TARGET OUT.node [-DEXTRA ...]"
target="$1" out="$2"
shift 2
case "$target" in
  linux-x64) triple=x86_64-linux-gnu.2.28 ;;
  linux-arm64) triple=aarch64-linux-gnu.2.28 ;;
  darwin-x64) triple=x86_64-macos.11.0 ;;
  darwin-arm64) triple=aarch64-macos.11.0 ;;
  *) fail "unknown target $target (linux-x64, linux-arm64, darwin-x64, darwin-arm64)" ;;
esac

zig="$(bash "$ROOT/scripts/zig.sh")"

# Node's headers: those of the Node running this (the N-API ABI is stable and
# binding.gyp pins NAPI_VERSION), else node-gyp's header cache.
node_inc=""
for d in "$(cd "$(dirname "$(command -v node)")/.." && pwd)/include/node" \
         "${npm_config_nodedir:+$npm_config_nodedir/include/node}" \
         "${XDG_CACHE_HOME:-$HOME/.cache}/node-gyp/$(node -p process.versions.node)/include/node"; do
  if [ -n "$d" ] && [ -f "$d/node_api.h" ]; then node_inc="$d"; break; fi
done
[ -n "$node_inc" ] || fail "no Node headers (node_api.h) found: install them (e.g. npx node-gyp install) or set npm_config_nodedir"
napi_inc="$(cd "$ROOT" && node -p "require('path').resolve(require('node-addon-api').include_dir)")" ||
  fail "node-addon-api not found (run npm ci)"

gyp() { # field -> one value per line, from binding.gyp's file_locking target
  node -e '
    const text = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter((l) => !/^\s*#/.test(l)).join("\n");
    const t = JSON.parse(text).targets.find((x) => x.target_name === "file_locking");
    for (const v of t[process.argv[2]]) console.log(v);' "$ROOT/binding.gyp" "$1"
}
mapfile -t sources < <(gyp sources)
mapfile -t defines < <(gyp defines)

flags=(-target "$triple" -std=c++17 -O2 -fPIC -shared -fvisibility=hidden
       -Wall -Wextra -Werror -isystem "$node_inc" -isystem "$napi_inc")
for d in "${defines[@]}"; do flags+=("-D$d"); done
case "$target" in
  linux-*)
    exports="$(mktemp "${TMPDIR:-/tmp}/file-locking-exports.XXXXXX")"
    trap 'rm -f "$exports"' EXIT
    printf '{\n  global: napi_register_module_v1; node_api_module_get_api_version_v1;\n  local: *;\n};\n' > "$exports"
    flags+=(-pthread -s "-Wl,--version-script=$exports")
    ;;
  darwin-*)
    flags+=(-undefined dynamic_lookup)
    ;;
esac

mkdir -p "$(dirname "$out")"
(cd "$ROOT" && "$zig" c++ "${flags[@]}" "$@" "${sources[@]}" -o "$out")
