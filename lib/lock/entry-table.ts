/**
 * The entry table of the in-process lock registry.
 *
 * flock(2) locks belong to an open file description, so two opens of one
 * lock file in one process conflict with each other. The table keeps one
 * entry per lock file (keyed by device and inode, reached by any spelling of
 * its path), one descriptor per entry, and the entry's FIFO queue of this
 * process's waiters (./fifo-queue.ts serves it). Idle entries keep their
 * descriptor, bounded, so that taking the same lock again is cheap.
 * @internal
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native, type NameAt, type NativeWait } from '../native';
import { isErrno, type LockMode } from '../errors';
import { openCreating } from './open-creating';

const { O_RDWR, O_RDONLY, O_CREAT, O_NOFOLLOW } = fs.constants;
const { LOCK_SH, LOCK_EX, LOCK_UN } = native.constants;

/** How a blocked acquisition waits. */
export type WaitStrategy = 'kernel' | 'poll';

export interface WaitOptions {
  timeout: number;
  signal?: AbortSignal;
  strategy: WaitStrategy;
  pollInterval: number;
}

export interface Request {
  readonly file: string;
  readonly mode: LockMode;
  readonly started: number;
  readonly opts: WaitOptions;
  resolve(grant: Grant): void;
  reject(err: unknown): void;
  cleanup(): void;
}

/** An open lock file, and whether it was opened for writing (an exclusive lock on NFS needs it). */
export interface LockFd {
  readonly fd: number;
  readonly writable: boolean;
}

export interface KernelWaiter extends LockFd {
  readonly mode: LockMode;
  readonly file: string;
  readonly control: NativeWait;
}

export class Entry {
  fd = -1;
  writable = false;
  holders = 0;
  holderMode: LockMode = 'shared';
  readonly queue: Request[] = [];
  waiter: KernelWaiter | null = null;
  pollTimer: NodeJS.Timeout | null = null;
  readonly files = new Set<string>();
  constructor(readonly key: string) {}
}

/** What a granted acquisition holds; `release` gives it back exactly once. */
export interface Grant {
  readonly entry: Entry;
  readonly mode: LockMode;
  readonly waitedMs: number;
  /**
   * The timeout timer of the wait that won this grant, cleared at release,
   * after the unlock, rather than between the wake-up and the caller's code
   * (clearTimeout takes 10-30 µs in a process that has just woken). If it
   * fires meanwhile it does nothing: the request is no longer queued.
   */
  timer?: NodeJS.Timeout;
  /**
   * Set when a durable commit gave the kernel lock back on its own thread
   * (see {@link earlyUnlockFd}): release then does only the bookkeeping.
   */
  unlocked?: boolean;
}

const byFile = new Map<string, Entry>();

const byInode = new Map<string, Entry>();

export const now = (): number => performance.now();

/**
 * Lock files that the storage backend has resolved beneath its root: while
 * registered, the path is only their name, and they are opened relative to
 * the directory descriptor (openat, O_NOFOLLOW), never looked up by path,
 * which a neighbour could redirect through a symlink. A list per path: two
 * operations on one key may overlap; the newest registration opens.
 */
const beneath = new Map<string, NameAt[]>();

/** Opens `file` through `at` until the returned function is called. */
export function lockBeneath(file: string, at: NameAt): () => void {
  const key = lockPath(file);
  const list = beneath.get(key) ?? [];
  list.push(at);
  beneath.set(key, list);
  return () => {
    list.splice(list.indexOf(at), 1);
    if (list.length === 0 && beneath.get(key) === list) beneath.delete(key);
  };
}

function beneathOf(file: string): NameAt | undefined {
  const list = beneath.get(file);
  return list === undefined ? undefined : list[list.length - 1];
}

function openPath(file: string, flags: number, mode = 0): number {
  const at = beneathOf(file);
  return at === undefined ? fs.openSync(file, flags, mode) : native.openat(at.dirFd, at.name, flags | O_NOFOLLOW, mode);
}

/** The path a kernel waiter re-checks after winning; '' for a lock beneath a directory, which {@link stillNamed} checks instead. */
export function waiterPath(file: string): string {
  return beneathOf(file) === undefined ? file : '';
}

