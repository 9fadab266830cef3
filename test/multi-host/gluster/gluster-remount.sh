#!/usr/bin/env bash
# Replaces host $1's Gluster mount (a or b) with a fresh client: after a test
# killed that host's glusterfs client. The volume keeps running.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/gluster-env.sh"
case "${1:-}" in a|b) ;; *) echo "usage: gluster-remount.sh a|b" >&2; exit 2 ;; esac
unmount_host "$FL_ROOT/$1"
mount_host "$1" || { echo "gluster-remount.sh: mount of host $1 failed; see $FL_ROOT/log/$1.log" >&2; exit 4; }
