import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as jsYaml from 'js-yaml';
import {
  PYYAML_SCHEMA,
  YamlDate,
  YamlDateTime,
  YamlDumpError,
  YamlFloat,
  YamlParseError,
  YamlTuple,
  dumpYaml,
  parseYaml,
} from '../lib/yaml';

const ROOT = path.resolve(__dirname, '..', '..');
const CORPUS_DIR = path.join(ROOT, 'test', 'fixtures', 'yaml-corpus');
const ORACLE = path.join(ROOT, 'test', 'fixtures', 'pyyaml_roundtrip.py');
/** Debian's python3 with python3-yaml; the pyenv python3 on PATH has no yaml. */
const PYTHON = '/usr/bin/python3';

// ---------------------------------------------------------------------------
// The PyYAML oracle (see pyyaml_roundtrip.py for the protocol)
// ---------------------------------------------------------------------------

type Tagged =
  | null
  | boolean
  | string
  | { int: string }
  | { float: string }
  | { bytes: string }
  | { ref: number }
  | { id: number; date: string }
  | { id: number; datetime: string }
  | { id: number; list: Tagged[] }
  | { id: number; tuple: Tagged[] }
  | { id: number; map: Array<[Tagged, Tagged]> }
  | { id: number; set: Tagged[] };

type Job = { op: 'load' | 'load_dump'; text: string } | { op: 'dump'; value: Tagged };

interface OracleResult {
  ok: boolean;
  stage?: 'load' | 'dump';
  error?: string;
  value?: Tagged;
  dump?: string;
}

function pythonYamlMissing(): string | null {
  if (!fs.existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = spawnSync(PYTHON, ['-c', 'import yaml'], { encoding: 'utf8' });
  return r.status === 0 ? null : `${PYTHON} cannot import yaml (install python3-yaml)`;
}

/** Runs one batch of jobs in one Python process. */
function oracle(jobs: Job[]): OracleResult[] {
  const r = spawnSync(PYTHON, [ORACLE], { input: JSON.stringify({ jobs }), maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`PyYAML oracle failed (${r.status}): ${r.stderr.toString()}`);
  const response = JSON.parse(r.stdout.toString()) as { results: OracleResult[] };
  assert.equal(response.results.length, jobs.length);
  return response.results;
}

// ---------------------------------------------------------------------------
// Tagged values <-> JS values
// ---------------------------------------------------------------------------

function floatBits(x: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  return view.getBigUint64(0).toString(16).padStart(16, '0');
}

function floatFromBits(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/**
 * Python's datetime.isoformat() of a YamlDateTime, written independently of
 * the library so that the comparison checks it rather than trusts it.
 */
function isoDateTime(d: YamlDateTime): string {
  const offset = d.utcOffsetMinutes;
  const wall = new Date(d.getTime() + (offset ?? 0) * 60_000);
  let s =
    `${pad(wall.getUTCFullYear(), 4)}-${pad(wall.getUTCMonth() + 1, 2)}-${pad(wall.getUTCDate(), 2)}T` +
    `${pad(wall.getUTCHours(), 2)}:${pad(wall.getUTCMinutes(), 2)}:${pad(wall.getUTCSeconds(), 2)}`;
  const micro = wall.getUTCMilliseconds() * 1000 + d.micros;
  if (micro) s += `.${pad(micro, 6)}`;
  if (offset !== null) s += `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60), 2)}:${pad(Math.abs(offset) % 60, 2)}`;
  return s;
}

function isoDate(d: Date): string {
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** The tagged form of a JS value, to have PyYAML dump its Python twin. */
function toTagged(value: unknown, ids = new Map<object, number>()): Tagged {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'bigint') return { int: value.toString() };
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return { int: BigInt(value).toString() };
    return { float: Number.isNaN(value) ? 'nan' : floatBits(value) };
  }
  if (value instanceof YamlFloat) return { float: floatBits(value.value) };
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value).toString('base64') };
  const obj = value as object;
  const seen = ids.get(obj);
  if (seen !== undefined) return { ref: seen };
  const id = ids.size;
  ids.set(obj, id);
  if (obj instanceof YamlDate) return { id, date: isoDate(obj) };
  if (obj instanceof YamlDateTime) return { id, datetime: isoDateTime(obj) };
  if (obj instanceof Date) return { id, datetime: `${obj.toISOString().slice(0, -1)}000+00:00` };
  if (obj instanceof YamlTuple) return { id, tuple: obj.map((v) => toTagged(v, ids)) };
  if (Array.isArray(obj)) return { id, list: obj.map((v) => toTagged(v, ids)) };
  if (obj instanceof Set) return { id, set: [...obj].map((v) => toTagged(v, ids)) };
  if (obj instanceof Map) {
    return { id, map: [...obj].filter(([, v]) => v !== undefined).map(([k, v]): [Tagged, Tagged] => [toTagged(k, ids), toTagged(v, ids)]) };
  }
  if (isPlainObject(obj)) {
    return { id, map: Object.keys(obj).filter((k) => obj[k] !== undefined).map((k): [Tagged, Tagged] => [k, toTagged(obj[k], ids)]) };
  }
  throw new Error(`toTagged: unsupported ${String(value)}`);
}

