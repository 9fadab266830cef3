/**
 * YAML loading with the exact meaning of PyYAML 6.0's `yaml.safe_load`.
 *
 * This module is a line-by-line port of PyYAML's pure-Python loader (reader,
 * scanner, parser, composer, resolver and `SafeConstructor`). js-yaml cannot
 * be coerced into this role: its loader converts every mapping key to a
 * string, throws on duplicate keys, lets a second `<<` lose to the first,
 * accepts re-defined anchors and does not treat NEL / LS / PS as line breaks,
 * all of which PyYAML does differently. Porting the reference implementation
 * is the only way to agree with a Python peer on every document.
 *
 * It also holds the value model shared with the dumper (`yaml-dump.ts`),
 * because those classes are what the loader produces.

 *
 * PyYAML is Copyright (c) 2017-2021 Ingy döt Net and (c) 2006-2016 Kirill
 * Simonov, MIT License; this TypeScript port follows its structure and
 * rules, and is distributed under the same terms (see NOTICE).
 */

import { Buffer } from 'node:buffer';

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/** Base class of every error thrown by the YAML layer. */
export class YamlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'YamlError';
  }
}

/**
 * A document that PyYAML's `safe_load` would reject (syntax error, unknown
 * tag, invalid scalar for an explicit tag, ...). `line` and `column` are
 * 1-based and point at the problem when it has a position.
 */
export class YamlParseError extends YamlError {
  /** 1-based line of the problem, when known. */
  readonly line: number | undefined;
  /** 1-based column of the problem, when known. */
  readonly column: number | undefined;

  constructor(message: string, line?: number, column?: number) {
    super(message);
    this.name = 'YamlParseError';
    this.line = line;
    this.column = column;
  }
}

// ---------------------------------------------------------------------------
// Value model
// ---------------------------------------------------------------------------

/**
 * A Python `float` whose value is integral (`1.0`, `-0.0`, `1.0e+20`).
 *
 * JavaScript has one number type, so an integral JS number is written back
 * as a Python `int`. Wrapping integral floats keeps `ratio: 1.0` a float
 * through a read-modify-write; non-integral floats (`0.5`), `.inf` and
 * `.nan` stay plain numbers because they cannot be mistaken for ints.
 * Arithmetic works through `valueOf`; use `new YamlFloat(n)` to write an
 * integral number as a float.
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
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Python's `datetime.date` argument checks, with its messages. */
function checkDateFields(year: number, month: number, day: number): void {
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
function utcEpochMs(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
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

// ---------------------------------------------------------------------------
// Resolver (resolver.py) and scalar constructors (constructor.py)
// ---------------------------------------------------------------------------

/** Standard tags, spelled as PyYAML spells them. */
export const TAG = {
  null: 'tag:yaml.org,2002:null',
  bool: 'tag:yaml.org,2002:bool',
  int: 'tag:yaml.org,2002:int',
  float: 'tag:yaml.org,2002:float',
  str: 'tag:yaml.org,2002:str',
  binary: 'tag:yaml.org,2002:binary',
  timestamp: 'tag:yaml.org,2002:timestamp',
  seq: 'tag:yaml.org,2002:seq',
  map: 'tag:yaml.org,2002:map',
  set: 'tag:yaml.org,2002:set',
  omap: 'tag:yaml.org,2002:omap',
  pairs: 'tag:yaml.org,2002:pairs',
  merge: 'tag:yaml.org,2002:merge',
  value: 'tag:yaml.org,2002:value',
  yaml: 'tag:yaml.org,2002:yaml',
  pythonTuple: 'tag:yaml.org,2002:python/tuple',
} as const;

// Python's `$` also matches before a final newline; `\n?$` keeps that, which
// matters when the dumper asks whether a string like "yes\n" would resolve.
/** PyYAML's YAML 1.1 implicit resolvers, as JS regexes. @internal */
export const RESOLVER_REGEXPS = {
  bool: /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)\n?$/,
  float:
    /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\n?$/,
  int: /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)\n?$/,
  merge: /^(?:<<)\n?$/,
  null: /^(?:~|null|Null|NULL|)\n?$/,
  timestamp:
    /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)\n?$/,
  value: /^(?:=)\n?$/,
  yaml: /^(?:!|&|\*)\n?$/,
} as const;

// Registration order matters: PyYAML tries the resolvers for a first
// character in the order they were added.
const IMPLICIT_RESOLVERS: ReadonlyArray<[string, RegExp, string[]]> = [
  [TAG.bool, RESOLVER_REGEXPS.bool, [...'yYnNtTfFoO']],
  [TAG.float, RESOLVER_REGEXPS.float, [...'-+0123456789.']],
  [TAG.int, RESOLVER_REGEXPS.int, [...'-+0123456789']],
  [TAG.merge, RESOLVER_REGEXPS.merge, ['<']],
  [TAG.null, RESOLVER_REGEXPS.null, ['~', 'n', 'N', '']],
  [TAG.timestamp, RESOLVER_REGEXPS.timestamp, [...'0123456789']],
  [TAG.value, RESOLVER_REGEXPS.value, ['=']],
  [TAG.yaml, RESOLVER_REGEXPS.yaml, [...'!&*']],
];

const RESOLVERS_BY_FIRST = new Map<string, Array<[string, RegExp]>>();
for (const [tag, re, firsts] of IMPLICIT_RESOLVERS) {
  for (const ch of firsts) {
    let list = RESOLVERS_BY_FIRST.get(ch);
    if (!list) RESOLVERS_BY_FIRST.set(ch, (list = []));
    list.push([tag, re]);
  }
}

/**
 * The tag PyYAML's resolver gives a plain scalar with this text
 * (`Resolver.resolve(ScalarNode, value, (True, False))`). @internal
 */
export function resolveImplicitTag(value: string): string {
  const resolvers = RESOLVERS_BY_FIRST.get(value === '' ? '' : value[0]);
  if (resolvers) {
    for (const [tag, re] of resolvers) {
      if (re.test(value)) return tag;
    }
  }
  return TAG.str;
}

// Python's str.isspace() set, which int() and float() strip.
const PY_WHITESPACE = ' \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';

function pyStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && PY_WHITESPACE.includes(s[start])) start++;
  while (end > start && PY_WHITESPACE.includes(s[end - 1])) end--;
  return s.slice(start, end);
}

const DIGITS_BY_BASE: Record<number, RegExp> = {
  2: /^[01]+$/,
  8: /^[0-7]+$/,
  10: /^[0-9]+$/,
  16: /^[0-9a-fA-F]+$/,
};
const PREFIX_BY_BASE: Record<number, string> = { 2: '0b', 8: '0o', 16: '0x' };

/** Python's `int(text, base)` for the inputs PyYAML hands it. */
function pyInt(text: string, base: 2 | 8 | 10 | 16): bigint {
  let s = pyStrip(text);
  let negative = false;
  if (s[0] === '+' || s[0] === '-') {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  const prefix = PREFIX_BY_BASE[base];
  if (prefix && s.length > 2 && s.slice(0, 2).toLowerCase() === prefix) s = s.slice(2);
  if (!DIGITS_BY_BASE[base].test(s)) {
    throw new Error(`invalid literal for int() with base ${base}: '${text}'`);
  }
  const digits = base === 10 ? s : `${prefix}${s}`;
  const value = BigInt(digits);
  return negative ? -value : value;
}

/** Python's `float(text)`. */
function pyFloat(text: string): number {
  const s = pyStrip(text);
  const m = /^([+-]?)(?:(inf|infinity)|(nan)|((?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?))$/i.exec(s);
  if (!m) throw new Error(`could not convert string to float: '${text}'`);
  const sign = m[1] === '-' ? -1 : 1;
  if (m[2]) return sign * Infinity;
  if (m[3]) return NaN;
  return sign * Number(m[4]);
}

function intResult(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/**
 * `SafeConstructor.construct_yaml_int`: `0755` is octal, `0b`/`0x`
 * prefixes, `_` separators, `1:30` is sexagesimal (90). Ints outside the
 * safe-integer range are returned as `bigint`. @internal
 */
export function constructYamlInt(text: string): number | bigint {
  let value = text.replace(/_/g, '');
  if (value === '') throw new Error(`invalid literal for int(): '${text}'`);
  const sign = value[0] === '-' ? -1n : 1n;
  if ('+-'.includes(value[0])) value = value.slice(1);
  if (value === '0') return 0;
  if (value.startsWith('0b')) return intResult(sign * pyInt(value.slice(2), 2));
  if (value.startsWith('0x')) return intResult(sign * pyInt(value.slice(2), 16));
  if (value[0] === '0') return intResult(sign * pyInt(value, 8));
  if (value.includes(':')) {
    const digits = value.split(':').map((part) => pyInt(part, 10)).reverse();
    let base = 1n;
    let total = 0n;
    for (const digit of digits) {
      total += digit * base;
      base *= 60n;
    }
    return intResult(sign * total);
  }
  return intResult(sign * pyInt(value, 10));
}

function floatResult(value: number): number | YamlFloat {
  return Number.isInteger(value) ? new YamlFloat(value) : value;
}

/**
 * `SafeConstructor.construct_yaml_float`. Integral results are wrapped in
 * {@link YamlFloat} so that they stay floats when written back. @internal
 */
export function constructYamlFloat(text: string): number | YamlFloat {
  let value = text.replace(/_/g, '').toLowerCase();
  if (value === '') throw new Error(`could not convert string to float: '${text}'`);
  const sign = value[0] === '-' ? -1 : 1;
  if ('+-'.includes(value[0])) value = value.slice(1);
  if (value === '.inf') return sign * Infinity;
  if (value === '.nan') return NaN;
  if (value.includes(':')) {
    const digits = value.split(':').map(pyFloat).reverse();
    let base = 1;
    let total = 0.0;
    for (const digit of digits) {
      total += digit * base;
      base *= 60;
    }
    return floatResult(sign * total);
  }
  return floatResult(sign * pyFloat(value));
}

const BOOL_VALUES: Record<string, boolean> = {
  yes: true,
  no: false,
  true: true,
  false: false,
  on: true,
  off: false,
};

/** `SafeConstructor.construct_yaml_bool`. @internal */
export function constructYamlBool(text: string): boolean {
  const key = text.toLowerCase();
  if (!Object.prototype.hasOwnProperty.call(BOOL_VALUES, key)) {
    throw new Error(`'${text}' is not a YAML 1.1 boolean`);
  }
  return BOOL_VALUES[key];
}

const TIMESTAMP_REGEXP =
  /^([0-9][0-9][0-9][0-9])-([0-9][0-9]?)-([0-9][0-9]?)(?:(?:[Tt]|[ \t]+)([0-9][0-9]?):([0-9][0-9]):([0-9][0-9])(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9][0-9]?)(?::([0-9][0-9]))?))?)?\n?$/;

