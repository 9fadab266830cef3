/**
 * One Node agent of the demo (started by demo.ts, not by hand).
 *
 * Loop: claim the first pending task in queue.yaml, work on it a few ms,
 * mark it done, bump this agent's counter in status.yaml, publish an event.
 * `--mode locked` does every update through the library (ReadModifyWrite,
 * FileSystemBackend.append); `--mode unlocked` does what agents do today:
 * read, modify, fs.writeFileSync, with no lock.
 *
 * Protocol with the parent: print "ready", wait for a line on stdin, run,
 * print one REPORT line, exit.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { FileLockingError, FileSystemBackend, ReadModifyWrite, dumpYaml, parseYaml } from '../lib';
import { type AgentReport, EVENTS, type Mode, QUEUE, REPORT_TAG, STATUS, type Task, checkQueue, checkStatus } from './shared';

const { values: args } = parseArgs({
  options: {
    dir: { type: 'string' },
    name: { type: 'string' },
    mode: { type: 'string' },
    agents: { type: 'string' },
    tasks: { type: 'string' },
    deadline: { type: 'string' },
  },
});
if (!args.dir || !args.name || !args.agents || !args.tasks || (args.mode !== 'locked' && args.mode !== 'unlocked')) {
  process.stderr.write('usage: agent --dir D --name N --mode locked|unlocked --agents a,b,c --tasks N [--deadline epoch-ms]\n');
  process.exit(2);
}
const dir = args.dir;
const me = args.name;
const mode: Mode = args.mode;
const agents = args.agents.split(',');
const taskCount = Number(args.tasks);
const deadline = Number(args.deadline ?? Date.now() + 60_000);
// A file that stays unreadable this long is not going to heal by itself
// (in the unlocked run two interleaved writes can leave garbage for good).
const GIVE_UP_AFTER_MS = 2_000;

const report: AgentReport = {
  name: me, lang: 'node', attempted: 0, claims: 0, dones: 0, bumps: 0, events: 0, completed: [], torn: 0, gaveUp: null, ms: 0,
};

class Torn extends Error {}
class GiveUp extends Error {}
/** Thrown from a modify function to leave the file as it is (nothing to claim). */
class NoChange extends Error {}

const queuePath = path.join(dir, QUEUE);
const statusPath = path.join(dir, STATUS);
const backend = new FileSystemBackend(dir, { timeout: 20_000 });
const rmw = {
  [queuePath]: new ReadModifyWrite<unknown>(queuePath, undefined, { timeout: 20_000 }),
  [statusPath]: new ReadModifyWrite<unknown>(statusPath, undefined, { timeout: 20_000 }),
};

/**
 * One read-modify-write of `file`. `check` rejects torn reads, which are
 * counted and retried rather than written back: the contrast run should
 * measure the damage of unlocked writes, not compound it. `fn` changes the
 * data in place and returns what the caller wants to know.
 */
async function update<D, R>(file: string, check: (data: unknown) => D | null, fn: (data: D) => R): Promise<R> {
  let tornSince = 0;
  // Backing off keeps a file that stays torn from being counted thousands of times.
  let backoff = 1;
  for (;;) {
    try {
      return mode === 'locked' ? await lockedUpdate(file, check, fn) : unlockedUpdate(file, check, fn);
    } catch (err) {
      if (!(err instanceof Torn)) throw err;
      report.torn += 1;
      tornSince ||= Date.now();
      if (Date.now() - tornSince > GIVE_UP_AFTER_MS) throw new GiveUp(`${path.basename(file)} stayed unreadable`);
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 50);
    }
  }
}

async function lockedUpdate<D, R>(file: string, check: (data: unknown) => D | null, fn: (data: D) => R): Promise<R> {
  let result: R | undefined;
  try {
    await rmw[file].execute((raw) => {
      const data = check(raw);
      if (data === null) throw new Torn();
      result = fn(data);
      return data;
    });
  } catch (err) {
    if (err instanceof FileLockingError && err.code === 'EPARSE') throw new Torn();
    throw err;
  }
  return result as R;
}

// The plan's "current state" code: plain read, modify, truncate-and-write.
function unlockedUpdate<D, R>(file: string, check: (data: unknown) => D | null, fn: (data: D) => R): R {
  let raw: unknown;
  try {
    raw = parseYaml(fs.readFileSync(file).toString('utf8'));
  } catch {
    throw new Torn();
  }
  const data = check(raw);
  if (data === null) throw new Torn();
  const result = fn(data);
  fs.writeFileSync(file, dumpYaml(data));
  return result;
}

const checkQ = (raw: unknown): Task[] | null => checkQueue(raw, taskCount, agents);
const checkS = (raw: unknown): Record<string, number> | null => checkStatus(raw, agents);

async function claim(): Promise<number | null> {
  try {
    return await update(queuePath, checkQ, (tasks) => {
      const task = tasks.find((t) => t.status === 'pending');
      if (!task) throw new NoChange();
      task.status = 'claimed';
      task.owner = me;
      task.attempts += 1;
      return task.id;
    });
  } catch (err) {
    if (err instanceof NoChange) return null;
    throw err;
  }
}

async function publish(task: number): Promise<void> {
  const record = { agent: me, event: 'task_done', task, at: new Date().toISOString() };
  if (mode === 'locked') await backend.append(EVENTS, record);
  else fs.appendFileSync(path.join(dir, EVENTS), JSON.stringify(record) + '\n');
}

async function run(): Promise<void> {
  while (Date.now() < deadline) {
    const id = await claim();
    if (id === null) return;
    report.attempted += 1;
    report.claims += 1;
    await sleep(1 + Math.random() * 4);
    report.attempted += 1;
    await update(queuePath, checkQ, (tasks) => {
      const task = tasks.find((t) => t.id === id) as Task;
      task.status = 'done';
    });
    report.dones += 1;
    report.completed.push(id);
    report.attempted += 1;
    await update(statusPath, checkS, (counts) => { counts[me] += 1; });
    report.bumps += 1;
    report.attempted += 1;
    await publish(id);
    report.events += 1;
  }
  report.gaveUp = 'deadline passed';
}

async function main(): Promise<void> {
  process.stdout.write('ready\n');
  // The parent releases every agent at once, so they contend from the start.
  await new Promise<void>((resolve) => {
    process.stdin.once('data', () => resolve());
    // The parent went away before the start: nothing to do.
    process.stdin.once('end', () => process.exit(1));
  });
  process.stdin.destroy();
  const t0 = performance.now();
  try {
    await run();
  } catch (err) {
    if (!(err instanceof GiveUp)) throw err;
    report.gaveUp = err.message;
  }
  report.ms = Math.round(performance.now() - t0);
  process.stdout.write(REPORT_TAG + JSON.stringify(report) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${me}: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