/**
 * Compares a JS value with PyYAML's value, type-exactly: an int must be a
 * number (bigint beyond the safe range), an integral float a YamlFloat, a
 * date a YamlDate, a dict with only str keys a plain object and any other
 * dict a Map, and aliases must be the very same JS object. Returns null
 * when equal, else where and how they differ.
 */
function mismatch(js: unknown, t: Tagged, where = '$', ids = new Map<number, unknown>()): string | null {
  const bad = (what: string): string => `${where}: ${what}`;
  if (t === null) return js === null ? null : bad(`expected null, got ${show(js)}`);
  if (typeof t === 'boolean' || typeof t === 'string') {
    return js === t ? null : bad(`expected ${JSON.stringify(t)}, got ${show(js)}`);
  }
  if ('ref' in t) return js === ids.get(t.ref) ? null : bad(`expected the same object as id ${t.ref}`);
  if ('int' in t) {
    const expected = BigInt(t.int);
    const safe = expected >= BigInt(Number.MIN_SAFE_INTEGER) && expected <= BigInt(Number.MAX_SAFE_INTEGER);
    if (safe && typeof js === 'number' && Number.isInteger(js) && BigInt(js) === expected) return null;
    if (!safe && typeof js === 'bigint' && js === expected) return null;
    return bad(`expected int ${t.int} as a ${safe ? 'number' : 'bigint'}, got ${show(js)}`);
  }
  if ('float' in t) {
    if (t.float === 'nan') return typeof js === 'number' && Number.isNaN(js) ? null : bad(`expected NaN, got ${show(js)}`);
    const expected = floatFromBits(t.float);
    if (Number.isInteger(expected)) {
      return js instanceof YamlFloat && Object.is(js.value, expected) ? null : bad(`expected YamlFloat(${expected}), got ${show(js)}`);
    }
    return typeof js === 'number' && Object.is(js, expected) ? null : bad(`expected float ${expected}, got ${show(js)}`);
  }
  if ('bytes' in t) {
    return Buffer.isBuffer(js) && js.toString('base64') === t.bytes ? null : bad(`expected bytes ${t.bytes}, got ${show(js)}`);
  }
  const remember = (): void => void ids.set(t.id, js);
  if ('date' in t) {
    if (!(js instanceof YamlDate) || isoDate(js) !== t.date) return bad(`expected date ${t.date}, got ${show(js)}`);
    remember();
    return null;
  }
  if ('datetime' in t) {
    if (!(js instanceof YamlDateTime) || isoDateTime(js) !== t.datetime) return bad(`expected datetime ${t.datetime}, got ${show(js)}`);
    remember();
    return null;
  }
  if ('list' in t || 'tuple' in t) {
    const items = 'list' in t ? t.list : t.tuple;
    const isTuple = js instanceof YamlTuple;
    if (!Array.isArray(js) || isTuple !== 'tuple' in t) return bad(`expected a ${'list' in t ? 'list' : 'tuple'}, got ${show(js)}`);
    if (js.length !== items.length) return bad(`expected ${items.length} items, got ${js.length}`);
    remember();
    for (let i = 0; i < items.length; i++) {
      const m = mismatch(js[i], items[i], `${where}[${i}]`, ids);
      if (m) return m;
    }
    return null;
  }
  if ('set' in t) {
    if (!(js instanceof Set) || js.size !== t.set.length) return bad(`expected a set of ${t.set.length}, got ${show(js)}`);
    remember();
    for (const item of t.set) {
      if (!findKey([...js], item, ids)) return bad(`set lacks ${JSON.stringify(item)}`);
    }
    return null;
  }
  const entries = t.map;
  if (entries.every(([k]) => typeof k === 'string')) {
    if (!isPlainObject(js)) return bad(`expected a plain object, got ${show(js)}`);
    if (Object.keys(js).length !== entries.length) return bad(`expected keys ${JSON.stringify(entries.map(([k]) => k))}, got ${JSON.stringify(Object.keys(js))}`);
    remember();
    for (const [k, v] of entries) {
      if (!Object.prototype.hasOwnProperty.call(js, k as string)) return bad(`missing key ${JSON.stringify(k)}`);
      const m = mismatch(js[k as string], v, `${where}.${k as string}`, ids);
      if (m) return m;
    }
    return null;
  }
  if (!(js instanceof Map) || js.size !== entries.length) return bad(`expected a Map of ${entries.length}, got ${show(js)}`);
  remember();
  for (const [k, v] of entries) {
    const key = findKey([...js.keys()], k, ids);
    if (!key) return bad(`Map lacks key ${JSON.stringify(k)}`);
    const m = mismatch(js.get(key.value), v, `${where}[${JSON.stringify(k)}]`, ids);
    if (m) return m;
  }
  return null;
}

function findKey(candidates: unknown[], t: Tagged, ids: Map<number, unknown>): { value: unknown } | null {
  for (const candidate of candidates) {
    const trial = new Map(ids);
    if (mismatch(candidate, t, '', trial) === null) {
      for (const [id, v] of trial) ids.set(id, v);
      return { value: candidate };
    }
  }
  return null;
}