/**
 * `SafeConstructor.construct_yaml_timestamp`: a date-only value becomes a
 * {@link YamlDate}, anything with a time a {@link YamlDateTime}. @internal
 */
export function constructYamlTimestamp(text: string): YamlDate | YamlDateTime {
  const m = TIMESTAMP_REGEXP.exec(text);
  if (!m) throw new Error(`'${text}' is not a timestamp`);
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (!m[4]) return new YamlDate(year, month, day);
  checkDateFields(year, month, day);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (hour > 23) throw new RangeError('hour must be in 0..23');
  if (minute > 59) throw new RangeError('minute must be in 0..59');
  if (second > 59) throw new RangeError('second must be in 0..59');
  let fraction = 0;
  if (m[7]) fraction = Number(m[7].slice(0, 6).padEnd(6, '0'));
  let offset: number | null = null;
  if (m[9]) {
    offset = Number(m[10]) * 60 + Number(m[11] ?? 0);
    if (m[9] === '-') offset = -offset;
    if (offset <= -1440 || offset >= 1440) {
      throw new RangeError('offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24)');
    }
  } else if (m[8]) {
    offset = 0;
  }
  const wallMs = utcEpochMs(year, month, day, hour, minute, second, Math.floor(fraction / 1000));
  return new YamlDateTime(wallMs - (offset ?? 0) * 60_000, { micros: fraction % 1000, utcOffsetMinutes: offset });
}

const B64_TABLE = new Map<string, number>(
  [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].map((ch, i) => [ch, i]),
);

/**
 * `SafeConstructor.construct_yaml_binary`: ASCII only, then CPython's
 * non-strict `binascii.a2b_base64`, which skips foreign characters but
 * insists on correct padding (Node's decoder accepts anything). @internal
 */
export function constructYamlBinary(text: string): Buffer {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) {
      throw new Error(`failed to convert base64 data into ascii: non-ASCII character at position ${i}`);
    }
  }
  const out: number[] = [];
  let quadPos = 0;
  let leftChar = 0;
  let pads = 0;
  let complete = false;
  for (const ch of text) {
    if (ch === '=') {
      if (quadPos >= 2 && quadPos + ++pads >= 4) {
        complete = true;
        break;
      }
      continue;
    }
    const v = B64_TABLE.get(ch);
    if (v === undefined) continue;
    pads = 0;
    switch (quadPos) {
      case 0:
        quadPos = 1;
        leftChar = v;
        break;
      case 1:
        quadPos = 2;
        out.push(((leftChar << 2) | (v >> 4)) & 0xff);
        leftChar = v & 0x0f;
        break;
      case 2:
        quadPos = 3;
        out.push(((leftChar << 4) | (v >> 2)) & 0xff);
        leftChar = v & 0x03;
        break;
      default:
        quadPos = 0;
        out.push(((leftChar << 6) | v) & 0xff);
        leftChar = 0;
    }
  }
  if (!complete && quadPos !== 0) {
    throw new Error(
      quadPos === 1
        ? 'failed to decode base64 data: number of data characters cannot be 1 more than a multiple of 4'
        : 'failed to decode base64 data: Incorrect padding',
    );
  }
  return Buffer.from(out);
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

// ---------------------------------------------------------------------------
// Reader + Scanner (reader.py, scanner.py)
// ---------------------------------------------------------------------------

interface Mark {
  readonly index: number;
  readonly line: number;
  readonly column: number;
}

/** PyYAML's MarkedYAMLError layout on one line: "context (at): problem (at)". */
function markedError(context: string | null, contextMark: Mark | null, problem: string, problemMark: Mark | null): YamlParseError {
  const where = (m: Mark | null): string => (m ? ` (line ${m.line + 1}, column ${m.column + 1})` : '');
  // Like PyYAML, name the context's position only when it adds information.
  const sameSpot = contextMark !== null && problemMark !== null && contextMark.index === problemMark.index;
  const head = context ? `${context}${sameSpot ? '' : where(contextMark)}: ` : '';
  const mark = problemMark ?? contextMark;
  return new YamlParseError(`${head}${problem}${where(problemMark)}`, mark ? mark.line + 1 : undefined, mark ? mark.column + 1 : undefined);
}

type TokenType =
  | '<stream start>'
  | '<stream end>'
  | '<directive>'
  | '<document start>'
  | '<document end>'
  | '<block sequence start>'
  | '<block mapping start>'
  | '<block end>'
  | '['
  | '{'
  | ']'
  | '}'
  | ','
  | '-'
  | '?'
  | ':'
  | '<alias>'
  | '<anchor>'
  | '<tag>'
  | '<scalar>';

type ScalarStyle = "'" | '"' | '|' | '>';

interface Token {
  readonly type: TokenType;
  readonly start: Mark;
  readonly end: Mark;
  /** Alias, anchor and scalar text. */
  readonly value?: string;
  /** `<tag>`: handle (or null for verbatim) and suffix. */
  readonly tag?: readonly [string | null, string];
  readonly plain?: boolean;
  readonly style?: ScalarStyle | null;
  /** `<directive>` */
  readonly name?: string;
  readonly version?: readonly [number, number];
  readonly tagDirective?: readonly [string, string];
}

interface SimpleKey {
  tokenNumber: number;
  required: boolean;
  index: number;
  line: number;
  column: number;
  mark: Mark;
}

const BLANKZ = '\0 \t\r\n\x85\u2028\u2029';
const BREAKZ = '\0\r\n\x85\u2028\u2029';
const BREAKS = '\r\n\x85\u2028\u2029';
const SPACE_BREAKZ = '\0 \r\n\x85\u2028\u2029';
const LINE_BREAKS = '\n\x85\u2028\u2029';
const HEX = '0123456789ABCDEFabcdef';

const NON_PRINTABLE = /[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function isWordChar(ch: string): boolean {
  return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch === '-' || ch === '_';
}

const ESCAPE_REPLACEMENTS: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\x08',
  t: '\x09',
  '\t': '\x09',
  n: '\x0A',
  v: '\x0B',
  f: '\x0C',
  r: '\x0D',
  e: '\x1B',
  ' ': '\x20',
  '"': '"',
  '\\': '\\',
  '/': '/',
  N: '\x85',
  _: '\xA0',
  L: '\u2028',
  P: '\u2029',
};

const ESCAPE_CODES: Record<string, number> = { x: 2, u: 4, U: 8 };

class Scanner {
  // The input indexed by code point, as Python indexes its str: columns and
  // the 1024-character simple-key limit count code points. Without astral
  // characters the string itself already is that (the reader has rejected
  // lone surrogates), which spares an array of one-character strings.
  private readonly buffer: string | string[];
  private pointer = 0;
  private line = 0;
  private column = 0;

  private done = false;
  private flowLevel = 0;
  private tokens: Token[] = [];
  private tokensTaken = 0;
  private indent = -1;
  private readonly indents: number[] = [];
  private allowSimpleKey = true;
  private possibleSimpleKeys = new Map<number, SimpleKey>();

  constructor(text: string) {
    const bad = NON_PRINTABLE.exec(text);
    if (bad) {
      const before = text.slice(0, bad.index);
      const line = before.split('\n').length;
      const column = Array.from(before.slice(before.lastIndexOf('\n') + 1)).length + 1;
      const code = bad[0].codePointAt(0) ?? 0;
      throw new YamlParseError(
        `unacceptable character #x${code.toString(16).padStart(4, '0')}: special characters are not allowed (line ${line}, column ${column})`,
        line,
        column,
      );
    }
    this.buffer = /[\uD800-\uDFFF]/.test(text) ? [...Array.from(text), '\0'] : `${text}\0`;
    this.tokens.push({ type: '<stream start>', start: this.getMark(), end: this.getMark() });
  }

  // -- reader --

  private peek(index = 0): string {
    return this.buffer[this.pointer + index] ?? '\0';
  }

  private prefix(length = 1): string {
    const buffer = this.buffer;
    return typeof buffer === 'string'
      ? buffer.slice(this.pointer, this.pointer + length)
      : buffer.slice(this.pointer, this.pointer + length).join('');
  }

  private forward(length = 1): void {
    while (length) {
      const ch = this.buffer[this.pointer];
      this.pointer++;
      if (LINE_BREAKS.includes(ch) || (ch === '\r' && this.buffer[this.pointer] !== '\n')) {
        this.line++;
        this.column = 0;
      } else if (ch !== '\uFEFF') {
        this.column++;
      }
      length--;
    }
  }

  private getMark(): Mark {
    return { index: this.pointer, line: this.line, column: this.column };
  }

  // -- public --

  checkToken(...choices: TokenType[]): boolean {
    while (this.needMoreTokens()) this.fetchMoreTokens();
    if (this.tokens.length) {
      if (!choices.length) return true;
      return choices.includes(this.tokens[0].type);
    }
    return false;
  }

  peekToken(): Token | undefined {
    while (this.needMoreTokens()) this.fetchMoreTokens();
    return this.tokens[0];
  }

  getToken(): Token | undefined {
    while (this.needMoreTokens()) this.fetchMoreTokens();
    if (this.tokens.length) {
      this.tokensTaken++;
      return this.tokens.shift();
    }
    return undefined;
  }

  // -- private --