/** Whether `file` still names the open lock file `fd`, and it still has a link. */
export function stillNamed(fd: number, file: string): boolean {
  const at = beneathOf(file);
  if (at === undefined) return native.sameFile(fd, file);
  try {
    const st = native.lstatat(at.dirFd, at.name);
    return native.isLinked(fd) && `${st.dev}:${st.ino}` === fstatKey(fd);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}

/**
 * Opens a lock file without ever truncating it: O_RDWR|O_CREAT (NFS needs a
 * writable open for an exclusive lock; libuv adds O_CLOEXEC so children never
 * inherit it). A shared lock falls back to a read-only open of an existing
 * file, so readers without write permission can still lock.
 */
function openLockFile(file: string, mode: LockMode): LockFd {
  try {
    return { fd: openCreating(() => openPath(file, O_RDWR | O_CREAT, 0o666)), writable: true };
  } catch (err) {
    if (mode === 'shared' && isErrno(err, 'EACCES', 'EPERM', 'EROFS')) {
      try {
        return { fd: openPath(file, O_RDONLY), writable: false };
      } catch (err2) {
        // No lock file to fall back on: the first error says why it could not be made.
        throw isErrno(err2, 'ENOENT') ? err : err2;
      }
    }
    throw err;
  }
}

function fstatKey(fd: number): string {
  const st = fs.fstatSync(fd, { bigint: true });
  return `${st.dev}:${st.ino}`;
}

/** The entry for `file`, with an open descriptor fit for `mode`. */
export function entryFor(file: string, mode: LockMode): Entry {
  let entry = byFile.get(file);
  if (entry !== undefined && beneathOf(file) !== undefined && !namesEntry(file, entry)) {
    // The directory a beneath path went through is another one now (the key
    // was resolved afresh): the name leads to the entry of whatever is there.
    entry.files.delete(file);
    byFile.delete(file);
    entry = undefined;
  }
  if (entry !== undefined) idle.delete(entry);
  if (entry === undefined) {
    const opened = openLockFile(file, mode);
    let key: string;
    try {
      key = fstatKey(opened.fd);
    } catch (err) {
      fs.closeSync(opened.fd);
      throw err;
    }
    entry = byInode.get(key);
    if (entry === undefined) {
      entry = new Entry(key);
      byInode.set(key, entry);
    }
    entry.files.add(file);
    byFile.set(file, entry);
    if (entry.fd === -1) {
      entry.fd = opened.fd;
      entry.writable = opened.writable;
    } else {
      // Another path to the same inode: one descriptor per entry is enough,
      // and a second one would conflict with the first.
      fs.closeSync(opened.fd);
    }
  }
  if (entry.fd === -1) {
    const opened = openLockFile(file, mode);
    entry.fd = opened.fd;
    entry.writable = opened.writable;
  } else if (mode === 'exclusive' && !entry.writable && entry.holders === 0) {
    const fd = openPath(file, O_RDWR);
    fs.closeSync(entry.fd);
    entry.fd = fd;
    entry.writable = true;
  }
  return entry;
}

/** Whether the beneath path `file` still names the inode of `entry`. */
function namesEntry(file: string, entry: Entry): boolean {
  const at = beneathOf(file) as NameAt;
  try {
    const st = native.lstatat(at.dirFd, at.name);
    return `${st.dev}:${st.ino}` === entry.key;
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return false;
    throw err;
  }
}

/** Forget an entry whose path now names another inode (a peer replaced the lock file). */
export function detach(entry: Entry): void {
  for (const file of entry.files) if (byFile.get(file) === entry) byFile.delete(file);
  entry.files.clear();
  if (byInode.get(entry.key) === entry) byInode.delete(entry.key);
}

/**
 * Idle entries keep their descriptor (holding no lock), so that taking the
 * same lock again costs three syscalls instead of six. Bounded, least
 * recently used first out; `closeIdleLockFiles()` closes them all.
 */
const IDLE_DESCRIPTORS = 32;

const idle = new Set<Entry>();

/** Puts an entry that nobody holds or awaits at rest. */
export function retireIfIdle(entry: Entry): void {
  if (entry.holders > 0 || entry.queue.length > 0) return;
  if (entry.pollTimer !== null) {
    clearTimeout(entry.pollTimer);
    entry.pollTimer = null;
  }
  if (entry.fd !== -1 && entry.waiter === null && entry.files.size > 0) {
    idle.delete(entry);
    idle.add(entry);
    if (idle.size > IDLE_DESCRIPTORS) closeIdle(idle.values().next().value as Entry);
    return;
  }
  closeIdle(entry);
}

function closeIdle(entry: Entry): void {
  idle.delete(entry);
  if (entry.fd !== -1) {
    const fd = entry.fd;
    entry.fd = -1;
    // It holds no lock, so a failing close (ENOTCONN from a dead FUSE mount)
    // loses nothing, and must not keep the other idle descriptors open.
    try { fs.closeSync(fd); } catch { /* nothing to lose */ }
  }
  if (entry.waiter === null) detach(entry);
}

/**
 * Closes the descriptors that idle lock files keep open (at most 32, none of
 * them holding a lock). Locks that are held or awaited are not touched.
 */
export function closeIdleLockFiles(): void {
  for (const entry of [...idle]) closeIdle(entry);
}

export function flockOp(mode: LockMode): number {
  return mode === 'exclusive' ? LOCK_EX : LOCK_SH;
}

export function releaseDescriptor(fd: number): void {
  native.flock(fd, LOCK_UN);
  fs.closeSync(fd);
}

/** The kernel lock now lives on `fd` (a waiter's): make it the entry's. */
export function adopt(entry: Entry, { fd, writable }: LockFd): void {
  if (entry.fd !== -1) fs.closeSync(entry.fd);
  entry.fd = fd;
  entry.writable = writable;
}

/**
 * The descriptor a kernel waiter will own: the entry's own, which holds no
 * lock whenever a wait starts, so that winning costs no open and no close on
 * the hand-off path. The thread owns it from then on: if everybody gives up,
 * it finishes its wait, unlocks and closes it by itself.
 */
export function descriptorForWaiter(entry: Entry, file: string, mode: LockMode): LockFd {
  if (entry.fd !== -1 && entry.holders === 0 && (mode === 'shared' || entry.writable)) {
    const handed = { fd: entry.fd, writable: entry.writable };
    entry.fd = -1;
    return handed;
  }
  return openLockFile(file, mode);
}

/** Whether this process holds the lock on `file` now (a wait for it would wait for itself). */
export function heldHere(file: string): boolean {
  const entry = byFile.get(file);
  return entry !== undefined && entry.holders > 0;
}

export function findQueued(req: Request): Entry | null {
  const entry = byFile.get(req.file);
  if (entry !== undefined && entry.queue.includes(req)) return entry;
  for (const e of byInode.values()) if (e.queue.includes(req)) return e;
  return null;
}

/** Normalises a lock file path so that one file has one key per spelling. */
export function lockPath(file: string): string {
  return path.resolve(file);
}
