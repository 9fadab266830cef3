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
}

const SPACE_OR_BREAK_Z = '\0 \t\r\n\x85\u2028\u2029';
export const LINE_BREAK_CHARS = '\n\x85\u2028\u2029';

const TAG_PREFIXES: ReadonlyArray<[string, string]> = [
  // sorted(tag_prefixes.keys()), as prepare_tag iterates them
  ['!', '!'],
  ['tag:yaml.org,2002:', '!!'],
];

export function cp(ch: string): number {
  return ch.codePointAt(0) as number;
}

export function analyzeScalar(value: string): ScalarAnalysis {
  // Python indexes str by code point; so must the width arithmetic.
  const scalar: CodePoints = /[\uD800-\uDFFF]/.test(value) ? Array.from(value) : value;
  if (!scalar.length) {
    return {
      scalar,
      empty: true,
      multiline: false,
      allowFlowPlain: false,
      allowBlockPlain: true,
      allowSingleQuoted: true,
      allowBlock: false,
    };
  }
  let blockIndicators = false;
  let flowIndicators = false;
  let lineBreaks = false;
  let specialCharacters = false;
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
  let followedByWhitespace = scalar.length === 1 || SPACE_OR_BREAK_Z.includes(scalar[1]);
  let previousSpace = false;
  let previousBreak = false;

  let index = 0;
  while (index < scalar.length) {
    const ch = scalar[index];
    if (index === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) {
        flowIndicators = true;
        blockIndicators = true;
      }
      if ('?:'.includes(ch)) {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      }
      if (ch === '-' && followedByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    } else {
      if (',?[]{}'.includes(ch)) flowIndicators = true;
      if (ch === ':') {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      }
      if (ch === '#' && precededByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    }

    if (LINE_BREAK_CHARS.includes(ch)) lineBreaks = true;
    const code = cp(ch);
    if (!(ch === '\n' || (code >= 0x20 && code <= 0x7e))) {
      // With allow_unicode off, anything else needs a double-quoted escape.
      specialCharacters = true;
    }

    if (ch === ' ') {
      if (index === 0) leadingSpace = true;
      if (index === scalar.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (LINE_BREAK_CHARS.includes(ch)) {
      if (index === 0) leadingBreak = true;
      if (index === scalar.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }

    index++;
    precededByWhitespace = SPACE_OR_BREAK_Z.includes(ch);
    followedByWhitespace = index + 1 >= scalar.length || SPACE_OR_BREAK_Z.includes(scalar[index + 1]);
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

  return { scalar, empty: false, multiline: lineBreaks, allowFlowPlain, allowBlockPlain, allowSingleQuoted, allowBlock };
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
