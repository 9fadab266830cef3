/**
 * FileSystemBackend: the Python plan's locking storage backend. Keys are
 * resolved beneath the root's descriptor (./root.ts); reads, writes and
 * updates are durable/'s, given the key's directory descriptor so that
 * nothing after the resolution goes by path again.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { FileLock } from '../lock/file-lock';
import { lockBeneath } from '../lock/entry-table';
import {
  FileLockingError, LockError, invalidPathError, isErrno, logRecordError, missingWithoutInitialError, outsideError, serializeError,
  storageError, storageKeyError,
} from '../errors';
import { DEFAULT_TIMEOUT_MS, checkFlag, checkOptions, checkPath, checkTimeout } from '../options';
import { AtomicFileWriter } from '../durable/atomic-file-writer';
import { ReadModifyWrite, type NoInference } from '../durable/read-modify-write';
import { SafeFileReader } from '../durable/safe-file-reader';
import { native } from '../native';
import { dumpYaml } from '../yaml';
import { StorageRoot, type Located } from './root';

/**
 * Where agents keep their state. Python: `StorageBackend`. Paths are
 * relative to the backend's root; values are YAML documents, except event
 * logs written by `append`, which are JSON Lines.
 */
export interface StorageBackend {
  /** The value stored at `key`, or undefined when there is none. */
  read<T = unknown>(key: string): Promise<T | undefined>;
  /** Replaces the value at `key` atomically and durably. */
  write(key: string, data: unknown): Promise<void>;
  /** A locked read-modify-write of `key`; returns what was written. */
  update<T = unknown>(key: string, fn: (data: T) => T | void | Promise<T | void>, options?: { initial?: NoInference<T> }): Promise<T>;
  /** Appends one record to the event log at `key`. */
  append(key: string, record: unknown): Promise<void>;
  /** The records of the event log at `key` (empty when there is none). */
  readLog<T = unknown>(key: string): Promise<T[]>;
  /** Deletes the value at `key`; false when there was none. */
  delete(key: string): Promise<boolean>;
  /** Whether a value is stored at `key`. */
  exists(key: string): Promise<boolean>;
  /** Keys under `prefix` (a directory key), sorted; lock, fence and temp files are not listed. */
  list(prefix?: string): Promise<string[]>;
}

/** Options of {@link FileSystemBackend}. */
export interface FileSystemBackendOptions {
  /** fsync writes, updates and appends. Default true. */
  durable?: boolean;
  /** Lock timeout in ms. Default 30 000. */
  timeout?: number;
}

/**
 * A {@link StorageBackend} over a directory. Every operation takes the lock
 * of its file (`<file>.lock`, the Python plan's protocol), so Python and Node
 * agents can share the directory.
 *
 * Event logs: `append` adds one JSON line per record with a single write(2)
 * under the exclusive lock, fsync'd. A crash can only leave the last line
 * incomplete (no newline); `readLog` skips such a line. Python reads them with
 * `json.loads` per line.
 *
 * Confinement: the root is opened once, as a directory descriptor, and every
 * key is resolved beneath it to a descriptor of the key's directory; the
 * file, its temp file, its lock file, the rename and the directory fsync are
 * then all relative to that descriptor, never a path. So a neighbour who can
 * write inside the root and swaps a directory for a symlink to elsewhere,
 * even mid-operation, cannot make the backend create, replace, lock or read
 * anything outside: keys that lead out (`..`, absolute paths, symlinks that
 * point out) are refused with `EOUTSIDE` and nothing is created. Symlinks
 * that stay inside the root work. See the README's security section for
 * what this does not cover.
 */
export class FileSystemBackend implements StorageBackend {
  /** The root directory, absolute. */
  readonly basePath: string;
  /** Whether writes, updates, appends and deletes are fsync'd. */
  readonly durable: boolean;
  /** Lock timeout of every operation, in ms. */
  readonly timeout: number;
  readonly #root: StorageRoot;

