import { types } from 'node:util';
import type { FileLock, Hold, LockHandle, LockWaitOptions } from '../lock/file-lock';
import { invalidArgumentError, isErrno, missingWithoutInitialError, parseError, readError, serializeError } from '../errors';
import { checkFileMode, checkFlag, checkFunction, checkHoldLimit, checkOptions, checkSignal } from '../options';
import { dumpYaml, parseYaml } from '../yaml';
import { checkFence, checkFenceHandle, fenceGranted, type FencedHandle } from './fencing';
import { LockedFile } from './locked-file';
import { decodeFileText, readBytesKeptSync, readBytesSync, type KeptRead } from './file-text';
import { closePins } from './pending-file';
import { replaceFile, replaceFileSync, type ReplaceOptions } from './replace';
import type { NameAt } from '../native';

/** Options of {@link ReadModifyWrite}. */
export interface ReadModifyWriteOptions<T = unknown> extends LockWaitOptions {
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

const OUTCOME = Symbol('ReadModifyWrite.outcome');

/**
 * What an {@link ReadModifyWrite.update} function decides, made by its
 * {@link UpdateContext}: write `data` (or leave the file untouched) and hand
 * `result` to the caller.
 */
export interface UpdateOutcome<T, R> {
  /** @internal */
  readonly [OUTCOME]: true;
  /** True: replace the file with `data`. False: leave the file untouched. */
  readonly write: boolean;
  /** The new data (the data read, for a skip). */
  readonly data: T;
  /** What `update` resolves to. */
  readonly result: R;
}

/** The second argument of an {@link ReadModifyWrite.update} function. */
export interface UpdateContext<T> {
  /**
   * Write `data` and resolve `update` to `result`.
   * @example return op.write(queue, job);   // saves the queue, returns the job
   */
  write<R = undefined>(data: T, result?: R): UpdateOutcome<T, R>;
  /**
   * Write nothing: no temp file, no rename, no fsync; the file keeps its
   * bytes, inode and mtime (and a missing file stays missing). `update`
   * resolves to `result`.
   */
  skip<R = undefined>(result?: R): UpdateOutcome<T, R>;
}

/** Options of {@link ReadModifyWrite.update} and {@link ReadModifyWrite.updateSync}. */
export interface UpdateOptions<T> {
  /** Turns the file's text into data. Default: {@link parseYaml}. */
  deserializer?: Deserializer<T>;
  /** Turns the new data into the file's contents. Default: {@link dumpYaml}. */
  serializer?: Serializer<T>;
  /** Gives up waiting for the lock (async only). */
  signal?: AbortSignal;
  /** The caller already holds the lock through {@link acquireFenced}, as for {@link ReadModifyWrite.execute} (async only). */
  fence?: FencedHandle;
}

function outcome<T, R>(write: boolean, data: T, result: R): UpdateOutcome<T, R> {
  return { [OUTCOME]: true, write, data, result };
}

/** Makes the context of one update; `data` is what `skip` keeps. */
function contextFor<T>(data: T): UpdateContext<T> {
  return {
    write: <R>(next: T, result?: R) => outcome(true, next, result as R),
    skip: <R>(result?: R) => outcome(false, data, result as R),
  };
}

function isOutcome(v: unknown): v is UpdateOutcome<unknown, unknown> {
  return typeof v === 'object' && v !== null && (v as { [OUTCOME]?: unknown })[OUTCOME] === true;
}

/**
 * `T`, but not a place TypeScript infers `T` from (TypeScript 5.4's
 * `NoInfer`, spelled so that older compilers read the declarations too).
 * `initial: { tasks: [] }` would otherwise make the document type
 * `{ tasks: never[] }`.
 */
export type NoInference<T> = [T][T extends unknown ? 0 : never];

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

  /**
   * The document type `T` is yours to name (`new ReadModifyWrite<Queue>(…)`);
   * it is not inferred from `initial`. Without it, `modifyFn` gets `unknown`.
   */
  constructor(filePath: string, lockFile?: string, options?: ReadModifyWriteOptions<NoInference<T>>) {
    const o = checkOptions('ReadModifyWrite', options, ['durable', 'timeout', 'initial', 'mode', 'fenced', 'maxHoldMs', 'waitStrategy', 'pollInterval']);
    const file = new LockedFile('ReadModifyWrite', filePath, lockFile, o);
    this.filePath = file.filePath;
    this.lockFile = file.lockFile;
    this.#lock = file.lock;
    checkFlag(o.durable, 'ReadModifyWrite', 'durable', true);
    checkFlag(o.fenced, 'ReadModifyWrite', 'fenced', false);
    checkFileMode(o.mode, 'ReadModifyWrite');
    checkHoldLimit(o.maxHoldMs, 'ReadModifyWrite');
    this.#options = o as ReadModifyWriteOptions<T>;
  }

