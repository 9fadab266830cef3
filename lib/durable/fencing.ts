import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as path from 'node:path';
import { FileLock, LockHandle, type AcquireOptions } from '../lock/file-lock';
import { fenceFileError, fencedError, invalidArgumentError, isErrno } from '../errors';
import { checkHoldLimit, checkOptions } from '../options';
import { replaceFileSync } from './replace';
import { retryStale } from './stale-retry';

/** Options of {@link acquireFenced}. */
export interface FencedOptions extends AcquireOptions {
  /**
   * How long the holder may act, in ms from the grant: after it,
   * {@link checkFence} (and so a fenced write) refuses with `EFENCED` even
   * if the token did not move. Set it below the time after which the file
   * system gives a silent holder's lock to someone else (on GlusterFS the
   * server's lock-release timeout: about 42 s by default, about 5 s with
   * `server.tcp-user-timeout 5`), minus your clock and I/O margin.
   * Default `Infinity` (no bound).
   */
  maxHoldMs?: number;
}

/** The fence file of a lock file: where its token lives. */
export const fenceFileOf = (lockFile: string): string => `${lockFile}.fence`;

/**
 * An exclusive lock held with a fencing token. The token is a counter kept in
 * `<lockFile>.fence`, incremented by every fenced exclusive acquisition, so a
 * later holder always has a larger token than an earlier one.
 */
export class FencedHandle implements Disposable, AsyncDisposable {
  /** The underlying exclusive lock. */
  readonly lock: LockHandle;
  /** This holder's token. */
  readonly token: bigint;
  /** The file holding the current token: `<lockFile>.fence`. */
  readonly fenceFile: string;
  /** When the holder must stop acting, on the `performance.now()` clock (ms); `Infinity` if unbounded. */
  readonly deadline: number;

  /** @internal */
  constructor(lock: LockHandle, token: bigint, fenceFile: string, deadline: number) {
    this.lock = lock;
    this.token = token;
    this.fenceFile = fenceFile;
    this.deadline = deadline;
  }

  /** The lock file, as given. */
  get lockFile(): string {
    return this.lock.lockFile;
  }

  /**
   * Whether this process still holds the lock, as far as it knows. After a
   * network partition this stays `true` although the server may have given
   * the lock to another host: only {@link checkFence} can tell.
   */
  get held(): boolean {
    return this.lock.held;
  }

  /** Releases the lock (the token file stays). */
  release(): void {
    this.lock.release();
  }

