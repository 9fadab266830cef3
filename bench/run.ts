/**
 * `npm run bench`: every scenario, every peer side by side in the same run,
 * one table at the end with ratios to raw C from that same run (absolute
 * times on these VMs drift by ~30 % between runs; ratios drift far less).
 *
 *   node dist/bench/run.js [--quick] [--runs N] [--only NAME[,NAME…]]
 *   node dist/bench/run.js --gluster|--ceph [--quick] [--runs N]   (root only)
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { counter } from './counter';
import { ENGINES, crossHostScenarios, engineDown, engineUnavailable, engineUp, type CrossHostEngine } from './cross-host';
import { handoff } from './handoff';
import { abnormalExits, killAllPeers, PYTHON, pythonAvailable } from './peers';
import { buildReport, type PeerRuns, type ScenarioRuns } from './report';
import { queue } from './queue';
import { rmw } from './rmw';
import { timeout } from './timeout';
import { uncontendedAsync, uncontendedSync } from './uncontended';
import { yaml } from './yaml';
import { BENCH_TMP, ROOT, type RunContext, type Scenario } from './util';

/** In table order. A new scenario is one more module and one more entry here. */
const SCENARIOS: readonly Scenario[] = [uncontendedSync, uncontendedAsync, handoff, counter, timeout, rmw, queue, yaml];

const USAGE = `usage: npm run bench -- [--quick] [--runs N] [--only NAME[,NAME…]]
       npm run bench -- --gluster|--ceph [--quick] [--runs N]
  --gluster      instead of the scenarios below: hand-off and read-modify-write across
                 two GlusterFS client hosts (test/multi-host/gluster/), beside the same on local
                 disk; root only; sets the volume up and tears it down (about a minute)
  --ceph         the same across two CephFS client hosts (test/multi-host/ceph/)
  --quick        one run, shorter cells (about a minute)
  --runs N       runs per cell, the median is reported (default 3; 1 with --quick)
  --only NAME    scenarios whose id starts with NAME (repeatable, comma-separated):
                 ${SCENARIOS.map((s) => s.id).join(', ')}`;

/** A bad command line: printed with the usage, without a stack. */
class UsageError extends Error {}

