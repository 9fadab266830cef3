import type { FileLock, LockWaitOptions } from '../lock/file-lock';
import { parseError, readError } from '../errors';
import { checkOptions, checkSignal } from '../options';
import { parseYaml } from '../yaml';
import type { NameAt } from '../native';
import { LockedFile } from './locked-file';
import { decodeFileText, readBytes, readBytesSync } from './file-text';

/** Options of {@link SafeFileReader}. */
export interface SafeReadOptions extends LockWaitOptions {
  /** Lock timeout in ms. Default 30 000. */
  timeout?: number;
}

/** The file's text, under the caller's lock (see ./file-text.ts). */
async function readText(filePath: string, at: NameAt | undefined): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await readBytes(filePath, at);
  } catch (err) {
    throw readError(filePath, err);
  }
  return decodeFileText(filePath, bytes);
}

/** @internal */
function readTextSync(filePath: string, at: NameAt | undefined): string {
  let bytes: Uint8Array;
  try {
    bytes = readBytesSync(filePath, at);
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
    const o = checkOptions('SafeFileReader', options, ['timeout', 'waitStrategy', 'pollInterval']);
    const file = new LockedFile('SafeFileReader', filePath, lockFile, o);
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
    // No user code runs under the lock: no chain to track.
    return this.#lock.withHolding('shared', () => readText(this.filePath, this.#at), { signal: checkSignal(o.signal, 'SafeFileReader.read') });
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
