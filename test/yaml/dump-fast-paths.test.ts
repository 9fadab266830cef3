/**
 * The dump side's shortcuts against their slow paths and PyYAML: the quick
 * answer of analyzeScalar for inert text, and writePlain writing a plain
 * scalar in one piece when it cannot fold. Tricky strings sit at columns
 * near the 80-column fold, in keys, values and sequences.
 */
import * as assert from 'node:assert/strict';
import { dumpYaml } from '../../lib/yaml';
import { analyzeScalar, analyzeScalarFully } from '../../lib/yaml/emitter-analysis';
import { oracle, skipWithoutPyYaml, toTagged } from './pyyaml-oracle';
import { mulberry32 } from './random-values';

const TRICKY = [
  'yes', 'No', 'on', 'y', '0755', '0o17', '09', '1_000', '1:30', '1:30.5', '.inf', '-.inf', '.nan', '1e3', '1.0', '+12', '-0',
  '2026-02-06', '2026-2-6 10:00:00', '2026-02-06T10:00:00Z', '<<', '=', '~', 'null', 'Null', '', ' ', '-', '--', '---', '...',
  '--- a', '... b', '-a', '.a', 'a-', 'a.', 'a: b', 'a:b', 'a #b', 'a#b', '#a', ' a', 'a ', 'a  b', 'a\nb', 'a \nb', 'a\n b',
  'a\tb', 'a\rb', 'é', 'naïve café', 'a😀b', '😀', '\u2028', 'a\x85b', '?a', '? a', ':a', 'a,b', 'a[b]', '{a}', '&a', '*a', '!a',
  '|a', '>a', "'a'", '"a"', '%a', '@a', '`a', 'a/b.c', '(a)+b=c', '$a^b~c;d', 'agent-2', 'Write tests for the YAML emitter',
];

/** Words and spaces that add up to lines just under, at and over 80 columns. */
function longLines(): string[] {
  const out: string[] = [];
  for (let n = 60; n <= 100; n += 3) {
    let s = '';
    for (let i = 0; s.length < n; i++) s += (i ? ' ' : '') + ['lock', 'registry', 'a', 'fencing-token', 'x.y'][i % 5];
    out.push(s, `${s} `, `${s}  tail`, `${s}: x`, `${s}\nnext`);
  }
  out.push('w'.repeat(200), `${'word '.repeat(40)}end`);
  return out;
}

function randomInert(rnd: () => number): string {
  const chars = 'abcXYZ019_-./()+=$^~; :#,?é\n';
  let s = '';
  const n = Math.floor(rnd() * 12);
  for (let i = 0; i < n; i++) s += chars[Math.floor(rnd() * chars.length)];
  return s;
}

describe('YAML: dump shortcuts agree with the full analysis and with PyYAML', function () {
  const strings = [...TRICKY, ...longLines()];

  it('analyzeScalar gives the full analysis for tricky, long and 2000 random strings', () => {
    const rnd = mulberry32(77);
    for (const s of [...strings, ...Array.from({ length: 2000 }, () => randomInert(rnd))]) {
      assert.deepEqual(analyzeScalar(s), analyzeScalarFully(s), JSON.stringify(s));
    }
  });

  describe('against PyYAML', function () {
    skipWithoutPyYaml();

    it('writes the same bytes as PyYAML for tricky and long strings as keys, values, items and at deeper columns', () => {
      const values: unknown[] = [];
      for (const s of strings) {
        values.push(s, [s], { [s]: s }, { key: { 'deeper key': [s, { [s]: [s] }] } }, { [`${'k'.repeat(30)}`]: s });
      }
      const results = oracle(values.map((value) => ({ op: 'dump', value: toTagged(value) })));
      values.forEach((value, i) => {
        assert.ok(results[i].ok, results[i].error);
        assert.equal(dumpYaml(value), results[i].dump, `value #${i}: ${JSON.stringify(value)}`);
      });
    });
  });
});
