/**
 * Port of PyYAML's emitter.py with yaml.dump's settings (no canonical form,
 * indent 2, width 80, allow_unicode off, '\n' line breaks, block
 * collections): events from the serializer in, text out. Imports ./serializer (event shapes),
 * ./emitter-analysis and ./error.
 *
 * PyYAML is Copyright (c) 2017-2021 Ingy döt Net and (c) 2006-2016 Kirill
 * Simonov, MIT License; this TypeScript port follows its structure and
 * rules, and is distributed under the same terms (see NOTICE).
 */

import { YamlDumpError } from './error';
import type { CollectionStartEvent, DumpEvent, ScalarEvent, Style } from './serializer';
import { LINE_BREAK_CHARS, analyzeScalar, cp, prepareTag, span, type CodePoints, type ScalarAnalysis } from './emitter-analysis';

const BEST_INDENT = 2;
const BEST_WIDTH = 80;

const DQ_ESCAPES: Readonly<Record<string, string>> = {
  '\0': '0',
  '\x07': 'a',
  '\x08': 'b',
  '\x09': 't',
  '\x0A': 'n',
  '\x0B': 'v',
  '\x0C': 'f',
  '\x0D': 'r',
  '\x1B': 'e',
  '"': '"',
  '\\': '\\',
  '\x85': 'N',
  '\xA0': '_',
  '\u2028': 'L',
  '\u2029': 'P',
};

type EmitterState = () => void;

export class Emitter {
  private readonly out: string[] = [];
  private readonly events: DumpEvent[];
  private eventIndex = 0;
  private event: DumpEvent | null = null;

  private states: EmitterState[] = [];
  private state: EmitterState;
  private readonly indents: Array<number | null> = [];
  private indent: number | null = null;
  private flowLevel = 0;

  private rootContext = false;
  private sequenceContext = false;
  private mappingContext = false;
  private simpleKeyContext = false;

  private column = 0;
  private whitespace = true;
  private indention = true;
  private openEnded = false;

  private preparedAnchor: string | null = null;
  private preparedTag: string | null = null;
  private analysis: ScalarAnalysis | null = null;
  private style: Style | null = null;

  constructor(events: DumpEvent[]) {
    this.events = events;
    this.state = this.expectStreamStart;
  }

  run(): string {
    while (this.eventIndex < this.events.length) {
      this.event = this.events[this.eventIndex++];
      this.state();
      this.event = null;
    }
    return this.out.join('');
  }

  /** `self.events[0]` in PyYAML: the event after the current one. */
  private nextEvent(): DumpEvent | undefined {
    return this.events[this.eventIndex];
  }

  private ev<T extends DumpEvent['type']>(): Extract<DumpEvent, { type: T }> {
    return this.event as Extract<DumpEvent, { type: T }>;
  }

  private increaseIndent(flow = false, indentless = false): void {
    this.indents.push(this.indent);
    if (this.indent === null) {
      this.indent = flow ? BEST_INDENT : 0;
    } else if (!indentless) {
      this.indent += BEST_INDENT;
    }
  }

  private popIndent(): void {
    this.indent = this.indents.pop() as number | null;
  }

  private popState(): void {
    this.state = this.states.pop() as EmitterState;
  }

  // -- stream and document --

  private readonly expectStreamStart = (): void => {
    this.state = this.expectFirstDocumentStart;
  };

  private readonly expectNothing = (): void => {
    throw new YamlDumpError(`expected nothing, but got ${this.event?.type}`, '');
  };

  private readonly expectFirstDocumentStart = (): void => this.expectDocumentStart(true);
  private readonly expectDocumentStartState = (): void => this.expectDocumentStart(false);

  private expectDocumentStart(first: boolean): void {
    if (this.event?.type === 'DocumentStart') {
      // check_empty_document is always false here: the representer gives
      // every scalar a tag.
      if (!first) {
        this.writeIndent();
        this.writeIndicator('---', true);
      }
      this.state = this.expectDocumentRoot;
    } else if (this.event?.type === 'StreamEnd') {
      if (this.openEnded) {
        this.writeIndicator('...', true);
        this.writeIndent();
      }
      this.state = this.expectNothing;
    }
  }

  private readonly expectDocumentEnd = (): void => {
    this.writeIndent();
    this.state = this.expectDocumentStartState;
  };

  private readonly expectDocumentRoot = (): void => {
    this.states.push(this.expectDocumentEnd);
    this.expectNode(true, false, false, false);
  };

