import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { FIXTURES_JS, Locker, sandbox, sleep } from '../helpers';

describe('NODE_DEBUG=file-locking traces what a lock did', function () {
  const t = sandbox();

  it('waits in the kernel, timeouts with their code, grants with the wait and releases with the hold time, in order', async () => {
    const file = t.file('traced.lock');
    const holder = Locker.start(t, file);
    assert.match(await holder.send('acquire exclusive'), /^ok acquired/);
    const traced = new Locker(t.spawn(process.execPath, [path.join(FIXTURES_JS, 'locker.js'), file], {
      stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NODE_DEBUG: 'file-locking' },
    }));
    let stderr = '';
    traced.child.stderr?.on('data', (c: Buffer) => { stderr += c.toString(); });

    assert.match(await traced.send('acquire exclusive 100'), /^err ELOCKTIMEOUT/);
    const waiting = traced.post('acquire exclusive 10000');
    await sleep(200);
    await holder.send('release');
    assert.match(await waiting, /^ok acquired/);
    await traced.send('release');
    await traced.send('exit').catch(() => undefined);

    const pid = traced.child.pid;
    const lines = stderr.trim().split('\n').map((l) => l.replace(`FILE-LOCKING ${pid}: `, '').replaceAll(file, 'F'));
    // The second wait may reuse the kernel wait the timed-out one left
    // parked (no second "waiting" line) or start its own.
    const shapes = lines.map((l) => l.replace(/[\d.]+ ms/, 'N ms')).filter((l, i, all) => i === 0 || l !== all[0]);
    assert.deepEqual(shapes, [
      'waiting in the kernel for F (exclusive)',
      'failed F (exclusive): ELOCKTIMEOUT after N ms',
      'granted F (exclusive) after waiting N ms',
      'released F (exclusive) after holding N ms',
    ], stderr);
    const failedAfter = Number(/ELOCKTIMEOUT after ([\d.]+) ms/.exec(lines[1])?.[1]);
    assert.ok(failedAfter >= 100, `the timeout was traced after ${failedAfter} ms`);
    const waited = Number(/granted F \(exclusive\) after waiting ([\d.]+) ms/.exec(lines.join('\n'))?.[1]);
    assert.ok(waited >= 150, `the grant was traced with its wait, ${waited} ms`);
  });

  it('traces nothing without NODE_DEBUG', async () => {
    const file = t.file('quiet.lock');
    const { NODE_DEBUG: _debug, ...env } = process.env;
    const quiet = new Locker(t.spawn(process.execPath, [path.join(FIXTURES_JS, 'locker.js'), file], { stdio: ['pipe', 'pipe', 'pipe'], env }));
    let stderr = '';
    quiet.child.stderr?.on('data', (c: Buffer) => { stderr += c.toString(); });
    await quiet.send('acquire exclusive');
    await quiet.send('release');
    await quiet.send('exit').catch(() => undefined);
    assert.equal(stderr, '');
  });
});
