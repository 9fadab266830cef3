import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { FileLock } from '../lib';
import { sandbox, waitForLine } from './helpers';

const CLI = path.resolve(__dirname, '..', 'lib', 'cli.js');
const cli = (args: string[], input?: string) => spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8' });
const hasFlock = spawnSync('flock', ['--version']).status === 0;

describe('the file-locking CLI', () => {
  const t = sandbox();

  it('run holds the lock while the command runs and passes its exit code through', async () => {
    const lockFile = t.file('job.lock');
    const r = cli(['run', lockFile, '--', process.execPath, '-e', `
      const { FileLock } = require(${JSON.stringify(path.resolve(__dirname, '..', 'lib'))});
      const busy = new FileLock(${JSON.stringify(lockFile)}).tryAcquire('exclusive') === null;
      process.exit(busy ? 7 : 9);`]);
    assert.equal(r.status, 7, r.stderr);
    assert.ok(new FileLock(lockFile).tryAcquire('exclusive')?.release() === undefined);
  });

  it('run --nonblock exits with the conflict code, 1 by default or --conflict-exit-code, while the lock is busy', async () => {
    const lockFile = t.file('busy.lock');
    const h = await new FileLock(lockFile).acquire('exclusive');
    try {
      const r = cli(['run', '--nonblock', lockFile, '--', 'true']);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /busy/);
      assert.equal(cli(['run', '-n', '-E', '42', lockFile, '--', 'true']).status, 42);
      const timed = cli(['run', '--timeout', '100', lockFile, '--', 'true']);
      assert.equal(timed.status, 1);
      assert.match(timed.stderr, /Timed out/);
      assert.equal(cli(['run', '--shared', '-n', lockFile, '--', 'true']).status, 1);
    } finally {
      h.release();
    }
  });

  it('interoperates with util-linux flock(1) on the same lock file, both ways', async function () {
    if (!hasFlock) this.skip();
    const lockFile = t.file('shared.lock');
    // Its own process group, so that killing it also ends the shell, which inherits the lock.
    const holder = t.spawn('flock', [lockFile, '-c', 'echo held; sleep 30'], { detached: true });
    await waitForLine(holder, /^held/);
    assert.equal(cli(['run', '-n', lockFile, '--', 'true']).status, 1);
    process.kill(-(holder.pid as number), 'SIGKILL');
    const ours = t.spawn(process.execPath, [CLI, 'run', lockFile, '--', 'sh', '-c', 'echo held; sleep 30']);
    await waitForLine(ours, /^held/);
    assert.equal(spawnSync('flock', ['-n', lockFile, 'true']).status, 1);
    ours.kill('SIGTERM');
  });

  it('write replaces a file with stdin; read prints it; update sets YAML values with PyYAML meaning', () => {
    const file = t.file('state.yaml');
    assert.equal(cli(['write', file], 'phase: start\n').status, 0);
    assert.equal(cli(['read', file]).stdout, 'phase: start\n');
    const u = cli(['update', file, '--set', 'phase=done', '--set', 'limits.mode=0755', '--set', 'limits.on=yes', '--no-durable']);
    assert.equal(u.status, 0, u.stderr);
    assert.equal(fs.readFileSync(file, 'latin1'), "limits:\n  mode: 493\n  'on': true\nphase: done\n");
    assert.equal(cli(['update', t.file('new.yaml'), '--set', 'a.b=1']).status, 0);
    assert.equal(fs.readFileSync(t.file('new.yaml'), 'latin1'), 'a:\n  b: 1\n');
  });

  it('holders names the holding process', async function () {
    if (process.platform !== 'linux') this.skip();
    const file = t.file('h.yaml');
    fs.writeFileSync(file, '');
    const h = await new FileLock(`${file}.lock`).acquire('exclusive');
    const r = cli(['holders', file]);
    h.release();
    assert.equal(r.status, 0);
    assert.match(r.stdout, new RegExp(`h\\.yaml\\.lock: held exclusive flock pid ${process.pid}`));
  });

  it('answers --help for every command, and usage errors with exit 2 and one line on stderr', () => {
    for (const c of [[], ['run'], ['write'], ['read'], ['update'], ['holders']]) {
      const r = cli([...c, '--help']);
      assert.equal(r.status, 0);
      assert.match(r.stdout, /^Usage: file-locking/);
    }
    for (const bad of [['frobnicate'], ['run', 'x.lock'], ['run', '--bogus', 'x', '--', 'true'], ['update', 'f.yaml'], ['read']]) {
      const r = cli(bad);
      assert.equal(r.status, 2, bad.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    const missing = cli(['read', t.file('absent.yaml')]);
    assert.equal(missing.status, 3);
    assert.match(missing.stderr, /absent\.yaml/);
  });
});
