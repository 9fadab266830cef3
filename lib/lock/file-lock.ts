import { chainHeldError, type LockMode } from '../errors';
import {
  DEFAULT_TIMEOUT_MS, checkChoice, checkFunction, checkMode, checkOptions, checkPath, checkPeriod, checkSignal, checkTimeout,
} from '../options';
import { lockPath, now, type Grant, type WaitOptions, type WaitStrategy } from './entry-table';
import { acquire, tryAcquire } from './fifo-queue';
import { acquireSync } from './sync-wait';
import { LockHandle } from './handle';
import { trace, traceFailure } from './trace';
import { lockHolders, type LockHolder } from './holders';
import { bodyEnded, heldByChain, holdingSync, placesOf, runHolding } from './held-by-chain';

export type { LockMode } from '../errors';
export type { WaitStrategy } from './entry-table';
export { LockHandle } from './handle';

/** Runs `code` as a held frame of the body that got it: see {@link FileLock.withHolding}. @internal */
export type Hold = <X>(code: () => X) => X;

/** Options of {@link FileLock}. Times are milliseconds. */
export interface FileLockOptions {
  /** How long an acquisition may wait. Default 30 000; 0 = one try (`ELOCKED`); `Infinity` = forever. */
  timeout?: number;
  /**
   * `'kernel'` (default): wait blocked in flock(2) on a dedicated native
   * thread, granted the moment the holder releases. `'poll'`: retry every
   * `pollInterval` ms, like the Python plan; for file systems where a
   * blocking flock misbehaves.
   */
  waitStrategy?: WaitStrategy;
  /** Poll period of the `'poll'` strategy. Default 100 (Python's 0.1 s). */
  pollInterval?: number;
}

/**
 * How the lock of a {@link ReadModifyWrite}, {@link AtomicFileWriter} or
 * {@link SafeFileReader} waits, as for {@link FileLock}. On CephFS a flock
 * request waiting in the MDS holds up the other clients' opens and renames
 * until the MDS's next tick (5 s by default); `'poll'` keeps the waiters out
 * of the MDS.
 */
export type LockWaitOptions = Pick<FileLockOptions, 'waitStrategy' | 'pollInterval'>;

/** Per-call options of the async acquire methods. */
export interface AcquireOptions {
  /** Overrides the lock's `timeout` for this call. */
  timeout?: number;
  /** Gives up the wait: rejects with `LockError` code `ABORT_ERR`, `cause` = the signal's reason. */
  signal?: AbortSignal;
}


/**
 * A kernel lock on a lock file: flock(2), shared or exclusive, the same
 * protocol as the Python plan's `FileLock`, so Python and Node processes
 * exclude each other. The lock file is created if missing, never truncated
 * and never deleted. The kernel releases the lock if the process dies.
 *
 * Not reentrant: acquiring a lock again from code that already holds it
 * would wait for itself. The sync methods throw `ELOCKHELD` when this process
 * holds or awaits the lock. The async methods throw `ELOCKHELD` at once when
 * the caller runs inside the body of `acquireExclusive` / `acquireShared`
 * holding that lock (shared inside shared is allowed); a handle from
 * `acquire()` that is still held is not tracked, and such a request queues
 * behind it, timing out with a message that names this process.
 *
 * Python: `FileLock(lock_file, timeout=30.0)`, with seconds; here milliseconds.
 */
export class FileLock {
  /** The lock file as given. */
  readonly lockFile: string;
  /** Default wait of the acquire methods, in ms (0 = one try, Infinity = forever). */
  readonly timeout: number;
  /** How a blocked acquisition waits: in the kernel, or by polling. */
  readonly waitStrategy: WaitStrategy;
  /** Poll period of the `'poll'` strategy, in ms. */
  readonly pollInterval: number;
  readonly #file: string;

  constructor(lockFile: string, options?: FileLockOptions) {
    checkPath(lockFile, 'FileLock');
    const o = checkOptions('FileLock', options, ['timeout', 'waitStrategy', 'pollInterval']);
    this.lockFile = lockFile;
    this.#file = lockPath(lockFile);
    this.timeout = checkTimeout(o.timeout ?? DEFAULT_TIMEOUT_MS, 'FileLock');
    this.waitStrategy = checkChoice(o.waitStrategy, 'FileLock', 'waitStrategy', ['kernel', 'poll'] as const);
    this.pollInterval = checkPeriod(o.pollInterval ?? 100, 'FileLock', 'pollInterval');
  }

