/**
 * The load side's shortcuts against PyYAML: the reader's one-pass check of
 * the characters, plain scalars taken as one slice of the input until a
 * line break folds, the fold built without a breaks list, quoted scalars
 * scanned by char code, the token queue's head index and in-place inserts
 * (simple keys), and str-keyed mappings that skip the merge-key pass.
 */
import * as assert from 'node:assert/strict';
import { YamlParseError, parseYaml } from '../../lib/yaml';
import { mismatch, oracle, skipWithoutPyYaml, type Tagged } from './pyyaml-oracle';
import { mulberry32 } from './random-values';

const SCALARS = [
  'yes', 'No', 'on', 'y', '0755', '0o17', '09', '1_000', '1:30', '1:30.5', '.inf', '-.inf', '.nan', '1e3', '+12', '-0', '~', 'null',
  '2026-02-06', '2026-2-6 10:00:00', '2026-02-06T10:00:00Z', '2026-02-06 10:00:00.1234567 +05:30', '2026-13-45', '<<', '=',
  'a: b', 'a:b', 'a #b', 'a#b', 'naïve café', 'a😀b', 'agent-2', 'Write tests for the YAML emitter',
];

function plainDocuments(): string[] {
  const docs: string[] = [];
  for (const s of SCALARS) {
    docs.push(`${s}\n`, `k: ${s}\n`, `- ${s}\n- x\n`, `${s.replace(/[:#]/g, '')}: v\n`, `'${s.replace(/'/g, "''")}': "${s}"\n`);
  }
  const long = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ');
  docs.push(
    `k: ${long}\n`, `- ${long}\n`, `${'k'.repeat(1100)}: v\n`,
    // folding: one break is a space, more are kept; trailing spaces go; CRLF, NEL and LS breaks
    'k: a\n  b\n\n  c\n\n\n  d  \n', 'k: a  \n  b\n', 'k: a\r\n  b\r\n\r\n  c\r\n', 'k: a\x85  b\n', 'k: a\u2028  b\u2029\n  c\n',
    '- a\n  b\n- c\n   d\n', 'a\n b\n  c\n', 'k: a\n  # not a comment\n', 'k: a # comment\n  b\n', 'k: a\n---\n', 'k: a\n  b\n...\n',
    'k: a\n  ---x\n', 'k: a\n  ...\n', 'k: a\n---x\n', 'k: v\n  w: x\n', 'k:  spaced   words  \n', 'k: \ttab\n', 'k: é\n  ü\n',
    // quoted: escapes, '' doubling, folds inside quotes
    `k: 'it''s'\n`, 'k: "a\\tb\\x41\\u00e9\\U0001F600\\\n  c"\n', `k: 'a\n\n  b   c\n  d'\n`, 'k: "a  \n  b"\n', `k: '${long}'\n`,
    'k: "\\"q\\" \\\\ \'s\'"\n', `k: '"double" \\ back'\n`,
    // simple keys, merge keys and '=' keys
    '{a: 1, b: [x, y], c: {d: e}}\n', 'a: &x {p: 1}\nb:\n  <<: *x\n  q: 2\n', 'base: &b [{a: 1}, {b: 2}]\nm: {<<: *b, c: 3}\n',
    '=: value\nk: v\n', '? complex\n: value\n', 'a:\n  b:\n    c: d\n  e: f\ng: h\n', '- - a\n  - b\n- c: d\n  e: f\n',
  );
  return docs;
}

function randomDocument(rnd: () => number): string {
  const pieces = ['a', 'b1', ' ', '  ', '\n', '\n  ', ': ', ':', '- ', '#', ' #c', "'", "''", '"', '\\', '\\n', '~', '0755',
    '1:30', '.inf', '<<: ', 'é', '😀', '\r\n', '\u2028', '\x85', '---', '...', '{', '}', '[', ']', ', ', '? ', '\t', '&x ', '*x'];
  let s = '';
  const n = 1 + Math.floor(rnd() * 16);
  for (let i = 0; i < n; i++) s += pieces[Math.floor(rnd() * pieces.length)];
  return s;
}

/** Characters around the edges of what the reader allows, alone and inside a document. */
const READER_CASES = [
  '\x01', '\x08', '\x0b', '\x1f', '\x7f', '\x84', '\x86', '\x9f', '\ufffe', '\uffff', '\ud800', '\udc00', 'x\ud800y', '\ud83d\ude00',
  '\ud7ff', '\ue000', '\ufffd', '\ufeff', '\x85', '\xa0', '\t', '\r', '\u2028',
].flatMap((ch) => [ch, `k: a${ch}b\n`, `- x\n- "${ch}"\n`, `${'é'.repeat(3)}\n${ch}`]);

describe('YAML: load shortcuts agree with PyYAML', function () {
  skipWithoutPyYaml();

  function assertSameAsPyYaml(texts: string[]): void {
    const py = oracle(texts.map((text) => ({ op: 'load', text })));
    texts.forEach((text, i) => {
      const label = JSON.stringify(text);
      let value: unknown;
      try {
        value = parseYaml(text);
      } catch (err) {
        assert.ok(err instanceof YamlParseError, `${label}: ${String(err)}`);
        assert.equal(py[i].ok, false, `${label}: parseYaml refused it (${err.message}) but PyYAML loaded it`);
        return;
      }
      assert.ok(py[i].ok, `${label}: PyYAML refused it (${py[i].error}) but parseYaml loaded it`);
      assert.equal(mismatch(value, py[i].value as Tagged), null, label);
    });
  }

  it('reads tricky plain, folded, quoted and keyed scalars, merge keys and very long lines as PyYAML does', () => {
    assertSameAsPyYaml(plainDocuments());
  });

  it('accepts and refuses the characters PyYAML does, at the same code point', () => {
    assertSameAsPyYaml(READER_CASES);
    for (const text of READER_CASES) {
      const bad = /[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.exec(text);
      if (bad === null) continue;
      const hex = (bad[0].codePointAt(0) as number).toString(16).padStart(4, '0');
      assert.throws(
        () => parseYaml(text),
        (err: Error) => err.message.startsWith(`unacceptable character #x${hex}: special characters are not allowed`),
        JSON.stringify(text),
      );
    }
  });

  it('reads 2000 random documents of YAML-significant pieces as PyYAML does (same value or both refuse)', () => {
    const rnd = mulberry32(4242);
    assertSameAsPyYaml(Array.from({ length: 2000 }, () => randomDocument(rnd)));
  });
});