function parseOptions(): { quick: boolean; runs: number; scenarios: Scenario[]; engine: CrossHostEngine | null } {
  const options = {
    quick: { type: 'boolean', default: false },
    gluster: { type: 'boolean', default: false },
    ceph: { type: 'boolean', default: false },
    runs: { type: 'string' },
    only: { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h', default: false },
  } as const;
  let parsed;
  try {
    parsed = parseArgs({ options, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values } = parsed;
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = values.quick === true;
  const runs = values.runs === undefined ? (quick ? 1 : 3) : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError(`--runs must be a positive integer, got ${values.runs}`);
  if (values.gluster === true && values.ceph === true) throw new UsageError('--gluster and --ceph: one engine per run');
  const engine = values.gluster === true ? ENGINES.gluster : values.ceph === true ? ENGINES.ceph : null;
  if (engine !== null && values.only !== undefined) throw new UsageError(`--${engine.id} runs its own two scenarios; --only does not apply`);
  let scenarios = [...SCENARIOS];
  if (values.only !== undefined) {
    const names = values.only.flatMap((o) => o.split(',')).map((n) => n.trim()).filter(Boolean);
    for (const n of names) {
      if (!SCENARIOS.some((s) => s.id.startsWith(n))) throw new UsageError(`--only ${n}: no such scenario`);
    }
    scenarios = SCENARIOS.filter((s) => names.some((n) => s.id.startsWith(n)));
  }
  return { quick, runs, scenarios, engine };
}

function hostInfo(): Record<string, string | number> {
  let python = 'missing';
  try {
    python = execFileSync(PYTHON, ['--version'], { encoding: 'utf8' }).trim();
  } catch { /* reported by the failing plan peer */ }
  return {
    kernel: `${os.type()} ${os.release()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    python,
    cc: execFileSync('cc', ['--version'], { encoding: 'utf8' }).split('\n')[0],
    // Anything else running on the box moves the figures, p99 most of all.
    loadAverageAtStart: os.loadavg()[0].toFixed(2),
  };
}

async function main(): Promise<void> {
  const options = parseOptions();
  const { quick, runs, engine } = options;
  let { scenarios } = options;
  if (engine !== null) {
    const why = engineUnavailable(engine);
    if (why !== null) {
      process.stderr.write(`bench --${engine.id}: ${why}\n`);
      process.exit(1);
    }
  }
  const started = Date.now();
  fs.mkdirSync(BENCH_TMP, { recursive: true });
  const runDir = fs.mkdtempSync(path.join(BENCH_TMP, 'run-'));
  // From the moment the up script starts until the down script has run:
  // whatever happens (a failure, Ctrl-C), the file system is torn down on exit.
  let engineIsUp = false;
  const teardown = (): number => {
    const t0 = Date.now();
    killAllPeers();
    if (engineIsUp && engine !== null) {
      // Cleared only once it has run: a signal during it runs it again on exit.
      engineDown(engine);
      engineIsUp = false;
    }
    return (Date.now() - t0) / 1000;
  };
  const cleanup = () => {
    teardown();
    fs.rmSync(runDir, { recursive: true, force: true });
  };
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\n${sig}: stopping, cleaning up\n`);
      process.exit(130);
    });
  }

  const rawFlock = path.join(runDir, 'raw-flock');
  execFileSync('cc', ['-O2', '-Wall', '-pthread', '-o', rawFlock, path.join(ROOT, 'bench', 'raw-flock.c')], { stdio: 'inherit' });
  if (!pythonAvailable()) process.stderr.write(`warning: ${PYTHON} not found; the Python plan peer will fail\n`);
  const host = hostInfo();

  let setupS: number | undefined;
  if (engine !== null) {
    process.stderr.write(`${engine.id}-up.sh: the servers, two netns hosts, two mounts\n`);
    const t0 = Date.now();
    engineIsUp = true;
    const mounts = engineUp(engine);
    setupS = (Date.now() - t0) / 1000;
    process.stderr.write(`setup ${setupS.toFixed(1)} s (mounts ${mounts.a}, ${mounts.b})\n`);
    scenarios = crossHostScenarios(engine, mounts);
  }

  const problems: string[] = [];
  const problem = (message: string) => {
    problems.push(message);
    const bar = '!'.repeat(Math.min(100, message.length));
    process.stderr.write(`\n${bar}\n${message}\n${bar}\n\n`);
  };

  const all: ScenarioRuns[] = [];
  for (const scenario of scenarios) {
    const peers = new Map<string, PeerRuns>(scenario.peers.map((p) => [p.id, { runs: [], errors: [] }]));
    all.push({ scenario, peers });
    process.stderr.write(`${scenario.title}\n`);
    // Runs outside, peers inside: a slow minute of the VM hits every peer once.
    for (let run = 1; run <= runs; run++) {
      for (const peer of scenario.peers) {
        const dir = fs.mkdtempSync(path.join(runDir, `${scenario.id}-${peer.id}-`));
        const ctx: RunContext = {
          quick, run, dir, rawFlock, problem,
          log: (m) => process.stderr.write(`   ${m}\n`),
        };
        const t0 = performance.now();
        const cell = peers.get(peer.id) as PeerRuns;
        try {
          const values = await scenario.measure(peer, ctx);
          cell.runs.push(values);
          const shown = scenario.metrics.map((m) => `${m.label} ${m.format(values[m.key])}`).join(', ');
          ctx.log(`run ${run}/${runs} ${peer.label}: ${shown} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
        } catch (err) {
          const message = (err as Error)?.message ?? String(err);
          cell.errors.push(message);
          problems.push(`${scenario.id} / ${peer.label}, run ${run}: FAILED: ${message}`);
          ctx.log(`run ${run}/${runs} ${peer.label}: FAILED: ${message}`);
          // A peer that failed mid-way may have left children holding locks.
          killAllPeers();
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }
    }
  }

  let teardownS: number | undefined;
  if (engine !== null) {
    process.stderr.write(`${engine.id}-down.sh\n`);
    teardownS = teardown();
  }

  for (const e of abnormalExits) problems.push(`child exited abnormally: ${e}`);
  const report = buildReport(all, quick);
  const tookS = (Date.now() - started) / 1000;
  const stamp = new Date(started).toISOString().replace(/[:.]/g, '-');
  const jsonPath = path.join(BENCH_TMP, `results-${stamp}.json`);
  fs.writeFileSync(jsonPath, JSON.stringify({
    startedAt: new Date(started).toISOString(), tookSeconds: tookS, quick, runs,
    ...(engine !== null ? { [engine.id]: { setupSeconds: setupS, teardownSeconds: teardownS } } : {}), host: { ...host, loadAverageAtEnd: os.loadavg()[0].toFixed(2) },
    ...(report.json as object), problems,
  }, null, 2) + '\n');

  const loadAtEnd = os.loadavg()[0].toFixed(2);
  console.log(`\nfile-locking benchmarks · ${host.kernel} · ${host.cpus} × ${host.cpuModel} · Node ${host.node} · ${host.python}`
    + ` · load average ${host.loadAverageAtStart} at start, ${loadAtEnd} at end`);
  console.log(`median of ${runs} run${runs === 1 ? '' : 's'} per cell${quick ? ' (--quick)' : ''}; `
    + '× raw C = this peer ÷ raw C (open every time) in the same run; spread = half the range of the runs');
  if (engine !== null) {
    console.log(`${engine.name}: test/multi-host/${engine.id}/${engine.id}-up.sh, two client hosts in netns ${engine.netns.join(' / ')}; `
      + `setup ${setupS?.toFixed(1)} s, teardown ${teardownS?.toFixed(1)} s; × raw C is against raw C on local disk`);
  }
  console.log(report.text);
  if (problems.length > 0) {
    console.log('\nProblems:');
    for (const p of problems) console.log(`   ${p}`);
  }
  console.log(`\nResults: ${path.relative(process.cwd(), jsonPath)}`);
  console.log(`Took ${Math.floor(tookS / 60)} min ${Math.round(tookS % 60)} s`);
  // Lost updates (or a file left unreadable) are a correctness bug, not a slow figure: fail the command.
  if (problems.some((p) => p.startsWith('LOST UPDATES') || p.startsWith('CORRUPT FILE'))) process.exitCode = 1;
}

main().catch((err) => {
  if (err instanceof UsageError) process.stderr.write(`bench: ${err.message}\n${USAGE}\n`);
  else process.stderr.write(`bench: ${(err as Error)?.stack ?? err}\n`);
  process.exitCode = 2;
});
