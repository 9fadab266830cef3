import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES_JS } from '../helpers';
import { fdArg, pathOfFd, skipWithoutStrace, traced, type Call } from '../fixtures/rel_strace';
import { badInputSandbox, ORIGINAL, NEW, OPS, type Outcome, assertIntact, assertNoTemp, childFileError } from '../helpers/bad-input';

describe('bad input: a clear error naming the path and cause, the original byte-identical, no temp file left', function () {
  this.timeout(60_000);
  const { t, seed } = badInputSandbox();

  describe('faults injected with strace', () => {
    skipWithoutStrace();

    async function injected(inject: string[], op: string, file: string): Promise<{ r: Outcome; calls: Call[] }> {
      const spec = { op, file, data: op.startsWith('rmw') ? 'new' : NEW };
      const log = t.file('strace.log');
      const { calls, stdout } = await traced(log, inject, [process.execPath, path.join(FIXTURES_JS, 'rel_ops.js'), JSON.stringify(spec)], t.spawn);
      fs.unlinkSync(log);
      return { r: JSON.parse(stdout) as Outcome, calls };
    }

    for (const op of [...OPS, 'writeCb']) {
      it(`EIO on the temp file's fsync (${op}): EIO naming the file, original intact, temp file removed`, async () => {
        const file = seed();
        // Every fsync fails; the temp file's is the first one, and the write stops there.
        const { r, calls } = await injected(['-e', 'trace=openat,close,fsync,fdatasync,rename,unlink', '-e', 'inject=fsync,fdatasync:error=EIO'], op, file);
        const err = childFileError(r, file, 'EIO');
        assert.match(err.message, /left as it was/);
        const hits = calls.filter((c) => c.injected);
        assert.equal(hits.length, 1, 'one injected fault');
        assert.match(path.basename(pathOfFd(calls, fdArg(hits[0]), hits[0]) ?? ''), /^\.data\.yaml\.\d+\.[0-9a-f]{12}\.tmp$/, 'the fault hit the temp file');
        assertIntact(file, ORIGINAL);
        assertNoTemp(t.dir);
      });
    }

    for (const op of ['write', 'writeSync', 'rmw']) {
      it(`EIO on the directory's fsync after the rename (${op}): EIO naming the file, and the message says the new contents are in place but not durable`, async () => {
        const file = seed();
        // -P aims the fault at the directory: only its fsync is traced and tampered with.
        const { r, calls } = await injected(['-P', t.dir, '-e', 'trace=fsync,fdatasync', '-e', 'inject=fsync,fdatasync:error=EIO'], op, file);
        const err = childFileError(r, file, 'EIO');
        assert.match(err.message, /new contents are in place but may not survive a crash/);
        assert.doesNotMatch(err.message, /left as it was/);
        assert.equal(calls.filter((c) => c.injected).length, 1);
        assert.equal(fs.readFileSync(file, 'utf8'), op.startsWith('rmw') ? 'counter: 41\nkey: new\nname: original\n' : NEW);
        assertNoTemp(t.dir);
      });
    }

    for (const op of [...OPS, 'writeCb']) {
      it(`EXDEV on the rename (${op}): EXDEV naming the file, original intact, temp file removed`, async () => {
        const file = seed();
        const { r, calls } = await injected(['-e', 'trace=rename,renameat,renameat2,unlink', '-e', 'inject=rename,renameat,renameat2:error=EXDEV'], op, file);
        childFileError(r, file, 'EXDEV');
        const hits = calls.filter((c) => c.injected);
        assert.equal(hits.length, 1, 'one injected fault');
        assert.ok(calls.some((c) => c.name === 'unlink' && c.start > hits[0].end), 'the temp file was unlinked after the failed rename');
        assertIntact(file, ORIGINAL);
        assertNoTemp(t.dir);
      });
    }
  });
});