  // -- nodes --

  private expectNode(root: boolean, sequence: boolean, mapping: boolean, simpleKey: boolean): void {
    this.rootContext = root;
    this.sequenceContext = sequence;
    this.mappingContext = mapping;
    this.simpleKeyContext = simpleKey;
    const event = this.event as DumpEvent;
    if (event.type === 'Alias') {
      this.expectAlias();
    } else if (event.type === 'Scalar' || event.type === 'SequenceStart' || event.type === 'MappingStart') {
      this.processAnchor('&');
      this.processTag();
      if (event.type === 'Scalar') {
        this.expectScalar();
      } else if (event.type === 'SequenceStart') {
        if (this.flowLevel || this.checkEmptySequence()) this.expectFlowSequence();
        else this.expectBlockSequence();
      } else {
        if (this.flowLevel || this.checkEmptyMapping()) this.expectFlowMapping();
        else this.expectBlockMapping();
      }
    } else {
      throw new YamlDumpError(`expected NodeEvent, but got ${event.type}`, '');
    }
  }

  private expectAlias(): void {
    this.processAnchor('*');
    this.popState();
  }

  private expectScalar(): void {
    this.increaseIndent(true);
    this.processScalar();
    this.popIndent();
    this.popState();
  }

  // -- flow collections (only ever empty with default_flow_style=False) --

  private expectFlowSequence(): void {
    this.writeIndicator('[', true, true);
    this.flowLevel++;
    this.increaseIndent(true);
    this.state = this.expectFirstFlowSequenceItem;
  }

  private readonly expectFirstFlowSequenceItem = (): void => {
    if (this.event?.type === 'SequenceEnd') {
      this.popIndent();
      this.flowLevel--;
      this.writeIndicator(']', false);
      this.popState();
    } else {
      if (this.column > BEST_WIDTH) this.writeIndent();
      this.states.push(this.expectFlowSequenceItem);
      this.expectNode(false, true, false, false);
    }
  };

  private readonly expectFlowSequenceItem = (): void => {
    if (this.event?.type === 'SequenceEnd') {
      this.popIndent();
      this.flowLevel--;
      this.writeIndicator(']', false);
      this.popState();
    } else {
      this.writeIndicator(',', false);
      if (this.column > BEST_WIDTH) this.writeIndent();
      this.states.push(this.expectFlowSequenceItem);
      this.expectNode(false, true, false, false);
    }
  };

  private expectFlowMapping(): void {
    this.writeIndicator('{', true, true);
    this.flowLevel++;
    this.increaseIndent(true);
    this.state = this.expectFirstFlowMappingKey;
  }

  private readonly expectFirstFlowMappingKey = (): void => {
    if (this.event?.type === 'MappingEnd') {
      this.popIndent();
      this.flowLevel--;
      this.writeIndicator('}', false);
      this.popState();
    } else {
      if (this.column > BEST_WIDTH) this.writeIndent();
      this.flowMappingKey();
    }
  };

  private readonly expectFlowMappingKey = (): void => {
    if (this.event?.type === 'MappingEnd') {
      this.popIndent();
      this.flowLevel--;
      this.writeIndicator('}', false);
      this.popState();
    } else {
      this.writeIndicator(',', false);
      if (this.column > BEST_WIDTH) this.writeIndent();
      this.flowMappingKey();
    }
  };

  private flowMappingKey(): void {
    if (this.checkSimpleKey()) {
      this.states.push(this.expectFlowMappingSimpleValue);
      this.expectNode(false, false, true, true);
    } else {
      this.writeIndicator('?', true);
      this.states.push(this.expectFlowMappingValue);
      this.expectNode(false, false, true, false);
    }
  }

  private readonly expectFlowMappingSimpleValue = (): void => {
    this.writeIndicator(':', false);
    this.states.push(this.expectFlowMappingKey);
    this.expectNode(false, false, true, false);
  };

  private readonly expectFlowMappingValue = (): void => {
    if (this.column > BEST_WIDTH) this.writeIndent();
    this.writeIndicator(':', true);
    this.states.push(this.expectFlowMappingKey);
    this.expectNode(false, false, true, false);
  };

  // -- block collections --

  private expectBlockSequence(): void {
    // "key:\n- item": a sequence under a mapping key is not indented.
    const indentless = this.mappingContext && !this.indention;
    this.increaseIndent(false, indentless);
    this.state = this.expectFirstBlockSequenceItem;
  }