function show(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return `bigint ${v}`;
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  if (typeof v !== 'object') return `${typeof v} ${String(v)}`;
  return `${(v as object).constructor?.name ?? 'object'} ${String(v).slice(0, 60)}`;
}

// ---------------------------------------------------------------------------
// Corpus: every document through both implementations
// ---------------------------------------------------------------------------

const corpusFiles = fs.existsSync(CORPUS_DIR)
  ? fs.readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.yaml')).sort()
  : [];
const documents = corpusFiles.filter((f) => !f.startsWith('error-'));
const rejected = corpusFiles.filter((f) => f.startsWith('error-'));

interface DocOutcome {
  text: string;
  py: OracleResult;
  jsValue?: unknown;
  jsParseError?: unknown;
  jsDump?: string;
  jsDumpError?: unknown;
  pyReload?: OracleResult;
}

describe('YAML: PyYAML parity on the corpus (test/fixtures/yaml-corpus)', function () {
  const outcomes = new Map<string, DocOutcome>();
  const parity = { values: 0, bytes: 0, reverse: 0, rejected: 0 };
  let skipReason: string | null = null;

  before(function () {
    skipReason = pythonYamlMissing();
    if (skipReason) {
      console.log(`      skipped: ${skipReason}`);
      return;
    }
    const texts = corpusFiles.map((f) => fs.readFileSync(path.join(CORPUS_DIR, f), 'utf8'));
    const first = oracle(texts.map((text) => ({ op: 'load_dump', text })));
    corpusFiles.forEach((file, i) => {
      const outcome: DocOutcome = { text: texts[i], py: first[i] };
      try {
        outcome.jsValue = parseYaml(texts[i]);
        try {
          outcome.jsDump = dumpYaml(outcome.jsValue);
        } catch (err) {
          outcome.jsDumpError = err;
        }
      } catch (err) {
        outcome.jsParseError = err;
      }
      outcomes.set(file, outcome);
    });
    // Reverse direction in one more batch: PyYAML reads what Node wrote.
    const reloadFiles = corpusFiles.filter((f) => outcomes.get(f)?.jsDump !== undefined);
    const reloads = oracle(reloadFiles.map((f) => ({ op: 'load', text: outcomes.get(f)?.jsDump as string })));
    reloadFiles.forEach((f, i) => ((outcomes.get(f) as DocOutcome).pyReload = reloads[i]));
  });

  beforeEach(function () {
    if (skipReason) this.skip();
  });

  after(function () {
    if (skipReason) return;
    const n = documents.length;
    console.log(
      `      yaml parity: ${n} documents, values equal ${parity.values}/${n}, bytes identical ${parity.bytes}/${n}, ` +
        `PyYAML reads Node's output back ${parity.reverse}/${n}; rejected by both ${parity.rejected}/${rejected.length}`,
    );
  });

  it('has at least 45 loadable documents and some that PyYAML rejects', function () {
    assert.ok(documents.length >= 45, `only ${documents.length} documents`);
    assert.ok(rejected.length >= 5, `only ${rejected.length} error documents`);
  });

  for (const file of documents) {
    describe(file, function () {
      it('parseYaml gives the value yaml.safe_load gives (type-exact)', function () {
        const o = outcomes.get(file) as DocOutcome;
        assert.ok(o.py.ok, `PyYAML could not load or dump this corpus document: ${o.py.error}`);
        if (o.jsParseError) throw o.jsParseError;
        const m = mismatch(o.jsValue, o.py.value as Tagged);
        assert.equal(m, null, m ?? '');
        parity.values++;
      });

      it('dumpYaml(parseYaml(text)) is byte-identical to yaml.dump(safe_load(text), default_flow_style=False)', function () {
        const o = outcomes.get(file) as DocOutcome;
        assert.ok(o.py.ok, o.py.error);
        if (o.jsParseError) throw o.jsParseError;
        if (o.jsDumpError) throw o.jsDumpError;
        assert.equal(o.jsDump, o.py.dump);
        parity.bytes++;
      });

      it("yaml.safe_load(dumpYaml(value)) equals the value", function () {
        const o = outcomes.get(file) as DocOutcome;
        if (o.jsParseError) throw o.jsParseError;
        if (o.jsDumpError) throw o.jsDumpError;
        const reload = o.pyReload as OracleResult;
        assert.ok(reload.ok, `PyYAML rejected Node's output: ${reload.error}\n${o.jsDump}`);
        const m = mismatch(o.jsValue, reload.value as Tagged);
        assert.equal(m, null, m ?? '');
        parity.reverse++;
      });
    });
  }

  for (const file of rejected) {
    it(`${file}: parseYaml rejects it as yaml.safe_load does`, function () {
      const o = outcomes.get(file) as DocOutcome;
      assert.equal(o.py.ok, false, 'PyYAML accepted a document named error-*');
      assert.equal(o.py.stage, 'load');
      assert.ok(o.jsParseError instanceof YamlParseError, `parseYaml did not throw YamlParseError (PyYAML: ${o.py.error})`);
      parity.rejected++;
    });
  }
});

