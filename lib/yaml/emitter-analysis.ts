/**
 * The emitter's pure helpers from PyYAML's emitter.py: `analyze_scalar`
 * (which styles a scalar allows) and `prepare_tag`, apart so that the
 * emitter's state machine stays readable. Imports ./error only.
 *
 * PyYAML is Copyright (c) 2017-2021 Ingy döt Net and (c) 2006-2016 Kirill
 * Simonov, MIT License; this TypeScript port follows its structure and
 * rules, and is distributed under the same terms (see NOTICE).
 */

import { Buffer } from 'node:buffer';
import { YamlDumpError } from './error';

/**
 * A scalar indexed by code point, as Python indexes str: the string itself
 * when it has no astral characters, else an array of code points.
 */
export type CodePoints = string | readonly string[];

export function span(text: CodePoints, start: number, end: number): string {
  return typeof text === 'string' ? text.slice(start, end) : text.slice(start, end).join('');
}

export interface ScalarAnalysis {
  readonly scalar: CodePoints;
  readonly empty: boolean;
  readonly multiline: boolean;
  readonly allowFlowPlain: boolean;
  readonly allowBlockPlain: boolean;
  readonly allowSingleQuoted: boolean;
  readonly allowBlock: boolean;
  /** No space, no line break, no astral character: the plain writer can copy it as is. */
  readonly simple: boolean;
}

export const LINE_BREAK_CHARS = '\n\x85\u2028\u2029';

const TAG_PREFIXES: ReadonlyArray<[string, string]> = [
  // sorted(tag_prefixes.keys()), as prepare_tag iterates them
  ['!', '!'],
  ['tag:yaml.org,2002:', '!!'],
];

export function cp(ch: string): number {
  return ch.codePointAt(0) as number;
}

const isSpaceOrBreakZ = (c: number): boolean =>
  c === 0x20 || c === 0x0a || c === 0x00 || c === 0x09 || c === 0x0d || c === 0x85 || c === 0x2028 || c === 0x2029;
const isLineBreak = (c: number): boolean => c === 0x0a || c === 0x85 || c === 0x2028 || c === 0x2029;

// Indicator classes by char code, for the first character and the others.
const FIRST_INDICATOR = new Uint8Array(128);
const LATER_INDICATOR = new Uint8Array(128);
for (const ch of '#,[]{}&*!|>\'"%@`') FIRST_INDICATOR[ch.charCodeAt(0)] = 1;
for (const ch of ',?[]{}') LATER_INDICATOR[ch.charCodeAt(0)] = 1;

const EMPTY_ANALYSIS: ScalarAnalysis = {
  scalar: '',
  empty: true,
  multiline: false,
  allowFlowPlain: false,
  allowBlockPlain: true,
  allowSingleQuoted: true,
  allowBlock: false,
  simple: false,
};

// Characters that set no flag of analyze_scalar wherever they stand, except
// '-' and '.' first (an indicator, or the start of '---' / '...').
const INERT = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) INERT[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) INERT[c] = INERT[c + 0x20] = 1;
for (const ch of '_-./()+=$^~;') INERT[ch.charCodeAt(0)] = 1;

/**
 * `Emitter.analyze_scalar`, answered without the full walk for the common
 * text: inert characters with spaces between them (no leading or
 * trailing space) allow every style, as the full walk would find. The
 * test file test/yaml/dump-fast-paths.test.ts checks both agree.
 */
export function analyzeScalar(value: string): ScalarAnalysis {
  const length = value.length;
  if (length === 0) return EMPTY_ANALYSIS;
  const first = value.charCodeAt(0);
  if (first >= 128 || INERT[first] === 0 || first === 0x2d || first === 0x2e) return analyzeScalarFully(value);
  let spaces = false;
  for (let i = 1; i < length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x20) {
      if (i === length - 1) return analyzeScalarFully(value);
      spaces = true;
    } else if (c >= 128 || INERT[c] === 0) {
      return analyzeScalarFully(value);
    }
  }
  return {
    scalar: value, empty: false, multiline: false, allowFlowPlain: true, allowBlockPlain: true, allowSingleQuoted: true,
    allowBlock: true, simple: !spaces,
  };
}

/**
 * `Emitter.analyze_scalar`. It walks UTF-16 units rather than code points:
 * a surrogate is a special character, which rules out every style but
 * double quotes, so the flags come out as Python's; only `scalar`, which
 * the writers index, is by code point.
 */
