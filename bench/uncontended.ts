/**
 * Scenarios 1 and 2: one process taking and dropping an exclusive lock that
 * nobody else wants, as fast as it can. This is the cost every locked
 * operation pays even when there is no contention at all.
 */
import {
  FSEXT_ASYNC, FSEXT_SYNC, OURS_ASYNC, OURS_SYNC, PROPER_LOCKFILE, PYTHON_PLAN, RAW_C, RAW_C_KEPT,
  startPeer, type PeerDef,
} from './peers';
import { fmtMicros, fmtRatio, peerFiles, type Metric, type RunContext, type Scenario, type Target } from './util';

const US_PER_OP: Metric = { key: 'usPerOp', label: 'µs/op', better: 'lower', format: fmtMicros };

/** Timed milliseconds per cell, after each peer's own 500 ms warm-up (the JIT's, for Node). */
const timedMs = (quick: boolean): number => (quick ? 100 : 300);

async function measure(peer: PeerDef, ctx: RunContext): Promise<Record<string, number>> {
  const p = await startPeer(peer, peerFiles(ctx.dir, peer.id), ctx.rawFlock);
  try {
    const [, nsPerOp] = await p.request(`uncontended ${timedMs(ctx.quick)}`);
    return { usPerOp: Number(nsPerOp) / 1000 };
  } finally {
    await p.close();
  }
}

/** `peer`'s µs/op at most `factor` × raw C's. */
function atMostTimesRawC(peer: string, factor: number): Target {
  return {
    peer, metric: 'usPerOp', text: `≤ ${factor}× raw C`,
    check(r) {
      const ours = r.median(peer, 'usPerOp');
      const base = r.median(RAW_C.id, 'usPerOp');
      if (ours === undefined || base === undefined) return null;
      return { met: ours <= factor * base, measured: fmtRatio(ours / base) };
    },
  };
}

const shape = (what: string) => (quick: boolean) =>
  `exclusive acquire+release in a loop, one process per peer, ${timedMs(quick)} ms timed after a 500 ms warm-up`
  + `; ${what}`;

export const uncontendedSync: Scenario = {
  id: 'uncontended-sync',
  title: '1. Uncontended exclusive acquire+release, sync API',
  shape: shape('ours = acquireSync + release; fs-ext and raw C open+flock+unlock+close'),
  metrics: [US_PER_OP],
  peers: [RAW_C, RAW_C_KEPT, OURS_SYNC, FSEXT_SYNC, PYTHON_PLAN],
  baseline: RAW_C.id,
  targets: [atMostTimesRawC(OURS_SYNC.id, 0.3)],
  measure,
};

export const uncontendedAsync: Scenario = {
  id: 'uncontended-async',
  title: '2. Uncontended exclusive acquire+release, async API',
  shape: shape('ours = await acquire + release; fs-ext = async flock ex/un; raw C (sync) is the yardstick'),
  metrics: [US_PER_OP],
  peers: [RAW_C, OURS_ASYNC, FSEXT_ASYNC, PROPER_LOCKFILE],
  baseline: RAW_C.id,
  targets: [atMostTimesRawC(OURS_ASYNC.id, 1)],
  measure,
};
