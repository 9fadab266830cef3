import type { FileLock, LockHandle, LockWaitOptions } from '../lock/file-lock';
import { invalidArgumentError } from '../errors';
import { checkFileMode, checkFlag, checkHoldLimit, checkOptions, checkSignal } from '../options';
import { checkFence, checkFenceHandle, fenceGranted, type FencedHandle } from './fencing';
import { LockedFile } from './locked-file';
import type { NameAt } from '../native';
import { closePins, type AtomicWriteCallback } from './pending-file';
import { replaceFile, replaceFileSync, type ReplaceOptions } from './replace';

/** Options of {@link AtomicFileWriter}. */
export interface AtomicWriteOptions extends LockWaitOptions {
  /** fsync the temp file before the rename and the directory after it. Default true. */
  durable?: boolean;
  /** Mode of a newly created file (umask applies). An existing file keeps its own mode. */
  mode?: number;
  /** Lock timeout in ms. Default 30 000. */
  timeout?: number;
  /**
   * Fencing, for locks that a network file system can take away (see
   * {@link acquireFenced}): every write takes the lock with a new fencing
   * token and, right before its rename, checks that the token is still the
   * current one; if another holder has taken the lock since, the write is
   * refused with `FileLockingError` code `'EFENCED'`, the file is left as it
   * was and the temp file is removed. Every writer of the file must be
   * fenced for the token to mean anything. Default false.
   */
  fenced?: boolean;
  /** With `fenced`: the write is refused (`EFENCED`) once this many ms have passed since the lock was granted. See {@link FencedOptions.maxHoldMs}. */
  maxHoldMs?: number;
}

/**
 * Per-call options of {@link AtomicFileWriter.write}. `fence`: the caller
 * already holds the lock through {@link acquireFenced}; no lock is taken, and
 * the write is refused (`EFENCED`) unless `checkFence(fence)` passes right
 * before the rename.
 */
export interface AtomicWriteCallOptions {
  /** Gives up waiting for the lock (`LockError` code `ABORT_ERR`). Unused with `fence`. */
  signal?: AbortSignal;
  /** A fenced lock the caller already holds on this file's lock file: no lock is taken; the token is checked before the rename. */
  fence?: FencedHandle;
}

/**
 * Replaces a file atomically under its exclusive lock: readers see the old
 * bytes or the new ones, never a mix, and a crash leaves one or the other.
 * Durable by default: the data and the rename are fsync'd before `write`
 * resolves. The replaced file keeps its mode (and owner, as root). Writing
 * through a symlink replaces the link's target and keeps the link.
 *
 * Python: `AtomicFileWriter(file_path, lock_file)` with `with writer.write() as f:`.
 */
export class AtomicFileWriter {
  /** The file to replace, as given (a symlink's target is replaced). */
  readonly filePath: string;
  /** The lock file; `filePath + '.lock'` unless given. */
  readonly lockFile: string;
  /** Whether writes fsync the file and its directory. */
  readonly durable: boolean;
  /** Mode of a newly created file, if given. */
  readonly mode: number | undefined;
  /** Whether writes are fenced (see {@link AtomicWriteOptions.fenced}). */
  readonly fenced: boolean;
  readonly #maxHoldMs: number | undefined;
  readonly #lock: FileLock;
  #at: NameAt | undefined;

  constructor(filePath: string, lockFile?: string, options?: AtomicWriteOptions) {
    const o = checkOptions('AtomicFileWriter', options, ['durable', 'mode', 'timeout', 'fenced', 'maxHoldMs', 'waitStrategy', 'pollInterval']);
    const file = new LockedFile('AtomicFileWriter', filePath, lockFile, o);
    this.filePath = file.filePath;
    this.lockFile = file.lockFile;
    this.#lock = file.lock;
    this.durable = checkFlag(o.durable, 'AtomicFileWriter', 'durable', true);
    this.mode = checkFileMode(o.mode, 'AtomicFileWriter');
    this.fenced = checkFlag(o.fenced, 'AtomicFileWriter', 'fenced', false);
    checkHoldLimit(o.maxHoldMs, 'AtomicFileWriter');
    this.#maxHoldMs = o.maxHoldMs;
  }

  /**
   * A writer of `at.name` in the open directory `at.dirFd`: the temp file,
   * the rename and the directory fsync are relative to it, and no symlink is
   * followed (the caller resolved the name). `filePath` names it in messages
   * and its lock (which the caller registers with `lockBeneath`). @internal
   */
  static beneath(filePath: string, at: NameAt, options?: AtomicWriteOptions): AtomicFileWriter {
    const writer = new AtomicFileWriter(filePath, undefined, options);
    writer.#at = at;
    return writer;
  }

  /**
   * Writes `data`, or whatever `fill(out)` writes to the temp file, and
   * atomically replaces the file. If `fill` throws, the file is untouched and
   * the error propagates unchanged.
   */
  async write(data: string | Uint8Array | AtomicWriteCallback, opts?: AtomicWriteCallOptions): Promise<void> {
    checkData(data, true);
    const o = checkOptions('AtomicFileWriter.write', opts, ['signal', 'fence']);
    const fence = o.fence;
    if (fence !== undefined) {
      checkFenceHandle(fence, this.lockFile, 'AtomicFileWriter.write');
      await replaceFile(this.filePath, data, this.#replaceOptions(fence));
      return;
    }
    const pins: number[] = [];
    try {
      const signal = checkSignal(o.signal, 'AtomicFileWriter.write');
      const body = (lock: LockHandle): Promise<void> => replaceFile(this.filePath, data, this.#replaceOptions(this.#fence(lock), pins, lock));
      // A callback is user code that may await: its chain is tracked (ELOCKHELD).
      // Data runs no user code under the lock, and needs no tracking.
      if (typeof data === 'function') await this.#lock.acquireExclusive(body, { signal });
      else await this.#lock.withHolding('exclusive', body, { signal });
    } finally {
      closePins(pins);
    }
  }

  /** Synchronous {@link AtomicFileWriter.write}, for strings and bytes. */
  writeSync(data: string | Uint8Array): void {
    checkData(data, false);
    const pins: number[] = [];
    try {
      this.#lock.acquireExclusiveSync((lock) => replaceFileSync(this.filePath, data, this.#replaceOptions(this.#fence(lock), pins)));
    } finally {
      closePins(pins);
    }
  }

  #fence(lock: LockHandle): FencedHandle | undefined {
    return this.fenced ? fenceGranted(lock, this.#maxHoldMs) : undefined;
  }

  /** `lock`: the lock this write took, released right after it (see ReplaceOptions.releasing). */
  #replaceOptions(fence: FencedHandle | undefined, pins?: number[], lock?: LockHandle): ReplaceOptions {
    return { durable: this.durable, mode: this.mode, pins, at: this.#at, releasing: lock,
      beforeRename: fence === undefined ? undefined : () => checkFence(fence, this.filePath) };
  }
}

function checkData(data: unknown, callbackAllowed: boolean): void {
  if (typeof data === 'string' || data instanceof Uint8Array) return;
  if (callbackAllowed && typeof data === 'function') return;
  throw invalidArgumentError(callbackAllowed ? 'AtomicFileWriter.write' : 'AtomicFileWriter.writeSync',
    `data must be a string or a Uint8Array${callbackAllowed ? ', or a function that writes to the temp file' : ''}`, data);
}
