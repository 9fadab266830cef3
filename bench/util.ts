/**
 * Shared pieces of the benchmarks: the Scenario shape every scenario module
 * exports, statistics, number formatting, temp files, and the /proc/locks
 * probe that tells a blocked waiter from one that has not got there yet.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PeerDef } from './peers';

/** The repository root (this file runs from dist/bench/). */
export const ROOT = path.resolve(__dirname, '..', '..');
/** Gitignored; results JSON lands here, everything else under a per-run dir that is removed. */
export const BENCH_TMP = path.join(ROOT, '.bench-tmp');

/** One measured quantity of a scenario; a table row per peer and metric. */
export interface Metric {
  readonly key: string;
  readonly label: string;
  readonly better: 'lower' | 'higher';
  /** Print the ratio to the scenario's baseline peer (default true). */
  readonly ratio?: boolean;
  /**
   * How the runs' spread is shown: relative to the median (default), or in
   * the metric's own unit, for values near zero where a percentage says little.
   */
  readonly spread?: 'relative' | 'absolute';
  readonly format: (value: number) => string;
}

/**
 * Where a peer process runs: `dir` is the run's directory as that host sees
 * it, `wrap` the command prefix that puts a process there.
 */
export interface Host {
  readonly dir: string;
  readonly wrap: readonly string[];
}

/** What a scenario module gets for one measurement of one peer. */
export interface RunContext {
  readonly quick: boolean;
  /** 1-based run number. */
  readonly run: number;
  /** A fresh directory for this peer and run; removed with the whole run dir. */
  readonly dir: string;
  /** The compiled bench/raw-flock.c. */
  readonly rawFlock: string;
  /**
   * The hosts the peer processes are spread over, process i on
   * hosts[i % hosts.length]; each sees `dir` as its own `Host.dir`. Unset:
   * one host, `dir` itself, no prefix (see hostOf).
   */
  readonly hosts?: readonly Host[];
  /**
   * A local directory for the measurement's own channel (the stamp files),
   * which is not what is measured and must not be delayed by a network file
   * system's caching. Unset: `dir`.
   */
  readonly localDir?: string;
  /** The measured window of an update scenario, ms, where it is not the scenario's own (see bench/cross-host.ts). */
  readonly windowMs?: number;
  /** Progress line on stderr. */
  log(message: string): void;
  /** Something that must not go unnoticed (a lost update): printed loudly now and listed under the table. */
  problem(message: string): void;
}

/** The medians of a finished scenario, for targets to compare. */
export interface Results {
  median(peer: string, key: string): number | undefined;
  /** Every run's value of `key`, including keys that are not table metrics. */
  values(peer: string, key: string): number[];
}

export interface TargetCheck {
  readonly met: boolean;
  /** The measured value(s) the target is about, formatted. */
  readonly measured: string;
}

/** One of the targets, shown on the row of `peer` / `metric`. */
export interface Target {
  readonly peer: string;
  readonly metric: string;
  readonly text: string;
  /** Null when an input is missing (a peer failed): shown as "n/a". */
  check(results: Results): TargetCheck | null;
}

/**
 * A benchmark scenario: a module exporting one of these is all it takes to
 * add one (register it in bench/run.ts). The runner calls `measure` once per
 * peer per run, interleaving peers within a run so that drift of the machine
 * hits all of them alike, and takes the median of the runs per cell.
 */
export interface Scenario {
  /** For --only. */
  readonly id: string;
  readonly title: string;
  /** How the measurement was shaped, one line, printed under the title. */
  readonly shape: (quick: boolean) => string;
  /** Footnotes printed under the shape line (what a peer does differently, say). */
  readonly notes?: readonly string[];
  readonly metrics: readonly Metric[];
  readonly peers: readonly PeerDef[];
  /** Peer id the ratios are taken against (raw C). */
  readonly baseline: string;
  readonly targets: readonly Target[];
  /** A second table under the main one: where the time goes, stage by stage. */
  readonly breakdown?: Breakdown;
  /** One run of one peer: a value per metric key, plus any extra keys worth keeping in the JSON. */
  measure(peer: PeerDef, ctx: RunContext): Promise<Record<string, number>>;
}

