/**
 * Port of PyYAML's reader.py: the input as a buffer of code points with
 * `peek`, `prefix`, `forward` and the current `Mark`, and the check that
 * rejects characters YAML does not allow. The scanner extends it, as
 * PyYAML's Loader mixes Reader into Scanner. Imports only ./error.
 *
 * PyYAML is Copyright (c) 2017-2021 Ingy döt Net and (c) 2006-2016 Kirill
 * Simonov, MIT License; this TypeScript port follows its structure and
 * rules, and is distributed under the same terms (see NOTICE).
 */

import { YamlParseError, type Mark } from './error';

const NON_PRINTABLE = /[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const LINE_BREAKS = '\n\x85\u2028\u2029';

export class Reader {
  // The input indexed by code point, as Python indexes its str: columns and
  // the 1024-character simple-key limit count code points. Without astral
  // characters the string itself already is that (the reader has rejected
  // lone surrogates), which spares an array of one-character strings.
  private readonly buffer: string | string[];
  protected pointer = 0;
  protected line = 0;
  protected column = 0;

  constructor(text: string) {
    const bad = NON_PRINTABLE.exec(text);
    if (bad) {
      const before = text.slice(0, bad.index);
      const line = before.split('\n').length;
      const column = Array.from(before.slice(before.lastIndexOf('\n') + 1)).length + 1;
      const code = bad[0].codePointAt(0) ?? 0;
      throw new YamlParseError(
        `unacceptable character #x${code.toString(16).padStart(4, '0')}: special characters are not allowed (line ${line}, column ${column})`,
        line,
        column,
      );
    }
    this.buffer = /[\uD800-\uDFFF]/.test(text) ? [...Array.from(text), '\0'] : `${text}\0`;
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

  protected getMark(): Mark {
    return { index: this.pointer, line: this.line, column: this.column };
  }
}
