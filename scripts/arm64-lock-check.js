'use strict';
// The arm64 run of scripts/ci-arm64.sh. Plain CommonJS, no build step: it
// runs on the host's Node (x64) and on Debian's arm64 Node 18 under qemu.
//
//   node arm64-lock-check.js drive PKG_DIR QEMU SYSROOT
//       x64 side: spawns ONE arm64 child (each emulated Node start costs
//       ~4 s) and contends for one lock file with it, both directions.
//   (qemu) node arm64-lock-check.js child PKG_DIR LOCK_FILE
//       arm64 side: loads the installed package (node-gyp-build must pick
//       prebuilds/linux-arm64), runs an in-process self-test, then takes
//       commands on stdin, one reply line each.
//
// PKG_DIR is an installed copy of the packed tarball (node_modules/file-locking),
// so this checks what users get, not the working tree.
// Prints "PASS ..." / "FAIL ..." lines; exits 1 on any failure.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const { spawn } = require('node:child_process');

const [role, pkgDir] = process.argv.slice(2);
const lib = require(pkgDir);

function loadedAddons() {
  return Object.keys(require.cache).filter((k) => k.endsWith('.node'));
}

// ---------------------------------------------------------------- arm64 side
async function child(lockFile) {
  const out = (line) => process.stdout.write(line + '\n');
  const checks = [];
  const check = (name, ok, detail = '') => checks.push(`${ok ? 'PASS' : 'FAIL'} arm64 ${name}${detail ? ': ' + detail : ''}`);

  // In-process self-test: flock, record locks, errors, ESM entry, disposal.
  try {
    const { native } = require(path.join(pkgDir, 'dist', 'lib', 'native.js'));
    const { LOCK_EX, LOCK_SH, LOCK_NB, LOCK_UN } = native.constants;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-arm64-'));
    const f = path.join(dir, 'self.lock');
    const a = fs.openSync(f, 'a+');
    const b = fs.openSync(f, 'a+');
    check('native flock: a second description is refused while the first holds LOCK_EX',
      native.flock(a, LOCK_EX | LOCK_NB) === true && native.flock(b, LOCK_SH | LOCK_NB) === false);
    native.flock(a, LOCK_UN);
    check('native flock: free again after LOCK_UN', native.flock(b, LOCK_EX | LOCK_NB) === true);
    native.flock(b, LOCK_UN);
    let code = '';
    try { native.flock(987654, LOCK_EX); } catch (e) { code = e.code; }
    check('native errors carry the errno name', code === 'EBADF', code);
    const ra = new lib.RecordLock(a);
    const rb = new lib.RecordLock(b);
    const info = (ra.tryLock('exclusive', 0, 10), rb.getLock('exclusive', 5, 1));
    check('OFD record locks conflict on overlap only',
      rb.tryLock('exclusive', 5, 10) === false && rb.tryLock('exclusive', 10, 10) === true &&
      info !== null && info.length === 10, JSON.stringify(info));
    fs.closeSync(a);
    fs.closeSync(b);

    const lock = new lib.FileLock(f);
    const h = lock.acquireSync('exclusive');
    let busy = '';
    try { new lib.FileLock(f).acquireSync('exclusive', { timeout: 0 }); } catch (e) { busy = e.code; }
    check('FileLock: a held lock is reported busy in-process', busy === 'ELOCKHELD' || busy === 'ELOCKED', busy);
    check('Symbol.dispose exists on this Node and releases the handle',
      typeof Symbol.dispose === 'symbol' && typeof h[Symbol.dispose] === 'function' && (h[Symbol.dispose](), !h.held),
      `Symbol.dispose is ${typeof Symbol.dispose}`);
    const shared = await Promise.all([lock.acquire('shared'), new lib.FileLock(f).acquire('shared')]);
    check('FileLock: two shared holders at once (async)', shared.every((s) => s.held));
    shared.forEach((s) => s.release());
    const esm = await import(path.join(pkgDir, 'esm', 'index.mjs'));
    check('ESM entry loads (import)', typeof esm.FileLock === 'function' && esm.FileLock === lib.FileLock);
    fs.rmSync(dir, { recursive: true, force: true });
  } catch (e) {
    check('self-test threw', false, e && e.stack);
  }

  out(`ready ${JSON.stringify({ arch: process.arch, node: process.version, napi: process.versions.napi, addons: loadedAddons(), checks })}`);

  const lock = new lib.FileLock(lockFile);
  const held = [];
  readline.createInterface({ input: process.stdin }).on('line', async (line) => {
    const [cmd, mode, timeout] = line.trim().split(/\s+/);
    try {
      if (cmd === 'try') {
        const h = lock.tryAcquire(mode);
        if (h) h.release();
        out(`ok try ${h !== null}`);
      } else if (cmd === 'acquire') {
        const h = await lock.acquire(mode, timeout === undefined ? {} : { timeout: Number(timeout) });
        held.push(h);
        out(`ok acquired ${h.waitedMs.toFixed(0)}`);
      } else if (cmd === 'release') {
        held.pop().release();
        out('ok released');
      } else if (cmd === 'exit') {
        process.exit(0);
      } else {
        out(`err EUNKNOWN ${cmd}`);
      }
    } catch (e) {
      out(`err ${e.code || 'UNKNOWN'} ${e.message}`);
    }
  });
}

