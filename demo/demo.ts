/**
 * `npm start`: agents in separate processes (Node, plus Python when
 * /usr/bin/python3 has PyYAML) share a YAML task queue, a status file and an
 * event log. First with this package's locks and atomic writes, then the
 * same workload the way agents write files today, for contrast. Every figure
 * printed is counted from the files and the agents' reports.
 *
 *   npm start -- [--agents 4] [--python 2] [--tasks 40] [--quick] [--json]
 *
 * Exit status 0 when the locked run lost nothing and saw no torn file.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { SafeFileReader, dumpYaml, parseYaml } from '../lib';
import {
  type AgentReport, EVENTS, type Mode, QUEUE, REPORT_TAG, STATUS, type Task,
  checkQueue, checkStatus, initialQueue, initialStatus,
} from './shared';

// Debian's python3 has python3-yaml; the pyenv python3 first on PATH does not.
const PYTHON = '/usr/bin/python3';
const PY_AGENT = path.resolve(__dirname, '..', '..', 'demo', 'py_agent.py');
const NODE_AGENT = path.join(__dirname, 'agent.js');
// Agents stop by themselves at this point even if a run goes wrong, so
// `npm start` stays well under a minute.
const RUN_LIMIT_MS = 25_000;

const USAGE = `usage: npm start -- [options]
  --agents N   Node agent processes (default 4)
  --python N   Python agent processes (default 2, when ${PYTHON} can import yaml)
  --tasks N    tasks in the queue (default 40; 16 with --quick)
  --quick      a short run
  --json       end with one JSON line of all figures
`;

interface Options { node: number; python: number; tasks: number; json: boolean }

function options(): Options {
  const { values } = parseArgs({
    options: {
      agents: { type: 'string' },
      python: { type: 'string' },
      tasks: { type: 'string' },
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const int = (name: string, v: string | undefined, dflt: number, min: number): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
    return n;
  };
  const opts = {
    node: int('agents', values.agents, 4, 0),
    python: int('python', values.python, 2, 0),
    tasks: int('tasks', values.tasks, values.quick ? 16 : 40, 1),
    json: values.json,
  };
  if (opts.node + opts.python === 0) throw new UsageError('at least one agent is needed');
  return opts;
}

class UsageError extends Error {}

function pythonHasYaml(): boolean {
  return spawnSync(PYTHON, ['-c', 'import yaml'], { stdio: 'ignore' }).status === 0;
}

// ---------------------------------------------------------------------------
// Terminal output
// ---------------------------------------------------------------------------

const out = process.stdout;
const tty = out.isTTY === true;
const color = tty && !process.env.NO_COLOR;
const paint = (code: string) => (s: string): string => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = paint('1');
const dim = paint('2');
const green = paint('32');
const red = paint('31');
const yellow = paint('33');

function say(line = ''): void {
  out.write(line + '\n');
}

/** Redraws a block of lines in place on a terminal; a plain line every 0.5 s otherwise. */
class Live {
  #drawn = 0;
  #lastPlain = 0;

