#!/usr/bin/env bash
# Proves the linux-arm64 prebuild on an arm64 Node, under qemu-user, as root on
# Debian 12 (called by .ci/run; can be run by hand the same way).
#
#  1. apt: qemu-user-static (npm run prebuild cross-compiles with zig).
#  2. prebuilds/linux-arm64 (built by npm run prebuild if missing).
#  3. An arm64 sysroot: Debian's arm64 nodejs (v18, no npm) and its libraries,
#     fetched with `apt-get download` and unpacked with `dpkg -x`. NEVER
#     `apt-get install nodejs:arm64`: the host's Node is also a package named
#     nodejs and is not Multi-Arch, so apt would remove it.
#  4. `npm pack` + install the tarball into a scratch directory (the arm64
#     Node has no npm; the installed tree is plain JS plus prebuilds/).
#  5. scripts/arm64-lock-check.js: one arm64 process under
#     `qemu-aarch64-static -L sysroot` (~4 s to start), self-tested, and one
#     lock contended between it and an x64 process, both directions.
#
# Machine-global state is undone on exit: the arm64 dpkg architecture (if
# this script added it) and a binfmt_misc registration/mount (if one appeared).
# Prints PASS/FAIL lines; exits non-zero on failure.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export DEBIAN_FRONTEND=noninteractive

t_all=$(date +%s)
step() { echo "ci-arm64: $* ($(( $(date +%s) - t_all )) s)"; }
fail() { echo "FAIL ci-arm64: $*"; exit 1; }

[ "$(id -u)" = 0 ] || fail "must run as root (apt, dpkg --add-architecture)"
[ "$(dpkg --print-architecture)" = amd64 ] || fail "expects an amd64 Debian host"

work="$(mktemp -d "${TMPDIR:-/tmp}/file-locking-arm64.XXXXXX")"
had_arm64=0
dpkg --print-foreign-architectures | grep -qx arm64 && had_arm64=1
binfmt_was_mounted=0
grep -q ' /proc/sys/fs/binfmt_misc ' /proc/mounts && binfmt_was_mounted=1

cleanup() {
  local rc=$?
  rm -rf "$work"
  if [ "$had_arm64" = 0 ] && dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --remove-architecture arm64 || echo "ci-arm64: WARNING: could not remove the arm64 dpkg architecture"
  fi
  if [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] && [ "$binfmt_was_mounted" = 0 ]; then
    echo -1 > /proc/sys/fs/binfmt_misc/qemu-aarch64 || true
  fi
  if [ "$binfmt_was_mounted" = 0 ] && grep -q ' /proc/sys/fs/binfmt_misc ' /proc/mounts; then
    umount /proc/sys/fs/binfmt_misc || true
  fi
  exit "$rc"
}
trap cleanup EXIT

# 1. Toolchain and emulator (no-ops when already installed).
apt-get install -y -qq --no-install-recommends qemu-user-static file binutils >/dev/null
step "toolchain and qemu installed"

# 2. The arm64 prebuild.
if ! compgen -G 'prebuilds/linux-arm64/*.node' >/dev/null; then
  npm run prebuild --silent
fi
arm64_bin="$(compgen -G 'prebuilds/linux-arm64/*.node' | head -1)"
case "$(file -b "$arm64_bin")" in
  *'ARM aarch64'*) echo "PASS prebuild is an aarch64 ELF: $arm64_bin" ;;
  *) fail "$arm64_bin is not an aarch64 binary: $(file -b "$arm64_bin")" ;;
esac
step "prebuilds checked"

# 3. arm64 sysroot with Debian's nodejs. The lists are what bookworm's
#    nodejs:arm64 needs at run time (checked with the node start below).
[ "$had_arm64" = 1 ] || dpkg --add-architecture arm64
apt-get update -qq
mkdir -p "$work/debs" "$work/sysroot"
(
  cd "$work/debs"
  libnode="$(apt-cache depends nodejs:arm64 | awk '/Depends: libnode[0-9]+/ { print $2; exit }')"
  [ -n "$libnode" ] || libnode=libnode108:arm64
  apt-get download -qq -o APT::Sandbox::User=root \
    nodejs:arm64 "$libnode" libc6:arm64 libgcc-s1:arm64 libstdc++6:arm64 libbrotli1:arm64 \
    libc-ares2:arm64 libicu72:arm64 libnghttp2-14:arm64 libssl3:arm64 libuv1:arm64 zlib1g:arm64 \
    node-acorn node-busboy node-cjs-module-lexer node-undici node-xtend
  for d in *.deb; do dpkg -x "$d" "$work/sysroot"; done
)
[ -x "$work/sysroot/usr/bin/node" ] || fail "no arm64 node in the sysroot"
case "$(file -bL "$work/sysroot/usr/bin/node")" in
  *'ARM aarch64'*) ;;
  *) fail "sysroot node is not aarch64: $(file -bL "$work/sysroot/usr/bin/node")" ;;
esac
# Undo the architecture now: nothing below needs apt.
if [ "$had_arm64" = 0 ]; then dpkg --remove-architecture arm64; fi
step "arm64 sysroot ready ($(du -sm "$work/sysroot" | cut -f1) MB)"

# 4. What users install: the packed tarball (dist/ was compiled by npm ci's
#    prepare; --ignore-scripts skips compiling it again).
tgz="$(npm pack --ignore-scripts --silent --pack-destination "$work")"
mkdir -p "$work/app"
(cd "$work/app" && echo '{"private":true}' > package.json &&
  npm install --no-audit --no-fund --prefer-offline --silent "$work/$tgz")
pkg="$work/app/node_modules/file-locking"
[ -d "$pkg/prebuilds/linux-arm64" ] || fail "the tarball has no prebuilds/linux-arm64"
step "package $tgz installed"

# 5. The run.
node scripts/arm64-lock-check.js drive "$pkg" "$(command -v qemu-aarch64-static)" "$work/sysroot"
step "done"