  private needMoreTokens(): boolean {
    if (this.done) return false;
    if (!this.tokens.length) return true;
    this.stalePossibleSimpleKeys();
    return this.nextPossibleSimpleKey() === this.tokensTaken;
  }

  private fetchMoreTokens(): void {
    this.scanToNextToken();
    this.stalePossibleSimpleKeys();
    this.unwindIndent(this.column);
    const ch = this.peek();
    if (ch === '\0') return this.fetchStreamEnd();
    if (ch === '%' && this.checkDirective()) return this.fetchDirective();
    if (ch === '-' && this.checkDocumentStart()) return this.fetchDocumentIndicator('<document start>');
    if (ch === '.' && this.checkDocumentEnd()) return this.fetchDocumentIndicator('<document end>');
    if (ch === '[') return this.fetchFlowCollectionStart('[');
    if (ch === '{') return this.fetchFlowCollectionStart('{');
    if (ch === ']') return this.fetchFlowCollectionEnd(']');
    if (ch === '}') return this.fetchFlowCollectionEnd('}');
    if (ch === ',') return this.fetchFlowEntry();
    if (ch === '-' && this.checkBlockEntry()) return this.fetchBlockEntry();
    if (ch === '?' && this.checkKey()) return this.fetchKey();
    if (ch === ':' && this.checkValue()) return this.fetchValue();
    if (ch === '*') return this.fetchAlias();
    if (ch === '&') return this.fetchAnchor();
    if (ch === '!') return this.fetchTag();
    if (ch === '|' && !this.flowLevel) return this.fetchBlockScalar('|');
    if (ch === '>' && !this.flowLevel) return this.fetchBlockScalar('>');
    if (ch === "'") return this.fetchFlowScalar("'");
    if (ch === '"') return this.fetchFlowScalar('"');
    if (this.checkPlain()) return this.fetchPlain();
    throw markedError(
      'while scanning for the next token',
      null,
      `found character ${pyRepr(ch)} that cannot start any token`,
      this.getMark(),
    );
  }

  private nextPossibleSimpleKey(): number | null {
    let min: number | null = null;
    for (const key of this.possibleSimpleKeys.values()) {
      if (min === null || key.tokenNumber < min) min = key.tokenNumber;
    }
    return min;
  }

  private stalePossibleSimpleKeys(): void {
    // Deleting the entry being visited is safe while iterating a Map.
    for (const [level, key] of this.possibleSimpleKeys) {
      if (key.line !== this.line || this.pointer - key.index > 1024) {
        if (key.required) {
          throw markedError('while scanning a simple key', key.mark, "could not find expected ':'", this.getMark());
        }
        this.possibleSimpleKeys.delete(level);
      }
    }
  }

  private savePossibleSimpleKey(): void {
    const required = !this.flowLevel && this.indent === this.column;
    if (this.allowSimpleKey) {
      this.removePossibleSimpleKey();
      const tokenNumber = this.tokensTaken + this.tokens.length;
      this.possibleSimpleKeys.set(this.flowLevel, {
        tokenNumber,
        required,
        index: this.pointer,
        line: this.line,
        column: this.column,
        mark: this.getMark(),
      });
    }
  }

  private removePossibleSimpleKey(): void {
    const key = this.possibleSimpleKeys.get(this.flowLevel);
    if (key) {
      if (key.required) {
        throw markedError('while scanning a simple key', key.mark, "could not find expected ':'", this.getMark());
      }
      this.possibleSimpleKeys.delete(this.flowLevel);
    }
  }

  private unwindIndent(column: number): void {
    if (this.flowLevel) return;
    while (this.indent > column) {
      const mark = this.getMark();
      this.indent = this.indents.pop() as number;
      this.tokens.push({ type: '<block end>', start: mark, end: mark });
    }
  }

  private addIndent(column: number): boolean {
    if (this.indent < column) {
      this.indents.push(this.indent);
      this.indent = column;
      return true;
    }
    return false;
  }

  private fetchStreamEnd(): void {
    this.unwindIndent(-1);
    this.removePossibleSimpleKey();
    this.allowSimpleKey = false;
    this.possibleSimpleKeys = new Map();
    const mark = this.getMark();
    this.tokens.push({ type: '<stream end>', start: mark, end: mark });
    this.done = true;
  }

  private fetchDirective(): void {
    this.unwindIndent(-1);
    this.removePossibleSimpleKey();
    this.allowSimpleKey = false;
    this.tokens.push(this.scanDirective());
  }

  private fetchDocumentIndicator(type: '<document start>' | '<document end>'): void {
    this.unwindIndent(-1);
    this.removePossibleSimpleKey();
    this.allowSimpleKey = false;
    const start = this.getMark();
    this.forward(3);
    this.tokens.push({ type, start, end: this.getMark() });
  }

  private fetchFlowCollectionStart(type: '[' | '{'): void {
    this.savePossibleSimpleKey();
    this.flowLevel++;
    this.allowSimpleKey = true;
    const start = this.getMark();
    this.forward();
    this.tokens.push({ type, start, end: this.getMark() });
  }

  private fetchFlowCollectionEnd(type: ']' | '}'): void {
    this.removePossibleSimpleKey();
    this.flowLevel--;
    this.allowSimpleKey = false;
    const start = this.getMark();
    this.forward();
    this.tokens.push({ type, start, end: this.getMark() });
  }

  private fetchFlowEntry(): void {
    this.allowSimpleKey = true;
    this.removePossibleSimpleKey();
    const start = this.getMark();
    this.forward();
    this.tokens.push({ type: ',', start, end: this.getMark() });
  }

  private fetchBlockEntry(): void {
    if (!this.flowLevel) {
      if (!this.allowSimpleKey) {
        throw markedError(null, null, 'sequence entries are not allowed here', this.getMark());
      }
      if (this.addIndent(this.column)) {
        const mark = this.getMark();
        this.tokens.push({ type: '<block sequence start>', start: mark, end: mark });
      }
    }
    this.allowSimpleKey = true;
    this.removePossibleSimpleKey();
    const start = this.getMark();
    this.forward();
    this.tokens.push({ type: '-', start, end: this.getMark() });
  }

  private fetchKey(): void {
    if (!this.flowLevel) {
      if (!this.allowSimpleKey) {
        throw markedError(null, null, 'mapping keys are not allowed here', this.getMark());
      }
      if (this.addIndent(this.column)) {
        const mark = this.getMark();
        this.tokens.push({ type: '<block mapping start>', start: mark, end: mark });
      }
    }
    this.allowSimpleKey = !this.flowLevel;
    this.removePossibleSimpleKey();
    const start = this.getMark();
    this.forward();
    this.tokens.push({ type: '?', start, end: this.getMark() });
  }

  private fetchValue(): void {
    const key = this.possibleSimpleKeys.get(this.flowLevel);
    if (key) {
      this.possibleSimpleKeys.delete(this.flowLevel);
      this.tokens.splice(key.tokenNumber - this.tokensTaken, 0, { type: '?', start: key.mark, end: key.mark });
      if (!this.flowLevel && this.addIndent(key.column)) {
        this.tokens.splice(key.tokenNumber - this.tokensTaken, 0, {
          type: '<block mapping start>',
          start: key.mark,
          end: key.mark,
        });
      }
      this.allowSimpleKey = false;
    } else {
      if (!this.flowLevel && !this.allowSimpleKey) {
        throw markedError(null, null, 'mapping values are not allowed here', this.getMark());
      }
      if (!this.flowLevel && this.addIndent(this.column)) {
        const mark = this.getMark();
        this.tokens.push({ type: '<block mapping start>', start: mark, end: mark });
      }
      this.allowSimpleKey = !this.flowLevel;
      this.removePossibleSimpleKey();
    }
    const start = this.getMark();
    this.forward();
    this.tokens.push({ type: ':', start, end: this.getMark() });
  }

  private fetchAlias(): void {
    this.savePossibleSimpleKey();
    this.allowSimpleKey = false;
    this.tokens.push(this.scanAnchor('<alias>'));
  }

  private fetchAnchor(): void {
    this.savePossibleSimpleKey();
    this.allowSimpleKey = false;
    this.tokens.push(this.scanAnchor('<anchor>'));
  }

  private fetchTag(): void {
    this.savePossibleSimpleKey();
    this.allowSimpleKey = false;
    this.tokens.push(this.scanTag());
  }

  private fetchBlockScalar(style: '|' | '>'): void {
    this.allowSimpleKey = true;
    this.removePossibleSimpleKey();
    this.tokens.push(this.scanBlockScalar(style));
  }

  private fetchFlowScalar(style: "'" | '"'): void {
    this.savePossibleSimpleKey();
    this.allowSimpleKey = false;
    this.tokens.push(this.scanFlowScalar(style));
  }

  private fetchPlain(): void {
    this.savePossibleSimpleKey();
    this.allowSimpleKey = false;
    this.tokens.push(this.scanPlain());
  }

  private checkDirective(): boolean {
    return this.column === 0;
  }

  private checkDocumentStart(): boolean {
    return this.column === 0 && this.prefix(3) === '---' && BLANKZ.includes(this.peek(3));
  }

  private checkDocumentEnd(): boolean {
    return this.column === 0 && this.prefix(3) === '...' && BLANKZ.includes(this.peek(3));
  }

  private checkBlockEntry(): boolean {
    return BLANKZ.includes(this.peek(1));
  }

  private checkKey(): boolean {
    return this.flowLevel ? true : BLANKZ.includes(this.peek(1));
  }

  private checkValue(): boolean {
    return this.flowLevel ? true : BLANKZ.includes(this.peek(1));
  }

  private checkPlain(): boolean {
    const ch = this.peek();
    return (
      !'\0 \t\r\n\x85\u2028\u2029-?:,[]{}#&*!|>\'"%@`'.includes(ch) ||
      (!BLANKZ.includes(this.peek(1)) && (ch === '-' || (!this.flowLevel && '?:'.includes(ch))))
    );
  }

