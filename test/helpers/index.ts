import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';

/** The repository root, from dist/test/helpers/. */
export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const FIXTURES_SRC = path.join(ROOT, 'test', 'fixtures');
export const FIXTURES_JS = path.join(__dirname, '..', 'fixtures');
/** Debian's python3, which has python3-yaml (the pyenv python3 on PATH does not). */
export const PYTHON = '/usr/bin/python3';

export function hasPython(withYaml = false): boolean {
  if (!fs.existsSync(PYTHON)) return false;
  if (!withYaml) return true;
  const r = require('node:child_process').spawnSync(PYTHON, ['-c', 'import yaml'], { stdio: 'ignore' });
  return r.status === 0;
}

/**
 * A temp directory and a set of children per test, both cleaned up after it.
 * Use inside a describe(): `const t = sandbox();` then `t.dir`, `t.spawn(...)`.
 */
export function sandbox(): { readonly dir: string; spawn(cmd: string, args: string[], opts?: SpawnOptions): ChildProcess; file(name: string): string } {
  let dir = '';
  const children = new Set<ChildProcess>();
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'file-locking-test-'));
  });
  afterEach(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    }
    children.clear();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    get dir() { return dir; },
    file: (name: string) => path.join(dir, name),
    spawn(cmd, args, opts = {}) {
      const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'], ...opts });
      children.add(child);
      return child;
    },
  };
}

/** Resolves with the first stdout line of `child` that matches `re`. */
export function waitForLine(child: ChildProcess, re: RegExp, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => done(new Error(`no line matching ${re} within ${timeoutMs} ms; got: ${buf}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      buf += chunk.toString();
      const lines = buf.split('\n');
      for (const line of lines.slice(0, -1)) if (re.test(line)) return done(null, line);
    };
    const onExit = (code: number | null): void => done(new Error(`child exited (${code}) before a line matching ${re}; got: ${buf}`));
    const done = (err: Error | null, line?: string): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err); else resolve(line as string);
    };
    child.stdout?.on('data', onData);
    child.on('exit', onExit);
  });
}

/** A Node child running test/fixtures/locker.ts, driven line by line over stdin/stdout. */
export class Locker {
  constructor(readonly child: ChildProcess) {}

  static start(t: ReturnType<typeof sandbox>, lockFile: string, env: NodeJS.ProcessEnv = {}): Locker {
    return new Locker(t.spawn(process.execPath, [path.join(FIXTURES_JS, 'locker.js'), lockFile], {
      env: { ...process.env, ...env },
    }));
  }

  /** Sends one command and waits for its reply line (`ok …` or `err CODE`). */
  async send(cmd: string): Promise<string> {
    const reply = waitForLine(this.child, /^(ok|err)\b/);
    this.child.stdin?.write(cmd + '\n');
    return reply;
  }

  /** Starts a command without waiting for its reply. */
  post(cmd: string): Promise<string> {
    const reply = waitForLine(this.child, /^(ok|err)\b/, 60_000);
    this.child.stdin?.write(cmd + '\n');
    return reply;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
