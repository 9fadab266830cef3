/**
 * The scan_* half of PyYAML's scanner.py: from the reader's characters, one
 * token (a directive, anchor, alias, tag, block, quoted or plain scalar) and
 * the whitespace and comments between tokens. Which token comes next, and
 * simple keys, are the other half, ./scanner. Both follow scanner.py method
 * by method, so that the port stays checkable against it.
 *
 * PyYAML is Copyright (c) 2017-2021 Ingy döt Net and (c) 2006-2016 Kirill
 * Simonov, MIT License; this TypeScript port follows its structure and
 * rules, and is distributed under the same terms (see NOTICE).
 */

import { markedError, type Mark, type YamlParseError } from './error';
import { Reader } from './reader';
import * as tokens from './tokens';
import type { ScalarStyle, Token } from './tokens';

// Module-level bindings, not named imports: CommonJS output reads a named
// import as a property of the module object at every use, and in the
// character loops below that made parsing about 6 % slower.
const {
  BLANKZ, BREAKS, BREAKZ, ESCAPE_CODES, ESCAPE_REPLACEMENTS, HEX, PLAIN_STOP, SPACE_BREAKZ, STOP_BLANK, STOP_COLON,
  isBlankZ, isBreak, isBreakZ, isFlowIndicator, isFlowScalarStop, isWordChar, pyRepr, token,
} = tokens;

/** Scans single tokens for {@link Scanner}; the state both halves share is here. */
export abstract class TokenScanner extends Reader {
  protected flowLevel = 0;
  protected indent = -1;
  protected allowSimpleKey = true;
  /** Set by scanPlainSpaces once it folds a line break into the plain scalar being scanned. */
  protected plainFolded = false;

  protected scanToNextToken(): void {
    if (this.pointer === 0 && this.code() === 0xfeff) this.forward();
    for (;;) {
      let spaces = 0;
      while (this.code(spaces) === 0x20) spaces++;
      if (spaces) this.forwardInLine(spaces);
      if (this.code() === 0x23) {
        let length = 0;
        while (!isBreakZ(this.code(length))) length++;
        this.forwardInLine(length);
      }
      if (this.scanLineBreak()) {
        if (!this.flowLevel) this.allowSimpleKey = true;
      } else {
        return;
      }
    }
  }

  protected scanDirective(): Token {
    const start = this.getMark();
    this.forward();
    const name = this.scanDirectiveName(start);
    let end: Mark;
    let version: [number, number] | undefined;
    let tagDirective: [string, string] | undefined;
    if (name === 'YAML') {
      version = this.scanYamlDirectiveValue(start);
      end = this.getMark();
    } else if (name === 'TAG') {
      tagDirective = this.scanTagDirectiveValue(start);
      end = this.getMark();
    } else {
      end = this.getMark();
      while (!BREAKZ.includes(this.peek())) this.forward();
    }
    this.scanIgnoredLine('while scanning a directive', start);
    return { type: '<directive>', start, end, value: undefined, tag: undefined, plain: false, style: null, name, version, tagDirective };
  }

  /** How many word characters (alphanumerics, '-' and '_') start here. */
  private wordLength(): number {
    let length = 0;
    while (isWordChar(this.peek(length))) length++;
    return length;
  }

  private scanDirectiveName(start: Mark): string {
    const length = this.wordLength();
    if (!length) {
      throw markedError('while scanning a directive', start, `expected alphabetic or numeric character, but found ${pyRepr(this.peek())}`, this.getMark());
    }
    const value = this.prefix(length);
    this.forward(length);
    const ch = this.peek();
    if (!SPACE_BREAKZ.includes(ch)) {
      throw markedError('while scanning a directive', start, `expected alphabetic or numeric character, but found ${pyRepr(ch)}`, this.getMark());
    }
    return value;
  }

  private scanYamlDirectiveValue(start: Mark): [number, number] {
    while (this.peek() === ' ') this.forward();
    const major = this.scanYamlDirectiveNumber(start);
    if (this.peek() !== '.') {
      throw markedError('while scanning a directive', start, `expected a digit or '.', but found ${pyRepr(this.peek())}`, this.getMark());
    }
    this.forward();
    const minor = this.scanYamlDirectiveNumber(start);
    if (!SPACE_BREAKZ.includes(this.peek())) {
      throw markedError('while scanning a directive', start, `expected a digit or ' ', but found ${pyRepr(this.peek())}`, this.getMark());
    }
    return [major, minor];
  }

