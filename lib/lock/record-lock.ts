import * as fs from 'node:fs';
import { native } from '../native';
import { abortError, invalidOptionError, recordBusyError, type LockMode } from '../errors';
import { checkFlag, checkMode, checkOptions, checkSignal, checkTimeout } from '../options';

const { F_RDLCK, F_WRLCK, F_UNLCK, F_SETLK, F_SETLKW, F_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_OFD_GETLK } = native.constants;
/** Whether the OS has open-file-description locks (Linux F_OFD_*). */
const HAVE_OFD = F_OFD_SETLK !== undefined;

/** A conflicting record lock, as fcntl(F_GETLK) reports it. */
export interface RecordLockInfo {
  /** `exclusive` for F_WRLCK, `shared` for F_RDLCK. */
  mode: LockMode;
  /** First byte of the conflicting range. */
  start: number;
  /** 0 means "to the end of the file, however long it grows". */
  length: number;
  /** The holder's pid; -1 for an OFD lock (the kernel does not record one). */
  pid: number;
}

/** Options of {@link RecordLock}. */
export interface RecordLockOptions {
  /**
   * Use open-file-description locks (Linux F_OFD_*; default where available).
   * Classic POSIX locks belong to the process, and closing ANY descriptor of
   * the file drops them all; prefer OFD locks.
   */
  ofd?: boolean;
  /** A name for error messages; defaults to "fd N". */
  name?: string;
}

/**
 * Byte-range fcntl(2) record locks on an open descriptor. A separate API
 * from {@link FileLock}: on Linux, record locks and flock locks never
 * conflict, so this does NOT exclude Python's `fcntl.flock` users. (On macOS
 * and on network file systems such as NFS or GlusterFS they share one space.)
 */
export class RecordLock {
  /** The descriptor the locks are taken on. */
  readonly fd: number;
  /** Whether these are open-file-description locks (else classic POSIX ones). */
  readonly ofd: boolean;
  /** The name used in error messages. */
  readonly name: string;

  readonly #set: number;
  readonly #setWait: number;
  readonly #get: number;

  constructor(fd: number, options?: RecordLockOptions) {
    if (!Number.isInteger(fd) || fd < 0) throw invalidOptionError('RecordLock', 'fd', 'an open descriptor (an integer >= 0)', fd);
    const o = checkOptions('RecordLock', options, ['ofd', 'name']);
    this.fd = fd;
    this.ofd = checkFlag(o.ofd, 'RecordLock', 'ofd', HAVE_OFD);
    if (this.ofd && !HAVE_OFD) throw invalidOptionError('RecordLock', 'ofd', 'false on this OS (it has no OFD locks)', true);
    this.name = o.name ?? `fd ${fd}`;
    this.#set = this.ofd ? F_OFD_SETLK as number : F_SETLK;
    this.#setWait = this.ofd ? F_OFD_SETLKW as number : F_SETLKW;
    this.#get = this.ofd ? F_OFD_GETLK as number : F_GETLK;
  }