  private scanToNextToken(): void {
    if (this.pointer === 0 && this.peek() === '\uFEFF') this.forward();
    let found = false;
    while (!found) {
      while (this.peek() === ' ') this.forward();
      if (this.peek() === '#') {
        while (!BREAKZ.includes(this.peek())) this.forward();
      }
      if (this.scanLineBreak()) {
        if (!this.flowLevel) this.allowSimpleKey = true;
      } else {
        found = true;
      }
    }
  }

  private scanDirective(): Token {
    const start = this.getMark();
    this.forward();
    const name = this.scanDirectiveName(start);
    let end: Mark;
    let version: [number, number] | undefined;
    let tagDirective: [string, string] | undefined;
    if (name === 'YAML') {
      version = this.scanYamlDirectiveValue(start);
      end = this.getMark();
    } else if (name === 'TAG') {
      tagDirective = this.scanTagDirectiveValue(start);
      end = this.getMark();
    } else {
      end = this.getMark();
      while (!BREAKZ.includes(this.peek())) this.forward();
    }
    this.scanDirectiveIgnoredLine(start);
    return { type: '<directive>', start, end, name, version, tagDirective };
  }

  private scanDirectiveName(start: Mark): string {
    let length = 0;
    let ch = this.peek(length);
    while (isWordChar(ch)) {
      length++;
      ch = this.peek(length);
    }
    if (!length) {
      throw markedError('while scanning a directive', start, `expected alphabetic or numeric character, but found ${pyRepr(ch)}`, this.getMark());
    }
    const value = this.prefix(length);
    this.forward(length);
    ch = this.peek();
    if (!SPACE_BREAKZ.includes(ch)) {
      throw markedError('while scanning a directive', start, `expected alphabetic or numeric character, but found ${pyRepr(ch)}`, this.getMark());
    }
    return value;
  }

  private scanYamlDirectiveValue(start: Mark): [number, number] {
    while (this.peek() === ' ') this.forward();
    const major = this.scanYamlDirectiveNumber(start);
    if (this.peek() !== '.') {
      throw markedError('while scanning a directive', start, `expected a digit or '.', but found ${pyRepr(this.peek())}`, this.getMark());
    }
    this.forward();
    const minor = this.scanYamlDirectiveNumber(start);
    if (!SPACE_BREAKZ.includes(this.peek())) {
      throw markedError('while scanning a directive', start, `expected a digit or ' ', but found ${pyRepr(this.peek())}`, this.getMark());
    }
    return [major, minor];
  }

  private scanYamlDirectiveNumber(start: Mark): number {
    const ch = this.peek();
    if (!(ch >= '0' && ch <= '9')) {
      throw markedError('while scanning a directive', start, `expected a digit, but found ${pyRepr(ch)}`, this.getMark());
    }
    let length = 0;
    while (this.peek(length) >= '0' && this.peek(length) <= '9') length++;
    const value = Number(this.prefix(length));
    this.forward(length);
    return value;
  }

  private scanTagDirectiveValue(start: Mark): [string, string] {
    while (this.peek() === ' ') this.forward();
    const handle = this.scanTagHandle('directive', start);
    if (this.peek() !== ' ') {
      throw markedError('while scanning a directive', start, `expected ' ', but found ${pyRepr(this.peek())}`, this.getMark());
    }
    while (this.peek() === ' ') this.forward();
    const prefix = this.scanTagUri('directive', start);
    if (!SPACE_BREAKZ.includes(this.peek())) {
      throw markedError('while scanning a directive', start, `expected ' ', but found ${pyRepr(this.peek())}`, this.getMark());
    }
    return [handle, prefix];
  }

  private scanDirectiveIgnoredLine(start: Mark): void {
    while (this.peek() === ' ') this.forward();
    if (this.peek() === '#') {
      while (!BREAKZ.includes(this.peek())) this.forward();
    }
    const ch = this.peek();
    if (!BREAKZ.includes(ch)) {
      throw markedError('while scanning a directive', start, `expected a comment or a line break, but found ${pyRepr(ch)}`, this.getMark());
    }
    this.scanLineBreak();
  }

  private scanAnchor(type: '<alias>' | '<anchor>'): Token {
    const start = this.getMark();
    const name = type === '<alias>' ? 'alias' : 'anchor';
    this.forward();
    let length = 0;
    let ch = this.peek(length);
    while (isWordChar(ch)) {
      length++;
      ch = this.peek(length);
    }
    if (!length) {
      throw markedError(`while scanning an ${name}`, start, `expected alphabetic or numeric character, but found ${pyRepr(ch)}`, this.getMark());
    }
    const value = this.prefix(length);
    this.forward(length);
    ch = this.peek();
    if (!'\0 \t\r\n\x85\u2028\u2029?:,]}%@`'.includes(ch)) {
      throw markedError(`while scanning an ${name}`, start, `expected alphabetic or numeric character, but found ${pyRepr(ch)}`, this.getMark());
    }
    return { type, start, end: this.getMark(), value };
  }

  private scanTag(): Token {
    const start = this.getMark();
    let ch = this.peek(1);
    let handle: string | null;
    let suffix: string;
    if (ch === '<') {
      handle = null;
      this.forward(2);
      suffix = this.scanTagUri('tag', start);
      if (this.peek() !== '>') {
        throw markedError('while parsing a tag', start, `expected '>', but found ${pyRepr(this.peek())}`, this.getMark());
      }
      this.forward();
    } else if (BLANKZ.includes(ch)) {
      handle = null;
      suffix = '!';
      this.forward();
    } else {
      let length = 1;
      let useHandle = false;
      while (!SPACE_BREAKZ.includes(ch)) {
        if (ch === '!') {
          useHandle = true;
          break;
        }
        length++;
        ch = this.peek(length);
      }
      if (useHandle) {
        handle = this.scanTagHandle('tag', start);
      } else {
        handle = '!';
        this.forward();
      }
      suffix = this.scanTagUri('tag', start);
    }
    ch = this.peek();
    if (!SPACE_BREAKZ.includes(ch)) {
      throw markedError('while scanning a tag', start, `expected ' ', but found ${pyRepr(ch)}`, this.getMark());
    }
    return { type: '<tag>', start, end: this.getMark(), tag: [handle, suffix] };
  }

  private scanBlockScalar(style: '|' | '>'): Token {
    const folded = style === '>';
    const chunks: string[] = [];
    const start = this.getMark();
    this.forward();
    const [chomping, increment] = this.scanBlockScalarIndicators(start);
    this.scanBlockScalarIgnoredLine(start);

    let minIndent = this.indent + 1;
    if (minIndent < 1) minIndent = 1;
    let breaks: string[];
    let end: Mark;
    let indent: number;
    if (increment === null) {
      let maxIndent: number;
      [breaks, maxIndent, end] = this.scanBlockScalarIndentation();
      indent = Math.max(minIndent, maxIndent);
    } else {
      indent = minIndent + increment - 1;
      [breaks, end] = this.scanBlockScalarBreaks(indent);
    }
    let lineBreak = '';

    while (this.column === indent && this.peek() !== '\0') {
      chunks.push(...breaks);
      const leadingNonSpace = !' \t'.includes(this.peek());
      let length = 0;
      while (!BREAKZ.includes(this.peek(length))) length++;
      chunks.push(this.prefix(length));
      this.forward(length);
      lineBreak = this.scanLineBreak();
      [breaks, end] = this.scanBlockScalarBreaks(indent);
      if (this.column === indent && this.peek() !== '\0') {
        if (folded && lineBreak === '\n' && leadingNonSpace && !' \t'.includes(this.peek())) {
          if (!breaks.length) chunks.push(' ');
        } else {
          chunks.push(lineBreak);
        }
      } else {
        break;
      }
    }

    if (chomping !== false) chunks.push(lineBreak);
    if (chomping === true) chunks.push(...breaks);
    return { type: '<scalar>', start, end, value: chunks.join(''), plain: false, style };
  }

  private scanBlockScalarIndicators(start: Mark): [boolean | null, number | null] {
    let chomping: boolean | null = null;
    let increment: number | null = null;
    let ch = this.peek();
    const badIndent = (): YamlParseError =>
      markedError('while scanning a block scalar', start, 'expected indentation indicator in the range 1-9, but found 0', this.getMark());
    if ('+-'.includes(ch)) {
      chomping = ch === '+';
      this.forward();
      ch = this.peek();
      if ('0123456789'.includes(ch)) {
        increment = Number(ch);
        if (increment === 0) throw badIndent();
        this.forward();
      }
    } else if ('0123456789'.includes(ch)) {
      increment = Number(ch);
      if (increment === 0) throw badIndent();
      this.forward();
      ch = this.peek();
      if ('+-'.includes(ch)) {
        chomping = ch === '+';
        this.forward();
      }
    }
    ch = this.peek();
    if (!SPACE_BREAKZ.includes(ch)) {
      throw markedError('while scanning a block scalar', start, `expected chomping or indentation indicators, but found ${pyRepr(ch)}`, this.getMark());
    }
    return [chomping, increment];
  }

  private scanBlockScalarIgnoredLine(start: Mark): void {
    while (this.peek() === ' ') this.forward();
    if (this.peek() === '#') {
      while (!BREAKZ.includes(this.peek())) this.forward();
    }
    const ch = this.peek();
    if (!BREAKZ.includes(ch)) {
      throw markedError('while scanning a block scalar', start, `expected a comment or a line break, but found ${pyRepr(ch)}`, this.getMark());
    }
    this.scanLineBreak();
  }

  private scanBlockScalarIndentation(): [string[], number, Mark] {
    const chunks: string[] = [];
    let maxIndent = 0;
    let end = this.getMark();
    while (' \r\n\x85\u2028\u2029'.includes(this.peek())) {
      if (this.peek() !== ' ') {
        chunks.push(this.scanLineBreak());
        end = this.getMark();
      } else {
        this.forward();
        if (this.column > maxIndent) maxIndent = this.column;
      }
    }
    return [chunks, maxIndent, end];
  }

  private scanBlockScalarBreaks(indent: number): [string[], Mark] {
    const chunks: string[] = [];
    let end = this.getMark();
    while (this.column < indent && this.peek() === ' ') this.forward();
    while (BREAKS.includes(this.peek())) {
      chunks.push(this.scanLineBreak());
      end = this.getMark();
      while (this.column < indent && this.peek() === ' ') this.forward();
    }
    return [chunks, end];
  }

