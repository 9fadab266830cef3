/**
 * Port of PyYAML's serializer.py: the representer's node graph in, events
 * out to the emitter, with `&id001` anchors for nodes reached twice.
 * Imports ./representer (node shapes) and ./resolver.
 *
 * PyYAML is Copyright (c) 2017-2021 Ingy döt Net and (c) 2006-2016 Kirill
 * Simonov, MIT License; this TypeScript port follows its structure and
 * rules, and is distributed under the same terms (see NOTICE).
 */

import type { Node, Style } from './representer';
import { TAG, resolveImplicitTag } from './resolver';

export type { Style };

export type DumpEvent =
  | { type: 'StreamStart' | 'StreamEnd' | 'DocumentStart' | 'DocumentEnd' | 'SequenceEnd' | 'MappingEnd' }
  | { type: 'Alias'; anchor: string }
  | {
      type: 'Scalar';
      anchor: string | null;
      tag: string;
      implicit: readonly [boolean, boolean];
      value: string;
      style: Style | null;
    }
  | { type: 'SequenceStart' | 'MappingStart'; anchor: string | null; tag: string; implicit: boolean };

export type ScalarEvent = Extract<DumpEvent, { type: 'Scalar' }>;
export type CollectionStartEvent = Extract<DumpEvent, { type: 'SequenceStart' | 'MappingStart' }>;

export function serialize(root: Node): DumpEvent[] {
  let lastAnchorId = 0;
  // Iterative, because a long list nested inside itself must not exhaust
  // the stack; the visiting order is PyYAML's (key before value).
  const anchorStack: Node[] = [root];
  while (anchorStack.length) {
    const node = anchorStack.pop() as Node;
    if (node.anchor !== undefined) {
      if (node.anchor === null) node.anchor = `id${String(++lastAnchorId).padStart(3, '0')}`;
      continue;
    }
    node.anchor = null;
    if (node.kind === 'sequence') {
      for (let i = node.value.length - 1; i >= 0; i--) anchorStack.push(node.value[i]);
    } else if (node.kind === 'mapping') {
      for (let i = node.value.length - 1; i >= 0; i--) {
        anchorStack.push(node.value[i][1]);
        anchorStack.push(node.value[i][0]);
      }
    }
  }

  const events: DumpEvent[] = [{ type: 'StreamStart' }, { type: 'DocumentStart' }];
  const visit = (node: Node): void => {
    const alias = node.anchor ?? null;
    if (node.serialized) {
      events.push({ type: 'Alias', anchor: alias as string });
      return;
    }
    node.serialized = true;
    if (node.kind === 'scalar') {
      const implicit: [boolean, boolean] = [node.tag === resolveImplicitTag(node.value), node.tag === TAG.str];
      events.push({ type: 'Scalar', anchor: alias, tag: node.tag, implicit, value: node.value, style: node.style });
    } else if (node.kind === 'sequence') {
      events.push({ type: 'SequenceStart', anchor: alias, tag: node.tag, implicit: node.tag === TAG.seq });
      for (const item of node.value) visit(item);
      events.push({ type: 'SequenceEnd' });
    } else {
      events.push({ type: 'MappingStart', anchor: alias, tag: node.tag, implicit: node.tag === TAG.map });
      for (const [key, value] of node.value) {
        visit(key);
        visit(value);
      }
      events.push({ type: 'MappingEnd' });
    }
  };
  visit(root);
  events.push({ type: 'DocumentEnd' }, { type: 'StreamEnd' });
  return events;
}
