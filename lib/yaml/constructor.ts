/**
 * Port of PyYAML's constructor.py (`SafeConstructor`): the composer's node
 * graph in, JS values out (see ./values for the mapping), including the
 * scalar constructors that ./js-yaml-schema reuses. Imports ./composer
 * (node shapes), ./resolver (tags), ./values and ./error.
 *
 * PyYAML is Copyright (c) 2017-2021 Ingy döt Net and (c) 2006-2016 Kirill
 * Simonov, MIT License; this TypeScript port follows its structure and
 * rules, and is distributed under the same terms (see NOTICE).
 */

import { Buffer } from 'node:buffer';
import { YamlError, markedError } from './error';
import type { MappingNode, YamlNode } from './composer';
import { TAG } from './resolver';
import { YamlDate, YamlDateTime, YamlFloat, YamlTuple, checkDateFields, pythonKeyIdentity, utcEpochMs } from './values';

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

/** 1-15 decimal digits without a leading zero: what Number() reads exactly as int() does. */
function isShortDecimal(text: string): boolean {
  const length = text.length;
  if (length === 0 || length > 15) return false;
  const first = text.charCodeAt(0);
  if (first < 0x31 || first > 0x39) return false;
  for (let i = 1; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
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
  if (isShortDecimal(text)) return Number(text);
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

// Only a float that JS would take for an int needs the wrapper: beyond
// 2^53 - 1 a number is written back as a float anyway (see the representer).
function floatResult(value: number): number | YamlFloat {
  return Number.isSafeInteger(value) ? new YamlFloat(value) : value;
}

/**
 * `SafeConstructor.construct_yaml_float`. Results that are safe integers
 * (`1.0`, `-0.0`) are wrapped in {@link YamlFloat} so that they stay floats
 * when written back; `1.5e+300` is a plain number. @internal
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

/** `YYYY-MM-DD` exactly, the common case, read without the regex. */
export function isPlainDate(text: string): boolean {
  if (text.length !== 10 || text.charCodeAt(4) !== 0x2d || text.charCodeAt(7) !== 0x2d) return false;
  for (const i of DATE_DIGITS) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}
const DATE_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9];

const TIMESTAMP_REGEXP =
  /^([0-9][0-9][0-9][0-9])-([0-9][0-9]?)-([0-9][0-9]?)(?:(?:[Tt]|[ \t]+)([0-9][0-9]?):([0-9][0-9]):([0-9][0-9])(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9][0-9]?)(?::([0-9][0-9]))?))?)?\n?$/;

/**
 * `SafeConstructor.construct_yaml_timestamp`: a date-only value becomes a
 * {@link YamlDate}, anything with a time a {@link YamlDateTime}. @internal
 */
export function constructYamlTimestamp(text: string): YamlDate | YamlDateTime {
  if (isPlainDate(text)) {
    const d = (i: number): number => text.charCodeAt(i) - 0x30;
    return new YamlDate(d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3), d(5) * 10 + d(6), d(8) * 10 + d(9));
  }
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

