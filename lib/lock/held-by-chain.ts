/**
 * Which locks the current async call chain holds: the bodies of
 * `acquireExclusive(fn)` / `acquireShared(fn)` run inside a frame of an
 * AsyncLocalStorage, so that an acquisition made from inside a body (awaited
 * or not, at any depth) can see that its own chain holds the lock and refuse
 * at once, instead of queueing behind itself until the timeout.
 *
 * A body whose user code is synchronous (a plain function given to
 * `ReadModifyWrite.execute`/`update`) opens a synchronous frame instead
 * ({@link holdingSync}): it lasts while that code runs and needs no
 * AsyncLocalStorage.
 *
 * Only the callback forms open a frame. A handle from `acquire()` is not
 * tracked: two tasks of one chain (`Promise.all([a(), b()])`) may each take
 * and release a handle in turn, which is no deadlock, and no frame can tell
 * them apart.
 *
 * Cost: the storage is created on the first body run, and from then on Node
 * 20's async hooks track every promise of the process (measured figures in
 * the README, "Not reentrant"), until no body has run for {@link LINGER_MS}.
 * Nothing is captured at grant time: the places are read from the stack of
 * the refused call, when it is refused.
 * @internal
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import * as path from 'node:path';
import type { LockMode } from '../errors';
import type { LockHandle } from './handle';

interface HeldFrame {
  /** The lock file, resolved (FileLock's key). */
  readonly file: string;
  readonly handle: LockHandle;
  readonly parent: HeldFrame | undefined;
}

let storage: AsyncLocalStorage<HeldFrame> | undefined;
/** The innermost synchronous frame running now (see holdingSync). */
let syncTop: HeldFrame | undefined;
/** Bodies running now; while there are none, nothing needs tracking. */
let running = 0;
/** performance.now() when the last body ended. */
let lastEnded = 0;
let disabling: NodeJS.Timeout | undefined;

/**
 * How long the storage stays on after the last body has ended. Switching
 * Node 20's promise hooks on and off deoptimizes the process's promise code
 * each time: a loop of async updates, which waits for the lock between its
 * bodies, switched them once per update and lost 4-6 % of its throughput
 * (4 processes, durable counter updates, 7 alternating runs each).
 */
export const LINGER_MS = 1000;

/**
 * Runs `fn(handle)` as a body that holds `handle`'s lock, for every
 * acquisition it starts; the caller calls {@link bodyEnded} when the body has
 * settled.
 */
export function runHolding<T>(file: string, handle: LockHandle, fn: (handle: LockHandle) => T): T {
  storage ??= new AsyncLocalStorage<HeldFrame>();
  running++;
  return storage.run({ file, handle, parent: innermost() }, fn, handle);
}

/**
 * Runs `fn()` as a body that holds `handle`'s lock for as long as it runs
 * synchronously: an acquisition started before `fn` returns sees the lock as
 * its own chain's. For a body whose user code is synchronous. Unlike
 * {@link runHolding} it leaves the AsyncLocalStorage alone: once on, its
 * promise hooks run for every promise of the process, and 4 processes of
 * durable async updates made 6-14 % fewer updates with them (alternating
 * runs, medians).
 */
export function holdingSync<T>(file: string, handle: LockHandle, fn: () => T): T {
  const saved = syncTop;
  syncTop = { file, handle, parent: innermost() };
  try {
    return fn();
  } finally {
    syncTop = saved;
  }
}

function innermost(): HeldFrame | undefined {
  return syncTop ?? storage?.getStore();
}

/**
 * A body has settled. Once none has run for {@link LINGER_MS}, the storage
 * is switched off (the async hooks stop tracking every promise of the
 * process). A task a body left running keeps its frame, whose released
 * handle {@link heldByChain} skips.
 */
export function bodyEnded(): void {
  lastEnded = performance.now();
  if (--running > 0 || disabling !== undefined) return;
  disabling = setTimeout(switchOffWhenIdle, LINGER_MS).unref();
}

function switchOffWhenIdle(): void {
  disabling = undefined;
  if (running > 0) return;
  const idleFor = performance.now() - lastEnded;
  if (idleFor < LINGER_MS) {
    // Bodies ran meanwhile: one timer per linger, not one per body.
    disabling = setTimeout(switchOffWhenIdle, LINGER_MS - idleFor).unref();
    return;
  }
  storage?.disable();
}

/**
 * Whether the chain's storage is on now, its async hooks tracking every
 * promise: from the first body until a linger after the last one. @internal
 */
export function chainTracking(): boolean {
  return storage !== undefined && (running > 0 || disabling !== undefined);
}

/** What a refused acquisition needs to say: the mode held, and how deep in the chain. */
export interface ChainHold {
  readonly mode: LockMode;
  /** 0: the innermost body of the chain holds it; 1: the body around that one; … */
  readonly depth: number;
}

/**
 * The body of this chain that holds `file` in a mode that conflicts with
 * `mode`, or undefined. Shared inside shared does not conflict: shared
 * holders in one process share the lock, as concurrent readers do.
 */
export function heldByChain(file: string, mode: LockMode): ChainHold | undefined {
  let depth = 0;
  for (let frame = innermost(); frame !== undefined; frame = frame.parent, depth++) {
    const grant = frame.handle.grant;
    // Released already: a task the body started and left running outlives it.
    if (grant === null) continue;
    if (frame.file !== file && !grant.entry.files.has(file)) continue;
    if (grant.mode === 'exclusive' || mode === 'exclusive') return { mode: grant.mode, depth };
  }
  return undefined;
}

const PACKAGE_DIR = path.resolve(__dirname, '..');
// The body frames in a V8 stack line: FileLock's, sync or async ("at async
// FileLock.#run"), and a synchronous frame's.
const BODY_FRAME = /\bFileLock\.#run\b|\bat (?:async )?#run\b|\bat holdingSync\b/;

/** "file:line:col" of a stack line, or undefined for a line of this package or of Node itself. */
function userPlace(line: string): string | undefined {
  const m = /\(?((?:file:\/\/)?\/[^()]*?:\d+:\d+)\)?$/.exec(line.trim());
  if (m === null) return undefined;
  const where = m[1].replace(/^file:\/\//, '');
  if (where.startsWith(PACKAGE_DIR + path.sep)) return undefined;
  return where;
}

/**
 * Where the refused acquisition was asked for, and where the holding body's
 * acquisition was asked for, from the stack of the refused call: V8 keeps the
 * await chain in it, so the holder's `acquireExclusive(…)` call is there too
 * when every body on the way was awaited. `undefined` where the stack does
 * not tell (a body that was not awaited breaks the chain).
 */
export function placesOf(hold: ChainHold, skip: (...args: never[]) => unknown): { requestedAt?: string; heldAt?: string } {
  const carrier: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 100;
  try {
    Error.captureStackTrace(carrier, skip);
  } finally {
    Error.stackTraceLimit = limit;
  }
  const lines = (carrier.stack ?? '').split('\n').slice(1);
  let i = 0;
  let requestedAt: string | undefined;
  for (; i < lines.length && requestedAt === undefined; i++) requestedAt = userPlace(lines[i]);
  // Body frames from the inside out: the (depth+1)-th one below the request is the holder's.
  let bodies = 0;
  for (; i < lines.length; i++) {
    if (BODY_FRAME.test(lines[i]) && bodies++ === hold.depth) break;
  }
  let heldAt: string | undefined;
  for (i++; i < lines.length && heldAt === undefined; i++) heldAt = userPlace(lines[i]);
  return { requestedAt, heldAt };
}
