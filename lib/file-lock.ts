import * as registry from './lock-registry';
import type { Grant, WaitStrategy } from './lock-registry';
import type { LockMode } from './errors';
import { lockHolders, type LockHolder } from './lock-holders';

export type { LockMode } from './errors';
export type { WaitStrategy } from './lock-registry';

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

/** Per-call options of the async acquire methods. */
export interface AcquireOptions {
  /** Overrides the lock's `timeout` for this call. */
  timeout?: number;
  /** Gives up the wait: rejects with `LockError` code `ABORT_ERR`, `cause` = the signal's reason. */
  signal?: AbortSignal;
}

/**
 * A held lock. Release it exactly once, with {@link LockHandle.release} or
 * through `using` / `await using`; releasing again does nothing.
 */
export class LockHandle implements Disposable, AsyncDisposable {
  #grant: Grant | null;
  /** The lock file, as given to {@link FileLock}. */
  readonly lockFile: string;
  /** The mode this handle holds. */
  readonly mode: LockMode;
  /** How long the acquisition waited, in milliseconds. */
  readonly waitedMs: number;

  /** @internal */
  constructor(lockFile: string, grant: Grant) {
    this.#grant = grant;
    this.lockFile = lockFile;
    this.mode = grant.mode;
    this.waitedMs = grant.waitedMs;
  }

  /** Whether this handle still holds the lock. */
  get held(): boolean {
    return this.#grant !== null;
  }

  /** Releases the lock and hands it to the next waiter. */
  release(): void {
    const grant = this.#grant;
    if (grant === null) return;
    this.#grant = null;
    registry.release(grant);
  }

  /** Releases the lock at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.release();
  }

  /** Releases the lock at the end of an `await using` block. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.release();
  }

  /** @internal */
  get grant(): Grant | null {
    return this.#grant;
  }
}

function checkTimeout(value: number, where: string): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new RangeError(`${where}: timeout must be a number of milliseconds >= 0 (or Infinity), got ${String(value)}`);
  }
  return value;
}

/**
 * A kernel lock on a lock file: flock(2), shared or exclusive, the same
 * protocol as the Python plan's `FileLock`, so Python and Node processes
 * exclude each other. The lock file is created if missing, never truncated
 * and never deleted. The kernel releases the lock if the process dies.
 *
 * Not reentrant: acquiring a lock again from code that already holds it
 * waits for itself. The sync methods detect that and throw `ELOCKHELD`; the
 * async ones wait their turn, and so time out with a message that names this
 * process as the holder.
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

  constructor(lockFile: string, options: FileLockOptions = {}) {
    if (typeof lockFile !== 'string' || lockFile === '') {
      throw new TypeError('FileLock: lockFile must be a non-empty path string');
    }
    if (lockFile.includes('\0')) throw new TypeError(`FileLock: lockFile contains a NUL byte: ${JSON.stringify(lockFile)}`);
    for (const key of Object.keys(options)) {
      if (!['timeout', 'waitStrategy', 'pollInterval'].includes(key)) {
        throw new TypeError(`FileLock: unknown option "${key}" (known: timeout, waitStrategy, pollInterval)`);
      }
    }
    this.lockFile = lockFile;
    this.#file = registry.lockPath(lockFile);
    this.timeout = checkTimeout(options.timeout ?? 30_000, 'FileLock');
    this.waitStrategy = options.waitStrategy ?? 'kernel';
    if (this.waitStrategy !== 'kernel' && this.waitStrategy !== 'poll') {
      throw new TypeError(`FileLock: waitStrategy must be "kernel" or "poll", got ${String(this.waitStrategy)}`);
    }
    this.pollInterval = options.pollInterval ?? 100;
    if (!(this.pollInterval > 0) || !Number.isFinite(this.pollInterval)) {
      throw new RangeError(`FileLock: pollInterval must be a positive number of milliseconds, got ${String(this.pollInterval)}`);
    }
  }

  #waitOptions(opts: AcquireOptions | undefined): registry.WaitOptions {
    return {
      timeout: opts?.timeout === undefined ? this.timeout : checkTimeout(opts.timeout, 'FileLock.acquire'),
      signal: opts?.signal,
      strategy: this.waitStrategy,
      pollInterval: this.pollInterval,
    };
  }

  /** Acquires the lock and returns a handle to release it. */
  async acquire(mode: LockMode, opts?: AcquireOptions): Promise<LockHandle> {
    checkMode(mode);
    const grant = await registry.acquire(this.#file, mode, this.#waitOptions(opts));
    return new LockHandle(this.lockFile, grant);
  }

  /** Acquires without waiting: a handle, or null when the lock is busy. */
  tryAcquire(mode: LockMode): LockHandle | null {
    checkMode(mode);
    const grant = registry.tryAcquire(this.#file, mode);
    return grant === null ? null : new LockHandle(this.lockFile, grant);
  }

  /** Acquires synchronously, blocking the thread for at most `timeout` ms. */
  acquireSync(mode: LockMode, opts?: { timeout?: number }): LockHandle {
    checkMode(mode);
    const grant = registry.acquireSync(this.#file, mode, this.#waitOptions(opts));
    return new LockHandle(this.lockFile, grant);
  }

  /**
   * Runs `fn` under the exclusive lock and returns its result. The lock is
   * released however `fn` ends; an error from `fn` propagates unchanged.
   * Python: `with lock.acquire_exclusive():`.
   */
  async acquireExclusive<T>(fn: (handle: LockHandle) => T | Promise<T>, opts?: AcquireOptions): Promise<Awaited<T>> {
    return this.#run('exclusive', fn, opts);
  }

  /** Runs `fn` under the shared lock. Python: `with lock.acquire_shared():`. */
  async acquireShared<T>(fn: (handle: LockHandle) => T | Promise<T>, opts?: AcquireOptions): Promise<Awaited<T>> {
    return this.#run('shared', fn, opts);
  }

  async #run<T>(mode: LockMode, fn: (handle: LockHandle) => T | Promise<T>, opts?: AcquireOptions): Promise<Awaited<T>> {
    checkFn(fn);
    const handle = await this.acquire(mode, opts);
    try {
      return await fn(handle);
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
    checkFn(fn);
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

function checkMode(mode: LockMode): void {
  if (mode !== 'shared' && mode !== 'exclusive') {
    throw new TypeError(`lock mode must be "shared" or "exclusive", got ${JSON.stringify(mode)}`);
  }
}

function checkFn(fn: unknown): void {
  if (typeof fn !== 'function') throw new TypeError('the locked body must be a function');
}
