#!/usr/bin/env bash
# Starts a single-node Ceph cluster (one monitor, one bluestore OSD on a
# sparse file, one MDS; no mgr, no auth) on the bridge fc_br (10.231.78.1)
# and mounts CephFS with ceph-fuse from two network namespaces, fc_a and
# fc_b: two client "hosts" (10.231.78.11 and .12) that reach the cluster over
# veth pairs. Each ceph-fuse lives in its host's netns (nsenter --net=), while
# the mount itself is visible to every process; a test process "runs on host
# X" by using X's mount point, as with test/multi-host/gluster.
#
# Idempotent: first removes whatever an earlier run left (daemons, stuck
# FUSE connections, netns, cluster data). Root only. Prints shell
# assignments FL_MNT_A=..., FL_MNT_B=... on stdout.
# From research/platforms.md §5.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ceph-env.sh"

[ "$(id -u)" = 0 ] || { echo "ceph-up.sh: must run as root" >&2; exit 2; }
for cmd in ceph ceph-mon ceph-osd ceph-mds ceph-fuse monmaptool nsenter ip uuidgen; do
  command -v $cmd >/dev/null || { echo "ceph-up.sh: $cmd not installed (apt-get install ceph-mon ceph-osd ceph-mds ceph-fuse)" >&2; exit 3; }
done
[ -c /dev/fuse ] || { echo "ceph-up.sh: /dev/fuse is missing" >&2; exit 3; }

fc_clean
mkdir -p "$FC_ROOT"/{run,log,mon,osd,mds,a,b}
# A failed bring-up leaves nothing running or mounted: the last lines of
# each log go to stderr, then everything is removed.
on_exit() {
  local rc=$? f
  [ "$rc" = 0 ] && return 0
  for f in "$FC_ROOT"/log/*.log; do [ -s "$f" ] && { echo "--- $f:" >&2; tail -n 8 "$f" >&2; }; done
  fc_clean
  exit "$rc"
}
trap on_exit EXIT
t0=$(date +%s%N)
step() { echo "ceph-up.sh: $1 at $(( ($(date +%s%N) - t0) / 1000000 )) ms" >&2; }

ip link add $FC_BR type bridge
ip addr add $FC_SERVER/24 dev $FC_BR
ip link set $FC_BR up
for h in $FC_HOSTS; do
  ip netns add fc_$h
  ip link add fc_v$h type veth peer name eth0 netns fc_$h
  ip link set fc_v$h master $FC_BR up
  ip -n fc_$h addr add "$(fc_host_ip $h)/24" dev eth0
  ip -n fc_$h link set eth0 up
  ip -n fc_$h link set lo up
done

fsid=$(uuidgen)
cat >"$FC_CONF" <<CONF
[global]
fsid = $fsid
mon host = v2:$FC_SERVER:3300
mon initial members = fl
public network = $FC_NET.0/24
auth cluster required = none
auth service required = none
auth client required = none
auth supported = none
run dir = $FC_ROOT/run
pid file = $FC_ROOT/run/\$name.pid
admin socket = $FC_ROOT/run/\$name.\$pid.asok
log file = $FC_ROOT/log/\$name.log
keyring = /dev/null
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
# The OSD's own crush update was refused (EPERM) in some runs: placed below, from the CLI.
osd crush update on start = false
osd class update on start = false
[mon]
mon data = $FC_ROOT/mon
# Each map change otherwise waits up to 1 s for the next proposal: ~10 s of the bring-up.
paxos propose interval = 0.05
paxos min wait = 0.01
[osd]
osd data = $FC_ROOT/osd
osd objectstore = bluestore
# The block file outside the OSD's data folder, sparse.
bluestore block path = $FC_ROOT/osd-block
bluestore block create = true
bluestore block size = 10737418240
bluestore block db create = false
bluestore block wal create = false
osd memory target = 536870912
[mds]
mds data = $FC_ROOT/mds
# up:creating to up:active goes by beacons (default every 4 s).
mds beacon interval = 1
# A metadata change (create, rename) gets an early "unsafe" reply and keeps
# its locks on the name until the MDS flushes its journal, which a single
# 16.2 MDS does on its tick (5 s by default): another client's lookup of a
# name just renamed waits ("failed to rdlock") until then. Cross-host
# read-modify-write ran at 1.5 updates/s with 5 s, 28-45/s with 0.2 s.
# FL_CEPH_MDS_TICK=5 reproduces the default.
mds tick interval = ${FL_CEPH_MDS_TICK:-0.2}
CONF

monmaptool --create --fsid "$fsid" --addv fl "[v2:$FC_SERVER:3300]" "$FC_ROOT/monmap" >/dev/null
ceph-mon --conf "$FC_CONF" --mkfs -i fl --monmap "$FC_ROOT/monmap" >/dev/null
ceph-mon --conf "$FC_CONF" -i fl >/dev/null 2>&1
step "mon started"
# A fresh monitor answers `mon stat` and may still refuse the next command for a moment.
retry() {
  local i out
  for i in $(seq 100); do
    out=$(fc_ceph "$@" 2>&1) && { printf '%s' "$out"; return 0; }
    sleep 0.2
  done
  echo "ceph-up.sh: ceph $* kept failing: $out" >&2
  return 1
}
retry mon stat >/dev/null
step "mon answers"

uuid=$(uuidgen)
id=$(retry osd new "$uuid")
[ "$id" = 0 ] || { echo "ceph-up.sh: expected osd.0, got osd.$id" >&2; exit 4; }
step "osd id"
ceph-osd --conf "$FC_CONF" -i 0 --mkfs --osd-uuid "$uuid" >/dev/null 2>&1 \
  || { echo "ceph-up.sh: ceph-osd --mkfs failed; its log follows" >&2; exit 4; }
step "osd mkfs"
retry osd crush add-bucket fl host >/dev/null
retry osd crush move fl root=default >/dev/null
retry osd crush add osd.0 1.0 host=fl >/dev/null
ceph-osd --conf "$FC_CONF" -i 0 >/dev/null 2>&1
step "osd started"

for i in $(seq 300); do fc_ceph osd stat 2>/dev/null | grep -q '1 up' && break; sleep 0.2; done
step "osd up"
retry osd pool create fl_meta 8 >/dev/null
retry osd pool create fl_data 8 >/dev/null
retry fs new fl_fs fl_meta fl_data >/dev/null
# A client that vanished (killed ceph-fuse, cut-off host) keeps its session,
# and with it its locks, until the MDS closes it: 300 s by default, 30 s is
# the least the monitor accepts.
retry fs set fl_fs session_timeout 30 >/dev/null
retry fs set fl_fs session_autoclose 30 >/dev/null
step "fs made"
ceph-mds --conf "$FC_CONF" -i fl >/dev/null 2>&1
for i in $(seq 300); do
  fc_ceph mds stat 2>/dev/null | grep -q 'up:active' && break
  sleep 0.2
done
fc_ceph mds stat 2>/dev/null | grep -q 'up:active' || { echo "ceph-up.sh: no active MDS after 60 s: $(fc_ceph mds stat 2>&1); the logs follow" >&2; exit 4; }
step "mds active"

for h in $FC_HOSTS; do
  fc_mount_host $h || { echo "ceph-up.sh: mount of host $h failed; its log follows" >&2; exit 4; }
done
step "both hosts mounted"
echo "FL_MNT_A=$FC_ROOT/a"
echo "FL_MNT_B=$FC_ROOT/b"