  /**
   * Opens `basePath`, which must be an existing directory (else a
   * `FileLockingError` with code `ENOENT` or `ENOTDIR` naming it), and keeps
   * it open until {@link FileSystemBackend.close}, or until the backend is
   * garbage-collected.
   */
  constructor(basePath: string, options?: FileSystemBackendOptions) {
    checkPath(basePath, 'FileSystemBackend');
    const o = checkOptions('FileSystemBackend', options, ['durable', 'timeout']);
    this.basePath = path.resolve(basePath);
    this.durable = checkFlag(o.durable, 'FileSystemBackend', 'durable', true);
    this.timeout = checkTimeout(o.timeout ?? DEFAULT_TIMEOUT_MS, 'FileSystemBackend');
    // FILE_LOCKING_CONFINE=walk: resolve keys by the portable walk even where
    // openat2 exists, to test the fallback that macOS and older kernels take.
    this.#root = new StorageRoot(this.basePath, process.env.FILE_LOCKING_CONFINE === 'walk' ? 'walk' : 'auto');
    rootsToClose.register(this, this.#root, this);
  }

  /** Closes the root's descriptor; operations afterwards fail with `EBADF`. */
  close(): void {
    rootsToClose.unregister(this);
    this.#root.close();
  }

  /**
   * The absolute path of `key`, after checking that it stays inside the root
   * even through symlinks. With `create`, makes the missing parent
   * directories (inside the root). For messages and tools only: the backend
   * itself never opens a path, which a neighbour could redirect after this
   * check.
   */
  resolve(key: string, create = false): string {
    const k = this.#key(key);
    const at = this.#locate(k, key, create);
    if (at === null) return path.join(this.basePath, k);
    fs.closeSync(at.dirFd);
    return at.display;
  }

  /** Checks a key's spelling; the key normalised, without `.` or `..`. */
  #key(key: string): string {
    checkPath(key, 'FileSystemBackend');
    if (key.includes('\\')) {
      throw invalidPathError('FileSystemBackend', `backslashes are not allowed in storage keys, got ${JSON.stringify(key)} ` +
        '(keys are relative paths with "/" separators, the same on every OS)', key);
    }
    if (path.isAbsolute(key)) throw outsideError(key, 'absolute paths are not allowed', this.basePath);
    const k = path.posix.normalize(key).replace(/\/+$/, '');
    if (k === '..' || k.startsWith('../')) throw outsideError(key, 'it resolves outside the root', this.basePath);
    if (k === '.' || k === '') throw outsideError(key, 'it names the root itself, not a key inside it', this.basePath);
    return k;
  }

