/**
 * Turns the runs of every scenario into the one printed table (medians,
 * ratios to raw C of the same run, targets and whether they are met) and
 * into the JSON record a closing note can quote.
 */
import { fmtRatio, median, type Metric, type Results, type Scenario } from './util';

/** Everything measured for one peer of one scenario. */
export interface PeerRuns {
  readonly runs: Array<Record<string, number>>;
  readonly errors: string[];
}

export interface ScenarioRuns {
  readonly scenario: Scenario;
  readonly peers: Map<string, PeerRuns>;
}

function resultsOf(s: ScenarioRuns): Results {
  const values = (peer: string, key: string): number[] =>
    (s.peers.get(peer)?.runs ?? []).map((r) => r[key]).filter((v) => typeof v === 'number' && !Number.isNaN(v));
  return {
    values,
    median(peer, key) {
      const v = values(peer, key);
      return v.length === 0 ? undefined : median(v);
    },
  };
}

function spread(values: number[], metric: Metric): string {
  if (values.length < 2) return '';
  const half = (Math.max(...values) - Math.min(...values)) / 2;
  if (metric.spread === 'absolute') return `±${metric.format(half).replace(/^[+±]/, '')}`;
  const mid = median(values);
  return mid === 0 ? '' : `±${Math.round((half / Math.abs(mid)) * 100)}%`;
}

/** Pads a table: text columns left, the rest right. */
function layout(rows: string[][], leftAligned: Set<number>): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, [...cell].length); });
  return rows.map((row) => row.map((cell, i) => {
    const pad = ' '.repeat(widths[i] - [...cell].length);
    return leftAligned.has(i) ? cell + pad : pad + cell;
  }).join('  ').trimEnd());
}

export interface TargetOutcome {
  scenario: string;
  peer: string;
  metric: string;
  target: string;
  met: boolean | null;
  measured: string | null;
}

export interface Report {
  readonly text: string;
  readonly targets: TargetOutcome[];
  readonly json: unknown;
}

export function buildReport(all: ScenarioRuns[], quick: boolean): Report {
  const outcomes: TargetOutcome[] = [];
  const header = ['peer', 'metric', 'median', '× raw C', 'spread', 'target', 'met'];
  const lines: string[] = [];
  const jsonScenarios: unknown[] = [];

  for (const s of all) {
    const { scenario } = s;
    const results = resultsOf(s);
    const rows: string[][] = [];
    const jsonPeers: unknown[] = [];
    for (const peer of scenario.peers) {
      const runs = s.peers.get(peer.id) ?? { runs: [], errors: [] };
      const medians: Record<string, number | undefined> = {};
      const ratios: Record<string, number | undefined> = {};
      scenario.metrics.forEach((m, i) => {
        const values = results.values(peer.id, m.key);
        const mid = results.median(peer.id, m.key);
        const base = results.median(scenario.baseline, m.key);
        medians[m.key] = mid;
        const ratio = m.ratio !== false && mid !== undefined && base !== undefined && base !== 0 ? mid / base : undefined;
        ratios[m.key] = ratio;
        let value = mid === undefined ? 'FAILED' : m.format(mid);
        if (mid !== undefined && runs.errors.length > 0) value += ` (${values.length}/${values.length + runs.errors.length} runs)`;
        let target = '';
        let met = '';
        for (const t of scenario.targets.filter((x) => x.peer === peer.id && x.metric === m.key)) {
          const c = t.check(results);
          outcomes.push({ scenario: scenario.id, peer: peer.id, metric: m.key, target: t.text, met: c?.met ?? null, measured: c?.measured ?? null });
          target = t.text;
          met = c === null ? 'n/a' : `${c.met ? 'yes' : 'NO'} (${c.measured})`;
        }
        rows.push([i === 0 ? peer.label : '', m.label, value, ratio === undefined ? '' : fmtRatio(ratio), spread(values, m), target, met]);
      });
      jsonPeers.push({
        id: peer.id, label: peer.label, runs: runs.runs, errors: runs.errors, median: medians, ratioToRawC: ratios,
      });
    }
    lines.push('', `${scenario.title}`, `   ${scenario.shape(quick)}`);
    for (const note of scenario.notes ?? []) lines.push(`   note: ${note}`);
    lines.push(...layout([header, ...rows], new Set([0, 1, 5, 6])).map((l) => '   ' + l));
    const bd = scenario.breakdown;
    if (bd !== undefined) {
      lines.push('', `   ${bd.title}`);
      const cells = bd.stages.map((st) => [st.label, ...bd.peers.map((p) => {
        const v = results.median(p.id, st.key);
        return v === undefined ? '' : bd.format(v);
      })]);
      lines.push(...layout([['stage', ...bd.peers.map((p) => p.label)], ...cells], new Set([0])).map((l) => '   ' + l));
    }
    jsonScenarios.push({
      id: scenario.id, title: scenario.title, shape: scenario.shape(quick), notes: scenario.notes, baseline: scenario.baseline,
      metrics: scenario.metrics.map((m) => ({ key: m.key, label: m.label, better: m.better })),
      peers: jsonPeers,
      targets: outcomes.filter((o) => o.scenario === scenario.id),
    });
  }

  const judged = outcomes.filter((o) => o.met !== null);
  const met = judged.filter((o) => o.met).length;
  lines.push('', `Targets met: ${met} of ${outcomes.length}` +
    (judged.length < outcomes.length ? ` (${outcomes.length - judged.length} not measurable: a peer failed)` : ''));
  for (const o of outcomes.filter((x) => x.met !== true)) {
    lines.push(`   ${o.met === null ? 'n/a' : 'NOT MET'}: ${o.scenario} / ${o.peer} / ${o.metric}: target ${o.target}, measured ${o.measured ?? '—'}`);
  }
  return { text: lines.join('\n'), targets: outcomes, json: { scenarios: jsonScenarios, targets: outcomes } };
}
