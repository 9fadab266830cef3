// Shared by the test/durable/bad-input-*.test.ts suites: every failed write or
// update must give a clear error that names the path and the cause, leave the
// original file byte for byte as it was, no temp file, and the lock free again.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import { AtomicFileWriter, FileLock, FileLockingError, LockError, ReadModifyWrite, closeIdleLockFiles, parseYaml } from '../../lib';
import { FIXTURES_JS, sandbox } from './index';
import { Undo, have, isRoot } from '../fixtures/rel_system';


export const ORIGINAL = 'counter: 41\nname: original\n';
export const NEW = 'counter: 42\nname: new\n';
export const OPS = ['write', 'writeSync', 'rmw', 'rmwSync'] as const;

export type Outcome = { ok: true; result: unknown } | {
  ok: false; name: string; code: string; message: string; path?: string; lockFile?: string; causeCode?: string; causeMessage?: string;
};

export function assertIntact(file: string, before: string | Buffer): void {
  assert.deepEqual(fs.readFileSync(file), Buffer.from(before), `${file} changed`);
}

export function assertNoTemp(dir: string): void {
  assert.deepEqual(fs.readdirSync(dir).filter((n) => /\.tmp$|\.tmp\./.test(n)), [], `temp files left in ${dir}`);
}

export function assertLockFree(lockFile: string): void {
  const h = new FileLock(lockFile).tryAcquire('exclusive');
  assert.ok(h, `${lockFile} is still locked`);
  h.release();
}

/** A FileLockingError with this code, naming `file` (field and message), with a cause of `causeCode`. */
export function fileError(file: string, code: string, causeCode?: string): (err: unknown) => true {
  return (err) => {
    assert.ok(err instanceof FileLockingError, `not a FileLockingError: ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.path, file);
    assert.ok(err.message.includes(file), `the message does not name ${file}: ${err.message}`);
    assert.ok(err.cause !== undefined, 'no cause');
    if (causeCode !== undefined) assert.equal((err.cause as { code?: string }).code, causeCode, err.message);
    return true;
  };
}

/** A LockError ELOCKFILE naming `lockFile`, with a system error `causeCode` as cause. */
export function lockFileError(lockFile: string, causeCode: string): (err: unknown) => true {
  return (err) => {
    assert.ok(err instanceof LockError, `not a LockError: ${String(err)}`);
    assert.equal(err.code, 'ELOCKFILE', err.message);
    assert.equal(err.lockFile, lockFile);
    assert.ok(err.message.includes(lockFile), `the message does not name ${lockFile}: ${err.message}`);
    assert.equal((err.cause as { code?: string }).code, causeCode, err.message);
    return true;
  };
}

/** Runs one operation of rel_ops.js the way each of OPS does, in this process. */
export async function runOp(op: string, file: string, data = NEW): Promise<void> {
  if (op === 'write') await new AtomicFileWriter(file).write(data);
  else if (op === 'writeSync') new AtomicFileWriter(file).writeSync(data);
  else if (op === 'writeCb') await new AtomicFileWriter(file).write(async (out) => { await out.write(data); });
  else if (op === 'rmw') await new ReadModifyWrite<Record<string, unknown>>(file).execute(() => parseYaml(data) as Record<string, unknown>);
  else if (op === 'rmwSync') new ReadModifyWrite<Record<string, unknown>>(file).executeSync(() => parseYaml(data) as Record<string, unknown>);
  else throw new Error(op);
}


export function childFileError(r: Outcome, file: string, code: string, causeCode = code): Extract<Outcome, { ok: false }> {
  assert.equal(r.ok, false, `the operation succeeded: ${JSON.stringify(r)}`);
  if (r.ok) throw new Error('unreachable');
  assert.equal(r.name, 'FileLockingError', r.message);
  assert.equal(r.code, code, r.message);
  assert.equal(r.path, file);
  assert.ok(r.message.includes(file), `the message does not name ${file}: ${r.message}`);
  assert.equal(r.causeCode, causeCode, r.message);
  return r;
}

/**
 * The sandbox of a bad-input suite (call inside describe): a temp dir, mounts
 * undone after each test (before the sandbox removes the dir), and helpers.
 */
export function badInputSandbox() {
  const undo = new Undo();
  // Registered before sandbox(): mounts go before the sandbox removes its directory.
  afterEach(() => {
    closeIdleLockFiles(); // the lock registry keeps idle lock files open; a busy mount cannot be unmounted
    undo.run();
  });
  const t = sandbox();

  /** Runs rel_ops.js under `cmd args` (setpriv ...) and returns its outcome. */
  async function runChild(cmd: string, args: string[], spec: Record<string, unknown>): Promise<Outcome> {
    const child = t.spawn(cmd, [...args, process.execPath, path.join(FIXTURES_JS, 'rel_ops.js'), JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout?.on('data', (c: Buffer) => { out += c.toString(); });
    await once(child, 'close');
    return JSON.parse(out) as Outcome;
  }

  function seed(text = ORIGINAL, name = 'data.yaml', dir = t.dir): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  }

  function requireRoot(ctx: Mocha.Context, ...cmds: string[]): void {
    if (!isRoot) {
      console.log('      skipped: needs root (mounts, setpriv)');
      ctx.skip();
    }
    const missing = cmds.filter((c) => !have(c));
    if (missing.length > 0) {
      console.log(`      skipped: missing ${missing.join(', ')}`);
      ctx.skip();
    }
  }

  return { t, undo, runChild, seed, requireRoot };
}
