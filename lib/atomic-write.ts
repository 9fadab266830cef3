import * as fs from 'node:fs';
import { promisify } from 'node:util';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { FileLock, type LockHandle } from './file-lock';
import { FileLockingError, codeOf, isErrno, retryStale } from './errors';
import { checkPath } from './paths';
import { checkFence, fenceGranted, type FencedHandle } from './fencing';
import { native } from './native';

/** Options of {@link AtomicFileWriter}. */
export interface AtomicWriteOptions {
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

/** Checks that a caller's fence handle belongs to this lock file. @internal */
export function checkFenceHandle(fence: FencedHandle, lockFile: string, where: string): void {
  if (path.resolve(fence.lockFile) !== path.resolve(lockFile)) {
    throw new TypeError(`${where}: the fence handle is for ${fence.lockFile}, not for this file's lock ${lockFile}`);
  }
}

/**
 * What a write callback gets: the temp file, to append to. Each `write`
 * writes its chunk in full or throws (a full disk is ENOSPC here, never a
 * short count that would commit a truncated file).
 */
export class AtomicOutput {
  readonly #fd: number;

  /** @internal */
  constructor(fd: number) {
    this.#fd = fd;
  }

  /** Appends `chunk` (strings as UTF-8), off the event loop. */
  async write(chunk: string | Uint8Array): Promise<void> {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    for (let off = 0; off < bytes.length;) {
      const { bytesWritten } = await writeAsync(this.#fd, bytes, off, bytes.length - off, null);
      if (bytesWritten === 0) throw noSpace();
      off += bytesWritten;
    }
  }
}

const writeAsync = promisify(fs.write);
const fsyncAsync = promisify(fs.fsync);
const noSpace = (): Error => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });

function writeAllSync(fd: number, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  for (let off = 0; off < bytes.length;) {
    const n = fs.writeSync(fd, bytes, off, bytes.length - off);
    if (n === 0) throw noSpace();
    off += n;
  }
}

/** A function that fills the temp file through {@link AtomicOutput}. */
export type AtomicWriteCallback = (out: AtomicOutput) => void | Promise<void>;

const { O_WRONLY, O_CREAT, O_EXCL, O_RDONLY, O_NONBLOCK } = fs.constants;

/** Carries an error thrown by the caller's write callback through our cleanup. */
class CallbackError {
  constructor(readonly error: unknown) {}
}
const MAX_SYMLINKS = 40;

/**
 * The file a write really replaces: writing through a symlink replaces its
 * target (as write-file-atomic does), so the link survives and the temp file
 * lives in the target's directory, where rename(2) is atomic.
 * @internal
 */
export function resolveTarget(filePath: string): string {
  let current = path.resolve(filePath);
  for (let hops = 0; hops < MAX_SYMLINKS; hops++) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(current);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) break;
      throw err;
    }
    if (!st.isSymbolicLink()) break;
    current = path.resolve(path.dirname(current), fs.readlinkSync(current));
  }
  // A symlinked directory component is fine; rename works on the real path.
  return current;
}

// NAME_MAX is 255 bytes and the temp name adds up to 26 (".", ".PID", ".HEX",
// ".tmp"): a long but legal file name would get an illegal temp name
// (ENAMETOOLONG), so the name's part of the temp name is cut short.
const TEMP_BASE_MAX_BYTES = 200;

function tempBase(base: string): string {
  if (Buffer.byteLength(base) <= TEMP_BASE_MAX_BYTES) return base;
  let out = '';
  let bytes = 0;
  for (const ch of base) { // whole code points: never half a UTF-8 sequence
    bytes += Buffer.byteLength(ch);
    if (bytes > TEMP_BASE_MAX_BYTES) break;
    out += ch;
  }
  return out;
}

// 48 random bits drawn once, then counted up: unique within this process
// (and its worker threads draw their own), without asking the CSPRNG on
// every write, which cost about 20 µs of a 360 µs update.
const TEMP_SPACE = 2 ** 48;
let tempSeq = randomBytes(6).readUIntBE(0, 6);

