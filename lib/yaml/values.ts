/**
 * The value model (Python <-> JS) that the constructor builds and the
 * representer writes: `YamlFloat`, `YamlDate`, `YamlDateTime`, `YamlTuple`,
 * Python's `isoformat` and Python's dict-key equality. PyYAML needs no such
 * module because Python has these types; it ports the parts of datetime and
 * dict semantics PyYAML relies on. Imports only node:buffer.
 *
 * PyYAML is Copyright (c) 2017-2021 Ingy döt Net and (c) 2006-2016 Kirill
 * Simonov, MIT License; this TypeScript port follows its structure and
 * rules, and is distributed under the same terms (see NOTICE).
 */

import { Buffer } from 'node:buffer';

/**
 * A Python `float` whose value is a safe integer (`1.0`, `-0.0`, `1.0e+15`).
 *
 * JavaScript has one number type, so a JS number that is a safe integer
 * is written back as a Python `int`. Wrapping such floats keeps
 * `ratio: 1.0` a float through a read-modify-write; other floats (`0.5`,
 * `1.5e+300`, anything beyond 2^53 - 1, `.inf`, `.nan`) stay plain numbers
 * because they are written as floats anyway. Arithmetic works through
 * `valueOf`; use `new YamlFloat(n)` to write an integral number as a float.
 */
export class YamlFloat {
  /** The IEEE-754 value. */
  readonly value: number;

  constructor(value: number) {
    if (typeof value !== 'number') {
      throw new TypeError(`YamlFloat needs a number, got ${typeof value}`);
    }
    this.value = value;
    Object.freeze(this);
  }

  /** The number, for arithmetic and comparisons. */
  valueOf(): number {
    return this.value;
  }

  /** The number as JavaScript prints it (`1`, not Python's `1.0`). */
  toString(): string {
    return String(this.value);
  }

  /** The number, so JSON.stringify writes a plain number. */
  toJSON(): number {
    return this.value;
  }

  /** The number, or its text where a string is wanted. */
  [Symbol.toPrimitive](hint: string): number | string {
    return hint === 'string' ? String(this.value) : this.value;
  }
}

const MIN_YEAR = 1;
const MAX_YEAR = 9999;

function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return leap ? 29 : 28;
  }
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Python's `datetime.date` argument checks, with its messages. */
export function checkDateFields(year: number, month: number, day: number): void {
  if (!Number.isInteger(year) || year < MIN_YEAR || year > MAX_YEAR) {
    throw new RangeError(`year ${year} is out of range`);
  }
  if (!Number.isInteger(month) || month < 1 || month > 12) {
    throw new RangeError('month must be in 1..12');
  }
  if (!Number.isInteger(day) || day < 1 || day > daysInMonth(year, month)) {
    throw new RangeError('day is out of range for month');
  }
}

