# Shared names for ceph-up.sh / ceph-down.sh (sourced, not run).
# Everything this environment creates carries the prefix fc_ (bridge, veths,
# netns) or lives under $FC_ROOT, on its own subnet, so it never collides
# with the GlusterFS environment (fl_*, 10.231.77.0/24) or anything else.
FC_ROOT=${FL_CEPH_ROOT:-${TMPDIR:-/tmp}/fl_ceph}   # config, mon/osd/mds data, mount points, logs
FC_CONF=$FC_ROOT/ceph.conf
FC_BR=fc_br
FC_NET=10.231.78            # mon/osd/mds = .1 on the bridge, host A = .11, host B = .12
FC_SERVER=$FC_NET.1
FC_HOSTS="a b"
FC_DAEMONS="mds.fl osd.0 mon.fl"   # stop order
fc_host_ip() { [ "$1" = a ] && echo "$FC_NET.11" || echo "$FC_NET.12"; }

# `ceph` against this cluster only, bounded: a command never waits on a
# monitor that is gone.
fc_ceph() { timeout 20 ceph --conf "$FC_CONF" --connect-timeout 10 "$@"; }

fc_is_mounted() { awk -v m="$1" '$2 == m { found = 1 } END { exit !found }' /proc/mounts; }

# The pid of ceph-fuse serving host $1's mount (its own --pid-file).
fc_client_pid() {
  local f=$FC_ROOT/run/fuse-$1.pid pid
  [ -s "$f" ] || return 1
  pid=$(cat "$f")
  [ "$(cat /proc/$pid/comm 2>/dev/null)" = ceph-fuse ] || return 1
  echo "$pid"
}

# Whether process $1 still runs (a zombie waiting for its reaper does not).
fc_alive() {
  local st
  st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# Waits (up to ~5 s) until process $1 is gone; SIGKILL after that.
fc_wait_gone() {
  local i
  for i in $(seq 50); do fc_alive "$1" || return 0; sleep 0.05; done
  kill -9 "$1" 2>/dev/null || true
  for i in $(seq 40); do fc_alive "$1" || return 0; sleep 0.05; done
}

# Aborts the FUSE connection behind mount point $1, if it is a FUSE mount:
# a ceph-fuse with a request in flight (a killed flock waiter) otherwise
# makes umount, and every process touching the mount, hang.
fc_abort_fuse() {
  local dev
  dev=$(awk -v m="$1" '$5 == m { for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) ~ /^fuse/) print $3; break } }' /proc/self/mountinfo | tail -n 1)
  [ -n "$dev" ] || return 0
  [ -d /sys/fs/fuse/connections ] || return 0
  grep -q ' /sys/fs/fuse/connections ' /proc/mounts || mount -t fusectl none /sys/fs/fuse/connections 2>/dev/null || return 0
  # The connection's directory is the mount's device minor number.
  [ -e "/sys/fs/fuse/connections/${dev#*:}/abort" ] && echo 1 >"/sys/fs/fuse/connections/${dev#*:}/abort" 2>/dev/null
  return 0
}

# Unmounts host $1's mount point without ever waiting on ceph-fuse: its FUSE
# connection is aborted first (whatever it still had to write is thrown away
# with the cluster, or was written by a client the test killed).
fc_unmount_host() {
  local m=$FC_ROOT/$1 pid
  if fc_is_mounted "$m"; then
    fc_abort_fuse "$m"
    timeout 5 umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  fi
  if pid=$(fc_client_pid "$1"); then kill -9 "$pid" 2>/dev/null; fc_wait_gone "$pid"; fi
  rm -f "$FC_ROOT/run/fuse-$1.pid"
}

# Mounts CephFS for host $1 with a ceph-fuse living in netns fc_$1. Clients
# reach the cluster through the bridge address, each ceph-fuse with its own
# pid file (one shared pid file makes the second refuse to start).
fc_mount_host() {
  local h=$1 i
  nsenter --net=/run/netns/fc_$h ceph-fuse --conf "$FC_CONF" --pid-file "$FC_ROOT/run/fuse-$h.pid" \
    --log-file "$FC_ROOT/log/fuse-$h.log" -m "$FC_SERVER:3300" "$FC_ROOT/$h" >/dev/null 2>&1 || return 1
  for i in $(seq 100); do fc_is_mounted "$FC_ROOT/$h" && return 0; sleep 0.1; done
  return 1
}

# Stops daemon $1 (mon.fl, osd.0, mds.fl) by its pid file, with SIGKILL: the
# cluster's data is thrown away next, and a SIGTERMed MDS or OSD takes
# seconds to flush it.
fc_stop_daemon() {
  local f=$FC_ROOT/run/$1.pid pid
  [ -s "$f" ] || return 0
  pid=$(cat "$f")
  case "$(cat /proc/$pid/comm 2>/dev/null)" in
    ceph-mon|ceph-osd|ceph-mds) kill -9 "$pid" 2>/dev/null; fc_wait_gone "$pid" ;;
  esac
  rm -f "$f"
}

# Removes every trace of a previous run, clean or not. Never fails, never hangs.
fc_clean() {
  local h d
  for h in $FC_HOSTS; do fc_unmount_host "$h"; done
  for d in $FC_DAEMONS; do fc_stop_daemon "$d"; done
  for h in $FC_HOSTS; do
    ip netns del fc_$h 2>/dev/null || true
    ip link del fc_v$h 2>/dev/null || true
  done
  ip link del $FC_BR 2>/dev/null || true
  # Never rm -rf through a mount point that is still there.
  for h in $FC_HOSTS; do fc_is_mounted "$FC_ROOT/$h" && umount -l "$FC_ROOT/$h" 2>/dev/null; done
  rm -rf "$FC_ROOT"
  return 0
}
