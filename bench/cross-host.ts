/**
 * `npm run bench -- --gluster`: hand-off and read-modify-write across the two
 * GlusterFS client "hosts" of test/multi-host/gluster/ (one volume mounted twice, each
 * mount's FUSE client in its own network namespace, fl_a and fl_b), each
 * peer beside itself on local disk in the same run.
 *
 * The scenarios are the ordinary ones (bench/handoff.ts, bench/rmw.ts); only
 * their RunContext changes: the run directory is on the volume, seen by
 * process i through host (i % 2)'s mount, and the process runs under
 * `nsenter --net=/run/netns/<host's netns>`. Stamp files stay on local disk:
 * they are the measurement's clock channel (both hosts share this kernel's
 * CLOCK_MONOTONIC), and an in-place write through one Gluster client can
 * stay invisible through the other for seconds.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { handoff } from './handoff';
import { OURS_ASYNC, RAW_C, type PeerDef } from './peers';
import { RMW_OURS_SYNC, RMW_OURS_SYNC_DURABLE, RMW_RAW_C, RMW_RAW_C_DURABLE, RMW_RAW_C_IN_PLACE, rmw } from './rmw';
import { ROOT, type Host, type RunContext, type Scenario } from './util';

/** A distributed file system the bench can set up (the test environments' scripts). */
export interface CrossHostEngine {
  readonly id: 'gluster' | 'ceph';
  readonly name: string;
  readonly netns: readonly [string, string];
  readonly binaries: readonly string[];
  readonly install: string;
}

export const ENGINES: Record<'gluster' | 'ceph', CrossHostEngine> = {
  gluster: {
    id: 'gluster', name: 'GlusterFS', netns: ['fl_a', 'fl_b'],
    binaries: ['/usr/sbin/glusterd', '/usr/sbin/gluster', '/usr/bin/nsenter'],
    install: 'apt-get install glusterfs-server glusterfs-client',
  },
  ceph: {
    id: 'ceph', name: 'CephFS', netns: ['fc_a', 'fc_b'],
    binaries: ['/usr/bin/ceph-mon', '/usr/bin/ceph-osd', '/usr/bin/ceph-mds', '/usr/bin/ceph-fuse', '/usr/bin/nsenter'],
    install: 'apt-get install --no-install-recommends ceph-mon ceph-osd ceph-mds ceph-fuse',
  },
};

const script = (e: CrossHostEngine, name: string): string => path.join(ROOT, 'test', 'multi-host', e.id, `${e.id}-${name}.sh`);

export interface Mounts {
  readonly a: string;
  readonly b: string;
}

/** Why this process cannot set up `e`, or null. */
export function engineUnavailable(e: CrossHostEngine): string | null {
  if (process.platform !== 'linux') return 'Linux only';
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return 'needs root (network namespaces, FUSE mounts, the servers); run it as root';
  }
  for (const bin of e.binaries) {
    if (!fs.existsSync(bin)) return `${bin} is missing: ${e.install}`;
  }
  return null;
}

/** The engine's up script: the servers, two netns hosts, two mounts. */
export function engineUp(e: CrossHostEngine): Mounts {
  const out = execFileSync('bash', [script(e, 'up')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 180_000 });
  const a = /FL_MNT_A=(.*)/.exec(out)?.[1];
  const b = /FL_MNT_B=(.*)/.exec(out)?.[1];
  if (a === undefined || b === undefined) throw new Error(`${e.id}-up.sh printed no mount points: ${out}`);
  return { a, b };
}

/** The engine's down script; synchronous, so that it can run from an 'exit' handler. Never throws. */
export function engineDown(e: CrossHostEngine): void {
  try {
    execFileSync('bash', [script(e, 'down')], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 120_000 });
  } catch (err) {
    process.stderr.write(`${e.id}-down.sh failed: ${(err as Error).message}\n`);
  }
}

const LOCAL = '@local';

/**
 * The network rows' window. On CephFS an update rate is a few per MDS tick,
 * so a 1 s window holds about ten updates, and single 1 s runs of the same
 * peer measured 10 to 30 ops/s; over 5 s they kept within 10 to 12.6.
 */
const windowMs = (quick: boolean): number => (quick ? 1000 : 5000);

