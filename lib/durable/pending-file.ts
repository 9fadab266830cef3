/**
 * The pending file of an atomic replace: a temp file created beside the file
 * it will replace (same directory, so rename(2) is atomic), given the
 * replaced file's mode and owner, and either committed by rename or
 * abandoned (closed and removed). ./replace.ts reads as the sentence
 * "create pending → write → sync → rename → sync directory" over these steps.
 * @internal
 */
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { isErrno, systemError } from '../errors';
import { native, type NameAt } from '../native';
import { retryStale } from './stale-retry';
import type { FileAttributes, KeptRead } from './file-text';

const { O_WRONLY, O_CREAT, O_EXCL, O_RDONLY, O_NONBLOCK, O_NOFOLLOW, S_IFMT, S_IFDIR, S_IFLNK } = fs.constants;

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
      if (bytesWritten === 0) throw systemError('ENOSPC', 'write');
      off += bytesWritten;
    }
  }
}

const writeAsync = promisify(fs.write);

export function writeAllSync(fd: number, data: string | Uint8Array): void {
  let bytes: Uint8Array;
  if (typeof data === 'string') {
    // The string as it is: fs encodes it in C++, with no Buffer of ours. A
    // short write (rare) goes on from the byte it stopped at.
    const written = fs.writeSync(fd, data);
    const total = Buffer.byteLength(data);
    if (written === total) return;
    if (written === 0) throw systemError('ENOSPC', 'write');
    bytes = Buffer.from(data).subarray(written);
  } else {
    bytes = data;
  }
  for (let off = 0; off < bytes.length;) {
    const n = fs.writeSync(fd, bytes, off, bytes.length - off);
    if (n === 0) throw systemError('ENOSPC', 'write');
    off += n;
  }
}

/** A function that fills the temp file through {@link AtomicOutput}. */
export type AtomicWriteCallback = (out: AtomicOutput) => void | Promise<void>;

const MAX_SYMLINKS = 40;

/**
 * The file a write really replaces: writing through a symlink replaces its
 * target (as write-file-atomic does), so the link survives and the temp file
 * lives in the target's directory, where rename(2) is atomic.
 * @internal
 */
