/**
 * Port of PyYAML's parser.py: tokens from the scanner in, events out to the
 * composer, one state method per PyYAML state. Imports ./scanner and
 * ./error only.
 *
 * PyYAML is Copyright (c) 2017-2021 Ingy döt Net and (c) 2006-2016 Kirill
 * Simonov, MIT License; this TypeScript port follows its structure and
 * rules, and is distributed under the same terms (see NOTICE).
 */

import { markedError, type Mark } from './error';
import { Scanner, type ScalarStyle, type Token } from './scanner';

export type ParseEvent =
  | { type: 'StreamStart' | 'StreamEnd'; start: Mark; end: Mark }
  | { type: 'DocumentStart'; start: Mark; end: Mark; explicit: boolean }
  | { type: 'DocumentEnd'; start: Mark; end: Mark; explicit: boolean }
  | { type: 'Alias'; start: Mark; end: Mark; anchor: string }
  | {
      type: 'Scalar';
      start: Mark;
      end: Mark;
      anchor: string | null;
      tag: string | null;
      implicit: readonly [boolean, boolean];
      value: string;
      style: ScalarStyle | null;
    }
  | {
      type: 'SequenceStart' | 'MappingStart';
      start: Mark;
      end: Mark;
      anchor: string | null;
      tag: string | null;
      implicit: boolean;
      flowStyle: boolean | null;
    }
  | { type: 'SequenceEnd' | 'MappingEnd'; start: Mark; end: Mark };

export type ParseEventType = ParseEvent['type'];
type State = () => ParseEvent;

// Every event has every field, so the composer's reads see one object shape.
function event(
  type: ParseEventType,
  start: Mark,
  end: Mark,
  anchor: string | null = null,
  tag: string | null = null,
  implicit: boolean | readonly [boolean, boolean] = false,
  value = '',
  style: ScalarStyle | null = null,
  flowStyle: boolean | null = null,
  explicit = false,
): ParseEvent {
  return { type, start, end, anchor, tag, implicit, value, style, flowStyle, explicit } as unknown as ParseEvent;
}

// Shared: events are never changed after they are made.
const PLAIN_IMPLICIT = [true, false] as const;
const QUOTED_IMPLICIT = [false, true] as const;
const EXPLICIT = [false, false] as const;

const DEFAULT_TAG_HANDLES: Readonly<Record<string, string>> = { '!': '!', '!!': 'tag:yaml.org,2002:' };

export class Parser {
  private readonly scanner: Scanner;
  private currentEvent: ParseEvent | null = null;
  private tagHandles: Record<string, string> = {};
  private states: State[] = [];
  private marks: Mark[] = [];
  private state: State | null;

  /** `marks: false`: every event carries the same placeholder marks (see the Reader constructor). */
  constructor(text: string, marks = true) {
    this.scanner = new Scanner(text, marks);
    this.state = this.parseStreamStart;
  }

  /** Whether there is a next event and, when types are given, it has one of them. */
  checkEvent(a?: ParseEventType, b?: ParseEventType): boolean {
    if (this.currentEvent === null && this.state) this.currentEvent = this.state();
    if (this.currentEvent !== null) {
      if (a === undefined) return true;
      const type = this.currentEvent.type;
      return type === a || type === b;
    }
    return false;
  }

  peekEvent(): ParseEvent {
    if (this.currentEvent === null && this.state) this.currentEvent = this.state();
    return this.currentEvent as ParseEvent;
  }

  getEvent(): ParseEvent {
    if (this.currentEvent === null && this.state) this.currentEvent = this.state();
    const value = this.currentEvent as ParseEvent;
    this.currentEvent = null;
    return value;
  }

  private token(): Token {
    return this.scanner.peekToken() as Token;
  }

  private take(): Token {
    return this.scanner.getToken() as Token;
  }

  private popState(): State {
    return this.states.pop() as State;
  }

  private readonly parseStreamStart = (): ParseEvent => {
    const token = this.take();
    this.state = this.parseImplicitDocumentStart;
    return event('StreamStart', token.start, token.end);
  };

  private readonly parseImplicitDocumentStart = (): ParseEvent => {
    if (!this.scanner.checkToken('<directive>', '<document start>', '<stream end>')) {
      this.tagHandles = { ...DEFAULT_TAG_HANDLES };
      const mark = this.token().start;
      this.states.push(this.parseDocumentEnd);
      this.state = this.parseBlockNode;
      return event('DocumentStart', mark, mark);
    }
    return this.parseDocumentStart();
  };

