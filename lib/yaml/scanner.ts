/**
 * Port of PyYAML's scanner.py, the fetch_* half: which token comes next,
 * indentation, flow levels and simple keys, and the queue the parser takes
 * tokens from. The scan_* half, one token's characters, is ./token-scanner;
 * the tokens and character classes are ./tokens.
 *
 * PyYAML is Copyright (c) 2017-2021 Ingy döt Net and (c) 2006-2016 Kirill
 * Simonov, MIT License; this TypeScript port follows its structure and
 * rules, and is distributed under the same terms (see NOTICE).
 */

import { markedError, type Mark } from './error';
import { TokenScanner } from './token-scanner';
import * as tokens from './tokens';
import type { Token, TokenType } from './tokens';

// Module-level bindings, for speed: see ./token-scanner.
const { BLANKZ, NOT_PLAIN_START, isBlankZ, pyRepr, token } = tokens;

export type { ScalarStyle, Token, TokenType } from './tokens';

interface SimpleKey {
  tokenNumber: number;
  required: boolean;
  index: number;
  line: number;
  column: number;
  mark: Mark;
}

export class Scanner extends TokenScanner {
  private done = false;
  // The tokens scanned but not yet taken are tokens[head..]: taking one
  // moves `head` rather than shifting the array, and the array is emptied
  // when a drained queue has taken enough to be worth it.
  private tokens: Token[] = [];
  private head = 0;
  private tokensTaken = 0;
  private readonly indents: number[] = [];
  // PyYAML's dict by flow level; levels only grow while keys are added,
  // so index order is its insertion order. `simpleKeyCount` spares the
  // scan when there are none.
  private possibleSimpleKeys: Array<SimpleKey | undefined> = [];
  private simpleKeyCount = 0;


  /** `marks: false`: see the Reader constructor. */
  constructor(text: string, marks = true) {
    super(text, marks);
    this.tokens.push(token('<stream start>', this.getMark(), this.getMark()));
  }

  // -- public --

  /** Whether there is a next token and, when types are given, it has one of them. */
  checkToken(a?: TokenType, b?: TokenType, c?: TokenType, d?: TokenType): boolean {
    while (this.needMoreTokens()) this.fetchMoreTokens();
    if (this.tokens.length > this.head) {
      if (a === undefined) return true;
      const type = this.tokens[this.head].type;
      return type === a || type === b || type === c || type === d;
    }
    return false;
  }

  peekToken(): Token | undefined {
    while (this.needMoreTokens()) this.fetchMoreTokens();
    return this.tokens[this.head];
  }

  getToken(): Token | undefined {
    while (this.needMoreTokens()) this.fetchMoreTokens();
    const tokens = this.tokens;
    if (tokens.length > this.head) {
      this.tokensTaken++;
      const token = tokens[this.head++];
      if (this.head === tokens.length && this.head >= 32) {
        tokens.length = 0;
        this.head = 0;
      }
      return token;
    }
    return undefined;
  }

  // -- private --

  private needMoreTokens(): boolean {
    if (this.done) return false;
    if (this.tokens.length === this.head) return true;
    if (this.simpleKeyCount === 0) return false;
    this.stalePossibleSimpleKeys();
    return this.nextPossibleSimpleKey() === this.tokensTaken;
  }

  private fetchMoreTokens(): void {
    this.scanToNextToken();
    this.stalePossibleSimpleKeys();
    this.unwindIndent(this.column);
    // PyYAML's order of checks; a character none of them claims is plain or an error.
    switch (this.code()) {
      case 0x00:
        return this.fetchStreamEnd();
      case 0x25: // %
        if (this.checkDirective()) return this.fetchDirective();
        break;
      case 0x2d: // -
        if (this.checkDocumentStart()) return this.fetchDocumentIndicator('<document start>');
        if (this.checkBlockEntry()) return this.fetchBlockEntry();
        break;
      case 0x2e: // .
        if (this.checkDocumentEnd()) return this.fetchDocumentIndicator('<document end>');
        break;
      case 0x5b: // [
        return this.fetchFlowCollectionStart('[');
      case 0x7b: // {
        return this.fetchFlowCollectionStart('{');
      case 0x5d: // ]
        return this.fetchFlowCollectionEnd(']');
      case 0x7d: // }
        return this.fetchFlowCollectionEnd('}');
      case 0x2c: // ,
        return this.fetchFlowEntry();
      case 0x3f: // ?
        if (this.checkKey()) return this.fetchKey();
        break;
      case 0x3a: // :
        if (this.checkValue()) return this.fetchValue();
        break;
      case 0x2a: // *
        return this.fetchAlias();
      case 0x26: // &
        return this.fetchAnchor();
      case 0x21: // !
        return this.fetchTag();
      case 0x7c: // |
        if (!this.flowLevel) return this.fetchBlockScalar('|');
        break;
      case 0x3e: // >
        if (!this.flowLevel) return this.fetchBlockScalar('>');
        break;
      case 0x27: // '
        return this.fetchFlowScalar("'");
      case 0x22: // "
        return this.fetchFlowScalar('"');
      default:
        break;
    }
    if (this.checkPlain()) return this.fetchPlain();
    const ch = this.peek();
    throw markedError(
      'while scanning for the next token',
      null,
      `found character ${pyRepr(ch)} that cannot start any token`,
      this.getMark(),
    );
  }