  private scanFlowScalar(style: "'" | '"'): Token {
    const double = style === '"';
    const chunks: string[] = [];
    const start = this.getMark();
    const quote = this.peek();
    this.forward();
    chunks.push(...this.scanFlowScalarNonSpaces(double, start));
    while (this.peek() !== quote) {
      chunks.push(...this.scanFlowScalarSpaces(double, start));
      chunks.push(...this.scanFlowScalarNonSpaces(double, start));
    }
    this.forward();
    return { type: '<scalar>', start, end: this.getMark(), value: chunks.join(''), plain: false, style };
  }

  private scanFlowScalarNonSpaces(double: boolean, start: Mark): string[] {
    const chunks: string[] = [];
    for (;;) {
      let length = 0;
      while (!'\'"\\\0 \t\r\n\x85\u2028\u2029'.includes(this.peek(length))) length++;
      if (length) {
        chunks.push(this.prefix(length));
        this.forward(length);
      }
      let ch = this.peek();
      if (!double && ch === "'" && this.peek(1) === "'") {
        chunks.push("'");
        this.forward(2);
      } else if ((double && ch === "'") || (!double && '"\\'.includes(ch))) {
        chunks.push(ch);
        this.forward();
      } else if (double && ch === '\\') {
        this.forward();
        ch = this.peek();
        if (Object.prototype.hasOwnProperty.call(ESCAPE_REPLACEMENTS, ch)) {
          chunks.push(ESCAPE_REPLACEMENTS[ch]);
          this.forward();
        } else if (Object.prototype.hasOwnProperty.call(ESCAPE_CODES, ch)) {
          const codeLength = ESCAPE_CODES[ch];
          this.forward();
          for (let k = 0; k < codeLength; k++) {
            if (!HEX.includes(this.peek(k))) {
              throw markedError(
                'while scanning a double-quoted scalar',
                start,
                `expected escape sequence of ${codeLength} hexadecimal numbers, but found ${pyRepr(this.peek(k))}`,
                this.getMark(),
              );
            }
          }
          const code = parseInt(this.prefix(codeLength), 16);
          if (code > 0x10ffff) {
            throw markedError('while scanning a double-quoted scalar', start, `chr() arg not in range(0x110000): ${code}`, this.getMark());
          }
          chunks.push(String.fromCodePoint(code));
          this.forward(codeLength);
        } else if (BREAKS.includes(ch)) {
          this.scanLineBreak();
          chunks.push(...this.scanFlowScalarBreaks(double, start));
        } else {
          throw markedError('while scanning a double-quoted scalar', start, `found unknown escape character ${pyRepr(ch)}`, this.getMark());
        }
      } else {
        return chunks;
      }
    }
  }

  private scanFlowScalarSpaces(double: boolean, start: Mark): string[] {
    const chunks: string[] = [];
    let length = 0;
    while (' \t'.includes(this.peek(length))) length++;
    const whitespaces = this.prefix(length);
    this.forward(length);
    const ch = this.peek();
    if (ch === '\0') {
      throw markedError('while scanning a quoted scalar', start, 'found unexpected end of stream', this.getMark());
    } else if (BREAKS.includes(ch)) {
      const lineBreak = this.scanLineBreak();
      const breaks = this.scanFlowScalarBreaks(double, start);
      if (lineBreak !== '\n') chunks.push(lineBreak);
      else if (!breaks.length) chunks.push(' ');
      chunks.push(...breaks);
    } else {
      chunks.push(whitespaces);
    }
    return chunks;
  }

  private scanFlowScalarBreaks(_double: boolean, start: Mark): string[] {
    const chunks: string[] = [];
    for (;;) {
      const prefix = this.prefix(3);
      if ((prefix === '---' || prefix === '...') && BLANKZ.includes(this.peek(3))) {
        throw markedError('while scanning a quoted scalar', start, 'found unexpected document separator', this.getMark());
      }
      while (' \t'.includes(this.peek())) this.forward();
      if (BREAKS.includes(this.peek())) chunks.push(this.scanLineBreak());
      else return chunks;
    }
  }

  private scanPlain(): Token {
    const chunks: string[] = [];
    const start = this.getMark();
    let end = start;
    const indent = this.indent + 1;
    let spaces: string[] | null = [];
    for (;;) {
      let length = 0;
      if (this.peek() === '#') break;
      for (;;) {
        const ch = this.peek(length);
        if (
          BLANKZ.includes(ch) ||
          (ch === ':' && (BLANKZ + (this.flowLevel ? ',[]{}' : '')).includes(this.peek(length + 1))) ||
          (this.flowLevel && ',?[]{}'.includes(ch))
        ) {
          break;
        }
        length++;
      }
      if (length === 0) break;
      this.allowSimpleKey = false;
      chunks.push(...(spaces as string[]));
      chunks.push(this.prefix(length));
      this.forward(length);
      end = this.getMark();
      spaces = this.scanPlainSpaces(indent, start);
      if (!spaces || !spaces.length || this.peek() === '#' || (!this.flowLevel && this.column < indent)) break;
    }
    return { type: '<scalar>', start, end, value: chunks.join(''), plain: true, style: null };
  }

  private scanPlainSpaces(_indent: number, _start: Mark): string[] | null {
    const chunks: string[] = [];
    let length = 0;
    while (this.peek(length) === ' ') length++;
    const whitespaces = this.prefix(length);
    this.forward(length);
    const ch = this.peek();
    if (BREAKS.includes(ch)) {
      const lineBreak = this.scanLineBreak();
      this.allowSimpleKey = true;
      let prefix = this.prefix(3);
      if ((prefix === '---' || prefix === '...') && BLANKZ.includes(this.peek(3))) return null;
      const breaks: string[] = [];
      while (' \r\n\x85\u2028\u2029'.includes(this.peek())) {
        if (this.peek() === ' ') {
          this.forward();
        } else {
          breaks.push(this.scanLineBreak());
          prefix = this.prefix(3);
          if ((prefix === '---' || prefix === '...') && BLANKZ.includes(this.peek(3))) return null;
        }
      }
      if (lineBreak !== '\n') chunks.push(lineBreak);
      else if (!breaks.length) chunks.push(' ');
      chunks.push(...breaks);
    } else if (whitespaces) {
      chunks.push(whitespaces);
    }
    return chunks;
  }

  private scanTagHandle(name: string, start: Mark): string {
    let ch = this.peek();
    if (ch !== '!') {
      throw markedError(`while scanning a ${name}`, start, `expected '!', but found ${pyRepr(ch)}`, this.getMark());
    }
    let length = 1;
    ch = this.peek(length);
    if (ch !== ' ') {
      while (isWordChar(ch)) {
        length++;
        ch = this.peek(length);
      }
      if (ch !== '!') {
        this.forward(length);
        throw markedError(`while scanning a ${name}`, start, `expected '!', but found ${pyRepr(ch)}`, this.getMark());
      }
      length++;
    }
    const value = this.prefix(length);
    this.forward(length);
    return value;
  }

  private scanTagUri(name: string, start: Mark): string {
    const chunks: string[] = [];
    let length = 0;
    let ch = this.peek(length);
    while ((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || "-;/?:@&=+$,_.!~*'()[]%".includes(ch)) {
      if (ch === '%') {
        chunks.push(this.prefix(length));
        this.forward(length);
        length = 0;
        chunks.push(this.scanUriEscapes(name, start));
      } else {
        length++;
      }
      ch = this.peek(length);
    }
    if (length) {
      chunks.push(this.prefix(length));
      this.forward(length);
      length = 0;
    }
    if (!chunks.length) {
      throw markedError(`while parsing a ${name}`, start, `expected URI, but found ${pyRepr(ch)}`, this.getMark());
    }
    return chunks.join('');
  }

  private scanUriEscapes(name: string, start: Mark): string {
    const codes: number[] = [];
    const mark = this.getMark();
    while (this.peek() === '%') {
      this.forward();
      for (let k = 0; k < 2; k++) {
        if (!HEX.includes(this.peek(k))) {
          throw markedError(
            `while scanning a ${name}`,
            start,
            `expected URI escape sequence of 2 hexadecimal numbers, but found ${pyRepr(this.peek(k))}`,
            this.getMark(),
          );
        }
      }
      codes.push(parseInt(this.prefix(2), 16));
      this.forward(2);
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(codes));
    } catch {
      throw markedError(`while scanning a ${name}`, start, 'invalid UTF-8 in URI escape sequence', mark);
    }
  }

  private scanLineBreak(): string {
    const ch = this.peek();
    if ('\r\n\x85'.includes(ch)) {
      if (this.prefix(2) === '\r\n') this.forward(2);
      else this.forward();
      return '\n';
    } else if ('\u2028\u2029'.includes(ch)) {
      this.forward();
      return ch;
    }
    return '';
  }
}

/** Python's `repr()` of a one-character string, for error messages. */
function pyRepr(ch: string): string {
  if (ch === '\0') return "'\\x00'";
  if (ch === "'") return '"\'"';
  if (ch === '\t') return "'\\t'";
  if (ch === '\n') return "'\\n'";
  if (ch === '\r') return "'\\r'";
  const code = ch.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f) return `'\\x${code.toString(16).padStart(2, '0')}'`;
  return `'${ch}'`;
}

// ---------------------------------------------------------------------------
// Parser (parser.py)
// ---------------------------------------------------------------------------

type ParseEvent =
  | { type: 'StreamStart' | 'StreamEnd'; start: Mark; end: Mark }
  | { type: 'DocumentStart'; start: Mark; end: Mark; explicit: boolean }
  | { type: 'DocumentEnd'; start: Mark; end: Mark; explicit: boolean }
  | { type: 'Alias'; start: Mark; end: Mark; anchor: string }
  | {
      type: 'Scalar';
      start: Mark;
      end: Mark;
      anchor: string | null;
      tag: string | null;
      implicit: readonly [boolean, boolean];
      value: string;
      style: ScalarStyle | null;
    }
  | {
      type: 'SequenceStart' | 'MappingStart';
      start: Mark;
      end: Mark;
      anchor: string | null;
      tag: string | null;
      implicit: boolean;
      flowStyle: boolean | null;
    }
  | { type: 'SequenceEnd' | 'MappingEnd'; start: Mark; end: Mark };