  /**
   * An updater of `at.name` in the open directory `at.dirFd`: read, temp
   * file, rename and directory fsync all relative to it, no symlink followed
   * (the caller resolved the name). `filePath` names it in messages and its
   * lock (which the caller registers with `lockBeneath`). @internal
   */
  static beneath<T>(filePath: string, at: NameAt, options?: ReadModifyWriteOptions<NoInference<T>>): ReadModifyWrite<T> {
    const rmw = new ReadModifyWrite<T>(filePath, undefined, options);
    rmw.#at = at;
    return rmw;
  }

  /**
   * Runs one update and returns what was written. `modifyFn(data)` may be
   * async; its return value is the new data. Returning `undefined` keeps
   * `data` itself, for functions that change it in place. An error thrown
   * by `modifyFn` propagates unchanged. Starting an update or a lock of this
   * file from `modifyFn` is refused with `ELOCKHELD` (it would wait for
   * itself); from a plain function that returns a promise, only until it
   * returns: make it `async` to have its awaits tracked. `opts.fence`: the caller already
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
    const update = async (fence: FencedHandle | undefined, lock: LockHandle | undefined, hold: Hold): Promise<Written<R, T>> => {
      let data!: T;
      let kept: KeptRead | undefined;
      // Read synchronously under the lock, as replaceFile writes: see there.
      const returned = hold(() => {
        ({ data, kept } = this.#load(pins, deserializer, serializer as Serializer<never>));
        return modifyFn(data);
      });
      const result = await returned;
      const next = (result === undefined ? data : result) as Written<R, T>;
      await replaceFile(this.filePath, hold(() => this.#serialize(next, serializer)), this.#writeOptions(fence, pins, lock, kept));
      return next;
    };
    try {
      // `fence`: the caller holds the lock through acquireFenced; no lock is taken.
      if (o.fence !== undefined) {
        checkFenceHandle(o.fence, this.lockFile, 'ReadModifyWrite.execute');
        return await update(o.fence, undefined, direct);
      }
      return await this.#underLock(modifyFn, checkSignal(o.signal, 'ReadModifyWrite.execute'),
        (lock, hold) => update(this.#fence(lock), lock, hold));
    } finally {
      closePins(pins);
    }
  }

  /**
   * Runs one update that decides for itself what to write and what to
   * return: `fn(data, op)` returns `op.write(newData, result)` to replace the
   * file and resolve to `result`, or `op.skip(result)` to leave the file
   * untouched (no temp file, no rename, no fsync: bytes, inode and mtime
   * unchanged) and resolve to `result`. Everything else is as
   * {@link ReadModifyWrite.execute}: one exclusive lock, the file untouched
   * on any error, an error from `fn` propagates unchanged.
   *
   * @example
   * ```ts
   * // Claim the next pending job, or do nothing when there is none.
   * const job = await rmw.update((queue, op) => {
   *   const next = queue.tasks.find((t) => t.status === 'pending');
   *   if (next === undefined) return op.skip(null);
   *   next.status = 'claimed';
   *   return op.write(queue, next);
   * });
   * ```
   */
  async update<O extends UpdateOutcome<T, unknown>>(fn: (data: T, op: UpdateContext<T>) => O | Promise<O>,
    opts?: UpdateOptions<T>): Promise<O['result']> {
    const o = checkOptions('ReadModifyWrite.update', opts, ['deserializer', 'serializer', 'signal', 'fence']);
    const deserializer = o.deserializer ?? parseYaml as Deserializer<T>;
    const serializer = o.serializer ?? dumpYaml as Serializer<T>;
    checkFunctions(fn, deserializer, serializer);
    const pins: number[] = [];
    const run = async (fence: FencedHandle | undefined, lock: LockHandle | undefined, hold: Hold): Promise<O['result']> => {
      let kept: KeptRead | undefined;
      const returned = hold(() => {
        let data: T;
        ({ data, kept } = this.#load(pins, deserializer, serializer as Serializer<never>));
        return fn(data, contextFor(data));
      });
      const decided = checkOutcome(await returned, 'ReadModifyWrite.update');
      if (decided.write) {
        await replaceFile(this.filePath, hold(() => this.#serialize(decided.data, serializer)), this.#writeOptions(fence, pins, lock, kept));
      }
      return decided.result;
    };
    try {
      if (o.fence !== undefined) {
        checkFenceHandle(o.fence, this.lockFile, 'ReadModifyWrite.update');
        return await run(o.fence, undefined, direct);
      }
      return await this.#underLock(fn, checkSignal(o.signal, 'ReadModifyWrite.update'),
        (lock, hold) => run(this.#fence(lock), lock, hold));
    } finally {
      closePins(pins);
    }
  }

  /** Synchronous {@link ReadModifyWrite.update}; `fn` must be synchronous. */
  updateSync<O extends UpdateOutcome<T, unknown>>(fn: (data: T, op: UpdateContext<T>) => O,
    opts?: Pick<UpdateOptions<T>, 'deserializer' | 'serializer'>): O['result'] {
    const o = checkOptions('ReadModifyWrite.updateSync', opts, ['deserializer', 'serializer']);
    const deserializer = o.deserializer ?? parseYaml as Deserializer<T>;
    const serializer = o.serializer ?? dumpYaml as Serializer<T>;
    checkFunctions(fn, deserializer, serializer);
    const pins: number[] = [];
    try {
      return this.#lock.acquireExclusiveSync((lock) => {
        const fence = this.#fence(lock);
        const { data, kept } = this.#load(pins, deserializer, serializer as Serializer<never>);
        const decided = checkOutcome(fn(data, contextFor(data)), 'ReadModifyWrite.updateSync');
        if (decided.write) {
          replaceFileSync(this.filePath, this.#serialize(decided.data, serializer), this.#writeOptions(fence, pins, undefined, kept));
        }
        return decided.result;
      });
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
      const { data, kept } = this.#load(pins, deserializer, serializer as Serializer<never>);
      const result = modifyFn(data);
      if (result instanceof Promise) {
        throw invalidArgumentError('ReadModifyWrite.executeSync', 'modifyFn returned a Promise; use execute() for async functions', result);
      }
      const next = (result === undefined ? data : result) as Written<R, T>;
      replaceFileSync(this.filePath, this.#serialize(next, serializer), this.#writeOptions(fence, pins, undefined, kept));
      return next;
    });
  }

  /**
   * Runs `body` under the exclusive lock. An `async` update function runs
   * as the body of acquireExclusive, whose chain tracking follows its
   * awaits. Any other function needs no tracking beyond its own run: its
   * code (and the read, parse and serialize around it) runs inside `hold`, a
   * synchronous held frame, and Node's promise hooks stay off. A plain
   * function that returns a promise is tracked until it returns.
   */
  #underLock<X>(userFn: unknown, signal: AbortSignal | undefined, body: (lock: LockHandle, hold: Hold) => Promise<X>): Promise<X> {
    if (types.isAsyncFunction(userFn)) return this.#lock.acquireExclusive((lock) => body(lock, direct), { signal });
    return this.#lock.withHolding('exclusive', body, { signal });
  }

  #fence(lock: LockHandle): FencedHandle | undefined {
    return this.#options.fenced === true ? fenceGranted(lock, this.#options.maxHoldMs) : undefined;
  }

  /** `lock`: the lock this update took, released right after the write (see ReplaceOptions.releasing). */
  #writeOptions(fence: FencedHandle | undefined, pins: number[], lock?: LockHandle, kept?: KeptRead): ReplaceOptions {
    return { durable: this.#options.durable ?? true, mode: this.#options.mode, pins, at: this.#at, releasing: lock, kept,
      beforeRename: fence === undefined ? undefined : () => checkFence(fence, this.filePath) };
  }

