import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { FileLock } from './file-lock';
import { FileLockingError, codeOf, retryStale, retryStaleAsync } from './errors';
import { checkPath } from './paths';
import { parseYaml } from './yaml';

/** Options of {@link SafeFileReader}. */
export interface SafeReadOptions {
  /** Lock timeout in ms. Default 30 000. */
  timeout?: number;
}

/** @internal */
export function readError(filePath: string, err: unknown): FileLockingError {
  if (err instanceof FileLockingError) return err;
  const code = codeOf(err);
  const hint = code === 'ENOENT' ? ' The file does not exist.' : code === 'EISDIR' ? ' The path is a directory.'
    : code === 'ESTALE' ? ' Stale file handle twice in a row: another client of this network file system keeps replacing or removing it; retry later.' : '';
  return new FileLockingError(code, `Could not read ${filePath}: ${err instanceof Error ? err.message : String(err)}.${hint}`, filePath, err);
}

/** @internal */
export function parseError(filePath: string, err: unknown): FileLockingError {
  return new FileLockingError('EPARSE', `Could not parse ${filePath}: ${err instanceof Error ? err.message : String(err)}. ` +
    'The file was not changed; fix or restore it.', filePath, err);
}

// Read bytes and decode them ourselves: Node 20's readFileSync(path, 'utf8')
// fast path aborts the whole process when close() fails (ESTALE on network
// file systems); the Buffer path reports a catchable error. ESTALE (another
// client replaced the file) is retried once with a fresh lookup.
/** @internal */
export async function readText(filePath: string): Promise<string> {
  try {
    return (await retryStaleAsync(() => fsp.readFile(filePath))).toString('utf8');
  } catch (err) {
    throw readError(filePath, err);
  }
}

/** @internal */
export function readTextSync(filePath: string): string {
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

  constructor(filePath: string, lockFile?: string, options: SafeReadOptions = {}) {
    checkPath(filePath, 'SafeFileReader');
    this.filePath = filePath;
    this.lockFile = lockFile ?? `${filePath}.lock`;
    checkPath(this.lockFile, 'SafeFileReader lockFile');
    this.#lock = new FileLock(this.lockFile, { timeout: options.timeout ?? 30_000 });
  }

  /** The file's text (UTF-8). Python: `read()`. */
  read(opts?: { signal?: AbortSignal }): Promise<string> {
    return this.#lock.acquireShared(() => readText(this.filePath), opts);
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
