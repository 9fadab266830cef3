/**
 * Scenario 7: parsing and writing an agent-state document, ours (the
 * PyYAML port, parseYaml / dumpYaml) against js-yaml (`load` with its
 * default schema, `dump`), in this process. The document is a task queue
 * of 200 tasks with 6 fields each (ints, strings, some nulls, a date),
 * built deterministically; js-yaml parses the same text (what dumpYaml
 * writes, which is what PyYAML writes) and dumps the same value.
 *
 * Both libraries are measured round by round in turn, after a warm-up, so
 * that a slow moment of the shared VM hits both alike; a run's figure is
 * the median of its rounds. The runner asks per peer, so the first peer
 * of a run measures both and the second takes its half of that run.
 */
import * as jsYaml from 'js-yaml';
import { YamlDate, dumpYaml, parseYaml } from '../lib/yaml';
import type { PeerDef } from './peers';
import { fmtMicros, fmtRatio, median, type Results, type RunContext, type Scenario, type Target } from './util';

const TASKS = 200;

const inProcess = (id: string, label: string): PeerDef => ({ id, label, lang: 'node', variant: 'in-process', wait: 'kernel' });
export const YAML_OURS = inProcess('yaml-ours', 'ours, parseYaml / dumpYaml');
export const YAML_JS = inProcess('yaml-js-yaml', 'js-yaml 4, load / dump');

const STATUSES = ['pending', 'in_progress', 'done', 'blocked'];
const VERBS = ['Refactor', 'Review', 'Write tests for', 'Document', 'Fix', 'Profile'];
const THINGS = ['the lock registry', 'atomic writes', 'the YAML emitter', 'fencing tokens: retries', 'CLI parsing', 'ESTALE handling'];

/** The benchmark document: the same value on every call. */
export function agentState(): Record<string, unknown> {
  const tasks = [];
  for (let i = 0; i < TASKS; i++) {
    tasks.push({
      id: i + 1,
      title: `${VERBS[i % VERBS.length]} ${THINGS[(i * 7) % THINGS.length]}`,
      status: STATUSES[(i * 3) % STATUSES.length],
      priority: 1 + ((i * 5) % 5),
      assignee: i % 9 === 0 ? null : `agent-${1 + (i % 4)}`,
      created: new YamlDate(2026, 1 + (i % 12), 1 + (i % 28)),
    });
  }
  return { queue: 'agents', version: 3, tasks };
}

/** Mean µs per call of `fn` over `count` calls. */
function timeEach(fn: () => unknown, count: number): number {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) fn();
  return ((performance.now() - t0) * 1000) / count;
}

type Figures = Record<string, Record<string, number>>;
const byRun = new Map<number, Figures>();

function measureBoth(quick: boolean): Figures {
  const value = agentState();
  const text = dumpYaml(value);
  const ops = {
    [YAML_OURS.id]: { parse: () => parseYaml(text), dump: () => dumpYaml(value) },
    [YAML_JS.id]: { parse: () => jsYaml.load(text), dump: () => jsYaml.dump(value) },
  };
  const peers = [YAML_OURS.id, YAML_JS.id];
  const warmUpMs = quick ? 300 : 1000;
  const end = performance.now() + warmUpMs;
  while (performance.now() < end) for (const p of peers) timeEach(ops[p].parse, 1), timeEach(ops[p].dump, 1);
  const rounds = quick ? 7 : 21;
  const perRound = 10;
  const samples: Record<string, { parse: number[]; dump: number[] }> = {};
  for (const p of peers) samples[p] = { parse: [], dump: [] };
  for (let r = 0; r < rounds; r++) {
    // alternate who goes first, so neither always runs on a warmer cache
    const order = r % 2 === 0 ? peers : [...peers].reverse();
    for (const p of order) samples[p].parse.push(timeEach(ops[p].parse, perRound));
    for (const p of order) samples[p].dump.push(timeEach(ops[p].dump, perRound));
  }
  const figures: Figures = {};
  for (const p of peers) {
    figures[p] = { parseUs: median(samples[p].parse), dumpUs: median(samples[p].dump), bytes: text.length };
  }
  return figures;
}

async function measure(peer: PeerDef, ctx: RunContext): Promise<Record<string, number>> {
  let figures = byRun.get(ctx.run);
  if (figures === undefined) byRun.set(ctx.run, (figures = measureBoth(ctx.quick)));
  return figures[peer.id];
}

function notSlowerThanJsYaml(metric: 'parseUs' | 'dumpUs'): Target {
  return {
    peer: YAML_OURS.id, metric, text: '≤ 1.0× js-yaml',
    check(r: Results) {
      const ours = r.median(YAML_OURS.id, metric);
      const theirs = r.median(YAML_JS.id, metric);
      if (ours === undefined || theirs === undefined) return null;
      return { met: ours <= theirs, measured: fmtRatio(ours / theirs) };
    },
  };
}

export const yaml: Scenario = {
  id: 'yaml',
  title: `8. YAML: parse and write a ${TASKS}-task agent-state document, in process`,
  shape: (quick) =>
    `${TASKS} tasks × 6 fields (~${Math.round(dumpYaml(agentState()).length / 1024)} KB as dumpYaml writes it); `
    + `${quick ? 7 : 21} alternating rounds of 10 calls after ${quick ? 0.3 : 1} s of warm-up, median per run`,
  notes: ['the "× raw C" column is the ratio to js-yaml here (no raw C peer); js-yaml parses YAML 1.2 and writes its own bytes, not PyYAML\'s'],
  metrics: [
    { key: 'parseUs', label: 'parse', better: 'lower', format: fmtMicros },
    { key: 'dumpUs', label: 'dump', better: 'lower', format: fmtMicros },
  ],
  peers: [YAML_JS, YAML_OURS],
  baseline: YAML_JS.id,
  targets: [notSlowerThanJsYaml('parseUs'), notSlowerThanJsYaml('dumpUs')],
  measure,
};
