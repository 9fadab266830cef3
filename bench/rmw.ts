/**
 * Scenario 6: read-modify-write of a YAML mapping (a counter plus a short
 * list) by four processes on one file, for the same fixed stretch of time:
 * lock → read → parse → counter + 1, own name onto the list → serialize →
 * temp file → rename → unlock. Durable and non-durable side by side, with
 * the libraries a Node user would otherwise reach for and with the Python
 * plan's own ReadModifyWrite.
 *
 * Throughput is the updates all four processes finished inside the window;
 * fairness is each process's share of them. The final
 * file must parse, its counter must equal the updates the processes made,
 * and its list must hold the last five names: anything else is a lost
 * update or a torn file, reported loudly, and fails the command.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseYaml } from '../lib/yaml';
import { closeAll, startPeers, type PeerDef } from './peers';
import {
  fmtCount, fmtMicros, fmtPercent, fmtRatio, hostOf, median, monoNs,
  type Breakdown, type RunContext, type Scenario, type Target,
} from './util';

export const PROCESSES = 4;
const KEEP = 5;
const durationMs = (quick: boolean): number => (quick ? 400 : 1000);
/** Issue #10: every process gets at least a fifth of the updates (fair = a quarter). */
const STARVED_BELOW = 0.2;

/** The document every run starts from, in yaml.dump(default_flow_style=False)'s bytes. */
const INITIAL = 'counter: 0\nname: rmw-bench\nrecent:\n- seed\n';

export interface RmwPeer extends PeerDef {
  /** Whether the run asks for fsync (only where the peer has such a mode). */
  readonly durable: boolean;
  /** Whether the peer parses the YAML and keeps the list (raw C only bumps the number). */
  readonly yaml: boolean;
  /**
   * How many processes run it (default PROCESSES). One process, never
   * contended, is the ceiling of any locked design on one file: the lock
   * serializes every update, so four processes can at best match it.
   */
  readonly processes?: number;
  /** Raw C only: write FILE in place, no temp file and no rename (raw-flock.c's rmw MODE 2). */
  readonly inPlace?: boolean;
}

export const rmwPeer = (id: string, label: string, lang: PeerDef['lang'], variant: string, wait: PeerDef['wait'],
  durable: boolean, script?: string): RmwPeer =>
  ({ id, label, lang, variant, wait, durable, yaml: lang !== 'c', script });

const NODE = 'rmw-node-peer.ts';
export const RMW_RAW_C = rmwPeer('rmw-raw-c', 'raw C, no fsync (no YAML)', 'c', 'reopen', 'kernel', false);
export const RMW_RAW_C_DURABLE = rmwPeer('rmw-raw-c-durable', 'raw C, fsync + dir fsync (no YAML)', 'c', 'reopen', 'kernel', true);
/** Not atomic for lock-free readers; it measures what the rename itself costs a file system. */
export const RMW_RAW_C_IN_PLACE: RmwPeer = {
  ...rmwPeer('rmw-raw-c-in-place', 'raw C, in place: no temp, no rename, no fsync (no YAML)', 'c', 'reopen', 'kernel', false),
  inPlace: true,
};
export const RMW_OURS_ASYNC_DURABLE = rmwPeer('rmw-ours-async-durable', 'ours, await execute, durable', 'node', 'ours-async', 'kernel', true, NODE);
export const RMW_OURS_SYNC_DURABLE = rmwPeer('rmw-ours-sync-durable', 'ours, executeSync, durable', 'node', 'ours-sync', 'kernel', true, NODE);
export const RMW_PL_WFA = rmwPeer('rmw-proper-lockfile', 'proper-lockfile + write-file-atomic (fsync)', 'node', 'proper-lockfile', { pollMs: 1 }, true, NODE);
export const RMW_OURS_ASYNC = rmwPeer('rmw-ours-async', 'ours, await execute, durable: false', 'node', 'ours-async', 'kernel', false, NODE);
export const RMW_OURS_SYNC = rmwPeer('rmw-ours-sync', 'ours, executeSync, durable: false', 'node', 'ours-sync', 'kernel', false, NODE);
export const RMW_FSEXT = rmwPeer('rmw-fsext', 'fs-ext flock + temp + rename, no fsync', 'node', 'fsext', 'kernel', false, NODE);
/** The ceiling of the durable rows: the same update, one process alone (see RmwPeer.processes). */
export const RMW_CEILING_DURABLE: RmwPeer = {
  ...rmwPeer('rmw-ceiling-durable', 'ceiling: ours, executeSync, durable, 1 process alone', 'node', 'ours-sync', 'kernel', true, NODE),
  processes: 1,
};
/** The same for the not-durable rows. */
export const RMW_CEILING: RmwPeer = {
  ...rmwPeer('rmw-ceiling', 'ceiling: ours, executeSync, durable: false, 1 process alone', 'node', 'ours-sync', 'kernel', false, NODE),
  processes: 1,
};
/**
 * The floor of the async durable row: the same update by a program that does
 * only what an async design must (bench/fixtures/rmw-node-peer.ts,
 * 'floor-async'). Not a library; a target ours cannot meet when it misses.
 */