/**
 * Rows are stages, columns peers; a cell is the median over the runs of the
 * value `measure` returned under the stage's key (absent: the peer has no
 * such stage).
 */
export interface Breakdown {
  readonly title: string;
  readonly peers: readonly PeerDef[];
  readonly stages: ReadonlyArray<{ readonly key: string; readonly label: string }>;
  readonly format: (value: number) => string;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank percentile: with 200 samples, p99 is the second largest. */
export function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** CLOCK_MONOTONIC in ns, the clock every peer stamps with. */
export const monoNs = (): bigint => process.hrtime.bigint();

function sig(value: number, digits = 3): string {
  if (value === 0 || !Number.isFinite(value)) return String(value);
  const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(Math.abs(value))));
  return value.toFixed(Math.min(decimals, 3));
}

/** A duration given in µs, in the unit that reads best. */
export function fmtMicros(us: number): string {
  if (Math.abs(us) >= 1000) return `${sig(us / 1000)} ms`;
  return `${sig(us)} µs`;
}

/** A signed lateness in ms. */
export function fmtLateMs(ms: number): string {
  return `${ms >= 0 ? '+' : ''}${sig(ms, 2)} ms`;
}

export function fmtCount(n: number): string {
  return Math.round(n).toLocaleString('en-US').replace(/,/g, ' ');
}

export function fmtPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)} %`;
}

export function fmtRatio(r: number): string {
  // Three digits: with two, 1.014 and 2.97 printed as "1.0×" and "3.0×" beside
  // a missed ≤ 1× or ≥ 3× target, hiding which side of the line a peer is on.
  return `${sig(r, 3)}×`;
}

/** Peer process `i`'s host, and a function mapping a path under ctx.dir to that host's view of it. */
export function hostOf(ctx: RunContext, i: number): Host & { at(p: string): string } {
  const hosts = ctx.hosts ?? [{ dir: ctx.dir, wrap: [] }];
  const host = hosts[i % hosts.length];
  return { ...host, at: (p) => path.join(host.dir, path.relative(ctx.dir, p)) };
}

/**
 * An empty lock file in `dir` and a stamp file in `stampDir` (default `dir`)
 * for one peer.
 */
export function peerFiles(dir: string, name: string, stampDir = dir): { lock: string; stamp: string } {
  const lock = path.join(dir, `${name}.lock`);
  const stamp = path.join(stampDir, `${name}.stamp`);
  // proper-lockfile resolves the path it locks with realpath, so it must exist;
  // for the flock peers an existing empty file changes nothing.
  fs.writeFileSync(lock, '');
  fs.writeFileSync(stamp, Buffer.alloc(8));
  return { lock, stamp };
}

/** flock(2)'s syscall number, as /proc/PID/task/TID/syscall prints it. */
const FLOCK_SYSCALL: Partial<Record<NodeJS.Architecture, string>> = { x64: '73', arm64: '32' };

/**
 * Spins until a thread of process `pid` sleeps inside flock(2), so that a
 * hand-off is timed from a waiter that is really waiting rather than one
 * still on its way into the kernel. For Node peers that thread is the
 * waiter thread or a libuv pool thread, not the main one, hence every task.
 *
 * Not /proc/locks, although it lists blocked waiters: reading it takes the
 * kernel's file-lock rwsem for writing (an RCU grace period, 5-20 ms on this
 * VM), which would stall the very flock() calls being measured.
 */
export function awaitBlockedInFlock(pid: number, timeoutMs: number): void {
  const nr = FLOCK_SYSCALL[process.arch];
  if (nr === undefined) throw new Error(`no flock syscall number known for ${process.arch}`);
  const deadline = performance.now() + timeoutMs;
  const taskDir = `/proc/${pid}/task`;
  for (;;) {
    for (const tid of fs.readdirSync(taskDir)) {
      let line: string;
      try {
        // "running" while on a CPU; "NR args…" while blocked in syscall NR.
        line = fs.readFileSync(`${taskDir}/${tid}/syscall`, 'latin1');
      } catch {
        continue; // the thread ended meanwhile
      }
      if (line.startsWith(`${nr} `)) return;
    }
    if (performance.now() > deadline) {
      throw new Error(`pid ${pid} did not block in flock() within ${timeoutMs} ms`);
    }
  }
}
