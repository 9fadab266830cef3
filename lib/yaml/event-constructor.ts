/**
 * Values straight from the parser's events, with no node graph between: the
 * fast path of `parseYaml` for the documents agents write (one document,
 * plain mappings, sequences and scalars, anchors only on finished nodes).
 *
 * PyYAML composes the whole graph and then constructs it. On the bench's
 * 20 KB document (1,400 nodes) that took about a third of a parse, much of
 * it memory traffic (the graph is cold by the time the constructor reads it
 * back); building the values from the events made the whole parse 12 %
 * faster. For the documents this path takes, both ways
 * give the same value: it constructs with the same tag resolution and the
 * same scalar constructors (./constructor), in the same key order.
 *
 * Anything else makes it stop and hand the text to the full path
 * (./composer → ./constructor): merge keys (`<<`) and value keys (`=`),
 * `!!set`, `!!omap`, `!!pairs` and unknown tags, container keys, an alias
 * to a node that is not finished yet (recursive data), several documents,
 * and every error. Errors are thus always the full path's, in PyYAML's
 * order (composition before construction), at the cost of scanning a
 * broken document twice.
 */

import { NOT_A_SCALAR_TAG, isHashable, scalarValue, setOwn, setPythonPair } from './constructor';
import { Parser, type ParseEvent } from './parser';
import { TAG, scalarTag } from './resolver';

/** What {@link constructFromEvents} returns when the full path must parse the text. */
export const USE_FULL_PATH: unique symbol = Symbol('use the full path');

/** Thrown inside this module only: the document needs the full path. */
class NeedsFullPath extends Error {}
const STOP = new NeedsFullPath('needs the full path');

type ScalarEvent = Extract<ParseEvent, { type: 'Scalar' }>;

/** An anchor whose node is still being built: an alias to it is recursion. */
const IN_PROGRESS: unique symbol = Symbol('in progress');

/**
 * The value of the single document in `text`, or {@link USE_FULL_PATH}
 * where this path does not apply or the text has an error. @internal
 */
export function constructFromEvents(text: string): unknown {
  try {
    return new EventConstructor(text).document();
  } catch {
    return USE_FULL_PATH;
  }
}

class EventConstructor {
  private readonly parser: Parser;
  private readonly anchors = new Map<string, unknown>();
  // Keys and values of the mappings being built, nested ones above their
  // parents: one array for the whole document rather than one per mapping.
  private readonly pairs: unknown[] = [];
  private top = 0;

  constructor(text: string) {
    // No marks: an error here sends the text to the full path, which has them.
    this.parser = new Parser(text, false);
  }

  document(): unknown {
    const parser = this.parser;
    parser.getEvent();
    let data: unknown = null;
    if (!parser.checkEvent('StreamEnd')) {
      parser.getEvent();
      data = this.value();
      parser.getEvent();
      if (!parser.checkEvent('StreamEnd')) throw STOP;
    }
    parser.getEvent();
    return data;
  }

  private anchor(name: string | null, value: unknown): void {
    if (name !== null) this.anchors.set(name, value);
  }

  /** Claims an anchor for a node about to be built; a second use of a name is the full path's error. */
  private claim(name: string | null): void {
    if (name === null) return;
    if (this.anchors.has(name)) throw STOP;
    this.anchors.set(name, IN_PROGRESS);
  }

  private value(): unknown {
    const event = this.parser.getEvent();
    switch (event.type) {
      case 'Scalar':
        return this.scalar(event, scalarTag(event.tag, event.implicit[0], event.value));
      case 'Alias': {
        const value = this.anchors.get(event.anchor);
        if (value === undefined || value === IN_PROGRESS) throw STOP;
        return value;
      }
      case 'SequenceStart': {
        if (event.tag !== null && event.tag !== '!' && event.tag !== TAG.seq) throw STOP;
        this.claim(event.anchor);
        const data: unknown[] = [];
        while (!this.parser.checkEvent('SequenceEnd')) data.push(this.value());
        this.parser.getEvent();
        this.anchor(event.anchor, data);
        return data;
      }
      case 'MappingStart': {
        if (event.tag !== null && event.tag !== '!' && event.tag !== TAG.map) throw STOP;
        this.claim(event.anchor);
        const data = this.mapping();
        this.anchor(event.anchor, data);
        return data;
      }
      default:
        throw STOP;
    }
  }

  /** A mapping's pairs, then the object (every key a str scalar) or the Map (any other key) they make. */
  private mapping(): Record<string, unknown> | Map<unknown, unknown> {
    const base = this.top;
    let stringKeys = true;
    while (!this.parser.checkEvent('MappingEnd')) {
      const key = this.key();
      if (typeof key !== 'string') stringKeys = false;
      const value = this.value();
      // `top` is read again: the value may have used the stack above it.
      this.pairs[this.top++] = key;
      this.pairs[this.top++] = value;
    }
    this.parser.getEvent();
    const pairs = this.pairs;
    const end = this.top;
    this.top = base;
    if (stringKeys) {
      const data: Record<string, unknown> = {};
      for (let i = base; i < end; i += 2) setOwn(data, pairs[i] as string, pairs[i + 1]);
      return data;
    }
    const data = new Map<unknown, unknown>();
    const firstKeys = new Map<string, unknown>();
    for (let i = base; i < end; i += 2) setPythonPair(data, firstKeys, pairs[i], pairs[i + 1]);
    return data;
  }

  private scalar(event: ScalarEvent, tag: string): unknown {
    const value = scalarValue(tag, event.value);
    if (value === NOT_A_SCALAR_TAG) throw STOP;
    this.claim(event.anchor);
    this.anchor(event.anchor, value);
    return value;
  }

  /**
   * A mapping key: a string exactly when its node is tagged str (no other
   * tag constructs to a string). Merge and value keys, which the full path
   * flattens, container keys and unhashable keys stop here.
   */
  private key(): unknown {
    const next = this.parser.peekEvent();
    let key: unknown;
    if (next.type === 'Scalar') {
      const tag = scalarTag(next.tag, next.implicit[0], next.value);
      if (tag === TAG.merge || tag === TAG.value) throw STOP;
      key = this.scalar(this.parser.getEvent() as ScalarEvent, tag);
    } else if (next.type === 'Alias') {
      key = this.value();
    } else {
      throw STOP;
    }
    if (!isHashable(key)) throw STOP;
    return key;
  }
}