  private nextPossibleSimpleKey(): number | null {
    let min: number | null = null;
    if (this.simpleKeyCount === 0) return min;
    for (const key of this.possibleSimpleKeys) {
      if (key !== undefined && (min === null || key.tokenNumber < min)) min = key.tokenNumber;
    }
    return min;
  }

  private stalePossibleSimpleKeys(): void {
    if (this.simpleKeyCount === 0) return;
    const keys = this.possibleSimpleKeys;
    for (let level = 0; level < keys.length; level++) {
      const key = keys[level];
      if (key !== undefined && (key.line !== this.line || this.pointer - key.index > 1024)) {
        if (key.required) {
          throw markedError('while scanning a simple key', key.mark, "could not find expected ':'", this.getMark());
        }
        this.deletePossibleSimpleKey(level);
      }
    }
  }

  private deletePossibleSimpleKey(level: number): void {
    this.possibleSimpleKeys[level] = undefined;
    this.simpleKeyCount--;
  }

  private savePossibleSimpleKey(): void {
    const required = !this.flowLevel && this.indent === this.column;
    if (this.allowSimpleKey) {
      this.removePossibleSimpleKey();
      const tokenNumber = this.tokensTaken + this.tokens.length - this.head;
      this.simpleKeyCount++;
      this.possibleSimpleKeys[this.flowLevel] = {
        tokenNumber,
        required,
        index: this.pointer,
        line: this.line,
        column: this.column,
        mark: this.getMark(),
      };
    }
  }

  private removePossibleSimpleKey(): void {
    const key = this.possibleSimpleKeys[this.flowLevel];
    if (key) {
      if (key.required) {
        throw markedError('while scanning a simple key', key.mark, "could not find expected ':'", this.getMark());
      }
      this.deletePossibleSimpleKey(this.flowLevel);
    }
  }

  /** PyYAML's `tokens.insert(at, token)`, without splice's result array. */
  private insertToken(at: number, token: Token): void {
    const tokens = this.tokens;
    for (let i = tokens.length; i > at; i--) tokens[i] = tokens[i - 1];
    tokens[at] = token;
  }

  private unwindIndent(column: number): void {
    if (this.flowLevel) return;
    while (this.indent > column) {
      const mark = this.getMark();
      this.indent = this.indents.pop() as number;
      this.tokens.push(token('<block end>', mark, mark));
    }
  }

  private addIndent(column: number): boolean {
    if (this.indent < column) {
      this.indents.push(this.indent);
      this.indent = column;
      return true;
    }
    return false;
  }

  private fetchStreamEnd(): void {
    this.unwindIndent(-1);
    this.removePossibleSimpleKey();
    this.allowSimpleKey = false;
    this.possibleSimpleKeys = [];
    this.simpleKeyCount = 0;
    const mark = this.getMark();
    this.tokens.push(token('<stream end>', mark, mark));
    this.done = true;
  }

  private fetchDirective(): void {
    this.unwindIndent(-1);
    this.removePossibleSimpleKey();
    this.allowSimpleKey = false;
    this.tokens.push(this.scanDirective());
  }

  private fetchDocumentIndicator(type: '<document start>' | '<document end>'): void {
    this.unwindIndent(-1);
    this.removePossibleSimpleKey();
    this.allowSimpleKey = false;
    const start = this.getMark();
    this.forward(3);
    this.tokens.push(token(type, start, this.getMark()));
  }

  private fetchFlowCollectionStart(type: '[' | '{'): void {
    this.savePossibleSimpleKey();
    this.flowLevel++;
    this.allowSimpleKey = true;
    const start = this.getMark();
    this.forward();
    this.tokens.push(token(type, start, this.getMark()));
  }

  private fetchFlowCollectionEnd(type: ']' | '}'): void {
    this.removePossibleSimpleKey();
    this.flowLevel--;
    this.allowSimpleKey = false;
    const start = this.getMark();
    this.forward();
    this.tokens.push(token(type, start, this.getMark()));
  }

