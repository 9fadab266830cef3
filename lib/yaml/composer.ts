/**
 * Port of PyYAML's composer.py: events from the parser in, a node graph out
 * to the constructor, with anchors and aliases resolved and every plain
 * scalar tagged by the resolver. Imports ./parser, ./resolver and ./error.
 *
 * PyYAML is Copyright (c) 2017-2021 Ingy döt Net and (c) 2006-2016 Kirill
 * Simonov, MIT License; this TypeScript port follows its structure and
 * rules, and is distributed under the same terms (see NOTICE).
 */

import { markedError, type Mark } from './error';
import { Parser, type ParseEvent } from './parser';
import { TAG, scalarTag } from './resolver';

export interface ScalarNode {
  readonly kind: 'scalar';
  // Mutable because flatten_mapping retags '=' keys in place, as PyYAML does.
  tag: string;
  readonly value: string;
  readonly start: Mark;
  /** Only a node with an anchor can be reached twice (through an alias). */
  readonly anchored: boolean;
}

export interface SequenceNode {
  readonly kind: 'sequence';
  tag: string;
  readonly value: YamlNode[];
  readonly start: Mark;
  /** Only a node with an anchor can be reached twice (through an alias). */
  readonly anchored: boolean;
}

export interface MappingNode {
  readonly kind: 'mapping';
  tag: string;
  value: Array<[YamlNode, YamlNode]>;
  readonly start: Mark;
  /** Only a node with an anchor can be reached twice (through an alias). */
  readonly anchored: boolean;
}

export type YamlNode = ScalarNode | SequenceNode | MappingNode;

export class Composer {
  private readonly parser: Parser;
  private anchors = new Map<string, YamlNode>();

  constructor(text: string) {
    this.parser = new Parser(text);
  }

  getSingleNode(): YamlNode | null {
    this.parser.getEvent();
    let document: YamlNode | null = null;
    if (!this.parser.checkEvent('StreamEnd')) document = this.composeDocument();
    if (!this.parser.checkEvent('StreamEnd')) {
      const event = this.parser.getEvent();
      throw markedError('expected a single document in the stream', document ? document.start : null, 'but found another document', event.start);
    }
    this.parser.getEvent();
    return document;
  }

  private composeDocument(): YamlNode {
    this.parser.getEvent();
    const node = this.composeNode();
    this.parser.getEvent();
    this.anchors = new Map();
    return node;
  }

  private composeNode(): YamlNode {
    const next = this.parser.peekEvent();
    if (next.type === 'Alias') {
      const event = this.parser.getEvent() as Extract<ParseEvent, { type: 'Alias' }>;
      const node = this.anchors.get(event.anchor);
      if (!node) throw markedError(null, null, `found undefined alias '${event.anchor}'`, event.start);
      return node;
    }
    const event = next as Extract<ParseEvent, { anchor: string | null }>;
    const anchor = event.anchor;
    if (anchor !== null) {
      const previous = this.anchors.get(anchor);
      if (previous) {
        throw markedError(`found duplicate anchor '${anchor}'; first occurrence`, previous.start, 'second occurrence', event.start);
      }
    }
    if (next.type === 'Scalar') return this.composeScalarNode(anchor);
    if (next.type === 'SequenceStart') return this.composeSequenceNode(anchor);
    return this.composeMappingNode(anchor);
  }

  private composeScalarNode(anchor: string | null): ScalarNode {
    const event = this.parser.getEvent() as Extract<ParseEvent, { type: 'Scalar' }>;
    const tag = scalarTag(event.tag, event.implicit[0], event.value);
    const node: ScalarNode = { kind: 'scalar', tag, value: event.value, start: event.start, anchored: anchor !== null };
    if (anchor !== null) this.anchors.set(anchor, node);
    return node;
  }

  private composeSequenceNode(anchor: string | null): SequenceNode {
    const start = this.parser.getEvent() as Extract<ParseEvent, { flowStyle: boolean | null }>;
    let tag = start.tag;
    if (tag === null || tag === '!') tag = TAG.seq;
    const node: SequenceNode = { kind: 'sequence', tag, value: [], start: start.start, anchored: anchor !== null };
    if (anchor !== null) this.anchors.set(anchor, node);
    while (!this.parser.checkEvent('SequenceEnd')) node.value.push(this.composeNode());
    this.parser.getEvent();
    return node;
  }

  private composeMappingNode(anchor: string | null): MappingNode {
    const start = this.parser.getEvent() as Extract<ParseEvent, { flowStyle: boolean | null }>;
    let tag = start.tag;
    if (tag === null || tag === '!') tag = TAG.map;
    const node: MappingNode = { kind: 'mapping', tag, value: [], start: start.start, anchored: anchor !== null };
    if (anchor !== null) this.anchors.set(anchor, node);
    while (!this.parser.checkEvent('MappingEnd')) {
      const key = this.composeNode();
      const value = this.composeNode();
      node.value.push([key, value]);
    }
    this.parser.getEvent();
    return node;
  }
}