  private readonly expectFirstBlockSequenceItem = (): void => this.expectBlockSequenceItem(true);
  private readonly expectBlockSequenceItemState = (): void => this.expectBlockSequenceItem(false);

  private expectBlockSequenceItem(first: boolean): void {
    if (!first && this.event?.type === 'SequenceEnd') {
      this.popIndent();
      this.popState();
    } else {
      this.writeIndent();
      this.writeIndicator('-', true, false, true);
      this.states.push(this.expectBlockSequenceItemState);
      this.expectNode(false, true, false, false);
    }
  }

  private expectBlockMapping(): void {
    this.increaseIndent(false);
    this.state = this.expectFirstBlockMappingKey;
  }

  private readonly expectFirstBlockMappingKey = (): void => this.expectBlockMappingKey(true);
  private readonly expectBlockMappingKeyState = (): void => this.expectBlockMappingKey(false);

  private expectBlockMappingKey(first: boolean): void {
    if (!first && this.event?.type === 'MappingEnd') {
      this.popIndent();
      this.popState();
    } else {
      this.writeIndent();
      if (this.checkSimpleKey()) {
        this.states.push(this.expectBlockMappingSimpleValue);
        this.expectNode(false, false, true, true);
      } else {
        this.writeIndicator('?', true, false, true);
        this.states.push(this.expectBlockMappingValue);
        this.expectNode(false, false, true, false);
      }
    }
  }

  private readonly expectBlockMappingSimpleValue = (): void => {
    this.writeIndicator(':', false);
    this.states.push(this.expectBlockMappingKeyState);
    this.expectNode(false, false, true, false);
  };

  private readonly expectBlockMappingValue = (): void => {
    this.writeIndent();
    this.writeIndicator(':', true, false, true);
    this.states.push(this.expectBlockMappingKeyState);
    this.expectNode(false, false, true, false);
  };

  // -- checkers --

  private checkEmptySequence(): boolean {
    return this.event?.type === 'SequenceStart' && this.nextEvent()?.type === 'SequenceEnd';
  }

  private checkEmptyMapping(): boolean {
    return this.event?.type === 'MappingStart' && this.nextEvent()?.type === 'MappingEnd';
  }

  private checkSimpleKey(): boolean {
    const event = this.event as DumpEvent;
    let length = 0;
    if ('anchor' in event && event.anchor !== null) {
      if (this.preparedAnchor === null) this.preparedAnchor = event.anchor;
      length += this.preparedAnchor.length;
    }
    if ((event.type === 'Scalar' || event.type === 'SequenceStart' || event.type === 'MappingStart') && event.tag !== null) {
      if (this.preparedTag === null) this.preparedTag = prepareTag(event.tag);
      length += this.preparedTag.length;
    }
    if (event.type === 'Scalar') {
      if (this.analysis === null) this.analysis = analyzeScalar(event.value);
      length += this.analysis.scalar.length;
    }
    return (
      length < 128 &&
      (event.type === 'Alias' ||
        (event.type === 'Scalar' && !(this.analysis as ScalarAnalysis).empty && !(this.analysis as ScalarAnalysis).multiline) ||
        this.checkEmptySequence() ||
        this.checkEmptyMapping())
    );
  }

  // -- anchor, tag, scalar processors --

  private processAnchor(indicator: string): void {
    const event = this.event as DumpEvent;
    const anchor = 'anchor' in event ? event.anchor : null;
    if (anchor === null) {
      this.preparedAnchor = null;
      return;
    }
    if (this.preparedAnchor === null) this.preparedAnchor = anchor;
    if (this.preparedAnchor) this.writeIndicator(indicator + this.preparedAnchor, true);
    this.preparedAnchor = null;
  }

  private processTag(): void {
    const event = this.event as ScalarEvent | CollectionStartEvent;
    const tag = event.tag;
    if (event.type === 'Scalar') {
      if (this.style === null) this.style = this.chooseScalarStyle();
      if ((this.style === '' && event.implicit[0]) || (this.style !== '' && event.implicit[1])) {
        this.preparedTag = null;
        return;
      }
    } else if (event.implicit) {
      this.preparedTag = null;
      return;
    }
    if (this.preparedTag === null) this.preparedTag = prepareTag(tag);
    if (this.preparedTag) this.writeIndicator(this.preparedTag, true);
    this.preparedTag = null;
  }