export const RMW_FLOOR_ASYNC_DURABLE = rmwPeer('rmw-floor-async-durable',
  'floor: async, no library (the addon\'s waiter and commit job called directly)', 'node', 'floor-async', 'kernel', true, NODE);
export const RMW_PLAN = rmwPeer('rmw-python-plan', 'Python plan (100 ms poll), no fsync', 'python', 'plan', { pollMs: 100 }, false, 'rmw_plan.py');

function readBack(file: string): { counter: unknown; recent: unknown } {
  const doc = parseYaml(fs.readFileSync(file, 'utf8')) as { counter?: unknown; recent?: unknown } | null;
  if (doc === null || typeof doc !== 'object') throw new Error(`not a mapping: ${JSON.stringify(doc)}`);
  return { counter: doc.counter, recent: doc.recent };
}

/** What PROCESSES peers did to one file in one window (see runUpdates). */
export interface UpdateRun {
  /** Updates per process, all of them, and those finished by the end of the window. */
  readonly counts: number[];
  readonly inWindow: number[];
  readonly total: number;
  readonly opsPerSec: number;
  /** How far past the window the last process finished, ms. */
  readonly tailMs: number;
  /** KEY=VALUE words after the counts (our peers' warmth figures), median over the processes. */
  readonly extra: Record<string, number>;
}

/**
 * Starts PROCESSES peers of `peer` on `file` (which holds the starting
 * document), lets them update it for the window from a common start and
 * collects their counts. `shape` names the document and its change for the
 * peer scripts (their warm-up uses the same one).
 */
export async function runUpdates(peer: RmwPeer, ctx: RunContext, file: string, shape: 'counter' | 'queue', ms: number): Promise<UpdateRun> {
  const processes = peer.processes ?? PROCESSES;
  // No lock file is made here: proper-lockfile's lock is a directory at the
  // same path, F.lock, and the flock peers create the file themselves.
  // Process i works through its own host's view of the file; its warm-up
  // file is there too, its stamp file (unused here) local.
  const hosts = Array.from({ length: processes }, (_, i) => hostOf(ctx, i));
  const files = hosts.map((host, i) => ({
    lock: host.at(`${file}.lock`),
    stamp: path.join(ctx.localDir ?? ctx.dir, `stamp-${i}`),
    extra: [host.at(path.join(ctx.dir, `warm-${i}.yaml`)), shape],
    wrap: host.wrap,
  }));
  const procs = await startPeers(peer, files, ctx.rawFlock);
  let counts: number[];
  let inWindow: number[];
  let lastEnd: bigint;
  const extraLists: Record<string, number[]> = {};
  // A common start on the shared monotonic clock, far enough ahead that
  // every child has read its command and is sleeping when it comes.
  const start = monoNs() + 50_000_000n;
  try {
    const end = start + BigInt(ms) * 1_000_000n;
    const replies = await Promise.all(procs.map((p, i) =>
      p.request(`rmw ${hosts[i].at(file)} ${start} ${end} ${peer.inPlace === true ? 2 : peer.durable ? 1 : 0}`, ms + 60_000)));
    counts = replies.map((r) => Number(r[1]));
    inWindow = replies.map((r) => Number(r[2]));
    lastEnd = replies.map((r) => BigInt(r[3])).reduce((a, b) => (a > b ? a : b));
    for (const r of replies) {
      for (const word of r.slice(4)) {
        const [k, value] = word.split('=');
        (extraLists[k] ??= []).push(Number(value));
      }
    }
  } finally {
    await closeAll(procs);
  }
  // Every update counts for the check; the rate counts those finished by the
  // end of the window. (Counting the tail would charge a 100 ms poller for
  // sleeping through it while the others have stopped.)
  const total = counts.reduce((a, b) => a + b, 0);
  const done = inWindow.reduce((a, b) => a + b, 0);
  const extra = Object.fromEntries(Object.entries(extraLists).map(([k, l]) => [k, median(l)]));
  return { counts, inWindow, total, opsPerSec: done / (ms / 1000), tailMs: Number(lastEnd - start) / 1e6 - ms, extra };
}

