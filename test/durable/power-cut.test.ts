import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import { FIXTURES_JS, FIXTURES_SRC, PYTHON, hasPython, sandbox, sleep, waitForLine } from '../helpers';
import { Undo, have, isRoot, sh, umount } from '../fixtures/rel_system';
import { fileText, stateText } from '../fixtures/rel_pc_writer';

// A power cut, simulated: an xfs file system on a loop device is shut down
// with `xfs_io -x -c shutdown` while a writer is busy on it (from then on
// every I/O fails, and what was not on the device stays lost), then
// unmounted and mounted again (log recovery), and inspected.
//
// - `shutdown -f` writes the log first: names and renames survive, data
//   still in the page cache does not (the classic empty file). This is
//   where fsync of the temp file before the rename matters.
// - `shutdown` drops the in-memory log too: a sudden power loss. On xfs any
//   fsync forces the whole log, so a writer's next fsync also saves its
//   previous rename; the fsync of the directory is what saves the *last*
//   rename, and the "quiet" test cuts right after it to prove that.
//   (Both tests fail if the respective fsync is removed from the library.)
//
// A durable AtomicFileWriter must keep every write it acknowledged, byte for
// byte. The plan's write (temp + os.replace, no fsync) loses acknowledged
// writes: every cut here lost all of them, so the test asserts at least one.
//
// A caveat measured on this machine (kernel 6.18, loop device on ext4): when
// a plain `shutdown` lands while the writer is busy, the most recent rename
// that was fsync'd (file and directory) is occasionally missing after log
// recovery (about 3 cuts in 100), with this library and with a plain Python
// writer doing write/fsync/rename/fsync(dir) alike
// (test/scripts/xfs-shutdown-control.sh reproduces it without Node); never
// with `shutdown -f`, never on a quiet cut, never a torn or empty file, never
// an older step. The busy plain-`shutdown` test therefore counts and prints a
// roll-back of exactly the last acknowledged rename instead of failing on
// it; everything else is asserted.

const STEPS_BEFORE_CUT = 25; // each step: one new file and one rewrite of state.yaml

interface Outcome {
  steps: number; // acknowledged steps
  intact: number; // acknowledged new files present byte for byte
  missing: number;
  empty: number;
  wrong: number;
  state: string; // what state.yaml holds
  stateVersion: number | null; // the exact version state.yaml holds, null when empty, missing or torn
}

