import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { FileLock } from './file-lock';
import { FileLockingError, isErrno } from './errors';
import { checkPath } from './paths';

/** Options of {@link AtomicFileWriter}. */
export interface AtomicWriteOptions {
  /** fsync the temp file before the rename and the directory after it. Default true. */
  durable?: boolean;
  /** Mode of a newly created file (umask applies). An existing file keeps its own mode. */
  mode?: number;
  /** Lock timeout in ms. Default 30 000. */
  timeout?: number;
}

/** What a write callback gets: the open temp file. */
export type AtomicWriteCallback = (out: fsp.FileHandle) => void | Promise<void>;

const { O_WRONLY, O_CREAT, O_EXCL, O_RDONLY } = fs.constants;

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

/** A unique temp name beside the target; O_EXCL makes a collision an error, never a shared file. @internal */
export function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.${tempBase(path.basename(target))}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

interface Existing {
  mode: number;
  uid: number;
  gid: number;
}

function existingOf(target: string): Existing | null {
  try {
    const st = fs.statSync(target);
    if (st.isDirectory()) {
      throw Object.assign(new Error(`EISDIR: illegal operation on a directory, ${target}`), { code: 'EISDIR', errno: -21, path: target });
    }
    return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * `renamed`: the failure came after the rename (the directory fsync), so the
 * new contents are already in place and saying "left as it was" would be a lie.
 */
function writeError(filePath: string, err: unknown, renamed = false): FileLockingError {
  if (err instanceof FileLockingError) return err;
  const code = isErrno(err) ? err.code as string : 'EUNKNOWN';
  let hint = '';
  if (code === 'ENOSPC' || code === 'EDQUOT') hint = ' Free some space and retry.';
  else if (code === 'EACCES' || code === 'EPERM') hint = ' The directory must be writable to replace a file atomically.';
  else if (code === 'EROFS') hint = ' The file system is mounted read-only.';
  else if (code === 'EISDIR') hint = ' The target is a directory; pass a file path.';
  else if (code === 'ENOENT') hint = ' The directory does not exist; create it first.';
  else if (code === 'EIO') hint = ' The device reported an I/O error; do not trust the disk until checked.';
  const reason = err instanceof Error ? err.message : String(err);
  if (renamed) {
    return new FileLockingError(code, `Wrote ${filePath}, but could not fsync its directory: ${reason}. ` +
      `The new contents are in place but may not survive a crash.${hint}`, filePath, err);
  }
  return new FileLockingError(code, `Could not write ${filePath}: ${reason}. The file was left as it was.${hint}`, filePath, err);
}

/**
 * Replaces `target` with `data` (or what `fill` writes): temp file in the same
 * directory → write → fchmod/fchown to the old file's → fsync → rename →
 * fsync the directory. The caller holds the exclusive lock.
 * @internal
 */
export async function replaceFile(filePath: string, data: string | Uint8Array | AtomicWriteCallback,
  opts: { durable: boolean; mode?: number }): Promise<void> {
  let temp: string | null = null;
  let handle: fsp.FileHandle | null = null;
  let renamed = false;
  try {
    const target = resolveTarget(filePath);
    const existing = existingOf(target);
    temp = tempPathFor(target);
    handle = await fsp.open(temp, O_WRONLY | O_CREAT | O_EXCL, opts.mode ?? 0o666);
    if (typeof data === 'function') {
      try {
        await data(handle);
      } catch (err) {
        throw new CallbackError(err);
      }
    } else {
      await handle.writeFile(data);
    }
    if (existing !== null) {
      // The umask would otherwise decide: a 0600 secrets file must not become 0644.
      await handle.chmod(existing.mode);
      if (isRoot) await handle.chown(existing.uid, existing.gid);
    }
    if (opts.durable) await handle.sync();
    await handle.close();
    handle = null;
    await fsp.rename(temp, target);
    temp = null;
    renamed = true;
    if (opts.durable) {
      // The rename is only durable once the directory entry is on disk.
      const dir = await fsp.open(path.dirname(target), O_RDONLY);
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    }
  } catch (err) {
    if (handle !== null) await handle.close().catch(() => undefined);
    if (temp !== null) await fsp.unlink(temp).catch(() => undefined);
    // The callback's own error is the caller's: it propagates unchanged.
    throw err instanceof CallbackError ? err.error : writeError(filePath, err, renamed);
  }
}

/** Synchronous {@link replaceFile}. @internal */
export function replaceFileSync(filePath: string, data: string | Uint8Array, opts: { durable: boolean; mode?: number }): void {
  let temp: string | null = null;
  let fd = -1;
  let renamed = false;
  try {
    const target = resolveTarget(filePath);
    const existing = existingOf(target);
    temp = tempPathFor(target);
    fd = fs.openSync(temp, O_WRONLY | O_CREAT | O_EXCL, opts.mode ?? 0o666);
    fs.writeFileSync(fd, data);
    if (existing !== null) {
      fs.fchmodSync(fd, existing.mode);
      if (isRoot) fs.fchownSync(fd, existing.uid, existing.gid);
    }
    if (opts.durable) fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = -1;
    fs.renameSync(temp, target);
    temp = null;
    renamed = true;
    if (opts.durable) {
      const dir = fs.openSync(path.dirname(target), O_RDONLY);
      try {
        fs.fsyncSync(dir);
      } finally {
        fs.closeSync(dir);
      }
    }
  } catch (err) {
    if (fd !== -1) try { fs.closeSync(fd); } catch { /* already failing */ }
    if (temp !== null) try { fs.unlinkSync(temp); } catch { /* never created */ }
    throw writeError(filePath, err, renamed);
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
  readonly filePath: string;
  readonly lockFile: string;
  readonly durable: boolean;
  readonly mode: number | undefined;
  readonly #lock: FileLock;

  constructor(filePath: string, lockFile?: string, options: AtomicWriteOptions = {}) {
    checkPath(filePath, 'AtomicFileWriter');
    this.filePath = filePath;
    this.lockFile = lockFile ?? `${filePath}.lock`;
    checkPath(this.lockFile, 'AtomicFileWriter lockFile');
    this.durable = options.durable ?? true;
    this.mode = options.mode;
    this.#lock = new FileLock(this.lockFile, { timeout: options.timeout ?? 30_000 });
  }

  /**
   * Writes `data`, or whatever `fill(out)` writes to the temp file, and
   * atomically replaces the file. If `fill` throws, the file is untouched and
   * the error propagates unchanged.
   */
  async write(data: string | Uint8Array | AtomicWriteCallback, opts?: { signal?: AbortSignal }): Promise<void> {
    checkData(data, true);
    await this.#lock.acquireExclusive(() => replaceFile(this.filePath, data, { durable: this.durable, mode: this.mode }), opts);
  }

  /** Synchronous {@link AtomicFileWriter.write}, for strings and bytes. */
  writeSync(data: string | Uint8Array): void {
    checkData(data, false);
    this.#lock.acquireExclusiveSync(() => replaceFileSync(this.filePath, data, { durable: this.durable, mode: this.mode }));
  }
}

function checkData(data: unknown, callbackAllowed: boolean): void {
  if (typeof data === 'string' || data instanceof Uint8Array) return;
  if (callbackAllowed && typeof data === 'function') return;
  throw new TypeError(`data must be a string or a Uint8Array${callbackAllowed ? ', or a function that writes to the temp file' : ''}; got ${data === null ? 'null' : typeof data}`);
}
