// Which binary node-gyp-build loads, decided by node-gyp-build's own code (the
// code npm's install script and lib/native.ts run) against the real
// prebuilds/ folder: the Linux prebuilds are tagged ".glibc", so a glibc
// system loads them and a musl system (Alpine) refuses them and builds from
// source, instead of loading a binary linked against another C library.
//
// node-gyp-build decides the libc once at load: the LIBC environment variable
// if set, else "musl" when /etc/alpine-release exists, else "glibc". Each case
// runs in a child process with LIBC set, so the real decision code runs.
// (The Debian 11 root in scripts/ci-bullseye.sh also shows the
// /etc/alpine-release detection.) PREBUILDS_ONLY=1 makes it ignore build/,
// which a developer's checkout has and the installed package does not.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT } from '../helpers';

const ARCHS = ['x64', 'arm64'];
const NAME = 'file-locking.glibc.node';

interface Resolved { file?: string; error?: string; haveOfd?: boolean }

/** node-gyp-build's choice for `dir` in a child that sees the given libc and arch. */
function resolveIn(dir: string, libc: 'glibc' | 'musl', arch: string, load = false): Resolved {
  const script = `
    const ngb = require(${JSON.stringify(require.resolve('node-gyp-build', { paths: [ROOT] }))});
    let out;
    try {
      out = { file: ngb.resolve(${JSON.stringify(dir)}) };
      if (${load}) out.haveOfd = require(out.file).constants.F_OFD_SETLK !== undefined;
    } catch (err) { out = { error: err.message }; }
    console.log(JSON.stringify(out));`;
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LIBC: libc, PREBUILDS_ONLY: '1', npm_config_arch: arch };
  const r = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8' });
  assert.equal(r.status, 0, `resolver child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim()) as Resolved;
}

describe('packaging: node-gyp-build picks the glibc prebuild on glibc and refuses it on musl', function () {
  this.timeout(60_000);
  const present = ARCHS.filter((a) => fs.existsSync(path.join(ROOT, 'prebuilds', `linux-${a}`, NAME)));
  let tmp = '';

  before(function () {
    if (process.platform !== 'linux') this.skip();
    if (present.length < ARCHS.length) {
      if (process.env.CI) throw new Error(`prebuilds missing (have ${present.join(', ') || 'none'}): .ci/run must run \`npm run prebuild\` before npm test`);
      console.log('      (skipped: no prebuilds; run `npm run prebuild` first)');
      this.skip();
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'file-locking-select-'));
  });

  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('every Linux prebuild carries the glibc tag: no untagged binary a musl system would take', () => {
    for (const entry of fs.readdirSync(path.join(ROOT, 'prebuilds')).filter((d) => d.startsWith('linux-'))) {
      const files = fs.readdirSync(path.join(ROOT, 'prebuilds', entry));
      assert.deepEqual(files, [NAME], `prebuilds/${entry} holds ${files.join(', ')}`);
    }
  });

  it('on glibc it picks prebuilds/linux-<arch>/file-locking.glibc.node for x64 and arm64, and the host one loads', () => {
    for (const arch of ARCHS) {
      const host = arch === process.arch;
      const got = resolveIn(ROOT, 'glibc', arch, host);
      assert.equal(got.error, undefined, `linux-${arch}: ${got.error}`);
      assert.equal(got.file, path.join(ROOT, 'prebuilds', `linux-${arch}`, NAME));
      if (host) assert.equal(got.haveOfd, true, 'the loaded prebuild does not report OFD locks');
    }
  });

  it('where it reports musl (as on Alpine) it finds no native build, so the install script compiles from source', () => {
    for (const arch of ARCHS) {
      const got = resolveIn(ROOT, 'musl', arch);
      assert.equal(got.file, undefined, `linux-${arch}: a musl system would load ${got.file}`);
      assert.match(got.error ?? '', new RegExp(`No native build was found for platform=linux arch=${arch} .*libc=musl`));
    }
  });

  it('control: an untagged prebuild, as shipped before, is what a musl system would load', () => {
    const dir = path.join(tmp, 'untagged');
    fs.mkdirSync(path.join(dir, 'prebuilds', `linux-${process.arch}`), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
    const untagged = path.join(dir, 'prebuilds', `linux-${process.arch}`, 'file-locking.node');
    fs.copyFileSync(path.join(ROOT, 'prebuilds', `linux-${process.arch}`, NAME), untagged);
    assert.equal(resolveIn(dir, 'musl', process.arch).file, untagged);
  });

  it('each Linux prebuild passes scripts/check-prebuild.sh: GLIBC <= 2.28, no system C++ runtime, two exports', function () {
    for (const tool of ['readelf', 'file']) {
      if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
        if (process.env.CI) throw new Error(`${tool} is missing: .ci/run installs binutils and file`);
        this.skip();
      }
    }
    for (const arch of ARCHS) {
      const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'check-prebuild.sh'), path.join(ROOT, 'prebuilds', `linux-${arch}`, NAME), arch], { encoding: 'utf8' });
      assert.equal(r.status, 0, `linux-${arch}: ${r.stderr}`);
      console.log(`      ${r.stdout.trim().replace(/^check-prebuild: OK .*?: /, `linux-${arch}: `)}`);
    }
  });
});
