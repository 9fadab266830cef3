/**
 * What the demo's parent and its Node agents agree on: file names, the shape
 * of the shared files, and the report an agent prints when it stops.
 * demo/py_agent.py mirrors these rules; keep the two in step.
 */

export const QUEUE = 'queue.yaml';
export const STATUS = 'status.yaml';
export const EVENTS = 'events.log';

export type Mode = 'locked' | 'unlocked';

export interface Task {
  id: number;
  status: 'pending' | 'claimed' | 'done';
  owner: string | null;
  attempts: number;
}

/** The last stdout line of every agent, prefixed with REPORT_TAG. */
export interface AgentReport {
  name: string;
  lang: 'node' | 'python';
  /** Updates begun; more than the writes below only when the agent gave up mid-update. */
  attempted: number;
  /** Writes the agent made, by kind; each one is an update that must show in the files. */
  claims: number;
  dones: number;
  bumps: number;
  events: number;
  /** Task ids this agent worked on and marked done, in order. */
  completed: number[];
  /** Reads that found a file unparseable or cut short. */
  torn: number;
  /** Set when the agent stopped early (a file stayed unreadable, the deadline passed). */
  gaveUp: string | null;
  ms: number;
}

export const REPORT_TAG = 'REPORT ';

const STATUSES = new Set(['pending', 'claimed', 'done']);

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * The queue as read, or null when it is torn. A write cut short can still
 * parse (a shorter list, a task missing its last keys, `id: 1` from `id: 12`),
 * so "parses" is not enough: the full set of ids and well-formed fields must
 * be there, or a reader would write back a queue with tasks missing.
 */
export function checkQueue(data: unknown, tasks: number, agents: readonly string[]): Task[] | null {
  if (!Array.isArray(data) || data.length !== tasks) return null;
  const seen = new Set<number>();
  for (const t of data as unknown[]) {
    if (t === null || typeof t !== 'object' || Array.isArray(t)) return null;
    const { id, status, owner, attempts } = t as Record<string, unknown>;
    if (!isCount(id) || id < 1 || id > tasks || seen.has(id)) return null;
    if (typeof status !== 'string' || !STATUSES.has(status)) return null;
    if (owner !== null && !(typeof owner === 'string' && agents.includes(owner))) return null;
    if (!isCount(attempts)) return null;
    if (Object.keys(t).length !== 4) return null;
    seen.add(id);
  }
  return data as Task[];
}

/** The per-agent counters as read, or null when torn (see {@link checkQueue}). */
export function checkStatus(data: unknown, agents: readonly string[]): Record<string, number> | null {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return null;
  const rec = data as Record<string, unknown>;
  if (Object.keys(rec).length !== agents.length) return null;
  for (const a of agents) if (!isCount(rec[a])) return null;
  return rec as Record<string, number>;
}

export function initialQueue(tasks: number): Task[] {
  return Array.from({ length: tasks }, (_, i) => ({ id: i + 1, status: 'pending' as const, owner: null, attempts: 0 }));
}

export function initialStatus(agents: readonly string[]): Record<string, number> {
  return Object.fromEntries(agents.map((a) => [a, 0]));
}
