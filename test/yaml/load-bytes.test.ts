import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { YamlDecodeError, YamlParseError, decodeText, parseYaml } from '../../lib/yaml';
import { CORPUS_DIR, corpusFiles, mismatch, oracle, skipWithoutPyYaml, type OracleResult, type Tagged } from './pyyaml-oracle';
import { mulberry32 } from './random-values';

const bytes = (...parts: Array<string | number[]>): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

const utf16 = (text: string, big: boolean): Buffer => {
  const le = Buffer.from(`\ufeff${text}`, 'utf16le');
  return big ? le.swap16() : le;
};

function decodeFailure(input: Uint8Array): YamlDecodeError {
  try {
    parseYaml(input);
  } catch (err) {
    assert.ok(err instanceof YamlDecodeError, `expected a YamlDecodeError, got ${String(err)}`);
    return err;
  }
  assert.fail('parseYaml accepted bytes that do not decode');
}

describe('YAML: reading bytes as PyYAML does (strict decoding)', function () {
  it('refuses ff fe inside a UTF-8 document: YamlDecodeError, code EYAMLDECODE, byte #x00ff at position 3', () => {
    const err = decodeFailure(bytes('a: ', [0xff, 0xfe], '\n'));
    assert.ok(err instanceof YamlParseError, 'a decode error is a YamlParseError too');
    assert.equal(err.code, 'EYAMLDECODE');
    assert.equal(err.position, 3);
    assert.equal(err.byte, 0xff);
    assert.equal(err.encoding, 'utf-8');
    assert.equal(err.reason, 'invalid start byte');
    assert.match(err.message, /^unacceptable character #x00ff: invalid start byte \(utf-8, position 3\)/);
  });

  it('reads UTF-16 LE and UTF-16 BE after their BOM, and UTF-8 after its BOM', () => {
    assert.deepEqual(parseYaml(utf16('a: 1\n', false)), { a: 1 });
    assert.deepEqual(parseYaml(utf16('a: 1\n', true)), { a: 1 });
    assert.deepEqual(parseYaml(bytes([0xef, 0xbb, 0xbf], 'a: 1\n')), { a: 1 });
    assert.deepEqual(parseYaml(utf16('k: "é😀"', true)), { k: 'é😀' });
    assert.equal(parseYaml(Buffer.from([0xff, 0xfe])), null);
  });

  it("refuses a UTF-8 surrogate, truncated sequences and bad UTF-16 with CPython's position and reason", () => {
    const cases: Array<[Buffer, number, number, string, string]> = [
      [bytes('a: ', [0xed, 0xa0, 0x80], '\n'), 3, 0xed, 'invalid continuation byte', 'utf-8'],
      [bytes('a: ', [0xe2, 0x82]), 3, 0xe2, 'unexpected end of data', 'utf-8'],
      [bytes('a: b', [0xc3]), 4, 0xc3, 'unexpected end of data', 'utf-8'],
      [bytes('a: 1\n', [0xc0, 0x80]), 5, 0xc0, 'invalid start byte', 'utf-8'],
      [bytes('a: ', [0xf4, 0x90, 0x80, 0x80]), 3, 0xf4, 'invalid continuation byte', 'utf-8'],
      [bytes([0xff, 0xfe], 'a\0:\0 \0', [0x00, 0xd8]), 8, 0x00, 'unexpected end of data', 'utf-16-le'],
      [bytes([0xff, 0xfe, 0x00, 0xd8], 'a\0'), 2, 0x00, 'illegal UTF-16 surrogate', 'utf-16-le'],
      [bytes([0xfe, 0xff, 0x00, 0x61, 0xdc, 0x00]), 4, 0xdc, 'illegal encoding', 'utf-16-be'],
      [bytes([0xff, 0xfe], 'a\0:'), 4, 0x3a, 'truncated data', 'utf-16-le'],
    ];
    for (const [input, position, byte, reason, encoding] of cases) {
      const err = decodeFailure(input);
      assert.deepEqual([err.position, err.byte, err.reason, err.encoding], [position, byte, reason, encoding], input.toString('hex'));
    }
  });

  it('decodeText decodes as parseYaml does, strictly, keeping a BOM as U+FEFF', () => {
    assert.equal(decodeText(bytes([0xef, 0xbb, 0xbf], 'x')), '\ufeffx');
    assert.equal(decodeText(utf16('x😀', true)), '\ufeffx😀');
    assert.equal(decodeText(Buffer.from('plain é', 'utf8')), 'plain é');
    // a view into a larger buffer decodes only its own bytes
    const big = utf16('ab', false);
    const backing = Buffer.concat([Buffer.from('zz'), big, Buffer.from([0xff])]);
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 2, big.length);
    assert.equal(decodeText(view), '\ufeffab');
    assert.throws(() => decodeText(bytes('ok', [0xff])), (e: unknown) => e instanceof YamlDecodeError && e.position === 2);
  });

  it('reads every corpus document the same from its bytes as from its text', () => {
    for (const file of corpusFiles) {
      const raw = fs.readFileSync(path.join(CORPUS_DIR, file));
      let fromText: unknown;
      let fromBytes: unknown;
      try {
        fromText = parseYaml(raw.toString('utf8'));
      } catch (err) {
        fromText = (err as Error).message;
      }
      try {
        fromBytes = parseYaml(raw);
      } catch (err) {
        fromBytes = (err as Error).message;
      }
      assert.deepEqual(fromBytes, fromText, file);
    }
  });

  describe('against PyYAML', function () {
    skipWithoutPyYaml();

    function compare(inputs: Buffer[]): number {
      const py = oracle(inputs.map((b) => ({ op: 'load_bytes', bytes: b.toString('base64') })));
      let decodeErrors = 0;
      inputs.forEach((input, i) => {
        const label = input.toString('hex');
        const r: OracleResult = py[i];
        if (r.reader && r.reader.encoding !== 'unicode') {
          decodeErrors++;
          const err = decodeFailure(input);
          assert.deepEqual(
            [err.position, err.byte, err.reason, err.encoding],
            [r.reader.position, r.reader.character, r.reader.reason, r.reader.encoding],
            label,
          );
          return;
        }
        let value: unknown;
        try {
          value = parseYaml(input);
        } catch (err) {
          assert.ok(!(err instanceof YamlDecodeError), `${label}: parseYaml could not decode what PyYAML decoded (${(err as Error).message})`);
          assert.equal(r.ok, false, `${label}: parseYaml threw ${(err as Error).message} but PyYAML loaded it`);
          return;
        }
        assert.ok(r.ok, `${label}: PyYAML rejected it (${r.error}) but parseYaml accepted it`);
        const m = mismatch(value, r.value as Tagged);
        assert.equal(m, null, `${label}: ${m}`);
      });
      return decodeErrors;
    }

    it('gives the same value or the same refusal as yaml.safe_load(bytes) on the cases above', () => {
      compare([
        bytes('a: ', [0xff, 0xfe], '\n'), utf16('a: 1\n', false), utf16('a: 1\n', true), bytes([0xef, 0xbb, 0xbf], 'a: 1\n'),
        bytes('a: ', [0xed, 0xa0, 0x80], '\n'), bytes('a: ', [0xe2, 0x82]), bytes([0xff, 0xfe, 0x00, 0xd8], 'a\0'),
        bytes([0xff, 0xfe], 'a\0:'), utf16('k: [é, 😀]', true), bytes([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf], 'a: 1'),
      ]);
    });

    it('agrees with PyYAML on 3000 random byte strings: same decode error (position, byte, reason) or same value', () => {
      const alphabet = [0x61, 0x3a, 0x20, 0x31, 0x0a, 0x00, 0xd8, 0xdc, 0xdb, 0xdf, 0xff, 0xfe, 0xef, 0xbb, 0xbf, 0xc2, 0xc0,
        0xe0, 0xed, 0xf0, 0xf4, 0xf5, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xe2, 0x82, 0xac];
      const inputs = Array.from({ length: 3000 }, (_, i) => {
        const rnd = mulberry32(9000 + i);
        const out: number[] = [];
        const bom = rnd();
        if (bom < 0.3) out.push(0xff, 0xfe);
        else if (bom < 0.6) out.push(0xfe, 0xff);
        else if (bom < 0.7) out.push(0xef, 0xbb, 0xbf);
        const n = Math.floor(rnd() * 12);
        for (let k = 0; k < n; k++) out.push(alphabet[Math.floor(rnd() * alphabet.length)]);
        return Buffer.from(out);
      });
      const decodeErrors = compare(inputs);
      assert.ok(decodeErrors > 1000, `only ${decodeErrors} inputs exercised a decode error`);
    });
  });
});