  #waitOptions(opts: AcquireOptions | undefined, where: string, sync = false): WaitOptions {
    const o = checkOptions(where, opts, sync ? ['timeout'] : ['timeout', 'signal']);
    return {
      timeout: o.timeout === undefined ? this.timeout : checkTimeout(o.timeout, where),
      signal: checkSignal(o.signal, where),
      strategy: this.waitStrategy,
      pollInterval: this.pollInterval,
    };
  }

  /**
   * Acquires the lock and returns a handle to release it. From inside the
   * body of {@link FileLock.acquireExclusive} / {@link FileLock.acquireShared}
   * on the same lock file, a conflicting request rejects at once with
   * `ELOCKHELD` naming both places (it would wait for itself).
   */
  acquire(mode: LockMode, opts?: AcquireOptions): Promise<LockHandle> {
    // Not an async function: the queue's own promise resolves to the handle,
    // one await hop less on the hand-off path. Bad arguments still reject.
    let waitOptions: WaitOptions;
    try {
      checkMode(mode, 'FileLock.acquire');
      waitOptions = this.#waitOptions(opts, 'FileLock.acquire');
      const hold = heldByChain(this.#file, mode);
      if (hold !== undefined) throw chainHeldError(this.#file, mode, hold.mode, now(), placesOf(hold, this.acquire));
    } catch (err) {
      return Promise.reject(err);
    }
    const pending = acquire(this.#file, mode, waitOptions, this.#toHandle);
    return trace.enabled ? pending.catch((err: unknown) => traceFailure(this.lockFile, mode, err)) : pending;
  }

  readonly #toHandle = (grant: Grant): LockHandle => new LockHandle(this.lockFile, grant);

  /** Acquires without waiting: a handle, or null when the lock is busy. */
  tryAcquire(mode: LockMode): LockHandle | null {
    checkMode(mode, 'FileLock.tryAcquire');
    const grant = tryAcquire(this.#file, mode);
    return grant === null ? null : new LockHandle(this.lockFile, grant);
  }

  /** Acquires synchronously, blocking the thread for at most `timeout` ms. */
  acquireSync(mode: LockMode, opts?: { timeout?: number }): LockHandle {
    checkMode(mode, 'FileLock.acquireSync');
    const waitOptions = this.#waitOptions(opts, 'FileLock.acquireSync', true);
    let grant: Grant;
    try {
      grant = acquireSync(this.#file, mode, waitOptions);
    } catch (err) {
      if (trace.enabled) traceFailure(this.lockFile, mode, err);
      throw err;
    }
    return new LockHandle(this.lockFile, grant);
  }

  /**
   * Runs `fn` under the exclusive lock and returns its result. The lock is
   * released however `fn` ends; an error from `fn` propagates unchanged.
   * Python: `with lock.acquire_exclusive():`.
   */
  async acquireExclusive<T>(fn: (handle: LockHandle) => T | Promise<T>, opts?: AcquireOptions): Promise<Awaited<T>> {
    // `return await`, not `return`: V8's async stack trace follows an await,
    // not a returned promise, and ELOCKHELD finds the holder's place in it.
    // The extra tick is after the body, not on the way to it.
    return await this.#run('exclusive', fn, opts);
  }

  /** Runs `fn` under the shared lock. Python: `with lock.acquire_shared():`. */
  async acquireShared<T>(fn: (handle: LockHandle) => T | Promise<T>, opts?: AcquireOptions): Promise<Awaited<T>> {
    return await this.#run('shared', fn, opts);
  }

  async #run<T>(mode: LockMode, fn: (handle: LockHandle) => T | Promise<T>, opts?: AcquireOptions): Promise<Awaited<T>> {
    checkFunction(fn, 'FileLock', 'the locked body');
    const handle = await this.acquire(mode, opts);
    try {
      return await runHolding(this.#file, handle, fn);
    } finally {
      bodyEnded();
      handle.release();
    }
  }

  /**
   * Runs `fn(handle, hold)` under the lock, released however it ends, as
   * {@link FileLock.acquireExclusive} / {@link FileLock.acquireShared} do,
   * but without tracking the body's async chain: for a body that runs no
   * user code, or only synchronous user code, each piece inside `hold(code)`,
   * which makes that code a held frame (a conflicting acquisition started
   * from it is refused with ELOCKHELD).
   * @internal
   */
  async withHolding<T>(mode: LockMode, fn: (handle: LockHandle, hold: Hold) => Promise<T>, opts?: AcquireOptions): Promise<T> {
    const handle = await this.acquire(mode, opts);
    try {
      return await fn(handle, (code) => holdingSync(this.#file, handle, code));
    } finally {
      handle.release();
    }
  }

  /** Runs synchronous `fn` under the exclusive lock, blocking for at most `timeout` ms. */
  acquireExclusiveSync<T>(fn: (handle: LockHandle) => T, opts?: { timeout?: number }): T {
    return this.#runSync('exclusive', fn, opts);
  }

  /** Runs synchronous `fn` under the shared lock, blocking for at most `timeout` ms. */
  acquireSharedSync<T>(fn: (handle: LockHandle) => T, opts?: { timeout?: number }): T {
    return this.#runSync('shared', fn, opts);
  }

  #runSync<T>(mode: LockMode, fn: (handle: LockHandle) => T, opts?: { timeout?: number }): T {
    checkFunction(fn, 'FileLock', 'the locked body');
    const handle = this.acquireSync(mode, opts);
    try {
      return fn(handle);
    } finally {
      handle.release();
    }
  }

  /** Who holds or waits for this lock, where the OS can tell (Linux). */
  holders(): LockHolder[] {
    return lockHolders(this.#file);
  }
}