  private scanYamlDirectiveNumber(start: Mark): number {
    const ch = this.peek();
    if (!(ch >= '0' && ch <= '9')) {
      throw markedError('while scanning a directive', start, `expected a digit, but found ${pyRepr(ch)}`, this.getMark());
    }
    let length = 0;
    while (this.peek(length) >= '0' && this.peek(length) <= '9') length++;
    const value = Number(this.prefix(length));
    this.forward(length);
    return value;
  }

  private scanTagDirectiveValue(start: Mark): [string, string] {
    while (this.peek() === ' ') this.forward();
    const handle = this.scanTagHandle('directive', start);
    if (this.peek() !== ' ') {
      throw markedError('while scanning a directive', start, `expected ' ', but found ${pyRepr(this.peek())}`, this.getMark());
    }
    while (this.peek() === ' ') this.forward();
    const prefix = this.scanTagUri('directive', start);
    if (!SPACE_BREAKZ.includes(this.peek())) {
      throw markedError('while scanning a directive', start, `expected ' ', but found ${pyRepr(this.peek())}`, this.getMark());
    }
    return [handle, prefix];
  }

  /** PyYAML's scan_directive_ignored_line and scan_block_scalar_ignored_line, which differ only in `context`. */
  private scanIgnoredLine(context: string, start: Mark): void {
    while (this.peek() === ' ') this.forward();
    if (this.peek() === '#') {
      while (!BREAKZ.includes(this.peek())) this.forward();
    }
    const ch = this.peek();
    if (!BREAKZ.includes(ch)) {
      throw markedError(context, start, `expected a comment or a line break, but found ${pyRepr(ch)}`, this.getMark());
    }
    this.scanLineBreak();
  }

  protected scanAnchor(type: '<alias>' | '<anchor>'): Token {
    const start = this.getMark();
    const name = type === '<alias>' ? 'alias' : 'anchor';
    this.forward();
    const length = this.wordLength();
    if (!length) {
      throw markedError(`while scanning an ${name}`, start, `expected alphabetic or numeric character, but found ${pyRepr(this.peek())}`, this.getMark());
    }
    const value = this.prefix(length);
    this.forward(length);
    const ch = this.peek();
    if (!'\0 \t\r\n\x85\u2028\u2029?:,]}%@`'.includes(ch)) {
      throw markedError(`while scanning an ${name}`, start, `expected alphabetic or numeric character, but found ${pyRepr(ch)}`, this.getMark());
    }
    return token(type, start, this.getMark(), value);
  }

  protected scanTag(): Token {
    const start = this.getMark();
    let ch = this.peek(1);
    let handle: string | null;
    let suffix: string;
    if (ch === '<') {
      handle = null;
      this.forward(2);
      suffix = this.scanTagUri('tag', start);
      if (this.peek() !== '>') {
        throw markedError('while parsing a tag', start, `expected '>', but found ${pyRepr(this.peek())}`, this.getMark());
      }
      this.forward();
    } else if (BLANKZ.includes(ch)) {
      handle = null;
      suffix = '!';
      this.forward();
    } else {
      let length = 1;
      let useHandle = false;
      while (!SPACE_BREAKZ.includes(ch)) {
        if (ch === '!') {
          useHandle = true;
          break;
        }
        length++;
        ch = this.peek(length);
      }
      if (useHandle) {
        handle = this.scanTagHandle('tag', start);
      } else {
        handle = '!';
        this.forward();
      }
      suffix = this.scanTagUri('tag', start);
    }
    ch = this.peek();
    if (!SPACE_BREAKZ.includes(ch)) {
      throw markedError('while scanning a tag', start, `expected ' ', but found ${pyRepr(ch)}`, this.getMark());
    }
    return { type: '<tag>', start, end: this.getMark(), value: undefined, tag: [handle, suffix], plain: false, style: null, name: undefined, version: undefined, tagDirective: undefined };
  }

  protected scanBlockScalar(style: '|' | '>'): Token {
    const folded = style === '>';
    const chunks: string[] = [];
    const start = this.getMark();
    this.forward();
    const [chomping, increment] = this.scanBlockScalarIndicators(start);
    this.scanIgnoredLine('while scanning a block scalar', start);

    let minIndent = this.indent + 1;
    if (minIndent < 1) minIndent = 1;
    let breaks: string[];
    let end: Mark;
    let indent: number;
    if (increment === null) {
      let maxIndent: number;
      [breaks, maxIndent, end] = this.scanBlockScalarIndentation();
      indent = Math.max(minIndent, maxIndent);
    } else {
      indent = minIndent + increment - 1;
      [breaks, end] = this.scanBlockScalarBreaks(indent);
    }
    let lineBreak = '';

    while (this.column === indent && this.peek() !== '\0') {
      chunks.push(...breaks);
      const leadingNonSpace = !' \t'.includes(this.peek());
      let length = 0;
      while (!BREAKZ.includes(this.peek(length))) length++;
      chunks.push(this.prefix(length));
      this.forward(length);
      lineBreak = this.scanLineBreak();
      [breaks, end] = this.scanBlockScalarBreaks(indent);
      if (this.column === indent && this.peek() !== '\0') {
        if (folded && lineBreak === '\n' && leadingNonSpace && !' \t'.includes(this.peek())) {
          if (!breaks.length) chunks.push(' ');
        } else {
          chunks.push(lineBreak);
        }
      } else {
        break;
      }
    }

    if (chomping !== false) chunks.push(lineBreak);
    if (chomping === true) chunks.push(...breaks);
    return token('<scalar>', start, end, chunks.join(''), false, style);
  }

