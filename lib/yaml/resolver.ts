/**
 * Port of PyYAML's resolver.py (`Resolver`'s YAML 1.1 implicit resolvers):
 * the tag a plain scalar gets from its text. Used by the composer when
 * loading and by the serializer when dumping. Imports nothing.
 *
 * PyYAML is Copyright (c) 2017-2021 Ingy döt Net and (c) 2006-2016 Kirill
 * Simonov, MIT License; this TypeScript port follows its structure and
 * rules, and is distributed under the same terms (see NOTICE).
 */

/** Standard tags, spelled as PyYAML spells them. */
export const TAG = {
  null: 'tag:yaml.org,2002:null',
  bool: 'tag:yaml.org,2002:bool',
  int: 'tag:yaml.org,2002:int',
  float: 'tag:yaml.org,2002:float',
  str: 'tag:yaml.org,2002:str',
  binary: 'tag:yaml.org,2002:binary',
  timestamp: 'tag:yaml.org,2002:timestamp',
  seq: 'tag:yaml.org,2002:seq',
  map: 'tag:yaml.org,2002:map',
  set: 'tag:yaml.org,2002:set',
  omap: 'tag:yaml.org,2002:omap',
  pairs: 'tag:yaml.org,2002:pairs',
  merge: 'tag:yaml.org,2002:merge',
  value: 'tag:yaml.org,2002:value',
  yaml: 'tag:yaml.org,2002:yaml',
  pythonTuple: 'tag:yaml.org,2002:python/tuple',
} as const;

// Python's `$` also matches before a final newline; `\n?$` keeps that, which
// matters when the dumper asks whether a string like "yes\n" would resolve.
/** PyYAML's YAML 1.1 implicit resolvers, as JS regexes. @internal */
export const RESOLVER_REGEXPS = {
  bool: /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)\n?$/,
  float:
    /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\n?$/,
  int: /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)\n?$/,
  merge: /^(?:<<)\n?$/,
  null: /^(?:~|null|Null|NULL|)\n?$/,
  timestamp:
    /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)\n?$/,
  value: /^(?:=)\n?$/,
  yaml: /^(?:!|&|\*)\n?$/,
} as const;

// Registration order matters: PyYAML tries the resolvers for a first
// character in the order they were added.
const IMPLICIT_RESOLVERS: ReadonlyArray<[string, RegExp, string[]]> = [
  [TAG.bool, RESOLVER_REGEXPS.bool, [...'yYnNtTfFoO']],
  [TAG.float, RESOLVER_REGEXPS.float, [...'-+0123456789.']],
  [TAG.int, RESOLVER_REGEXPS.int, [...'-+0123456789']],
  [TAG.merge, RESOLVER_REGEXPS.merge, ['<']],
  [TAG.null, RESOLVER_REGEXPS.null, ['~', 'n', 'N', '']],
  [TAG.timestamp, RESOLVER_REGEXPS.timestamp, [...'0123456789']],
  [TAG.value, RESOLVER_REGEXPS.value, ['=']],
  [TAG.yaml, RESOLVER_REGEXPS.yaml, [...'!&*']],
];

// Indexed by the first character's code (all of PyYAML's first characters
// are ASCII); the empty string has its own list.
const RESOLVERS_BY_CODE: Array<Array<[string, RegExp]> | undefined> = new Array(128);
const RESOLVERS_FOR_EMPTY: Array<[string, RegExp]> = [];
for (const [tag, re, firsts] of IMPLICIT_RESOLVERS) {
  for (const ch of firsts) {
    if (ch === '') {
      RESOLVERS_FOR_EMPTY.push([tag, re]);
      continue;
    }
    const code = ch.charCodeAt(0);
    (RESOLVERS_BY_CODE[code] ??= []).push([tag, re]);
  }
}

function isDigits(value: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/**
 * The tag PyYAML's resolver gives a plain scalar with this text
 * (`Resolver.resolve(ScalarNode, value, (True, False))`). @internal
 */
export function resolveImplicitTag(value: string): string {
  const length = value.length;
  const first = length === 0 ? -1 : value.charCodeAt(0);
  if (first >= 128) return TAG.str;
  if (first >= 0x30 && first <= 0x39) {
    // Only digits: no float (that needs '.'), no timestamp (needs '-'),
    // so the int regex decides: decimal, or octal after a leading 0.
    let octal = true;
    let i = 1;
    for (; i < length; i++) {
      const c = value.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      if (c > 0x37) octal = false;
    }
    if (i === length) return first !== 0x30 || length === 1 || octal ? TAG.int : TAG.str;
    // YYYY-MM-DD: a '-' inside rules out float and int, the timestamp regex matches
    if (i === 4 && length === 10 && isDigits(value, 5, 7) && value.charCodeAt(4) === 0x2d && value.charCodeAt(7) === 0x2d && isDigits(value, 8, 10)) {
      return TAG.timestamp;
    }
  }
  const resolvers = first === -1 ? RESOLVERS_FOR_EMPTY : RESOLVERS_BY_CODE[first];
  if (resolvers) {
    for (const [tag, re] of resolvers) {
      if (re.test(value)) return tag;
    }
  }
  return TAG.str;
}

/**
 * The tag PyYAML's composer gives a scalar: the event's own, unless it has
 * none or the non-specific '!'; then the resolver's for a plain scalar
 * (`implicit[0]`), str for any other. @internal
 */
export function scalarTag(tag: string | null, plain: boolean, value: string): string {
  if (tag !== null && tag !== '!') return tag;
  return plain ? resolveImplicitTag(value) : TAG.str;
}