  private readonly parseDocumentStart = (): ParseEvent => {
    while (this.scanner.checkToken('<document end>')) this.take();
    if (!this.scanner.checkToken('<stream end>')) {
      const start = this.token().start;
      this.processDirectives();
      if (!this.scanner.checkToken('<document start>')) {
        throw markedError(null, null, `expected '<document start>', but found '${this.token().type}'`, this.token().start);
      }
      const token = this.take();
      this.states.push(this.parseDocumentEnd);
      this.state = this.parseDocumentContent;
      return event('DocumentStart', start, token.end, null, null, false, '', null, null, true);
    }
    const token = this.take();
    this.state = null;
    return event('StreamEnd', token.start, token.end);
  };

  private readonly parseDocumentEnd = (): ParseEvent => {
    let token = this.token();
    const start = token.start;
    let end = start;
    let explicit = false;
    if (this.scanner.checkToken('<document end>')) {
      token = this.take();
      end = token.end;
      explicit = true;
    }
    this.state = this.parseDocumentStart;
    return event('DocumentEnd', start, end, null, null, false, '', null, null, explicit);
  };

  private readonly parseDocumentContent = (): ParseEvent => {
    if (this.scanner.checkToken('<directive>', '<document start>', '<document end>', '<stream end>')) {
      const event = this.processEmptyScalar(this.token().start);
      this.state = this.popState();
      return event;
    }
    return this.parseBlockNode();
  };

  private processDirectives(): void {
    let version: readonly [number, number] | null = null;
    this.tagHandles = {};
    while (this.scanner.checkToken('<directive>')) {
      const token = this.take();
      if (token.name === 'YAML') {
        if (version !== null) throw markedError(null, null, 'found duplicate YAML directive', token.start);
        const v = token.version as readonly [number, number];
        if (v[0] !== 1) {
          throw markedError(null, null, 'found incompatible YAML document (version 1.* is required)', token.start);
        }
        version = v;
      } else if (token.name === 'TAG') {
        const [handle, prefix] = token.tagDirective as readonly [string, string];
        if (Object.prototype.hasOwnProperty.call(this.tagHandles, handle)) {
          throw markedError(null, null, `duplicate tag handle '${handle}'`, token.start);
        }
        this.tagHandles[handle] = prefix;
      }
    }
    for (const key of Object.keys(DEFAULT_TAG_HANDLES)) {
      if (!Object.prototype.hasOwnProperty.call(this.tagHandles, key)) this.tagHandles[key] = DEFAULT_TAG_HANDLES[key];
    }
  }

  private readonly parseBlockNode = (): ParseEvent => this.parseNode(true, false);
  private readonly parseFlowNode = (): ParseEvent => this.parseNode(false, false);
  private readonly parseBlockNodeOrIndentlessSequence = (): ParseEvent => this.parseNode(true, true);

  private parseNode(block: boolean, indentlessSequence: boolean): ParseEvent {
    // Each checkToken of PyYAML's parse_node looks at the same next token
    // until one is taken, so the token is peeked once per position.
    let next = this.token();
    if (next.type === '<alias>') {
      const token = this.take();
      this.state = this.popState();
      return event('Alias', token.start, token.end, token.value as string);
    }
    let anchor: string | null = null;
    let tagPair: readonly [string | null, string] | null = null;
    let start: Mark | null = null;
    let end: Mark | null = null;
    let tagMark: Mark | null = null;
    if (next.type === '<anchor>') {
      const token = this.take();
      start = token.start;
      end = token.end;
      anchor = token.value as string;
      next = this.token();
      if (next.type === '<tag>') {
        const tagToken = this.take();
        tagMark = tagToken.start;
        end = tagToken.end;
        tagPair = tagToken.tag as readonly [string | null, string];
      }
    } else if (next.type === '<tag>') {
      const token = this.take();
      start = tagMark = token.start;
      end = token.end;
      tagPair = token.tag as readonly [string | null, string];
      next = this.token();
      if (next.type === '<anchor>') {
        const anchorToken = this.take();
        end = anchorToken.end;
        anchor = anchorToken.value as string;
      }
    }
    let tag: string | null = null;
    if (tagPair !== null) {
      const [handle, suffix] = tagPair;
      if (handle !== null) {
        if (!Object.prototype.hasOwnProperty.call(this.tagHandles, handle)) {
          throw markedError('while parsing a node', start, `found undefined tag handle '${handle}'`, tagMark);
        }
        tag = this.tagHandles[handle] + suffix;
      } else {
        tag = suffix;
      }
    }
    next = this.token();
    if (start === null) start = end = next.start;
    const implicit = tag === null || tag === '!';
    if (indentlessSequence && next.type === '-') {
      end = next.end;
      this.state = this.parseIndentlessSequenceEntry;
      return event('SequenceStart', start, end as Mark, anchor, tag, implicit);
    }
    if (next.type === '<scalar>') {
      const token = this.take();
      let scalarImplicit: readonly [boolean, boolean];
      if ((token.plain && tag === null) || tag === '!') scalarImplicit = PLAIN_IMPLICIT;
      else if (tag === null) scalarImplicit = QUOTED_IMPLICIT;
      else scalarImplicit = EXPLICIT;
      this.state = this.popState();
      return event('Scalar', start, token.end, anchor, tag, scalarImplicit, token.value as string, token.style ?? null);
    }
    if (next.type === '[') {
      this.state = this.parseFlowSequenceFirstEntry;
      return event('SequenceStart', start, next.end, anchor, tag, implicit, '', null, true);
    }
    if (next.type === '{') {
      this.state = this.parseFlowMappingFirstKey;
      return event('MappingStart', start, next.end, anchor, tag, implicit, '', null, true);
    }
    if (block && next.type === '<block sequence start>') {
      this.state = this.parseBlockSequenceFirstEntry;
      return event('SequenceStart', start, next.start, anchor, tag, implicit, '', null, false);
    }
    if (block && next.type === '<block mapping start>') {
      this.state = this.parseBlockMappingFirstKey;
      return event('MappingStart', start, next.start, anchor, tag, implicit, '', null, false);
    }
    if (anchor !== null || tag !== null) {
      this.state = this.popState();
      return event('Scalar', start, end as Mark, anchor, tag, [implicit, false]);
    }
    const token = this.token();
    throw markedError(
      `while parsing a ${block ? 'block' : 'flow'} node`,
      start,
      `expected the node content, but found '${token.type}'`,
      token.start,
    );
  }