/** A unique temp name beside the target; O_EXCL makes a collision an error, never a shared file. @internal */
export function tempPathFor(target: string): string {
  tempSeq = (tempSeq + 1) % TEMP_SPACE;
  const suffix = tempSeq.toString(16).padStart(12, '0');
  return path.join(path.dirname(target), `.${tempBase(path.basename(target))}.${process.pid}.${suffix}.tmp`);
}

const swept = new Set<string>();

/**
 * A writer killed mid-write (SIGKILL, power loss) leaves its temp file
 * behind. Whoever holds the exclusive lock knows no other writer of this file
 * is mid-write, so every temp file of ours for it is such a leftover. Checked
 * once per target per process: a directory listing on every write would cost
 * more than the rare leftover.
 */
function sweepLeftovers(target: string): void {
  if (swept.has(target)) return;
  swept.add(target);
  const prefix = `.${tempBase(path.basename(target))}.`;
  let names: string[];
  try {
    names = fs.readdirSync(path.dirname(target));
  } catch {
    return;
  }
  for (const name of names) {
    if (name.startsWith(prefix) && /^\d+\.[0-9a-f]{12}\.tmp$/.test(name.slice(prefix.length))) {
      try { fs.unlinkSync(path.join(path.dirname(target), name)); } catch { /* gone already */ }
    }
  }
}

interface Existing {
  mode: number;
  uid: number;
  gid: number;
}

// O_PATH (Linux) opens without read permission and never blocks on a FIFO;
// elsewhere a non-blocking read-only open, and a plain stat when even that
// is refused.
const PIN_FLAGS = native.constants.O_PATH !== 0 ? native.constants.O_PATH : O_RDONLY | O_NONBLOCK;

function attributesOf(st: fs.Stats, target: string): Existing {
  if (st.isDirectory()) {
    throw Object.assign(new Error(`EISDIR: illegal operation on a directory, ${target}`), { code: 'EISDIR', errno: -21, path: target });
  }
  return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
}

/**
 * The attributes of the file a write replaces, and a descriptor that keeps
 * its inode alive (-1 when there is none). rename(2) frees the replaced
 * inode when nothing else holds it, and on ext4 that is the costliest step
 * of a small write (about 180 µs of block freeing here, three quarters of
 * the rename). Holding the inode moves that cost to the close of this
 * descriptor, which callers make after releasing the lock, so the next
 * writer does not wait for it.
 */
