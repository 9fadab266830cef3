/**
 * Scenario 4: four processes increment one counter file under the lock
 * (read it, add one, write it back) for the same fixed stretch of time.
 * Throughput is the total; fairness is each process's share of it, since a
 * lock that lets one process win again and again starves the others.
 * The final counter must equal the sum of the increments: anything less is
 * a lost update, a correctness bug, and is reported loudly.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  FSEXT_ASYNC, OURS_ASYNC, OURS_SYNC, PYTHON_PLAN, RAW_C,
  closeAll, startPeers, type PeerDef,
} from './peers';
import {
  fmtCount, fmtPercent, fmtRatio, monoNs, peerFiles,
  type RunContext, type Scenario, type Target,
} from './util';

const PROCESSES = 4;
const durationMs = (quick: boolean): number => (quick ? 500 : 1500);
/**
 * "Starved": a share under half of the fair one (12.5 % of four). Shares
 * wobble by a few points on two cores even with a fair lock; a process
 * that the lock keeps losing ends far below this.
 */
const STARVED_BELOW = 0.5 / PROCESSES;

async function measure(peer: PeerDef, ctx: RunContext): Promise<Record<string, number>> {
  const counterFile = path.join(ctx.dir, 'counter');
  fs.writeFileSync(counterFile, '0');
  const { lock } = peerFiles(ctx.dir, peer.id);
  const files = Array.from({ length: PROCESSES }, (_, i) => ({ lock, stamp: path.join(ctx.dir, `stamp-${i}`) }));
  const procs = await startPeers(peer, files, ctx.rawFlock);
  const ms = durationMs(ctx.quick);
  let counts: number[];
  try {
    // A common start on the shared monotonic clock, far enough ahead that
    // every child has read its command and is sleeping when it comes.
    const start = monoNs() + 50_000_000n;
    const end = start + BigInt(ms) * 1_000_000n;
    const replies = await Promise.all(procs.map((p) => p.request(`counter ${counterFile} ${start} ${end}`, ms + 60_000)));
    counts = replies.map((r) => Number(r[1]));
  } finally {
    await closeAll(procs);
  }
  const total = counts.reduce((a, b) => a + b, 0);
  const final = Number(fs.readFileSync(counterFile, 'utf8'));
  if (final !== total) {
    ctx.problem(`LOST UPDATES in the counter benchmark, ${peer.label}, run ${ctx.run}: `
      + `the processes made ${total} increments (${counts.join(' + ')}) but the counter reads ${final}`);
  }
  const shares = counts.map((c) => c / total);
  return {
    opsPerSec: total / (ms / 1000),
    minShare: Math.min(...shares),
    maxShare: Math.max(...shares),
    lost: total - final,
  };
}

function opsTargets(peer: string): Target[] {
  return [{
    peer, metric: 'opsPerSec', text: '≥ 2× fs-ext async, ≥ plan',
    check(r) {
      const ours = r.median(peer, 'opsPerSec');
      const fsExt = r.median(FSEXT_ASYNC.id, 'opsPerSec');
      const plan = r.median(PYTHON_PLAN.id, 'opsPerSec');
      if (ours === undefined || fsExt === undefined || plan === undefined) return null;
      return {
        met: ours >= 2 * fsExt && ours >= plan,
        measured: `${fmtRatio(ours / fsExt)} fs-ext, ${fmtRatio(ours / plan)} plan`,
      };
    },
  }, {
    peer, metric: 'minShare', text: 'no process starved',
    check(r) {
      const min = r.median(peer, 'minShare');
      // Any run with a lost update counts, not the median run.
      const lost = r.values(peer, 'lost').find((v) => v !== 0) ?? 0;
      if (min === undefined) return null;
      return {
        met: min >= STARVED_BELOW && lost === 0,
        measured: `min ${fmtPercent(min)} (starved < ${fmtPercent(STARVED_BELOW)})${lost ? `, ${lost} LOST` : ''}`,
      };
    },
  }];
}

export const counter: Scenario = {
  id: 'counter',
  title: `4. ${PROCESSES} processes × counter increments under the lock`,
  shape: (quick) =>
    `each process loops lock → read counter file → +1 → write → unlock for ${durationMs(quick)} ms from a common start; `
    + `ops/s is the total, shares are per process (fair = ${fmtPercent(1 / PROCESSES)})`,
  metrics: [
    { key: 'opsPerSec', label: 'ops/s', better: 'higher', format: fmtCount },
    { key: 'minShare', label: 'min share', better: 'higher', ratio: false, format: fmtPercent },
    { key: 'maxShare', label: 'max share', better: 'lower', ratio: false, format: fmtPercent },
  ],
  peers: [RAW_C, OURS_ASYNC, OURS_SYNC, FSEXT_ASYNC, PYTHON_PLAN],
  baseline: RAW_C.id,
  targets: [...opsTargets(OURS_ASYNC.id), ...opsTargets(OURS_SYNC.id)],
  measure,
};
