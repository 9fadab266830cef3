#!/usr/bin/env bash
# Proves the packed tarball on glibc 2.31 without a compiler: a Debian 11
# (bullseye) root, the package installed there from the tarball by npm, and
# the interop-critical tests run there against the INSTALLED package and its
# prebuild. Called by .ci/run as root on Debian 12 x64:
#
#   scripts/ci-bullseye.sh TEST.js ...     (compiled test files, under dist/test/)
#
#  1. The root: `debootstrap --variant=minbase bullseye` with python3,
#     python3-yaml and util-linux (flock(1)) from Debian's mirror (~65 s),
#     cached in /var/cache/file-locking/bullseye-root (FILE_LOCKING_BULLSEYE_ROOT)
#     and rebuilt when missing, so a new machine always builds it. The root
#     must hold no compiler and no make (checked every run).
#  2. The host's node (it needs only glibc 2.28) and npm are copied in.
#  3. `npm pack` here, `npm install <tarball>` inside the root (its install
#     script, node-gyp-build, must find the prebuild: no build/ may appear).
#  4. A suite tree inside the root whose dist/lib is a symlink to the
#     installed package's dist/lib, so every test, fixture child and lock
#     loads the installed JavaScript and its prebuild; dist/test and
#     test/fixtures are this checkout's; node_modules (mocha, the test-only
#     dependencies) is this checkout's, mounted read-only.
#  5. Mocha runs the given test files inside the root. Tests that cannot run
#     there are listed in SKIPS below with their reason and skipped by name.
#  6. node-gyp-build's Alpine detection: with /etc/alpine-release present in
#     the root it refuses the glibc prebuild (and would build from source).
#
# Mounts (/proc, /dev, a tmpfs /tmp, node_modules, the npm cache) are undone
# by an EXIT trap, also on failure or Ctrl-C; the root itself stays cached.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export DEBIAN_FRONTEND=noninteractive

fail() { echo "FAIL ci-bullseye: $*"; exit 1; }
t_all=$(date +%s)
step() { echo "ci-bullseye: $* ($(( $(date +%s) - t_all )) s)"; }

[ "$(id -u)" = 0 ] || fail "must run as root (debootstrap, chroot, mount)"
[ $# -gt 0 ] || fail "usage: scripts/ci-bullseye.sh dist/test/....test.js ..."
for f in "$@"; do [ -f "$f" ] || fail "no test file $f (run tsc first)"; done

# Tests that cannot run in the root, each with its reason: "title regex|reason".
SKIPS=(
)

root="${FILE_LOCKING_BULLSEYE_ROOT:-/var/cache/file-locking/bullseye-root}"
mounts=()
cleanup() {
  local rc=$? m
  # Children of the suite (lockers, Python peers) would keep mounts busy.
  if [ -d "$root/proc" ]; then
    for pid in $(ls /proc | grep -E '^[0-9]+$'); do
      [ "$(readlink "/proc/$pid/root" 2>/dev/null)" = "$root" ] && kill -9 "$pid" 2>/dev/null || true
    done
  fi
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
    m="${mounts[$i]}"
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || echo "ci-bullseye: WARNING: could not unmount $m"
  done
  rm -f "$root/etc/alpine-release"
  rm -rf "${work:-/nonexistent-file-locking}"
  if grep -q " $root/" /proc/mounts; then echo "ci-bullseye: WARNING: mounts left under $root"; grep " $root/" /proc/mounts; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'echo "FAIL ci-bullseye: line $LINENO: $BASH_COMMAND"' ERR
trap 'exit 130' INT TERM
mnt() { # mount ARGS... TARGET (the last argument), remembered for cleanup
  mount "$@"
  mounts+=("${!#}")
}

# 1. The root.
# The marker records what the root was made with; a change rebuilds it.
recipe="bullseye minbase python3,python3-yaml,util-linux"
if [ "$(cat "$root/.file-locking-ready" 2>/dev/null)" != "$recipe" ]; then
  command -v debootstrap >/dev/null || apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  rm -rf "$root.partial"
  mkdir -p "$(dirname "$root")"
  debootstrap --variant=minbase --include="${recipe##* }" \
    bullseye "$root.partial" http://deb.debian.org/debian >"$root.partial.log" 2>&1 ||
    { tail -20 "$root.partial.log"; fail "debootstrap bullseye failed (log: $root.partial.log)"; }
  rm -rf "$root" "$root.partial.log"
  mv "$root.partial" "$root"
  echo "$recipe" > "$root/.file-locking-ready"
  step "built the bullseye root in $root"
else
  step "reusing the bullseye root in $root"
fi
glibc="$(chroot "$root" /usr/bin/ldd --version)"
glibc="$(head -1 <<<"$glibc" | grep -oE '[0-9]+\.[0-9]+$')"
[ "$glibc" = 2.31 ] || fail "the root's glibc is $glibc, expected 2.31"
tools="$(chroot "$root" /bin/sh -c 'for t in cc gcc g++ c++ clang make; do command -v $t; done; true')"
[ -z "$tools" ] || fail "the root has build tools: $tools"
echo "PASS the root is Debian $(cat "$root/etc/debian_version") with glibc $glibc and no cc, c++, g++, clang or make"

# 2. Node and npm from the host.
node_bin="$(command -v node)"
npm_dir="$(npm root -g)/npm"
[ -f "$npm_dir/bin/npm-cli.js" ] || fail "npm not found at $npm_dir"
mkdir -p "$root/usr/local/bin" "$root/usr/local/lib/node_modules"
cp -f "$(readlink -f "$node_bin")" "$root/usr/local/bin/node"
rm -rf "$root/usr/local/lib/node_modules/npm"
cp -r "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
cp -f /etc/resolv.conf "$root/etc/resolv.conf"

work="$root/work"
rm -rf "$work"
mkdir -p "$work/app" "$work/suite/dist" "$work/suite/test" "$work/suite/node_modules" "$root/root/.npm"
mnt -t proc proc "$root/proc"
mnt --rbind /dev "$root/dev"
mount --make-rslave "$root/dev"
mnt -t tmpfs tmpfs "$root/tmp"
mnt --bind "$(npm config get cache)" "$root/root/.npm"
mnt --bind -o ro "$ROOT/node_modules" "$work/suite/node_modules"
mount -o remount,bind,ro "$work/suite/node_modules"
in_root() { chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 "$@"; }
# The long steps run in the background and are waited for: bash runs a trap
# only between commands, and `wait` returns at once on a signal, so a TERM or
# Ctrl-C reaches cleanup (which kills everything in the root) without delay.
in_root_waited() { in_root "$@" & wait $!; }
echo "PASS node $(in_root node -p 'process.versions.node + " runs on glibc " + process.report.getReport().header.glibcVersionRuntime')"

# Control: the host compiler's build (glibc 2.36 headers, the system
# libstdc++) does not load here, so this root does tell the two apart.
if [ -f build/Release/file_locking.node ]; then
  cp build/Release/file_locking.node "$root/tmp/host-build.node"
  refused="$(in_root node -e 'try { require("/tmp/host-build.node"); console.log("loaded"); } catch (e) { console.log(e.message.split("\n")[0]); }')"
  case "$refused" in
    *GLIBC_2.3[2-9]*'not found'*|*GLIBCXX_*'not found'*) echo "PASS control: the host g++ build does not load on glibc 2.31: $refused" ;;
    *) fail "control: the host g++ build answered '$refused' on glibc 2.31" ;;
  esac
