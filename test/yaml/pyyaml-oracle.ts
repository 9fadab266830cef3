/**
 * The PyYAML oracle for the YAML tests: runs test/fixtures/pyyaml_roundtrip.py
 * under Debian's python3 (PyYAML from python3-yaml), converts JS values to
 * and from its tagged JSON, and compares a JS value with PyYAML's
 * type-exactly. Also lists the corpus in test/fixtures/yaml-corpus.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { YamlDate, YamlDateTime, YamlFloat, YamlTuple } from '../../lib/yaml';

// Compiled to dist/test/yaml/; the fixtures are read from the source tree.
const ROOT = path.resolve(__dirname, '..', '..', '..');
export const CORPUS_DIR = path.join(ROOT, 'test', 'fixtures', 'yaml-corpus');
const ORACLE = path.join(ROOT, 'test', 'fixtures', 'pyyaml_roundtrip.py');
/** Debian's python3 with python3-yaml; the pyenv python3 on PATH has no yaml. */
export const PYTHON = '/usr/bin/python3';

// ---------------------------------------------------------------------------
// The PyYAML oracle (see pyyaml_roundtrip.py for the protocol)
// ---------------------------------------------------------------------------

export type Tagged =
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

export type Job =
  | { op: 'load' | 'load_dump'; text: string }
  | { op: 'load_bytes'; bytes: string }
  | { op: 'dump'; value: Tagged };

export interface OracleResult {
  ok: boolean;
  stage?: 'load' | 'dump';
  error?: string;
  value?: Tagged;
  dump?: string;
  /** PyYAML's ReaderError, for load_bytes; encoding 'unicode' is its non-printable check. */
  reader?: { position: number; character: number; reason: string; encoding: string };
}

export function pythonYamlMissing(): string | null {
  if (!fs.existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = spawnSync(PYTHON, ['-c', 'import yaml'], { encoding: 'utf8' });
  return r.status === 0 ? null : `${PYTHON} cannot import yaml (install python3-yaml)`;
}

/** Runs one batch of jobs in one Python process. */
/** A mocha hook for the enclosing describe: skips it, saying why, where PyYAML cannot run. */
export function skipWithoutPyYaml(): void {
  before(function () {
    const reason = pythonYamlMissing();
    if (reason) {
      console.log(`      skipped: ${reason}`);
      this.skip();
    }
  });
}

export function oracle(jobs: Job[]): OracleResult[] {
  const r = spawnSync(PYTHON, [ORACLE], { input: JSON.stringify({ jobs }), maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`PyYAML oracle failed (${r.status}): ${r.stderr.toString()}`);
  const response = JSON.parse(r.stdout.toString()) as { results: OracleResult[] };
  assert.equal(response.results.length, jobs.length);
  return response.results;
}

// ---------------------------------------------------------------------------
// Tagged values <-> JS values
// ---------------------------------------------------------------------------

export function floatBits(x: number): string {
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
export function toTagged(value: unknown, ids = new Map<object, number>()): Tagged {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'bigint') return { int: value.toString() };
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return { int: BigInt(value).toString() };
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
 * number (bigint beyond the safe range), a float whose value is a safe
 * integer a YamlFloat (any other float a plain number), a date a YamlDate, a dict with only str keys a plain object and any other
 * dict a Map, and aliases must be the very same JS object. Returns null
 * when equal, else where and how they differ.
 */
export function mismatch(js: unknown, t: Tagged, where = '$', ids = new Map<number, unknown>()): string | null {
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
    if (Number.isSafeInteger(expected)) {
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

export const corpusFiles = fs.existsSync(CORPUS_DIR)
  ? fs.readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.yaml')).sort()
  : [];
export const documents = corpusFiles.filter((f) => !f.startsWith('error-'));
export const rejected = corpusFiles.filter((f) => f.startsWith('error-'));

/**
 * True when PyYAML's output order depends on str hashing, which varies per
 * Python process: a set whose items Python cannot sort is dumped in hash
 * order. Such values cannot have a reproducible byte form.
 */
export function hashOrdered(t: Tagged): boolean {
  if (t === null || typeof t !== 'object') return false;
  const kind = (x: Tagged): string => (x === null ? 'none' : typeof x === 'object' ? Object.keys(x).filter((k) => k !== 'id')[0] : typeof x === 'boolean' ? 'int' : typeof x);
  if ('set' in t) return new Set(t.set.map((x) => (kind(x) === 'float' ? 'int' : kind(x)))).size > 1 || t.set.some(hashOrdered);
  if ('list' in t) return t.list.some(hashOrdered);
  if ('tuple' in t) return t.tuple.some(hashOrdered);
  if ('map' in t) return t.map.some(([k, v]) => hashOrdered(k) || hashOrdered(v));
  return false;
}
