/**
 * The YAML room's errors (PyYAML's error.py: `MarkedYAMLError`'s message
 * layout, `ReaderError`'s decoding failures) and the `Mark` a position is
 * given by. Imports nothing.
 *
 * PyYAML is Copyright (c) 2017-2021 Ingy döt Net and (c) 2006-2016 Kirill
 * Simonov, MIT License; this TypeScript port follows its structure and
 * rules, and is distributed under the same terms (see NOTICE).
 */

/** Base class of every error thrown by the YAML layer. */
export class YamlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'YamlError';
  }
}

/**
 * A document that PyYAML's `safe_load` would reject (syntax error, unknown
 * tag, invalid scalar for an explicit tag, ...). `line` and `column` are
 * 1-based and point at the problem when it has a position.
 */
export class YamlParseError extends YamlError {
  /** 1-based line of the problem, when known. */
  readonly line: number | undefined;
  /** 1-based column of the problem, when known. */
  readonly column: number | undefined;

  constructor(message: string, line?: number, column?: number) {
    super(message);
    this.name = 'YamlParseError';
    this.line = line;
    this.column = column;
  }
}

/**
 * A value that has no PyYAML representation (function, symbol, `undefined`
 * in an array, class instance, unsortable duplicate key, ...). `path` names
 * where it was found, e.g. `tasks[3].owner`; it is empty at the top level.
 */
export class YamlDumpError extends YamlError {
  /** Where in the data the value was found (`a.b[2]`), empty at the top. */
  readonly path: string;

  constructor(message: string, path: string) {
    super(message);
    this.name = 'YamlDumpError';
    this.path = path;
  }
}

/** The encodings PyYAML's reader accepts, named as Python names them. */
export type YamlEncoding = 'utf-8' | 'utf-16-le' | 'utf-16-be';

/**
 * Bytes that are not valid in the encoding their byte-order mark (or its
 * absence: UTF-8) names; PyYAML raises `ReaderError` with the same
 * character, reason and position. Nothing is replaced by U+FFFD: text
 * that cannot be decoded exactly is refused, so a read-modify-write can
 * never write back something other than what was there.
 */
export class YamlDecodeError extends YamlParseError {
  /** Always `'EYAMLDECODE'`. */
  readonly code = 'EYAMLDECODE' as const;
  /** Offset of the offending byte from the start of the input (BOM included), PyYAML's "position". */
  readonly position: number;
  /** The byte at `position` (0-255). */
  readonly byte: number;
  /** The encoding the input was decoded as. */
  readonly encoding: YamlEncoding;
  /** Python's reason: `invalid start byte`, `invalid continuation byte`, `unexpected end of data`, `truncated data`, `illegal encoding`, `illegal UTF-16 surrogate`. */
  readonly reason: string;

  constructor(encoding: YamlEncoding, position: number, byte: number, reason: string) {
    super(
      `unacceptable character #x${byte.toString(16).padStart(4, '0')}: ${reason} (${encoding}, position ${position}); ` +
        'the input is not valid UTF-8, nor UTF-16 with a byte-order mark: re-save it as UTF-8',
    );
    this.name = 'YamlDecodeError';
    this.position = position;
    this.byte = byte;
    this.encoding = encoding;
    this.reason = reason;
  }
}

/** A position in the input: `index` in code points, `line` and `column` 0-based. */
export interface Mark {
  readonly index: number;
  readonly line: number;
  readonly column: number;
}

/** PyYAML's MarkedYAMLError layout on one line: "context (at): problem (at)". */
export function markedError(context: string | null, contextMark: Mark | null, problem: string, problemMark: Mark | null): YamlParseError {
  const where = (m: Mark | null): string => (m ? ` (line ${m.line + 1}, column ${m.column + 1})` : '');
  // Like PyYAML, name the context's position only when it adds information.
  const sameSpot = contextMark !== null && problemMark !== null && contextMark.index === problemMark.index;
  const head = context ? `${context}${sameSpot ? '' : where(contextMark)}: ` : '';
  const mark = problemMark ?? contextMark;
  return new YamlParseError(`${head}${problem}${where(problemMark)}`, mark ? mark.line + 1 : undefined, mark ? mark.column + 1 : undefined);
}
