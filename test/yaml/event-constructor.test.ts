/**
 * parseYaml's event path (values straight from parser events) against the
 * full path (node graph, then PyYAML's constructor): where the event path
 * takes a document it must give the same value, down to key order, types
 * and shared references; everything it does not take must reach the full
 * path, so that errors stay PyYAML's.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { YamlParseError, parseYaml } from '../../lib/yaml';
import { Composer } from '../../lib/yaml/composer';
import { Constructor } from '../../lib/yaml/constructor';
import { USE_FULL_PATH, constructFromEvents } from '../../lib/yaml/event-constructor';
import { CORPUS_DIR, corpusFiles } from './pyyaml-oracle';

function fullPath(text: string): unknown {
  const node = new Composer(text).getSingleNode();
  return node === null ? null : new Constructor().constructDocument(node);
}

/** Everything `inspect` shows: classes, key and entry order, circular references. */
const shown = (v: unknown): string => inspect(v, { depth: Infinity, maxArrayLength: Infinity, maxStringLength: Infinity, showHidden: false });

function assertSameValue(text: string): void {
  const direct = constructFromEvents(text);
  assert.notEqual(direct, USE_FULL_PATH, `the event path should take ${JSON.stringify(text)}`);
  const full = fullPath(text);
  assert.deepStrictEqual(direct, full, text);
  assert.equal(shown(direct), shown(full), text);
}

function assertHandedOver(text: string): void {
  assert.equal(constructFromEvents(text), USE_FULL_PATH, `the full path should take ${JSON.stringify(text)}`);
}

describe('YAML: the event path gives the full path\'s values, or hands the document over', function () {
  it('takes plain agent documents and gives the same value: key order, ints, floats, bools, nulls, dates, binary, quoted text', function () {
    for (const text of [
      'queue: agents\nversion: 3\ntasks:\n- id: 1\n  title: Write tests\n  status: done\n  created: 2026-01-01\n  assignee: null\n',
      'b: 1\na: 2\n"10": ten\n"2": two\n',
      'yes: no\n',
      '"yes": on\n',
      '- 0755\n- 0x1f\n- 1_000\n- 1:30\n- 12345678901234567890\n- .inf\n- -.nan\n- 1e3\n- ~\n- \'\'\n-\n',
      'when: 2026-02-06 10:00:00.1234567 +05:30\nday: 2026-02-06\n',
      'data: !!binary aGVsbG8=\n',
      'k: !!str 12\nj: !!int "7"\nf: !!float "1"\nn: !!null ""\n',
      '{a: [1, 2, {b: c}], d: {}, e: []}\n',
      '', '# only a comment\n', '--- 5\n...\n', 'plain text\n', '|\n  block\n  text\n',
      'a: b\na: c\nd: e\n',
      '__proto__: x\nconstructor: y\n',
    ]) assertSameValue(text);
  });

  it('builds a Map with Python\'s key rules where a key is not a string: first key kept, last value wins', function () {
    for (const text of ['1: a\n2: b\n', '1: a\n1.0: b\ntrue: c\n', 'a: 1\n3: x\n"3": y\n', '~: nothing\nx: 1\n', '2026-01-01: day\n']) {
      assertSameValue(text);
      assert.ok(constructFromEvents(text) instanceof Map, text);
    }
  });

  it('gives an alias the very object of its finished anchor, as a value and as a key', function () {
    const text = 'base: &b {x: 1}\nlist: &l [1, 2]\nuse1: *b\nuse2: *b\nl2: *l\n&k key: v\n*k : w\n';
    assertSameValue(text);
    const v = constructFromEvents(text) as Record<string, unknown>;
    assert.equal(v.use1, v.base);
    assert.equal(v.use2, v.base);
    assert.equal(v.l2, v.list);
    assert.equal(v.key, 'w');
  });

  it('hands over merge and value keys, set/omap/pairs and unknown tags, recursive and undefined aliases, several documents', function () {
    for (const text of [
      'a: &x {p: 1}\nb:\n  <<: *x\n  q: 2\n',
      '=: value\n',
      '!!set {a, b}\n',
      '!!omap [a: 1, b: 2]\n',
      '!!pairs [a: 1, a: 2]\n',
      'k: !custom x\n',
      'k: !!python/tuple [1, 2]\n',
      '&a [*a]\n',
      '&m {self: *m}\n',
      'k: *nowhere\n',
      'a: &x 1\nb: &x 2\n',
      '--- 1\n--- 2\n',
      '? [a, b]\n: v\n',
      '? {a: b}\n: v\n',
      '*l : v\nx: &l [1]\n',
      'k: !!seq x\n',
    ]) assertHandedOver(text);
  });

  it('hands over every document with an error, so that the error is the full path\'s (composition before construction)', function () {
    for (const text of ['k: !!int abc\n', 'k: !!bool maybe\n', 'k: !!binary "a"\n', 'k: !!float abc\n', 'k: !!timestamp 2026-99-99\n', 'k: [\n', 'a: !!int x\nb: *undefined\n', 'k: v\n  bad: indent\n']) {
      assertHandedOver(text);
      assert.throws(() => parseYaml(text), YamlParseError, text);
    }
    // The first error PyYAML reports is the composer's, though the construction error comes first in the text.
    assert.throws(() => parseYaml('a: !!int x\nb: *undefined\n'), /found undefined alias 'undefined'/);
    // The event path makes no marks; the full path's errors still say where.
    assert.throws(() => parseYaml('a: 1\nb: !!int x\n'), (err: YamlParseError) => err.line === 2 && err.column === 4 && /line 2, column 4/.test(err.message));
    assert.throws(() => parseYaml('a: 1\nb: [x\n'), (err: YamlParseError) => err.line === 3 && /line 3, column 1/.test(err.message));
  });

  it('agrees with the full path on every corpus document it takes, and takes most of them', function () {
    let taken = 0;
    for (const file of corpusFiles) {
      const text = fs.readFileSync(path.join(CORPUS_DIR, file), 'utf8');
      if (constructFromEvents(text) === USE_FULL_PATH) continue;
      taken++;
      assertSameValue(text);
    }
    assert.ok(taken >= corpusFiles.length / 2, `the event path took ${taken} of ${corpusFiles.length} corpus documents`);
  });
});
