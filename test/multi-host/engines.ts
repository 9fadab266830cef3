// The two distributed file systems the multi-host suites run on, GlusterFS
// and CephFS, behind one interface: bring the engine up, run a process "on
// host A or B", kill or cut off a host's client, remount it, tear it down.
//
// Each engine's scripts (test/multi-host/gluster/, test/multi-host/ceph/)
// mount one file system twice, each mount's FUSE client in its own network
// namespace: two client "hosts" that reach the server over veth pairs. A
// process "on host X" runs under `nsenter --net=` X's netns and uses X's
// mount point, so its locks and files go through X's own client, as from
// another machine. The two engines use disjoint names and subnets (fl_*,
// 10.231.77.0/24 and fc_*, 10.231.78.0/24).
//
// One environment per engine serves every suite that asks for it in this
// mocha process: brought up by the first suite's `before`, torn down after
// the last suite that registered it (or at exit, if some never ran).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { FIXTURES_JS, ROOT, sleep } from '../helpers';

export type Host = 'a' | 'b';

export interface Engine {
  /** gluster | ceph: the scripts' folder and prefix. */
  readonly id: 'gluster' | 'ceph';
  /** As printed in test names. */
  readonly name: string;
  readonly scripts: string;
  /** The netns of host `h`. */
  netns(h: Host): string;
  /** The root-side end of host `h`'s veth: down = the host is cut off. */
  link(h: Host): string;
  /** The binaries the scripts need, and how to get them. */
  readonly binaries: readonly string[];
  readonly install: string;
  /** Shell (after sourcing the env script) printing the pid of host `h`'s FUSE client. */
  clientPidShell(h: Host, mnt: string): string;
}

const dir = (id: string): string => path.join(ROOT, 'test', 'multi-host', id);

export const GLUSTER: Engine = {
  id: 'gluster',
  name: 'GlusterFS',
  scripts: dir('gluster'),
  netns: (h) => `fl_${h}`,
  link: (h) => `fl_v${h}`,
  binaries: ['/usr/sbin/glusterd', '/usr/sbin/gluster', '/usr/sbin/glusterfs', '/usr/bin/nsenter'],
  install: 'apt-get install glusterfs-server glusterfs-client',
  clientPidShell: (_h, mnt) => `client_pid ${mnt}`,
};

export const CEPH: Engine = {
  id: 'ceph',
  name: 'CephFS',
  scripts: dir('ceph'),
  netns: (h) => `fc_${h}`,
  link: (h) => `fc_v${h}`,
  binaries: ['/usr/bin/ceph-mon', '/usr/bin/ceph-osd', '/usr/bin/ceph-mds', '/usr/bin/ceph-fuse', '/usr/bin/ceph', '/usr/bin/nsenter'],
  install: 'apt-get install --no-install-recommends ceph-mon ceph-osd ceph-mds ceph-fuse',
  clientPidShell: (h) => `fc_client_pid ${h}`,
};

export const ENGINES: readonly Engine[] = [GLUSTER, CEPH];

/** Why `engine` cannot run here, or null. Once its packages are there, a setup failure is a failure. */
export function missingPrerequisite(engine: Engine): string | null {
  if (process.platform !== 'linux') return 'Linux only';
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root (network namespaces, FUSE mounts, the servers)';
  if (!fs.existsSync('/dev/fuse')) return '/dev/fuse is missing (FUSE)';
  if (!fs.existsSync('/proc/self/ns/net')) return 'no network namespaces in this kernel';
  for (const bin of engine.binaries) {
    if (!fs.existsSync(bin)) return `${bin} is missing: ${engine.install} (as .ci/run does)`;
  }
  return null;
}

interface EnvState { mnt: Record<Host, string>; registered: number; finished: number; up: boolean }
const state = new Map<Engine, EnvState>();

function runScript(engine: Engine, script: string, args: string[] = [], timeout = 180_000): string {
  return execFileSync('bash', [path.join(engine.scripts, `${engine.id}-${script}.sh`), ...args],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout });
}

function down(engine: Engine, s: EnvState): void {
  if (!s.up) return;
  s.up = false;
  const t0 = Date.now();
  try {
    runScript(engine, 'down', [], 120_000);
  } catch (err) {
    process.stderr.write(`${engine.id}-down.sh failed: ${(err as Error).message}\n`);
  }
  console.log(`      ${engine.id}-down.sh: ${Date.now() - t0} ms`);
}

