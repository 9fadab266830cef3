/**
 * Port of PyYAML's reader.py: bytes decoded as PyYAML decodes them (BOM
 * detection, strict UTF-8 / UTF-16 with CPython's error positions and
 * reasons), the input as a buffer of code points with `peek`, `prefix`,
 * `forward` and the current `Mark`, and the check that rejects characters
 * YAML does not allow. The scanner extends it, as PyYAML's Loader mixes
 * Reader into Scanner. Imports only ./error and node:buffer.
 *
 * PyYAML is Copyright (c) 2017-2021 Ingy döt Net and (c) 2006-2016 Kirill
 * Simonov, MIT License; this TypeScript port follows its structure and
 * rules, and is distributed under the same terms (see NOTICE).
 */

import { Buffer } from 'node:buffer';
import { YamlDecodeError, YamlParseError, type Mark, type YamlEncoding } from './error';

const NON_PRINTABLE = /[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
// Most documents are printable ASCII, which answers all three questions of
// scanCharacters at once; a non-unicode regex decides that fastest (a
// charCodeAt loop took 2.5x as long as this on the bench document).
const PRINTABLE_ASCII = /^[\x09\x0A\x0D\x20-\x7E]*$/;

/**
 * What the reader needs to know of the input: the first character PyYAML's
 * reader refuses (index, or -1), whether there are astral characters, and
 * whether U+FEFF occurs.
 */
function scanCharacters(text: string): { bad: number; astral: boolean; bom: boolean; ascii: boolean } {
  if (PRINTABLE_ASCII.test(text)) return { bad: -1, astral: false, bom: false, ascii: true };
  const bad = NON_PRINTABLE.exec(text);
  return { bad: bad === null ? -1 : bad.index, astral: /[\uD800-\uDFFF]/.test(text), bom: text.includes('\uFEFF'), ascii: false };
}

/**
 * `text` as one flat block of characters. The scanner reads its buffer a
 * char code at a time; a string made by concatenation (the '\0' the reader
 * appends, or the caller's own) is a rope, and every read of a rope goes
 * through an indirection even once V8 has flattened it. A copy decoded from
 * bytes is flat: 2-4 % of a 20 KB parse, for a copy of a few microseconds.
 */
function flatCopy(text: string, ascii: boolean): string {
  return ascii ? Buffer.from(text, 'latin1').toString('latin1') : Buffer.from(text, 'utf16le').toString('utf16le');
}
const LINE_BREAKS = '\n\x85\u2028\u2029';

const UTF8_DECODER = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decode bytes as PyYAML's `Reader` does: a UTF-16 LE or BE byte-order
 * mark selects UTF-16, anything else is UTF-8 (a UTF-8 BOM is allowed);
 * decoding is strict. A BOM stays in the text as U+FEFF, as in PyYAML's
 * reader (its scanner skips it) and in Node's `'utf8'` decoding, so text
 * that is read and written back keeps it.
 *
 * @throws {YamlDecodeError} (`code` `'EYAMLDECODE'`) at the first byte
 *   that does not decode, with CPython's position and reason.
 */
export function decodeText(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`decodeText expects a Uint8Array, got ${typeof bytes}`);
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return decodeUtf16(bytes, 'utf-16-le');
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return decodeUtf16(bytes, 'utf-16-be');
  let text: string;
  try {
    text = UTF8_DECODER.decode(bytes);
  } catch {
    throw utf8Error(bytes);
  }
  return text;
}

const isContinuation = (b: number): boolean => (b & 0xc0) === 0x80;

/** The first invalid sequence, judged by CPython's UTF-8 decoder rules. */
function utf8Error(bytes: Uint8Array): YamlDecodeError {
  const end = bytes.length;
  const fail = (at: number, reason: string): YamlDecodeError => new YamlDecodeError('utf-8', at, bytes[at], reason);
  let i = 0;
  while (i < end) {
    const ch = bytes[i];
    if (ch < 0x80) {
      i++;
      continue;
    }
    const size = ch < 0xc2 ? 0 : ch < 0xe0 ? 2 : ch < 0xf0 ? 3 : ch < 0xf5 ? 4 : 0;
    if (size === 0) return fail(i, 'invalid start byte');
    // the second byte also excludes overlong forms, surrogates and > U+10FFFF
    const lo = ch === 0xe0 ? 0xa0 : ch === 0xf0 ? 0x90 : 0x80;
    const hi = ch === 0xed ? 0x9f : ch === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k < size; k++) {
      if (i + k >= end) return fail(i, 'unexpected end of data');
      const b = bytes[i + k];
      if (k === 1 ? b < lo || b > hi : !isContinuation(b)) return fail(i, 'invalid continuation byte');
    }
    i += size;
  }
  throw new Error('utf8Error: the input decodes');
}

