/**
 * The peers and the child processes that run them.
 *
 * Every peer, C, Node or Python, runs in a child of its own and speaks one
 * line protocol (documented in bench/raw-flock.c). The scenarios only ever
 * talk to a PeerProcess, so a scenario measures all peers the same way, and
 * the parent's own event loop never sits inside a measured interval.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { ROOT } from './util';

/** Python peers run on the system interpreter, the one the plan's agents use. */
export const PYTHON = '/usr/bin/python3';

export interface PeerDef {
  readonly id: string;
  readonly label: string;
  readonly lang: 'c' | 'node' | 'python';
  /** raw-flock.c: reopen|keep|thread; node-peer.ts: a driver name. */
  readonly variant: string;
  /**
   * How a blocked acquire waits: asleep in flock(2) on some thread, or by
   * polling every `pollMs` (nothing to see in the kernel until it wins).
   */
  readonly wait: 'kernel' | { readonly pollMs: number };
  /**
   * Another child script than the default (node: fixtures/node-peer.ts,
   * python: fixtures/plan_peer.py), named relative to bench/fixtures/; a
   * .ts name runs its compiled .js. The C peer is always raw-flock.
   */
  readonly script?: string;
}

const peer = (id: string, label: string, lang: PeerDef['lang'], variant: string, wait: PeerDef['wait']): PeerDef =>
  ({ id, label, lang, variant, wait });

export const RAW_C = peer('raw-c', 'raw C (open every time)', 'c', 'reopen', 'kernel');
export const RAW_C_KEPT = peer('raw-c-kept', 'raw C, kept fd', 'c', 'keep', 'kernel');
// The floor of any event-loop design: a thread waits in flock(2), then wakes the loop.
export const RAW_C_THREAD = peer('raw-c-thread', 'raw C, waiter thread + eventfd', 'c', 'thread', 'kernel');
export const OURS_SYNC = peer('ours-sync', 'ours, acquireSync', 'node', 'ours-sync', 'kernel');
// acquireSync({ timeout: Infinity }) blocks in flock(2) on the main thread, as fs-ext's flockSync does.
export const OURS_SYNC_FOREVER = peer('ours-sync-forever', 'ours, acquireSync, timeout ∞', 'node', 'ours-sync-forever', 'kernel');
export const OURS_ASYNC = peer('ours-async', 'ours, await acquire', 'node', 'ours-async', 'kernel');
export const OURS_POLL = peer('ours-poll', "ours, waitStrategy 'poll' 100 ms", 'node', 'ours-poll', { pollMs: 100 });
export const FSEXT_SYNC = peer('fsext-sync', 'fs-ext flockSync', 'node', 'fsext-sync', 'kernel');
// Blocks in flock(2) on a libuv threadpool thread.
export const FSEXT_ASYNC = peer('fsext-async', 'fs-ext flock (async)', 'node', 'fsext-async', 'kernel');
// The same with the lock protocol's identity check (fstat before the wait, stat of the path after):
// the floor of any Node lock that keeps the protocol, ours included.
export const FSEXT_SYNC_CHECKED = peer('fsext-sync-checked', 'fs-ext flockSync + identity check', 'node', 'fsext-sync-checked', 'kernel');
export const FSEXT_ASYNC_CHECKED = peer('fsext-async-checked', 'fs-ext flock (async) + identity check', 'node', 'fsext-async-checked', 'kernel');
export const PROPER_LOCKFILE = peer('proper-lockfile', 'proper-lockfile (mkdir)', 'node', 'proper-lockfile', { pollMs: 1 });
export const PYTHON_PLAN = peer('python-plan', 'Python plan (100 ms poll)', 'python', 'plan', { pollMs: 100 });

const live = new Set<PeerProcess>();

/**
 * Peers that crashed or exited non-zero on their own, measurement or not: a
 * child that aborts while quitting (say, in a native addon's teardown) has
 * still found a bug, and nothing else would ever show it.
 */
export const abnormalExits: string[] = [];

/** SIGKILLs every child still running; for exit paths and signals. */
export function killAllPeers(): void {
  for (const peer of live) peer.kill();
  live.clear();
}

/** How long a single request may take before the peer is declared hung. */
const DEFAULT_REPLY_MS = 60_000;

export class PeerProcess {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: string[] = [];
  #waiting: { resolve(line: string): void; reject(err: Error): void } | null = null;
  #exited: Error | null = null;
  #stderr = '';
  #quitting = false;
  #killed = false;

