/**
 * `file-locking write|read|update|holders`: the library's durable file
 * operations for shell scripts. Each takes FILE and locks FILE.lock, as the
 * library and the Python peer do. -w is seconds here too.
 * @internal
 */
import { parseArgs } from 'node:util';
import * as fs from 'node:fs';
import { lockHolders } from '../lock/holders';
import { AtomicFileWriter } from '../durable/atomic-file-writer';
import { SafeFileReader } from '../durable/safe-file-reader';
import { ReadModifyWrite } from '../durable/read-modify-write';
import { cliUsageError, isErrno, notMappingError, readError } from '../errors';
import { parseYaml } from '../yaml';
import { EXIT } from './exit-codes';
import { help } from './help';

const TIMEOUT_OPTION = { timeout: { type: 'string', short: 'w' } } as const;

/** -w/--timeout SECONDS (fractional) as the library's ms; 30 s when absent. */
function timeoutMs(value: string | undefined): number {
  if (value === undefined) return 30_000;
  const n = value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(n) || n < 0) throw cliUsageError(`invalid timeout value: '${value}' (-w takes seconds, e.g. -w 2 or -w 0.5)`);
  return n * 1000;
}

function one(positionals: string[], what: string, command: string): string {
  if (positionals.length !== 1) throw cliUsageError(`${command} takes one ${what}; see "file-locking ${command} --help"`);
  return positionals[0];
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function cmdWrite(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true, allowNegative: true, options: {
      ...TIMEOUT_OPTION, durable: { type: 'boolean', default: true }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return help('write');
  const file = one(positionals, 'FILE', 'write');
  const data = await readStdin();
  await new AtomicFileWriter(file, undefined, { timeout: timeoutMs(values.timeout), durable: values.durable }).write(data);
  return EXIT.ok;
}

export async function cmdRead(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true, options: { ...TIMEOUT_OPTION, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return help('read');
  const file = one(positionals, 'FILE', 'read');
  const timeout = timeoutMs(values.timeout);
  // Locking would create FILE.lock: when neither file exists there is nothing
  // to read and nothing to leave behind. Once the lock file exists, a writer
  // may be mid-write, so the read waits for it as usual.
  try {
    fs.statSync(file);
  } catch (err) {
    if (isErrno(err, 'ENOENT') && !fs.existsSync(`${file}.lock`)) throw readError(file, err);
  }
  const text = await new SafeFileReader(file, undefined, { timeout }).read();
  process.stdout.write(text);
  return EXIT.ok;
}

type Mapping = Record<string, unknown>;
const isMapping = (v: unknown): v is Mapping => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
const kindOf = (v: unknown): string => (Array.isArray(v) ? 'a list' : v instanceof Date ? 'a timestamp' : `a ${typeof v}`);

function setPath(file: string, root: Mapping, keyPath: string, value: unknown): void {
  const keys = keyPath.split('.');
  let node = root;
  for (const [i, key] of keys.slice(0, -1).entries()) {
    const next = node[key];
    if (next === undefined || next === null) node[key] = {};
    else if (!isMapping(next)) throw notMappingError(file, keys.slice(0, i + 1).join('.'), kindOf(next));
    node = node[key] as Mapping;
  }
  node[keys[keys.length - 1]] = value;
}

/** KEY.PATH=VALUE, in command-line order, VALUE read as YAML (--set) or kept as text (--set-string). */
function assignments(argv: string[]): { key: string; value: unknown }[] {
  const { tokens } = parseArgs({
    args: argv, allowPositionals: true, allowNegative: true, tokens: true, options: {
      set: { type: 'string', multiple: true }, 'set-string': { type: 'string', multiple: true },
      ...TIMEOUT_OPTION, durable: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
  const out: { key: string; value: unknown }[] = [];
  for (const t of tokens) {
    if (t.kind !== 'option' || (t.name !== 'set' && t.name !== 'set-string')) continue;
    const s = t.value as string;
    const eq = s.indexOf('=');
    if (eq <= 0) throw cliUsageError(`--${t.name} takes KEY.PATH=VALUE, got "${s}"`);
    const key = s.slice(0, eq);
    if (key.split('.').some((k) => k === '')) throw cliUsageError(`--${t.name}: empty key in "${key}"`);
    const text = s.slice(eq + 1);
    out.push({ key, value: t.name === 'set' ? parseYaml(text) : text });
  }
  return out;
}

export async function cmdUpdate(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true, allowNegative: true, options: {
      set: { type: 'string', multiple: true }, 'set-string': { type: 'string', multiple: true },
      ...TIMEOUT_OPTION, durable: { type: 'boolean', default: true }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return help('update');
  const file = one(positionals, 'FILE', 'update');
  const sets = assignments(argv);
  if (sets.length === 0) throw cliUsageError('update needs at least one --set KEY.PATH=VALUE or --set-string KEY.PATH=TEXT');
  const rmw = new ReadModifyWrite<unknown>(file, undefined, { initial: {}, timeout: timeoutMs(values.timeout), durable: values.durable });
  await rmw.execute((data) => {
    const root = data === null || data === undefined ? {} : data;
    if (!isMapping(root)) throw notMappingError(file, 'a key', kindOf(root));
    for (const { key, value } of sets) setPath(file, root, key, value);
    return root;
  });
  return EXIT.ok;
}

export function cmdHolders(argv: string[]): number {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) return help('holders');
  const file = one(positionals, 'FILE', 'holders');
  const targets = [file, `${file}.lock`].filter((p) => fs.existsSync(p));
  if (targets.length === 0) {
    throw readError(file, Object.assign(new Error(`neither ${file} nor ${file}.lock exists`), { code: 'ENOENT' }));
  }
  for (const target of targets) {
    const holders = lockHolders(target);
    if (holders.length === 0) {
      process.stdout.write(`${target}: no locks${process.platform === 'linux' ? '' : ' visible (this OS cannot tell)'}\n`);
    }
    for (const h of holders) {
      process.stdout.write(`${target}: ${h.waiting ? 'waiting' : 'held'} ${h.mode} ${h.kind} pid ${h.pid}${h.command ? ` (${h.command})` : ''}\n`);
    }
  }
  return EXIT.ok;
}
