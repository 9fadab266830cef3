#!/usr/bin/env bash
# Tears down everything gluster-up.sh made (also after an unclean stop).
# Never fails; prints what is still left, if anything.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/gluster-env.sh"
fl_clean
left=$( { grep " $FL_ROOT/" /proc/mounts; ip netns list | grep '^fl_'; ip -o link | grep -E ': fl_'; } 2>/dev/null )
[ -z "$left" ] || { echo "gluster-down.sh: left behind:" >&2; echo "$left" >&2; }
exit 0