// ---------------------------------------------------------------------------
// Targeted behaviour
// ---------------------------------------------------------------------------

describe('YAML: reading with YAML 1.1 (PyYAML) meaning', function () {
  it('reads 0755 as the octal int 493', () => assert.equal(parseYaml('0755'), 493));
  it('reads yes / No / on / OFF as booleans', () => assert.deepEqual(parseYaml('[yes, No, on, OFF]'), [true, false, true, false]));
  it('keeps y and n as strings (they are not in PyYAML 1.1 bool regex)', () => assert.deepEqual(parseYaml('[y, n, Y, N]'), ['y', 'n', 'Y', 'N']));
  it('reads 1_000 as 1000', () => assert.equal(parseYaml('1_000'), 1000));
  it('reads 1:30 as 90 (sexagesimal) and 1:30.5 as 90.5', () => assert.deepEqual(parseYaml('[1:30, 1:30.5]'), [90, 90.5]));
  it('reads 0x1f, 0b101, +12 and -0 as ints', () => assert.deepEqual(parseYaml('[0x1f, 0b101, +12, -0]'), [31, 5, 12, 0]));
  it('keeps 0o17, 09 and 1e3 as strings, like PyYAML', () => assert.deepEqual(parseYaml('[0o17, 09, 1e3]'), ['0o17', '09', '1e3']));
  it('reads 2026-02-06 as a YamlDate at UTC midnight', () => {
    const d = parseYaml('2026-02-06');
    assert.ok(d instanceof YamlDate);
    assert.equal(d.toISOString(), '2026-02-06T00:00:00.000Z');
    assert.equal(d.toISODateString(), '2026-02-06');
  });
  it('reads a timestamp with a zone as a YamlDateTime that keeps offset and microseconds', () => {
    const d = parseYaml('2026-02-06 10:00:00.1234567 +05:30') as YamlDateTime;
    assert.ok(d instanceof YamlDateTime);
    assert.equal(d.toISOString(), '2026-02-06T04:30:00.123Z');
    assert.equal(d.micros, 456);
    assert.equal(d.utcOffsetMinutes, 330);
    assert.equal(dumpYaml(d), '2026-02-06 10:00:00.123456+05:30\n...\n');
  });
  it('reads a timestamp without a zone as naive (utcOffsetMinutes null, wall clock stored as UTC)', () => {
    const d = parseYaml('2026-02-06T10:00:00') as YamlDateTime;
    assert.equal(d.utcOffsetMinutes, null);
    assert.equal(d.toISOString(), '2026-02-06T10:00:00.000Z');
  });
  it('reads ~, null, NULL and an empty value as null, but nULL as a string', () =>
    assert.deepEqual(parseYaml('{a: ~, b: null, c: NULL, d: , e: nULL}'), { a: null, b: null, c: null, d: null, e: 'nULL' }));
  it('reads integral floats as YamlFloat and others as numbers', () => {
    const v = parseYaml('[1.0, 2.5, -0.0, .inf, .nan]') as unknown[];
    assert.ok(v[0] instanceof YamlFloat && v[0].value === 1);
    assert.equal(v[1], 2.5);
    assert.ok(v[2] instanceof YamlFloat && Object.is(v[2].value, -0));
    assert.equal(v[3], Infinity);
    assert.ok(Number.isNaN(v[4]));
  });
  it('reads ints beyond 2^53 as bigint', () => assert.equal(parseYaml('18446744073709551616'), 18446744073709551616n));
  it('keeps the last of duplicate keys silently, in the first key position', () => {
    assert.deepEqual(parseYaml('a: 1\nb: 2\na: 3'), { a: 3, b: 2 });
    const m = parseYaml('1: a\ntrue: b\n1.0: c') as Map<unknown, unknown>;
    assert.deepEqual([...m], [[1, 'c']]);
  });
  it('gives mappings with non-string keys as a Map with typed keys', () => {
    const m = parseYaml('{1: a, "1": b, true: c, null: d}') as Map<unknown, unknown>;
    assert.ok(m instanceof Map);
    assert.deepEqual([...m.keys()], [1, '1', null]);
    assert.equal(m.get(1), 'c');
  });
  it('applies merge keys with PyYAML precedence (own keys win, a later << wins over an earlier one)', () => {
    assert.deepEqual((parseYaml('b: &b {x: 1, y: 1}\nc: {<<: *b, y: 2}') as { c: unknown }).c, { x: 1, y: 2 });
    assert.deepEqual((parseYaml('a:\n  <<: {x: 1}\n  <<: {x: 2}') as { a: unknown }).a, { x: 2 });
    assert.deepEqual((parseYaml('a: {<<: [{x: 1}, {x: 2, y: 2}]}') as { a: unknown }).a, { x: 1, y: 2 });
  });
  it('returns the same object for an alias, and loads recursive documents', () => {
    const v = parseYaml('a: &x {k: 1}\nb: *x') as { a: object; b: object };
    assert.equal(v.a, v.b);
    const r = parseYaml('&r [*r]') as unknown[];
    assert.equal(r[0], r);
  });
  it('reads !!binary as a Buffer, !!set as a Set and !!omap as YamlTuple pairs', () => {
    assert.deepEqual(parseYaml('!!binary aGVsbG8='), Buffer.from('hello'));
    assert.deepEqual(parseYaml('!!set {a, b}'), new Set(['a', 'b']));
    const omap = parseYaml('!!omap [a: 1, b: 2]') as YamlTuple[];
    assert.ok(omap[0] instanceof YamlTuple);
    assert.deepEqual(omap.map((t) => [...t]), [['a', 1], ['b', 2]]);
  });
  it('does not let a __proto__ key reach the prototype', () => {
    const v = parseYaml('__proto__: {polluted: true}') as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
    assert.deepEqual(Object.keys(v), ['__proto__']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
  it('returns null for an empty document and throws YamlParseError with a position on bad input', () => {
    assert.equal(parseYaml(''), null);
    assert.equal(parseYaml('# only a comment\n'), null);
    assert.throws(() => parseYaml('a: [1, 2\nb: 3'), (err: unknown) => err instanceof YamlParseError && typeof err.line === 'number');
    assert.throws(() => parseYaml('!!python/object:os.system [ls]'), /could not determine a constructor/);
    assert.throws(() => parseYaml('a: 1\n---\nb: 2'), /expected a single document/);
  });

  it('stock js-yaml (YAML 1.2) reads the same text differently, which is why PYYAML_SCHEMA / parseYaml exist', () => {
    const text = 'mode: 0755\nenabled: yes\nduration: 1:30\nbig: 1_000\n';
    const stock = jsYaml.load(text) as Record<string, unknown>;
    const pyyaml = parseYaml(text) as Record<string, unknown>;
    assert.deepEqual(pyyaml, { mode: 493, enabled: true, duration: 90, big: 1000 });
    assert.notEqual(stock.mode, 493);
    assert.notEqual(stock.enabled, true);
    assert.notEqual(stock.duration, 90);
  });

  it('PYYAML_SCHEMA makes js-yaml resolve scalars exactly like parseYaml', () => {
    const text = [
      'mode: 0755', 'enabled: yes', 'disabled: Off', 'letter: y', 'duration: 1:30', 'big: 1_000', 'hex: 0x1F', 'e: 1e3',
      'f: 1.0', 'g: 1:30.5', 'inf: -.inf', 'n: ~', 'empty:', 'day: 2026-02-06', 'ts: 2026-02-06 10:00:00Z',
      'huge: 123456789012345678901', 'str: "0755"', 'bin: !!binary aGVsbG8=', 'merged: {<<: {a: 1}, b: 2}',
    ].join('\n');
    const viaSchema = jsYaml.load(text, { schema: PYYAML_SCHEMA, json: true });
    const m = mismatch(viaSchema, toTagged(parseYaml(text)));
    assert.equal(m, null, m ?? '');
  });
});

describe('YAML: writing PyYAML bytes', function () {
  it('writes sorted keys, unindented sequences under keys and [] / {} for empty collections', () => {
    assert.equal(dumpYaml({ b: [1, { d: [], c: {} }], a: 'x' }), 'a: x\nb:\n- 1\n- c: {}\n  d: []\n');
  });
  it('quotes strings that would read back as another type', () => {
    assert.equal(
      dumpYaml(['yes', '0755', '1:30', '123', 'null', '', '2026-02-06', '1e3', '<<', '=']),
      "- 'yes'\n- '0755'\n- '1:30'\n- '123'\n- 'null'\n- ''\n- '2026-02-06'\n- 1e3\n- '<<'\n- '='\n",
    );
  });
  it("writes '...' after a bare top-level plain scalar only", () => {
    assert.equal(dumpYaml('hello'), 'hello\n...\n');
    assert.equal(dumpYaml(null), 'null\n...\n');
    assert.equal(dumpYaml('yes'), "'yes'\n");
  });
  it('escapes non-ASCII in double quotes', () => assert.equal(dumpYaml('é😀'), '"\\xE9\\U0001F600"\n'));
  it('writes an integral number as an int and a YamlFloat as a float', () => {
    assert.equal(dumpYaml([1, new YamlFloat(1), 1e20, new YamlFloat(1e20), 0.1, -0, new YamlFloat(-0)]),
      '- 1\n- 1.0\n- 100000000000000000000\n- 1.0e+20\n- 0.1\n- 0\n- -0.0\n');
  });
  it('writes a plain Date as an aware UTC datetime and a YamlDate as a date', () => {
    assert.equal(dumpYaml({ at: new Date('2026-02-06T10:00:00.250Z'), day: new YamlDate(2026, 2, 6) }),
      'at: 2026-02-06 10:00:00.250000+00:00\nday: 2026-02-06\n');
  });
  it('omits object properties that are undefined, as JSON does', () => assert.equal(dumpYaml({ a: 1, b: undefined }), 'a: 1\n'));

  it('refuses values PyYAML has no equivalent for, naming where they are', () => {
    assert.throws(() => dumpYaml({ a: { b: () => 1 } }), (e: unknown) => e instanceof YamlDumpError && e.path === 'a.b' && /cannot serialize a function at key 'a.b'/.test(e.message));
    assert.throws(() => dumpYaml({ s: Symbol('x') }), /cannot serialize a symbol \(Symbol\(x\)\) at key 's'/);
    assert.throws(() => dumpYaml({ tasks: [1, undefined] }), /cannot serialize undefined .* at key 'tasks\[1\]'/);
    assert.throws(() => dumpYaml(undefined), /at the top level/);
    assert.throws(() => dumpYaml({ re: /x/ }), /cannot serialize an instance of RegExp at key 're'/);
    assert.throws(() => dumpYaml(new Map<unknown, unknown>([[1, 'a'], [true, 'b']])), /same key in Python/);
    assert.throws(() => dumpYaml(new Map([[[1], 'a']])), /cannot use an instance of Array as a mapping key/);
    // eslint-disable-next-line no-sparse-arrays
    assert.throws(() => dumpYaml([1, , 3]), /sparse array at key '\[1\]'/);
  });

  it('round-trips an integral float, a bigint and a date through text without changing their type', () => {
    const v = parseYaml(dumpYaml({ ratio: new YamlFloat(1), big: 2n ** 64n, day: new YamlDate(2026, 2, 6) })) as Record<string, unknown>;
    assert.ok(v.ratio instanceof YamlFloat);
    assert.equal(v.big, 2n ** 64n);
    assert.ok(v.day instanceof YamlDate);
  });
});

describe('YAML: dumpYaml against PyYAML for JS-built values', function () {
  before(function () {
    const reason = pythonYamlMissing();
    if (reason) {
      console.log(`      skipped: ${reason}`);
      this.skip();
    }
  });

  function assertSameAsPyYaml(values: unknown[]): void {
    const results = oracle(values.map((value) => ({ op: 'dump', value: toTagged(value) })));
    values.forEach((value, i) => {
      assert.ok(results[i].ok, results[i].error);
      assert.equal(dumpYaml(value), results[i].dump, `value #${i}`);
    });
  }

  it('anchors shared objects as &id001 / *id001 exactly where PyYAML does', () => {
    const shared = { name: 'worker-1', tags: ['a'] };
    const day = new YamlDate(2026, 2, 6);
    const list = [1, 2];
    const value = { z: shared, a: shared, days: [day, day], lists: { l1: list, l2: list, l3: [list] }, float: new YamlFloat(2) };
    assertSameAsPyYaml([value]);
    // PyYAML numbers anchors by second sighting in sorted-key order
    assert.match(dumpYaml(value), /^a: &id003\n[^]*^- &id001 2026-02-06\n- \*id001\n[^]*^z: \*id003\n/m);
  });

  it('writes cycles with anchors as PyYAML does, and reads them back as cycles', () => {
    const node: Record<string, unknown> = { name: 'loop' };
    node.self = node;
    const list: unknown[] = ['x'];
    list.push(list);
    assertSameAsPyYaml([node, list, { a: node, b: [node] }]);
    const back = parseYaml(dumpYaml(node)) as Record<string, unknown>;
    assert.equal(back.self, back);
  });

  it('keeps insertion order for keys Python cannot sort (mixed int/str), as PyYAML falls back to', () => {
    assertSameAsPyYaml([
      new Map<unknown, unknown>([['b', 1], [2, 'x'], ['a', 3]]),
      new Map<unknown, unknown>([[3, 'c'], [true, 'b'], [new YamlFloat(2.5), 'a'], [-1n, 'z']]),
      new Map<unknown, unknown>([[new YamlDate(2026, 1, 2), 1], [new YamlDate(2025, 1, 2), 2]]),
      new Map<unknown, unknown>([[null, 1]]),
      new Set(['b', 'a', 'c']),
    ]);
  });

  it('writes dates, datetimes (naive, UTC, offsets, microseconds) and buffers as PyYAML', () => {
    assertSameAsPyYaml([
      {
        day: new YamlDate(1, 1, 1),
        naive: new YamlDateTime(Date.UTC(2026, 1, 6, 10), { micros: 5 }),
        utc: new Date(Date.UTC(2026, 1, 6, 23, 59, 59, 999)),
        east: new YamlDateTime(Date.UTC(2026, 1, 6, 10), { utcOffsetMinutes: 345 }),
        west: new YamlDateTime(Date.UTC(2026, 1, 6, 10), { utcOffsetMinutes: -570 }),
        bytes: Buffer.from(Array.from({ length: 200 }, (_, i) => i)),
        empty: Buffer.alloc(0),
      },
    ]);
  });

  // YAML_FUZZ_VALUES / YAML_FUZZ_MUTANTS raise the counts for a longer local hunt.
  const valueCount = Number(process.env.YAML_FUZZ_VALUES ?? 400);
  const mutantCount = Number(process.env.YAML_FUZZ_MUTANTS ?? 400);

  it(`matches PyYAML on ${valueCount} random values (seeded), and both read the output back to the same value`, function () {
    const values = Array.from({ length: valueCount }, (_, i) => randomValue(mulberry32(1000 + i), 0));
    const dumps = values.map((v) => dumpYaml(v));
    const py = oracle([
      ...values.map((value): Job => ({ op: 'dump', value: toTagged(value) })),
      ...dumps.map((text): Job => ({ op: 'load', text })),
    ]);
    values.forEach((value, i) => {
      assert.ok(py[i].ok, py[i].error);
      assert.equal(dumps[i], py[i].dump, `random value #${i} (seed ${1000 + i})`);
      const reload = py[values.length + i];
      assert.ok(reload.ok, reload.error);
      const m = mismatch(value, reload.value as Tagged) ?? mismatch(parseYaml(dumps[i]), reload.value as Tagged);
      assert.equal(m, null, `random value #${i}: ${m}`);
    });
  });

  it(`agrees with PyYAML on ${mutantCount} corrupted corpus documents: same rejection, or same value and bytes`, function () {
    const sources = documents.map((f) => fs.readFileSync(path.join(CORPUS_DIR, f), 'utf8'));
    const mutants = Array.from({ length: mutantCount }, (_, i) => mutate(sources[i % sources.length], mulberry32(5000 + i)));
    const py = oracle(mutants.map((text): Job => ({ op: 'load_dump', text })));
    let compared = 0;
    mutants.forEach((text, i) => {
      const label = `mutant #${i} (seed ${5000 + i}) ${JSON.stringify(text).slice(0, 300)}`;
      let value: unknown;
      try {
        value = parseYaml(text);
      } catch (err) {
        assert.ok(err instanceof YamlParseError, `${label}: ${String(err)}`);
        assert.equal(py[i].ok, false, `${label}: parseYaml threw ${(err as Error).message} but PyYAML loaded it`);
        return;
      }
      assert.ok(py[i].ok, `${label}: PyYAML rejected it (${py[i].error}) but parseYaml accepted it`);
      if (hashOrdered(py[i].value as Tagged)) return;
      const m = mismatch(value, py[i].value as Tagged);
      assert.equal(m, null, `${label}: ${m}`);
      assert.equal(dumpYaml(value), py[i].dump, label);
      compared++;
    });
    assert.ok(compared > mutantCount / 4, `only ${compared} mutants were loadable`);
  });
});

/**
 * True when PyYAML's output order depends on str hashing, which varies per
 * Python process: a set whose items Python cannot sort is dumped in hash
 * order. Such values cannot have a reproducible byte form.
 */
function hashOrdered(t: Tagged): boolean {
  if (t === null || typeof t !== 'object') return false;
  const kind = (x: Tagged): string => (x === null ? 'none' : typeof x === 'object' ? Object.keys(x).filter((k) => k !== 'id')[0] : typeof x === 'boolean' ? 'int' : typeof x);
  if ('set' in t) return new Set(t.set.map((x) => (kind(x) === 'float' ? 'int' : kind(x)))).size > 1 || t.set.some(hashOrdered);
  if ('list' in t) return t.list.some(hashOrdered);
  if ('tuple' in t) return t.tuple.some(hashOrdered);
  if ('map' in t) return t.map.some(([k, v]) => hashOrdered(k) || hashOrdered(v));
  return false;
}

const MUTATION_CHARS = [' ', ' ', '\n', '\t', ':', ': ', '-', '- ', '#', '"', "'", '[', ']', '{', '}', ',', '&a ', '*a', '!!', '? ', '|', '>', '%', '@', '`', '\\', '~', '0', '.', '<<: ', '\r\n', '\u2028', '\x85', 'é'];

/** A few random edits: insert a YAML-significant character, delete, duplicate or reindent a line. */
function mutate(text: string, rnd: () => number): string {
  let s = text;
  const edits = 1 + Math.floor(rnd() * 3);
  for (let e = 0; e < edits; e++) {
    const pos = Math.floor(rnd() * (s.length + 1));
    const r = rnd();
    if (r < 0.45) s = s.slice(0, pos) + MUTATION_CHARS[Math.floor(rnd() * MUTATION_CHARS.length)] + s.slice(pos);
    else if (r < 0.7) s = s.slice(0, pos) + s.slice(pos + 1 + Math.floor(rnd() * 3));
    else {
      const lines = s.split('\n');
      const at = Math.floor(rnd() * lines.length);
      if (r < 0.85) lines.splice(at, 0, lines[Math.floor(rnd() * lines.length)]);
      else lines[at] = rnd() < 0.5 ? `  ${lines[at]}` : lines[at].replace(/^ {1,2}/, '');
      s = lines.join('\n');
    }
  }
  return s;
}

// ---------------------------------------------------------------------------
// Seeded random values, biased towards what breaks emitters
// ---------------------------------------------------------------------------

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TRAP_STRINGS = [
  'yes', 'No', 'on', 'OFF', 'y', 'null', '~', 'NULL', '', ' ', '0755', '0o17', '0x1F', '1_000', '1:30', '1:30.5', '1e3',
  '1.0e+3', '.inf', '-.Inf', '.NaN', '2026-02-06', '2026-02-06 10:00:00', '<<', '=', '-', '- a', '? x', ': y', '---', '...',
  '--- doc', '#', 'a #b', 'a# b', 'a: b', 'a:b', '[x]', '{y}', '*ref', '&anc', '!tag', '|', '>', "'", '"', '%', '@at',
  '`tick', ',', 'a,b', 'trail ', ' lead', 'tab\there', 'line\nbreak', 'ends\n', '\nstarts', 'sp \nbreak', 'br\n sp',
  '\u2028', 'nel\x85x', 'bom\ufeff', 'nul\0x', 'é', '😀', '\ud800', 'ｆｕｌｌ', '\uff01', 'x'.repeat(130),
];

const CHARSET = [
  ...'abcdefghijklmnopqrstuvwxyz', ...'ABCXYZ', ...'0123456789', ' ', ' ', ' ', ' ', ' ', ' ', '\n', '\n', '\t', ':', '#',
  '-', '?', ',', "'", '"', '\\', '[', ']', '{', '}', '&', '*', '!', '|', '>', '%', '@', '`', '.', 'é', '😀', '\u2028', '\x85',
  '\x07', '\x7f', '\ufeff', '\xa0', '中', '\r',
];

function randomString(rnd: () => number): string {
  const r = rnd();
  if (r < 0.25) return TRAP_STRINGS[Math.floor(rnd() * TRAP_STRINGS.length)];
  const length = r < 0.8 ? Math.floor(rnd() * 20) : Math.floor(rnd() * 260);
  let s = '';
  for (let i = 0; i < length; i++) s += CHARSET[Math.floor(rnd() * CHARSET.length)];
  return s;
}

function randomScalar(rnd: () => number): unknown {
  const r = rnd();
  if (r < 0.4) return randomString(rnd);
  if (r < 0.5) return Math.floor((rnd() - 0.5) * 2 ** (1 + Math.floor(rnd() * 52)));
  if (r < 0.55) return (rnd() < 0.5 ? -1n : 1n) * 2n ** BigInt(53 + Math.floor(rnd() * 80));
  if (r < 0.65) {
    const pick = rnd();
    if (pick < 0.1) return [Infinity, -Infinity, NaN][Math.floor(rnd() * 3)];
    if (pick < 0.3) return new YamlFloat(Math.floor((rnd() - 0.5) * 1e6) * 10 ** Math.floor(rnd() * 30));
    const x = (rnd() - 0.5) * 10 ** Math.floor(rnd() * 40 - 20);
    return Number.isInteger(x) ? new YamlFloat(x) : x;
  }
  if (r < 0.7) return rnd() < 0.5;
  if (r < 0.75) return null;
  if (r < 0.8) return new YamlDate(1 + Math.floor(rnd() * 9998), 1 + Math.floor(rnd() * 12), 1 + Math.floor(rnd() * 28));
  if (r < 0.87) {
    const offset = rnd() < 0.4 ? null : Math.floor((rnd() - 0.5) * 2 * 1439);
    return new YamlDateTime(Math.floor(rnd() * 4e12), { micros: rnd() < 0.5 ? 0 : Math.floor(rnd() * 1000), utcOffsetMinutes: offset });
  }
  return Buffer.from(Array.from({ length: Math.floor(rnd() * 90) }, () => Math.floor(rnd() * 256)));
}

function randomValue(rnd: () => number, depth: number, pool: object[] = []): unknown {
  const r = rnd();
  if (depth > 4 || r < 0.35) return randomScalar(rnd);
  if (pool.length && r < 0.42) return pool[Math.floor(rnd() * pool.length)];
  const size = Math.floor(rnd() * 6);
  if (r < 0.6) {
    const list: unknown[] = [];
    pool.push(list);
    for (let i = 0; i < size; i++) list.push(randomValue(rnd, depth + 1, pool));
    return list;
  }
  if (r < 0.85) {
    const obj: Record<string, unknown> = {};
    pool.push(obj);
    for (let i = 0; i < size; i++) obj[randomString(rnd)] = randomValue(rnd, depth + 1, pool);
    return obj;
  }
  if (r < 0.95) {
    // non-string keys of one sortable kind, or a mix PyYAML cannot sort
    const map = new Map<unknown, unknown>();
    const seen = new Set<string>();
    pool.push(map);
    const kind = Math.floor(rnd() * 4);
    for (let i = 0; i < size + 1; i++) {
      const key =
        kind === 0 ? Math.floor((rnd() - 0.5) * 1000)
          : kind === 1 ? new YamlDate(2000 + Math.floor(rnd() * 50), 1 + Math.floor(rnd() * 12), 1 + Math.floor(rnd() * 28))
            : kind === 2 ? (rnd() < 0.5 ? randomString(rnd) : Math.floor(rnd() * 100))
              : (rnd() - 0.5) * 100;
      const identity = key instanceof Date ? `d${key.getTime()}` : `${typeof key}${String(key)}`;
      if (seen.has(identity) || (typeof key === 'string' && seen.has(`number${key}`))) continue;
      seen.add(identity);
      map.set(key, randomValue(rnd, depth + 1, pool));
    }
    if (![...map.keys()].some((k) => typeof k !== 'string')) map.set(-1, null);
    return map;
  }
  const set = new Set<unknown>();
  for (let i = 0; i < size; i++) set.add(randomString(rnd));
  return set;
}
