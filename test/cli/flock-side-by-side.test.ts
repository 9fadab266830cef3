import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { once } from 'node:events';
import { lockHolders } from '../../lib';
import { sleep } from '../helpers';
import { TOOLS, type Tool, argvOf, hasFlock, holderSandbox, run, script } from './cli-helpers';

// Every row of the README's table "file-locking beside flock(1)": each case runs
// util-linux flock(1) and file-locking the same way and expects the same exit code.
describe('the CLI beside util-linux flock(1): same forms, units and exit codes on the same lock', function () {
  this.timeout(60_000);
  const t = holderSandbox();
  before(function () { if (!hasFlock) this.skip(); });

  /** Both tools' exit codes for `args`; `{F}` and `{D}` stand for a lock file and a directory. */
  const both = (args: string[]): Record<Tool, number | null> => {
    fs.mkdirSync(t.file('d'), { recursive: true });
    const argv = args.map((a) => a.replace('{F}', t.file('f.lock')).replace('{D}', t.file('d')));
    return { flock: run('flock', argv).status, 'file-locking': run('file-locking', argv).status };
  };
  const same = (args: string[], code: number): void => {
    assert.deepEqual(both(args), { flock: code, 'file-locking': code }, args.join(' '));
  };

  it('with the lock free: command forms, -c, directories, and their exit codes match', () => {
    same(['-n', '{F}', 'true'], 0);
    same(['{F}', 'sh', '-c', 'exit 5'], 5);
    same(['{F}', '-c', 'exit 7'], 7);
    same(['{F}', '--command', 'exit 7'], 7);
    same(['-s', '{F}', 'true'], 0);
    same(['-x', '-w', '1', '{F}', 'true'], 0);
    same(['-e', '--timeout=1.5', '{F}', 'true'], 0);
    same(['-nw1', '{F}', 'true'], 0);
    same(['--non', '{F}', 'true'], 0);
    same(['-o', '{F}', 'true'], 0);
    same(['-u', '{F}', 'true'], 0);
    same(['{D}', 'true'], 0);
    same(['{F}', 'sh', '-c', 'kill -TERM $$'], 128 + 15);
  });

  it('failures: usage 64, bad descriptor 65, unopenable lock file 66, command not executable 69', () => {
    for (const bad of [[], ['{F}'], ['-w', 'abc', '{F}', 'true'], ['--bogus', '{F}', 'true'], ['-E', '300', '-n', '{F}', 'true'],
      ['-E', 'x', '{F}', 'true'], ['{F}', '-c'], ['{F}', '-c', 'true', 'extra'], ['-o', '-F', '{F}', 'true'], ['-c', 'true', '{F}']]) {
      same(bad, 64);
    }
    same(['-n', '57'], 65);
    same([t.file('no/such/dir/f.lock'), 'true'], 66);
    same(['{F}', t.file('no-such-command')], 69);
    same(['{F}', t.dir], 69);
  });

  it('the documented differences: -F refused, "--" after FILE separates, -w -1 is a usage error', () => {
    assert.deepEqual(both(['-F', '{F}', 'true']), { flock: 0, 'file-locking': 64 });
    assert.deepEqual(both(['{F}', '--', 'true']), { flock: 69, 'file-locking': 0 });
    assert.deepEqual(both(['-w', '-1', '{F}', 'true']), { flock: 71, 'file-locking': 64 });
    const f = run('file-locking', ['-F', t.file('f.lock'), 'true']);
    assert.match(f.stderr, /^file-locking: -F\/--no-fork is not supported: Node cannot replace itself/);
  });

  it('-V prints a version and -h the usage, both exit 0', () => {
    for (const tool of TOOLS) {
      const v = run(tool, ['-V']);
      assert.equal(v.status, 0);
      assert.match(v.stdout, tool === 'flock' ? /util-linux/ : new RegExp(`^file-locking ${require('../../../package.json').version}\n$`));
      const h = run(tool, ['-h']);
      assert.equal(h.status, 0);
      assert.match(h.stdout, /-w, --timeout/);
    }
  });

  for (const [holder, other] of [['flock', 'file-locking'], ['file-locking', 'flock']] as const) {
    it(`while ${holder} holds the lock, ${other} -n exits 1, -E N exits N, -s -n exits 1, -w 0 exits 1`, async () => {
      await t.hold(holder, [t.file('f.lock')]);
      const r = run(other, ['-n', t.file('f.lock'), 'true']);
      assert.equal(r.status, 1, r.stderr);
      assert.equal(run(other, ['-n', '-E', '42', t.file('f.lock'), 'true']).status, 42);
      assert.equal(run(other, ['-s', '-n', t.file('f.lock'), 'true']).status, 1);
      assert.equal(run(other, ['-w', '0', t.file('f.lock'), 'true']).status, 1);
    });

    it(`while ${holder} holds a directory's lock, ${other} -n on the directory exits 1`, async () => {
      fs.mkdirSync(t.file('d'));
      await t.hold(holder, [t.file('d')]);
      assert.equal(run(other, ['-n', t.file('d'), 'true']).status, 1);
    });
  }

  it('-w is seconds, fractional: -w 0.3 gives up after at least 0.25 s, before the holder lets go (both tools)', async () => {
    await t.hold('flock', [t.file('f.lock')]);
    for (const tool of TOOLS) {
      const started = performance.now();
      const r = run(tool, ['-w', '0.3', t.file('f.lock'), 'true']);
      const took = performance.now() - started;
      assert.equal(r.status, 1, `${tool}: ${r.stderr}`);
      assert.ok(took >= 250, `${tool} gave up after ${took} ms`);
    }
    // The holder never let go: it still holds the lock.
    assert.equal(run('flock', ['-n', t.file('f.lock'), 'true']).status, 1);
  });

  it('-w waits and gets the lock once the holder lets go (both tools, either holding)', async () => {
    for (const [holder, waiter] of [['file-locking', 'flock'], ['flock', 'file-locking']] as const) {
      const h = await t.hold(holder, [t.file('f.lock')]);
      const [cmd, ...pre] = argvOf(waiter);
      const c = t.spawn(cmd, [...pre, '-w', '20', t.file('f.lock'), 'true']);
      setTimeout(() => process.kill(-(h.pid as number), 'SIGKILL'), 300);
      const [code] = await once(c, 'exit');
      assert.equal(code, 0, `${waiter} waiting for ${holder}`);
    }
  });

  it('-w waits in the kernel (both tools): while waiting, each is listed in /proc/locks as a waiter of the lock', async function () {
    if (process.platform !== 'linux') this.skip();
    await t.hold('flock', [t.file('f.lock')]);
    for (const tool of TOOLS) {
      const [cmd, ...pre] = argvOf(tool);
      const c = t.spawn(cmd, [...pre, '-w', '20', t.file('f.lock'), 'true']);
      // A LOCK_NB poll never shows there: only a blocked flock(2) is a waiter.
      let waiting = false;
      for (let i = 0; i < 200 && !waiting; i++) {
        waiting = lockHolders(t.file('f.lock')).some((h) => h.waiting && h.pid === c.pid);
        if (!waiting) await sleep(15);
      }
      c.kill('SIGKILL');
      await once(c, 'exit');
      assert.ok(waiting, `${tool} -w 20 never appeared as a waiter in /proc/locks`);
    }
  });

  it('descriptor form: exec 9>F; TOOL -n 9 locks the shell\'s open file, which stays locked after TOOL exits', () => {
    for (const tool of TOOLS) {
      const r = script(tool, 'exec 9>f.lock; $TOOL -n 9 || exit 99; flock -n f.lock true; echo "other=$?"; ' +
        '$TOOL -u 9 || exit 98; flock -n f.lock true; echo "after-unlock=$?"', t.dir);
      assert.equal(r.status, 0, `${tool}: ${r.stderr}`);
      assert.equal(r.stdout, 'other=1\nafter-unlock=0\n', tool);
    }
  });

  it('descriptor form: `TOOL -n 9` exits 1 (-E N: N) while another process holds the lock, so `|| exit` works', async () => {
    await t.hold('flock', [t.file('f.lock')]);
    for (const tool of TOOLS) {
      const r = script(tool, 'exec 9>f.lock; $TOOL -n 9; echo "rc=$?"; $TOOL -n -E 7 9 || exit; echo got-it', t.dir);
      assert.equal(r.status, 7, tool);
      assert.equal(r.stdout, 'rc=1\n', tool);
    }
  });

  it('the command inherits the lock: a job it leaves in the background keeps it; with -o it does not', () => {
    for (const tool of TOOLS) {
      for (const [opts, busyAfter] of [[[], 1], [['-o'], 0]] as const) {
        const pidFile = t.file(`bg-${tool}-${opts.length}`);
        const r = run(tool, [...opts, t.file('f.lock'), 'sh', '-c', `sleep 30 </dev/null >/dev/null 2>&1 & echo $! > ${pidFile}`]);
        assert.equal(r.status, 0, r.stderr);
        const bg = Number(fs.readFileSync(pidFile, 'utf8'));
        try {
          assert.equal(run('flock', ['-n', t.file('f.lock'), 'true']).status, busyAfter, `${tool} ${opts.join(' ')}`);
        } finally {
          process.kill(bg, 'SIGKILL');
        }
      }
    }
  });

  it('-c runs the command string with $SHELL -c, as flock(1) does', () => {
    for (const tool of TOOLS) {
      const r = script(tool, '$TOOL "$PWD/f.lock" -c \'echo "$0 $1"\'', t.dir, { ...process.env, SHELL: '/bin/sh' });
      assert.equal(r.stdout, '/bin/sh \n', tool);
    }
  });
});
