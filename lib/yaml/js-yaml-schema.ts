/**
 * {@link PYYAML_SCHEMA}: PyYAML's implicit resolvers and scalar
 * constructors packaged as a js-yaml schema, for code that stays on
 * js-yaml's loader. Imports js-yaml, ./resolver, ./constructor, ./values
 * and ./error; nothing in the loader or dumper imports it.
 */

import { FAILSAFE_SCHEMA, Schema, Type } from 'js-yaml';
import { constructYamlBinary, constructYamlBool, constructYamlFloat, constructYamlInt, constructYamlTimestamp } from './constructor';
import { YamlParseError } from './error';
import { RESOLVER_REGEXPS, TAG } from './resolver';
import { YamlTuple } from './values';

// js-yaml calls resolve(data) to detect implicit types and
// resolve(data, tag) to check an explicit tag; an explicit `!!int 0o17`
// must reach the constructor, which mirrors what PyYAML accepts.
function implicitScalar(tag: string, regexp: RegExp, construct: (text: string) => unknown): Type {
  return new Type(tag, {
    kind: 'scalar',
    resolve: (data: unknown, explicitTag?: string) =>
      typeof data === 'string' && (explicitTag !== undefined || regexp.test(data)),
    construct: (data: string) => construct(data),
  });
}

const nullType = new Type(TAG.null, {
  kind: 'scalar',
  resolve: (data: unknown, explicitTag?: string) =>
    data === null || (typeof data === 'string' && (explicitTag !== undefined || RESOLVER_REGEXPS.null.test(data))),
  construct: () => null,
});

const binaryType = new Type(TAG.binary, {
  kind: 'scalar',
  resolve: (data: unknown) => typeof data === 'string',
  construct: (data: string) => constructYamlBinary(data),
});

const mergeType = new Type(TAG.merge, {
  kind: 'scalar',
  resolve: (data: unknown) => typeof data === 'string' && RESOLVER_REGEXPS.merge.test(data),
});

function singlePairs(data: unknown): Array<[string, unknown]> {
  if (!Array.isArray(data)) throw new YamlParseError('expected a sequence of single-key mappings');
  return data.map((item) => {
    const keys = item !== null && typeof item === 'object' ? Object.keys(item) : [];
    if (keys.length !== 1) throw new YamlParseError('expected a mapping of length 1');
    return [keys[0], (item as Record<string, unknown>)[keys[0]]];
  });
}

const pairsConstruct = (data: unknown): YamlTuple[] => singlePairs(data).map(([k, v]) => new YamlTuple(k, v));

const omapType = new Type(TAG.omap, { kind: 'sequence', construct: pairsConstruct });
const pairsType = new Type(TAG.pairs, { kind: 'sequence', construct: pairsConstruct });
const setType = new Type(TAG.set, {
  kind: 'mapping',
  construct: (data: Record<string, unknown> | null) => new Set(Object.keys(data ?? {})),
});

/**
 * PyYAML's YAML 1.1 scalar resolution (`yaml.safe_load`) as a js-yaml
 * schema, for callers that use js-yaml's own `load`:
 * `yaml.load(text, { schema: PYYAML_SCHEMA, json: true })`.
 *
 * It resolves booleans (`yes`/`no`/`on`/`off`), ints (`0755`, `0b1`,
 * `0x1f`, `1_000`, `1:30`), floats (`1.5`, `.inf`, `1:30.5`, but not
 * `1e3`), null (`~`, empty), timestamps and `<<` exactly as PyYAML and
 * builds the same values as {@link parseYaml}. js-yaml's loader still
 * turns every mapping key into a string, throws on duplicate keys unless
 * `json: true`, and differs from PyYAML on a few syntax corners, so prefer
 * {@link parseYaml} where full parity matters.
 */
export const PYYAML_SCHEMA: Schema = FAILSAFE_SCHEMA.extend({
  // PyYAML's registration order, which decides ties such as `1:30` (int)
  implicit: [
    implicitScalar(TAG.bool, RESOLVER_REGEXPS.bool, constructYamlBool),
    implicitScalar(TAG.float, RESOLVER_REGEXPS.float, constructYamlFloat),
    implicitScalar(TAG.int, RESOLVER_REGEXPS.int, constructYamlInt),
    mergeType,
    nullType,
    implicitScalar(TAG.timestamp, RESOLVER_REGEXPS.timestamp, constructYamlTimestamp),
  ],
  explicit: [binaryType, omapType, pairsType, setType],
});
