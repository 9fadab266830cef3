/**
 * Port of PyYAML's representer.py (`SafeRepresenter`, plus `Representer`'s
 * tuple): JS values in (see ./values), a node graph out to the serializer,
 * with Python's float repr and `sorted()` key order. Imports ./values,
 * ./resolver (tags) and ./error.
 *
 * PyYAML is Copyright (c) 2017-2021 Ingy döt Net and (c) 2006-2016 Kirill
 * Simonov, MIT License; this TypeScript port follows its structure and
 * rules, and is distributed under the same terms (see NOTICE).
 */

import { Buffer } from 'node:buffer';
import { YamlDumpError } from './error';
import { TAG } from './resolver';
import { YamlDate, YamlDateTime, YamlFloat, YamlTuple, pythonIsoFormat, pythonKeyIdentity } from './values';

// ---------------------------------------------------------------------------
// Representation graph
// ---------------------------------------------------------------------------

export type Style = "'" | '"' | '|' | '>' | '';

// `anchor` and `serialized` are the serializer's bookkeeping, kept on the
// node rather than in Maps keyed by node, which cost more than the rest of
// serialization on large documents. `anchor`: undefined until first seen,
// null once seen, a name once seen twice.
interface NodeState {
  anchor?: string | null;
  serialized?: boolean;
}

export interface ScalarNode extends NodeState {
  readonly kind: 'scalar';
  readonly tag: string;
  readonly value: string;
  readonly style: Style | null;
}

export interface SequenceNode extends NodeState {
  readonly kind: 'sequence';
  readonly tag: string;
  readonly value: Node[];
}

export interface MappingNode extends NodeState {
  readonly kind: 'mapping';
  readonly tag: string;
  readonly value: Array<[Node, Node]>;
}

export type Node = ScalarNode | SequenceNode | MappingNode;

// ---------------------------------------------------------------------------
// Python's float repr
// ---------------------------------------------------------------------------

/**
 * Python's `repr(float)` for a finite number: the shortest round-trip
 * digits (which JS's `String(n)` also picks), laid out with Python's
 * rule of an exponent when the decimal point is more than 16 places right
 * or 4 or more places left of the first digit. @internal
 */
export function pythonFloatRepr(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const negative = x < 0;
  const s = String(Math.abs(x));
  const [mantissa, expPart] = s.split('e');
  const exp = expPart === undefined ? 0 : Number(expPart);
  const [intPart, fracPart = ''] = mantissa.split('.');
  let digits = intPart + fracPart;
  let decpt = intPart.length + exp;
  const leadingZeros = /^0*/.exec(digits)![0].length;
  digits = digits.slice(leadingZeros);
  decpt -= leadingZeros;
  digits = digits.replace(/0+$/, '');
  let out: string;
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) out = `0.${'0'.repeat(-decpt)}${digits}`;
    else if (decpt >= digits.length) out = `${digits}${'0'.repeat(decpt - digits.length)}.0`;
    else out = `${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  } else {
    const e = decpt - 1;
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    out = `${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  return negative ? `-${out}` : out;
}

/** `SafeRepresenter.represent_float`'s text. */
function floatText(x: number): string {
  if (Number.isNaN(x)) return '.nan';
  if (x === Infinity) return '.inf';
  if (x === -Infinity) return '-.inf';
  let value = pythonFloatRepr(x).toLowerCase();
  // repr(1e17) is '1e+17', which YAML 1.1 would read as a string.
  if (!value.includes('.') && value.includes('e')) value = value.replace('e', '.0e');
  return value;
}

/** `base64.encodebytes`: 76-character lines, each ending in a newline. */
function encodeBytes(data: Uint8Array): string {
  const b64 = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
  let out = '';
  for (let i = 0; i < b64.length; i += 76) out += `${b64.slice(i, i + 76)}\n`;
  return out;
}

// ---------------------------------------------------------------------------
// Key ordering (sorted(dict.items()) with its TypeError fallback)
// ---------------------------------------------------------------------------

type KeyCategory = 'number' | 'string' | 'bytes' | 'date' | 'naive-datetime' | 'aware-datetime' | 'none';

function keyCategory(key: unknown): KeyCategory {
  if (key === null) return 'none';
  if (typeof key === 'string') return 'string';
  if (typeof key === 'number' || typeof key === 'bigint' || typeof key === 'boolean' || key instanceof YamlFloat) {
    return 'number';
  }
  if (key instanceof YamlDate) return 'date';
  if (key instanceof YamlDateTime && key.utcOffsetMinutes === null) return 'naive-datetime';
  if (key instanceof Date) return 'aware-datetime';
  return 'bytes';
}

