# Shared names for gluster-up.sh / gluster-down.sh (sourced, not run).
# Everything this test environment creates carries the prefix fl_, so it can
# never touch another volume, netns or bridge on the machine.
FL_ROOT=${FL_GLUSTER_ROOT:-${TMPDIR:-/tmp}/fl_gluster}   # brick, mount points, logs
FL_VOL=fl_vol
FL_BR=fl_br
FL_NET=10.231.77            # server = .1 on the bridge, host A = .11, host B = .12
FL_SERVER=$FL_NET.1
FL_HOSTS="a b"
FL_GLUSTERD_PID=/run/fl_glusterd.pid
host_ip() { [ "$1" = a ] && echo "$FL_NET.11" || echo "$FL_NET.12"; }

# The pid of the FUSE client (glusterfs) serving mount point $1, if any: the
# process whose argv ends with exactly that path.
client_pid() {
  local p
  for p in /proc/[0-9]*; do
    [ "$(cat "$p/comm" 2>/dev/null)" = glusterfs ] || continue
    [ "$(tr '\0' '\n' <"$p/cmdline" 2>/dev/null | tail -n 1)" = "$1" ] && { echo "${p#/proc/}"; return 0; }
  done
  return 1
}

is_mounted() { awk -v m="$1" '$2 == m { found = 1 } END { exit !found }' /proc/mounts; }

# Unmounts $1 (lazily if busy or dead) and kills its FUSE client if it survives.
unmount_host() {
  local m=$1 pid
  if is_mounted "$m"; then umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; fi
  if pid=$(client_pid "$m"); then kill "$pid" 2>/dev/null || true; fi
}

# Mounts the volume for host $1, its FUSE client living in netns fl_$1.
mount_host() {
  local h=$1 i
  mkdir -p "$FL_ROOT/$h"
  nsenter --net=/run/netns/fl_$h mount -t glusterfs -o log-file="$FL_ROOT/log/$h.log" $FL_SERVER:/$FL_VOL "$FL_ROOT/$h" || return 1
  for i in $(seq 50); do stat -f -c %T "$FL_ROOT/$h" 2>/dev/null | grep -q fuse && break; sleep 0.1; done
  is_mounted "$FL_ROOT/$h"
}

# Waits (up to ~5 s) until process $1 is gone; SIGKILL after that.
wait_gone() {
  local i
  for i in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
}

# Stops the volume's brick processes by their pid files (glusterd may be dead).
kill_bricks() {
  local f pid
  for f in /var/run/gluster/vols/$FL_VOL/*.pid; do
    [ -s "$f" ] || continue
    pid=$(cat "$f"); kill "$pid" 2>/dev/null && wait_gone "$pid"
    rm -f "$f"
  done
}

stop_glusterd() {
  local pid
  if [ -s "$FL_GLUSTERD_PID" ]; then
    pid=$(cat "$FL_GLUSTERD_PID")
    if [ "$(cat /proc/$pid/comm 2>/dev/null)" = glusterd ]; then kill "$pid" 2>/dev/null && wait_gone "$pid"; fi
    rm -f "$FL_GLUSTERD_PID"
  fi
}

# Removes every trace of a previous run, clean or not. Never fails.
fl_clean() {
  local h
  for h in $FL_HOSTS; do unmount_host "$FL_ROOT/$h"; done
  if [ -s "$FL_GLUSTERD_PID" ] && command -v gluster >/dev/null; then
    timeout 20 gluster --mode=script volume stop $FL_VOL force >/dev/null 2>&1 || true
    timeout 20 gluster --mode=script volume delete $FL_VOL >/dev/null 2>&1 || true
  fi
  kill_bricks
  stop_glusterd
  for h in $FL_HOSTS; do
    ip netns del fl_$h 2>/dev/null || true
    ip link del fl_v$h 2>/dev/null || true
  done
  ip link del $FL_BR 2>/dev/null || true
  rm -rf "/var/lib/glusterd/vols/$FL_VOL" "$FL_ROOT"
}