fi

# 3. The tarball, installed inside the root.
tgz="$(npm pack --ignore-scripts --silent --pack-destination "$work")"
echo '{"name":"app","private":true}' > "$work/app/package.json"
in_root_waited sh -c "cd /work/app && npm install --prefer-offline --no-audit --no-fund --foreground-scripts --loglevel=info /work/$tgz" \
  >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "npm install of the tarball failed in the root"; }
pkg=/work/app/node_modules/file-locking
grep -q "npm info run file-locking@.* install " "$work/install.log" || { cat "$work/install.log"; fail "npm did not run the install script"; }
[ ! -e "$root$pkg/build" ] || fail "the install compiled the addon (build/ exists) instead of using the prebuild"
step "installed $tgz in the root with no compiler"

# 4. The suite tree over the installed package.
ln -s "$pkg/dist/lib" "$work/suite/dist/lib"
cp -r dist/test "$work/suite/dist/test"
cp -r test/fixtures "$work/suite/test/fixtures"
cp package.json "$work/suite/package.json"
loaded="$(in_root sh -c 'cd /work/suite && node -e "
  const { native } = require(\"./dist/lib/native\");
  const addon = Object.keys(require.cache).filter((k) => k.endsWith(\".node\"));
  console.log(addon.join(), native.constants.F_OFD_SETLK !== undefined);"')"
[ "$loaded" = "$pkg/prebuilds/linux-x64/file-locking.glibc.node true" ] ||
  fail "the suite does not load the installed prebuild: $loaded"
echo "PASS the suite loads the installed package's prebuild: ${loaded% *}"

# 5. The tests.
grep_args=()
if [ ${#SKIPS[@]} -gt 0 ]; then
  pattern=""
  for s in "${SKIPS[@]}"; do
    echo "SKIP in the bullseye root: /${s%%|*}/: ${s#*|}"
    pattern="${pattern:+$pattern|}${s%%|*}"
  done
  grep_args=(--grep "$pattern" --invert)
fi
rel=()
for f in "$@"; do rel+=("${f#dist/test/}"); done
in_root_waited sh -c 'cd /work/suite && exec node node_modules/mocha/bin/mocha.js --no-config --timeout 60000 --slow 2000 "$@"' mocha \
  "${grep_args[@]}" "${rel[@]/#/dist/test/}" || fail "tests failed in the bullseye root"
step "tests passed in the bullseye root"

# 6. node-gyp-build's own musl detection, the way it works on Alpine.
touch "$root/etc/alpine-release"
musl="$(in_root sh -c "cd /work/app && PREBUILDS_ONLY=1 node -e \"
  try { console.log('picked ' + require('node-gyp-build').resolve('$pkg')); }
  catch (e) { console.log(e.message.split('\\\\n')[0]); }\"")"
rm -f "$root/etc/alpine-release"
case "$musl" in
  *'No native build was found'*'libc=musl'*) echo "PASS with /etc/alpine-release node-gyp-build refuses the glibc prebuild: $musl" ;;
  *) fail "with /etc/alpine-release node-gyp-build answered: $musl" ;;
esac
step "done"
