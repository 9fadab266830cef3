import type { FileLock, LockHandle } from '../lock/file-lock';
import { invalidArgumentError, isErrno, missingWithoutInitialError, parseError, readError, serializeError } from '../errors';
import { checkFileMode, checkFlag, checkFunction, checkHoldLimit, checkOptions, checkSignal } from '../options';
import { dumpYaml, parseYaml } from '../yaml';
import { checkFence, checkFenceHandle, fenceGranted, type FencedHandle } from './fencing';
import { LockedFile } from './locked-file';
import { decodeFileText, readBytesSync } from './file-text';
import { closePins } from './pending-file';
import { replaceFile, replaceFileSync, type ReplaceOptions } from './replace';
import type { NameAt } from '../native';

/** Options of {@link ReadModifyWrite}. */
export interface ReadModifyWriteOptions<T = unknown> {
  /** fsync the new file and its directory before returning. Default true. */
  durable?: boolean;
  /** Lock timeout in ms. Default 30 000. */
  timeout?: number;
  /**
   * The value `modifyFn` gets when the file does not exist: serialized and
   * parsed back each time, so it is a fresh copy with a file's exact types.
   * Without it, a missing file is an `ENOENT` error.
   */
  initial?: T;
  /** Mode of a newly created file (umask applies). An existing file keeps its own mode. */
  mode?: number;
  /**
   * Fencing, as {@link AtomicWriteOptions.fenced}: each update takes the lock
   * with a new fencing token and checks it right before the rename; an update
   * whose lock was taken over meanwhile is refused with `EFENCED` and the
   * file is left as it was. Default false.
   */
  fenced?: boolean;
  /** With `fenced`: the update is refused (`EFENCED`) once this many ms have passed since the lock was granted. */
  maxHoldMs?: number;
}

/** Turns the file's text into data. Default: {@link parseYaml}. */
export type Deserializer<T> = (text: string) => T;
/** What an update writes: `modifyFn`'s result, or the input data when it returns nothing. */
export type Written<R, T> = [R] extends [void] ? T : R;
/** Turns data into the file's new contents. Default: {@link dumpYaml}. */
export type Serializer<T> = (data: T) => string | Uint8Array;

/**
 * One locked update of a file: read and parse it, let `modifyFn` change the
 * data, serialize, and replace the file atomically, all under the exclusive
 * lock, so concurrent updates from any process (Python's included) never
 * lose each other. If anything fails (parse, `modifyFn`, serialize, write),
 * the file is left byte for byte as it was and the lock is released.
 *
 * Python: `ReadModifyWrite(file_path, lock_file).execute(modify_fn, deserializer, serializer)`.
 * Defaults read and write YAML exactly as PyYAML does.
 */
export class ReadModifyWrite<T = unknown> {
  /** The file to update. */
  readonly filePath: string;
  /** The lock file; `filePath + '.lock'` unless given. */
  readonly lockFile: string;
  readonly #lock: FileLock;
  readonly #options: ReadModifyWriteOptions<T>;
  #at: NameAt | undefined;

  constructor(filePath: string, lockFile?: string, options?: ReadModifyWriteOptions<T>) {
    const o = checkOptions('ReadModifyWrite', options, ['durable', 'timeout', 'initial', 'mode', 'fenced', 'maxHoldMs']);
    const file = new LockedFile('ReadModifyWrite', filePath, lockFile, o.timeout);
    this.filePath = file.filePath;
    this.lockFile = file.lockFile;
    this.#lock = file.lock;
    checkFlag(o.durable, 'ReadModifyWrite', 'durable', true);
    checkFlag(o.fenced, 'ReadModifyWrite', 'fenced', false);
    checkFileMode(o.mode, 'ReadModifyWrite');
    checkHoldLimit(o.maxHoldMs, 'ReadModifyWrite');
    this.#options = o;
  }

  /**
   * An updater of `at.name` in the open directory `at.dirFd`: read, temp
   * file, rename and directory fsync all relative to it, no symlink followed
   * (the caller resolved the name). `filePath` names it in messages and its
   * lock (which the caller registers with `lockBeneath`). @internal
   */
  static beneath<T>(filePath: string, at: NameAt, options?: ReadModifyWriteOptions<T>): ReadModifyWrite<T> {
    const rmw = new ReadModifyWrite<T>(filePath, undefined, options);
    rmw.#at = at;
    return rmw;
  }