export function analyzeScalarFully(value: string): ScalarAnalysis {
  const length = value.length;
  if (length === 0) return EMPTY_ANALYSIS;
  let blockIndicators = false;
  let flowIndicators = false;
  let lineBreaks = false;
  let specialCharacters = false;
  let surrogates = false;
  let spacesOrBreaks = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;

  if (value.startsWith('---') || value.startsWith('...')) {
    blockIndicators = true;
    flowIndicators = true;
  }
  let precededByWhitespace = true;
  let followedByWhitespace = length === 1 || isSpaceOrBreakZ(value.charCodeAt(1));
  let previousSpace = false;
  let previousBreak = false;

  for (let index = 0; index < length; ) {
    const c = value.charCodeAt(index);
    if (index === 0) {
      if (c < 128 && FIRST_INDICATOR[c] === 1) {
        flowIndicators = true;
        blockIndicators = true;
      }
      if (c === 0x3f || c === 0x3a) {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      }
      if (c === 0x2d && followedByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    } else {
      if (c < 128 && LATER_INDICATOR[c] === 1) flowIndicators = true;
      if (c === 0x3a) {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      }
      if (c === 0x23 && precededByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    }

    // With allow_unicode off, anything but printable ASCII and '\n' needs a double-quoted escape.
    if (!(c === 0x0a || (c >= 0x20 && c <= 0x7e))) {
      specialCharacters = true;
      if (c >= 0xd800 && c <= 0xdfff) surrogates = true;
    }

    if (c === 0x20) {
      spacesOrBreaks = true;
      if (index === 0) leadingSpace = true;
      if (index === length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isLineBreak(c)) {
      spacesOrBreaks = true;
      lineBreaks = true;
      if (index === 0) leadingBreak = true;
      if (index === length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }

    index++;
    precededByWhitespace = isSpaceOrBreakZ(c);
    followedByWhitespace = index + 1 >= length || isSpaceOrBreakZ(value.charCodeAt(index + 1));
  }

  let allowFlowPlain = true;
  let allowBlockPlain = true;
  let allowSingleQuoted = true;
  let allowBlock = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) allowFlowPlain = allowBlockPlain = false;
  if (trailingSpace) allowBlock = false;
  if (breakSpace) allowFlowPlain = allowBlockPlain = allowSingleQuoted = false;
  if (spaceBreak || specialCharacters) allowFlowPlain = allowBlockPlain = allowSingleQuoted = allowBlock = false;
  if (lineBreaks) allowFlowPlain = allowBlockPlain = false;
  if (flowIndicators) allowFlowPlain = false;
  if (blockIndicators) allowBlockPlain = false;

  // Python indexes str by code point; so must the writers' width arithmetic.
  const scalar: CodePoints = surrogates ? Array.from(value) : value;
  return {
    scalar, empty: false, multiline: lineBreaks, allowFlowPlain, allowBlockPlain, allowSingleQuoted, allowBlock,
    simple: !spacesOrBreaks && !surrogates,
  };
}

const preparedTags = new Map<string, string>();

export function prepareTag(tag: string): string {
  let prepared = preparedTags.get(tag);
  if (prepared === undefined) preparedTags.set(tag, (prepared = prepareTagUncached(tag)));
  return prepared;
}

function prepareTagUncached(tag: string): string {
  if (!tag) throw new YamlDumpError('tag must not be empty', '');
  if (tag === '!') return tag;
  let handle: string | null = null;
  let suffix = tag;
  for (const [prefix, prefixHandle] of TAG_PREFIXES) {
    if (tag.startsWith(prefix) && (prefix === '!' || prefix.length < tag.length)) {
      handle = prefixHandle;
      suffix = tag.slice(prefix.length);
    }
  }
  let out = '';
  for (const ch of suffix) {
    if (
      (ch >= '0' && ch <= '9') ||
      (ch >= 'A' && ch <= 'Z') ||
      (ch >= 'a' && ch <= 'z') ||
      "-;/?:@&=+$,_.~*'()[]".includes(ch) ||
      (ch === '!' && handle !== '!')
    ) {
      out += ch;
    } else {
      for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return handle ? `${handle}${out}` : `!<${out}>`;
}
