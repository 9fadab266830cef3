#!/usr/bin/env bash
# Tears down everything ceph-up.sh made (also after an unclean stop): aborts
# stuck FUSE connections, stops the daemons, removes the netns and the data.
# Never fails, never hangs; prints what is still left, if anything.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ceph-env.sh"
fc_clean
left=$( { grep " $FC_ROOT/" /proc/mounts; ip netns list | grep '^fc_'; ip -o link | grep -E ': fc_'; } 2>/dev/null )
[ -z "$left" ] || { echo "ceph-down.sh: left behind:" >&2; echo "$left" >&2; }
exit 0