  /**
   * `wrap` is a command prefix the peer is run under, such as
   * ["nsenter", "--net=/run/netns/fl_a"] to put it on Gluster host A. It
   * must exec the peer in place (nsenter --net does), so that `pid` is still
   * the peer's own for the /proc probes.
   */
  constructor(readonly def: PeerDef, command: string, args: string[], wrap: readonly string[] = []) {
    const [cmd, ...rest] = [...wrap, command, ...args];
    this.#child = spawn(cmd, rest, { stdio: ['pipe', 'pipe', 'pipe'] });
    live.add(this);
    this.#child.stderr.setEncoding('utf8');
    this.#child.stderr.on('data', (chunk: string) => { this.#stderr = (this.#stderr + chunk).slice(-4000); });
    readline.createInterface({ input: this.#child.stdout, crlfDelay: Infinity }).on('line', (line) => {
      const w = this.#waiting;
      if (w !== null) {
        this.#waiting = null;
        w.resolve(line);
      } else {
        this.#lines.push(line);
      }
    });
    const gone = (why: string) => {
      live.delete(this);
      this.#exited = new Error(`${def.label} (pid ${this.#child.pid}) ${why}${this.#stderr ? `: ${this.#stderr.trim()}` : ''}`);
      const w = this.#waiting;
      this.#waiting = null;
      w?.reject(this.#exited);
    };
    this.#child.on('error', (err) => gone(`failed to start: ${err.message}`));
    this.#child.on('exit', (code, signal) => {
      gone(`exited (${signal ?? `code ${code}`})`);
      if ((code !== 0 && code !== null) || (signal !== null && !this.#killed)) {
        abnormalExits.push(`${def.label} (pid ${this.#child.pid}) exited with ${signal ?? `code ${code}`}`
          + `${this.#quitting ? ' after "quit"' : ''}${this.#stderr ? `: ${this.#stderr.trim().split('\n')[0]}` : ''}`);
      }
    });
    // A child that dies mid-request makes writes fail with EPIPE; the exit handler reports it.
    this.#child.stdin.on('error', () => {});
  }

  kill(): void {
    this.#killed = true;
    this.#child.kill('SIGKILL');
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** The next reply line as words; "error …" replies reject. */
  async next(timeoutMs = DEFAULT_REPLY_MS): Promise<string[]> {
    let line = this.#lines.shift();
    if (line === undefined) {
      if (this.#exited !== null) throw this.#exited;
      let timer: NodeJS.Timeout | undefined;
      try {
        line = await new Promise<string>((resolve, reject) => {
          this.#waiting = { resolve, reject };
          timer = setTimeout(() => {
            this.#waiting = null;
            // Hung: its later lines would answer the wrong request.
            this.kill();
            reject(new Error(`${this.def.label}: no reply within ${timeoutMs} ms`));
          }, timeoutMs);
        });
      } finally {
        clearTimeout(timer);
      }
    }
    const words = line.trim().split(/\s+/);
    if (words[0] === 'error') throw new Error(`${this.def.label}: ${words.slice(1).join(' ')}`);
    return words;
  }

  send(command: string): void {
    this.#child.stdin.write(command + '\n');
  }

  async request(command: string, timeoutMs = DEFAULT_REPLY_MS): Promise<string[]> {
    this.send(command);
    return this.next(timeoutMs);
  }

  /**
   * Starts an acquire. Resolves once the peer has said it is about to try;
   * `result` then resolves to ["acquired", nsSinceStamp] or ["timeout", nsWaited].
   */
  async startAcquire(timeoutMs?: number): Promise<{ result: Promise<string[]> }> {
    this.send(timeoutMs === undefined ? 'acquire' : `acquire ${timeoutMs}`);
    const first = await this.next();
    if (first[0] !== 'trying') throw new Error(`${this.def.label}: expected "trying", got "${first.join(' ')}"`);
    const result = this.next();
    // The caller may still be busy elsewhere when a failure lands; it sees it on await.
    result.catch(() => {});
    return { result };
  }

  async acquire(timeoutMs?: number): Promise<string[]> {
    return (await this.startAcquire(timeoutMs)).result;
  }

  async release(): Promise<void> {
    const r = await this.request('release');
    if (r[0] !== 'released') throw new Error(`${this.def.label}: expected "released", got "${r.join(' ')}"`);
  }

  /** Asks the child to quit; kills it if it has not gone within a second. */
  async close(): Promise<void> {
    if (this.#exited !== null) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#quitting = true;
    this.send('quit');
    this.#child.stdin.end();
    const timer = setTimeout(() => this.kill(), 1000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * What one peer process is started on: `lock` and `stamp`, `extra` arguments
 * after them (Node and Python peers only), and `wrap`, a command prefix it
 * runs under (see PeerProcess).
 */
export interface PeerFiles {
  readonly lock: string;
  readonly stamp: string;
  readonly extra?: string[];
  readonly wrap?: readonly string[];
}

/** Starts a peer on `files`, resolved once it has loaded and said "ready". */
export async function startPeer(def: PeerDef, files: PeerFiles, rawFlock: string): Promise<PeerProcess> {
  let p: PeerProcess;
  const extra = files.extra ?? [];
  const wrap = files.wrap ?? [];
  switch (def.lang) {
    case 'c':
      p = new PeerProcess(def, rawFlock, [files.lock, files.stamp, def.variant], wrap);
      break;
    case 'node':
      p = new PeerProcess(def, process.execPath,
        [path.join(__dirname, 'fixtures', (def.script ?? 'node-peer.ts').replace(/\.ts$/, '.js')), def.variant, files.lock, files.stamp, ...extra], wrap);
      break;
    case 'python':
      p = new PeerProcess(def, PYTHON, [path.join(ROOT, 'bench', 'fixtures', def.script ?? 'plan_peer.py'), files.lock, files.stamp, ...extra], wrap);
      break;
  }
  try {
    const hello = await p.next(30_000);
    if (hello[0] !== 'ready') throw new Error(`${def.label}: expected "ready", got "${hello.join(' ')}"`);
  } catch (err) {
    await p.close().catch(() => {});
    throw err;
  }
  return p;
}

/** Starts `n` peers; if one fails to start, the others are closed again. */
export async function startPeers(def: PeerDef, files: readonly PeerFiles[], rawFlock: string): Promise<PeerProcess[]> {
  const started = await Promise.allSettled(files.map((f) => startPeer(def, f, rawFlock)));
  const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) {
    await closeAll(ok);
    throw failed.reason;
  }
  return ok;
}

export async function closeAll(peers: readonly PeerProcess[]): Promise<void> {
  await Promise.allSettled(peers.map((p) => p.close()));
}

export function pythonAvailable(): boolean {
  return fs.existsSync(PYTHON);
}