process.on('exit', () => { for (const [engine, s] of state) down(engine, s); });

/** One engine's two hosts, for the tests of a suite. */
export class Cluster {
  readonly children = new Set<ChildProcess>();
  constructor(readonly engine: Engine, private readonly s: EnvState) {}

  /** Host `h`'s mount point ('' until `before` has run). */
  mount(h: Host): string { return this.s.mnt[h]; }

  /** `nsenter` arguments that run a command in host `h`'s netns. */
  wrap(h: Host): string[] { return ['nsenter', `--net=/run/netns/${this.engine.netns(h)}`]; }

  /** A process on host `h` (stdin/stdout piped, stderr inherited), killed by `killChildren`. */
  spawnOn(h: Host, cmd: string, args: string[]): ChildProcess {
    const child = spawn(this.wrap(h)[0], [...this.wrap(h).slice(1), cmd, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.children.add(child);
    return child;
  }

  /** A Node fixture (test/fixtures/NAME.js) on host `h`. */
  nodeOn(h: Host, fixture: string, args: string[]): ChildProcess {
    return this.spawnOn(h, process.execPath, [path.join(FIXTURES_JS, fixture), ...args]);
  }

  async killChildren(): Promise<void> {
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await Promise.race([once(child, 'exit'), sleep(5_000)]);
      }
      child.stdin?.destroy();
    }
    this.children.clear();
  }

  /** The pid of host `h`'s FUSE client (glusterfs or ceph-fuse). */
  clientPid(h: Host): number {
    const env = path.join(this.engine.scripts, `${this.engine.id}-env.sh`);
    return Number(execFileSync('bash', ['-c', `. ${env}; ${this.engine.clientPidShell(h, this.mount(h))}`], { encoding: 'utf8' }).trim());
  }

  /** Cuts host `h` off the network (its veth down), or back on. */
  link(h: Host, state: 'up' | 'down'): void {
    execFileSync('ip', ['link', 'set', this.engine.link(h), state], { stdio: 'inherit' });
  }

  /** A fresh client for host `h` (after its client was killed, or evicted). */
  remount(h: Host): void {
    runScript(this.engine, 'remount', [h], 60_000);
  }
}

/**
 * A describe per engine, named for it, running `suite` on that engine's two
 * hosts. The suite is skipped (printing why) when the engine cannot run
 * here; the shared environment is brought up before it if it is not up yet,
 * and down after the last suite using it (after the suite's own hooks).
 * `fresh`: the suite gets an environment of its own, brought up for it and
 * down after it (a partition can leave a mount that does not come back).
 */
export function forEachEngine(title: string, suite: (cluster: Cluster) => void, engines: readonly Engine[] = ENGINES,
  { fresh = false } = {}): void {
  for (const engine of engines) {
    describe(`${title}, on ${engine.name}`, function () {
      let env = state.get(engine);
      if (env === undefined) {
        env = { mnt: { a: '', b: '' }, registered: 0, finished: 0, up: false };
        state.set(engine, env);
      }
      const s = env;
      s.registered++;
      const cluster = new Cluster(engine, s);
      let ran = false;
      before(function () {
        this.timeout(180_000);
        const missing = missingPrerequisite(engine);
        if (missing !== null) {
          console.log(`      skipped on ${engine.name}: ${missing}`);
          this.skip();
        }
        ran = true;
        if (s.up && fresh) down(engine, s);
        if (s.up) return;
        const t0 = Date.now();
        let out: string;
        try {
          out = runScript(engine, 'up');
        } catch (err) {
          // A bring-up on a loaded machine fails now and then (a Ceph OSD's
          // mkfs, a daemon slow to answer); the script cleaned up after itself.
          console.log(`      ${engine.id}-up.sh failed (${(err as Error).message.split('\n')[0]}); once more`);
          out = runScript(engine, 'up');
        }
        s.up = true;
        s.mnt.a = /FL_MNT_A=(.*)/.exec(out)![1];
        s.mnt.b = /FL_MNT_B=(.*)/.exec(out)![1];
        console.log(`      ${engine.id}-up.sh: server + 2 netns hosts + 2 mounts in ${Date.now() - t0} ms`);
      });
      suite(cluster);
      after(async function () {
        this.timeout(180_000);
        await cluster.killChildren();
        if (ran && (++s.finished === s.registered || fresh)) down(engine, s);
      });
    });
  }
}
