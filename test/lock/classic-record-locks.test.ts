// Classic POSIX record locks (fcntl F_SETLK/F_SETLKW/F_GETLK), the only
// record locks macOS has. They belong to the process, and closing ANY
// descriptor of the file in the process drops all of them, so RecordLock must
// never open or close a descriptor of the locked file while it waits: its
// waits for classic locks poll on the caller's own descriptor. These run on
// every build; .ci/run also runs them against the FL_PORTABLE_PATHS build,
// where classic locks are RecordLock's default as on macOS.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { RecordLock } from '../../lib';
import { native } from '../../lib/native';
import { PYTHON, hasPython, sandbox, waitForLine } from '../helpers';

// A peer process taking classic locks with Python's fcntl.lockf. Commands on
// stdin: "lock START LEN" (blocking), "unlock START LEN", "probe START LEN"
// (would an exclusive lock be granted? "free" or "busy"). Replies "ok ...".
const PEER = `
import fcntl, os, sys
f = open(sys.argv[1], 'a+')
print('ok ready', flush=True)
for line in sys.stdin:
    cmd, start, length = line.split()
    start, length = int(start), int(length)
    if cmd == 'lock':
        fcntl.lockf(f, fcntl.LOCK_EX, length, start)
        print('ok locked', flush=True)
    elif cmd == 'unlock':
        fcntl.lockf(f, fcntl.LOCK_UN, length, start)
        print('ok unlocked', flush=True)
    else:
        try:
            fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB, length, start)
            fcntl.lockf(f, fcntl.LOCK_UN, length, start)
            print('ok free', flush=True)
        except OSError:
            print('ok busy', flush=True)
`;

describe('classic record locks (the only kind on macOS)', function () {
  const t = sandbox();
  before(function () {
    if (!hasPython()) {
      console.log(`      skipped: ${PYTHON} not found`);
      this.skip();
    }
  });

  function peer(file: string) {
    const child = t.spawn(PYTHON, ['-c', PEER, file]);
    const ready = waitForLine(child, /^ok ready/);
    return {
      child,
      ready,
      async send(cmd: string): Promise<string> {
        const reply = waitForLine(child, /^ok\b/);
        child.stdin?.write(cmd + '\n');
        return (await reply).trim().slice(3);
      },
    };
  }

  it('exclude another process on overlapping ranges only, and getLock names the holder\'s pid', async () => {
    const file = t.file('classic.dat');
    const py = peer(file);
    await py.ready;
    assert.equal(await py.send('lock 0 10'), 'locked');
    const fd = fs.openSync(file, 'r+');
    try {
      const rl = new RecordLock(fd, { ofd: false });
      assert.equal(rl.ofd, false);
      assert.equal(rl.tryLock('exclusive', 5, 10), false);
      assert.equal(rl.tryLock('shared', 0, 1), false);
      assert.equal(rl.tryLock('exclusive', 10, 10), true);
      const holder = rl.getLock('exclusive', 0, 5);
      assert.ok(holder);
      assert.deepEqual(holder, { mode: 'exclusive', start: 0, length: 10, pid: py.child.pid });
      await assert.rejects(rl.lock('exclusive', 0, 10, { timeout: 30 }), { code: 'ELOCKTIMEOUT', message: new RegExp(`held by pid ${py.child.pid}`) });
      const waiting = rl.lock('exclusive', 0, 10);
      assert.equal(await py.send('unlock 0 10'), 'unlocked');
      await waiting;
      assert.equal(await py.send('probe 0 10'), 'busy');
      rl.unlock(0, 20);
      assert.equal(await py.send('probe 0 20'), 'free');
    } finally {
      fs.closeSync(fd);
    }
  });

  it('a held range survives timed-out, aborted and granted waits on another range: waiting closes no descriptor', async () => {
    const file = t.file('survive.dat');
    const py = peer(file);
    await py.ready;
    assert.equal(await py.send('lock 100 10'), 'locked');
    const fd = fs.openSync(file, 'r+');
    try {
      const rl = new RecordLock(fd, { ofd: false });
      rl.lockSync('exclusive', 0, 10);
      await assert.rejects(rl.lock('exclusive', 100, 10, { timeout: 20 }), { code: 'ELOCKTIMEOUT' });
      assert.throws(() => rl.lockSync('exclusive', 100, 10, { timeout: 20 }), { code: 'ELOCKTIMEOUT' });
      const ac = new AbortController();
      const aborted = rl.lock('exclusive', 100, 10, { signal: ac.signal });
      setTimeout(() => ac.abort(), 20);
      await assert.rejects(aborted, { code: 'ABORT_ERR' });
      assert.equal(await py.send('probe 0 10'), 'busy', 'a wait dropped the range this process held');
      const granted = rl.lock('exclusive', 100, 10);
      assert.equal(await py.send('unlock 100 10'), 'unlocked');
      await granted;
      assert.equal(await py.send('probe 0 10'), 'busy', 'the granted wait dropped the range this process held');
      assert.equal(await py.send('probe 100 10'), 'busy');
    } finally {
      fs.closeSync(fd);
    }
    // Closing the descriptor is what drops them (the kernel's rule, which the caller owns).
    assert.equal(await py.send('probe 0 110'), 'free');
  });

  it('where the build has no OFD locks (macOS, FL_PORTABLE_PATHS) they are the default and { ofd: true } is refused', () => {
    const fd = fs.openSync(t.file('default.dat'), 'a+');
    try {
      if (native.constants.F_OFD_SETLK !== undefined) {
        assert.equal(new RecordLock(fd).ofd, true);
      } else {
        assert.equal(new RecordLock(fd).ofd, false);
        assert.throws(() => new RecordLock(fd, { ofd: true }), /no OFD locks/);
      }
    } finally {
      fs.closeSync(fd);
    }
  });
});
