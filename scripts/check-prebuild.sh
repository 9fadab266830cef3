#!/usr/bin/env bash
# Fails (exit 1) unless FILE is a Linux prebuild that loads wherever Node 20
# runs:
#
#   scripts/check-prebuild.sh FILE ARCH      (ARCH: x64 | arm64)
#
#   - an ELF shared object for ARCH (file(1));
#   - no glibc symbol version above GLIBC_2.28 (Node 20's own floor);
#   - no C++ runtime from the system: no libstdc++/libc++/libgcc_s NEEDED,
#     no GLIBCXX_/CXXABI_ versions; only glibc's own libraries NEEDED;
#   - exactly the two Node-API entry points exported, nothing else defined
#     in the dynamic symbol table.
#
# readelf reads any ELF architecture, so one host checks both binaries.
set -euo pipefail
MAX_GLIBC=2.28
fail() { echo "check-prebuild: FAIL: $1: $2" >&2; exit 1; }

[ $# = 2 ] || { echo "usage: scripts/check-prebuild.sh FILE ARCH" >&2; exit 2; }
bin="$1" arch="$2"
[ -f "$bin" ] || fail "$bin" "no such file"
for tool in file readelf; do
  command -v "$tool" >/dev/null || fail "$bin" "$tool is needed (apt-get install file binutils)"
done

case "$arch" in
  x64) want='x86-64' ;;
  arm64) want='ARM aarch64' ;;
  *) fail "$bin" "unknown arch $arch" ;;
esac
desc="$(file -b "$bin")"
case "$desc" in
  *"ELF 64-bit LSB shared object, $want"*) ;;
  *) fail "$bin" "not a linux-$arch shared object: $desc" ;;
esac

versions="$( (readelf -V -W "$bin"; readelf --dyn-syms -W "$bin") | grep -oE '(GLIBC|GLIBCXX|CXXABI|GCC)_[0-9][0-9.]*' | sort -u)"
glibc_max="$(grep '^GLIBC_' <<<"$versions" | sed 's/^GLIBC_//' | sort -V | tail -1)"
[ -n "$glibc_max" ] || fail "$bin" "no GLIBC_ symbol versions at all (not linked against glibc?)"
[ "$(printf '%s\n%s\n' "$glibc_max" "$MAX_GLIBC" | sort -V | tail -1)" = "$MAX_GLIBC" ] ||
  fail "$bin" "needs GLIBC_$glibc_max, above GLIBC_$MAX_GLIBC: $(grep '^GLIBC_' <<<"$versions" | tr '\n' ' ')"
cxx="$(grep -E '^(GLIBCXX|CXXABI|GCC)_' <<<"$versions" | tr '\n' ' ' || true)"
[ -z "$cxx" ] || fail "$bin" "needs the system's C++ runtime: $cxx"

needed="$(readelf -d -W "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort)"
bad_needed="$(grep -vE '^(libc\.so\.6|libpthread\.so\.0|libdl\.so\.2|libm\.so\.6|librt\.so\.1|ld-linux-(x86-64|aarch64)\.so\.[12])$' <<<"$needed" || true)"
[ -z "$bad_needed" ] || fail "$bin" "NEEDED libraries outside glibc: $(tr '\n' ' ' <<<"$bad_needed")"

# Defined (section index not UND) dynamic symbols other than the file's own section markers.
exported="$(readelf --dyn-syms -W "$bin" | awk 'NR > 3 && $7 != "UND" && $4 != "SECTION" && $8 != "" { sub(/@.*/, "", $8); print $8 }' | sort -u)"
[ "$exported" = "$(printf '%s\n' napi_register_module_v1 node_api_module_get_api_version_v1)" ] ||
  fail "$bin" "exports $(tr '\n' ' ' <<<"$exported")instead of only the two Node-API entry points"

echo "check-prebuild: OK $bin: $want, highest GLIBC_$glibc_max, NEEDED $(tr '\n' ' ' <<<"$needed")exports $(paste -sd' ' <<<"$exported")"