  /** Where `k` lives, or null when its directory is missing and `create` is false. */
  #locate(k: string, key: string, create: boolean): Located | null {
    try {
      return this.#root.locate(k, key, { create, followLeaf: true });
    } catch (err) {
      if (err instanceof FileLockingError) throw err;
      throw storageKeyError(key, this.basePath, (err as Error).message, undefined, err);
    }
  }

  /**
   * Runs `fn` with `key` located and its lock file registered beneath the
   * same directory descriptor; `missing()` when its directory does not exist.
   * The descriptor is closed only after `fn`, and so after the lock's release.
   */
  async #at<R>(key: string, create: boolean, missing: () => R, fn: (at: Located) => Promise<R>,
    retryable: (err: unknown) => boolean = () => true): Promise<R> {
    const k = this.#key(key);
    for (let attempt = 1; ; attempt++) {
      const at = this.#locate(k, key, create);
      if (at === null) return missing();
      const unregister = lockBeneath(lockOf(at), { dirFd: at.dirFd, name: `${at.name}.lock` });
      try {
        return await fn(at);
      } catch (err) {
        // A neighbour removed the directory while we worked in it: nothing
        // anyone can see was changed there, so resolve the key afresh.
        if (!isRemoved(at.dirFd) || !retryable(err)) throw err;
        if (attempt === MAX_ATTEMPTS) {
          // EAGAIN, as the root's lookups say when a path keeps changing: the
          // directory is there, a neighbour keeps moving it; retrying may work.
          throw storageKeyError(key, this.basePath,
            `its directory was removed or replaced under us ${MAX_ATTEMPTS} times in a row; retry when it holds still`, 'EAGAIN', err);
        }
      } finally {
        unregister();
        fs.closeSync(at.dirFd);
      }
    }
  }

  #lock(at: Located): FileLock {
    return new FileLock(lockOf(at), { timeout: this.timeout });
  }

  async read<T = unknown>(key: string): Promise<T | undefined> {
    return this.#at(key, false, () => undefined, async (at) => {
      // A missing key is no reason to create its lock file.
      if (!existsAt(at)) return undefined;
      try {
        return await SafeFileReader.beneath(at.display, at, { timeout: this.timeout }).readYaml<T>();
      } catch (err) {
        if (err instanceof FileLockingError && err.code === 'ENOENT') return undefined;
        throw err;
      }
    });
  }

  async write(key: string, data: unknown): Promise<void> {
    await this.#at(key, true, madeMissing, async (at) => {
      let text: string;
      try {
        text = dumpYaml(data);
      } catch (err) {
        throw serializeError(at.display, err, 'the value for');
      }
      await AtomicFileWriter.beneath(at.display, at, { durable: this.durable, timeout: this.timeout }).write(text);
    });
  }

  async update<T = unknown>(key: string, fn: (data: T) => T | void | Promise<T | void>, options: { initial?: NoInference<T> } = {}): Promise<T> {
    checkOptions('FileSystemBackend.update', options, ['initial']);
    const create = 'initial' in options;
    return this.#at(key, create, () => {
      throw missingWithoutInitialError(this.resolve(key), Object.assign(new Error('its directory does not exist'), { code: 'ENOENT' }));
    }, async (at) => {
      const rmw = ReadModifyWrite.beneath<T>(at.display, at, { durable: this.durable, timeout: this.timeout, ...options });
      return rmw.execute(fn) as Promise<T>;
      // Only a failure to lock is retried: later, `fn` may have run, and must not run twice.
    }, (err) => err instanceof LockError);
  }

  async append(key: string, record: unknown): Promise<void> {
    let line: string;
    try {
      line = JSON.stringify(record);
      if (line === undefined) throw new TypeError(`${typeof record} is not a JSON value`);
    } catch (err) {
      throw serializeError(this.resolve(key), err, 'the record for');
    }
    const bytes = Buffer.from(line + '\n');
    await this.#at(key, true, madeMissing, (at) => this.#lock(at).withHolding('exclusive', async () => {
      let fd = -1;
      try {
        fd = native.openat(at.dirFd, at.name, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0o666);
        const before = (await fstatAsync(fd)).size;
        const { bytesWritten } = await writeAsync(fd, bytes, 0, bytes.length, null);
        if (bytesWritten !== bytes.length) {
          // A short append (ENOSPC midway) must not leave half a record for the next one to follow.
          await ftruncateAsync(fd, before);
          throw Object.assign(new Error(`short write: ${bytesWritten} of ${bytes.length} bytes`), { code: 'ENOSPC' });
        }
        if (this.durable) await fsyncAsync(fd);
      } catch (err) {
        throw storageError(at.display, 'append to', err, 'Earlier records are intact.');
      } finally {
        if (fd !== -1) await closeAsync(fd);
      }
    }));
  }

  async readLog<T = unknown>(key: string): Promise<T[]> {
    return this.#at(key, false, () => [], async (at) => {
      if (!existsAt(at)) return [];
      const text = await SafeFileReader.beneath(at.display, at, { timeout: this.timeout }).read();
      const lines = text.split('\n');
      // The last element is '' after a complete log; anything else is a record torn by a crash.
      lines.pop();
      return lines.filter((l) => l !== '').map((l, i) => {
        try {
          return JSON.parse(l) as T;
        } catch (err) {
          throw logRecordError(at.display, i + 1, err);
        }
      });
    });
  }

  async delete(key: string): Promise<boolean> {
    return this.#at(key, false, () => false, (at) =>
      // The lock file stays: deleting it would split waiters across two inodes.
      this.#lock(at).withHolding('exclusive', async () => {
        try {
          native.unlinkat(at.dirFd, at.name);
        } catch (err) {
          if (isErrno(err, 'ENOENT')) return false;
          throw storageError(at.display, 'delete', err);
        }
        if (this.durable) await fsyncAsync(at.dirFd);
        return true;
      }));
  }

  /** Whether a value is stored at `key`. */
  async exists(key: string): Promise<boolean> {
    return this.#at(key, false, () => false, async (at) => existsAt(at));
  }

  async list(prefix = ''): Promise<string[]> {
    const k = prefix === '' ? '' : this.#key(prefix);
    let dirFd: number | null;
    try {
      dirFd = this.#root.openDir(k, prefix);
    } catch (err) {
      if (err instanceof FileLockingError) throw err;
      if (isErrno(err, 'ENOTDIR')) return [];
      throw storageKeyError(prefix, this.basePath, (err as Error).message, undefined, err);
    }
    if (dirFd === null) return [];
    const keys: string[] = [];
    try {
      listInto(dirFd, k, keys);
    } finally {
      fs.closeSync(dirFd);
    }
    return keys.sort();
  }
}