  /** Locks [start, start+length) without waiting; false when it conflicts. */
  tryLock(mode: LockMode, start = 0, length = 0): boolean {
    checkRange(start, length);
    return native.fcntlSetLock(this.fd, this.#set, typeOf(mode), start, length);
  }

  /** Locks [start, start+length), blocking the thread for at most `timeout` ms (default forever). */
  lockSync(mode: LockMode, start = 0, length = 0, opts: { timeout?: number } = {}): void {
    checkRange(start, length);
    const timeout = checkTimeout(checkOptions('RecordLock.lockSync', opts, ['timeout']).timeout ?? Infinity, 'RecordLock.lockSync');
    const started = performance.now();
    if (this.tryLock(mode, start, length)) return;
    if (timeout <= 0) throw this.#busy('ELOCKED', mode, start, length, started);
    if (!Number.isFinite(timeout)) {
      native.fcntlSetLock(this.fd, this.#setWait, typeOf(mode), start, length);
      return;
    }
    // A kernel wait given up on would later have to unlock its range on the
    // caller's open file description (and for classic locks, closing a
    // duplicate would drop every lock of the process on the file): poll.
    for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
      const left = timeout - (performance.now() - started);
      if (left <= 0) throw this.#busy('ELOCKTIMEOUT', mode, start, length, started);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.min(delay, left));
      if (this.tryLock(mode, start, length)) return;
    }
  }

  /**
   * Locks [start, start+length), waiting without blocking the event loop, for
   * at most `timeout` ms (default forever) or until `signal` aborts. Without
   * a timeout or signal the wait blocks in the kernel (OFD locks); with one,
   * it polls (1 ms doubling to 50 ms).
   */
  async lock(mode: LockMode, start = 0, length = 0, opts: { timeout?: number; signal?: AbortSignal } = {}): Promise<void> {
    checkRange(start, length);
    checkOptions('RecordLock.lock', opts, ['timeout', 'signal']);
    const timeout = checkTimeout(opts.timeout ?? Infinity, 'RecordLock.lock');
    checkSignal(opts.signal, 'RecordLock.lock');
    const started = performance.now();
    opts.signal?.throwIfAborted();
    if (this.tryLock(mode, start, length)) return;
    if (timeout <= 0) throw this.#busy('ELOCKED', mode, start, length, started);
    // A kernel wait that is given up on would, when it finally wins, have to
    // unlock its range on the caller's open file description, and so could
    // unlock a range the caller took meanwhile. Waits that can be given up
    // on (a timeout or a signal), and classic locks, poll instead.
    if (!this.ofd || Number.isFinite(timeout) || opts.signal !== undefined) {
      return this.#pollAsync(mode, start, length, timeout, started, opts.signal);
    }
    const dup = native.dupCloexec(this.fd);
    await new Promise<void>((resolve, reject) => {
      native.startRecordWait(dup, this.#setWait, typeOf(mode), start, length, (err) => {
        if (err !== null) return reject(err);
        // The lock belongs to the shared open file description; the duplicate can go.
        fs.closeSync(dup);
        resolve();
      });
    });
  }

  async #pollAsync(mode: LockMode, start: number, length: number, timeout: number, started: number, signal?: AbortSignal): Promise<void> {
    for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
      const left = timeout - (performance.now() - started);
      if (left <= 0) throw this.#busy('ELOCKTIMEOUT', mode, start, length, started);
      await new Promise((r) => setTimeout(r, Math.min(delay, left)));
      if (signal?.aborted) {
        throw abortError(this.name, mode, started, signal, 'the record lock on');
      }
      if (this.tryLock(mode, start, length)) return;
    }
  }

  /** Unlocks [start, start+length). */
  unlock(start = 0, length = 0): void {
    checkRange(start, length);
    native.fcntlSetLock(this.fd, this.#set, F_UNLCK, start, length);
  }

  /** The first lock that would conflict with `mode` on the range, or null. */
  getLock(mode: LockMode, start = 0, length = 0): RecordLockInfo | null {
    checkRange(start, length);
    const got = native.fcntlGetLock(this.fd, this.#get, typeOf(mode), start, length);
    if (got === null) return null;
    return { mode: got.type === F_WRLCK ? 'exclusive' : 'shared', start: got.start, length: got.len, pid: got.pid };
  }

  #busy(code: 'ELOCKED' | 'ELOCKTIMEOUT', mode: LockMode, start: number, length: number, started: number) {
    const range = `[${start}, ${length === 0 ? 'EOF' : start + length})`;
    return recordBusyError(code, this.name, range, mode, started, this.getLock(mode, start, length));
  }
}

function typeOf(mode: LockMode): number {
  checkMode(mode, 'RecordLock');
  return mode === 'shared' ? F_RDLCK : F_WRLCK;
}

function checkRange(start: number, length: number): void {
  if (!Number.isSafeInteger(start) || start < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw invalidOptionError('RecordLock', `the range (start=${start}, length=${length})`, 'whole numbers >= 0', start, true);
  }
}
