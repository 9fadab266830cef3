import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { FileLock, dumpYaml, parseYaml } from '../../lib';
import { FIXTURES_JS, sandbox, sleep, waitForLine } from '../helpers';
import { versionDoc, versionText, type VersionDoc } from '../fixtures/rel_versions';

// SIGKILL a writer at random moments. After each kill the file must parse,
// be byte for byte one version the writer wrote (the last one it
// acknowledged, or the one in flight if its rename had happened), and the
// lock must be free at once (the kernel drops a dead process's flock).
//
// Temp files: a SIGKILL between the temp file's creation and the rename
// leaves that temp file behind; nobody can remove it at that moment. Each
// one must be harmless: at most one per kill, named after the killed
// process (`.NAME.PID.HEX.tmp`), holding only a prefix of the version in
// flight, never seen at the file's own path. The next writer process, once
// it holds the lock, sweeps them (no writer of this file can be mid-write
// while it holds the lock).

const MODES = [
  { mode: 'write', label: 'AtomicFileWriter.write(string)', lines: 1500, maxDelay: 60 },
  { mode: 'writeCb', label: 'AtomicFileWriter.write(callback)', lines: 1500, maxDelay: 60 },
  { mode: 'writeSync', label: 'AtomicFileWriter.writeSync', lines: 1500, maxDelay: 60 },
  // The YAML round trip dominates an update; a smaller document keeps several updates per kill window.
  { mode: 'rmw', label: 'ReadModifyWrite.execute', lines: 300, maxDelay: 150 },
  { mode: 'rmwSync', label: 'ReadModifyWrite.executeSync', lines: 300, maxDelay: 150 },
] as const;
const LANES = 2; // independent files, killed in parallel
const KILLS_PER_LANE = 12; // 5 modes x 2 lanes x 12 = 120 kills

interface Tally { kills: number; acks: number; old: number; new: number; tempsLeft: number }
interface Writer { child: ChildProcess; out: () => string; closed: Promise<unknown[]> }

const TEMP = /^\.data\.yaml\.(\d+)\.[0-9a-f]{12}\.tmp$/;
const temps = (dir: string): string[] => fs.readdirSync(dir).filter((n) => TEMP.test(n));