async function measure(def: PeerDef, ctx: RunContext): Promise<Record<string, number>> {
  const peer = def as RmwPeer;
  const file = path.join(ctx.dir, 'data.yaml');
  fs.writeFileSync(file, INITIAL);
  const ms = ctx.windowMs ?? durationMs(ctx.quick);
  const { counts, inWindow, total, opsPerSec, tailMs, extra } = await runUpdates(peer, ctx, file, 'counter', ms);
  const done = inWindow.reduce((a, b) => a + b, 0);

  const where = `in the read-modify-write benchmark, ${peer.label}, run ${ctx.run}`;
  let back: { counter: unknown; recent: unknown };
  try {
    back = readBack(file);
  } catch (err) {
    ctx.problem(`CORRUPT FILE ${where}: ${file} does not parse as the expected mapping after `
      + `${total} updates: ${(err as Error).message}`);
    return { opsPerSec, minShare: NaN, maxShare: NaN, lost: NaN, total, tailMs };
  }
  const final = Number(back.counter);
  if (!Number.isInteger(back.counter) || final !== total) {
    ctx.problem(`LOST UPDATES ${where}: the processes made ${total} updates (${counts.join(' + ')}) `
      + `but the counter reads ${String(back.counter)}`);
  }
  const recent = back.recent;
  const want = Math.min(1 + total, KEEP);
  if (peer.yaml && !(Array.isArray(recent) && recent.length === want && recent.every((x) => typeof x === 'string'))) {
    ctx.problem(`CORRUPT FILE ${where}: after ${total} updates the list should hold ${want} names, `
      + `it holds ${JSON.stringify(recent)}`);
  }
  const shares = inWindow.map((c) => c / done);
  return {
    opsPerSec,
    minShare: Math.min(...shares),
    maxShare: Math.max(...shares),
    lost: Number.isInteger(back.counter) ? total - final : NaN,
    total,
    tailMs,
    ...extra,
  };
}

/** `peer`'s ops/s ≥ `factor` × `other`'s, medians of this run. */
export function ratioTarget(peer: RmwPeer, factor: number, other: RmwPeer, name: string): Target {
  return {
    peer: peer.id, metric: 'opsPerSec', text: `≥ ${factor}× ${name}`,
    check(r) {
      const ours = r.median(peer.id, 'opsPerSec');
      const theirs = r.median(other.id, 'opsPerSec');
      if (ours === undefined || theirs === undefined) return null;
      return { met: ours >= factor * theirs, measured: `${fmtRatio(ours / theirs)} ${name}` };
    },
  };
}

/**
 * Not a target of its own: whether the ceiling row (one process alone) clears
 * `factor` × `other`. When it does not, that target lies beyond what this
 * machine allows any locked design, and the row says by how much.
 */
export function ceilingCheck(ceiling: RmwPeer, factor: number, other: RmwPeer, name: string, by = ''): Target {
  const t = ratioTarget(ceiling, factor, other, name);
  return { ...t, text: `floor check: ≥ ${factor}× ${name} is reachable${by}` };
}

export function fairTarget(peer: RmwPeer): Target {
  return {
    peer: peer.id, metric: 'minShare', text: `every share ≥ ${fmtPercent(STARVED_BELOW)}, nothing lost`,
    check(r) {
      const min = r.median(peer.id, 'minShare');
      // Any run with a lost update counts, not the median run.
      const lost = r.values(peer.id, 'lost').find((v) => v !== 0) ?? 0;
      if (min === undefined) return null;
      return {
        met: min >= STARVED_BELOW && lost === 0,
        measured: `min ${fmtPercent(min)}${lost ? `, ${lost} LOST` : ''}`,
      };
    },
  };
}

/**
 * Issue #10 point 4, the woken process: our updates (and the floor's) that followed a wake-up
 * beside those that did not, p50 per process, median over processes and runs.
 */