  private scanBlockScalarIndicators(start: Mark): [boolean | null, number | null] {
    let chomping: boolean | null = null;
    let increment: number | null = null;
    let ch = this.peek();
    const badIndent = (): YamlParseError =>
      markedError('while scanning a block scalar', start, 'expected indentation indicator in the range 1-9, but found 0', this.getMark());
    if ('+-'.includes(ch)) {
      chomping = ch === '+';
      this.forward();
      ch = this.peek();
      if ('0123456789'.includes(ch)) {
        increment = Number(ch);
        if (increment === 0) throw badIndent();
        this.forward();
      }
    } else if ('0123456789'.includes(ch)) {
      increment = Number(ch);
      if (increment === 0) throw badIndent();
      this.forward();
      ch = this.peek();
      if ('+-'.includes(ch)) {
        chomping = ch === '+';
        this.forward();
      }
    }
    ch = this.peek();
    if (!SPACE_BREAKZ.includes(ch)) {
      throw markedError('while scanning a block scalar', start, `expected chomping or indentation indicators, but found ${pyRepr(ch)}`, this.getMark());
    }
    return [chomping, increment];
  }

  private scanBlockScalarIndentation(): [string[], number, Mark] {
    const chunks: string[] = [];
    let maxIndent = 0;
    let end = this.getMark();
    while (' \r\n\x85\u2028\u2029'.includes(this.peek())) {
      if (this.peek() !== ' ') {
        chunks.push(this.scanLineBreak());
        end = this.getMark();
      } else {
        this.forward();
        if (this.column > maxIndent) maxIndent = this.column;
      }
    }
    return [chunks, maxIndent, end];
  }

  private scanBlockScalarBreaks(indent: number): [string[], Mark] {
    const chunks: string[] = [];
    let end = this.getMark();
    while (this.column < indent && this.peek() === ' ') this.forward();
    while (BREAKS.includes(this.peek())) {
      chunks.push(this.scanLineBreak());
      end = this.getMark();
      while (this.column < indent && this.peek() === ' ') this.forward();
    }
    return [chunks, end];
  }

  protected scanFlowScalar(style: "'" | '"'): Token {
    const double = style === '"';
    const chunks: string[] = [];
    const start = this.getMark();
    const quote = this.peek();
    this.forward();
    chunks.push(...this.scanFlowScalarNonSpaces(double, start));
    while (this.peek() !== quote) {
      chunks.push(...this.scanFlowScalarSpaces(double, start));
      chunks.push(...this.scanFlowScalarNonSpaces(double, start));
    }
    this.forward();
    return token('<scalar>', start, this.getMark(), chunks.join(''), false, style);
  }

  private scanFlowScalarNonSpaces(double: boolean, start: Mark): string[] {
    const chunks: string[] = [];
    for (;;) {
      let length = 0;
      while (!isFlowScalarStop(this.code(length))) length++;
      if (length) {
        chunks.push(this.prefix(length));
        this.forwardInLine(length);
      }
      let ch = this.peek();
      if (!double && ch === "'" && this.peek(1) === "'") {
        chunks.push("'");
        this.forward(2);
      } else if ((double && ch === "'") || (!double && '"\\'.includes(ch))) {
        chunks.push(ch);
        this.forward();
      } else if (double && ch === '\\') {
        this.forward();
        ch = this.peek();
        if (Object.prototype.hasOwnProperty.call(ESCAPE_REPLACEMENTS, ch)) {
          chunks.push(ESCAPE_REPLACEMENTS[ch]);
          this.forward();
        } else if (Object.prototype.hasOwnProperty.call(ESCAPE_CODES, ch)) {
          const codeLength = ESCAPE_CODES[ch];
          this.forward();
          for (let k = 0; k < codeLength; k++) {
            if (!HEX.includes(this.peek(k))) {
              throw markedError(
                'while scanning a double-quoted scalar',
                start,
                `expected escape sequence of ${codeLength} hexadecimal numbers, but found ${pyRepr(this.peek(k))}`,
                this.getMark(),
              );
            }
          }
          const code = parseInt(this.prefix(codeLength), 16);
          if (code > 0x10ffff) {
            throw markedError('while scanning a double-quoted scalar', start, `chr() arg not in range(0x110000): ${code}`, this.getMark());
          }
          chunks.push(String.fromCodePoint(code));
          this.forward(codeLength);
        } else if (BREAKS.includes(ch)) {
          this.scanLineBreak();
          chunks.push(...this.scanFlowScalarBreaks(double, start));
        } else {
          throw markedError('while scanning a double-quoted scalar', start, `found unknown escape character ${pyRepr(ch)}`, this.getMark());
        }
      } else {
        return chunks;
      }
    }
  }

