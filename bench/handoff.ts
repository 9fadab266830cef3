/**
 * Scenario 3: hand-off latency between two processes. One holds the lock,
 * the other is already waiting for it; the holder reads CLOCK_MONOTONIC just
 * before it releases and writes that stamp into a shared 8-byte file after
 * (so the write is not timed), and the waiter subtracts the stamp from the
 * moment its acquire returned. Both sides run the same peer, so the figure
 * includes that peer's release path as well as its wake-up.
 *
 * The parent sequences the turns and never touches the lock, so neither
 * side can re-take the lock it just dropped before the other gets it.
 */
import {
  FSEXT_ASYNC, FSEXT_ASYNC_CHECKED, FSEXT_SYNC, FSEXT_SYNC_CHECKED, OURS_ASYNC, OURS_POLL, OURS_SYNC, OURS_SYNC_FOREVER,
  PROPER_LOCKFILE, PYTHON_PLAN, RAW_C, RAW_C_KEPT, RAW_C_THREAD, closeAll, startPeers, type PeerDef, type PeerProcess,
} from './peers';
import {
  awaitBlockedInFlock, fmtMicros, fmtRatio, hostOf, peerFiles, percentile, sleep,
  type RunContext, type Scenario, type Target,
} from './util';

/** Hand-offs timed per run; the slow pollers get fewer, each costs ~100 ms. */
function handoffs(peer: PeerDef, quick: boolean): number {
  const slow = peer.wait !== 'kernel' && peer.wait.pollMs >= 50;
  if (slow) return quick ? 8 : 30;
  return quick ? 60 : 200;
}
const WARMUP = 5;

/**
 * Lets the waiter really wait before the holder lets go. A kernel waiter is
 * waited for until one of its threads sleeps in flock(2), plus a millisecond
 * for the rest of its process to go idle. A poller shows nothing in the
 * kernel; its first try comes right after "trying" and has long failed when
 * the release lands, at a uniformly random point of its poll period, as it
 * would with a real holder (a fixed delay would measure one phase only).
 */
async function letWaiterSettle(waiter: PeerProcess): Promise<void> {
  const peer = waiter.def;
  if (peer.wait === 'kernel') {
    awaitBlockedInFlock(waiter.pid as number, 5000);
    await sleep(1);
  } else {
    await sleep(1 + Math.random() * peer.wait.pollMs);
  }
}

async function measure(peer: PeerDef, ctx: RunContext): Promise<Record<string, number>> {
  const files = peerFiles(ctx.dir, peer.id, ctx.localDir);
  // Both sides on the same lock and stamp files, each through its own host's
  // view of the lock (the stamp is local: both sides share one clock).
  const [a, b] = await startPeers(peer, [0, 1].map((i) => {
    const host = hostOf(ctx, i);
    return { lock: host.at(files.lock), stamp: files.stamp, wrap: host.wrap };
  }), ctx.rawFlock);
  const latenciesUs: number[] = [];
  // The waiter's "acquired" line may add STAGE=NS words: when its hand-off
  // passed each stage, on the same clock as the stamp (see raw-flock.c).
  // The breakdown's last row is the p50 of the hand-offs that were not staged.
  const stagesUs = new Map<string, number[]>();
  try {
    let holder = a;
    let waiter = b;
    await holder.acquire();
    const n = handoffs(peer, ctx.quick);
    // A hand-off whose answer says staged=1 was stamped stage by stage (our
    // peers do every other one): it is in the breakdown, not in p50/p99.
    for (let i = 0; latenciesUs.length < n; i++) {
      const { result } = await waiter.startAcquire();
      await letWaiterSettle(waiter);
      await holder.release();
      const [what, ns, ...stages] = await result;
      if (what !== 'acquired' || Number(ns) < 0) throw new Error(`${peer.label}: hand-off ${i} answered "${what} ${ns}"`);
      if (i >= WARMUP) {
        const staged = stages.includes('staged=1');
        if (!staged) latenciesUs.push(Number(ns) / 1000);
        for (const word of stages) {
          if (word === 'staged=1') continue;
          const [name, value] = word.split('=');
          const list = stagesUs.get(name) ?? [];
          list.push(Number(value) / 1000);
          stagesUs.set(name, list);
        }
      }
      [holder, waiter] = [waiter, holder];
    }
    await holder.release();
  } finally {
    await closeAll([a, b]);
  }
  const values: Record<string, number> = {
    p50: percentile(latenciesUs, 50), p99: percentile(latenciesUs, 99), n: latenciesUs.length,
  };
  for (const [name, list] of stagesUs) {
    values[`stage.${name}`] = percentile(list, 50);
    values[`stageN.${name}`] = list.length;
  }
  return values;
}

