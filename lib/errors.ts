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
   * `EIO`, …), or one of ours: `EPARSE`, `ESERIALIZE`, `EOUTSIDE`, `EINVALIDPATH`.
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

/** Node's system errors carry `code`, `errno` and `syscall`. @internal */
export function isErrno(err: unknown, ...codes: string[]): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' &&
    (codes.length === 0 || codes.includes((err as NodeJS.ErrnoException).code as string));
}
