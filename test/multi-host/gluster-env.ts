// The GlusterFS test environment shared by the multi-host suites (gluster.test.ts, partition.test.ts):
// test/multi-host/gluster/gluster-up.sh starts one volume mounted twice, each mount's
// FUSE client in its own network namespace (fl_a, fl_b: two "hosts").
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { ROOT } from '../helpers';

export type Host = 'a' | 'b';
/** test/multi-host/gluster: the environment's scripts. */
export const GLUSTER_SCRIPTS = path.join(ROOT, 'test', 'multi-host', 'gluster');

/** Why the suite cannot run here, or null. Once the packages are there, a setup failure is a failure. */
export function missingPrerequisite(): string | null {
  if (process.platform !== 'linux') return 'Linux only';
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root (network namespaces, FUSE mounts, glusterd)';
  for (const bin of ['/usr/sbin/glusterd', '/usr/sbin/gluster', '/usr/bin/nsenter']) {
    if (!fs.existsSync(bin)) return `${bin} is missing: apt-get install glusterfs-server glusterfs-client (as .ci/run does)`;
  }
  return null;
}

/**
 * mocha hooks for a suite on the two mounts: skips the suite (printing why)
 * when it cannot run, brings the environment up before and down after.
 * Returns the mount points, filled in once `before` has run.
 */
export function useGluster(): Record<Host, string> {
  const mnt: Record<Host, string> = { a: '', b: '' };
  before(function () {
    this.timeout(120_000);
    const missing = missingPrerequisite();
    if (missing !== null) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
    const t0 = Date.now();
    const out = execFileSync('bash', [path.join(GLUSTER_SCRIPTS, 'gluster-up.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    mnt.a = /FL_MNT_A=(.*)/.exec(out)![1];
    mnt.b = /FL_MNT_B=(.*)/.exec(out)![1];
    console.log(`      gluster-up.sh: volume + 2 netns hosts + 2 mounts in ${Date.now() - t0} ms`);
  });
  return mnt;
}

/** Tears the environment down (from an `after` hook, after the suite's own cleanup). */
export function glusterDown(): void {
  const t0 = Date.now();
  execFileSync('bash', [path.join(GLUSTER_SCRIPTS, 'gluster-down.sh')], { stdio: 'inherit' });
  console.log(`      gluster-down.sh: ${Date.now() - t0} ms`);
}