type ParseEventType = ParseEvent['type'];
type State = () => ParseEvent;

const DEFAULT_TAG_HANDLES: Readonly<Record<string, string>> = { '!': '!', '!!': 'tag:yaml.org,2002:' };

class Parser {
  private readonly scanner: Scanner;
  private currentEvent: ParseEvent | null = null;
  private tagHandles: Record<string, string> = {};
  private states: State[] = [];
  private marks: Mark[] = [];
  private state: State | null;

  constructor(text: string) {
    this.scanner = new Scanner(text);
    this.state = this.parseStreamStart;
  }

  checkEvent(...choices: ParseEventType[]): boolean {
    if (this.currentEvent === null && this.state) this.currentEvent = this.state();
    if (this.currentEvent !== null) {
      if (!choices.length) return true;
      return choices.includes(this.currentEvent.type);
    }
    return false;
  }

  peekEvent(): ParseEvent {
    if (this.currentEvent === null && this.state) this.currentEvent = this.state();
    return this.currentEvent as ParseEvent;
  }

  getEvent(): ParseEvent {
    if (this.currentEvent === null && this.state) this.currentEvent = this.state();
    const value = this.currentEvent as ParseEvent;
    this.currentEvent = null;
    return value;
  }

  private token(): Token {
    return this.scanner.peekToken() as Token;
  }

  private take(): Token {
    return this.scanner.getToken() as Token;
  }

  private popState(): State {
    return this.states.pop() as State;
  }

  private readonly parseStreamStart = (): ParseEvent => {
    const token = this.take();
    this.state = this.parseImplicitDocumentStart;
    return { type: 'StreamStart', start: token.start, end: token.end };
  };

  private readonly parseImplicitDocumentStart = (): ParseEvent => {
    if (!this.scanner.checkToken('<directive>', '<document start>', '<stream end>')) {
      this.tagHandles = { ...DEFAULT_TAG_HANDLES };
      const mark = this.token().start;
      this.states.push(this.parseDocumentEnd);
      this.state = this.parseBlockNode;
      return { type: 'DocumentStart', start: mark, end: mark, explicit: false };
    }
    return this.parseDocumentStart();
  };

  private readonly parseDocumentStart = (): ParseEvent => {
    while (this.scanner.checkToken('<document end>')) this.take();
    if (!this.scanner.checkToken('<stream end>')) {
      const start = this.token().start;
      this.processDirectives();
      if (!this.scanner.checkToken('<document start>')) {
        throw markedError(null, null, `expected '<document start>', but found '${this.token().type}'`, this.token().start);
      }
      const token = this.take();
      this.states.push(this.parseDocumentEnd);
      this.state = this.parseDocumentContent;
      return { type: 'DocumentStart', start, end: token.end, explicit: true };
    }
    const token = this.take();
    this.state = null;
    return { type: 'StreamEnd', start: token.start, end: token.end };
  };

  private readonly parseDocumentEnd = (): ParseEvent => {
    let token = this.token();
    const start = token.start;
    let end = start;
    let explicit = false;
    if (this.scanner.checkToken('<document end>')) {
      token = this.take();
      end = token.end;
      explicit = true;
    }
    this.state = this.parseDocumentStart;
    return { type: 'DocumentEnd', start, end, explicit };
  };

  private readonly parseDocumentContent = (): ParseEvent => {
    if (this.scanner.checkToken('<directive>', '<document start>', '<document end>', '<stream end>')) {
      const event = this.processEmptyScalar(this.token().start);
      this.state = this.popState();
      return event;
    }
    return this.parseBlockNode();
  };

  private processDirectives(): void {
    let version: readonly [number, number] | null = null;
    this.tagHandles = {};
    while (this.scanner.checkToken('<directive>')) {
      const token = this.take();
      if (token.name === 'YAML') {
        if (version !== null) throw markedError(null, null, 'found duplicate YAML directive', token.start);
        const v = token.version as readonly [number, number];
        if (v[0] !== 1) {
          throw markedError(null, null, 'found incompatible YAML document (version 1.* is required)', token.start);
        }
        version = v;
      } else if (token.name === 'TAG') {
        const [handle, prefix] = token.tagDirective as readonly [string, string];
        if (Object.prototype.hasOwnProperty.call(this.tagHandles, handle)) {
          throw markedError(null, null, `duplicate tag handle '${handle}'`, token.start);
        }
        this.tagHandles[handle] = prefix;
      }
    }
    for (const key of Object.keys(DEFAULT_TAG_HANDLES)) {
      if (!Object.prototype.hasOwnProperty.call(this.tagHandles, key)) this.tagHandles[key] = DEFAULT_TAG_HANDLES[key];
    }
  }

  private readonly parseBlockNode = (): ParseEvent => this.parseNode(true, false);
  private readonly parseFlowNode = (): ParseEvent => this.parseNode(false, false);
  private readonly parseBlockNodeOrIndentlessSequence = (): ParseEvent => this.parseNode(true, true);

  private parseNode(block: boolean, indentlessSequence: boolean): ParseEvent {
    if (this.scanner.checkToken('<alias>')) {
      const token = this.take();
      this.state = this.popState();
      return { type: 'Alias', start: token.start, end: token.end, anchor: token.value as string };
    }
    let anchor: string | null = null;
    let tagPair: readonly [string | null, string] | null = null;
    let start: Mark | null = null;
    let end: Mark | null = null;
    let tagMark: Mark | null = null;
    if (this.scanner.checkToken('<anchor>')) {
      const token = this.take();
      start = token.start;
      end = token.end;
      anchor = token.value as string;
      if (this.scanner.checkToken('<tag>')) {
        const tagToken = this.take();
        tagMark = tagToken.start;
        end = tagToken.end;
        tagPair = tagToken.tag as readonly [string | null, string];
      }
    } else if (this.scanner.checkToken('<tag>')) {
      const token = this.take();
      start = tagMark = token.start;
      end = token.end;
      tagPair = token.tag as readonly [string | null, string];
      if (this.scanner.checkToken('<anchor>')) {
        const anchorToken = this.take();
        end = anchorToken.end;
        anchor = anchorToken.value as string;
      }
    }
    let tag: string | null = null;
    if (tagPair !== null) {
      const [handle, suffix] = tagPair;
      if (handle !== null) {
        if (!Object.prototype.hasOwnProperty.call(this.tagHandles, handle)) {
          throw markedError('while parsing a node', start, `found undefined tag handle '${handle}'`, tagMark);
        }
        tag = this.tagHandles[handle] + suffix;
      } else {
        tag = suffix;
      }
    }
    if (start === null) start = end = this.token().start;
    const implicit = tag === null || tag === '!';
    if (indentlessSequence && this.scanner.checkToken('-')) {
      end = this.token().end;
      this.state = this.parseIndentlessSequenceEntry;
      return { type: 'SequenceStart', start, end: end as Mark, anchor, tag, implicit, flowStyle: null };
    }
    if (this.scanner.checkToken('<scalar>')) {
      const token = this.take();
      let scalarImplicit: [boolean, boolean];
      if ((token.plain && tag === null) || tag === '!') scalarImplicit = [true, false];
      else if (tag === null) scalarImplicit = [false, true];
      else scalarImplicit = [false, false];
      this.state = this.popState();
      return {
        type: 'Scalar',
        start,
        end: token.end,
        anchor,
        tag,
        implicit: scalarImplicit,
        value: token.value as string,
        style: token.style ?? null,
      };
    }
    if (this.scanner.checkToken('[')) {
      this.state = this.parseFlowSequenceFirstEntry;
      return { type: 'SequenceStart', start, end: this.token().end, anchor, tag, implicit, flowStyle: true };
    }
    if (this.scanner.checkToken('{')) {
      this.state = this.parseFlowMappingFirstKey;
      return { type: 'MappingStart', start, end: this.token().end, anchor, tag, implicit, flowStyle: true };
    }
    if (block && this.scanner.checkToken('<block sequence start>')) {
      this.state = this.parseBlockSequenceFirstEntry;
      return { type: 'SequenceStart', start, end: this.token().start, anchor, tag, implicit, flowStyle: false };
    }
    if (block && this.scanner.checkToken('<block mapping start>')) {
      this.state = this.parseBlockMappingFirstKey;
      return { type: 'MappingStart', start, end: this.token().start, anchor, tag, implicit, flowStyle: false };
    }
    if (anchor !== null || tag !== null) {
      this.state = this.popState();
      return { type: 'Scalar', start, end: end as Mark, anchor, tag, implicit: [implicit, false], value: '', style: null };
    }
    const token = this.token();
    throw markedError(
      `while parsing a ${block ? 'block' : 'flow'} node`,
      start,
      `expected the node content, but found '${token.type}'`,
      token.start,
    );
  }

  private readonly parseBlockSequenceFirstEntry = (): ParseEvent => {
    this.marks.push(this.take().start);
    return this.parseBlockSequenceEntry();
  };

  private readonly parseBlockSequenceEntry = (): ParseEvent => {
    if (this.scanner.checkToken('-')) {
      const token = this.take();
      if (!this.scanner.checkToken('-', '<block end>')) {
        this.states.push(this.parseBlockSequenceEntry);
        return this.parseBlockNode();
      }
      this.state = this.parseBlockSequenceEntry;
      return this.processEmptyScalar(token.end);
    }
    if (!this.scanner.checkToken('<block end>')) {
      const token = this.token();
      throw markedError('while parsing a block collection', this.marks[this.marks.length - 1], `expected <block end>, but found '${token.type}'`, token.start);
    }
    const token = this.take();
    this.state = this.popState();
    this.marks.pop();
    return { type: 'SequenceEnd', start: token.start, end: token.end };
  };

