import { constants } from 'node:os';
import type { LockHolder } from './lock-holders';

/** How a lock is held: many readers, or one writer. */
export type LockMode = 'shared' | 'exclusive';

/**
 * Stable codes of {@link LockError}:
 * - `ELOCKTIMEOUT`: the lock was not granted within `timeout` ms.
 * - `ELOCKED`: `timeout: 0` and the lock was busy.
 * - `ABORT_ERR`: the caller's AbortSignal fired first; `cause` is the signal's reason.
 * - `ELOCKHELD`: a synchronous acquire of a lock this process already holds or
 *   waits for; waiting would block the thread that has to release it.
 * - `ELOCKFILE`: the lock file could not be opened or locked; `cause` is the
 *   system error (EACCES, EISDIR, ENOENT, ENOLCK, …).
 */
export type LockErrorCode = 'ELOCKTIMEOUT' | 'ELOCKED' | 'ABORT_ERR' | 'ELOCKHELD' | 'ELOCKFILE';

/** A lock could not be acquired. Python: `LockError`. */
export class LockError extends Error {
  /** Always `'LockError'`. */
  override readonly name = 'LockError';
  /** What went wrong; see {@link LockErrorCode}. */
  readonly code: LockErrorCode;
  /** The lock file, as given. */
  readonly lockFile: string;
  /** The mode that was asked for. */
  readonly mode: LockMode;
  /** How long the caller waited before giving up, in milliseconds. */
  readonly waitedMs: number;
  #holders: readonly LockHolder[] | (() => readonly LockHolder[]);

  constructor(code: LockErrorCode, message: string, details: {
    lockFile: string; mode: LockMode; waitedMs: number; holders?: readonly LockHolder[] | (() => readonly LockHolder[]);
    cause?: unknown;
  }) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.lockFile = details.lockFile;
    this.mode = details.mode;
    this.waitedMs = details.waitedMs;
    this.#holders = details.holders ?? [];
  }

  /**
   * Who holds or waits for the lock, where the OS can tell (Linux
   * /proc/locks), read when first asked: reading /proc/locks can take
   * milliseconds, which would otherwise make every timeout late.
   */
  get holders(): readonly LockHolder[] {
    if (typeof this.#holders === 'function') this.#holders = this.#holders();
    return this.#holders;
  }
}

/**
 * A file operation (atomic write, locked read, read-modify-write, storage
 * backend) failed. `path` is the data file; `cause` is the original error.
 * The message says what state the file is in: almost always as it was before
 * the call; after a failed directory fsync, already replaced but not durable.
 */
export class FileLockingError extends Error {
  /** Always `'FileLockingError'`. */
  override readonly name = 'FileLockingError';
  /**
   * The system error's code (`ENOSPC`, `EACCES`, `EROFS`, `EISDIR`, `ENOENT`,
   * `EIO`, …), or one of ours: `EPARSE`, `ESERIALIZE`, `EOUTSIDE`, `EINVALIDPATH`,
   * `EFENCED` (a fenced write refused: the lock was taken over since, or held past `maxHoldMs`).
   */
  readonly code: string;
  /** The data file (or storage key) the operation was about. */
  readonly path: string;

  constructor(code: string, message: string, filePath: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.path = filePath;
  }
}

const ESTALE_ERRNO = -(constants.errno.ESTALE ?? 116);

/**
 * ESTALE ("stale file handle"): a network file system (Gluster, NFS) says the
 * file an fd or cached handle refers to was replaced or removed by another
 * client. Node 20's libuv has no name for it: `code` is
 * `'Unknown system error -116'`, so match on `errno`. @internal
 */
export function isStale(err: unknown): boolean {
  return err instanceof Error && ((err as NodeJS.ErrnoException).errno === ESTALE_ERRNO || (err as NodeJS.ErrnoException).code === 'ESTALE');
}

/** The error's system code, with ESTALE named (Node 20 cannot). @internal */
export function codeOf(err: unknown): string {
  if (isStale(err)) return 'ESTALE';
  return isErrno(err) ? err.code as string : 'EUNKNOWN';
}

/**
 * Runs `fn`, and once more if it fails with ESTALE: a path lookup after
 * another client's rename gets a fresh handle. A second ESTALE propagates.
 * Only for steps that are safe to repeat (a whole read; a rename that did
 * not happen). @internal
 */
export function retryStale<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!isStale(err)) throw err;
    return fn();
  }
}

/** Async {@link retryStale}. @internal */
export async function retryStaleAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!isStale(err)) throw err;
    return fn();
  }
}

/** Node's system errors carry `code`, `errno` and `syscall`. @internal */
export function isErrno(err: unknown, ...codes: string[]): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' &&
    (codes.length === 0 || codes.includes((err as NodeJS.ErrnoException).code as string));
}