/** Python orders str by code point; JS's `<` orders by UTF-16 unit. */
function compareCodePoints(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    // codePointAt yields a lone surrogate as itself, as Python holds it
    const ca = a.codePointAt(i) as number;
    const cb = b.codePointAt(j) as number;
    if (ca !== cb) return ca - cb;
    i += ca > 0xffff ? 2 : 1;
    j += cb > 0xffff ? 2 : 1;
  }
  return (a.length - i) - (b.length - j);
}

/**
 * compareCodePoints with a shortcut: UTF-16 order is code point order
 * unless the first difference involves a surrogate or a unit above it.
 */
function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length - b.length;
  const ca = a.charCodeAt(i);
  const cb = b.charCodeAt(i);
  if (ca < 0xd800 && cb < 0xd800) return ca - cb;
  return compareCodePoints(a, b);
}

function numericValue(key: unknown): number | bigint {
  if (typeof key === 'boolean') return key ? 1 : 0;
  if (key instanceof YamlFloat) return key.value;
  return key as number | bigint;
}

function timeValue(key: Date): bigint {
  return BigInt(key.getTime()) * 1000n + BigInt(key instanceof YamlDateTime ? key.micros : 0);
}

function compareKeys(a: unknown, b: unknown, category: KeyCategory): number {
  switch (category) {
    case 'string':
      return compareCodePoints(a as string, b as string);
    case 'number': {
      const x = numericValue(a);
      const y = numericValue(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'bytes':
      return Buffer.compare(Buffer.from(a as Uint8Array), Buffer.from(b as Uint8Array));
    default: {
      // naive datetimes compare by wall clock, which is how they are stored
      const x = timeValue(a as Date);
      const y = timeValue(b as Date);
      return x < y ? -1 : x > y ? 1 : 0;
    }
  }
}

/**
 * PyYAML sorts mapping items with `sorted()`; when Python cannot order two
 * keys (an int next to a str, a date next to a datetime, None next to
 * anything) the TypeError is swallowed and insertion order is kept.
 */
function sortLikePython(entries: Array<[unknown, unknown]>, stringKeys: boolean): Array<[unknown, unknown]> {
  if (entries.length < 2) return entries;
  if (stringKeys) return [...entries].sort((a, b) => compareStrings(a[0] as string, b[0] as string));
  const category = keyCategory(entries[0][0]);
  if (category === 'none') return entries;
  for (const [key] of entries) if (keyCategory(key) !== category) return entries;
  return [...entries].sort((a, b) => compareKeys(a[0], b[0], category));
}

// ---------------------------------------------------------------------------
// Representer (representer.py: SafeRepresenter + Representer's tuple)
// ---------------------------------------------------------------------------

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return `a symbol (${String(value)})`;
  if (typeof value === 'object' && value !== null) {
    const name = (value as { constructor?: { name?: string } }).constructor?.name;
    return name ? `an instance of ${name}` : 'an object';
  }
  return typeof value;
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isMapKeyType(key: unknown): boolean {
  return (
    key === null ||
    typeof key === 'string' ||
    typeof key === 'number' ||
    typeof key === 'bigint' ||
    typeof key === 'boolean' ||
    key instanceof YamlFloat ||
    key instanceof Date ||
    key instanceof Uint8Array
  );
}

export class Representer {
  private readonly represented = new Map<object, Node>();
  // Keys and indices down to the value being represented; turned into
  // text only for an error message, as building it per key costs.
  private readonly path: unknown[] = [];
  private readonly pathIsIndex: boolean[] = [];

  private enter(key: unknown, isIndex: boolean): void {
    this.path.push(key);
    this.pathIsIndex.push(isIndex);
  }

  private leave(): void {
    this.path.pop();
    this.pathIsIndex.pop();
  }

  private where(): string {
    return this.path.map((key, i) => (this.pathIsIndex[i] ? `[${key as number}]` : this.segment(key))).join('');
  }

  private fail(problem: string): never {
    const where = this.where();
    throw new YamlDumpError(`${problem} ${where ? `at key '${where.replace(/^\./, '')}'` : 'at the top level'}`, where.replace(/^\./, ''));
  }

  private segment(key: unknown): string {
    if (typeof key === 'string') return `.${key}`;
    if (typeof key === 'number' || typeof key === 'bigint' || typeof key === 'boolean' || key === null) return `.${String(key)}`;
    if (key instanceof Date && Number.isFinite(key.getTime())) return `.${key.toISOString()}`;
    return `.${String(key)}`;
  }

  representData(data: unknown): Node {
    switch (typeof data) {
      case 'string':
        return { kind: 'scalar', tag: TAG.str, value: data, style: null };
      case 'boolean':
        return { kind: 'scalar', tag: TAG.bool, value: data ? 'true' : 'false', style: null };
      case 'number':
        // A safe integer is an int; any other number (fractional, beyond
        // 2^53 - 1, infinite, NaN) can only have come from a float, and
        // writing 1.5e300 as a 301-digit int would change its Python type.
        if (Number.isSafeInteger(data)) return { kind: 'scalar', tag: TAG.int, value: String(data), style: null };
        return { kind: 'scalar', tag: TAG.float, value: floatText(data), style: null };
      case 'bigint':
        return { kind: 'scalar', tag: TAG.int, value: data.toString(), style: null };
      case 'undefined':
        return this.fail('cannot serialize undefined (YAML has no undefined; use null or omit the key)');
      case 'function':
        return this.fail('cannot serialize a function');
      case 'symbol':
        return this.fail(`cannot serialize ${describe(data)}`);
      default:
        break;
    }
    if (data === null) return { kind: 'scalar', tag: TAG.null, value: 'null', style: null };
    const obj = data as object;
    // Python never anchors floats or bytes (SafeRepresenter.ignore_aliases).
    if (obj instanceof YamlFloat) return { kind: 'scalar', tag: TAG.float, value: floatText(obj.value), style: null };
    if (obj instanceof Uint8Array) return { kind: 'scalar', tag: TAG.binary, value: encodeBytes(obj), style: '|' };
    const seen = this.represented.get(obj);
    if (seen) return seen;
    if (obj instanceof Date) {
      let value: string;
      try {
        value = pythonIsoFormat(obj, ' ');
      } catch (err) {
        return this.fail(`cannot serialize a Date: ${(err as Error).message}`);
      }
      return this.remember(obj, { kind: 'scalar', tag: TAG.timestamp, value, style: null });
    }
    if (obj instanceof YamlTuple) {
      // An empty tuple is a singleton in Python, so it is never anchored.
      if (obj.length === 0) return { kind: 'sequence', tag: TAG.pythonTuple, value: [] };
      return this.representSequence(obj, TAG.pythonTuple, obj);
    }
    if (Array.isArray(obj)) return this.representSequence(obj, TAG.seq, obj);
    if (obj instanceof Set) {
      const entries: Array<[unknown, unknown]> = [];
      for (const item of obj) entries.push([item, null]);
      return this.representMapping(obj, TAG.set, entries);
    }
    if (obj instanceof Map) {
      const entries: Array<[unknown, unknown]> = [];
      for (const [key, value] of obj) if (value !== undefined) entries.push([key, value]);
      return this.representMapping(obj, TAG.map, entries);
    }
    if (isPlainObject(obj)) {
      if (Object.getOwnPropertySymbols(obj).some((s) => Object.prototype.propertyIsEnumerable.call(obj, s))) {
        return this.fail('cannot serialize an object with symbol keys');
      }
      const entries: Array<[unknown, unknown]> = [];
      for (const key of Object.keys(obj)) {
        const value = obj[key];
        // Absent and undefined properties are the same thing in JS; JSON
        // drops them too.
        if (value !== undefined) entries.push([key, value]);
      }
      return this.representMapping(obj, TAG.map, entries, true);
    }
    return this.fail(`cannot serialize ${describe(obj)}`);
  }

  private remember<T extends Node>(obj: object, node: T): T {
    this.represented.set(obj, node);
    return node;
  }

  private representSequence(obj: object, tag: string, items: readonly unknown[]): SequenceNode {
    const node = this.remember(obj, { kind: 'sequence', tag, value: [] as Node[] });
    for (let i = 0; i < items.length; i++) {
      this.enter(i, true);
      if (!(i in items)) this.fail('cannot serialize a hole in a sparse array');
      node.value.push(this.representData(items[i]));
      this.leave();
    }
    return node;
  }

  /** `stringKeys`: the keys of a plain object, which are distinct strings. */
  private representMapping(obj: object, tag: string, entries: Array<[unknown, unknown]>, stringKeys = false): MappingNode {
    const node = this.remember(obj, { kind: 'mapping', tag, value: [] as Array<[Node, Node]> });
    const identities = new Map<string, unknown>();
    for (const [key] of stringKeys ? [] : entries) {
      if (!isMapKeyType(key)) {
        this.enter(key, false);
        this.fail(`cannot use ${describe(key)} as a mapping key`);
      }
      const identity = pythonKeyIdentity(key) as string;
      if (identities.has(identity)) {
        this.fail(
          `cannot serialize keys ${String(identities.get(identity))} and ${String(key)} together: ` +
            'they are the same key in Python (1, 1.0 and true are equal)',
        );
      }
      identities.set(identity, key);
    }
    for (const [key, value] of sortLikePython(entries, stringKeys)) {
      this.enter(key, false);
      const keyNode = this.representData(key);
      const valueNode = this.representData(value);
      this.leave();
      node.value.push([keyNode, valueNode]);
    }
    return node;
  }
}