function pinExisting(target: string): { existing: Existing | null; pin: number } {
  let fd: number;
  try {
    fd = fs.openSync(target, PIN_FLAGS);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return { existing: null, pin: -1 };
    if (!isErrno(err, 'EACCES', 'EPERM')) throw err;
    try {
      return { existing: attributesOf(fs.statSync(target), target), pin: -1 };
    } catch (err2) {
      if (isErrno(err2, 'ENOENT')) return { existing: null, pin: -1 };
      throw err2;
    }
  }
  try {
    return { existing: attributesOf(fs.fstatSync(fd), target), pin: fd };
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
}

/**
 * Closes, in the background, the descriptors {@link replaceFile} left open to
 * keep replaced inodes alive; call it after releasing the lock. The close can
 * block for a while (freeing the inode may wait for its pages' writeback),
 * so it runs on the threadpool and nobody waits for it. @internal
 */
export function closePins(pins: number[]): void {
  for (const fd of pins.splice(0)) fs.close(fd, ignoreCloseError);
}

// Nothing was written through a pin, so a failing close loses nothing.
const ignoreCloseError = (): void => {};

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * `renamed`: the failure came after the rename (the directory fsync), so the
 * new contents are already in place and saying "left as it was" would be a lie.
 */
function writeError(filePath: string, err: unknown, renamed = false): FileLockingError {
  if (err instanceof FileLockingError) return err;
  const code = codeOf(err);
  let hint = '';
  if (code === 'ENOSPC' || code === 'EDQUOT') hint = ' Free some space and retry.';
  else if (code === 'EACCES' || code === 'EPERM') hint = ' The directory must be writable to replace a file atomically.';
  else if (code === 'EROFS') hint = ' The file system is mounted read-only.';
  else if (code === 'EISDIR') hint = ' The target is a directory; pass a file path.';
  else if (code === 'ENOENT') hint = ' The directory does not exist; create it first.';
  else if (code === 'ESTALE') hint = ' Stale file handle twice in a row: another client of this network file system removed or replaced the directory or file; retry.';
  else if (code === 'EIO') hint = ' The device reported an I/O error; do not trust the disk until checked.';
  const reason = err instanceof Error ? err.message : String(err);
  if (renamed) {
    return new FileLockingError(code, `Wrote ${filePath}, but could not fsync its directory: ${reason}. ` +
      `The new contents are in place but may not survive a crash.${hint}`, filePath, err);
  }
  return new FileLockingError(code, `Could not write ${filePath}: ${reason}. The file was left as it was.${hint}`, filePath, err);
}

/** An open temp file beside the file it will replace. */
interface Temp {
  target: string;
  existing: Existing | null;
  path: string;
  fd: number;
}

/** `pins` receives the descriptor that keeps the replaced file alive, if any. */
function openTemp(filePath: string, mode: number | undefined, pins: number[]): Temp {
  const target = resolveTarget(filePath);
  const { existing, pin } = pinExisting(target);
  if (pin !== -1) pins.push(pin);
  sweepLeftovers(target);
  const temp = tempPathFor(target);
  return { target, existing, path: temp, fd: fs.openSync(temp, O_WRONLY | O_CREAT | O_EXCL, mode ?? 0o666) };
}

/** Gives the temp file the replaced file's mode (and owner, as root). */
function keepAttributes(t: Temp): void {
  if (t.existing === null) return;
  // The umask would otherwise decide: a 0600 secrets file must not become 0644.
  fs.fchmodSync(t.fd, t.existing.mode);
  if (isRoot) fs.fchownSync(t.fd, t.existing.uid, t.existing.gid);
}

function closeTemp(t: Temp): void {
  const fd = t.fd;
  t.fd = -1;
  fs.closeSync(fd);
}

function commitTemp(t: Temp): void {
  // ESTALE on a network file system: the rename did not happen (a cached
  // handle was stale); one retry looks the names up afresh.
  retryStale(() => fs.renameSync(t.path, t.target));
  t.path = '';
}

function abandonTemp(t: Temp | null): void {
  if (t === null) return;
  if (t.fd !== -1) try { fs.closeSync(t.fd); } catch { /* already failing */ }
  if (t.path !== '') try { fs.unlinkSync(t.path); } catch { /* never created */ }
}

async function fsyncDirAsync(target: string): Promise<void> {
  const dir = fs.openSync(path.dirname(target), O_RDONLY);
  try {
    await fsyncAsync(dir);
  } finally {
    fs.closeSync(dir);
  }
}

function fsyncDirSync(target: string): void {
  const dir = fs.openSync(path.dirname(target), O_RDONLY);
  try {
    fs.fsyncSync(dir);
  } finally {
    fs.closeSync(dir);
  }
}

/** @internal */
export interface ReplaceOptions {
  durable: boolean;
  mode?: number;
  /** Runs right before the rename; throwing abandons the write (the fencing check). */
  beforeRename?: () => void;
  /**
   * Collects descriptors that keep the replaced file's inode alive, for the
   * caller to {@link closePins} once it has released the lock. Without it
   * the write starts their (background) close itself before returning.
   */
  pins?: number[];
}

/**
 * Replaces `target` with `data` (or what a callback writes): temp file in the
 * same directory → write → fchmod/fchown to the old file's → fsync → rename →
 * fsync the directory. The caller holds the exclusive lock.
 *
 * The small syscalls run synchronously: every other process waits while the
 * lock is held, and a threadpool round trip per step (about 45 µs here, ten
 * of them per write) would hold it several times longer. The fsyncs, which
 * can take milliseconds, run off the event loop.
 * @internal
 */
export async function replaceFile(filePath: string, data: string | Uint8Array | AtomicWriteCallback,
  opts: ReplaceOptions): Promise<void> {
  let t: Temp | null = null;
  let renamed = false;
  const pins = opts.pins ?? [];
  try {
    t = openTemp(filePath, opts.mode, pins);
    if (typeof data === 'function') {
      try {
        await data(new AtomicOutput(t.fd));
      } catch (err) {
        throw new CallbackError(err);
      }
    } else {
      writeAllSync(t.fd, data);
    }
    keepAttributes(t);
    if (opts.durable) await fsyncAsync(t.fd);
    closeTemp(t);
    // Last step before the rename: a refusal (EFENCED) leaves the file as it was.
    opts.beforeRename?.();
    commitTemp(t);
    renamed = true;
    // The rename is only durable once the directory entry is on disk.
    if (opts.durable) await fsyncDirAsync(t.target);
  } catch (err) {
    abandonTemp(t);
    // The callback's own error is the caller's: it propagates unchanged.
    throw err instanceof CallbackError ? err.error : writeError(filePath, err, renamed);
  } finally {
    if (opts.pins === undefined) closePins(pins);
  }
}

/** Synchronous {@link replaceFile}. @internal */
export function replaceFileSync(filePath: string, data: string | Uint8Array, opts: ReplaceOptions): void {
  let t: Temp | null = null;
  let renamed = false;
  const pins = opts.pins ?? [];
  try {
    t = openTemp(filePath, opts.mode, pins);
    writeAllSync(t.fd, data);
    keepAttributes(t);
    if (opts.durable) fs.fsyncSync(t.fd);
    closeTemp(t);
    // Last step before the rename: a refusal (EFENCED) leaves the file as it was.
    opts.beforeRename?.();
    commitTemp(t);
    renamed = true;
    if (opts.durable) fsyncDirSync(t.target);
  } catch (err) {
    abandonTemp(t);
    throw writeError(filePath, err, renamed);
  } finally {
    if (opts.pins === undefined) closePins(pins);
  }
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

  constructor(filePath: string, lockFile?: string, options: AtomicWriteOptions = {}) {
    checkPath(filePath, 'AtomicFileWriter');
    this.filePath = filePath;
    this.lockFile = lockFile ?? `${filePath}.lock`;
    checkPath(this.lockFile, 'AtomicFileWriter lockFile');
    this.durable = options.durable ?? true;
    this.mode = options.mode;
    this.fenced = options.fenced ?? false;
    this.#maxHoldMs = options.maxHoldMs;
    this.#lock = new FileLock(this.lockFile, { timeout: options.timeout ?? 30_000 });
  }

  /**
   * Writes `data`, or whatever `fill(out)` writes to the temp file, and
   * atomically replaces the file. If `fill` throws, the file is untouched and
   * the error propagates unchanged.
   */
  async write(data: string | Uint8Array | AtomicWriteCallback, opts?: AtomicWriteCallOptions): Promise<void> {
    checkData(data, true);
    const fence = opts?.fence;
    if (fence !== undefined) {
      checkFenceHandle(fence, this.lockFile, 'AtomicFileWriter.write');
      await replaceFile(this.filePath, data, this.#replaceOptions(fence));
      return;
    }
    const pins: number[] = [];
    try {
      await this.#lock.acquireExclusive((lock) => replaceFile(this.filePath, data, this.#replaceOptions(this.#fence(lock), pins)),
        { signal: opts?.signal });
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

  #replaceOptions(fence: FencedHandle | undefined, pins?: number[]): ReplaceOptions {
    return { durable: this.durable, mode: this.mode, pins,
      beforeRename: fence === undefined ? undefined : () => checkFence(fence, this.filePath) };
  }
}

function checkData(data: unknown, callbackAllowed: boolean): void {
  if (typeof data === 'string' || data instanceof Uint8Array) return;
  if (callbackAllowed && typeof data === 'function') return;
  throw new TypeError(`data must be a string or a Uint8Array${callbackAllowed ? ', or a function that writes to the temp file' : ''}; got ${data === null ? 'null' : typeof data}`);
}
