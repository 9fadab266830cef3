import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { FileLock } from '../../lib';
import { cli, hasFlock, holderSandbox } from './cli-helpers';

describe('the CLI file commands: write, read, update, holders', function () {
  this.timeout(60_000);
  const t = holderSandbox();

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

  it('update --set-string stores text that looks like a number or a boolean as a string; --set takes quoted YAML too', () => {
    const file = t.file('ids.yaml');
    const u = cli(['update', file, '--set-string', 'id=007', '--set-string', 'flag=yes', '--set', 'quoted="0755"', '--set', 'n=007']);
    assert.equal(u.status, 0, u.stderr);
    // PyYAML quotes strings that would otherwise read back as numbers or booleans.
    assert.equal(fs.readFileSync(file, 'latin1'), "flag: 'yes'\nid: '007'\nn: 7\nquoted: '0755'\n");
  });

  it('update applies --set and --set-string in command-line order', () => {
    const file = t.file('order.yaml');
    assert.equal(cli(['update', file, '--set', 'v=1', '--set-string', 'v=2', '--set', 'w=x', '--set-string', 'w=3']).status, 0);
    assert.equal(fs.readFileSync(file, 'latin1'), "v: '2'\nw: '3'\n");
    assert.equal(cli(['update', file, '--set-string', 'v=2', '--set', 'v=1']).status, 0);
    assert.equal(fs.readFileSync(file, 'latin1'), "v: 1\nw: '3'\n");
  });

  it('update of a file that is not a mapping exits 65 and leaves it as it was', () => {
    const file = t.file('list.yaml');
    fs.writeFileSync(file, '- a\n- b\n');
    const r = cli(['update', file, '--set', 'x=1']);
    assert.equal(r.status, 65);
    assert.match(r.stderr, /list\.yaml: it holds a list, not a mapping/);
    fs.writeFileSync(file, 'a: [1]\n');
    assert.equal(cli(['update', file, '--set', 'a.b=1']).status, 65);
    assert.equal(fs.readFileSync(file, 'latin1'), 'a: [1]\n');
  });

  it('read of a missing file exits 66 and leaves no lock file behind', () => {
    const r = cli(['read', t.file('absent.yaml')]);
    assert.equal(r.status, 66);
    assert.match(r.stderr, /absent\.yaml.*does not exist/);
    assert.deepEqual(fs.readdirSync(t.dir), []);
    // With the lock file there, a writer may be at work: the read locks, then finds no file.
    fs.writeFileSync(t.file('absent.yaml.lock'), '');
    assert.equal(cli(['read', t.file('absent.yaml')]).status, 66);
    assert.deepEqual(fs.readdirSync(t.dir), ['absent.yaml.lock']);
  });

  it('a busy lock: exit 1 after -w SECONDS, and the message says -w/--timeout and names the holder\'s pid and command', async function () {
    if (process.platform !== 'linux' || !hasFlock) this.skip();
    const file = t.file('busy.yaml');
    fs.writeFileSync(file, 'a: 1\n');
    const holder = await t.hold('flock', [`${file}.lock`]);
    for (const args of [['read', '-w', '0.2', file], ['write', '--timeout', '0.2', file], ['update', '-w', '0', file, '--set', 'a=2']]) {
      const r = cli(args, '');
      assert.equal(r.status, 1, args.join(' '));
      assert.match(r.stderr, /-w SECONDS \(--timeout SECONDS\)/);
      assert.match(r.stderr, new RegExp(`held by pid ${holder.pid} \\(flock, exclusive\\)`));
      assert.doesNotMatch(r.stderr, /raise `timeout`|err\.holders/);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    const r = cli(['-n', `${file}.lock`, 'true']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`busy\\.yaml\\.lock is locked .*held by pid ${holder.pid} \\(flock, exclusive\\).*-w SECONDS`));
    const timed = cli(['-w', '0.2', `${file}.lock`, 'true']);
    assert.match(timed.stderr, /^file-locking: Gave up after 0\.\d\d s waiting for .*held by pid/);
    assert.equal(fs.readFileSync(file, 'latin1'), 'a: 1\n');
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
    assert.equal(cli(['holders', t.file('none.yaml')]).status, 66);
  });

  it('answers --help for every command, and usage errors with exit 64 and one line on stderr', () => {
    for (const c of [[], ['run'], ['write'], ['read'], ['update'], ['holders']]) {
      const r = cli([...c, '--help']);
      assert.equal(r.status, 0);
      assert.match(r.stdout, /^Usage:/);
    }
    for (const bad of [[], ['frobnicate'], ['run', 'x.lock'], ['write', '--bogus', 'x'], ['update', 'f.yaml'], ['read'],
      ['update', 'f.yaml', '--set', 'novalue'], ['update', 'f.yaml', '--set', 'a..b=1'], ['read', '-w', 'soon', 'f.yaml']]) {
      const r = cli(bad);
      assert.equal(r.status, 64, bad.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.deepEqual(fs.readdirSync(t.dir), []);
  });

  it('run is the flock(1) form too, and still takes "--" before the command', () => {
    const r = cli(['run', '-w', '1', t.file('job.lock'), '--', 'sh', '-c', 'exit 3']);
    assert.equal(r.status, 3, r.stderr);
    assert.equal(cli(['run', t.file('job.lock'), '-c', 'exit 4']).status, 4);
  });
});
