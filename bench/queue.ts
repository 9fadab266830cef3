/**
 * Scenario 7: the realistic read-modify-write. Four processes pop tasks
 * from one queue file of 200 tasks with six fields each (~20 KB as
 * dumpYaml writes it): lock → read → parse → drop the first task, append a
 * new one numbered counter + 1 → dump → temp → rename → unlock, for the
 * same fixed stretch of time. The queue stays 200 long, so every update
 * parses and writes the same amount.
 *
 * The final file must hold tasks counter − 199 … counter in order, and
 * counter must be 200 + the updates made: anything else is a lost update or
 * a torn file, reported loudly, and fails the command.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dumpYaml, parseYaml } from '../lib';
import { type PeerDef } from './peers';
import {
  PROCESSES, ceilingCheck, fairTarget, ratioTarget, rmwPeer, runUpdates, warmthBreakdown, type RmwPeer,
} from './rmw';
import { fmtCount, fmtPercent, type RunContext, type Scenario } from './util';

const TASKS = 200;
/** Longer than scenario 6's: an update of this file takes milliseconds, not microseconds. */
const durationMs = (quick: boolean): number => (quick ? 1000 : 2000);

/** As bench/fixtures/rmw-node-peer.ts and rmw_plan.py make a task. */
function makeTask(id: number, owner: string): Record<string, unknown> {
  return { created: '2026-12-03T14:00:00Z', id, owner, priority: id % 5, state: 'queued', title: `chunk ${id}` };
}

/** The starting queue, in PyYAML's bytes (dumpYaml is PyYAML-exact). */
export const INITIAL_QUEUE = dumpYaml({
  counter: TASKS, name: 'queue-bench', tasks: Array.from({ length: TASKS }, (_, i) => makeTask(i + 1, 'seed')),
});

const NODE = 'rmw-node-peer.ts';
const Q_RAW_C_DURABLE = rmwPeer('queue-raw-c-durable', 'raw C, fsync + dir fsync (no YAML)', 'c', 'reopen', 'kernel', true);
const Q_OURS_ASYNC_DURABLE = rmwPeer('queue-ours-async-durable', 'ours, await execute, durable', 'node', 'ours-async', 'kernel', true, NODE);
const Q_OURS_SYNC_DURABLE = rmwPeer('queue-ours-sync-durable', 'ours, executeSync, durable', 'node', 'ours-sync', 'kernel', true, NODE);
const Q_PL_WFA = rmwPeer('queue-proper-lockfile', 'proper-lockfile + write-file-atomic + js-yaml (fsync)', 'node', 'proper-lockfile', { pollMs: 1 }, true, NODE);
const Q_CEILING_DURABLE: RmwPeer = {
  ...rmwPeer('queue-ceiling-durable', 'ceiling: ours, executeSync, durable, 1 process alone', 'node', 'ours-sync', 'kernel', true, NODE),
  processes: 1,
};
const Q_RAW_C = rmwPeer('queue-raw-c', 'raw C, no fsync (no YAML)', 'c', 'reopen', 'kernel', false);
const Q_OURS_ASYNC = rmwPeer('queue-ours-async', 'ours, await execute, durable: false', 'node', 'ours-async', 'kernel', false, NODE);
const Q_OURS_SYNC = rmwPeer('queue-ours-sync', 'ours, executeSync, durable: false', 'node', 'ours-sync', 'kernel', false, NODE);
const Q_PLAN = rmwPeer('queue-python-plan', 'Python plan (100 ms poll), no fsync', 'python', 'plan', { pollMs: 100 }, false, 'rmw_plan.py');

/** Why the final queue is not what `total` updates make, or null. */
function badQueue(text: string, total: number, yaml: boolean): string | null {
  const doc = parseYaml(text) as { counter?: unknown; tasks?: unknown } | null;
  if (doc === null || typeof doc !== 'object') return `not a mapping: ${JSON.stringify(doc)}`;
  if (doc.counter !== TASKS + total) return `the processes made ${total} updates but the counter reads ${String(doc.counter)}`;
  if (!yaml) return null; // raw C only bumps the number
  const tasks = doc.tasks;
  if (!Array.isArray(tasks) || tasks.length !== TASKS) return `the queue should hold ${TASKS} tasks, it holds ${Array.isArray(tasks) ? tasks.length : JSON.stringify(tasks)}`;
  const first = total + 1;
  const wrong = tasks.findIndex((t, i) => (t as { id?: unknown })?.id !== first + i || Object.keys(t as object).length !== 6);
  return wrong === -1 ? null : `task ${wrong} should be number ${first + wrong} with six fields, it is ${JSON.stringify(tasks[wrong])}`;
}

