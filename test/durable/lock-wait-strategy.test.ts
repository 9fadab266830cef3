// ReadModifyWrite, AtomicFileWriter and SafeFileReader take FileLock's
// waitStrategy / pollInterval: with 'poll' a blocked update waits by retrying
// non-blocking flock calls, never in a blocking flock(2). On CephFS a flock
// request waiting in the MDS holds up the other clients' opens and renames
// until the MDS's next tick; polling keeps it out of there.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Locker, ROOT, sandbox, sleep } from '../helpers';
import { hasStrace, traced } from '../fixtures/rel_strace';
import { AtomicFileWriter, ReadModifyWrite, SafeFileReader } from '../../lib';

const LIB = path.join(ROOT, 'dist', 'lib');

describe('the wait strategy of the file classes\' lock', function () {
  this.timeout(60_000);
  const t = sandbox();

  it('rejects an unknown waitStrategy and a bad pollInterval in each file class', () => {
    const f = t.file('s.yaml');
    for (const make of [
      (o: object) => new ReadModifyWrite(f, undefined, o), (o: object) => new AtomicFileWriter(f, undefined, o),
      (o: object) => new SafeFileReader(f, undefined, o),
    ]) {
      assert.throws(() => make({ waitStrategy: 'spin' }), { code: 'EINVALIDOPTION', message: /"kernel" or "poll"/ });
      assert.throws(() => make({ waitStrategy: 'poll', pollInterval: -1 }), { code: 'EINVALIDOPTION' });
      make({ waitStrategy: 'poll', pollInterval: 5 });
    }
  });

  for (const strategy of ['poll', 'kernel'] as const) {
    it(`${strategy}: a ReadModifyWrite, AtomicFileWriter and SafeFileReader blocked by another process ${strategy === 'poll' ? 'retry LOCK_NB and never block in flock' : 'wait in a blocking flock'}`, async function () {
      if (process.platform !== 'linux' || !hasStrace()) this.skip();
      const file = t.file('s.yaml');
      fs.writeFileSync(file, 'n: 0\n');
      const holder = Locker.start(t, `${file}.lock`);
      assert.match(await holder.send('acquire exclusive'), /^ok/);
      const o = JSON.stringify({ waitStrategy: strategy, pollInterval: 10 });
      const script = `const l = require(${JSON.stringify(LIB)}); const f = ${JSON.stringify(file)}, o = ${o};
        (async () => {
          await new l.ReadModifyWrite(f, undefined, o).execute((d) => ({ n: d.n + 1 }));
          await new l.AtomicFileWriter(f, undefined, o).write('n: 2\\n');
          console.log(await new l.SafeFileReader(f, undefined, o).read());
        })().catch((e) => { console.error(e); process.exit(1); });`;
      const run = traced(t.file('strace.log'), ['-e', 'trace=flock'], [process.execPath, '-e', script], t.spawn);
      await sleep(500);
      assert.match(await holder.send('release'), /^ok/);
      const { calls, stdout, code } = await run;
      assert.equal(code, 0);
      assert.equal(stdout, 'n: 2\n\n');
      const blocking = calls.filter((c) => /LOCK_(EX|SH)/.test(c.args) && !c.args.includes('LOCK_NB'));
      const tries = calls.filter((c) => c.args.includes('LOCK_NB') && c.ret.startsWith('-1 EAGAIN'));
      if (strategy === 'poll') {
        assert.deepEqual(blocking.map((c) => c.args), [], 'no blocking flock');
        assert.ok(tries.length >= 5, `${tries.length} refused LOCK_NB tries in 500 ms at 10 ms`);
      } else {
        assert.ok(blocking.length >= 1, 'the wait is a blocking flock');
      }
    });
  }
});