// ------------------------------------------------------------------ x64 side
async function drive(qemu, sysroot) {
  let failed = 0;
  const report = (ok, name, detail = '') => {
    if (!ok) failed++;
    console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${detail ? ': ' + detail : ''}`);
  };
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-arm64-x-'));
  const lockFile = path.join(dir, 'shared.lock');
  const x64Lock = new lib.FileLock(lockFile);

  const started = Date.now();
  const proc = spawn(qemu, ['-L', sysroot, path.join(sysroot, 'usr/bin/node'), __filename, 'child', pkgDir, lockFile],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  const watchdog = setTimeout(() => { console.log('FAIL arm64 run: watchdog (120 s)'); proc.kill('SIGKILL'); process.exit(1); }, 120_000);
  const lines = [];
  let waiter = null;
  readline.createInterface({ input: proc.stdout }).on('line', (l) => {
    lines.push(l);
    if (waiter) { const w = waiter; waiter = null; w(); }
  });
  let exited = null;
  proc.on('exit', (code, sig) => { exited = `${code ?? sig}`; if (waiter) { const w = waiter; waiter = null; w(); } });
  async function next(timeoutMs = 60_000) {
    const until = Date.now() + timeoutMs;
    while (lines.length === 0) {
      if (exited !== null) throw new Error(`arm64 child exited (${exited})`);
      if (Date.now() > until) throw new Error('no reply from the arm64 child');
      await Promise.race([new Promise((r) => { waiter = r; }), sleep(100)]);
    }
    return lines.shift();
  }
  const send = (cmd) => { proc.stdin.write(cmd + '\n'); return next(); };
  /** Whether the child has replied yet (without waiting). */
  const pending = () => lines.length === 0;

  try {
    const ready = await next(90_000);
    const info = JSON.parse(ready.replace(/^ready /, ''));
    const startMs = Date.now() - started;
    report(info.arch === 'arm64', `arm64 node runs under qemu (${info.node}, N-API ${info.napi}, start + self-test ${startMs} ms)`, info.arch);
    const addon = info.addons.join(',');
    report(info.addons.length === 1 && /prebuilds[\\/]linux-arm64[\\/][^\\/]+\.node$/.test(addon),
      'node-gyp-build loaded the linux-arm64 prebuild', addon);
    for (const c of info.checks) {
      console.log(c);
      if (c.startsWith('FAIL')) failed++;
    }

    // x64 holds, arm64 contends.
    let h = x64Lock.acquireSync('exclusive');
    report((await send('try exclusive')) === 'ok try false', 'x64 holds exclusive -> arm64 tryAcquire is refused');
    report((await send('acquire shared 300')).startsWith('err ELOCKTIMEOUT'), 'x64 holds exclusive -> arm64 async acquire times out (ELOCKTIMEOUT)');
    proc.stdin.write('acquire exclusive 30000\n');
    await sleep(500);
    report(pending(), 'arm64 waits in the kernel while x64 holds');
    const releasedAt = Date.now();
    h.release();
    const got = await next();
    report(/^ok acquired \d+$/.test(got), `x64 releases -> arm64 wait granted ${Date.now() - releasedAt} ms later`, got);

    // arm64 holds, x64 contends.
    report(x64Lock.tryAcquire('shared') === null, 'arm64 holds exclusive -> x64 tryAcquire is refused');
    const holders = x64Lock.holders();
    report(holders.some((x) => x.pid === proc.pid && x.mode === 'exclusive' && !x.waiting),
      'x64 sees the arm64 (qemu) process as the holder in /proc/locks', JSON.stringify(holders));
    let code = '';
    try { x64Lock.acquireSync('exclusive', { timeout: 200 }); } catch (e) { code = e.code; }
    report(code === 'ELOCKTIMEOUT', 'arm64 holds exclusive -> x64 acquireSync times out (ELOCKTIMEOUT)', code);
    const x64Wait = x64Lock.acquire('exclusive', { timeout: 30_000 });
    await sleep(300);
    const t0 = Date.now();
    report((await send('release')) === 'ok released', 'arm64 releases');
    h = await x64Wait;
    report(h.held && h.waitedMs >= 250, `arm64 releases -> x64 wait granted (waited ${h.waitedMs.toFixed(0)} ms, ${Date.now() - t0} ms after the release was sent)`);
    h.release();

    // Shared across the boundary.
    h = await x64Lock.acquire('shared');
    report((await send('acquire shared 5000')).startsWith('ok acquired'), 'x64 shared + arm64 shared are held together');
    h.release();
    const excl = x64Lock.tryAcquire('exclusive');
    report(excl === null, 'x64 exclusive is refused while arm64 shares');
    if (excl) excl.release();
    report((await send('release')) === 'ok released', 'arm64 releases its shared lock');
    const free = x64Lock.tryAcquire('exclusive');
    report(free !== null, 'the lock is free at the end');
    free && free.release();
    proc.stdin.write('exit\n');
    await new Promise((r) => (exited !== null ? r() : proc.on('exit', r)));
    report(exited === '0', 'arm64 child exited cleanly', exited);
  } catch (e) {
    report(false, 'arm64 run', e.message);
    proc.kill('SIGKILL');
  } finally {
    clearTimeout(watchdog);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${failed === 0 ? 'PASS' : 'FAIL'} arm64 run: ${failed} failed check(s), ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.exit(failed === 0 ? 0 : 1);
}

if (role === 'child') child(process.argv[4]);
else if (role === 'drive') drive(process.argv[4], process.argv[5]);
else { console.error('usage: arm64-lock-check.js drive PKG_DIR QEMU SYSROOT | child PKG_DIR LOCK_FILE'); process.exit(2); }