async function measure(def: PeerDef, ctx: RunContext): Promise<Record<string, number>> {
  const peer = def as RmwPeer;
  const file = path.join(ctx.dir, 'queue.yaml');
  fs.writeFileSync(file, INITIAL_QUEUE);
  // The peers warm up on private copies of the same document.
  for (let i = 0; i < (peer.processes ?? PROCESSES); i++) fs.writeFileSync(path.join(ctx.dir, `warm-${i}.yaml`), INITIAL_QUEUE);
  const run = await runUpdates(peer, ctx, file, 'queue', durationMs(ctx.quick));
  const done = run.inWindow.reduce((a, b) => a + b, 0);
  const shares = run.inWindow.map((c) => c / done);
  let why: string | null;
  try {
    why = badQueue(fs.readFileSync(file, 'utf8'), run.total, peer.yaml);
  } catch (err) {
    why = `it does not parse: ${(err as Error).message}`;
  }
  const where = `in the task-queue benchmark, ${peer.label}, run ${ctx.run}`;
  if (why !== null) ctx.problem(`${why.includes('counter') ? 'LOST UPDATES' : 'CORRUPT FILE'} ${where}: ${why}`);
  return {
    opsPerSec: run.opsPerSec,
    minShare: Math.min(...shares),
    maxShare: Math.max(...shares),
    // fairTarget fails the row on any run with lost updates.
    lost: why === null ? 0 : 1,
    total: run.total,
    tailMs: run.tailMs,
    bytes: INITIAL_QUEUE.length,
    ...run.extra,
  };
}

export const queue: Scenario = {
  id: 'queue',
  title: `7. ${PROCESSES} processes popping tasks from one ${TASKS}-task YAML queue file (~${Math.round(INITIAL_QUEUE.length / 1000)} KB)`,
  shape: (quick) =>
    `each process loops lock → read → parse → drop the first task, append task counter + 1 (6 fields) → dump → temp → rename → unlock `
    + `for ${durationMs(quick)} ms from a common start; ops/s = tasks popped in the window, all processes; `
    + `shares are per process (fair = ${fmtPercent(1 / PROCESSES)}); the final queue is checked task by task`,
  notes: [
    '"× raw C" is against the no-fsync raw C row, durable rows included.',
    'raw C does not parse YAML: it rewrites the 20 KB text with "counter: N" bumped; the floor of the file system.',
    'The peers and their durability are those of scenario 6; proper-lockfile\'s row uses js-yaml to parse and dump.',
    'The ceiling row is one process alone doing the same updates: the lock serializes every update, so no number of processes on one file can beat it.',
  ],
  metrics: [
    { key: 'opsPerSec', label: 'ops/s', better: 'higher', format: fmtCount },
    { key: 'minShare', label: 'min share', better: 'higher', ratio: false, format: fmtPercent },
    { key: 'maxShare', label: 'max share', better: 'lower', ratio: false, format: fmtPercent },
  ],
  peers: [
    Q_RAW_C_DURABLE, Q_OURS_ASYNC_DURABLE, Q_OURS_SYNC_DURABLE, Q_PL_WFA, Q_CEILING_DURABLE,
    Q_RAW_C, Q_OURS_ASYNC, Q_OURS_SYNC, Q_PLAN,
  ],
  baseline: Q_RAW_C.id,
  breakdown: warmthBreakdown([Q_OURS_ASYNC_DURABLE, Q_OURS_SYNC_DURABLE, Q_OURS_ASYNC, Q_OURS_SYNC]),
  targets: [
    ...[Q_OURS_ASYNC_DURABLE, Q_OURS_SYNC_DURABLE].flatMap((p) => [
      ratioTarget(p, 3, Q_PL_WFA, 'proper-lockfile + wfa + js-yaml'), fairTarget(p),
    ]),
    ceilingCheck(Q_CEILING_DURABLE, 3, Q_PL_WFA, 'proper-lockfile + wfa + js-yaml'),
    ...[Q_OURS_ASYNC, Q_OURS_SYNC].map(fairTarget),
  ],
  measure,
};