describe('crash mid-write: SIGKILL of a writer at random moments', function () {
  this.timeout(120_000);
  const t = sandbox();
  const totals: Tally = { kills: 0, acks: 0, old: 0, new: 0, tempsLeft: 0 };

  after(() => {
    if (totals.kills > 0) {
      console.log(`      crash totals: ${totals.kills} SIGKILLs, ${totals.acks} versions acknowledged; acknowledged version kept ${totals.old}×, ` +
        `in-flight version landed ${totals.new}×; temp files left by kills: ${totals.tempsLeft}, each swept by the next writer`);
    }
  });

  it('the hand-formatted versions the writers write are exactly what dumpYaml writes', () => {
    for (const lines of [300, 1500]) assert.equal(versionText(7, lines), dumpYaml(versionDoc(7, lines)));
  });

  /** Starts a writer; it loads, says "ready", and waits for "go START". */
  async function startWriter(file: string, mode: string, lines: number): Promise<Writer> {
    const child = t.spawn(process.execPath, [path.join(FIXTURES_JS, 'rel_crash_writer.js'), file, mode, String(lines)]);
    let stdout = '';
    child.stdout?.on('data', (c: Buffer) => { stdout += c.toString(); });
    const closed = once(child, 'close');
    await waitForLine(child, /^ready$/);
    return { child, out: () => stdout, closed };
  }

  async function lane(dir: string, mode: string, lines: number, maxDelay: number): Promise<Tally> {
    fs.mkdirSync(dir);
    const file = path.join(dir, 'data.yaml');
    fs.writeFileSync(file, versionText(0, lines));
    const lock = new FileLock(`${file}.lock`);
    const known = new Set<string>();
    const r: Tally = { kills: 0, acks: 0, old: 0, new: 0, tempsLeft: 0 };
    let current = 0;
    let next = startWriter(file, mode, lines);
    for (let k = 0; k < KILLS_PER_LANE; k++) {
      const w = await next;
      w.child.stdin?.write(`go ${current}\n`);
      // The next writer loads while this one runs; it touches nothing before its "go".
      next = startWriter(file, mode, lines);
      next.catch(() => undefined);
      await sleep(Math.random() * maxDelay);
      w.child.kill('SIGKILL');
      const [, signal] = await w.closed;
      assert.equal(signal, 'SIGKILL', `the writer ended by itself before the kill: ${w.out()}`);
      r.kills++;

      const h = lock.tryAcquire('exclusive');
      assert.ok(h, `kill ${k}: the lock is still held after the writer died`);
      h.release();

      const acked = w.out().split('\n').filter((l) => l.startsWith('wrote ')).map((l) => Number(l.slice(6)));
      const lastAck = acked.length > 0 ? acked[acked.length - 1] : current;
      r.acks += acked.length;
      const text = fs.readFileSync(file).toString('utf8');
      const doc = parseYaml(text) as VersionDoc;
      assert.ok(doc.version === lastAck || doc.version === lastAck + 1,
        `kill ${k}: the file holds version ${doc.version}; the writer had acknowledged ${lastAck}`);
      assert.ok(text === versionText(doc.version, lines), `kill ${k}: version ${doc.version} is not byte-identical to what was written`);
      if (doc.version === lastAck) r.old++; else r.new++;

      const fresh = temps(dir).filter((n) => !known.has(n));
      assert.ok(fresh.length <= 1, `kill ${k}: one kill left ${fresh.length} temp files: ${fresh.join(', ')}`);
      for (const name of fresh) {
        known.add(name);
        assert.equal(Number(TEMP.exec(name)?.[1]), w.child.pid, `kill ${k}: temp file ${name} is not the killed writer's`);
        const partial = fs.readFileSync(path.join(dir, name));
        const inFlight = Buffer.from(versionText(doc.version + 1, lines));
        assert.ok(partial.length <= inFlight.length && inFlight.subarray(0, partial.length).equals(partial),
          `kill ${k}: temp file ${name} is not a prefix of version ${doc.version + 1}`);
      }
      r.tempsLeft += fresh.length;
      current = doc.version;
    }
    // The leftovers do not disturb the next writer, which sweeps them once it holds the lock.
    const w = await next;
    w.child.stdin?.write(`go ${current}\n`);
    await waitForLine(w.child, /^wrote \d+$/);
    w.child.kill('SIGKILL');
    await w.closed;
    const doc = parseYaml(fs.readFileSync(file).toString('utf8')) as VersionDoc;
    assert.ok(doc.version > current, 'the writer after the kills made progress');
    assert.ok(temps(dir).filter((n) => !known.has(n)).length <= 1);
    const unswept = [...known].filter((n) => fs.existsSync(path.join(dir, n)));
    assert.deepEqual(unswept, [], 'the last writer left earlier writers\' temp files in place');
    return r;
  }

  for (const { mode, label, lines, maxDelay } of MODES.filter((m) => !process.env.REL_MODE || m.mode === process.env.REL_MODE)) {
    it(`${label}: after each of ${LANES * KILLS_PER_LANE} SIGKILLs the file parses and is byte for byte the acknowledged or the in-flight version, and the lock is free`, async () => {
      const lanes = await Promise.all(Array.from({ length: LANES }, (_, i) => lane(path.join(t.dir, `lane${i}`), mode, lines, maxDelay)));
      const keys = ['kills', 'acks', 'old', 'new', 'tempsLeft'] as const;
      const sum = Object.fromEntries(keys.map((k) => [k, lanes.reduce((n, l) => n + l[k], 0)])) as unknown as Tally;
      for (const k of keys) totals[k] += sum[k];
      console.log(`      ${sum.kills} SIGKILLs, ${sum.acks} versions acknowledged between them; the file held the acknowledged version ` +
        `${sum.old}× (${sum.tempsLeft} of them with the killed writer's temp file left: killed mid-write), the in-flight one ${sum.new}× (killed after its rename)`);
      assert.equal(sum.kills, LANES * KILLS_PER_LANE);
    });
  }
});