  private chooseScalarStyle(): Style {
    const event = this.ev<'Scalar'>();
    if (this.analysis === null) this.analysis = analyzeScalar(event.value);
    const analysis = this.analysis;
    if (event.style === '"') return '"';
    if (!event.style && event.implicit[0]) {
      if (
        !(this.simpleKeyContext && (analysis.empty || analysis.multiline)) &&
        ((this.flowLevel && analysis.allowFlowPlain) || (!this.flowLevel && analysis.allowBlockPlain))
      ) {
        return '';
      }
    }
    if (event.style && '|>'.includes(event.style)) {
      if (!this.flowLevel && !this.simpleKeyContext && analysis.allowBlock) return event.style;
    }
    if (!event.style || event.style === "'") {
      if (analysis.allowSingleQuoted && !(this.simpleKeyContext && analysis.multiline)) return "'";
    }
    return '"';
  }

  private processScalar(): void {
    const event = this.ev<'Scalar'>();
    if (this.analysis === null) this.analysis = analyzeScalar(event.value);
    if (this.style === null) this.style = this.chooseScalarStyle();
    const split = !this.simpleKeyContext;
    const text = this.analysis.scalar;
    switch (this.style) {
      case '"':
        this.writeDoubleQuoted(text, split);
        break;
      case "'":
        this.writeSingleQuoted(text, split);
        break;
      case '|':
        this.writeLiteral(text);
        break;
      case '>':
        // The representer never asks for folded style.
        throw new YamlDumpError('folded scalars are not supported', '');
      default:
        this.writePlain(text, split, this.analysis.simple, this.analysis.multiline);
    }
    this.analysis = null;
    this.style = null;
  }

  // -- writers --

  private write(data: string): void {
    this.out.push(data);
  }

  private writeIndicator(indicator: string, needWhitespace: boolean, whitespace = false, indention = false): void {
    const data = this.whitespace || !needWhitespace ? indicator : ` ${indicator}`;
    this.whitespace = whitespace;
    this.indention = this.indention && indention;
    this.column += data.length;
    this.openEnded = false;
    this.write(data);
  }

