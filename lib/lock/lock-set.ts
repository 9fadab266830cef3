import * as fs from 'node:fs';
import { FileLock, type AcquireOptions, type FileLockOptions, type LockHandle } from './file-lock';
import type { LockMode } from '../errors';
import { checkMode, checkOptions, checkPath } from '../options';
import { openCreating } from './open-creating';

/** One lock of a {@link acquireAll} set. */
export interface LockRequestSpec {
  /** The lock file (created if missing). */
  lockFile: string;
  /** The mode to take it in; a file listed twice is taken once, in the stronger mode. */
  mode: LockMode;
}

/** The locks of one {@link acquireAll} call; releases them in reverse order. */
export class LockSet implements Disposable, AsyncDisposable {
  /** The handles, in the order they were acquired. */
  readonly handles: readonly LockHandle[];

  /** @internal */
  constructor(handles: LockHandle[]) {
    this.handles = handles;
  }

  /** Releases every lock, last acquired first. */
  release(): void {
    for (let i = this.handles.length - 1; i >= 0; i--) this.handles[i].release();
  }

  /** Releases the set at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.release();
  }

  /** Releases the set at the end of an `await using` block. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.release();
  }
}

/**
 * Sorts lock files into the one order every process uses: by device and inode
 * of the lock file (created if missing), so two spellings of one file, or a
 * symlink, still sort the same. The plan's "lock hierarchy": two agents that
 * lock {A, B} and {B, A} never deadlock.
 */
function canonicalOrder(specs: readonly LockRequestSpec[]): LockRequestSpec[] {
  const keyed = new Map<string, LockRequestSpec & { dev: bigint; ino: bigint }>();
  for (const spec of specs) {
    checkPath(spec?.lockFile, 'acquireAll lockFile');
    checkMode(spec.mode, 'acquireAll');
    const fd = openCreating(() => fs.openSync(spec.lockFile, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o666));
    let st: fs.BigIntStats;
    try {
      st = fs.fstatSync(fd, { bigint: true });
    } finally {
      fs.closeSync(fd);
    }
    const key = `${st.dev}:${st.ino}`;
    const seen = keyed.get(key);
    // One file asked for twice: take it once, in the stronger mode.
    const mode = seen?.mode === 'exclusive' ? 'exclusive' : spec.mode;
    keyed.set(key, { lockFile: seen?.lockFile ?? spec.lockFile, mode, dev: st.dev, ino: st.ino });
  }
  return [...keyed.values()].sort((a, b) => (a.dev !== b.dev ? (a.dev < b.dev ? -1 : 1) : a.ino < b.ino ? -1 : a.ino > b.ino ? 1 : 0));
}

/**
 * Acquires several locks in canonical order and returns them as one set;
 * on any failure, releases what it took and rethrows. `timeout` applies to
 * each lock in turn.
 */
export async function acquireAll(specs: readonly LockRequestSpec[], opts: FileLockOptions & AcquireOptions = {}): Promise<LockSet> {
  checkOptions('acquireAll', opts, ['timeout', 'waitStrategy', 'pollInterval', 'signal']);
  const held: LockHandle[] = [];
  try {
    for (const spec of canonicalOrder(specs)) {
      const lock = new FileLock(spec.lockFile, { timeout: opts.timeout, waitStrategy: opts.waitStrategy, pollInterval: opts.pollInterval });
      held.push(await lock.acquire(spec.mode, { signal: opts.signal }));
    }
  } catch (err) {
    new LockSet(held).release();
    throw err;
  }
  return new LockSet(held);
}

/** Runs `fn` while holding every lock of `specs`, taken in canonical order. */
export async function withLocks<T>(specs: readonly LockRequestSpec[], fn: () => T | Promise<T>,
  opts: FileLockOptions & AcquireOptions = {}): Promise<Awaited<T>> {
  const set = await acquireAll(specs, opts);
  try {
    return await fn();
  } finally {
    set.release();
  }
}

/** Synchronous {@link acquireAll}. */
export function acquireAllSync(specs: readonly LockRequestSpec[], opts: FileLockOptions = {}): LockSet {
  checkOptions('acquireAllSync', opts, ['timeout', 'waitStrategy', 'pollInterval']);
  const held: LockHandle[] = [];
  try {
    for (const spec of canonicalOrder(specs)) {
      held.push(new FileLock(spec.lockFile, opts).acquireSync(spec.mode));
    }
  } catch (err) {
    new LockSet(held).release();
    throw err;
  }
  return new LockSet(held);
}
