#!/usr/bin/env bash
# Starts a one-brick GlusterFS volume and mounts it from two network
# namespaces, fl_a and fl_b: two client "hosts" (10.231.77.11 and .12) that
# reach the server (10.231.77.1 on the bridge fl_br) over veth pairs. Each
# mount's FUSE daemon lives in its host's netns (nsenter --net=), while the
# mount itself is visible to every process; a test process "runs on host X"
# by using X's mount point (and, for the crash and partition tests, that is
# what dies or is cut off).
#
# Idempotent: first removes whatever an earlier run left (killed processes,
# dead "Transport endpoint is not connected" mounts, netns, volume state).
# Root only. Prints shell assignments FL_MNT_A=..., FL_MNT_B=... on stdout.
# From research/feasibility.md §1.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/gluster-env.sh"

[ "$(id -u)" = 0 ] || { echo "gluster-up.sh: must run as root" >&2; exit 2; }
for cmd in glusterd gluster glusterfs nsenter ip; do
  command -v $cmd >/dev/null || { echo "gluster-up.sh: $cmd not installed (apt-get install glusterfs-server glusterfs-client)" >&2; exit 3; }
done

fl_clean
mkdir -p "$FL_ROOT/brick" "$FL_ROOT/log"

# Network: the bridge carries the server address; each host is a netns with a
# veth into the bridge.
ip link add $FL_BR type bridge
ip addr add $FL_SERVER/24 dev $FL_BR
ip link set $FL_BR up
for h in $FL_HOSTS; do
  ip netns add fl_$h
  ip link add fl_v$h type veth peer name eth0 netns fl_$h
  ip link set fl_v$h master $FL_BR up
  ip -n fl_$h addr add "$(host_ip $h)/24" dev eth0
  ip -n fl_$h link set eth0 up
  ip -n fl_$h link set lo up
done

glusterd -p "$FL_GLUSTERD_PID"
for i in $(seq 100); do gluster pool list >/dev/null 2>&1 && break; sleep 0.1; done
g() { gluster --mode=script "$@" >/dev/null; }
g volume create $FL_VOL $FL_SERVER:"$FL_ROOT/brick" force
# Without these two, clients are not coherent after a rename on another client:
# md-cache gives ESTALE, open-behind ~1 s of stale reads (feasibility §1, 4).
g volume set $FL_VOL performance.stat-prefetch off
g volume set $FL_VOL performance.open-behind off
# The server drops a vanished client's locks after ~5 s instead of ~42 s.
# Only takes effect if set before the volume starts.
g volume set $FL_VOL server.tcp-user-timeout 5
g volume set $FL_VOL server.keepalive-time 2
g volume set $FL_VOL server.keepalive-interval 1
g volume set $FL_VOL server.keepalive-count 3
g volume start $FL_VOL

for h in $FL_HOSTS; do
  mount_host $h || { echo "gluster-up.sh: mount of host $h failed; see $FL_ROOT/log/$h.log" >&2; exit 4; }
done
echo "FL_MNT_A=$FL_ROOT/a"
echo "FL_MNT_B=$FL_ROOT/b"