/** `peer`'s `metric` ≤ factor × each other peer's (medians of this run). */
function atMost(peer: PeerDef, metric: string, bounds: ReadonlyArray<readonly [number, PeerDef, string]>): Target {
  return {
    peer: peer.id, metric,
    text: bounds.map(([f, , name]) => `≤ ${f}× ${name}`).join(', '),
    check(r) {
      const ours = r.median(peer.id, metric);
      if (ours === undefined) return null;
      let met = true;
      const measured: string[] = [];
      for (const [factor, other, name] of bounds) {
        const theirs = r.median(other.id, metric);
        if (theirs === undefined) return null;
        met &&= ours <= factor * theirs;
        measured.push(`${fmtRatio(ours / theirs)} ${name}`);
      }
      return { met, measured: measured.join(', ') };
    },
  };
}

/**
 * Not a target of its own: whether the C waiter-thread program (the floor of
 * every wait that leaves the event loop free) meets a bound against raw C.
 * When it does not, no such design can on this machine, and the row says by
 * how much even the floor misses.
 */
function floorCheck(metric: string, factor: number): Target {
  const t = atMost(RAW_C_THREAD, metric, [[factor, RAW_C, 'raw C']]);
  return { ...t, text: `floor check: ≤ ${factor}× raw C is reachable` };
}

/**
 * Not a target of its own either: whether fs-ext plus the lock protocol's
 * identity check (the floor of a Node lock that keeps the protocol) meets the
 * ≤ 1× plain fs-ext bound of ours. The check is a stat of the path after the
 * wake-up, so this floor is above plain fs-ext by what one stat costs in a
 * process that has just woken; the row says by how much.
 */
function protocolFloorCheck(floor: PeerDef, plain: PeerDef, name: string): Target {
  const t = atMost(floor, 'p50', [[1, plain, name]]);
  return { ...t, text: `floor check: ≤ 1× ${name} is reachable` };
}

const targets: Target[] = [
  atMost(OURS_ASYNC, 'p50', [[1, FSEXT_ASYNC, 'fs-ext async'], [2.5, RAW_C, 'raw C']]),
  floorCheck('p50', 2.5),
  protocolFloorCheck(FSEXT_ASYNC_CHECKED, FSEXT_ASYNC, 'fs-ext async'),
  atMost(OURS_ASYNC, 'p99', [[1.5, RAW_C, 'raw C']]),
  floorCheck('p99', 1.5),
  atMost(OURS_SYNC, 'p50', [[1, FSEXT_SYNC, 'fs-ext flockSync']]),
  atMost(OURS_SYNC_FOREVER, 'p50', [[1, FSEXT_SYNC, 'fs-ext flockSync']]),
  protocolFloorCheck(FSEXT_SYNC_CHECKED, FSEXT_SYNC, 'fs-ext flockSync'),
];

export const handoff: Scenario = {
  id: 'handoff',
  title: '3. Hand-off between two processes (waiter already blocked)',
  shape: (quick) =>
    `holder reads CLOCK_MONOTONIC, releases, then writes the stamp; latency = waiter's acquire return − stamp; `
    + `${handoffs(RAW_C, quick)} hand-offs per run (${handoffs(PYTHON_PLAN, quick)} for 100 ms pollers), `
    + `${WARMUP} warm-up ones dropped; proper-lockfile retries every 1 ms; `
    + `our peers stamp the JS stages of every other hand-off, and only the others are timed`,
  metrics: [
    { key: 'p50', label: 'p50', better: 'lower', format: fmtMicros },
    { key: 'p99', label: 'p99', better: 'lower', format: fmtMicros },
  ],
  // Raw C with a waiter thread is not one of the peers: it is the
  // floor of every design that must not block an event loop, ours and
  // fs-ext's included (two wake-ups). Nor is fs-ext + identity check: the
  // floor of a Node lock that keeps the protocol (one stat after the wake-up).
  peers: [
    RAW_C, RAW_C_KEPT, RAW_C_THREAD, OURS_ASYNC, OURS_SYNC, OURS_SYNC_FOREVER, OURS_POLL,
    FSEXT_ASYNC, FSEXT_ASYNC_CHECKED, FSEXT_SYNC, FSEXT_SYNC_CHECKED, PROPER_LOCKFILE, PYTHON_PLAN,
  ],
  baseline: RAW_C.id,
  targets,
  breakdown: {
    title: 'where a hand-off goes, p50 since the releasing process\'s stamp (one clock: CLOCK_MONOTONIC):',
    peers: [RAW_C, RAW_C_THREAD, OURS_ASYNC, OURS_SYNC, OURS_SYNC_FOREVER, FSEXT_ASYNC],
    stages: [
      { key: 'stage.flock', label: "flock() returns (waiter thread, or sync: the JS thread)" },
      { key: 'stage.checked', label: 'identity check (stat of the path) done' },
      { key: 'stage.reported', label: 'JS thread woken, native report taken' },
      { key: 'stage.entered', label: 'JS onKernelWon entered' },
      { key: 'stage.bookkept', label: 'queue/grant bookkeeping done' },
      { key: 'stage.resolved', label: "the waiter's promise resolved" },
      { key: 'p50', label: 'user code runs after the awaits' },
    ],
    format: fmtMicros,
  },
  measure,
};
