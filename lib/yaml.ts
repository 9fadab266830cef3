/**
 * YAML with PyYAML's meaning and PyYAML's bytes.
 *
 * A Node agent and a Python agent that rewrite the same file must agree on
 * what every scalar means (YAML 1.1: `yes` is true, `0755` is 493, `1:30`
 * is 90, `2026-02-06` is a date) and must write byte-identical text, or
 * every update by the "other" language becomes diff noise and, worse, a
 * silent type change. `parseYaml` reads as `yaml.safe_load` does and
 * `dumpYaml` writes what `yaml.dump(data, default_flow_style=False)` writes.
 *
 * Value mapping (Python <-> JS):
 *
 * | Python            | JS                                                   |
 * | ----------------- | ---------------------------------------------------- |
 * | `None`            | `null`                                               |
 * | `bool`            | `boolean`                                            |
 * | `int`             | `number` (safe integers), `bigint` beyond 2^53 - 1   |
 * | `float`           | `number`; {@link YamlFloat} when the value is integral |
 * | `str`             | `string`                                             |
 * | `bytes`           | `Buffer` (any `Uint8Array` is accepted when dumping) |
 * | `datetime.date`   | {@link YamlDate} (a `Date` at UTC midnight)          |
 * | `datetime.datetime` | {@link YamlDateTime}; a plain `Date` dumps as UTC  |
 * | `list`            | `Array`                                              |
 * | `tuple`           | {@link YamlTuple} (from `!!omap` / `!!pairs`)        |
 * | `set`             | `Set`                                                |
 * | `dict`            | plain object if all keys are strings, else `Map`     |
 *
 * The loader and dumper are ports of PyYAML itself (`./yaml-load`,
 * `./yaml-dump`). {@link PYYAML_SCHEMA} is the same scalar resolution
 * packaged for code that wants to stay on js-yaml's loader.
 */

import { FAILSAFE_SCHEMA, Schema, Type } from 'js-yaml';
import {
  RESOLVER_REGEXPS,
  TAG,
  YamlDate,
  YamlDateTime,
  YamlError,
  YamlFloat,
  YamlParseError,
  YamlTuple,
  constructYamlBinary,
  constructYamlBool,
  constructYamlFloat,
  constructYamlInt,
  constructYamlTimestamp,
  loadPyYaml,
} from './yaml-load';
import { YamlDumpError, dumpPyYaml } from './yaml-dump';

export { YamlDate, YamlDateTime, YamlError, YamlFloat, YamlParseError, YamlTuple, YamlDumpError };
export type { YamlDateTimeOptions } from './yaml-load';

/**
 * Parse one YAML document with the meaning PyYAML 6.0's `yaml.safe_load`
 * gives it (YAML 1.1 resolution, merge keys, duplicate keys keep the last
 * value, `!!binary`, `!!set`, `!!omap`, `!!pairs`, recursive aliases).
 * An empty document is `null`. See the module comment for the value types.
 *
 * @throws {YamlParseError} wherever `safe_load` raises (syntax errors,
 *   several documents, unknown or `!!python/*` tags, bad explicit scalars).
 */
export function parseYaml(text: string): unknown {
  return loadPyYaml(text);
}

/**
 * Serialize to exactly the text of PyYAML 6.0's
 * `yaml.dump(data, default_flow_style=False)`: sorted keys, 2-space indent,
 * sequences not indented under a key, PyYAML's plain / single / double
 * quote choice, non-ASCII escaped, folding at 80 columns, `...` after a
 * bare top-level plain scalar, `&id001` anchors for shared objects.
 *
 * An integral JS number is written as a Python int, a non-integral one as
 * a float; an object property whose value is `undefined` is omitted.
 *
 * @throws {YamlDumpError} naming the offending path for values Python has
 *   no equivalent for (functions, symbols, `undefined` in an array or at the
 *   top level, class instances, keys equal in Python such as `1` and `true`).
 */
export function dumpYaml(data: unknown): string {
  return dumpPyYaml(data);
}

// ---------------------------------------------------------------------------
// js-yaml schema
// ---------------------------------------------------------------------------

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