/**
 * `base` with each of `peers` twice: on local disk as usual, and across the
 * two Gluster hosts. Ratios are to raw C on local disk.
 */
function acrossHosts(e: CrossHostEngine, base: Scenario, peers: readonly PeerDef[], id: string, title: string, where: string,
  mounts: Mounts, keepNote: (note: string) => boolean = () => true): Scenario {
  // Not the base scenario's notes about peers that are not run here.
  const notes = (base.notes ?? []).filter(keepNote);
  const variants = peers.flatMap((p) => [
    { ...p, id: p.id + LOCAL, label: `${p.label}, local disk` },
    { ...p, id: `${p.id}@${e.id}`, label: `${p.label}, ${e.name} A↔B` },
  ]);
  return {
    ...base,
    id,
    title,
    shape: base.id !== rmw.id ? base.shape : (quick) => `${base.shape(quick)}; the ${e.name} rows run for ${windowMs(quick)} ms`,
    notes: [where, ...notes],
    peers: variants,
    baseline: baselineOf(base, peers) + LOCAL,
    // The targets are about local disk; the lost-update and torn-file
    // checks are not targets and apply to every row (ctx.problem).
    targets: [],
    async measure(peer: PeerDef, ctx: RunContext): Promise<Record<string, number>> {
      if (!peer.id.endsWith(`@${e.id}`)) return base.measure(peer, ctx);
      const name = path.basename(ctx.dir);
      const dirA = path.join(mounts.a, name);
      fs.mkdirSync(dirA);
      const hosts: Host[] = [
        { dir: dirA, wrap: ['nsenter', `--net=/run/netns/${e.netns[0]}`] },
        { dir: path.join(mounts.b, name), wrap: ['nsenter', `--net=/run/netns/${e.netns[1]}`] },
      ];
      try {
        return await base.measure(peer, { ...ctx, dir: dirA, hosts, localDir: ctx.dir,
          windowMs: base.id === rmw.id ? windowMs(ctx.quick) : undefined });
      } finally {
        fs.rmSync(dirA, { recursive: true, force: true });
      }
    },
  };
}

/** The base scenario's baseline (raw C), which must be among `peers`. */
function baselineOf(base: Scenario, peers: readonly PeerDef[]): string {
  const c = peers.find((p) => p.id === base.baseline);
  if (c === undefined) throw new Error(`${base.id}: the cross-host peers must include the baseline ${base.baseline}`);
  return c.id;
}

// CephFS only: an in-place write made through one GlusterFS client can stay
// invisible through the other for seconds (README), so there the row could lose updates.
const IN_PLACE_NOTE = 'raw C in place: the same update written over FILE itself (pwrite + ftruncate), no temp file, '
  + 'no rename: the difference to the raw C row is what the rename costs the engine. Not atomic for a reader without the lock.';

export function crossHostScenarios(e: CrossHostEngine, mounts: Mounts): Scenario[] {
  const letter = e.id === 'gluster' ? 'G' : 'C';
  return [
    acrossHosts(e, handoff, [RAW_C, OURS_ASYNC], `handoff-${e.id}`,
      `${letter}1. Hand-off between two hosts on ${e.name}, beside the same on local disk`,
      `${e.name} rows: the holder runs on host A (netns ${e.netns[0]}) through A's mount, the waiter on host B through B's; `
        + 'they swap roles every hand-off, so half the hand-offs go A→B and half B→A. Stamps go through local disk.',
      mounts),
    acrossHosts(e, { ...rmw, notes: [...(rmw.notes ?? []), ...(e.id === 'ceph' ? [IN_PLACE_NOTE] : [])] },
      [RMW_RAW_C, ...(e.id === 'ceph' ? [RMW_RAW_C_IN_PLACE] : []), RMW_RAW_C_DURABLE, RMW_OURS_SYNC_DURABLE, RMW_OURS_SYNC],
      `rmw-${e.id}`,
      `${letter}2. 4 processes on two hosts × read-modify-write of one YAML file on ${e.name}, beside the same on local disk`,
      `${e.name} rows: processes 1 and 3 on host A through A's mount, 2 and 4 on host B through B's; `
        + 'the final file is read back through A\'s mount and checked for lost updates as on local disk.',
      mounts, (n) => !/^(proper-lockfile|fs-ext|Python plan)/.test(n)),
  ];
}