  private scanFlowScalarSpaces(double: boolean, start: Mark): string[] {
    const chunks: string[] = [];
    let length = 0;
    for (let c = this.code(); c === 0x20 || c === 0x09; c = this.code(length)) length++;
    const whitespaces = this.prefix(length);
    this.forward(length);
    const ch = this.peek();
    if (ch === '\0') {
      throw markedError('while scanning a quoted scalar', start, 'found unexpected end of stream', this.getMark());
    } else if (BREAKS.includes(ch)) {
      const lineBreak = this.scanLineBreak();
      const breaks = this.scanFlowScalarBreaks(double, start);
      if (lineBreak !== '\n') chunks.push(lineBreak);
      else if (!breaks.length) chunks.push(' ');
      chunks.push(...breaks);
    } else {
      chunks.push(whitespaces);
    }
    return chunks;
  }

  private scanFlowScalarBreaks(_double: boolean, start: Mark): string[] {
    const chunks: string[] = [];
    for (;;) {
      const prefix = this.prefix(3);
      if ((prefix === '---' || prefix === '...') && BLANKZ.includes(this.peek(3))) {
        throw markedError('while scanning a quoted scalar', start, 'found unexpected document separator', this.getMark());
      }
      while (' \t'.includes(this.peek())) this.forward();
      if (BREAKS.includes(this.peek())) chunks.push(this.scanLineBreak());
      else return chunks;
    }
  }

  protected scanPlain(): Token {
    let value = '';
    const start = this.getMark();
    const startIndex = this.pointer;
    // the end mark is made once, from where the last chunk ended
    let endIndex = -1;
    let endLine = 0;
    let endColumn = 0;
    const indent = this.indent + 1;
    const flow = this.flowLevel !== 0;
    let spaces: string | null = '';
    // While no line break has been folded, the value is the input from
    // start to where the last chunk ended, sliced once at the end rather
    // than once per word; `sliceEnd` is that end, or -1 once `value` holds
    // the text (a fold, or no string buffer).
    let sliceEnd = -1;
    this.plainFolded = false;
    for (;;) {
      let length = 0;
      if (this.code() === 0x23) break;
      const text = this.text;
      if (text !== null) {
        // The buffer ends in '\0', a blank, so the string is never overrun.
        const at = this.pointer;
        for (;;) {
          const c = text.charCodeAt(at + length);
          if (c < 128) {
            const kind = PLAIN_STOP[c];
            if (kind !== 0 && (kind === STOP_BLANK || (kind === STOP_COLON ? this.colonEndsPlain(length, flow) : flow))) break;
          } else if (c === 0x85 || c === 0x2028 || c === 0x2029) {
            break;
          }
          length++;
        }
      } else {
        for (;;) {
          const c = this.code(length);
          if (isBlankZ(c)) break;
          if (c === 0x3a) {
            if (this.colonEndsPlain(length, flow)) break;
          } else if (flow && isFlowIndicator(c)) {
            break;
          }
          length++;
        }
      }
      if (length === 0) break;
      this.allowSimpleKey = false;
      if (this.text === null || this.plainFolded) {
        if (sliceEnd >= 0) value = (this.text as string).slice(startIndex, sliceEnd);
        sliceEnd = -1;
        value = value + (spaces as string) + this.prefix(length);
      } else {
        sliceEnd = this.pointer + length;
      }
      this.forwardInLine(length);
      endIndex = this.pointer;
      endLine = this.line;
      endColumn = this.column;
      spaces = this.scanPlainSpaces(indent, start);
      if (!spaces || this.code() === 0x23 || (!flow && this.column < indent)) break;
    }
    if (sliceEnd >= 0) value = (this.text as string).slice(startIndex, sliceEnd);
    const end = endIndex < 0 ? start : endIndex === this.pointer ? this.getMark() : this.markAt(endIndex, endLine, endColumn);
    return token('<scalar>', start, end, value, true, null);
  }