const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW, O_RDONLY, O_DIRECTORY, S_IFMT, S_IFREG, S_IFDIR } = fs.constants;
const writeAsync = promisify(fs.write);
const fstatAsync = promisify(fs.fstat);
const ftruncateAsync = promisify(fs.ftruncate);
const fsyncAsync = promisify(fs.fsync);
const closeAsync = promisify(fs.close);

// The root's descriptor is closed with its backend, if nobody called close().
const rootsToClose = new FinalizationRegistry<StorageRoot>((root) => {
  try { root.close(); } catch { /* a finalizer has nobody to tell */ }
});

const lockOf = (at: Located): string => `${at.display}.lock`;

/**
 * Attempts of one operation whose directory neighbours keep removing (a
 * rename onto a directory we just made, while it is empty, removes it).
 */
const MAX_ATTEMPTS = 100;

function isRemoved(dirFd: number): boolean {
  return fs.fstatSync(dirFd).nlink === 0;
}

/** `create` made every directory on the way, so a missing one is a neighbour's doing mid-resolution. */
function madeMissing(): never {
  throw Object.assign(new Error('ENOENT: a directory made on the way disappeared'), { code: 'ENOENT' });
}

function existsAt(at: Located): boolean {
  try {
    native.lstatat(at.dirFd, at.name);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}

const NOT_KEYS = /\.lock(\.fence)?$|^\..*\.tmp$/;

/** Appends the keys of regular files under the open directory `dirFd` (key prefix `rel`); symlinks are not followed. */
function listInto(dirFd: number, rel: string, keys: string[]): void {
  for (const [name, type] of native.readdirAt(dirFd)) {
    let kind = type;
    if (kind === '?') {
      const fmt = native.lstatat(dirFd, name).mode & S_IFMT;
      kind = fmt === S_IFREG ? 'f' : fmt === S_IFDIR ? 'd' : 'o';
    }
    const key = rel === '' ? name : `${rel}/${name}`;
    if (kind === 'f' && !NOT_KEYS.test(name)) keys.push(key);
    if (kind !== 'd') continue;
    let sub: number;
    try {
      sub = native.openat(dirFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
    } catch (err) {
      // Removed, or swapped for a symlink, since the listing: not a directory of ours any more.
      if (isErrno(err, 'ENOENT', 'ENOTDIR', 'ELOOP')) continue;
      throw err;
    }
    try {
      listInto(sub, key, keys);
    } finally {
      fs.closeSync(sub);
    }
  }
}
