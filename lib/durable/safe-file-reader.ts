import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { promisify } from 'node:util';
import type { FileLock } from '../lock/file-lock';
import { parseError, readError } from '../errors';
import { checkOptions, checkSignal } from '../options';
import { parseYaml } from '../yaml';
import { LockedFile } from './locked-file';
import { decodeFileText } from './text';
import { retryStale, retryStaleAsync } from './stale-retry';
import { native, type NameAt } from '../native';

const { O_RDONLY, O_NOFOLLOW } = fs.constants;
const readFd = promisify(fs.readFile);

/** The bytes of `at.name` in its open directory; O_NOFOLLOW, as the caller resolved any symlink. @internal */
export function readBytesAtSync(at: NameAt): Buffer {
  const fd = native.openat(at.dirFd, at.name, O_RDONLY | O_NOFOLLOW, 0);
  try {
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

async function readBytesAt(at: NameAt): Promise<Buffer> {
  const fd = native.openat(at.dirFd, at.name, O_RDONLY | O_NOFOLLOW, 0);
  try {
    return await readFd(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Options of {@link SafeFileReader}. */
export interface SafeReadOptions {
  /** Lock timeout in ms. Default 30 000. */
  timeout?: number;
}

// Read bytes and decode them ourselves: Node 20's readFileSync(path, 'utf8')
// fast path aborts the whole process when close() fails (ESTALE on network
// file systems); the Buffer path reports a catchable error. ESTALE (another
// client replaced the file) is retried once with a fresh lookup.
/** @internal */
async function readText(filePath: string, at: NameAt | undefined): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await retryStaleAsync(() => at === undefined ? fsp.readFile(filePath) : readBytesAt(at));
  } catch (err) {
    throw readError(filePath, err);
  }
  return decodeFileText(filePath, bytes);
}

/** @internal */
function readTextSync(filePath: string, at: NameAt | undefined): string {
  let bytes: Uint8Array;
  try {
    bytes = retryStale(() => at === undefined ? fs.readFileSync(filePath) : readBytesAtSync(at));
  } catch (err) {
    throw readError(filePath, err);
  }
  return decodeFileText(filePath, bytes);
}

/**
 * Reads a file under the shared lock, so it never sees a writer's half-done
 * state (writers here replace atomically anyway; the lock also orders reads
 * after a read-modify-write in progress). Python: `SafeFileReader`.
 */
export class SafeFileReader {
  /** The file to read. */
  readonly filePath: string;
  /** The lock file; `filePath + '.lock'` unless given. */
  readonly lockFile: string;
  readonly #lock: FileLock;
  #at: NameAt | undefined;

  constructor(filePath: string, lockFile?: string, options?: SafeReadOptions) {
    const o = checkOptions('SafeFileReader', options, ['timeout']);
    const file = new LockedFile('SafeFileReader', filePath, lockFile, o.timeout);
    this.filePath = file.filePath;
    this.lockFile = file.lockFile;
    this.#lock = file.lock;
  }

  /**
   * A reader of `at.name` in the open directory `at.dirFd`, opened relative
   * to it; `filePath` names it in messages and its lock (which the caller
   * registers with `lockBeneath`). @internal
   */
  static beneath(filePath: string, at: NameAt, options?: SafeReadOptions): SafeFileReader {
    const reader = new SafeFileReader(filePath, undefined, options);
    reader.#at = at;
    return reader;
  }

  /** The file's text (UTF-8). Python: `read()`. */
  async read(opts?: { signal?: AbortSignal }): Promise<string> {
    const o = checkOptions('SafeFileReader.read', opts, ['signal']);
    return this.#lock.acquireShared(() => readText(this.filePath, this.#at), { signal: checkSignal(o.signal, 'SafeFileReader.read') });
  }

  /** The file parsed as YAML with PyYAML's meaning. Python: `read_yaml()`. */
  async readYaml<T = unknown>(opts?: { signal?: AbortSignal }): Promise<T> {
    const text = await this.read(opts);
    try {
      return parseYaml(text) as T;
    } catch (err) {
      throw parseError(this.filePath, err);
    }
  }

  /** Synchronous {@link SafeFileReader.read}; blocks for at most the lock timeout. */
  readSync(): string {
    return this.#lock.acquireSharedSync(() => readTextSync(this.filePath, this.#at));
  }

  /** Synchronous {@link SafeFileReader.readYaml}. */
  readYamlSync<T = unknown>(): T {
    const text = this.readSync();
    try {
      return parseYaml(text) as T;
    } catch (err) {
      throw parseError(this.filePath, err);
    }
  }
}