/** UTF-16 as CPython decodes it; lone surrogates and odd lengths refused. */
function decodeUtf16(bytes: Uint8Array, encoding: YamlEncoding): string {
  const big = encoding === 'utf-16-be';
  const end = bytes.length;
  const fail = (at: number, reason: string): YamlDecodeError => new YamlDecodeError(encoding, at, bytes[at], reason);
  const unit = (at: number): number => (big ? (bytes[at] << 8) | bytes[at + 1] : bytes[at] | (bytes[at + 1] << 8));
  let i = 2;
  while (end - i > 1) {
    const ch = unit(i);
    if (ch < 0xd800 || ch > 0xdfff) {
      i += 2;
      continue;
    }
    if (ch > 0xdbff) throw fail(i, 'illegal encoding');
    if (end - i < 4) throw fail(i, 'unexpected end of data');
    const low = unit(i + 2);
    if (low < 0xdc00 || low > 0xdfff) throw fail(i, 'illegal UTF-16 surrogate');
    i += 4;
  }
  if (i < end) throw fail(i, 'truncated data');
  const body = Buffer.from(bytes.buffer, bytes.byteOffset, end);
  return (big ? Buffer.from(body).swap16() : body).toString('utf16le');
}

/** The one mark of a reader made with `marks: false`. */
const NO_MARK: Mark = Object.freeze({ index: -1, line: 0, column: 0 });

export class Reader {
  // The input indexed by code point, as Python indexes its str: columns and
  // the 1024-character simple-key limit count code points. Without astral
  // characters the string itself already is that (the reader has rejected
  // lone surrogates), which spares an array of one-character strings.
  private readonly buffer: string | string[];
  /** The buffer when it is a string (no astral characters), for char-code reads. */
  protected readonly text: string | null;
  /** No U+FEFF anywhere, so every character moves the column by one. */
  private readonly noBom: boolean;
  protected pointer = 0;
  protected line = 0;
  protected column = 0;

  /**
   * `marks: false` is for a caller that reads no position (the event path,
   * which hands every error to the full path): every mark is then
   * {@link NO_MARK}, and none is allocated.
   */
  constructor(text: string, marks = true) {
    this.marks = marks;
    const scan = scanCharacters(text);
    if (scan.bad >= 0) {
      const before = text.slice(0, scan.bad);
      const line = before.split('\n').length;
      const column = Array.from(before.slice(before.lastIndexOf('\n') + 1)).length + 1;
      const code = text.codePointAt(scan.bad) ?? 0;
      throw new YamlParseError(
        `unacceptable character #x${code.toString(16).padStart(4, '0')}: special characters are not allowed (line ${line}, column ${column})`,
        line,
        column,
      );
    }
    this.buffer = scan.astral ? [...Array.from(text), '\0'] : flatCopy(`${text}\0`, scan.ascii);
    this.text = typeof this.buffer === 'string' ? this.buffer : null;
    this.noBom = !scan.bom;
  }

  /** The code of `peek(index)` (0 at and beyond the end). */
  protected code(index = 0): number {
    const at = this.pointer + index;
    if (this.text !== null) {
      const c = this.text.charCodeAt(at);
      return c >= 0 ? c : 0;
    }
    const ch = (this.buffer as string[])[at];
    return ch === undefined ? 0 : (ch.codePointAt(0) as number);
  }

  /** `forward(length)` over characters the caller knows hold no line break. */
  protected forwardInLine(length: number): void {
    if (this.noBom) {
      this.pointer += length;
      this.column += length;
    } else {
      this.forward(length);
    }
  }

  protected peek(index = 0): string {
    return this.buffer[this.pointer + index] ?? '\0';
  }

  protected prefix(length = 1): string {
    const buffer = this.buffer;
    return typeof buffer === 'string'
      ? buffer.slice(this.pointer, this.pointer + length)
      : buffer.slice(this.pointer, this.pointer + length).join('');
  }

  protected forward(length = 1): void {
    const text = this.text;
    if (text !== null) {
      while (length) {
        const c = text.charCodeAt(this.pointer++);
        if (c === 0x0a || c === 0x85 || c === 0x2028 || c === 0x2029 || (c === 0x0d && text.charCodeAt(this.pointer) !== 0x0a)) {
          this.line++;
          this.column = 0;
        } else if (c !== 0xfeff) {
          this.column++;
        }
        length--;
      }
      return;
    }
    while (length) {
      const ch = this.buffer[this.pointer];
      this.pointer++;
      if (LINE_BREAKS.includes(ch) || (ch === '\r' && this.buffer[this.pointer] !== '\n')) {
        this.line++;
        this.column = 0;
      } else if (ch !== '\uFEFF') {
        this.column++;
      }
      length--;
    }
  }

  // Marks are immutable and a position has one line and column, so tokens
  // that start where the last one ended share one Mark.
  private lastMark: Mark = NO_MARK;
  private readonly marks: boolean;

  protected getMark(): Mark {
    if (this.marks && this.lastMark.index !== this.pointer) this.lastMark = { index: this.pointer, line: this.line, column: this.column };
    return this.lastMark;
  }

  /** The mark of an earlier position the caller kept. */
  protected markAt(index: number, line: number, column: number): Mark {
    return this.marks ? { index, line, column } : NO_MARK;
  }
}