  private fetchFlowEntry(): void {
    this.allowSimpleKey = true;
    this.removePossibleSimpleKey();
    const start = this.getMark();
    this.forward();
    this.tokens.push(token(',', start, this.getMark()));
  }

  private fetchBlockEntry(): void {
    if (!this.flowLevel) {
      if (!this.allowSimpleKey) {
        throw markedError(null, null, 'sequence entries are not allowed here', this.getMark());
      }
      if (this.addIndent(this.column)) {
        const mark = this.getMark();
        this.tokens.push(token('<block sequence start>', mark, mark));
      }
    }
    this.allowSimpleKey = true;
    this.removePossibleSimpleKey();
    const start = this.getMark();
    this.forward();
    this.tokens.push(token('-', start, this.getMark()));
  }

  private fetchKey(): void {
    if (!this.flowLevel) {
      if (!this.allowSimpleKey) {
        throw markedError(null, null, 'mapping keys are not allowed here', this.getMark());
      }
      if (this.addIndent(this.column)) {
        const mark = this.getMark();
        this.tokens.push(token('<block mapping start>', mark, mark));
      }
    }
    this.allowSimpleKey = !this.flowLevel;
    this.removePossibleSimpleKey();
    const start = this.getMark();
    this.forward();
    this.tokens.push(token('?', start, this.getMark()));
  }

  private fetchValue(): void {
    const key = this.possibleSimpleKeys[this.flowLevel];
    if (key) {
      this.deletePossibleSimpleKey(this.flowLevel);
      const at = this.head + key.tokenNumber - this.tokensTaken;
      this.insertToken(at, token('?', key.mark, key.mark));
      if (!this.flowLevel && this.addIndent(key.column)) this.insertToken(at, token('<block mapping start>', key.mark, key.mark));
      this.allowSimpleKey = false;
    } else {
      if (!this.flowLevel && !this.allowSimpleKey) {
        throw markedError(null, null, 'mapping values are not allowed here', this.getMark());
      }
      if (!this.flowLevel && this.addIndent(this.column)) {
        const mark = this.getMark();
        this.tokens.push(token('<block mapping start>', mark, mark));
      }
      this.allowSimpleKey = !this.flowLevel;
      this.removePossibleSimpleKey();
    }
    const start = this.getMark();
    this.forward();
    this.tokens.push(token(':', start, this.getMark()));
  }

  private fetchAlias(): void {
    this.savePossibleSimpleKey();
    this.allowSimpleKey = false;
    this.tokens.push(this.scanAnchor('<alias>'));
  }

  private fetchAnchor(): void {
    this.savePossibleSimpleKey();
    this.allowSimpleKey = false;
    this.tokens.push(this.scanAnchor('<anchor>'));
  }

  private fetchTag(): void {
    this.savePossibleSimpleKey();
    this.allowSimpleKey = false;
    this.tokens.push(this.scanTag());
  }

  private fetchBlockScalar(style: '|' | '>'): void {
    this.allowSimpleKey = true;
    this.removePossibleSimpleKey();
    this.tokens.push(this.scanBlockScalar(style));
  }

  private fetchFlowScalar(style: "'" | '"'): void {
    this.savePossibleSimpleKey();
    this.allowSimpleKey = false;
    this.tokens.push(this.scanFlowScalar(style));
  }

  private fetchPlain(): void {
    this.savePossibleSimpleKey();
    this.allowSimpleKey = false;
    this.tokens.push(this.scanPlain());
  }

  private checkDirective(): boolean {
    return this.column === 0;
  }

  private checkDocumentStart(): boolean {
    return this.column === 0 && this.prefix(3) === '---' && BLANKZ.includes(this.peek(3));
  }

  private checkDocumentEnd(): boolean {
    return this.column === 0 && this.prefix(3) === '...' && BLANKZ.includes(this.peek(3));
  }

  private checkBlockEntry(): boolean {
    return isBlankZ(this.code(1));
  }

  private checkKey(): boolean {
    return this.flowLevel ? true : isBlankZ(this.code(1));
  }

  private checkValue(): boolean {
    return this.flowLevel ? true : isBlankZ(this.code(1));
  }

  private checkPlain(): boolean {
    const c = this.code();
    return (
      !(c < 128 ? NOT_PLAIN_START[c] === 1 : c === 0x85 || c === 0x2028 || c === 0x2029) ||
      (!isBlankZ(this.code(1)) && (c === 0x2d || (!this.flowLevel && (c === 0x3f || c === 0x3a))))
    );
  }

}