  /** Whether the ':' at `peek(length)` ends a plain scalar. */
  private colonEndsPlain(length: number, flow: boolean): boolean {
    const next = this.code(length + 1);
    return isBlankZ(next) || (flow && isFlowIndicator(next) && next !== 0x3f);
  }

  /** The folded spaces and breaks after a chunk ('' when none), or null at a document marker. */
  private scanPlainSpaces(_indent: number, _start: Mark): string | null {
    let length = 0;
    while (this.code(length) === 0x20) length++;
    // Spaces within a line that has folded nothing yet are in scanPlain's
    // slice of the input, so only the concatenating path needs them as text.
    const whitespaces = length === 0 ? '' : this.text === null || this.plainFolded ? this.prefix(length) : ' ';
    this.forwardInLine(length);
    if (isBreak(this.code())) {
      const lineBreak = this.scanLineBreak();
      this.allowSimpleKey = true;
      if (this.atDocumentMarker()) return null;
      let breaks = '';
      let anyBreak = false;
      for (;;) {
        const c = this.code();
        if (c === 0x20) {
          let run = 1;
          while (this.code(run) === 0x20) run++;
          this.forwardInLine(run);
        } else if (isBreak(c)) {
          breaks += this.scanLineBreak();
          anyBreak = true;
          if (this.atDocumentMarker()) return null;
        } else {
          break;
        }
      }
      this.plainFolded = true;
      return (lineBreak !== '\n' ? lineBreak : anyBreak ? '' : ' ') + breaks;
    }
    return whitespaces;
  }

  /** Whether '---' or '...' followed by a blank (or the end) starts here. */
  private atDocumentMarker(): boolean {
    const c = this.code();
    return (c === 0x2d || c === 0x2e) && this.code(1) === c && this.code(2) === c && isBlankZ(this.code(3));
  }

  private scanTagHandle(name: string, start: Mark): string {
    let ch = this.peek();
    if (ch !== '!') {
      throw markedError(`while scanning a ${name}`, start, `expected '!', but found ${pyRepr(ch)}`, this.getMark());
    }
    let length = 1;
    ch = this.peek(length);
    if (ch !== ' ') {
      while (isWordChar(ch)) {
        length++;
        ch = this.peek(length);
      }
      if (ch !== '!') {
        this.forward(length);
        throw markedError(`while scanning a ${name}`, start, `expected '!', but found ${pyRepr(ch)}`, this.getMark());
      }
      length++;
    }
    const value = this.prefix(length);
    this.forward(length);
    return value;
  }

  private scanTagUri(name: string, start: Mark): string {
    const chunks: string[] = [];
    let length = 0;
    let ch = this.peek(length);
    while ((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || "-;/?:@&=+$,_.!~*'()[]%".includes(ch)) {
      if (ch === '%') {
        chunks.push(this.prefix(length));
        this.forward(length);
        length = 0;
        chunks.push(this.scanUriEscapes(name, start));
      } else {
        length++;
      }
      ch = this.peek(length);
    }
    if (length) {
      chunks.push(this.prefix(length));
      this.forward(length);
      length = 0;
    }
    if (!chunks.length) {
      throw markedError(`while parsing a ${name}`, start, `expected URI, but found ${pyRepr(ch)}`, this.getMark());
    }
    return chunks.join('');
  }

  private scanUriEscapes(name: string, start: Mark): string {
    const codes: number[] = [];
    const mark = this.getMark();
    while (this.peek() === '%') {
      this.forward();
      for (let k = 0; k < 2; k++) {
        if (!HEX.includes(this.peek(k))) {
          throw markedError(
            `while scanning a ${name}`,
            start,
            `expected URI escape sequence of 2 hexadecimal numbers, but found ${pyRepr(this.peek(k))}`,
            this.getMark(),
          );
        }
      }
      codes.push(parseInt(this.prefix(2), 16));
      this.forward(2);
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(codes));
    } catch {
      throw markedError(`while scanning a ${name}`, start, 'invalid UTF-8 in URI escape sequence', mark);
    }
  }

  private scanLineBreak(): string {
    const c = this.code();
    if (c === 0x0a || c === 0x0d || c === 0x85) {
      if (c === 0x0d && this.code(1) === 0x0a) this.forward(2);
      else this.forward();
      return '\n';
    } else if (c === 0x2028 || c === 0x2029) {
      this.forward();
      return c === 0x2028 ? '\u2028' : '\u2029';
    }
    return '';
  }
}
