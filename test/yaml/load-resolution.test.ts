import * as assert from 'node:assert/strict';
import * as jsYaml from 'js-yaml';
import { PYYAML_SCHEMA, YamlDate, YamlDateTime, YamlFloat, YamlParseError, YamlTuple, dumpYaml, parseYaml } from '../../lib/yaml';
import { mismatch, toTagged } from './pyyaml-oracle';

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