  /**
   * Runs one update and returns what was written. `modifyFn(data)` may be
   * async; its return value is the new data. Returning `undefined` keeps
   * `data` itself, for functions that change it in place. An error thrown
   * by `modifyFn` propagates unchanged. `opts.fence`: the caller already
   * holds this file's lock through {@link acquireFenced}; no lock is taken,
   * and the update is refused (`EFENCED`, file unchanged) unless the token is
   * still current right before the rename.
   */
  async execute<R = T>(modifyFn: (data: T) => R | Promise<R>,
    deserializer: Deserializer<T> = parseYaml as Deserializer<T>,
    serializer: Serializer<Written<R, T>> = dumpYaml as Serializer<Written<R, T>>,
    opts?: { signal?: AbortSignal; fence?: FencedHandle }): Promise<Written<R, T>> {
    checkFunctions(modifyFn, deserializer, serializer);
    const o = checkOptions('ReadModifyWrite.execute', opts, ['signal', 'fence']);
    // Closed after the lock is released: see ReplaceOptions.pins.
    const pins: number[] = [];
    const update = async (fence: FencedHandle | undefined): Promise<Written<R, T>> => {
      // Read synchronously under the lock, as replaceFile writes: see there.
      const data = this.#parse(this.#readOrInitialSync(), deserializer, serializer as Serializer<never>);
      const result = await modifyFn(data);
      const next = (result === undefined ? data : result) as Written<R, T>;
      await replaceFile(this.filePath, this.#serialize(next, serializer), this.#writeOptions(fence, pins));
      return next;
    };
    try {
      // `fence`: the caller holds the lock through acquireFenced; no lock is taken.
      if (o.fence !== undefined) {
        checkFenceHandle(o.fence, this.lockFile, 'ReadModifyWrite.execute');
        return await update(o.fence);
      }
      return await this.#lock.acquireExclusive((lock) => update(this.#fence(lock)),
        { signal: checkSignal(o.signal, 'ReadModifyWrite.execute') });
    } finally {
      closePins(pins);
    }
  }

  /** Synchronous {@link ReadModifyWrite.execute}; `modifyFn` must be synchronous. */
  executeSync<R = T>(modifyFn: (data: T) => R,
    deserializer: Deserializer<T> = parseYaml as Deserializer<T>,
    serializer: Serializer<Written<R, T>> = dumpYaml as Serializer<Written<R, T>>): Written<R, T> {
    checkFunctions(modifyFn, deserializer, serializer);
    const pins: number[] = [];
    try {
      return this.#runSync(modifyFn, deserializer, serializer, pins);
    } finally {
      closePins(pins);
    }
  }

  #runSync<R>(modifyFn: (data: T) => R, deserializer: Deserializer<T>, serializer: Serializer<Written<R, T>>,
    pins: number[]): Written<R, T> {
    return this.#lock.acquireExclusiveSync((lock) => {
      const fence = this.#fence(lock);
      const data = this.#parse(this.#readOrInitialSync(), deserializer, serializer as Serializer<never>);
      const result = modifyFn(data);
      if (result instanceof Promise) {
        throw invalidArgumentError('ReadModifyWrite.executeSync', 'modifyFn returned a Promise; use execute() for async functions', result);
      }
      const next = (result === undefined ? data : result) as Written<R, T>;
      replaceFileSync(this.filePath, this.#serialize(next, serializer), this.#writeOptions(fence, pins));
      return next;
    });
  }

  #fence(lock: LockHandle): FencedHandle | undefined {
    return this.#options.fenced === true ? fenceGranted(lock, this.#options.maxHoldMs) : undefined;
  }

  #writeOptions(fence: FencedHandle | undefined, pins: number[]): ReplaceOptions {
    return { durable: this.#options.durable ?? true, mode: this.#options.mode, pins, at: this.#at,
      beforeRename: fence === undefined ? undefined : () => checkFence(fence, this.filePath) };
  }

  #readOrInitialSync(): string | null {
    let bytes: Uint8Array;
    try {
      bytes = readBytesSync(this.filePath, this.#at);
    } catch (err) {
      return this.#missing(err);
    }
    return decodeFileText(this.filePath, bytes);
  }

  #missing(err: unknown): null {
    if (isErrno(err, 'ENOENT') && 'initial' in this.#options) return null;
    throw isErrno(err, 'ENOENT') ? missingWithoutInitialError(this.filePath, err) : readError(this.filePath, err);
  }

  #parse(text: string | null, deserializer: Deserializer<T>, serializer: Serializer<never>): T {
    // A missing file starts from `initial` as if it had been written and read
    // back: modifyFn gets a fresh copy with exactly the types a file gives.
    if (text === null) text = this.#initialText(serializer);
    try {
      return deserializer(text);
    } catch (err) {
      throw parseError(this.filePath, err);
    }
  }

  #initialText(serializer: Serializer<never>): string {
    const out = this.#serialize(this.#options.initial as never, serializer);
    return typeof out === 'string' ? out : Buffer.from(out).toString('utf8');
  }

  #serialize<V>(data: V, serializer: Serializer<V>): string | Uint8Array {
    let out: unknown;
    try {
      out = serializer(data);
    } catch (err) {
      throw serializeError(this.filePath, err);
    }
    if (typeof out !== 'string' && !(out instanceof Uint8Array)) {
      throw serializeError(this.filePath, new TypeError(`the serializer returned ${out === null ? 'null' : typeof out}, not a string or bytes`));
    }
    return out;
  }
}

function checkFunctions(modifyFn: unknown, deserializer: unknown, serializer: unknown): void {
  checkFunction(modifyFn, 'ReadModifyWrite', 'modifyFn');
  checkFunction(deserializer, 'ReadModifyWrite', 'the deserializer');
  checkFunction(serializer, 'ReadModifyWrite', 'the serializer');
}
