/**
 * Scenario 5: a 200 ms timeout while another process holds the lock. What
 * matters is how late the error comes: a caller that set 200 ms budgets for
 * 200 ms, and a late error is time it cannot use. The holder is a second
 * process of the same peer (proper-lockfile can only be held by
 * proper-lockfile), which keeps the lock for every try of the run.
 */
import {
  OURS_ASYNC, OURS_SYNC, PROPER_LOCKFILE, PYTHON_PLAN, RAW_C,
  closeAll, startPeers, type PeerDef,
} from './peers';
import { fmtLateMs, median, peerFiles, type RunContext, type Scenario, type Target } from './util';

const TIMEOUT_MS = 200;
const tries = (quick: boolean): number => (quick ? 4 : 10);

async function measure(peer: PeerDef, ctx: RunContext): Promise<Record<string, number>> {
  const files = peerFiles(ctx.dir, peer.id);
  const [holder, waiter] = await startPeers(peer, [files, files], ctx.rawFlock);
  const lateMs: number[] = [];
  try {
    await holder.acquire();
    for (let i = 0; i < tries(ctx.quick); i++) {
      const [what, ns] = await waiter.acquire(TIMEOUT_MS);
      if (what !== 'timeout') throw new Error(`${peer.label}: expected a timeout, got "${what} ${ns}"`);
      lateMs.push(Number(ns) / 1e6 - TIMEOUT_MS);
    }
    await holder.release();
  } finally {
    await closeAll([holder, waiter]);
  }
  return { lateMs: median(lateMs), worstLateMs: Math.max(...lateMs) };
}

function lateTarget(peer: string): Target {
  return {
    peer, metric: 'lateMs', text: '≤ +2 ms',
    check(r) {
      const late = r.median(peer, 'lateMs');
      if (late === undefined) return null;
      return { met: late <= 2, measured: fmtLateMs(late) };
    },
  };
}

export const timeout: Scenario = {
  id: 'timeout',
  title: `5. Timeout of ${TIMEOUT_MS} ms while another process holds the lock`,
  shape: (quick) =>
    `lateness = time until the timeout error − ${TIMEOUT_MS} ms, median of ${tries(quick)} tries per run; `
    + 'raw C: SIGALRM; proper-lockfile: 20 retries 10 ms apart',
  metrics: [{ key: 'lateMs', label: 'late', better: 'lower', spread: 'absolute', format: fmtLateMs }],
  peers: [RAW_C, OURS_ASYNC, OURS_SYNC, PYTHON_PLAN, PROPER_LOCKFILE],
  baseline: RAW_C.id,
  targets: [lateTarget(OURS_ASYNC.id), lateTarget(OURS_SYNC.id)],
  measure,
};