  private readonly parseIndentlessSequenceEntry = (): ParseEvent => {
    if (this.scanner.checkToken('-')) {
      const token = this.take();
      if (!this.scanner.checkToken('-', '?', ':', '<block end>')) {
        this.states.push(this.parseIndentlessSequenceEntry);
        return this.parseBlockNode();
      }
      this.state = this.parseIndentlessSequenceEntry;
      return this.processEmptyScalar(token.end);
    }
    const token = this.token();
    this.state = this.popState();
    return { type: 'SequenceEnd', start: token.start, end: token.start };
  };

  private readonly parseBlockMappingFirstKey = (): ParseEvent => {
    this.marks.push(this.take().start);
    return this.parseBlockMappingKey();
  };

  private readonly parseBlockMappingKey = (): ParseEvent => {
    if (this.scanner.checkToken('?')) {
      const token = this.take();
      if (!this.scanner.checkToken('?', ':', '<block end>')) {
        this.states.push(this.parseBlockMappingValue);
        return this.parseBlockNodeOrIndentlessSequence();
      }
      this.state = this.parseBlockMappingValue;
      return this.processEmptyScalar(token.end);
    }
    if (!this.scanner.checkToken('<block end>')) {
      const token = this.token();
      throw markedError('while parsing a block mapping', this.marks[this.marks.length - 1], `expected <block end>, but found '${token.type}'`, token.start);
    }
    const token = this.take();
    this.state = this.popState();
    this.marks.pop();
    return { type: 'MappingEnd', start: token.start, end: token.end };
  };

  private readonly parseBlockMappingValue = (): ParseEvent => {
    if (this.scanner.checkToken(':')) {
      const token = this.take();
      if (!this.scanner.checkToken('?', ':', '<block end>')) {
        this.states.push(this.parseBlockMappingKey);
        return this.parseBlockNodeOrIndentlessSequence();
      }
      this.state = this.parseBlockMappingKey;
      return this.processEmptyScalar(token.end);
    }
    this.state = this.parseBlockMappingKey;
    return this.processEmptyScalar(this.token().start);
  };

  private readonly parseFlowSequenceFirstEntry = (): ParseEvent => {
    this.marks.push(this.take().start);
    return this.parseFlowSequenceEntry(true);
  };

  private readonly parseFlowSequenceEntryState = (): ParseEvent => this.parseFlowSequenceEntry(false);

  private parseFlowSequenceEntry(first: boolean): ParseEvent {
    if (!this.scanner.checkToken(']')) {
      if (!first) {
        if (this.scanner.checkToken(',')) {
          this.take();
        } else {
          const token = this.token();
          throw markedError('while parsing a flow sequence', this.marks[this.marks.length - 1], `expected ',' or ']', but got '${token.type}'`, token.start);
        }
      }
      if (this.scanner.checkToken('?')) {
        const token = this.token();
        this.state = this.parseFlowSequenceEntryMappingKey;
        return { type: 'MappingStart', start: token.start, end: token.end, anchor: null, tag: null, implicit: true, flowStyle: true };
      } else if (!this.scanner.checkToken(']')) {
        this.states.push(this.parseFlowSequenceEntryState);
        return this.parseFlowNode();
      }
    }
    const token = this.take();
    this.state = this.popState();
    this.marks.pop();
    return { type: 'SequenceEnd', start: token.start, end: token.end };
  }

  private readonly parseFlowSequenceEntryMappingKey = (): ParseEvent => {
    const token = this.take();
    if (!this.scanner.checkToken(':', ',', ']')) {
      this.states.push(this.parseFlowSequenceEntryMappingValue);
      return this.parseFlowNode();
    }
    this.state = this.parseFlowSequenceEntryMappingValue;
    return this.processEmptyScalar(token.end);
  };

  private readonly parseFlowSequenceEntryMappingValue = (): ParseEvent => {
    if (this.scanner.checkToken(':')) {
      const token = this.take();
      if (!this.scanner.checkToken(',', ']')) {
        this.states.push(this.parseFlowSequenceEntryMappingEnd);
        return this.parseFlowNode();
      }
      this.state = this.parseFlowSequenceEntryMappingEnd;
      return this.processEmptyScalar(token.end);
    }
    this.state = this.parseFlowSequenceEntryMappingEnd;
    return this.processEmptyScalar(this.token().start);
  };

  private readonly parseFlowSequenceEntryMappingEnd = (): ParseEvent => {
    this.state = this.parseFlowSequenceEntryState;
    const mark = this.token().start;
    return { type: 'MappingEnd', start: mark, end: mark };
  };

  private readonly parseFlowMappingFirstKey = (): ParseEvent => {
    this.marks.push(this.take().start);
    return this.parseFlowMappingKey(true);
  };

  private readonly parseFlowMappingKeyState = (): ParseEvent => this.parseFlowMappingKey(false);

  private parseFlowMappingKey(first: boolean): ParseEvent {
    if (!this.scanner.checkToken('}')) {
      if (!first) {
        if (this.scanner.checkToken(',')) {
          this.take();
        } else {
          const token = this.token();
          throw markedError('while parsing a flow mapping', this.marks[this.marks.length - 1], `expected ',' or '}', but got '${token.type}'`, token.start);
        }
      }
      if (this.scanner.checkToken('?')) {
        const token = this.take();
        if (!this.scanner.checkToken(':', ',', '}')) {
          this.states.push(this.parseFlowMappingValue);
          return this.parseFlowNode();
        }
        this.state = this.parseFlowMappingValue;
        return this.processEmptyScalar(token.end);
      } else if (!this.scanner.checkToken('}')) {
        this.states.push(this.parseFlowMappingEmptyValue);
        return this.parseFlowNode();
      }
    }
    const token = this.take();
    this.state = this.popState();
    this.marks.pop();
    return { type: 'MappingEnd', start: token.start, end: token.end };
  }

  private readonly parseFlowMappingValue = (): ParseEvent => {
    if (this.scanner.checkToken(':')) {
      const token = this.take();
      if (!this.scanner.checkToken(',', '}')) {
        this.states.push(this.parseFlowMappingKeyState);
        return this.parseFlowNode();
      }
      this.state = this.parseFlowMappingKeyState;
      return this.processEmptyScalar(token.end);
    }
    this.state = this.parseFlowMappingKeyState;
    return this.processEmptyScalar(this.token().start);
  };

  private readonly parseFlowMappingEmptyValue = (): ParseEvent => {
    this.state = this.parseFlowMappingKeyState;
    return this.processEmptyScalar(this.token().start);
  };

  private processEmptyScalar(mark: Mark): ParseEvent {
    return { type: 'Scalar', start: mark, end: mark, anchor: null, tag: null, implicit: [true, false], value: '', style: null };
  }
}

// ---------------------------------------------------------------------------
// Composer (composer.py)
// ---------------------------------------------------------------------------

interface ScalarNode {
  readonly kind: 'scalar';
  // Mutable because flatten_mapping retags '=' keys in place, as PyYAML does.
  tag: string;
  readonly value: string;
  readonly start: Mark;
}

interface SequenceNode {
  readonly kind: 'sequence';
  tag: string;
  readonly value: YamlNode[];
  readonly start: Mark;
}

interface MappingNode {
  readonly kind: 'mapping';
  tag: string;
  value: Array<[YamlNode, YamlNode]>;
  readonly start: Mark;
}

type YamlNode = ScalarNode | SequenceNode | MappingNode;

class Composer {
  private readonly parser: Parser;
  private anchors = new Map<string, YamlNode>();

  constructor(text: string) {
    this.parser = new Parser(text);
  }

  getSingleNode(): YamlNode | null {
    this.parser.getEvent();
    let document: YamlNode | null = null;
    if (!this.parser.checkEvent('StreamEnd')) document = this.composeDocument();
    if (!this.parser.checkEvent('StreamEnd')) {
      const event = this.parser.getEvent();
      throw markedError('expected a single document in the stream', document ? document.start : null, 'but found another document', event.start);
    }
    this.parser.getEvent();
    return document;
  }

  private composeDocument(): YamlNode {
    this.parser.getEvent();
    const node = this.composeNode();
    this.parser.getEvent();
    this.anchors = new Map();
    return node;
  }

  private composeNode(): YamlNode {
    if (this.parser.checkEvent('Alias')) {
      const event = this.parser.getEvent() as Extract<ParseEvent, { type: 'Alias' }>;
      const node = this.anchors.get(event.anchor);
      if (!node) throw markedError(null, null, `found undefined alias '${event.anchor}'`, event.start);
      return node;
    }
    const event = this.parser.peekEvent() as Extract<ParseEvent, { anchor: string | null }>;
    const anchor = event.anchor;
    if (anchor !== null) {
      const previous = this.anchors.get(anchor);
      if (previous) {
        throw markedError(`found duplicate anchor '${anchor}'; first occurrence`, previous.start, 'second occurrence', event.start);
      }
    }
    if (this.parser.checkEvent('Scalar')) return this.composeScalarNode(anchor);
    if (this.parser.checkEvent('SequenceStart')) return this.composeSequenceNode(anchor);
    return this.composeMappingNode(anchor);
  }

  private composeScalarNode(anchor: string | null): ScalarNode {
    const event = this.parser.getEvent() as Extract<ParseEvent, { type: 'Scalar' }>;
    let tag = event.tag;
    if (tag === null || tag === '!') tag = event.implicit[0] ? resolveImplicitTag(event.value) : TAG.str;
    const node: ScalarNode = { kind: 'scalar', tag, value: event.value, start: event.start };
    if (anchor !== null) this.anchors.set(anchor, node);
    return node;
  }

  private composeSequenceNode(anchor: string | null): SequenceNode {
    const start = this.parser.getEvent() as Extract<ParseEvent, { flowStyle: boolean | null }>;
    let tag = start.tag;
    if (tag === null || tag === '!') tag = TAG.seq;
    const node: SequenceNode = { kind: 'sequence', tag, value: [], start: start.start };
    if (anchor !== null) this.anchors.set(anchor, node);
    while (!this.parser.checkEvent('SequenceEnd')) node.value.push(this.composeNode());
    this.parser.getEvent();
    return node;
  }

