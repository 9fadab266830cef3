#!/usr/bin/env bash
# Control experiment for test/durable/power-cut.test.ts, without Node or this
# library: a plain Python writer does write -> fsync -> rename -> fsync(dir)
# for a new file f-I and a rewrite of state.yaml per step, and prints
# "ack I". After 25 steps the xfs is shut down (`xfs_io -x -c "$FLAGS"`)
# while the writer continues, unmounted and mounted again. Counts the cuts
# after which the last acknowledged rename of state.yaml is missing.
# usage (root): test/scripts/xfs-shutdown-control.sh [CUTS=100] [FLAGS=shutdown]
# Measured here (kernel 6.18, loop on ext4): 3 of 100 with `shutdown`.
set -euo pipefail
CUTS=${1:-100}
FLAGS=${2:-shutdown}
PY=/usr/bin/python3
WORK=$(mktemp -d)
DEV=''
cleanup() {
  mountpoint -q "$WORK/m" && umount "$WORK/m" || true
  [ -n "$DEV" ] && losetup -d "$DEV" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
cat > "$WORK/writer.py" <<'PY'
import os, sys
d = sys.argv[1]
def put(path, text):
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    os.write(fd, text.encode()); os.fsync(fd); os.close(fd)
    os.rename(tmp, path)
    dfd = os.open(d, os.O_RDONLY); os.fsync(dfd); os.close(dfd)
i = 0
try:
    while True:
        put(os.path.join(d, f"f-{i}"), f"file {i}\n" * 200)
        put(os.path.join(d, "state.yaml"), f"entry {i}\n" * 100 + f"version: {i}\n")
        print(f"ack {i}", flush=True)
        i += 1
except OSError as e:
    print(f"error {e}", flush=True)
PY
lost=0
for n in $(seq "$CUTS"); do
  truncate -s 300M "$WORK/img"
  mkfs.xfs -q -f "$WORK/img"
  DEV=$(losetup --find --show "$WORK/img")
  mkdir -p "$WORK/m"
  mount "$DEV" "$WORK/m"
  "$PY" "$WORK/writer.py" "$WORK/m" > "$WORK/out" &
  pid=$!
  until grep -q '^ack 24$' "$WORK/out"; do sleep 0.01; done
  xfs_io -x -c "$FLAGS" "$WORK/m"
  wait "$pid" || true
  ack=$(grep '^ack' "$WORK/out" | tail -1 | cut -d' ' -f2)
  umount "$WORK/m"
  mount "$DEV" "$WORK/m"
  version=$(grep '^version' "$WORK/m/state.yaml" | cut -d' ' -f2)
  if [ "$version" -lt "$ack" ]; then
    lost=$((lost + 1))
    echo "cut $n: acknowledged $ack, state.yaml holds $version"
  fi
  umount "$WORK/m"
  losetup -d "$DEV"
  DEV=''
  rm -f "$WORK/img"
done
echo "last acknowledged rename missing after $lost of $CUTS cuts ($FLAGS)"
