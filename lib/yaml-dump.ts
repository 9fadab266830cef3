/**
 * YAML dumping that produces exactly the bytes of PyYAML 6.0's
 * `yaml.dump(data, default_flow_style=False)`.
 *
 * A port of PyYAML's `Representer`, `Serializer` and `Emitter`. Byte
 * identity with a Python peer depends on PyYAML's own rules for quoting,
 * line folding at 80 columns, escapes and anchors, so the logic mirrors
 * representer.py / serializer.py / emitter.py function by function; js-yaml's
 * dumper follows different rules and cannot be configured into them.

 *
 * PyYAML is Copyright (c) 2017-2021 Ingy döt Net and (c) 2006-2016 Kirill
 * Simonov, MIT License; this TypeScript port follows its structure and
 * rules, and is distributed under the same terms (see NOTICE).
 */

import { Buffer } from 'node:buffer';
import {
  TAG,
  YamlDate,
  YamlDateTime,
  YamlError,
  YamlFloat,
  YamlTuple,
  pythonIsoFormat,
  pythonKeyIdentity,
  resolveImplicitTag,
} from './yaml-load';

/**
 * A value that has no PyYAML representation (function, symbol, `undefined`
 * in an array, class instance, unsortable duplicate key, ...). `path` names
 * where it was found, e.g. `tasks[3].owner`; it is empty at the top level.
 */
export class YamlDumpError extends YamlError {
  /** Where in the data the value was found (`a.b[2]`), empty at the top. */
  readonly path: string;

  constructor(message: string, path: string) {
    super(message);
    this.name = 'YamlDumpError';
    this.path = path;
  }
}

// ---------------------------------------------------------------------------
// Representation graph
// ---------------------------------------------------------------------------

type Style = "'" | '"' | '|' | '>' | '';

// `anchor` and `serialized` are the serializer's bookkeeping, kept on the
// node rather than in Maps keyed by node, which cost more than the rest of
// serialization on large documents. `anchor`: undefined until first seen,
// null once seen, a name once seen twice.
interface NodeState {
  anchor?: string | null;
  serialized?: boolean;
}

interface ScalarNode extends NodeState {
  readonly kind: 'scalar';
  readonly tag: string;
  readonly value: string;
  readonly style: Style | null;
}

interface SequenceNode extends NodeState {
  readonly kind: 'sequence';
  readonly tag: string;
  readonly value: Node[];
}

interface MappingNode extends NodeState {
  readonly kind: 'mapping';
  readonly tag: string;
  readonly value: Array<[Node, Node]>;
}

