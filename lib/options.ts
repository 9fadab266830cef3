/**
 * How every public constructor and method checks what it is given: unknown
 * option keys are refused with the list of known ones (a typo must never
 * silently mean a default), each kind of value is checked by one function,
 * and the same mistake always gets the same error class and `code`
 * (built in ./errors).
 *
 * Imports only ./errors, so every room can use it.
 */
import { invalidArgumentError, invalidOptionError, invalidPathError, unknownOptionError } from './errors';
import type { LockMode } from './errors';

/** The lock timeout everywhere, in ms: Python's `timeout=30.0` seconds. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Refuses a non-object `options` and any key not in `known`, suggesting the
 * closest known key. Returns the options as an object (`{}` for undefined).
 */
export function checkOptions<T extends object>(where: string, options: T | undefined, known: readonly (keyof T & string)[]): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidOptionError(where, 'options', 'an object', options);
  }
  for (const key of Object.keys(options)) {
    if (!(known as readonly string[]).includes(key)) throw unknownOptionError(where, key, known, closest(key, known));
  }
  return options;
}

/** A path to open: a non-empty string without NUL bytes. */
export function checkPath(p: unknown, where: string): asserts p is string {
  if (typeof p !== 'string') throw invalidPathError(where, `the path must be a string, got ${p === null ? 'null' : typeof p}`, p);
  if (p === '') throw invalidPathError(where, 'the path is empty', p);
  if (p.includes('\0')) throw invalidPathError(where, `the path contains a NUL byte: ${JSON.stringify(p)}`, p);
}

/** A wait in ms: 0 = one try, `Infinity` = forever. */
export function checkTimeout(value: unknown, where: string, name = 'timeout'): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw invalidOptionError(where, name, 'a number of milliseconds >= 0 (or Infinity)', value, typeof value === 'number');
  }
  return value;
}

/** A hold limit in ms (`maxHoldMs`); undefined = no limit. */
export function checkHoldLimit(value: unknown, where: string): number {
  return value === undefined ? Infinity : checkTimeout(value, where, 'maxHoldMs');
}

/** A positive, finite period in ms (`pollInterval`). */
export function checkPeriod(value: unknown, where: string, name: string): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw invalidOptionError(where, name, 'a positive number of milliseconds', value, typeof value === 'number');
  }
  return value;
}

/** A file mode for new files: an integer 0 to 0o7777 (write it as `0o644`). */
export function checkFileMode(value: unknown, where: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0o7777) {
    throw invalidOptionError(where, 'mode', 'a file mode from 0 to 0o7777 (e.g. 0o644)', value, typeof value === 'number');
  }
  return value;
}

/** A boolean option; undefined gives `fallback`. */
export function checkFlag(value: unknown, where: string, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidOptionError(where, name, 'true or false', value);
  return value;
}

/** One of a few strings; undefined gives the first. */
export function checkChoice<C extends string>(value: unknown, where: string, name: string, choices: readonly C[]): C {
  if (value === undefined) return choices[0];
  if (!(choices as readonly unknown[]).includes(value)) {
    throw invalidOptionError(where, name, choices.map((c) => JSON.stringify(c)).join(' or '), value);
  }
  return value as C;
}

/** An AbortSignal, or undefined. */
export function checkSignal(value: unknown, where: string): AbortSignal | undefined {
  if (value === undefined || value instanceof AbortSignal) return value;
  throw invalidOptionError(where, 'signal', 'an AbortSignal', value);
}

/** `'shared'` or `'exclusive'`. */
export function checkMode(mode: unknown, where: string): asserts mode is LockMode {
  if (mode !== 'shared' && mode !== 'exclusive') throw invalidArgumentError(where, 'the lock mode must be "shared" or "exclusive"', mode);
}

/** A function argument (a locked body, a modify function, a serializer …). */
export function checkFunction(fn: unknown, where: string, what: string): void {
  if (typeof fn !== 'function') throw invalidArgumentError(where, `${what} must be a function`, fn);
}

/** The known key nearest to a misspelled one (edit distance ≤ 2), if any. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}
