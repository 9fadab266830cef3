import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import { ROOT, hasPython, sandbox } from '../helpers';

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

    assert.deepEqual(fs.readdirSync(t.dir), [], 'the demo left its temp dir behind');
  });
});