export function warmthBreakdown(peers: readonly RmwPeer[]): Breakdown {
  return {
    title: "how warm an update runs (p50): after a wake-up (from the report of the waiter thread, or the return of a sync wait's flock()) vs hot (from the call, no wait)",
    peers,
    stages: [
      { key: 'hotToChange', label: 'hot: call → change fn (lock, read, parse)' },
      { key: 'wokenToChange', label: 'woken: report → change fn (read, parse)' },
      { key: 'hotChangeToEnd', label: 'hot: change fn → done (dump, write, unlock)' },
      { key: 'wokenChangeToEnd', label: 'woken: change fn → done (dump, write, unlock)' },
    ],
    format: fmtMicros,
  };
}

const OURS_DURABLE = [RMW_OURS_ASYNC_DURABLE, RMW_OURS_SYNC_DURABLE];
const OURS_FAST = [RMW_OURS_ASYNC, RMW_OURS_SYNC];

export const rmw: Scenario = {
  id: 'rmw',
  title: `6. ${PROCESSES} processes × read-modify-write of one YAML file (counter + short list)`,
  shape: (quick) =>
    `each process loops lock → read → parse → counter + 1, append own name (keep ${KEEP}) → dump → temp → rename → unlock `
    + `for ${durationMs(quick)} ms from a common start; ops/s = updates finished in the window, all processes; `
    + `shares are per process (fair = ${fmtPercent(1 / PROCESSES)}); the final counter is checked against every update made`,
  notes: [
    '"× raw C" is against the no-fsync raw C row, durable rows included.',
    'raw C does not parse YAML: it finds "counter: N", writes the text back with N + 1 through FILE.tmp.PID + rename; '
      + 'the durable row adds fsync of the temp file and of the directory. It is the floor of the file system, not a YAML peer.',
    'ours: new ReadModifyWrite(file, undefined, { durable }).execute(fn) / .executeSync(fn), PyYAML-exact YAML (lib/yaml.ts); '
      + 'durable = fsync temp file, rename, fsync directory.',
    'proper-lockfile (mkdir lock, 1 ms retry) + js-yaml + write-file-atomic with its default fsync of the temp file '
      + '(write-file-atomic never fsyncs the directory, so its rename is not durable).',
    'fs-ext: async flock on FILE.lock, js-yaml, fs.promises writeFile to FILE.tmp.PID + rename, no fsync.',
    'floor, async: no library, the least an update that keeps the event loop free can do: our addon\'s non-blocking flock, '
      + 'else its waiter thread; read, parse, change, dump (our YAML) and the temp file on the JS thread; its fsync → rename → '
      + 'fsync dir → unlock → close job on the threadpool; the replaced inode kept open past the rename. No queue, no identity check, '
      + 'no leftover sweep, no mode kept. It bounds what "ours, await execute, durable" can reach.',
    'Python plan: seed/PLAN.md\'s ReadModifyWrite and FileLock as written, /usr/bin/python3, yaml.safe_load / '
      + 'yaml.dump(default_flow_style=False), temp + os.replace, no fsync, 100 ms polling lock.',
  ],
  metrics: [
    { key: 'opsPerSec', label: 'ops/s', better: 'higher', format: fmtCount },
    { key: 'minShare', label: 'min share', better: 'higher', ratio: false, format: fmtPercent },
    { key: 'maxShare', label: 'max share', better: 'lower', ratio: false, format: fmtPercent },
  ],
  peers: [
    RMW_RAW_C_DURABLE, ...OURS_DURABLE, RMW_PL_WFA, RMW_FLOOR_ASYNC_DURABLE, RMW_CEILING_DURABLE,
    RMW_RAW_C, ...OURS_FAST, RMW_FSEXT, RMW_PLAN, RMW_CEILING,
  ],
  baseline: RMW_RAW_C.id,
  breakdown: warmthBreakdown([...OURS_DURABLE, RMW_FLOOR_ASYNC_DURABLE, ...OURS_FAST]),
  targets: [
    ...OURS_DURABLE.flatMap((p) => [ratioTarget(p, 3, RMW_PL_WFA, 'proper-lockfile + wfa'), fairTarget(p)]),
    ceilingCheck(RMW_FLOOR_ASYNC_DURABLE, 3, RMW_PL_WFA, 'proper-lockfile + wfa', ' async'),
    ceilingCheck(RMW_CEILING_DURABLE, 3, RMW_PL_WFA, 'proper-lockfile + wfa'),
    ...OURS_FAST.flatMap((p) => [ratioTarget(p, 2, RMW_PLAN, 'Python plan'), fairTarget(p)]),
    ceilingCheck(RMW_CEILING, 2, RMW_PLAN, 'Python plan'),
  ],
  measure,
};