  draw(lines: string[], plain: string, force = false): void {
    if (!tty) {
      const now = Date.now();
      if (force || now - this.#lastPlain >= 500) {
        this.#lastPlain = now;
        say(plain);
      }
      return;
    }
    // A wrapped line would break the cursor arithmetic.
    const width = Math.max(20, (out.columns ?? 80) - 1);
    const clipped = lines.map((l) => clip(l, width));
    out.write((this.#drawn ? `\x1b[${this.#drawn}F\x1b[J` : '\x1b[?25l') + clipped.join('\n') + '\n');
    this.#drawn = clipped.length;
  }

  end(): void {
    if (tty && this.#drawn) out.write('\x1b[?25h');
    this.#drawn = 0;
  }
}

function visibleLength(s: string): number {
  return s.replace(/\x1b\[[0-9;]*m/g, '').length;
}

function clip(s: string, width: number): string {
  if (visibleLength(s) <= width) return s;
  // Escape codes make exact clipping fiddly; drop them for an over-long line.
  const plain = s.replace(/\x1b\[[0-9;]*m/g, '');
  return plain.slice(0, width - 1) + '…';
}

function bar(done: number, total: number, width = 20): string {
  const full = Math.round((done / Math.max(1, total)) * width);
  return '▕' + '█'.repeat(full) + '░'.repeat(width - full) + '▏';
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

// ---------------------------------------------------------------------------
// Children
// ---------------------------------------------------------------------------

const children = new Set<ChildProcess>();
let root = '';

interface Agent {
  name: string;
  lang: 'node' | 'python';
  child: ChildProcess;
  stdout: string;
  report: AgentReport | null;
  exit: Promise<number | null>;
}

function startAgent(name: string, lang: 'node' | 'python', args: string[]): Agent {
  const [cmd, script] = lang === 'node' ? [process.execPath, NODE_AGENT] : [PYTHON, PY_AGENT];
  const child = spawn(cmd, [script, '--name', name, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.add(child);
  const agent: Agent = {
    name, lang, child, stdout: '', report: null,
    exit: new Promise((resolve) => child.once('close', (code) => {
      children.delete(child);
      resolve(code);
    })),
  };
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    agent.stdout += chunk;
    for (const line of agent.stdout.split('\n')) {
      if (line.startsWith(REPORT_TAG)) agent.report = JSON.parse(line.slice(REPORT_TAG.length)) as AgentReport;
    }
  });
  // An agent that died early must not leave the parent waiting on a pipe error.
  child.stdin?.on('error', () => {});
  return agent;
}

async function waitReady(agents: Agent[]): Promise<void> {
  await Promise.all(agents.map((a) => new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (a.stdout.includes('ready\n')) {
        a.child.stdout?.off('data', check);
        resolve();
      }
    };
    a.child.stdout?.on('data', check);
    check();
    void a.exit.then((code) => reject(new Error(`agent ${a.name} exited (${code}) before starting`)));
  })));
}

/**
 * Resolves with `p`'s value, or with `fallback` after `ms`. The timer is
 * cleared either way: a pending one would hold the process open that long.
 */
async function within<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((r) => { timer = setTimeout(() => r(fallback), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

/** Stops every child still running; SIGKILL for those that ignore SIGTERM. */
async function stopChildren(): Promise<void> {
  const alive = [...children];
  if (alive.length === 0) return;
  for (const c of alive) c.kill('SIGTERM');
  const exited = Promise.all(alive.map((c) => new Promise((r) => {
    if (c.exitCode !== null || c.signalCode !== null) r(null); else c.once('exit', r);
  })));
  if (await within(exited.then(() => true), 2_000, false)) return;
  for (const c of alive) c.kill('SIGKILL');
  await exited;
}

function removeRoot(): void {
  if (root) fs.rmSync(root, { recursive: true, force: true });
  root = '';
}

// ---------------------------------------------------------------------------
// Reading the shared files
// ---------------------------------------------------------------------------

interface Snapshot {
  queue: Task[] | null;
  status: Record<string, number> | null;
  /** Reads that found a file unparseable or cut short. */
  torn: number;
}

/**
 * Reads queue.yaml and status.yaml as any other reader would: under the
 * shared lock in the locked run, plainly in the unlocked one.
 */
async function readShared(dir: string, mode: Mode, tasks: number, names: string[]): Promise<Snapshot> {
  const read = async (file: string): Promise<unknown> => {
    const p = path.join(dir, file);
    const text = mode === 'locked' ? await new SafeFileReader(p).read() : fs.readFileSync(p).toString('utf8');
    try {
      return parseYaml(text);
    } catch {
      return undefined;
    }
  };
  const queue = checkQueue(await read(QUEUE), tasks, names);
  const status = checkStatus(await read(STATUS), names);
  return { queue, status, torn: (queue ? 0 : 1) + (status ? 0 : 1) };
}

/** Events that made it into the log whole, and lines that did not. */
async function readEvents(dir: string, mode: Mode): Promise<{ events: number; torn: number }> {
  const p = path.join(dir, EVENTS);
  if (!fs.existsSync(p)) return { events: 0, torn: 0 };
  const text = mode === 'locked' ? await new SafeFileReader(p).read() : fs.readFileSync(p).toString('utf8');
  let events = 0;
  let torn = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const rec = JSON.parse(line) as { event?: unknown };
      if (rec.event === 'task_done') events += 1; else torn += 1;
    } catch {
      torn += 1;
    }
  }
  return { events, torn };
}

// ---------------------------------------------------------------------------
// One run
// ---------------------------------------------------------------------------

interface Result {
  mode: Mode;
  agents: { node: number; python: number };
  tasks: number;
  /** Updates the agents began. */
  attempted: number;
  /** Writes the agents made and saw succeed, by kind. */
  written: { claims: number; dones: number; bumps: number; events: number; total: number };
  /** The same, as found in the files at the end. */
  applied: { claims: number; dones: number; bumps: number; events: number; total: number };
  /** Written but not in the files. */
  lost: number;
  torn: { agents: number; reader: number; final: number; total: number };
  /** Files that did not parse, or were cut short, when the run ended. */
  tornAtEnd: string[];
  doneOnce: number;
  doneTwiceOrMore: number;
  notDone: number;
  stopped: { name: string; why: string }[];
  ms: number;
  perAgent: { name: string; reported: number; inFile: number | null }[];
  ok: boolean;
}

async function runOnce(mode: Mode, opts: Options): Promise<Result> {
  const dir = path.join(root, mode);
  fs.mkdirSync(dir);
  const names = [
    ...Array.from({ length: opts.node }, (_, i) => `node-${i + 1}`),
    ...Array.from({ length: opts.python }, (_, i) => `py-${i + 1}`),
  ];
  fs.writeFileSync(path.join(dir, QUEUE), dumpYaml(initialQueue(opts.tasks)));
  fs.writeFileSync(path.join(dir, STATUS), dumpYaml(initialStatus(names)));

  const deadline = Date.now() + RUN_LIMIT_MS;
  const common = ['--dir', dir, '--mode', mode, '--agents', names.join(','), '--tasks', String(opts.tasks), '--deadline', String(deadline)];
  const agents = names.map((n) => startAgent(n, n.startsWith('py-') ? 'python' : 'node', common));
  await waitReady(agents);

  const t0 = Date.now();
  // All agents start together so that they contend from the first update.
  for (const a of agents) a.child.stdin?.end('go\n');

  const live = new Live();
  let readerTorn = 0;
  let last: Snapshot = { queue: null, status: null, torn: 0 };
  const title = mode === 'locked' ? green('locked  ') : yellow('unlocked');
  const render = (force = false): void => {
    const done = last.queue?.filter((t) => t.status === 'done').length ?? 0;
    const claims = last.queue?.reduce((s, t) => s + t.attempts, 0) ?? 0;
    const bumps = last.status ? Object.values(last.status).reduce((s, n) => s + n, 0) : 0;
    const counts = names.map((n) => `${n} ${last.status?.[n] ?? 0}`).join('  ');
    const summary = `${done}/${opts.tasks} tasks done  updates applied ${claims + done + bumps}  torn ${readerTorn}  ${secs(Date.now() - t0)}`;
    live.draw(
      [` ${title} ${bar(done, opts.tasks)} ${summary}`, `          ${dim(counts)}`],
      `[${mode}] ${summary} | ${counts}`,
      force,
    );
  };
  let running = true;
  const exits = Promise.all(agents.map((a) => a.exit)).finally(() => { running = false; });
  while (running) {
    const snap = await readShared(dir, mode, opts.tasks, names);
    readerTorn += snap.torn;
    if (snap.queue) last = { ...last, queue: snap.queue };
    if (snap.status) last = { ...last, status: snap.status };
    render();
    await within(exits, tty ? 100 : 250, null);
  }
  const codes = await exits;
  const ms = Date.now() - t0;

  const final = await readShared(dir, mode, opts.tasks, names);
  const events = await readEvents(dir, mode);
  if (final.queue) last = { ...last, queue: final.queue };
  if (final.status) last = { ...last, status: final.status };
  render(true);
  live.end();

  const reports = agents.map((a) => a.report).filter((r): r is AgentReport => r !== null);
  const stopped = agents.flatMap((a, i) => {
    if (!a.report) return [{ name: a.name, why: `exited with ${codes[i]} and no report` }];
    return a.report.gaveUp ? [{ name: a.name, why: a.report.gaveUp }] : [];
  });
  const sum = (f: (r: AgentReport) => number): number => reports.reduce((s, r) => s + f(r), 0);

  const attempted = sum((r) => r.attempted);
  const written = { claims: sum((r) => r.claims), dones: sum((r) => r.dones), bumps: sum((r) => r.bumps), events: sum((r) => r.events), total: 0 };
  written.total = written.claims + written.dones + written.bumps + written.events;

  // A file left unreadable at the end counts as having none of its updates.
  const doneInFile = new Set(final.queue?.filter((t) => t.status === 'done').map((t) => t.id) ?? []);
  const applied = {
    claims: final.queue?.reduce((s, t) => s + t.attempts, 0) ?? 0,
    // A done mark survives if its task is still done in the file.
    dones: sum((r) => r.completed.filter((id) => doneInFile.has(id)).length),
    bumps: final.status ? names.reduce((s, n) => s + (final.status as Record<string, number>)[n], 0) : 0,
    events: events.events,
    total: 0,
  };
  applied.total = applied.claims + applied.dones + applied.bumps + applied.events;

  const completions = new Map<number, number>();
  for (const r of reports) for (const id of r.completed) completions.set(id, (completions.get(id) ?? 0) + 1);
  const doneOnce = [...completions.values()].filter((n) => n === 1).length;
  const doneTwiceOrMore = [...completions.values()].filter((n) => n > 1).length;
  const notDone = opts.tasks - doneInFile.size;

  const torn = {
    agents: sum((r) => r.torn),
    reader: readerTorn,
    final: final.torn + events.torn,
    total: 0,
  };
  torn.total = torn.agents + torn.reader + torn.final;
  const lost = written.total - applied.total;

  const perAgent = names.map((n) => ({
    name: n,
    reported: reports.find((r) => r.name === n)?.bumps ?? 0,
    inFile: final.status ? final.status[n] : null,
  }));
  const tornAtEnd = [...(final.queue ? [] : [QUEUE]), ...(final.status ? [] : [STATUS]), ...(events.torn ? [EVENTS] : [])];
  const ok = lost === 0 && attempted === written.total && torn.total === 0 && doneOnce === opts.tasks && notDone === 0 && stopped.length === 0;
  return {
    mode, agents: { node: opts.node, python: opts.python }, tasks: opts.tasks,
    attempted, written, applied, lost, torn, tornAtEnd, doneOnce, doneTwiceOrMore, notDone, stopped, ms, perAgent, ok,
  };
}

// ---------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------

function table(results: Result[]): void {
  const locked = results[0];
  const rows: [string, (r: Result) => string, ((r: Result) => boolean) | null][] = [
    ['updates attempted', (r) => String(r.attempted), null],
    ['updates written (agents\' reports)', (r) => String(r.written.total), null],
    ['  claims / done / status / events', (r) => `${r.written.claims}/${r.written.dones}/${r.written.bumps}/${r.written.events}`, null],
    ['updates applied (in the files)', (r) => String(r.applied.total), null],
    ['  claims / done / status / events', (r) => `${r.applied.claims}/${r.applied.dones}/${r.applied.bumps}/${r.applied.events}`, null],
    ['lost updates (written, not in the files)', (r) => String(r.lost), (r) => r.lost === 0],
    ['torn files seen', (r) => String(r.torn.total), (r) => r.torn.total === 0],
    ['  reads by agents / by the demo / final files', (r) => `${r.torn.agents}/${r.torn.reader}/${r.torn.final}`, null],
    ['tasks done exactly once', (r) => `${r.doneOnce}/${r.tasks}`, (r) => r.doneOnce === r.tasks],
    ['tasks done twice or more', (r) => String(r.doneTwiceOrMore), (r) => r.doneTwiceOrMore === 0],
    ['tasks not done in queue.yaml', (r) => String(r.notDone), (r) => r.notDone === 0],
    ['time taken', (r) => secs(r.ms), null],
  ];
  const labelW = Math.max(...rows.map(([l]) => l.length)) + 2;
  const colW = Math.max(12, ...rows.flatMap(([, f]) => results.map((r) => f(r).length + 3)));
  const head = results.map((r) => (r.mode === 'locked' ? 'locked' : 'no locking').padStart(colW)).join('');
  say(bold(' '.repeat(labelW) + head));
  say(dim('─'.repeat(labelW + colW * results.length)));
  for (const [label, f, good] of rows) {
    const cells = results.map((r) => {
      const text = f(r).padStart(colW - 2);
      if (!good) return text + '  ';
      return good(r) ? text + green(' ✓') : text + (r === locked ? red(' ✗') : red(' !'));
    });
    const line = label.padEnd(labelW) + cells.join('');
    say(label.startsWith('  ') ? dim(line) : line);
  }
}

function perAgentLine(r: Result): void {
  const parts = r.perAgent.map((a) => {
    const s = `${a.name} ${a.inFile ?? '?'}/${a.reported}`;
    return a.inFile === a.reported ? s : red(s);
  });
  say(dim('status.yaml counter / bumps the agent made: ') + parts.join('  '));
  if (r.tornAtEnd.length) say(red(`left torn at the end: ${r.tornAtEnd.join(', ')} (its updates count as not applied)`));
  const byReason = new Map<string, string[]>();
  for (const { name, why } of r.stopped) byReason.set(why, [...(byReason.get(why) ?? []), name]);
  for (const [why, names] of byReason) say(red(`stopped early: ${names.join(', ')}: ${why}`));
}

// ---------------------------------------------------------------------------

async function main(): Promise<number> {
  let opts: Options;
  try {
    opts = options();
  } catch (err) {
    if (!(err instanceof UsageError) && !(err instanceof TypeError)) throw err;
    process.stderr.write(`${err.message}\n${USAGE}`);
    return 2;
  }
  if (opts.python > 0 && !pythonHasYaml()) {
    say(yellow(`No Python agents: ${PYTHON} cannot import yaml (apt install python3-yaml).`));
    opts.python = 0;
  }
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'file-locking-demo-'));

  const who = `${opts.node} Node` + (opts.python ? ` + ${opts.python} Python` : '') + ' agent processes';
  say(bold('file-locking demo') + ` — ${who} share one YAML task queue (${opts.tasks} tasks).`);
  say(dim('Each agent: claim a pending task, work a few ms, mark it done, bump its counter in'));
  say(dim('status.yaml, append an event. Every update is a read-modify-write of a shared file.'));
  say();
  say(bold('1. With file-locking'));
  say(dim('   Node: ReadModifyWrite, FileSystemBackend.append. Python: the plan\'s flock on F.lock + os.replace.'));
  const locked = await runOnce('locked', opts);
  perAgentLine(locked);
  say();
  say(bold('2. The same workload without locking'));
  say(dim('   Read, modify, fs.writeFileSync / open(F, "w"): the plan\'s "current state" code.'));
  const unlocked = await runOnce('unlocked', opts);
  perAgentLine(unlocked);
  say();
  // One table, both runs side by side: printed once, at the end.
  table([locked, unlocked]);
  say();
  if (locked.ok) {
    say(green(`Locked: ${locked.applied.total} updates from ${who}, none lost, no torn file, every task done once.`));
  } else {
    say(red('Locked run FAILED: it should lose nothing and never be seen torn.'));
  }
  const damage = unlocked.lost + unlocked.torn.total + unlocked.doneTwiceOrMore + unlocked.notDone;
  say(damage > 0
    ? yellow(`Unlocked: ${unlocked.lost} updates lost, ${unlocked.torn.total} torn reads, ${unlocked.doneTwiceOrMore} tasks done more than once.`)
    : yellow('Unlocked: no race happened to bite this time; run it again, or with more --agents.'));
  if (opts.json) say(JSON.stringify({ ok: locked.ok, locked, unlocked }));
  return locked.ok ? 0 : 1;
}

let stopping = false;
async function interrupted(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (tty) out.write('\x1b[?25h\n');
  await stopChildren();
  removeRoot();
  process.stderr.write(`demo interrupted (${signal}); temp files removed.\n`);
  process.exit(128 + (os.constants.signals[signal] ?? 0));
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void interrupted(sig));
// Last resort for an unexpected exit path: no child or temp dir outlives us.
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  removeRoot();
  if (tty) out.write('\x1b[?25h');
});

main().then(
  async (code) => {
    await stopChildren();
    removeRoot();
    process.exitCode = code;
  },
  async (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    await stopChildren();
    removeRoot();
    process.exitCode = 1;
  },
);