  private readonly parseBlockSequenceFirstEntry = (): ParseEvent => {
    this.marks.push(this.take().start);
    return this.parseBlockSequenceEntry();
  };

  private readonly parseBlockSequenceEntry = (): ParseEvent => {
    if (this.scanner.checkToken('-')) {
      const token = this.take();
      if (!this.scanner.checkToken('-', '<block end>')) {
        this.states.push(this.parseBlockSequenceEntry);
        return this.parseBlockNode();
      }
      this.state = this.parseBlockSequenceEntry;
      return this.processEmptyScalar(token.end);
    }
    if (!this.scanner.checkToken('<block end>')) {
      const token = this.token();
      throw markedError('while parsing a block collection', this.marks[this.marks.length - 1], `expected <block end>, but found '${token.type}'`, token.start);
    }
    const token = this.take();
    this.state = this.popState();
    this.marks.pop();
    return event('SequenceEnd', token.start, token.end);
  };

  private readonly parseIndentlessSequenceEntry = (): ParseEvent => {
    if (this.scanner.checkToken('-')) {
      const token = this.take();
      if (!this.scanner.checkToken('-', '?', ':', '<block end>')) {
        this.states.push(this.parseIndentlessSequenceEntry);
        return this.parseBlockNode();
      }
      this.state = this.parseIndentlessSequenceEntry;
      return this.processEmptyScalar(token.end);
    }
    const token = this.token();
    this.state = this.popState();
    return event('SequenceEnd', token.start, token.start);
  };

  private readonly parseBlockMappingFirstKey = (): ParseEvent => {
    this.marks.push(this.take().start);
    return this.parseBlockMappingKey();
  };

  private readonly parseBlockMappingKey = (): ParseEvent => {
    if (this.scanner.checkToken('?')) {
      const token = this.take();
      if (!this.scanner.checkToken('?', ':', '<block end>')) {
        this.states.push(this.parseBlockMappingValue);
        return this.parseBlockNodeOrIndentlessSequence();
      }
      this.state = this.parseBlockMappingValue;
      return this.processEmptyScalar(token.end);
    }
    if (!this.scanner.checkToken('<block end>')) {
      const token = this.token();
      throw markedError('while parsing a block mapping', this.marks[this.marks.length - 1], `expected <block end>, but found '${token.type}'`, token.start);
    }
    const token = this.take();
    this.state = this.popState();
    this.marks.pop();
    return event('MappingEnd', token.start, token.end);
  };

  private readonly parseBlockMappingValue = (): ParseEvent => {
    if (this.scanner.checkToken(':')) {
      const token = this.take();
      if (!this.scanner.checkToken('?', ':', '<block end>')) {
        this.states.push(this.parseBlockMappingKey);
        return this.parseBlockNodeOrIndentlessSequence();
      }
      this.state = this.parseBlockMappingKey;
      return this.processEmptyScalar(token.end);
    }
    this.state = this.parseBlockMappingKey;
    return this.processEmptyScalar(this.token().start);
  };