/** `Date.UTC` maps years 0-99 to 1900-1999; Python years 1-99 are real. */
export function utcEpochMs(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
  if (year >= 100) return Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  return d.getTime();
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * A Python `datetime.date` (a timestamp without a time, `2026-02-06`).
 *
 * It is a `Date` at UTC midnight so that ordinary date code works, but it
 * is a distinct class so that the dumper writes it back as `2026-02-06`
 * rather than as a datetime. Only the UTC calendar date is significant.
 */
export class YamlDate extends Date {
  /** `month` is 1-12, as in Python's `datetime.date(year, month, day)`. */
  constructor(year: number, month: number, day: number) {
    checkDateFields(year, month, day);
    super(utcEpochMs(year, month, day));
  }

  /** The UTC calendar date of `date`. */
  static fromDate(date: Date): YamlDate {
    return new YamlDate(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate());
  }

  /** `YYYY-MM-DD`, what Python's `date.isoformat()` returns. */
  toISODateString(): string {
    return `${pad(this.getUTCFullYear(), 4)}-${pad(this.getUTCMonth() + 1, 2)}-${pad(this.getUTCDate(), 2)}`;
  }

  override toJSON(): string {
    return this.toISODateString();
  }
}

/** Options of {@link YamlDateTime}. */
export interface YamlDateTimeOptions {
  /** Microseconds within the millisecond (0-999), which `Date` cannot hold. */
  micros?: number;
  /**
   * Offset east of UTC in minutes (`+05:30` is 330), or `null` for a naive
   * timestamp that carries no zone. Must be strictly within +/- 24 hours.
   */
  utcOffsetMinutes?: number | null;
}

/**
 * A Python `datetime.datetime` as PyYAML builds it from a timestamp with a
 * time part.
 *
 * The `Date` value is the instant. A Python datetime also remembers its
 * fixed UTC offset (or that it has none) and has microseconds; both are
 * kept here so that `2026-02-06 10:00:00.123456+02:00` is written back
 * byte for byte. A naive timestamp (no zone in the text) is stored as if
 * its wall-clock time were UTC, like js-yaml does, with
 * `utcOffsetMinutes === null`.
 */
export class YamlDateTime extends Date {
  /** Microseconds within the millisecond (0-999). */
  readonly micros: number;
  /** Offset east of UTC in minutes, or `null` for a naive timestamp. */
  readonly utcOffsetMinutes: number | null;

  constructor(epochMs: number, options: YamlDateTimeOptions = {}) {
    const micros = options.micros ?? 0;
    const offset = options.utcOffsetMinutes === undefined ? null : options.utcOffsetMinutes;
    if (!Number.isInteger(micros) || micros < 0 || micros > 999) {
      throw new RangeError(`micros must be an integer in 0..999, got ${micros}`);
    }
    if (offset !== null && (!Number.isInteger(offset) || offset <= -1440 || offset >= 1440)) {
      throw new RangeError(
        `offset must be a whole number of minutes strictly between -24 and 24 hours, got ${offset}`,
      );
    }
    if (!Number.isFinite(epochMs) || !Number.isInteger(epochMs)) {
      throw new RangeError(`epochMs must be an integral number of milliseconds, got ${epochMs}`);
    }
    super(epochMs);
    this.micros = micros;
    this.utcOffsetMinutes = offset;
  }
}

/**
 * A Python `tuple`. `safe_load` turns `!!omap` and `!!pairs` into lists of
 * `(key, value)` tuples, and `yaml.dump` writes tuples as `!!python/tuple`
 * sequences; this class lets the dumper do the same.
 */
export class YamlTuple extends Array<unknown> {
  /** `map`, `filter` and friends return plain arrays, not tuples. */
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }

  constructor(...items: unknown[]) {
    super();
    for (const item of items) this.push(item);
  }
}

/** Python's `datetime.isoformat(sep)` for the values the dumper accepts. */
export function pythonIsoFormat(value: Date, sep: string): string {
  if (value instanceof YamlDate) return value.toISODateString();
  const ms = value.getTime();
  if (!Number.isFinite(ms)) throw new RangeError('invalid Date');
  let offset: number | null = 0;
  let micros = 0;
  if (value instanceof YamlDateTime) {
    offset = value.utcOffsetMinutes;
    micros = value.micros;
  }
  const wall = new Date(ms + (offset ?? 0) * 60_000);
  const year = wall.getUTCFullYear();
  if (year < MIN_YEAR || year > MAX_YEAR) {
    throw new RangeError(`year ${year} is out of the range Python's datetime supports (1..9999)`);
  }
  let text =
    `${pad(year, 4)}-${pad(wall.getUTCMonth() + 1, 2)}-${pad(wall.getUTCDate(), 2)}` +
    `${sep}${pad(wall.getUTCHours(), 2)}:${pad(wall.getUTCMinutes(), 2)}:${pad(wall.getUTCSeconds(), 2)}`;
  const microsecond = wall.getUTCMilliseconds() * 1000 + micros;
  if (microsecond !== 0) text += `.${pad(microsecond, 6)}`;
  if (offset !== null) {
    const sign = offset < 0 ? '-' : '+';
    const abs = Math.abs(offset);
    text += `${sign}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`;
  }
  return text;
}

/**
 * A string that identifies a Python dict key up to Python equality, so
 * that `1`, `1.0` and `true` collide as they do in a dict, and so do two
 * aware datetimes naming the same instant. @internal
 */
export function pythonKeyIdentity(key: unknown): string | undefined {
  if (key === null) return 'z';
  if (typeof key === 'string') return `s${key}`;
  if (typeof key === 'boolean') return key ? 'n1' : 'n0';
  if (typeof key === 'bigint') return `n${key}`;
  if (typeof key === 'number' || key instanceof YamlFloat) {
    const n = typeof key === 'number' ? key : key.value;
    return Number.isInteger(n) ? `n${BigInt(n)}` : `n${String(n)}`;
  }
  if (key instanceof YamlDate) return `d${key.toISODateString()}`;
  if (key instanceof Date) {
    const micros = key instanceof YamlDateTime ? key.micros : 0;
    const naive = key instanceof YamlDateTime && key.utcOffsetMinutes === null;
    return `${naive ? 'w' : 'a'}${BigInt(key.getTime()) * 1000n + BigInt(micros)}`;
  }
  if (key instanceof Uint8Array) return `b${Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex')}`;
  return undefined;
}