describe('power cut: xfs on a loop device, shut down mid-write, unmounted and mounted again', function () {
  this.timeout(120_000);
  const undo = new Undo();
  afterEach(() => undo.run()); // before sandbox(): unmount and detach before the directory goes
  const t = sandbox();

  before(function () {
    const why = !isRoot ? 'not root (mount and losetup need it)'
      : process.platform !== 'linux' ? 'not Linux'
      : ['mkfs.xfs', 'xfs_io', 'losetup', 'mount', 'umount'].filter((c) => !have(c)).map((c) => `${c} missing (apt-get install xfsprogs util-linux)`)[0]
      ?? (!fs.existsSync('/dev/loop-control') ? 'no loop devices (/dev/loop-control missing)' : null)
      ?? (!fs.readFileSync('/proc/filesystems', 'utf8').includes('\txfs') ? 'the kernel has no xfs' : null);
    if (why !== null) {
      console.log(`      skipped: ${why}`);
      this.skip();
    }
  });

  let trial = 0;

  /**
   * A fresh 300 MB xfs (mkfs.xfs refuses less) on a loop device, mounted.
   * `teardown` unmounts, detaches and deletes it; it also runs after the
   * test if the test failed first.
   */
  function freshXfs(): { mnt: string; dev: string; teardown: () => void } {
    const dir = t.file(`trial${trial++}`);
    fs.mkdirSync(dir);
    const img = path.join(dir, 'xfs.img');
    const mnt = path.join(dir, 'mnt');
    fs.mkdirSync(mnt);
    sh('truncate', ['-s', '300M', img]);
    sh('mkfs.xfs', ['-q', img]);
    let dev: string | null = sh('losetup', ['--find', '--show', img]).trim();
    const teardown = (): void => {
      umount(mnt);
      if (dev !== null) sh('losetup', ['-d', dev]);
      dev = null;
      fs.rmSync(dir, { recursive: true, force: true });
    };
    undo.push(`tear down ${dir}`, teardown);
    sh('mount', [dev, mnt]);
    return { mnt, dev, teardown };
  }

  /** `quiet`: the writer stops after step STEPS_BEFORE_CUT - 1 and the cut comes right after its last acknowledged write. */
  async function powerCut(cmd: string, args: (dir: string) => string[], shutdown: string, quiet = false): Promise<Outcome> {
    const { mnt, dev, teardown } = freshXfs();
    const child = t.spawn(cmd, args(mnt));
    let stdout = '';
    child.stdout?.on('data', (c: Buffer) => { stdout += c.toString(); });
    const closed = once(child, 'close');
    await waitForLine(child, quiet ? /^paused$/ : new RegExp(`^ack ${STEPS_BEFORE_CUT - 1}$`), 60_000);
    // Busy: the writer is still going, and the cut lands somewhere in one of the next steps.
    if (!quiet) await sleep(Math.random() * 20);
    sh('xfs_io', ['-x', '-c', shutdown, mnt]);
    const ended = await Promise.race([closed.then(() => true), sleep(quiet ? 0 : 5_000).then(() => false)]);
    if (!ended) {
      child.kill('SIGKILL');
      await closed;
    }
    if (!quiet) assert.match(stdout, /^error /m, 'the writer saw its writes fail after the shutdown');
    const acked = stdout.split('\n').filter((l) => l.startsWith('ack ')).map((l) => Number(l.slice(4)));
    assert.deepEqual(acked, acked.map((_, i) => i));

    umount(mnt);
    sh('mount', [dev, mnt]); // log recovery
    const o: Outcome = { steps: acked.length, intact: 0, missing: 0, empty: 0, wrong: 0, state: '', stateVersion: null };
    for (const i of acked) {
      const f = path.join(mnt, `f-${i}.yaml`);
      if (!fs.existsSync(f)) o.missing++;
      else if (fs.statSync(f).size === 0) o.empty++;
      else if (fs.readFileSync(f, 'utf8') === fileText(i)) o.intact++;
      else o.wrong++;
    }
    const state = path.join(mnt, 'state.yaml');
    const last = acked.length - 1;
    if (!fs.existsSync(state)) o.state = 'missing';
    else {
      const text = fs.readFileSync(state, 'utf8');
      const version = /^version: (\d+)$/m.exec(text)?.[1];
      if (version !== undefined && text === stateText(Number(version))) o.stateVersion = Number(version);
      o.state = text === '' ? 'empty' : o.stateVersion !== null ? `version ${version} (last acknowledged ${last})` : 'garbage';
    }
    teardown();
    return o;
  }

  const node = (mode: string) => (dir: string) => [path.join(FIXTURES_JS, 'rel_pc_writer.js'), dir, mode];
  const DURABLE_TRIALS = 5;
  const LOSSY_TRIALS = 3;

  function sum(os: Outcome[]): string {
    const total = (k: 'steps' | 'intact' | 'missing' | 'empty' | 'wrong'): number => os.reduce((n, o) => n + o[k], 0);
    return `${os.length} cuts, ${total('steps')} steps acknowledged (a new file + a rewrite each); after the cuts: ` +
      `${total('intact')} new files intact, ${total('missing')} missing, ${total('empty')} empty, ${total('wrong')} wrong; ` +
      `state.yaml: ${os.map((o) => o.state.replace(/ \(.*/, '')).join(', ')}`;
  }

  for (const shutdown of ['shutdown -f', 'shutdown']) {
    it(`durable AtomicFileWriter, \`${shutdown}\` x ${DURABLE_TRIALS}: every acknowledged write is there byte for byte after remounting` +
      (shutdown === 'shutdown' ? ' (a roll-back of the very last rename, a kernel effect, is counted)' : ''), async () => {
      const outcomes: Outcome[] = [];
      let rolledBack = 0;
      for (let i = 0; i < DURABLE_TRIALS; i++) {
        const o = await powerCut(process.execPath, node('durable'), shutdown);
        outcomes.push(o);
        assert.equal(o.intact, o.steps, `acknowledged durable writes lost: ${JSON.stringify(o)}`);
        assert.notEqual(o.stateVersion, null, `state.yaml is ${o.state}`);
        const last = o.steps - 1;
        if (o.stateVersion === last - 1 && shutdown === 'shutdown') rolledBack++; // see the caveat at the top
        else assert.ok(o.stateVersion === last || o.stateVersion === last + 1, `state.yaml: ${o.state}`);
      }
      console.log(`      durable: ${sum(outcomes)}` +
        (shutdown === 'shutdown' ? `; last acknowledged rename rolled back in ${rolledBack} of ${DURABLE_TRIALS} cuts` : ''));
    });

    it(`the plan's write without fsync, \`${shutdown}\` x ${LOSSY_TRIALS}: acknowledged writes are lost`, async function () {
      // The Python plan's AtomicFileWriter; without Python, the same thing in Node (durable: false).
      const py = hasPython();
      const outcomes: Outcome[] = [];
      for (let i = 0; i < LOSSY_TRIALS; i++) {
        const o = py
          ? await powerCut(PYTHON, (dir) => [path.join(FIXTURES_SRC, 'rel_py_plan_writer.py'), dir], shutdown)
          : await powerCut(process.execPath, node('nofsync'), shutdown);
        outcomes.push(o);
      }
      console.log(`      ${py ? 'plan (Python, no fsync)' : 'durable: false (Node; no Python here)'}: ${sum(outcomes)}`);
      for (const o of outcomes) assert.ok(o.intact < o.steps, `no acknowledged write was lost: ${JSON.stringify(o)}`);
    });
  }

  it(`durable AtomicFileWriter, \`shutdown\` right after its last acknowledged write x ${DURABLE_TRIALS}: that write survived (the directory fsync at work)`, async () => {
    // Nothing after the last write forces the log on the writer's behalf: only its own
    // fsync of the directory makes the last rename durable.
    const outcomes: Outcome[] = [];
    for (let i = 0; i < DURABLE_TRIALS; i++) {
      const o = await powerCut(process.execPath, (dir) => [...node('durable')(dir), String(STEPS_BEFORE_CUT - 1)], 'shutdown', true);
      outcomes.push(o);
      assert.equal(o.steps, STEPS_BEFORE_CUT);
      assert.equal(o.intact, o.steps, `acknowledged durable writes lost: ${JSON.stringify(o)}`);
      assert.equal(o.stateVersion, STEPS_BEFORE_CUT - 1, `state.yaml: ${o.state}`);
    }
    console.log(`      durable, quiet cut: ${sum(outcomes)}`);
  });

  it(`durable: false behaves like the plan: \`shutdown -f\` x ${LOSSY_TRIALS} leaves acknowledged files empty or missing`, async () => {
    const outcomes: Outcome[] = [];
    for (let i = 0; i < LOSSY_TRIALS; i++) outcomes.push(await powerCut(process.execPath, node('nofsync'), 'shutdown -f'));
    console.log(`      durable: false: ${sum(outcomes)}`);
    for (const o of outcomes) assert.ok(o.intact < o.steps, `no acknowledged write was lost: ${JSON.stringify(o)}`);
  });
});