  private composeMappingNode(anchor: string | null): MappingNode {
    const start = this.parser.getEvent() as Extract<ParseEvent, { flowStyle: boolean | null }>;
    let tag = start.tag;
    if (tag === null || tag === '!') tag = TAG.map;
    const node: MappingNode = { kind: 'mapping', tag, value: [], start: start.start };
    if (anchor !== null) this.anchors.set(anchor, node);
    while (!this.parser.checkEvent('MappingEnd')) {
      const key = this.composeNode();
      const value = this.composeNode();
      node.value.push([key, value]);
    }
    this.parser.getEvent();
    return node;
  }
}

// ---------------------------------------------------------------------------
// SafeConstructor (constructor.py)
// ---------------------------------------------------------------------------

function isHashable(value: unknown): boolean {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'bigint' ||
    typeof value === 'boolean' ||
    value instanceof YamlFloat ||
    value instanceof Date ||
    value instanceof Uint8Array
  );
}

/** Assignment that cannot touch the prototype when the key is `__proto__`. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

class Constructor {
  private readonly constructed = new Map<YamlNode, unknown>();
  private readonly inProgress = new Set<YamlNode>();

  constructDocument(node: YamlNode): unknown {
    return this.constructObject(node);
  }

  private constructObject(node: YamlNode): unknown {
    if (this.constructed.has(node)) return this.constructed.get(node);
    if (this.inProgress.has(node)) {
      throw markedError(null, null, 'found unconstructable recursive node', node.start);
    }
    this.inProgress.add(node);
    let data: unknown;
    try {
      data = this.dispatch(node);
    } catch (err) {
      if (err instanceof YamlError) throw err;
      if (err instanceof RangeError && /call stack/i.test(err.message)) throw err;
      throw markedError(null, null, (err as Error).message, node.start);
    }
    this.constructed.set(node, data);
    this.inProgress.delete(node);
    return data;
  }

  // Containers are registered before their content is built, as PyYAML's
  // generator constructors do, so that recursive documents (`&a [*a]`) load.
  private register<T>(node: YamlNode, data: T): T {
    this.constructed.set(node, data);
    this.inProgress.delete(node);
    return data;
  }

  private dispatch(node: YamlNode): unknown {
    switch (node.tag) {
      case TAG.null:
        this.constructScalar(node);
        return null;
      case TAG.bool:
        return constructYamlBool(this.constructScalar(node));
      case TAG.int:
        return constructYamlInt(this.constructScalar(node));
      case TAG.float:
        return constructYamlFloat(this.constructScalar(node));
      case TAG.binary:
        return constructYamlBinary(this.constructScalar(node));
      case TAG.timestamp: {
        const text = this.constructScalar(node);
        if (node.kind !== 'scalar') throw new Error('expected a scalar node for a timestamp');
        return constructYamlTimestamp(text);
      }
      case TAG.str:
        return this.constructScalar(node);
      case TAG.seq:
        return this.constructYamlSeq(node);
      case TAG.map:
        return this.constructYamlMap(node);
      case TAG.set:
        return this.constructYamlSet(node);
      case TAG.omap:
        return this.constructYamlPairs(node, 'an ordered map');
      case TAG.pairs:
        return this.constructYamlPairs(node, 'pairs');
      default:
        throw markedError(null, null, `could not determine a constructor for the tag '${node.tag}'`, node.start);
    }
  }

  private constructScalar(node: YamlNode): string {
    if (node.kind === 'mapping') {
      for (const [keyNode, valueNode] of node.value) {
        if (keyNode.tag === TAG.value) return this.constructScalar(valueNode);
      }
    }
    if (node.kind !== 'scalar') {
      throw markedError(null, null, `expected a scalar node, but found ${node.kind}`, node.start);
    }
    return node.value;
  }

  private constructYamlSeq(node: YamlNode): unknown[] {
    const data = this.register(node, [] as unknown[]);
    if (node.kind !== 'sequence') {
      throw markedError(null, null, `expected a sequence node, but found ${node.kind}`, node.start);
    }
    for (const child of node.value) data.push(this.constructObject(child));
    return data;
  }

  private flattenMapping(node: MappingNode): void {
    const merge: Array<[YamlNode, YamlNode]> = [];
    let index = 0;
    while (index < node.value.length) {
      const [keyNode, valueNode] = node.value[index];
      if (keyNode.tag === TAG.merge) {
        node.value.splice(index, 1);
        if (valueNode.kind === 'mapping') {
          this.flattenMapping(valueNode);
          merge.push(...valueNode.value);
        } else if (valueNode.kind === 'sequence') {
          const submerge: Array<Array<[YamlNode, YamlNode]>> = [];
          for (const subnode of valueNode.value) {
            if (subnode.kind !== 'mapping') {
              throw markedError('while constructing a mapping', node.start, `expected a mapping for merging, but found ${subnode.kind}`, subnode.start);
            }
            this.flattenMapping(subnode);
            submerge.push(subnode.value);
          }
          submerge.reverse();
          for (const value of submerge) merge.push(...value);
        } else {
          throw markedError(
            'while constructing a mapping',
            node.start,
            `expected a mapping or list of mappings for merging, but found ${valueNode.kind}`,
            valueNode.start,
          );
        }
      } else if (keyNode.tag === TAG.value) {
        keyNode.tag = TAG.str;
        index++;
      } else {
        index++;
      }
    }
    if (merge.length) node.value = [...merge, ...node.value];
  }

  /** Key/value pairs of a mapping node, after merge keys are applied. */
  private mappingPairs(node: YamlNode): Array<[YamlNode, YamlNode]> {
    if (node.kind !== 'mapping') {
      throw markedError(null, null, `expected a mapping node, but found ${node.kind}`, node.start);
    }
    this.flattenMapping(node);
    return node.value;
  }

  private constructKey(keyNode: YamlNode, mappingNode: YamlNode): unknown {
    const key = this.constructObject(keyNode);
    if (!isHashable(key)) {
      throw markedError('while constructing a mapping', mappingNode.start, 'found unhashable key', keyNode.start);
    }
    return key;
  }

  private constructYamlMap(node: YamlNode): Record<string, unknown> | Map<unknown, unknown> {
    const pairs = node.kind === 'mapping' ? (this.flattenMapping(node), node.value) : null;
    // A mapping whose keys are all strings becomes a plain object; any other
    // key type needs a Map to keep its Python type.
    const stringKeys = pairs !== null && pairs.every(([keyNode]) => keyNode.tag === TAG.str);
    if (stringKeys) {
      const data = this.register(node, {} as Record<string, unknown>);
      for (const [keyNode, valueNode] of pairs) {
        const key = this.constructObject(keyNode) as string;
        setOwn(data, key, this.constructObject(valueNode));
      }
      return data;
    }
    const data = this.register(node, new Map<unknown, unknown>());
    const firstKeys = new Map<string, unknown>();
    for (const [keyNode, valueNode] of this.mappingPairs(node)) {
      const key = this.constructKey(keyNode, node);
      const value = this.constructObject(valueNode);
      const identity = pythonKeyIdentity(key) as string;
      // A Python dict keeps the first of two equal keys and the last value.
      if (firstKeys.has(identity)) {
        data.set(firstKeys.get(identity), value);
      } else {
        firstKeys.set(identity, key);
        data.set(key, value);
      }
    }
    return data;
  }

  private constructYamlSet(node: YamlNode): Set<unknown> {
    const data = this.register(node, new Set<unknown>());
    const seen = new Set<string>();
    for (const [keyNode, valueNode] of this.mappingPairs(node)) {
      const key = this.constructKey(keyNode, node);
      this.constructObject(valueNode);
      const identity = pythonKeyIdentity(key) as string;
      if (!seen.has(identity)) {
        seen.add(identity);
        data.add(key);
      }
    }
    return data;
  }

  private constructYamlPairs(node: YamlNode, what: string): YamlTuple[] {
    const data = this.register(node, [] as YamlTuple[]);
    if (node.kind !== 'sequence') {
      throw markedError(`while constructing ${what}`, node.start, `expected a sequence, but found ${node.kind}`, node.start);
    }
    for (const subnode of node.value) {
      if (subnode.kind !== 'mapping') {
        throw markedError(`while constructing ${what}`, node.start, `expected a mapping of length 1, but found ${subnode.kind}`, subnode.start);
      }
      if (subnode.value.length !== 1) {
        throw markedError(
          `while constructing ${what}`,
          node.start,
          `expected a single mapping item, but found ${subnode.value.length} items`,
          subnode.start,
        );
      }
      const [keyNode, valueNode] = subnode.value[0];
      const key = this.constructObject(keyNode);
      const value = this.constructObject(valueNode);
      data.push(new YamlTuple(key, value));
    }
    return data;
  }
}

/**
 * Parse one YAML document exactly as PyYAML 6.0's `yaml.safe_load(text)`.
 *
 * Value mapping (Python -> JS): `None` -> `null`; `bool` -> boolean; `int`
 * -> number, or bigint outside the safe-integer range; `float` -> number,
 * or {@link YamlFloat} when integral; `str` -> string; `bytes` -> Buffer;
 * `date` -> {@link YamlDate}; `datetime` -> {@link YamlDateTime}; `list` ->
 * array; `tuple` (from `!!omap`/`!!pairs`) -> {@link YamlTuple}; `set` ->
 * Set; `dict` -> plain object when every key is a string, otherwise Map.
 * Aliases yield the same JS object, and recursive documents load.
 *
 * @throws {YamlParseError} when PyYAML would raise.
 */
export function loadPyYaml(text: string): unknown {
  if (typeof text !== 'string') throw new TypeError(`parseYaml expects a string, got ${typeof text}`);
  try {
    const node = new Composer(text).getSingleNode();
    return node === null ? null : new Constructor().constructDocument(node);
  } catch (err) {
    if (err instanceof RangeError && /call stack/i.test(err.message)) {
      throw new YamlParseError('document is nested too deeply');
    }
    throw err;
  }
}
