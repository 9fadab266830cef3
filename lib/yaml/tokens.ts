/**
 * The tokens of PyYAML's scanner.py, and the character classes both halves
 * of the scanner read: ./scanner (which token comes next) and
 * ./token-scanner (one token's characters).
 *
 * PyYAML is Copyright (c) 2017-2021 Ingy döt Net and (c) 2006-2016 Kirill
 * Simonov, MIT License; this TypeScript port follows its structure and
 * rules, and is distributed under the same terms (see NOTICE).
 */

import type { Mark } from './error';

export type TokenType =
  | '<stream start>'
  | '<stream end>'
  | '<directive>'
  | '<document start>'
  | '<document end>'
  | '<block sequence start>'
  | '<block mapping start>'
  | '<block end>'
  | '['
  | '{'
  | ']'
  | '}'
  | ','
  | '-'
  | '?'
  | ':'
  | '<alias>'
  | '<anchor>'
  | '<tag>'
  | '<scalar>';

export type ScalarStyle = "'" | '"' | '|' | '>';

export interface Token {
  readonly type: TokenType;
  readonly start: Mark;
  readonly end: Mark;
  /** Alias, anchor and scalar text. */
  readonly value?: string;
  /** `<tag>`: handle (or null for verbatim) and suffix. */
  readonly tag?: readonly [string | null, string];
  readonly plain?: boolean;
  readonly style?: ScalarStyle | null;
  /** `<directive>` */
  readonly name?: string;
  readonly version?: readonly [number, number];
  readonly tagDirective?: readonly [string, string];
}

export const BLANKZ = '\0 \t\r\n\x85\u2028\u2029';
export const BREAKZ = '\0\r\n\x85\u2028\u2029';
export const BREAKS = '\r\n\x85\u2028\u2029';
export const SPACE_BREAKZ = '\0 \r\n\x85\u2028\u2029';
export const HEX = '0123456789ABCDEFabcdef';

export const isBreak = (c: number): boolean => c === 0x0a || c === 0x0d || c === 0x85 || c === 0x2028 || c === 0x2029;
export const isBreakZ = (c: number): boolean => c === 0 || isBreak(c);
export const isBlankZ = (c: number): boolean => c === 0x20 || c === 0x09 || isBreakZ(c);
// What ends a run of ordinary characters in a quoted scalar: quotes, '\\', blanks and breaks.
export const isFlowScalarStop = (c: number): boolean => c === 0x27 || c === 0x22 || c === 0x5c || isBlankZ(c);
// ,?[]{} : what ends a plain scalar inside a flow collection.
export const isFlowIndicator = (c: number): boolean =>
  c === 0x2c || c === 0x3f || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d;
// How an ASCII character bears on the end of a plain scalar.
export const STOP_BLANK = 1;
export const STOP_COLON = 2;
const STOP_IN_FLOW = 3;
export const PLAIN_STOP = new Uint8Array(128);
for (const ch of ',?[]{}') PLAIN_STOP[ch.charCodeAt(0)] = STOP_IN_FLOW;
for (const ch of '\0 \t\r\n') PLAIN_STOP[ch.charCodeAt(0)] = STOP_BLANK;
PLAIN_STOP[0x3a] = STOP_COLON;
// Characters that cannot start a plain scalar (unless '-', '?' or ':' is followed by a non-space).
export const NOT_PLAIN_START = new Uint8Array(128);
for (const ch of '\0 \t\r\n-?:,[]{}#&*!|>\'"%@`') NOT_PLAIN_START[ch.charCodeAt(0)] = 1;

export function isWordChar(ch: string): boolean {
  return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch === '-' || ch === '_';
}

export const ESCAPE_REPLACEMENTS: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\x08',
  t: '\x09',
  '\t': '\x09',
  n: '\x0A',
  v: '\x0B',
  f: '\x0C',
  r: '\x0D',
  e: '\x1B',
  ' ': '\x20',
  '"': '"',
  '\\': '\\',
  '/': '/',
  N: '\x85',
  _: '\xA0',
  L: '\u2028',
  P: '\u2029',
};

// Every token has every field, so the parser's reads see one object shape.
export function token(type: TokenType, start: Mark, end: Mark, value?: string, plain = false, style: ScalarStyle | null = null): Token {
  return { type, start, end, value, tag: undefined, plain, style, name: undefined, version: undefined, tagDirective: undefined };
}

export const ESCAPE_CODES: Record<string, number> = { x: 2, u: 4, U: 8 };

/** Python's `repr()` of a one-character string, for error messages. */
export function pyRepr(ch: string): string {
  if (ch === '\0') return "'\\x00'";
  if (ch === "'") return '"\'"';
  if (ch === '\t') return "'\\t'";
  if (ch === '\n') return "'\\n'";
  if (ch === '\r') return "'\\r'";
  const code = ch.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f) return `'\\x${code.toString(16).padStart(2, '0')}'`;
  return `'${ch}'`;
}
