import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { FileLock } from './lock/file-lock';
import { FileLockingError, isErrno, logRecordError, outsideError, serializeError, storageError } from './errors';
import { DEFAULT_TIMEOUT_MS, checkFlag, checkOptions, checkPath, checkTimeout } from './options';
import { AtomicFileWriter } from './durable/atomic-file-writer';
import { ReadModifyWrite } from './durable/read-modify-write';
import { SafeFileReader } from './durable/safe-file-reader';
import { dumpYaml } from './yaml';

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
  update<T = unknown>(key: string, fn: (data: T) => T | void | Promise<T | void>, options?: { initial?: T }): Promise<T>;
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

function isPathInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
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
 * Keys that resolve outside the root (`..`, absolute paths, symlinks that
 * point out) are refused with `EOUTSIDE` before anything is created.
 */
export class FileSystemBackend implements StorageBackend {
  /** The root directory, absolute. */
  readonly basePath: string;
  /** Whether writes, updates, appends and deletes are fsync'd. */
  readonly durable: boolean;
  /** Lock timeout of every operation, in ms. */
  readonly timeout: number;

  constructor(basePath: string, options?: FileSystemBackendOptions) {
    checkPath(basePath, 'FileSystemBackend');
    const o = checkOptions('FileSystemBackend', options, ['durable', 'timeout']);
    this.basePath = path.resolve(basePath);
    this.durable = checkFlag(o.durable, 'FileSystemBackend', 'durable', true);
    this.timeout = checkTimeout(o.timeout ?? DEFAULT_TIMEOUT_MS, 'FileSystemBackend');
  }

  /**
   * The absolute path of `key`, after checking that it stays inside the root
   * even through symlinks. With `create`, makes the missing parent
   * directories (after the check, so nothing is created outside).
   */
  resolve(key: string, create = false): string {
    checkPath(key, 'FileSystemBackend');
    if (path.isAbsolute(key)) throw this.#outside(key, 'absolute paths are not allowed');
    const full = path.resolve(this.basePath, key);
    if (!isPathInside(this.basePath, full) || full === this.basePath) throw this.#outside(key, 'it resolves outside the root');
    const realBase = fs.realpathSync(this.basePath);
    // The deepest part that exists decides where symlinks lead.
    let probe = full;
    let rest = '';
    for (;;) {
      try {
        const real = fs.realpathSync(probe);
        if (!isPathInside(realBase, path.join(real, rest))) throw this.#outside(key, 'a symlink leads outside the root');
        break;
      } catch (err) {
        if (!isErrno(err, 'ENOENT')) throw err;
        rest = path.join(path.basename(probe), rest);
        probe = path.dirname(probe);
      }
    }
    if (create) fs.mkdirSync(path.dirname(full), { recursive: true });
    return full;
  }

  #outside(key: string, why: string): FileLockingError {
    return outsideError(key, why, this.basePath);
  }

  async read<T = unknown>(key: string): Promise<T | undefined> {
    const file = this.resolve(key);
    if (!fs.existsSync(file)) return undefined;
    try {
      return await new SafeFileReader(file, undefined, { timeout: this.timeout }).readYaml<T>();
    } catch (err) {
      if (err instanceof FileLockingError && err.code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async write(key: string, data: unknown): Promise<void> {
    const file = this.resolve(key, true);
    let text: string;
    try {
      text = dumpYaml(data);
    } catch (err) {
      throw serializeError(file, err, 'the value for');
    }
    await new AtomicFileWriter(file, undefined, { durable: this.durable, timeout: this.timeout }).write(text);
  }

  async update<T = unknown>(key: string, fn: (data: T) => T | void | Promise<T | void>, options: { initial?: T } = {}): Promise<T> {
    checkOptions('FileSystemBackend.update', options, ['initial']);
    const file = this.resolve(key, 'initial' in options);
    const rmw = new ReadModifyWrite<T>(file, undefined, { durable: this.durable, timeout: this.timeout, ...options });
    return rmw.execute(fn) as Promise<T>;
  }

  async append(key: string, record: unknown): Promise<void> {
    const file = this.resolve(key, true);
    let line: string;
    try {
      line = JSON.stringify(record);
      if (line === undefined) throw new TypeError(`${typeof record} is not a JSON value`);
    } catch (err) {
      throw serializeError(file, err, 'the record for');
    }
    const bytes = Buffer.from(line + '\n');
    await new FileLock(`${file}.lock`, { timeout: this.timeout }).acquireExclusive(async () => {
      let handle: fsp.FileHandle | null = null;
      try {
        handle = await fsp.open(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o666);
        const before = (await handle.stat()).size;
        const { bytesWritten } = await handle.write(bytes);
        if (bytesWritten !== bytes.length) {
          // A short append (ENOSPC midway) must not leave half a record for the next one to follow.
          await handle.truncate(before);
          throw Object.assign(new Error(`short write: ${bytesWritten} of ${bytes.length} bytes`), { code: 'ENOSPC' });
        }
        if (this.durable) await handle.sync();
      } catch (err) {
        throw storageError(file, 'append to', err, 'Earlier records are intact.');
      } finally {
        await handle?.close();
      }
    });
  }

  async readLog<T = unknown>(key: string): Promise<T[]> {
    const file = this.resolve(key);
    if (!fs.existsSync(file)) return [];
    const text = await new SafeFileReader(file, undefined, { timeout: this.timeout }).read();
    const lines = text.split('\n');
    // The last element is '' after a complete log; anything else is a record torn by a crash.
    lines.pop();
    return lines.filter((l) => l !== '').map((l, i) => {
      try {
        return JSON.parse(l) as T;
      } catch (err) {
        throw logRecordError(file, i + 1, err);
      }
    });
  }

  async delete(key: string): Promise<boolean> {
    const file = this.resolve(key);
    // The lock file stays: deleting it would split waiters across two inodes.
    return new FileLock(`${file}.lock`, { timeout: this.timeout }).acquireExclusive(async () => {
      try {
        await fsp.unlink(file);
      } catch (err) {
        if (isErrno(err, 'ENOENT')) return false;
        throw storageError(file, 'delete', err);
      }
      if (this.durable) {
        const dir = await fsp.open(path.dirname(file), fs.constants.O_RDONLY);
        try { await dir.sync(); } finally { await dir.close(); }
      }
      return true;
    });
  }

  /** Whether a value is stored at `key`. */
  async exists(key: string): Promise<boolean> {
    return fs.existsSync(this.resolve(key));
  }

  async list(prefix = ''): Promise<string[]> {
    const root = prefix === '' ? this.basePath : this.resolve(prefix);
    let entries: fs.Dirent[];
    try {
      entries = await fsp.readdir(root, { withFileTypes: true, recursive: true });
    } catch (err) {
      if (isErrno(err, 'ENOENT', 'ENOTDIR')) return [];
      throw err;
    }
    return entries
      .filter((e) => e.isFile() && !/\.lock(\.fence)?$/.test(e.name) && !/^\..*\.tmp$/.test(e.name))
      .map((e) => path.relative(this.basePath, path.join(e.parentPath ?? (e as { path: string }).path, e.name)))
      .sort();
  }
}
