#!/usr/bin/env bash
# Replaces host $1's CephFS mount (a or b) with a fresh ceph-fuse client:
# after a test killed that host's client or cut it off long enough to be
# evicted. The cluster keeps running.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ceph-env.sh"
case "${1:-}" in a|b) ;; *) echo "usage: ceph-remount.sh a|b" >&2; exit 2 ;; esac
fc_unmount_host "$1"
fc_mount_host "$1" || { echo "ceph-remount.sh: mount of host $1 failed; see $FC_ROOT/log/fuse-$1.log" >&2; exit 4; }