type Node = ScalarNode | SequenceNode | MappingNode;

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
function sortLikePython(entries: Array<[unknown, unknown]>): Array<[unknown, unknown]> {
  if (entries.length < 2) return entries;
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

class Representer {
  private readonly represented = new Map<object, Node>();
  private readonly path: string[] = [];

  private where(): string {
    return this.path.join('');
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
        if (Number.isInteger(data)) return { kind: 'scalar', tag: TAG.int, value: BigInt(data).toString(), style: null };
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
      return this.representMapping(obj, TAG.map, entries);
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
      if (!(i in items)) {
        this.path.push(`[${i}]`);
        this.fail('cannot serialize a hole in a sparse array');
      }
      this.path.push(`[${i}]`);
      node.value.push(this.representData(items[i]));
      this.path.pop();
    }
    return node;
  }

  private representMapping(obj: object, tag: string, entries: Array<[unknown, unknown]>): MappingNode {
    const node = this.remember(obj, { kind: 'mapping', tag, value: [] as Array<[Node, Node]> });
    const identities = new Map<string, unknown>();
    for (const [key] of entries) {
      if (!isMapKeyType(key)) {
        this.path.push(this.segment(key));
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
    for (const [key, value] of sortLikePython(entries)) {
      this.path.push(this.segment(key));
      const keyNode = this.representData(key);
      const valueNode = this.representData(value);
      this.path.pop();
      node.value.push([keyNode, valueNode]);
    }
    return node;
  }
}

// ---------------------------------------------------------------------------
// Serializer (serializer.py)
// ---------------------------------------------------------------------------

type DumpEvent =
  | { type: 'StreamStart' | 'StreamEnd' | 'DocumentStart' | 'DocumentEnd' | 'SequenceEnd' | 'MappingEnd' }
  | { type: 'Alias'; anchor: string }
  | {
      type: 'Scalar';
      anchor: string | null;
      tag: string;
      implicit: readonly [boolean, boolean];
      value: string;
      style: Style | null;
    }
  | { type: 'SequenceStart' | 'MappingStart'; anchor: string | null; tag: string; implicit: boolean };

type ScalarEvent = Extract<DumpEvent, { type: 'Scalar' }>;
type CollectionStartEvent = Extract<DumpEvent, { type: 'SequenceStart' | 'MappingStart' }>;

function serialize(root: Node): DumpEvent[] {
  let lastAnchorId = 0;
  // Iterative, because a long list nested inside itself must not exhaust
  // the stack; the visiting order is PyYAML's (key before value).
  const anchorStack: Node[] = [root];
  while (anchorStack.length) {
    const node = anchorStack.pop() as Node;
    if (node.anchor !== undefined) {
      if (node.anchor === null) node.anchor = `id${String(++lastAnchorId).padStart(3, '0')}`;
      continue;
    }
    node.anchor = null;
    if (node.kind === 'sequence') {
      for (let i = node.value.length - 1; i >= 0; i--) anchorStack.push(node.value[i]);
    } else if (node.kind === 'mapping') {
      for (let i = node.value.length - 1; i >= 0; i--) {
        anchorStack.push(node.value[i][1]);
        anchorStack.push(node.value[i][0]);
      }
    }
  }

  const events: DumpEvent[] = [{ type: 'StreamStart' }, { type: 'DocumentStart' }];
  const visit = (node: Node): void => {
    const alias = node.anchor ?? null;
    if (node.serialized) {
      events.push({ type: 'Alias', anchor: alias as string });
      return;
    }
    node.serialized = true;
    if (node.kind === 'scalar') {
      const implicit: [boolean, boolean] = [node.tag === resolveImplicitTag(node.value), node.tag === TAG.str];
      events.push({ type: 'Scalar', anchor: alias, tag: node.tag, implicit, value: node.value, style: node.style });
    } else if (node.kind === 'sequence') {
      events.push({ type: 'SequenceStart', anchor: alias, tag: node.tag, implicit: node.tag === TAG.seq });
      for (const item of node.value) visit(item);
      events.push({ type: 'SequenceEnd' });
    } else {
      events.push({ type: 'MappingStart', anchor: alias, tag: node.tag, implicit: node.tag === TAG.map });
      for (const [key, value] of node.value) {
        visit(key);
        visit(value);
      }
      events.push({ type: 'MappingEnd' });
    }
  };
  visit(root);
  events.push({ type: 'DocumentEnd' }, { type: 'StreamEnd' });
  return events;
}

// ---------------------------------------------------------------------------
// Emitter (emitter.py) with yaml.dump's settings: no canonical form, indent
// 2, width 80, allow_unicode off, '\n' line breaks, block collections.
// ---------------------------------------------------------------------------

/**
 * A scalar indexed by code point, as Python indexes str: the string itself
 * when it has no astral characters, else an array of code points.
 */
type CodePoints = string | readonly string[];

function span(text: CodePoints, start: number, end: number): string {
  return typeof text === 'string' ? text.slice(start, end) : text.slice(start, end).join('');
}

interface ScalarAnalysis {
  readonly scalar: CodePoints;
  readonly empty: boolean;
  readonly multiline: boolean;
  readonly allowFlowPlain: boolean;
  readonly allowBlockPlain: boolean;
  readonly allowSingleQuoted: boolean;
  readonly allowBlock: boolean;
}

const BEST_INDENT = 2;
const BEST_WIDTH = 80;
const SPACE_OR_BREAK_Z = '\0 \t\r\n\x85\u2028\u2029';
const LINE_BREAK_CHARS = '\n\x85\u2028\u2029';

const DQ_ESCAPES: Readonly<Record<string, string>> = {
  '\0': '0',
  '\x07': 'a',
  '\x08': 'b',
  '\x09': 't',
  '\x0A': 'n',
  '\x0B': 'v',
  '\x0C': 'f',
  '\x0D': 'r',
  '\x1B': 'e',
  '"': '"',
  '\\': '\\',
  '\x85': 'N',
  '\xA0': '_',
  '\u2028': 'L',
  '\u2029': 'P',
};

const TAG_PREFIXES: ReadonlyArray<[string, string]> = [
  // sorted(tag_prefixes.keys()), as prepare_tag iterates them
  ['!', '!'],
  ['tag:yaml.org,2002:', '!!'],
];

function cp(ch: string): number {
  return ch.codePointAt(0) as number;
}

function analyzeScalar(value: string): ScalarAnalysis {
  // Python indexes str by code point; so must the width arithmetic.
  const scalar: CodePoints = /[\uD800-\uDFFF]/.test(value) ? Array.from(value) : value;
  if (!scalar.length) {
    return {
      scalar,
      empty: true,
      multiline: false,
      allowFlowPlain: false,
      allowBlockPlain: true,
      allowSingleQuoted: true,
      allowBlock: false,
    };
  }
  let blockIndicators = false;
  let flowIndicators = false;
  let lineBreaks = false;
  let specialCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;

  if (value.startsWith('---') || value.startsWith('...')) {
    blockIndicators = true;
    flowIndicators = true;
  }
  let precededByWhitespace = true;
  let followedByWhitespace = scalar.length === 1 || SPACE_OR_BREAK_Z.includes(scalar[1]);
  let previousSpace = false;
  let previousBreak = false;

  let index = 0;
  while (index < scalar.length) {
    const ch = scalar[index];
    if (index === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) {
        flowIndicators = true;
        blockIndicators = true;
      }
      if ('?:'.includes(ch)) {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      }
      if (ch === '-' && followedByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    } else {
      if (',?[]{}'.includes(ch)) flowIndicators = true;
      if (ch === ':') {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      }
      if (ch === '#' && precededByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    }

    if (LINE_BREAK_CHARS.includes(ch)) lineBreaks = true;
    const code = cp(ch);
    if (!(ch === '\n' || (code >= 0x20 && code <= 0x7e))) {
      // With allow_unicode off, anything else needs a double-quoted escape.
      specialCharacters = true;
    }

    if (ch === ' ') {
      if (index === 0) leadingSpace = true;
      if (index === scalar.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (LINE_BREAK_CHARS.includes(ch)) {
      if (index === 0) leadingBreak = true;
      if (index === scalar.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }

    index++;
    precededByWhitespace = SPACE_OR_BREAK_Z.includes(ch);
    followedByWhitespace = index + 1 >= scalar.length || SPACE_OR_BREAK_Z.includes(scalar[index + 1]);
  }

  let allowFlowPlain = true;
  let allowBlockPlain = true;
  let allowSingleQuoted = true;
  let allowBlock = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) allowFlowPlain = allowBlockPlain = false;
  if (trailingSpace) allowBlock = false;
  if (breakSpace) allowFlowPlain = allowBlockPlain = allowSingleQuoted = false;
  if (spaceBreak || specialCharacters) allowFlowPlain = allowBlockPlain = allowSingleQuoted = allowBlock = false;
  if (lineBreaks) allowFlowPlain = allowBlockPlain = false;
  if (flowIndicators) allowFlowPlain = false;
  if (blockIndicators) allowBlockPlain = false;

  return { scalar, empty: false, multiline: lineBreaks, allowFlowPlain, allowBlockPlain, allowSingleQuoted, allowBlock };
}

const preparedTags = new Map<string, string>();

function prepareTag(tag: string): string {
  let prepared = preparedTags.get(tag);
  if (prepared === undefined) preparedTags.set(tag, (prepared = prepareTagUncached(tag)));
  return prepared;
}

function prepareTagUncached(tag: string): string {
  if (!tag) throw new YamlDumpError('tag must not be empty', '');
  if (tag === '!') return tag;
  let handle: string | null = null;
  let suffix = tag;
  for (const [prefix, prefixHandle] of TAG_PREFIXES) {
    if (tag.startsWith(prefix) && (prefix === '!' || prefix.length < tag.length)) {
      handle = prefixHandle;
      suffix = tag.slice(prefix.length);
    }
  }
  let out = '';
  for (const ch of suffix) {
    if (
      (ch >= '0' && ch <= '9') ||
      (ch >= 'A' && ch <= 'Z') ||
      (ch >= 'a' && ch <= 'z') ||
      "-;/?:@&=+$,_.~*'()[]".includes(ch) ||
      (ch === '!' && handle !== '!')
    ) {
      out += ch;
    } else {
      for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return handle ? `${handle}${out}` : `!<${out}>`;
}

type EmitterState = () => void;

class Emitter {
  private readonly out: string[] = [];
  private readonly events: DumpEvent[];
  private eventIndex = 0;
  private event: DumpEvent | null = null;

  private states: EmitterState[] = [];
  private state: EmitterState;
  private readonly indents: Array<number | null> = [];
  private indent: number | null = null;
  private flowLevel = 0;

  private rootContext = false;
  private sequenceContext = false;
  private mappingContext = false;
  private simpleKeyContext = false;

  private column = 0;
  private whitespace = true;
  private indention = true;
  private openEnded = false;

  private preparedAnchor: string | null = null;
  private preparedTag: string | null = null;
  private analysis: ScalarAnalysis | null = null;
  private style: Style | null = null;

  constructor(events: DumpEvent[]) {
    this.events = events;
    this.state = this.expectStreamStart;
  }

  run(): string {
    while (this.eventIndex < this.events.length) {
      this.event = this.events[this.eventIndex++];
      this.state();
      this.event = null;
    }
    return this.out.join('');
  }

  /** `self.events[0]` in PyYAML: the event after the current one. */
  private nextEvent(): DumpEvent | undefined {
    return this.events[this.eventIndex];
  }

  private ev<T extends DumpEvent['type']>(): Extract<DumpEvent, { type: T }> {
    return this.event as Extract<DumpEvent, { type: T }>;
  }

  private increaseIndent(flow = false, indentless = false): void {
    this.indents.push(this.indent);
    if (this.indent === null) {
      this.indent = flow ? BEST_INDENT : 0;
    } else if (!indentless) {
      this.indent += BEST_INDENT;
    }
  }

  private popIndent(): void {
    this.indent = this.indents.pop() as number | null;
  }

  private popState(): void {
    this.state = this.states.pop() as EmitterState;
  }

  // -- stream and document --

  private readonly expectStreamStart = (): void => {
    this.state = this.expectFirstDocumentStart;
  };

  private readonly expectNothing = (): void => {
    throw new YamlDumpError(`expected nothing, but got ${this.event?.type}`, '');
  };

  private readonly expectFirstDocumentStart = (): void => this.expectDocumentStart(true);
  private readonly expectDocumentStartState = (): void => this.expectDocumentStart(false);

  private expectDocumentStart(first: boolean): void {
    if (this.event?.type === 'DocumentStart') {
      // check_empty_document is always false here: the representer gives
      // every scalar a tag.
      if (!first) {
        this.writeIndent();
        this.writeIndicator('---', true);
      }
      this.state = this.expectDocumentRoot;
    } else if (this.event?.type === 'StreamEnd') {
      if (this.openEnded) {
        this.writeIndicator('...', true);
        this.writeIndent();
      }
      this.state = this.expectNothing;
    }
  }

  private readonly expectDocumentEnd = (): void => {
    this.writeIndent();
    this.state = this.expectDocumentStartState;
  };

  private readonly expectDocumentRoot = (): void => {
    this.states.push(this.expectDocumentEnd);
    this.expectNode(true, false, false, false);
  };

  // -- nodes --

  private expectNode(root: boolean, sequence: boolean, mapping: boolean, simpleKey: boolean): void {
    this.rootContext = root;
    this.sequenceContext = sequence;
    this.mappingContext = mapping;
    this.simpleKeyContext = simpleKey;
    const event = this.event as DumpEvent;
    if (event.type === 'Alias') {
      this.expectAlias();
    } else if (event.type === 'Scalar' || event.type === 'SequenceStart' || event.type === 'MappingStart') {
      this.processAnchor('&');
      this.processTag();
      if (event.type === 'Scalar') {
        this.expectScalar();
      } else if (event.type === 'SequenceStart') {
        if (this.flowLevel || this.checkEmptySequence()) this.expectFlowSequence();
        else this.expectBlockSequence();
      } else {
        if (this.flowLevel || this.checkEmptyMapping()) this.expectFlowMapping();
        else this.expectBlockMapping();
      }
    } else {
      throw new YamlDumpError(`expected NodeEvent, but got ${event.type}`, '');
    }
  }

  private expectAlias(): void {
    this.processAnchor('*');
    this.popState();
  }

  private expectScalar(): void {
    this.increaseIndent(true);
    this.processScalar();
    this.popIndent();
    this.popState();
  }

  // -- flow collections (only ever empty with default_flow_style=False) --

  private expectFlowSequence(): void {
    this.writeIndicator('[', true, true);
    this.flowLevel++;
    this.increaseIndent(true);
    this.state = this.expectFirstFlowSequenceItem;
  }

  private readonly expectFirstFlowSequenceItem = (): void => {
    if (this.event?.type === 'SequenceEnd') {
      this.popIndent();
      this.flowLevel--;
      this.writeIndicator(']', false);
      this.popState();
    } else {
      if (this.column > BEST_WIDTH) this.writeIndent();
      this.states.push(this.expectFlowSequenceItem);
      this.expectNode(false, true, false, false);
    }
  };

  private readonly expectFlowSequenceItem = (): void => {
    if (this.event?.type === 'SequenceEnd') {
      this.popIndent();
      this.flowLevel--;
      this.writeIndicator(']', false);
      this.popState();
    } else {
      this.writeIndicator(',', false);
      if (this.column > BEST_WIDTH) this.writeIndent();
      this.states.push(this.expectFlowSequenceItem);
      this.expectNode(false, true, false, false);
    }
  };

  private expectFlowMapping(): void {
    this.writeIndicator('{', true, true);
    this.flowLevel++;
    this.increaseIndent(true);
    this.state = this.expectFirstFlowMappingKey;
  }

  private readonly expectFirstFlowMappingKey = (): void => {
    if (this.event?.type === 'MappingEnd') {
      this.popIndent();
      this.flowLevel--;
      this.writeIndicator('}', false);
      this.popState();
    } else {
      if (this.column > BEST_WIDTH) this.writeIndent();
      this.flowMappingKey();
    }
  };

  private readonly expectFlowMappingKey = (): void => {
    if (this.event?.type === 'MappingEnd') {
      this.popIndent();
      this.flowLevel--;
      this.writeIndicator('}', false);
      this.popState();
    } else {
      this.writeIndicator(',', false);
      if (this.column > BEST_WIDTH) this.writeIndent();
      this.flowMappingKey();
    }
  };

  private flowMappingKey(): void {
    if (this.checkSimpleKey()) {
      this.states.push(this.expectFlowMappingSimpleValue);
      this.expectNode(false, false, true, true);
    } else {
      this.writeIndicator('?', true);
      this.states.push(this.expectFlowMappingValue);
      this.expectNode(false, false, true, false);
    }
  }

  private readonly expectFlowMappingSimpleValue = (): void => {
    this.writeIndicator(':', false);
    this.states.push(this.expectFlowMappingKey);
    this.expectNode(false, false, true, false);
  };

  private readonly expectFlowMappingValue = (): void => {
    if (this.column > BEST_WIDTH) this.writeIndent();
    this.writeIndicator(':', true);
    this.states.push(this.expectFlowMappingKey);
    this.expectNode(false, false, true, false);
  };

  // -- block collections --

  private expectBlockSequence(): void {
    // "key:\n- item": a sequence under a mapping key is not indented.
    const indentless = this.mappingContext && !this.indention;
    this.increaseIndent(false, indentless);
    this.state = this.expectFirstBlockSequenceItem;
  }

  private readonly expectFirstBlockSequenceItem = (): void => this.expectBlockSequenceItem(true);
  private readonly expectBlockSequenceItemState = (): void => this.expectBlockSequenceItem(false);

  private expectBlockSequenceItem(first: boolean): void {
    if (!first && this.event?.type === 'SequenceEnd') {
      this.popIndent();
      this.popState();
    } else {
      this.writeIndent();
      this.writeIndicator('-', true, false, true);
      this.states.push(this.expectBlockSequenceItemState);
      this.expectNode(false, true, false, false);
    }
  }

  private expectBlockMapping(): void {
    this.increaseIndent(false);
    this.state = this.expectFirstBlockMappingKey;
  }

  private readonly expectFirstBlockMappingKey = (): void => this.expectBlockMappingKey(true);
  private readonly expectBlockMappingKeyState = (): void => this.expectBlockMappingKey(false);

  private expectBlockMappingKey(first: boolean): void {
    if (!first && this.event?.type === 'MappingEnd') {
      this.popIndent();
      this.popState();
    } else {
      this.writeIndent();
      if (this.checkSimpleKey()) {
        this.states.push(this.expectBlockMappingSimpleValue);
        this.expectNode(false, false, true, true);
      } else {
        this.writeIndicator('?', true, false, true);
        this.states.push(this.expectBlockMappingValue);
        this.expectNode(false, false, true, false);
      }
    }
  }

  private readonly expectBlockMappingSimpleValue = (): void => {
    this.writeIndicator(':', false);
    this.states.push(this.expectBlockMappingKeyState);
    this.expectNode(false, false, true, false);
  };

  private readonly expectBlockMappingValue = (): void => {
    this.writeIndent();
    this.writeIndicator(':', true, false, true);
    this.states.push(this.expectBlockMappingKeyState);
    this.expectNode(false, false, true, false);
  };

  // -- checkers --

  private checkEmptySequence(): boolean {
    return this.event?.type === 'SequenceStart' && this.nextEvent()?.type === 'SequenceEnd';
  }

  private checkEmptyMapping(): boolean {
    return this.event?.type === 'MappingStart' && this.nextEvent()?.type === 'MappingEnd';
  }

  private checkSimpleKey(): boolean {
    const event = this.event as DumpEvent;
    let length = 0;
    if ('anchor' in event && event.anchor !== null) {
      if (this.preparedAnchor === null) this.preparedAnchor = event.anchor;
      length += this.preparedAnchor.length;
    }
    if ((event.type === 'Scalar' || event.type === 'SequenceStart' || event.type === 'MappingStart') && event.tag !== null) {
      if (this.preparedTag === null) this.preparedTag = prepareTag(event.tag);
      length += this.preparedTag.length;
    }
    if (event.type === 'Scalar') {
      if (this.analysis === null) this.analysis = analyzeScalar(event.value);
      length += this.analysis.scalar.length;
    }
    return (
      length < 128 &&
      (event.type === 'Alias' ||
        (event.type === 'Scalar' && !(this.analysis as ScalarAnalysis).empty && !(this.analysis as ScalarAnalysis).multiline) ||
        this.checkEmptySequence() ||
        this.checkEmptyMapping())
    );
  }

  // -- anchor, tag, scalar processors --

  private processAnchor(indicator: string): void {
    const event = this.event as DumpEvent;
    const anchor = 'anchor' in event ? event.anchor : null;
    if (anchor === null) {
      this.preparedAnchor = null;
      return;
    }
    if (this.preparedAnchor === null) this.preparedAnchor = anchor;
    if (this.preparedAnchor) this.writeIndicator(indicator + this.preparedAnchor, true);
    this.preparedAnchor = null;
  }

  private processTag(): void {
    const event = this.event as ScalarEvent | CollectionStartEvent;
    const tag = event.tag;
    if (event.type === 'Scalar') {
      if (this.style === null) this.style = this.chooseScalarStyle();
      if ((this.style === '' && event.implicit[0]) || (this.style !== '' && event.implicit[1])) {
        this.preparedTag = null;
        return;
      }
    } else if (event.implicit) {
      this.preparedTag = null;
      return;
    }
    if (this.preparedTag === null) this.preparedTag = prepareTag(tag);
    if (this.preparedTag) this.writeIndicator(this.preparedTag, true);
    this.preparedTag = null;
  }

  private chooseScalarStyle(): Style {
    const event = this.ev<'Scalar'>();
    if (this.analysis === null) this.analysis = analyzeScalar(event.value);
    const analysis = this.analysis;
    if (event.style === '"') return '"';
    if (!event.style && event.implicit[0]) {
      if (
        !(this.simpleKeyContext && (analysis.empty || analysis.multiline)) &&
        ((this.flowLevel && analysis.allowFlowPlain) || (!this.flowLevel && analysis.allowBlockPlain))
      ) {
        return '';
      }
    }
    if (event.style && '|>'.includes(event.style)) {
      if (!this.flowLevel && !this.simpleKeyContext && analysis.allowBlock) return event.style;
    }
    if (!event.style || event.style === "'") {
      if (analysis.allowSingleQuoted && !(this.simpleKeyContext && analysis.multiline)) return "'";
    }
    return '"';
  }

  private processScalar(): void {
    const event = this.ev<'Scalar'>();
    if (this.analysis === null) this.analysis = analyzeScalar(event.value);
    if (this.style === null) this.style = this.chooseScalarStyle();
    const split = !this.simpleKeyContext;
    const text = this.analysis.scalar;
    switch (this.style) {
      case '"':
        this.writeDoubleQuoted(text, split);
        break;
      case "'":
        this.writeSingleQuoted(text, split);
        break;
      case '|':
        this.writeLiteral(text);
        break;
      case '>':
        // The representer never asks for folded style.
        throw new YamlDumpError('folded scalars are not supported', '');
      default:
        this.writePlain(text, split);
    }
    this.analysis = null;
    this.style = null;
  }

  // -- writers --

  private write(data: string): void {
    this.out.push(data);
  }

  private writeIndicator(indicator: string, needWhitespace: boolean, whitespace = false, indention = false): void {
    const data = this.whitespace || !needWhitespace ? indicator : ` ${indicator}`;
    this.whitespace = whitespace;
    this.indention = this.indention && indention;
    this.column += data.length;
    this.openEnded = false;
    this.write(data);
  }

  private writeIndent(): void {
    const indent = this.indent ?? 0;
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) {
      this.writeLineBreak();
    }
    if (this.column < indent) {
      this.whitespace = true;
      this.write(' '.repeat(indent - this.column));
      this.column = indent;
    }
  }

  private writeLineBreak(data = '\n'): void {
    this.whitespace = true;
    this.indention = true;
    this.column = 0;
    this.write(data);
  }

  private writeSpan(text: CodePoints, start: number, end: number): void {
    this.column += end - start;
    this.write(span(text, start, end));
  }

  private writeBreaks(text: CodePoints, start: number, end: number): void {
    for (let i = start; i < end; i++) {
      const br = text[i];
      this.writeLineBreak(br === '\n' ? '\n' : br);
    }
  }

  private writeSingleQuoted(text: CodePoints, split: boolean): void {
    this.writeIndicator("'", true);
    let spaces = false;
    let breaks = false;
    let start = 0;
    let end = 0;
    while (end <= text.length) {
      const ch: string | null = end < text.length ? text[end] : null;
      if (spaces) {
        if (ch === null || ch !== ' ') {
          if (start + 1 === end && this.column > BEST_WIDTH && split && start !== 0 && end !== text.length) {
            this.writeIndent();
          } else {
            this.writeSpan(text, start, end);
          }
          start = end;
        }
      } else if (breaks) {
        if (ch === null || !LINE_BREAK_CHARS.includes(ch)) {
          if (text[start] === '\n') this.writeLineBreak();
          this.writeBreaks(text, start, end);
          this.writeIndent();
          start = end;
        }
      } else if (ch === null || ' \n\x85\u2028\u2029'.includes(ch) || ch === "'") {
        if (start < end) {
          this.writeSpan(text, start, end);
          start = end;
        }
      }
      if (ch === "'") {
        this.column += 2;
        this.write("''");
        start = end + 1;
      }
      if (ch !== null) {
        spaces = ch === ' ';
        breaks = LINE_BREAK_CHARS.includes(ch);
      }
      end++;
    }
    this.writeIndicator("'", false);
  }

  private writeDoubleQuoted(text: CodePoints, split: boolean): void {
    this.writeIndicator('"', true);
    let start = 0;
    let end = 0;
    while (end <= text.length) {
      const ch: string | null = end < text.length ? text[end] : null;
      if (ch === null || '"\\\x85\u2028\u2029\uFEFF'.includes(ch) || !(cp(ch) >= 0x20 && cp(ch) <= 0x7e)) {
        if (start < end) {
          this.writeSpan(text, start, end);
          start = end;
        }
        if (ch !== null) {
          const code = cp(ch);
          let data: string;
          if (Object.prototype.hasOwnProperty.call(DQ_ESCAPES, ch)) data = `\\${DQ_ESCAPES[ch]}`;
          else if (code <= 0xff) data = `\\x${code.toString(16).toUpperCase().padStart(2, '0')}`;
          else if (code <= 0xffff) data = `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
          else data = `\\U${code.toString(16).toUpperCase().padStart(8, '0')}`;
          this.column += data.length;
          this.write(data);
          start = end + 1;
        }
      }
      if (0 < end && end < text.length - 1 && (ch === ' ' || start >= end) && this.column + (end - start) > BEST_WIDTH && split) {
        // Only printable ASCII is left unescaped, so the span is ASCII.
        const data = `${span(text, start, end)}\\`;
        if (start < end) start = end;
        this.column += data.length;
        this.write(data);
        this.writeIndent();
        this.whitespace = false;
        this.indention = false;
        if (text[start] === ' ') {
          this.column += 1;
          this.write('\\');
        }
      }
      end++;
    }
    this.writeIndicator('"', false);
  }

  private determineBlockHints(text: CodePoints): string {
    let hints = '';
    if (text.length) {
      if (' \n\x85\u2028\u2029'.includes(text[0])) hints += String(BEST_INDENT);
      if (!LINE_BREAK_CHARS.includes(text[text.length - 1])) hints += '-';
      else if (text.length === 1 || LINE_BREAK_CHARS.includes(text[text.length - 2])) hints += '+';
    }
    return hints;
  }

  private writeLiteral(text: CodePoints): void {
    const hints = this.determineBlockHints(text);
    this.writeIndicator(`|${hints}`, true);
    if (hints.endsWith('+')) this.openEnded = true;
    this.writeLineBreak();
    let breaks = true;
    let start = 0;
    let end = 0;
    while (end <= text.length) {
      const ch: string | null = end < text.length ? text[end] : null;
      if (breaks) {
        if (ch === null || !LINE_BREAK_CHARS.includes(ch)) {
          this.writeBreaks(text, start, end);
          if (ch !== null) this.writeIndent();
          start = end;
        }
      } else if (ch === null || LINE_BREAK_CHARS.includes(ch)) {
        this.write(span(text, start, end));
        if (ch === null) this.writeLineBreak();
        start = end;
      }
      if (ch !== null) breaks = LINE_BREAK_CHARS.includes(ch);
      end++;
    }
  }

  private writePlain(text: CodePoints, split: boolean): void {
    if (this.rootContext) this.openEnded = true;
    if (!text.length) return;
    if (!this.whitespace) {
      this.column += 1;
      this.write(' ');
    }
    this.whitespace = false;
    this.indention = false;
    let spaces = false;
    let breaks = false;
    let start = 0;
    let end = 0;
    while (end <= text.length) {
      const ch: string | null = end < text.length ? text[end] : null;
      if (spaces) {
        if (ch !== ' ') {
          if (start + 1 === end && this.column > BEST_WIDTH && split) {
            this.writeIndent();
            this.whitespace = false;
            this.indention = false;
          } else {
            this.writeSpan(text, start, end);
          }
          start = end;
        }
      } else if (breaks) {
        if (ch === null || !LINE_BREAK_CHARS.includes(ch)) {
          if (text[start] === '\n') this.writeLineBreak();
          this.writeBreaks(text, start, end);
          this.writeIndent();
          this.whitespace = false;
          this.indention = false;
          start = end;
        }
      } else if (ch === null || ' \n\x85\u2028\u2029'.includes(ch)) {
        this.writeSpan(text, start, end);
        start = end;
      }
      if (ch !== null) {
        spaces = ch === ' ';
        breaks = LINE_BREAK_CHARS.includes(ch);
      }
      end++;
    }
  }
}

/**
 * Serialize `data` to exactly the text of PyYAML 6.0's
 * `yaml.dump(data, default_flow_style=False)` for the equivalent Python
 * value (see `loadPyYaml` for the value mapping).
 *
 * JS-only cases: an integral `number` is a Python int (use
 * {@link YamlFloat} for an integral float); a plain `Date` is an aware UTC
 * datetime; properties whose value is `undefined` are omitted, as JSON
 * does; objects shared by reference are written once with an `&idNNN`
 * anchor and aliased afterwards, and cycles are written the same way.
 *
 * @throws {YamlDumpError} for `undefined` in an array or at the top level,
 *   functions, symbols, class instances other than the supported ones, keys
 *   that Python would consider equal, and dates outside years 1-9999.
 */
export function dumpPyYaml(data: unknown): string {
  let events: DumpEvent[];
  try {
    events = serialize(new Representer().representData(data));
  } catch (err) {
    if (err instanceof RangeError && /call stack/i.test(err.message)) {
      throw new YamlDumpError('data is nested too deeply to serialize', '');
    }
    throw err;
  }
  return new Emitter(events).run();
}