  /** Releases the lock at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.release();
  }

  /** Releases the lock at the end of an `await using` block. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.release();
  }
}

/** Reads the current token of a fence file; 0 when it does not exist yet. */
export function readFence(fenceFile: string): bigint {
  let text: string;
  try {
    // Bytes, decoded here (never the utf8 fast path); ESTALE retried once.
    text = retryStale(() => fs.readFileSync(fenceFile)).toString('utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return 0n;
    throw err;
  }
  if (!/^\d+\n?$/.test(text)) {
    throw fenceFileError(fenceFile, text);
  }
  return BigInt(text.trim());
}

/**
 * Makes a freshly granted exclusive lock fenced: reads the token, adds one
 * and publishes it by temp file + fsync + rename (never in place: across
 * GlusterFS clients an in-place write stayed invisible for seconds, a rename
 * shows at once). On failure the lock is released. @internal
 */
export function fenceGranted(lock: LockHandle, maxHoldMs?: number): FencedHandle {
  const limit = checkHoldLimit(maxHoldMs, 'acquireFenced');
  if (lock.mode !== 'exclusive') throw invalidArgumentError('acquireFenced', 'a fencing token needs the exclusive lock', lock.mode);
  const start = performance.now(); // the deadline counts from here, before the token's I/O
  const fenceFile = fenceFileOf(lock.lockFile);
  try {
    const token = readFence(fenceFile) + 1n;
    replaceFileSync(fenceFile, `${token}\n`, { durable: true });
    return new FencedHandle(lock, token, fenceFile, start + limit);
  } catch (err) {
    lock.release();
    throw err;
  }
}

const lockOf = (lock: string | FileLock): FileLock => (typeof lock === 'string' ? new FileLock(lock) : lock);

/**
 * Takes the exclusive lock and a new fencing token (see {@link FencedHandle}).
 * `lock` is a lock file path or a {@link FileLock}. Only acquisitions made
 * through this function (or `fenced` writers) bump the token: every writer
 * of the data must use them for the token to mean anything.
 *
 * Why: on a network file system the server can take a lock away from a
 * client it no longer hears from (GlusterFS: after its lock-release timeout,
 * ~42 s by default) and give it to another host, while the cut-off process
 * is told nothing and its handle still says `held`. Before it replaces a
 * file, a fenced writer re-reads the token ({@link checkFence}); if a newer
 * holder has bumped it, the write is refused with `EFENCED` instead of
 * overwriting the newer holder's data.
 *
 * Limits, honestly: the check and the rename are two steps, not one atomic
 * operation, so a stale holder that passes the check just before the new
 * holder's token lands can still rename once; and the check is only as fresh
 * as the stale host's view of the fence file (a rename showed up across
 * GlusterFS clients within milliseconds in our tests; an in-place write did
 * not, which is why the token is published by rename). The token bounds the
 * damage to that window; it does not make a partitioned holder safe to keep
 * acting. To also close the window, bound how long a holder acts with
 * `maxHoldMs`, below the server's lock-release timeout minus a margin.
 */
export async function acquireFenced(lock: string | FileLock, opts: FencedOptions = {}): Promise<FencedHandle> {
  const { maxHoldMs, ...acquire } = checkOptions('acquireFenced', opts, ['timeout', 'signal', 'maxHoldMs']);
  checkHoldLimit(maxHoldMs, 'acquireFenced');
  const handle = await lockOf(lock).acquire('exclusive', acquire);
  return fenceGranted(handle, maxHoldMs);
}

/** Synchronous {@link acquireFenced}. */
export function acquireFencedSync(lock: string | FileLock, opts: { timeout?: number; maxHoldMs?: number } = {}): FencedHandle {
  checkOptions('acquireFencedSync', opts, ['timeout', 'maxHoldMs']);
  checkHoldLimit(opts.maxHoldMs, 'acquireFencedSync');
  const handle = lockOf(lock).acquireSync('exclusive', { timeout: opts.timeout });
  return fenceGranted(handle, opts.maxHoldMs);
}

/**
 * Throws {@link FileLockingError} code `'EFENCED'` unless `handle` may still
 * act: it was not released, its `maxHoldMs` has not passed, and the fence
 * file still holds its token (no other holder took the lock since). `filePath`,
 * if given, is the data file the caller is about to change (it becomes the
 * error's `path`); otherwise the fence file.
 *
 * Not atomic with what follows: a holder that passes the check and then
 * renames can still land its rename after a newer holder's, if the newer
 * holder got the lock in between (a partition healing at exactly that
 * moment). The token makes a stale holder's write fail in all but that
 * window; `maxHoldMs` below the server's lock-release timeout closes the
 * window as long as the holder's clock and I/O are not slower than that
 * margin. Neither makes a partitioned holder safe to keep acting.
 */
export function checkFence(handle: FencedHandle, filePath?: string): void {
  const target = filePath ?? handle.fenceFile;
  const refuse = (why: string): never => {
    throw fencedError(target, why);
  };
  if (!handle.held) refuse(`the lock ${handle.lockFile} was released`);
  const now = performance.now();
  if (now > handle.deadline) {
    refuse(`the lock ${handle.lockFile} is ${Math.round(now - handle.deadline)} ms past its maxHoldMs deadline, ` +
      'so another host may hold it by now');
  }
  const current = readFence(handle.fenceFile);
  if (current !== handle.token) {
    refuse(`another holder took the lock ${handle.lockFile} since this one was granted (fencing token ${handle.token}, ` +
      `now ${current} in ${handle.fenceFile}); this process's lock was lost, e.g. cut off from a network file system's server`);
  }
}

/** Checks that a caller's fence handle belongs to this lock file. @internal */
export function checkFenceHandle(fence: FencedHandle, lockFile: string, where: string): void {
  if (!(fence instanceof FencedHandle)) throw invalidArgumentError(where, 'fence must be a FencedHandle from acquireFenced', fence);
  if (path.resolve(fence.lockFile) !== path.resolve(lockFile)) {
    throw invalidArgumentError(where, `the fence handle is for ${fence.lockFile}, not for this file's lock ${lockFile}`, fence.lockFile);
  }
}