/** Whether Python could use the value as a dict key. @internal */
export function isHashable(value: unknown): boolean {
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

/** Assignment that cannot touch the prototype when the key is `__proto__`. @internal */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/**
 * One key/value pair into a mapping that needs a Map: a Python dict keeps
 * the first of two equal keys and the last value. `firstKeys` maps each
 * key's Python identity to the key kept. @internal
 */
export function setPythonPair(data: Map<unknown, unknown>, firstKeys: Map<string, unknown>, key: unknown, value: unknown): void {
  const identity = pythonKeyIdentity(key) as string;
  if (firstKeys.has(identity)) {
    data.set(firstKeys.get(identity), value);
  } else {
    firstKeys.set(identity, key);
    data.set(key, value);
  }
}

/** Marks a tag that has no constructor for a scalar (see {@link scalarValue}). @internal */
export const NOT_A_SCALAR_TAG: unique symbol = Symbol('not a scalar tag');

/**
 * What a scalar node with this tag and text constructs to, or
 * NOT_A_SCALAR_TAG for the tags whose constructor wants another kind of node
 * or that have none. Throws a plain Error where the text does not fit.
 * @internal
 */
export function scalarValue(tag: string, text: string): unknown {
  switch (tag) {
    case TAG.str:
      return text;
    case TAG.null:
      return null;
    case TAG.bool:
      return constructYamlBool(text);
    case TAG.int:
      return constructYamlInt(text);
    case TAG.float:
      return constructYamlFloat(text);
    case TAG.binary:
      return constructYamlBinary(text);
    case TAG.timestamp:
      return constructYamlTimestamp(text);
    default:
      return NOT_A_SCALAR_TAG;
  }
}

function allKeysStr(pairs: ReadonlyArray<[YamlNode, YamlNode]>): boolean {
  for (let i = 0; i < pairs.length; i++) if (pairs[i][0].tag !== TAG.str) return false;
  return true;
}

export class Constructor {
  private readonly constructed = new Map<YamlNode, unknown>();
  private readonly inProgress = new Set<YamlNode>();

  constructDocument(node: YamlNode): unknown {
    return this.constructObject(node);
  }

  private constructObject(node: YamlNode): unknown {
    // A node without an anchor is met once and cannot contain itself, so
    // it needs none of the bookkeeping below.
    if (!node.anchored) {
      try {
        return this.dispatch(node);
      } catch (err) {
        throw this.wrap(err, node);
      }
    }
    if (this.constructed.has(node)) return this.constructed.get(node);
    if (this.inProgress.has(node)) {
      throw markedError(null, null, 'found unconstructable recursive node', node.start);
    }
    this.inProgress.add(node);
    let data: unknown;
    try {
      data = this.dispatch(node);
    } catch (err) {
      throw this.wrap(err, node);
    }
    this.constructed.set(node, data);
    this.inProgress.delete(node);
    return data;
  }

  /** A constructor's plain Error becomes a YamlParseError at the node. */
  private wrap(err: unknown, node: YamlNode): unknown {
    if (err instanceof YamlError) return err;
    if (err instanceof RangeError && /call stack/i.test(err.message)) return err;
    return markedError(null, null, (err as Error).message, node.start);
  }

  // Containers are registered before their content is built, as PyYAML's
  // generator constructors do, so that recursive documents (`&a [*a]`) load.
  private register<T>(node: YamlNode, data: T): T {
    if (!node.anchored) return data;
    this.constructed.set(node, data);
    this.inProgress.delete(node);
    return data;
  }

  private dispatch(node: YamlNode): unknown {
    switch (node.tag) {
      case TAG.null:
      case TAG.bool:
      case TAG.int:
      case TAG.float:
      case TAG.binary:
      case TAG.str:
        // The node's text, or on a mapping its '=' key's value (PyYAML's construct_scalar).
        return scalarValue(node.tag, this.constructScalar(node));
      case TAG.timestamp: {
        const text = this.constructScalar(node);
        if (node.kind !== 'scalar') throw new Error('expected a scalar node for a timestamp');
        return scalarValue(node.tag, text);
      }
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
    // Most mappings have neither '<<' nor '=' keys: nothing to flatten.
    let special = false;
    for (const pair of node.value) {
      const tag = pair[0].tag;
      if (tag === TAG.merge || tag === TAG.value) {
        special = true;
        break;
      }
    }
    if (!special) return;
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
    // A mapping whose keys are all strings becomes a plain object; any other
    // key type needs a Map to keep its Python type. Keys tagged str are
    // neither '<<' nor '=', so such a mapping has nothing to flatten, and
    // flattening (which can only retag '=' keys to str) is needed only
    // when some key is not str yet.
    let pairs: Array<[YamlNode, YamlNode]> | null = null;
    let stringKeys = false;
    if (node.kind === 'mapping') {
      pairs = node.value;
      stringKeys = allKeysStr(pairs);
      if (!stringKeys) {
        this.flattenMapping(node);
        pairs = node.value;
        stringKeys = allKeysStr(pairs);
      }
    }
    if (stringKeys) {
      const data = this.register(node, {} as Record<string, unknown>);
      for (const pair of pairs as Array<[YamlNode, YamlNode]>) {
        // a str-tagged scalar constructs to its text, anchored or not
        const keyNode = pair[0];
        const key = keyNode.kind === 'scalar' ? keyNode.value : (this.constructObject(keyNode) as string);
        // likewise a str-tagged scalar value, the commonest value there is
        const valueNode = pair[1];
        setOwn(data, key, valueNode.kind === 'scalar' && valueNode.tag === TAG.str ? valueNode.value : this.constructObject(valueNode));
      }
      return data;
    }
    const data = this.register(node, new Map<unknown, unknown>());
    const firstKeys = new Map<string, unknown>();
    for (const [keyNode, valueNode] of this.mappingPairs(node)) {
      const key = this.constructKey(keyNode, node);
      setPythonPair(data, firstKeys, key, this.constructObject(valueNode));
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