function resolveTarget(filePath: string): string {
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

/** How the temp names of this process for the file named `base` start. */
function tempPrefix(base: string): string {
  return `.${tempBase(base)}.${process.pid}.`;
}

/** A unique temp name after `prefix` (see tempPrefix); O_EXCL makes a collision an error, never a shared file. @internal */
function tempName(prefix: string): string {
  tempSeq = (tempSeq + 1) % TEMP_SPACE;
  return `${prefix}${tempSeq.toString(16).padStart(12, '0')}.tmp`;
}

/** Where the temp files of a target (an absolute path) go, and how their names start. */
interface TempPlace {
  readonly dir: string;
  readonly prefix: string;
}

// The last targets written through a path, so that each write does not cut
// the same path into directory and name again. A few entries: a process
// writes few files, and one it no longer writes may be dropped.
const places = new Map<string, TempPlace>();
const MAX_PLACES = 64;

function placeOf(target: string): TempPlace {
  let place = places.get(target);
  if (place === undefined) {
    if (places.size >= MAX_PLACES) places.delete(places.keys().next().value as string);
    place = { dir: path.dirname(target), prefix: tempPrefix(path.basename(target)) };
    places.set(target, place);
  }
  return place;
}

const swept = new Set<string>();

/**
 * A writer killed mid-write (SIGKILL, power loss) leaves its temp file
 * behind. Whoever holds the exclusive lock knows no other writer of this file
 * is mid-write, so every temp file of ours for it is such a leftover. Checked
 * once per target per process: a directory listing on every write would cost
 * more than the rare leftover.
 */
function sweepLeftovers(target: string, at: NameAt | undefined): void {
  if (swept.has(target)) return;
  swept.add(target);
  const prefix = `.${tempBase(path.basename(target))}.`;
  let names: string[];
  try {
    names = at === undefined ? fs.readdirSync(path.dirname(target)) : native.readdirAt(at.dirFd).map(([name]) => name);
  } catch {
    return;
  }
  for (const name of names) {
    if (name.startsWith(prefix) && /^\d+\.[0-9a-f]{12}\.tmp$/.test(name.slice(prefix.length))) {
      try {
        if (at === undefined) fs.unlinkSync(path.join(path.dirname(target), name));
        else native.unlinkat(at.dirFd, name);
      } catch { /* gone already */ }
    }
  }
}

/** What {@link pinExisting} found under a name. */
interface Pinned {
  existing: FileAttributes | null;
  /** A descriptor that keeps the replaced inode alive, or -1. */
  pin: number;
  /**
   * The name is a symlink; nothing is pinned. Beneath a directory the rename
   * replaces the link itself; through a path, {@link targetOf} resolves it.
   */
  link: boolean;
}

const NOTHING: Pinned = { existing: null, pin: -1, link: false };
const LINK: Pinned = { existing: null, pin: -1, link: true };

// O_PATH (Linux) opens without read permission and never blocks on a FIFO;
// elsewhere a non-blocking read-only open, and an lstat when even that
// is refused.
const PIN_FLAGS = native.constants.O_PATH !== 0 ? native.constants.O_PATH : O_RDONLY | O_NONBLOCK;

function attributesOf(st: FileAttributes, target: string): FileAttributes {
  if ((st.mode & S_IFMT) === S_IFDIR) {
    throw systemError('EISDIR', 'open', target);
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
function pinExisting(target: string, at: NameAt | undefined): Pinned {
  let fd: number;
  try {
    // The name itself, never a symlink's target: see Pinned.link.
    fd = at === undefined ? fs.openSync(target, PIN_FLAGS | O_NOFOLLOW) : native.openat(at.dirFd, at.name, PIN_FLAGS | O_NOFOLLOW, 0);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return NOTHING;
    if (isErrno(err, 'ELOOP')) return LINK; // a symlink, where there is no O_PATH (macOS)
    if (!isErrno(err, 'EACCES', 'EPERM')) throw err;
    try {
      const st = at === undefined ? fs.lstatSync(target) : native.lstatat(at.dirFd, at.name);
      return (st.mode & S_IFMT) === S_IFLNK ? LINK : { existing: attributesOf(st, target), pin: -1, link: false };
    } catch (err2) {
      if (isErrno(err2, 'ENOENT')) return NOTHING;
      throw err2;
    }
  }
  try {
    const st = fs.fstatSync(fd);
    if ((st.mode & S_IFMT) === S_IFLNK) { // O_PATH|O_NOFOLLOW opened the link itself
      fs.closeSync(fd);
      return LINK;
    }
    return { existing: attributesOf(st, target), pin: fd, link: false };
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

// openStat's out-parameters for the temp file's create (see PendingFile.created).
const createdOut = new Float64Array(5);

/**
 * An open temp file beside the file it will replace. With `at`, both are
 * names in that open directory and every step is relative to it (the storage
 * backend's confinement); `target` and `path` are then for messages only.
 */
export interface PendingFile {
  target: string;
  existing: FileAttributes | null;
  path: string;
  fd: number;
  at?: NameAt;
  tempName: string;
  /**
   * The target's directory, opened by {@link openTemp} for its fsync after
   * the rename (-1 when the write is not durable, or `at` names it).
   */
  dirFd: number;
  /** The temp file's attributes as created, from the fstat of the create's own call. */
  created: FileAttributes;
}

/**
 * The file a write through `filePath` replaces, with what {@link pinExisting}
 * finds there. For a path that is no symlink, the commonest case, the pin's
 * one open answers: resolving symlinks first made every write lstat the path
 * too, a round trip to the server on a network file system (0.37 ms per
 * update on GlusterFS).
 */
function targetOf(filePath: string): { target: string } & Pinned {
  const target = path.resolve(filePath);
  const found = pinExisting(target, undefined);
  if (!found.link) return { target, ...found };
  const real = resolveTarget(filePath);
  return { target: real, ...pinExisting(real, undefined) };
}

/**
 * The file the caller read through `kept` (never a symlink: it was opened
 * O_NOFOLLOW), already pinned by that descriptor, which the caller has put
 * in its pins itself.
 */
function keptTarget(filePath: string, at: NameAt | undefined, kept: KeptRead): { target: string } & Pinned {
  const target = at === undefined ? path.resolve(filePath) : filePath;
  return { target, existing: attributesOf(kept.stat, target), pin: -1, link: false };
}

/**
 * `pins` receives the descriptor that keeps the replaced file alive, if any.
 * `at`: the file is `at.name` in the directory `at.dirFd`, already resolved
 * (no symlink is followed); `filePath` only names it in messages.
 * `withDir`: also open the directory, before anything in it changes. On
 * CephFS, opening it right after the rename, while another client holds
 * capabilities on it, waits for the MDS's next journal flush (up to its 5 s
 * tick); opened first, the fsync after the rename asks for that flush itself.
 */
export function openTemp(filePath: string, mode: number | undefined, pins: number[], at?: NameAt,
  withDir = false, kept?: KeptRead): PendingFile {
  const { target, existing, pin } = kept !== undefined ? keptTarget(filePath, at, kept)
    : at === undefined ? targetOf(filePath) : { target: filePath, ...pinExisting(filePath, at) };
  // In `pins` at once: the caller closes them however this ends.
  if (pin !== -1) pins.push(pin);
  const place = at === undefined ? placeOf(target) : undefined;
  // Through openStat, as the temp file below: one native call. Its fstat of
  // the directory goes unused; fs.openSync's layers cost more than that
  // syscall in a process that has just woken.
  const dirFd = withDir && place !== undefined ? native.openStat(-1, place.dir, O_RDONLY, 0, createdOut) : -1;
  try {
    sweepLeftovers(target, at);
    let name: string;
    let temp: string;
    if (at === undefined) {
      const { dir, prefix } = place as TempPlace;
      name = tempName(prefix);
      temp = dir === '/' ? `/${name}` : `${dir}/${name}`;
    } else {
      name = tempName(tempPrefix(path.basename(at.name)));
      temp = path.join(path.dirname(target), name);
    }
    const flags = O_WRONLY | O_CREAT | O_EXCL;
    // Created with the replaced file's mode, so that keepAttributes usually has nothing to change.
    const createMode = existing?.mode ?? mode ?? 0o666;
    const fd = at === undefined ? native.openStat(-1, temp, flags, createMode, createdOut)
      : native.openStat(at.dirFd, name, flags | O_NOFOLLOW, createMode, createdOut);
    const created = { mode: createdOut[1] & 0o7777, uid: createdOut[2], gid: createdOut[3] };
    return { target, existing, path: temp, fd, at, tempName: name, dirFd, created };
  } catch (err) {
    if (dirFd !== -1) fs.closeSync(dirFd);
    throw err;
  }
}

/** The directory to fsync after the rename: the caller's `at`, or the one {@link openTemp} opened. */
export function dirOf(t: PendingFile): number {
  return t.at !== undefined ? t.at.dirFd : t.dirFd;
}

/** Closes the directory descriptor {@link openTemp} opened, if any. */
export function closeDir(t: PendingFile | null): void {
  if (t === null || t.dirFd === -1) return;
  const fd = t.dirFd;
  t.dirFd = -1;
  try { fs.closeSync(fd); } catch { /* read-only descriptor: nothing to lose */ }
}

/**
 * Gives the temp file the replaced file's mode (and owner, as root), where
 * they differ: on a network file system each fchmod/fchown is a round trip
 * to the server (0.4 ms each on GlusterFS). Compares with the attributes
 * {@link openTemp} took in the create's own call, right after it, while the
 * client still had those the create returned (no round trip for that fstat).
 * Called before anything is written to the temp file.
 */
export function keepAttributes(t: PendingFile): void {
  const want = t.existing;
  if (want === null) return;
  const st = t.created;
  const chown = isRoot && (st.uid !== want.uid || st.gid !== want.gid);
  if (chown) fs.fchownSync(t.fd, want.uid, want.gid);
  // The umask would otherwise decide: a 0600 secrets file must not become
  // 0644. After the chown, which clears the set-user-ID and set-group-ID bits.
  if (chown || st.mode !== want.mode) fs.fchmodSync(t.fd, want.mode);
}

export function closeTemp(t: PendingFile): void {
  const fd = t.fd;
  t.fd = -1;
  fs.closeSync(fd);
}

export function commitTemp(t: PendingFile): void {
  // ESTALE on a network file system: the rename did not happen (a cached
  // handle was stale); one retry looks the names up afresh.
  const at = t.at;
  retryStale(() => at === undefined ? fs.renameSync(t.path, t.target) : native.renameat(at.dirFd, t.tempName, at.dirFd, at.name));
  t.path = '';
}

/**
 * The rest of a durable replace in one threadpool job: fsync the temp file,
 * close it, rename it over the target, fsync the directory. Two awaited
 * fs.fsync calls made two round trips through the pool, each waking the JS
 * thread once more while the lock was held. Afterwards `t.fd` is closed, and
 * `t.path` is '' when the rename was done (failed or not, the directory's
 * fsync is then all that may be missing). Not for a write with a check
 * between the close and the rename (fencing): see replaceFile.
 * `unlockFd` (-1: none) is a lock descriptor the job unlocks after the
 * directory's fsync; the result says whether it did. With one, the job
 * also closes `pins` (emptied) and the directory it synced (`t.dirFd` is
 * then -1), after the unlock and however it ended.
 */
export async function commitTempDurably(t: PendingFile, unlockFd: number, pins: number[]): Promise<boolean> {
  const at = t.at;
  // With the lock given back early, the job also closes what this write
  // opened beside the temp file (the directory, the pins: see closePins),
  // after the unlock: no threadpool job of their own, and no wake-up of
  // this thread for it while the next holder's process needs the CPU.
  const closeAfter = unlockFd === -1 ? undefined : t.dirFd === -1 ? [...pins] : [...pins, t.dirFd];
  const job = at === undefined
    ? native.commitDurable(t.fd, -1, t.path, t.target, dirOf(t), unlockFd, closeAfter)
    : native.commitDurable(t.fd, at.dirFd, t.tempName, at.name, dirOf(t), unlockFd, closeAfter);
  // Queued: the job owns these descriptors now. A call that threw queued
  // nothing, and left them to the caller's cleanup.
  t.fd = -1;
  if (closeAfter !== undefined) {
    pins.length = 0;
    t.dirFd = -1;
  }
  try {
    const unlocked = await job;
    t.path = '';
    return unlocked;
  } catch (err) {
    if ((err as { renamed?: unknown }).renamed === true) t.path = '';
    throw err;
  }
}

export function abandonTemp(t: PendingFile | null): void {
  if (t === null) return;
  if (t.fd !== -1) try { fs.closeSync(t.fd); } catch { /* already failing */ }
  if (t.path !== '') {
    try {
      if (t.at === undefined) fs.unlinkSync(t.path);
      else native.unlinkat(t.at.dirFd, t.tempName);
    } catch { /* never created */ }
  }
}