  /**
   * The file's data (from `initial` when it is missing). Read through a
   * descriptor that stays open in `pins` where it can be: the write that
   * follows keeps the replaced inode alive through it, and takes the
   * attributes from its `fstat` (see readBytesKeptSync). A symlink is read
   * through, as before, and the write finds its target itself.
   */
  #load(pins: number[], deserializer: Deserializer<T>, serializer: Serializer<never>): { data: T; kept?: KeptRead } {
    let kept: KeptRead;
    try {
      kept = readBytesKeptSync(this.filePath, this.#at);
    } catch (err) {
      const text = this.#at === undefined && isErrno(err, 'ELOOP') ? this.#readOrInitialSync() : this.#missing(err);
      return { data: this.#parse(text, deserializer, serializer) };
    }
    pins.push(kept.fd);
    return { data: this.#parse(decodeFileText(this.filePath, kept.bytes), deserializer, serializer), kept };
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

/** A body tracked by other means runs its code as it is. */
const direct: Hold = (code) => code();

/** What an update function returned must come from its context: anything else is a mistake, not data to write. */
function checkOutcome<T, R>(v: UpdateOutcome<T, R>, where: string): UpdateOutcome<T, R> {
  if (isOutcome(v)) return v;
  if ((v as unknown) instanceof Promise) throw invalidArgumentError(where, 'fn returned a Promise; use update() for async functions', v);
  throw invalidArgumentError(where, 'fn must return op.write(data, result) or op.skip(result)', v);
}

function checkFunctions(modifyFn: unknown, deserializer: unknown, serializer: unknown): void {
  checkFunction(modifyFn, 'ReadModifyWrite', 'modifyFn');
  checkFunction(deserializer, 'ReadModifyWrite', 'the deserializer');
  checkFunction(serializer, 'ReadModifyWrite', 'the serializer');
}