  private writeIndent(): void {
    const indent = this.indent ?? 0;
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) {
      this.writeLineBreak();
    }
    if (this.column < indent) {
      this.whitespace = true;
      this.write(' '.repeat(indent - this.column));
      this.column = indent;
    }
  }

  private writeLineBreak(data = '\n'): void {
    this.whitespace = true;
    this.indention = true;
    this.column = 0;
    this.write(data);
  }

  private writeSpan(text: CodePoints, start: number, end: number): void {
    this.column += end - start;
    this.write(span(text, start, end));
  }

  private writeBreaks(text: CodePoints, start: number, end: number): void {
    for (let i = start; i < end; i++) {
      const br = text[i];
      this.writeLineBreak(br === '\n' ? '\n' : br);
    }
  }

  private writeSingleQuoted(text: CodePoints, split: boolean): void {
    this.writeIndicator("'", true);
    let spaces = false;
    let breaks = false;
    let start = 0;
    let end = 0;
    while (end <= text.length) {
      const ch: string | null = end < text.length ? text[end] : null;
      if (spaces) {
        if (ch === null || ch !== ' ') {
          if (start + 1 === end && this.column > BEST_WIDTH && split && start !== 0 && end !== text.length) {
            this.writeIndent();
          } else {
            this.writeSpan(text, start, end);
          }
          start = end;
        }
      } else if (breaks) {
        if (ch === null || !LINE_BREAK_CHARS.includes(ch)) {
          if (text[start] === '\n') this.writeLineBreak();
          this.writeBreaks(text, start, end);
          this.writeIndent();
          start = end;
        }
      } else if (ch === null || ' \n\x85\u2028\u2029'.includes(ch) || ch === "'") {
        if (start < end) {
          this.writeSpan(text, start, end);
          start = end;
        }
      }
      if (ch === "'") {
        this.column += 2;
        this.write("''");
        start = end + 1;
      }
      if (ch !== null) {
        spaces = ch === ' ';
        breaks = LINE_BREAK_CHARS.includes(ch);
      }
      end++;
    }
    this.writeIndicator("'", false);
  }

  private writeDoubleQuoted(text: CodePoints, split: boolean): void {
    this.writeIndicator('"', true);
    let start = 0;
    let end = 0;
    while (end <= text.length) {
      const ch: string | null = end < text.length ? text[end] : null;
      if (ch === null || '"\\\x85\u2028\u2029\uFEFF'.includes(ch) || !(cp(ch) >= 0x20 && cp(ch) <= 0x7e)) {
        if (start < end) {
          this.writeSpan(text, start, end);
          start = end;
        }
        if (ch !== null) {
          const code = cp(ch);
          let data: string;
          if (Object.prototype.hasOwnProperty.call(DQ_ESCAPES, ch)) data = `\\${DQ_ESCAPES[ch]}`;
          else if (code <= 0xff) data = `\\x${code.toString(16).toUpperCase().padStart(2, '0')}`;
          else if (code <= 0xffff) data = `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
          else data = `\\U${code.toString(16).toUpperCase().padStart(8, '0')}`;
          this.column += data.length;
          this.write(data);
          start = end + 1;
        }
      }
      if (0 < end && end < text.length - 1 && (ch === ' ' || start >= end) && this.column + (end - start) > BEST_WIDTH && split) {
        // Only printable ASCII is left unescaped, so the span is ASCII.
        const data = `${span(text, start, end)}\\`;
        if (start < end) start = end;
        this.column += data.length;
        this.write(data);
        this.writeIndent();
        this.whitespace = false;
        this.indention = false;
        if (text[start] === ' ') {
          this.column += 1;
          this.write('\\');
        }
      }
      end++;
    }
    this.writeIndicator('"', false);
  }

  private determineBlockHints(text: CodePoints): string {
    let hints = '';
    if (text.length) {
      if (' \n\x85\u2028\u2029'.includes(text[0])) hints += String(BEST_INDENT);
      if (!LINE_BREAK_CHARS.includes(text[text.length - 1])) hints += '-';
      else if (text.length === 1 || LINE_BREAK_CHARS.includes(text[text.length - 2])) hints += '+';
    }
    return hints;
  }

  private writeLiteral(text: CodePoints): void {
    const hints = this.determineBlockHints(text);
    this.writeIndicator(`|${hints}`, true);
    if (hints.endsWith('+')) this.openEnded = true;
    this.writeLineBreak();
    let breaks = true;
    let start = 0;
    let end = 0;
    while (end <= text.length) {
      const ch: string | null = end < text.length ? text[end] : null;
      if (breaks) {
        if (ch === null || !LINE_BREAK_CHARS.includes(ch)) {
          this.writeBreaks(text, start, end);
          if (ch !== null) this.writeIndent();
          start = end;
        }
      } else if (ch === null || LINE_BREAK_CHARS.includes(ch)) {
        this.write(span(text, start, end));
        if (ch === null) this.writeLineBreak();
        start = end;
      }
      if (ch !== null) breaks = LINE_BREAK_CHARS.includes(ch);
      end++;
    }
  }

  private writePlain(text: CodePoints, split: boolean, simple: boolean, multiline: boolean): void {
    if (this.rootContext) this.openEnded = true;
    if (!text.length) return;
    if (!this.whitespace) {
      this.column += 1;
      this.write(' ');
    }
    this.whitespace = false;
    this.indention = false;
    // Nothing to fold or break, so the loop below would write it all as
    // it is: no space at all, or no line break and no single space at which
    // the column could pass BEST_WIDTH (the loop folds only there, and only
    // once the column is beyond it).
    if (simple || (!multiline && typeof text === 'string' && (!split || this.column + text.length <= BEST_WIDTH))) {
      this.column += text.length;
      this.write(text as string);
      return;
    }
    let spaces = false;
    let breaks = false;
    let start = 0;
    let end = 0;
    while (end <= text.length) {
      const ch: string | null = end < text.length ? text[end] : null;
      if (spaces) {
        if (ch !== ' ') {
          if (start + 1 === end && this.column > BEST_WIDTH && split) {
            this.writeIndent();
            this.whitespace = false;
            this.indention = false;
          } else {
            this.writeSpan(text, start, end);
          }
          start = end;
        }
      } else if (breaks) {
        if (ch === null || !LINE_BREAK_CHARS.includes(ch)) {
          if (text[start] === '\n') this.writeLineBreak();
          this.writeBreaks(text, start, end);
          this.writeIndent();
          this.whitespace = false;
          this.indention = false;
          start = end;
        }
      } else if (ch === null || ' \n\x85\u2028\u2029'.includes(ch)) {
        this.writeSpan(text, start, end);
        start = end;
      }
      if (ch !== null) {
        spaces = ch === ' ';
        breaks = LINE_BREAK_CHARS.includes(ch);
      }
      end++;
    }
  }
}