  private readonly parseFlowSequenceFirstEntry = (): ParseEvent => {
    this.marks.push(this.take().start);
    return this.parseFlowSequenceEntry(true);
  };

  private readonly parseFlowSequenceEntryState = (): ParseEvent => this.parseFlowSequenceEntry(false);

  private parseFlowSequenceEntry(first: boolean): ParseEvent {
    if (!this.scanner.checkToken(']')) {
      if (!first) {
        if (this.scanner.checkToken(',')) {
          this.take();
        } else {
          const token = this.token();
          throw markedError('while parsing a flow sequence', this.marks[this.marks.length - 1], `expected ',' or ']', but got '${token.type}'`, token.start);
        }
      }
      if (this.scanner.checkToken('?')) {
        const token = this.token();
        this.state = this.parseFlowSequenceEntryMappingKey;
        return event('MappingStart', token.start, token.end, null, null, true, '', null, true);
      } else if (!this.scanner.checkToken(']')) {
        this.states.push(this.parseFlowSequenceEntryState);
        return this.parseFlowNode();
      }
    }
    const token = this.take();
    this.state = this.popState();
    this.marks.pop();
    return event('SequenceEnd', token.start, token.end);
  }

  private readonly parseFlowSequenceEntryMappingKey = (): ParseEvent => {
    const token = this.take();
    if (!this.scanner.checkToken(':', ',', ']')) {
      this.states.push(this.parseFlowSequenceEntryMappingValue);
      return this.parseFlowNode();
    }
    this.state = this.parseFlowSequenceEntryMappingValue;
    return this.processEmptyScalar(token.end);
  };

  private readonly parseFlowSequenceEntryMappingValue = (): ParseEvent => {
    if (this.scanner.checkToken(':')) {
      const token = this.take();
      if (!this.scanner.checkToken(',', ']')) {
        this.states.push(this.parseFlowSequenceEntryMappingEnd);
        return this.parseFlowNode();
      }
      this.state = this.parseFlowSequenceEntryMappingEnd;
      return this.processEmptyScalar(token.end);
    }
    this.state = this.parseFlowSequenceEntryMappingEnd;
    return this.processEmptyScalar(this.token().start);
  };

  private readonly parseFlowSequenceEntryMappingEnd = (): ParseEvent => {
    this.state = this.parseFlowSequenceEntryState;
    const mark = this.token().start;
    return event('MappingEnd', mark, mark);
  };

  private readonly parseFlowMappingFirstKey = (): ParseEvent => {
    this.marks.push(this.take().start);
    return this.parseFlowMappingKey(true);
  };

  private readonly parseFlowMappingKeyState = (): ParseEvent => this.parseFlowMappingKey(false);

  private parseFlowMappingKey(first: boolean): ParseEvent {
    if (!this.scanner.checkToken('}')) {
      if (!first) {
        if (this.scanner.checkToken(',')) {
          this.take();
        } else {
          const token = this.token();
          throw markedError('while parsing a flow mapping', this.marks[this.marks.length - 1], `expected ',' or '}', but got '${token.type}'`, token.start);
        }
      }
      if (this.scanner.checkToken('?')) {
        const token = this.take();
        if (!this.scanner.checkToken(':', ',', '}')) {
          this.states.push(this.parseFlowMappingValue);
          return this.parseFlowNode();
        }
        this.state = this.parseFlowMappingValue;
        return this.processEmptyScalar(token.end);
      } else if (!this.scanner.checkToken('}')) {
        this.states.push(this.parseFlowMappingEmptyValue);
        return this.parseFlowNode();
      }
    }
    const token = this.take();
    this.state = this.popState();
    this.marks.pop();
    return event('MappingEnd', token.start, token.end);
  }

  private readonly parseFlowMappingValue = (): ParseEvent => {
    if (this.scanner.checkToken(':')) {
      const token = this.take();
      if (!this.scanner.checkToken(',', '}')) {
        this.states.push(this.parseFlowMappingKeyState);
        return this.parseFlowNode();
      }
      this.state = this.parseFlowMappingKeyState;
      return this.processEmptyScalar(token.end);
    }
    this.state = this.parseFlowMappingKeyState;
    return this.processEmptyScalar(this.token().start);
  };

  private readonly parseFlowMappingEmptyValue = (): ParseEvent => {
    this.state = this.parseFlowMappingKeyState;
    return this.processEmptyScalar(this.token().start);
  };

  private processEmptyScalar(mark: Mark): ParseEvent {
    return event('Scalar', mark, mark, null, null, PLAIN_IMPLICIT);
  }
}
