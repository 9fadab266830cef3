import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import type { FileLock } from '../lock/file-lock';
import { parseError, readError } from '../errors';
import { checkOptions, checkSignal } from '../options';
import { parseYaml } from '../yaml';
import { LockedFile } from './locked-file';
import { retryStale, retryStaleAsync } from './stale-retry';

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
async function readText(filePath: string): Promise<string> {
  try {
    return (await retryStaleAsync(() => fsp.readFile(filePath))).toString('utf8');
  } catch (err) {
    throw readError(filePath, err);
  }
}

/** @internal */
function readTextSync(filePath: string): string {
  try {
    return retryStale(() => fs.readFileSync(filePath)).toString('utf8');
  } catch (err) {
    throw readError(filePath, err);
  }
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

  constructor(filePath: string, lockFile?: string, options?: SafeReadOptions) {
    const o = checkOptions('SafeFileReader', options, ['timeout']);
    const file = new LockedFile('SafeFileReader', filePath, lockFile, o.timeout);
    this.filePath = file.filePath;
    this.lockFile = file.lockFile;
    this.#lock = file.lock;
  }

  /** The file's text (UTF-8). Python: `read()`. */
  async read(opts?: { signal?: AbortSignal }): Promise<string> {
    const o = checkOptions('SafeFileReader.read', opts, ['signal']);
    return this.#lock.acquireShared(() => readText(this.filePath), { signal: checkSignal(o.signal, 'SafeFileReader.read') });
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
    return this.#lock.acquireSharedSync(() => readTextSync(this.filePath));
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
