/**
 * Where the time of one read-modify-write goes across two hosts: the C2/G2
 * update of bench/rmw.ts (2 hosts × 2 processes), every process run under
 * strace, and the traces summed up per update by bench/trace_updates.py.
 *
 *   node dist/bench/trace-updates.js --gluster|--ceph [--ms 5000] [--only-flock] PEER_ID…
 *
 * PEER_ID: rmw-raw-c, rmw-raw-c-in-place, rmw-raw-c-durable,
 * rmw-ours-sync-durable, rmw-ours-sync, … (bench/rmw.ts). Root only; sets
 * the engine up and tears it down, as `npm run bench -- --ceph` does.
 *
 * A full `strace -f -T` slows every syscall (by ~0.1–1 ms on these FUSE
 * mounts), so it shows which calls there are and which of them stall, not
 * what they cost untraced; `--only-flock` traces flock(2) (and the read of
 * the command line, which marks the window's start) through a seccomp
 * filter, for hold times and hand-off latencies close to untraced ones.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ENGINES, engineDown, engineUnavailable, engineUp } from './cross-host';
import * as rmwModule from './rmw';
import { BENCH_TMP, ROOT, type Host, type RunContext } from './util';
import { PYTHON } from './peers';

const { values, positionals } = parseArgs({
  options: {
    gluster: { type: 'boolean', default: false },
    ceph: { type: 'boolean', default: false },
    ms: { type: 'string', default: '5000' },
    'only-flock': { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
const engine = values.ceph === true ? ENGINES.ceph : values.gluster === true ? ENGINES.gluster : null;
const peers = Object.values(rmwModule).filter((v): v is rmwModule.RmwPeer =>
  typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string' && 'durable' in v);
const chosen = positionals.map((id) => {
  const p = peers.find((x) => x.id === id);
  if (p === undefined) {
    process.stderr.write(`trace-updates: unknown peer ${id}; known: ${peers.map((x) => x.id).join(', ')}\n`);
    process.exit(2);
  }
  return p;
});
if (engine === null || chosen.length === 0) {
  process.stderr.write('usage: node dist/bench/trace-updates.js --gluster|--ceph [--ms 5000] [--only-flock] PEER_ID…\n');
  process.exit(2);
}
const why = engineUnavailable(engine) ?? (fs.existsSync('/usr/bin/strace') ? null : '/usr/bin/strace is missing: apt-get install strace');
if (why !== null) {
  process.stderr.write(`trace-updates: ${why}\n`);
  process.exit(2);
}
const ms = Number(values.ms);
if (!Number.isInteger(ms) || ms < 100) {
  process.stderr.write(`trace-updates: --ms must be an integer of at least 100, got ${values.ms}\n`);
  process.exit(2);
}
const strace = values['only-flock'] === true ? ['strace', '-f', '--seccomp-bpf', '-e', 'trace=flock,read', '-T', '-tt'] : ['strace', '-f', '-T', '-tt'];
fs.mkdirSync(BENCH_TMP, { recursive: true });
const out = fs.mkdtempSync(path.join(BENCH_TMP, 'trace-'));
const rawFlock = path.join(out, 'raw-flock');
execFileSync('cc', ['-O2', '-Wall', '-pthread', '-o', rawFlock, path.join(ROOT, 'bench', 'raw-flock.c')], { stdio: 'inherit' });

async function main(e: NonNullable<typeof engine>): Promise<void> {
  const mounts = engineUp(e);
  try {
    for (const peer of chosen) {
      const name = `trace-${peer.id}`;
      const dirA = path.join(mounts.a, name);
      fs.mkdirSync(dirA);
      const prefix = path.join(out, peer.id);
      // Process i on host i % 2, as in the bench; each with its own trace file.
      const hosts: Host[] = [0, 1, 2, 3].map((i) => ({
        dir: path.join(i % 2 === 0 ? mounts.a : mounts.b, name),
        wrap: ['nsenter', `--net=/run/netns/${e.netns[i % 2]}`, ...strace, '-o', `${prefix}.p${i}`],
      }));
      const file = path.join(dirA, 'data.yaml');
      fs.writeFileSync(file, 'counter: 0\nname: rmw-bench\nrecent:\n- seed\n');
      const ctx: RunContext = {
        quick: false, run: 1, dir: dirA, rawFlock, hosts, localDir: out,
        log: () => {}, problem: (m: string) => { process.stderr.write(`${m}\n`); },
      };
      try {
        const r = await rmwModule.runUpdates(peer, ctx, file, 'counter', ms);
        const counter = /^counter: (\d+)/m.exec(fs.readFileSync(file, 'utf8'))?.[1];
        process.stdout.write(`== ${peer.label}: ${r.opsPerSec} ops/s traced, ${r.counts.join(' + ')} updates, `
          + `counter ${counter}${Number(counter) === r.total ? '' : ' (LOST UPDATES)'}\n`);
      } finally {
        fs.rmSync(dirA, { recursive: true, force: true });
      }
      process.stdout.write(execFileSync(PYTHON, [path.join(ROOT, 'bench', 'trace_updates.py'), prefix], { encoding: 'utf8' }));
    }
  } finally {
    engineDown(e);
  }
  process.stdout.write(`traces: ${out}\n`);
}

main(engine).catch((err) => {
  process.stderr.write(`${(err as Error)?.stack ?? err}\n`);
  process.exit(1);
});
