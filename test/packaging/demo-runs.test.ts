import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import { spawnSync } from 'node:child_process';
import { ROOT, hasPython, sandbox } from '../helpers';

// demo/start.js is plain JavaScript (it runs before any build): `npm start` is `node demo/start.js`.
const { staleSource } = require(path.join(ROOT, 'demo', 'start.js')) as { staleSource(root: string): string | null };

describe('the demo (npm start)', function () {
  this.timeout(90_000);
  const t = sandbox();

  it('--quick: the locked run loses nothing, sees no torn file, and the demo exits 0 and cleans up', async () => {
    // The demo makes its temp dir under TMPDIR: point it at the sandbox to see what it leaves behind.
    const child = t.spawn(process.execPath, [path.join(ROOT, 'dist', 'demo', 'demo.js'), '--quick', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TMPDIR: t.dir, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr?.on('data', (c: Buffer) => { stderr += c.toString(); });
    const [code] = await once(child, 'close') as [number | null];
    const context = `\n--- stdout\n${stdout}\n--- stderr\n${stderr}`;

    const last = stdout.trimEnd().split('\n').pop() ?? '';
    let result: { ok: boolean; locked: Record<string, any>; unlocked: Record<string, any> };
    try {
      result = JSON.parse(last);
    } catch {
      assert.fail(`the last line is not the --json summary: ${last}${context}`);
    }
    const { locked, unlocked } = result;
    assert.equal(code, 0, `exit status${context}`);
    assert.equal(result.ok, true, context);
    assert.equal(locked.lost, 0, `lost updates${context}`);
    assert.equal(locked.torn.total, 0, `torn files${context}`);
    assert.equal(locked.doneOnce, locked.tasks, `tasks done exactly once${context}`);
    assert.ok(locked.attempted > 0, context);
    assert.equal(locked.applied.total, locked.attempted, `updates applied${context}`);
    assert.equal(locked.agents.python, hasPython(true) ? 2 : 0, context);
    // The contrast ran the same workload; its damage is likely but not certain, so only its shape is checked.
    assert.equal(unlocked.tasks, locked.tasks);
    assert.equal(unlocked.lost, unlocked.written.total - unlocked.applied.total);
    // The human-readable table is there too.
    assert.match(stdout, /^lost updates .*\s0 ✓/m, context);
    assert.match(stdout, /^torn files seen\s+0 ✓/m, context);
    // Printed once, both runs side by side (it used to print the locked column twice).
    assert.equal(stdout.match(/^lost updates/gm)?.length, 1, `the table is printed once${context}`);
    assert.match(stdout, /^\s+locked\s+no locking$/m, context);

    assert.deepEqual(fs.readdirSync(t.dir), [], 'the demo left its temp dir behind');
  });

  it('npm start -- --help answers without compiling when the build is up to date, and compiles first when a source is newer', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts.start, 'node demo/start.js');
    // A small project of the same shape, so the check never depends on the real tree's mtimes.
    const root = t.dir;
    fs.mkdirSync(path.join(root, 'demo'));
    fs.copyFileSync(path.join(ROOT, 'demo', 'start.js'), path.join(root, 'demo', 'start.js'));
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'));
    fs.writeFileSync(path.join(root, 'package.json'), '{}');
    fs.writeFileSync(path.join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { outDir: 'dist', rootDir: '.', types: [] }, include: ['demo/**/*.ts'] }));
    fs.writeFileSync(path.join(root, 'demo', 'demo.ts'), "console.log('demo v1');\n");
    const start = () => spawnSync(process.execPath, [path.join(root, 'demo', 'start.js'), '--help'], { encoding: 'utf8' });
    const first = start();
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stderr, /compiling TypeScript \(no build yet\)/);
    assert.equal(first.stdout, 'demo v1\n');
    const fresh = start();
    assert.equal(fresh.stderr, '', 'it compiled again although nothing changed');
    assert.equal(fresh.stdout, 'demo v1\n');
    fs.writeFileSync(path.join(root, 'demo', 'demo.ts'), "console.log('demo v2');\n");
    const later = Date.now() / 1000 + 5;
    fs.utimesSync(path.join(root, 'demo', 'demo.ts'), later, later);
    const edited = start();
    assert.match(edited.stderr, /compiling TypeScript \(demo\/demo\.ts is newer than the build\)/);
    assert.equal(edited.stdout, 'demo v2\n');
  });

  it('npm start compiles first when a source, tsconfig.json or package.json is newer than the compiled demo', () => {
    const root = t.dir;
    for (const f of ['lib/a.ts', 'lib/lock/b.ts', 'demo/demo.ts', 'dist/demo/demo.js', 'tsconfig.json', 'package.json']) {
      fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      fs.writeFileSync(path.join(root, f), '');
    }
    const at = (f: string, s: number): void => fs.utimesSync(path.join(root, f), s, s);
    for (const f of ['lib/a.ts', 'lib/lock/b.ts', 'demo/demo.ts', 'tsconfig.json', 'package.json']) at(f, 1000);
    at('dist/demo/demo.js', 2000);
    assert.equal(staleSource(root), null);
    at('lib/lock/b.ts', 3000);
    assert.equal(staleSource(root), path.join(root, 'lib', 'lock', 'b.ts'));
    at('lib/lock/b.ts', 1000);
    at('tsconfig.json', 3000);
    assert.equal(staleSource(root), path.join(root, 'tsconfig.json'));
    fs.rmSync(path.join(root, 'dist'), { recursive: true });
    assert.equal(staleSource(root), path.join(root, 'dist', 'demo', 'demo.js'));
  });
});
