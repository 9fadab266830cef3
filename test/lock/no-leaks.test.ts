import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { once } from 'node:events';
import { FIXTURES_JS, sandbox, waitForLine } from '../helpers';

describe('no leaks', () => {
  const t = sandbox();

  it('after 10 000 cycles with timeouts and aborts, no descriptor, thread or timer is left and the process exits by itself', async function () {
    if (process.platform !== 'linux') this.skip();
    this.timeout(120_000);
    const child = t.spawn(process.execPath, [path.join(FIXTURES_JS, 'leak_cycles.js'), t.dir]);
    const exited = once(child, 'exit');
    const line = await waitForLine(child, /^\{/, 100_000);
    const [code] = await Promise.race([
      exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the process did not exit by itself')), 10_000)),
    ]);
    const r = JSON.parse(line);
    assert.equal(code, 0);
    assert.ok(r.timeouts >= 1000 && r.aborts >= 1000, line);
    assert.equal(r.fdsAfter, r.fdsBefore, `descriptors left: ${line}`);
    assert.equal(r.threadsAfter, r.threadsBefore, `threads left: ${line}`);
    assert.deepEqual(r.resources, [], `active resources left: ${line}`);
  });
});
