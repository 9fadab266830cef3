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
 * | `float`           | `number`; {@link YamlFloat} when it is a safe integer |
 * | `str`             | `string`                                             |
 * | `bytes`           | `Buffer` (any `Uint8Array` is accepted when dumping) |
 * | `datetime.date`   | {@link YamlDate} (a `Date` at UTC midnight)          |
 * | `datetime.datetime` | {@link YamlDateTime}; a plain `Date` dumps as UTC  |
 * | `list`            | `Array`                                              |
 * | `tuple`           | {@link YamlTuple} (from `!!omap` / `!!pairs`)        |
 * | `set`             | `Set`                                                |
 * | `dict`            | plain object if all keys are strings, else `Map`     |
 *
 * The loader and dumper are ports of PyYAML itself, one file per PyYAML
 * module: reader -> scanner -> parser -> composer -> constructor when
 * loading, representer -> serializer -> emitter when dumping (resolver is
 * shared). One file is not PyYAML's: ./event-constructor builds values
 * straight from the parser's events for the documents that need no node
 * graph, and hands every other one (and every error) to the composer and
 * constructor. {@link PYYAML_SCHEMA} is the same scalar resolution packaged
 * for code that wants to stay on js-yaml's loader.
 *
 * This room imports nothing from the rest of lib/ (only node built-ins,
 * and js-yaml for PYYAML_SCHEMA).
 */

import { Composer } from './composer';
import { Constructor } from './constructor';
import { Emitter } from './emitter';
import { USE_FULL_PATH, constructFromEvents } from './event-constructor';
import { YamlDecodeError, YamlDumpError, YamlError, YamlParseError } from './error';
import { decodeText } from './reader';
import { Representer } from './representer';
import { serialize, type DumpEvent } from './serializer';
import { YamlDate, YamlDateTime, YamlFloat, YamlTuple } from './values';

export { YamlDate, YamlDateTime, YamlError, YamlFloat, YamlParseError, YamlTuple, YamlDumpError, YamlDecodeError, decodeText };
export type { YamlEncoding } from './error';
export type { YamlDateTimeOptions } from './values';
export { PYYAML_SCHEMA } from './js-yaml-schema';

/**
 * Parse one YAML document with the meaning PyYAML 6.0's `yaml.safe_load`
 * gives it (YAML 1.1 resolution, merge keys, duplicate keys keep the last
 * value, `!!binary`, `!!set`, `!!omap`, `!!pairs`, recursive aliases).
 * An empty document is `null`. See the module comment for the value types.
 *
 * `input` is text, or the file's bytes (a `Buffer` or any `Uint8Array`),
 * which are decoded as `yaml.safe_load(bytes)` decodes them: UTF-16 LE / BE
 * after their byte-order mark, otherwise UTF-8, strictly (see
 * {@link decodeText}).
 *
 * @throws {YamlParseError} wherever `safe_load` raises (syntax errors,
 *   several documents, unknown or `!!python/*` tags, bad explicit scalars);
 *   {@link YamlDecodeError}, a YamlParseError with `code` `'EYAMLDECODE'`,
 *   for bytes that do not decode.
 */
export function parseYaml(input: string | Uint8Array): unknown {
  let text: string;
  if (typeof input === 'string') text = input;
  else if (input instanceof Uint8Array) text = decodeText(input);
  else throw new TypeError(`parseYaml expects a string or a Uint8Array, got ${typeof input}`);
  // Most documents need no node graph; the rest, errors included, take the full path.
  const direct = constructFromEvents(text);
  if (direct !== USE_FULL_PATH) return direct;
  try {
    const node = new Composer(text).getSingleNode();
    return node === null ? null : new Constructor().constructDocument(node);
  } catch (err) {
    if (err instanceof RangeError && /call stack/i.test(err.message)) {
      throw new YamlParseError('document is nested too deeply');
    }
    throw err;
  }
}

/**
 * Serialize to exactly the text of PyYAML 6.0's
 * `yaml.dump(data, default_flow_style=False)`: sorted keys, 2-space indent,
 * sequences not indented under a key, PyYAML's plain / single / double
 * quote choice, non-ASCII escaped, folding at 80 columns, `...` after a
 * bare top-level plain scalar, `&id001` anchors for shared objects.
 *
 * A JS number that is a safe integer is written as a Python int; any
 * other number (fractional, beyond +/- (2^53 - 1), infinite, NaN) as a
 * float, the way Python's `repr(float)` writes it (`1.5e+300`,
 * `9007199254740992.0`). An object property whose value is `undefined` is
 * omitted.
 *
 * @throws {YamlDumpError} naming the offending path for values Python has
 *   no equivalent for (functions, symbols, `undefined` in an array or at the
 *   top level, class instances, keys equal in Python such as `1` and `true`).
 */
export function dumpYaml(data: unknown): string {
  let events: DumpEvent[];
  try {
    events = serialize(new Representer().representData(data));
  } catch (err) {
    if (err instanceof RangeError && /call stack/i.test(err.message)) {
      throw new YamlDumpError('data is nested too deeply to serialize', '');
    }
    throw err;
  }
  return new Emitter(events).run();
}
