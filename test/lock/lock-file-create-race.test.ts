/**
 * A lock file's create can fail with EEXIST on a network file system even
 * without O_EXCL: on GlusterFS, when two hosts create the same lock file at
 * once, the loser's open(O_CREAT) reports EEXIST instead of opening the file
 * the winner made (seen in CI's multi-host suite). Here strace makes the first
 * open of the lock file fail that way, and every way of taking the lock must
 * open it again and succeed.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { ROOT, sandbox } from '../helpers';
import { skipWithoutStrace, stringArgs, traced } from '../fixtures/rel_strace';
import { CLI } from '../cli/cli-helpers';

const LIB = path.join(ROOT, 'dist', 'lib', 'index.js');

describe('a lock file create that reports EEXIST (a create race on a network file system)', function () {
  this.timeout(60_000);
  const t = sandbox();
  skipWithoutStrace();

  /** Runs `argv` under strace with the first open of `lockFile` failing with EEXIST; the opens of it, and stdout. */
  async function withFirstOpenEexist(lockFile: string, argv: string[]): Promise<{ opens: string[]; stdout: string; code: number | null }> {
    const { calls, stdout, code } = await traced(t.file('strace.log'),
      ['-P', lockFile, '-e', 'trace=openat,open', '-e', 'inject=openat,open:error=EEXIST:when=1'], argv, t.spawn);
    const opens = calls.filter((c) => stringArgs(c).includes(lockFile)).map((c) => c.ret);
    return { opens, stdout, code };
  }

  const cases: Array<[string, string]> = [
    ['await lock.acquire()', 'const h = await new FileLock(file).acquire("exclusive"); h.release();'],
    ['lock.acquireSync()', 'new FileLock(file).acquireSync("exclusive").release();'],
    ['acquireAll() (its canonical order opens every lock file first)', 'const s = await acquireAll([{ lockFile: file, mode: "exclusive" }]); s.release();'],
  ];
  for (const [name, body] of cases) {
    it(`${name} opens it again and takes the lock`, async () => {
      const file = t.file(`${name.replace(/\W+/g, '-')}.lock`);
      const script = `const { FileLock, acquireAll } = require(${JSON.stringify(LIB)}); const file = process.argv[1];
        (async () => { ${body} console.log('locked'); })().catch((e) => { console.log('error ' + e.message); process.exitCode = 1; });`;
      const r = await withFirstOpenEexist(file, [process.execPath, '-e', script, file]);
      assert.equal(r.stdout.trim(), 'locked');
      assert.equal(r.code, 0);
      assert.match(r.opens[0], /EEXIST.*INJECTED/, 'the first open failed with EEXIST');
      assert.ok(r.opens.slice(1).some((ret) => /^\d+$/.test(ret)), `a later open succeeded: ${JSON.stringify(r.opens)}`);
    });
  }

  it("the CLI (file-locking FILE -c 'echo ran') opens it again and runs the command", async () => {
    const file = t.file('cli.lock');
    const r = await withFirstOpenEexist(file, [process.execPath, CLI, file, '-c', 'echo ran']);
    assert.equal(r.stdout.trim(), 'ran');
    assert.equal(r.code, 0);
    assert.match(r.opens[0], /EEXIST.*INJECTED/);
  });

  it('EEXIST that does not go away still fails, after a few opens, with the error naming the file', async () => {
    const file = t.file('always.lock');
    const script = `const { FileLock } = require(${JSON.stringify(LIB)});
      try { new FileLock(process.argv[1]).acquireSync('exclusive'); console.log('locked'); } catch (e) { console.log(e.code + ' ' + e.message); }`;
    const { calls, stdout } = await traced(t.file('strace.log'),
      ['-P', file, '-e', 'trace=openat,open', '-e', 'inject=openat,open:error=EEXIST'], [process.execPath, '-e', script, file], t.spawn);
    assert.match(stdout, /EEXIST/);
    assert.ok(stdout.includes(file), stdout);
    const opens = calls.filter((c) => stringArgs(c).includes(file));
    assert.ok(opens.length >= 2 && opens.length <= 10, `a few opens, not forever: ${opens.length}`);
  });
});
