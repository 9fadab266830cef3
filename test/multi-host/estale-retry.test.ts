// ESTALE ("stale file handle", errno 116), as a network file system returns
// it when another client replaced or removed a file: injected with strace on
// a local file. Node 20 has no name for it (`code` is 'Unknown system error
// -116'); the library retries the read or rename once, and otherwise reports
// a FileLockingError with code 'ESTALE' naming the file. Never a crash.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES_JS, sandbox } from '../helpers';
import { skipWithoutStrace, traced } from '../fixtures/rel_strace';

type Outcome = { ok: true; result: unknown } | { ok: false; name: string; code: string; message: string; path: string; causeCode?: string };

describe('ESTALE from a network file system: retried once, else a clear FileLockingError', function () {
  this.timeout(60_000);
  const t = sandbox();
  const ORIGINAL = 'counter: 41\nname: original\n';

  skipWithoutStrace();

  async function run(straceArgs: string[], op: string): Promise<{ r: Outcome; injected: number; file: string }> {
    const file = t.file('data.yaml');
    fs.writeFileSync(file, ORIGINAL);
    const log = t.file('strace.log');
    const spec = { op, file, data: op.startsWith('rmw') ? 'new' : 'new contents\n' };
    const { calls, stdout, code } = await traced(log, straceArgs, [process.execPath, path.join(FIXTURES_JS, 'rel_ops.js'), JSON.stringify(spec)], t.spawn);
    fs.unlinkSync(log);
    assert.equal(code, 0, `the child crashed: ${stdout}`);
    return { r: JSON.parse(stdout) as Outcome, injected: calls.filter((c) => c.injected).length, file };
  }

  const READS = ['trace=read,pread64,readv,preadv'];
  const readFault = (when: string): string[] => ['-e', READS[0], '-e', `inject=read,pread64,readv,preadv:error=ESTALE${when}`];
  const RENAMES = 'rename,renameat,renameat2';
  const renameFault = (when: string): string[] => ['-e', `trace=${RENAMES}`, '-e', `inject=${RENAMES}:error=ESTALE${when}`];

  for (const op of ['read', 'readSync', 'rmw', 'rmwSync']) {
    it(`one ESTALE on reading the file (${op}) is retried and the operation succeeds`, async () => {
      const file = t.file('data.yaml');
      const { r, injected } = await run(['-P', file, ...readFault(':when=1')], op);
      assert.equal(injected, 1);
      assert.equal(r.ok, true, JSON.stringify(r));
      if (op.startsWith('read')) assert.equal((r as { result: unknown }).result, ORIGINAL);
      else assert.equal(fs.readFileSync(file).toString('utf8'), 'counter: 41\nkey: new\nname: original\n');
    });

    it(`ESTALE on every read (${op}) is a FileLockingError with code ESTALE naming the file, the file unchanged`, async () => {
      const file = t.file('data.yaml');
      const { r, injected } = await run(['-P', file, ...readFault('')], op);
      assert.equal(injected, 2, 'one try and one retry');
      assert.equal(r.ok, false, JSON.stringify(r));
      if (r.ok) return;
      assert.equal(r.name, 'FileLockingError');
      assert.equal(r.code, 'ESTALE');
      assert.equal(r.path, file);
      assert.ok(r.message.includes(file) && /[Ss]tale file handle/.test(r.message), r.message);
      assert.equal(fs.readFileSync(file).toString('utf8'), ORIGINAL);
    });
  }

  for (const op of ['write', 'writeSync', 'rmw']) {
    it(`one ESTALE on the rename (${op}) is retried and the file is replaced`, async () => {
      const { r, injected, file } = await run(renameFault(':when=1'), op);
      assert.equal(injected, 1);
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.notEqual(fs.readFileSync(file).toString('utf8'), ORIGINAL);
      assert.deepEqual(fs.readdirSync(t.dir).filter((n) => n.endsWith('.tmp')), []);
    });

    it(`ESTALE on every rename (${op}) is a FileLockingError with code ESTALE naming the file, original intact, no temp file left`, async () => {
      const { r, injected, file } = await run(renameFault(''), op);
      assert.equal(injected, 2, 'one try and one retry');
      assert.equal(r.ok, false, JSON.stringify(r));
      if (r.ok) return;
      assert.equal(r.name, 'FileLockingError');
      assert.equal(r.code, 'ESTALE');
      assert.equal(r.path, file);
      assert.match(r.message, /left as it was/);
      assert.equal(fs.readFileSync(file).toString('utf8'), ORIGINAL);
      assert.deepEqual(fs.readdirSync(t.dir).filter((n) => n.endsWith('.tmp')), []);
    });
  }
});
