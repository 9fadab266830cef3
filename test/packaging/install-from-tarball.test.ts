// The npm tarball, installed the way a user without a compiler installs it:
// `npm pack`, then `npm install <tarball>` in a fresh directory with PATH cut
// down to node, npm and sh (no cc, make or python), so the only way the addon
// can load is the prebuild. Then a lock is taken and released from CommonJS
// (require) and from ESM (import).
//
// Needs prebuilds/linux-x64 (npm run prebuild); .ci/run builds them before
// npm test, so in CI this never skips.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SpawnSyncReturns } from 'node:child_process';
import { ROOT } from '../helpers';
import { ok, packedTarball, requireHostPrebuild, run, type PackResult } from '../helpers/consumer';

describe('packaging: the npm tarball installs and works without a compiler', function () {
  this.timeout(300_000);
  let tmp = '';
  let pack: PackResult;
  let tarball = '';

  before(function () {
    requireHostPrebuild(this);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'file-locking-pack-'));
  });

  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('npm pack ships dist/lib, esm, the prebuilds, src-native, binding.gyp and NOTICE, and no tests, bench or demo', () => {
    ({ pack, tarball } = packedTarball());
    const files = pack.files.map((f) => f.path).sort();
    console.log(`      tarball ${pack.filename}: ${pack.size} bytes packed, ${pack.unpackedSize} unpacked, ${pack.entryCount} files`);
    for (const f of pack.files.slice().sort((a, b) => a.path.localeCompare(b.path))) {
      console.log(`        ${String(f.size).padStart(7)}  ${f.path}`);
    }

    // NOTICE: PyYAML's MIT license must travel with the port in dist/lib/yaml-*.js.
    for (const need of ['package.json', 'binding.gyp', 'esm/index.mjs', 'dist/lib/index.js', 'dist/lib/index.d.ts',
      'dist/lib/native.js', 'dist/lib/cli.js', 'src-native/fl.h', 'README.md', 'NOTICE', 'CHANGELOG.md']) {
      assert.ok(files.includes(need), `the tarball lacks ${need}`);
    }
    const gyp = JSON.parse(fs.readFileSync(path.join(ROOT, 'binding.gyp'), 'utf8').replace(/^\s*#.*$/gm, '')) as { targets: { sources: string[] }[] };
    for (const src of gyp.targets[0].sources) assert.ok(files.includes(src), `the tarball lacks ${src}, which binding.gyp compiles`);
    // CI builds both Linux prebuilds; a macOS runner (the release workflow) has its own.
    const wanted = process.platform === 'linux' ? ['linux-x64', ...(process.env.CI ? ['linux-arm64'] : [])] : [`${process.platform}-${process.arch}`];
    for (const dir of wanted) {
      assert.ok(files.some((f) => f.startsWith(`prebuilds/${dir}/`) && f.endsWith('.node')), `the tarball has no prebuilds/${dir}`);
    }
    if (!files.some((f) => f.startsWith('prebuilds/linux-arm64/'))) console.log('      (note: no linux-arm64 prebuild in this tarball)');
    const unwanted = files.filter((f) => /^(test|bench|demo|scripts|build|build-cmake|docs|lib|node_modules)\/|^dist\/(test|bench|demo)\/|^\.ci\//.test(f));
    assert.deepEqual(unwanted, [], 'the tarball ships files users do not need');
  });

  it('installs from the tarball with PATH = {node, npm, sh}, loads the prebuild, and locks from CJS and ESM', function () {
    if (!tarball) this.skip();
    // A bin directory with nothing but node, npm and sh.
    const bin = path.join(tmp, 'bin');
    fs.mkdirSync(bin);
    const which = (name: string): string => {
      for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
        const p = path.join(dir, name);
        try {
          fs.accessSync(p, fs.constants.X_OK);
          return fs.realpathSync(p);
        } catch { /* next */ }
      }
      throw new Error(`${name} not found on PATH`);
    };
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    fs.symlinkSync(which('npm'), path.join(bin, 'npm'));
    fs.symlinkSync(which('sh'), path.join(bin, 'sh'));
    // A clean environment: no npm_* variables from an enclosing `npm test`.
    const env: NodeJS.ProcessEnv = { HOME: process.env.HOME, PATH: bin, LANG: 'C.UTF-8', TMPDIR: os.tmpdir() };

    const app = path.join(tmp, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
    const tools = run(path.join(bin, 'sh'), ['-c', 'for t in cc gcc g++ c++ clang make python python3 tsc; do command -v $t; done; true'], { cwd: app, env });
    assert.equal(tools.stdout.trim(), '', `the stripped PATH still finds build tools: ${tools.stdout}`);

    // The runtime dependencies come from the npm cache (filled by npm ci);
    // when the cache lacks one, fall back to the registry.
    const npmInstall = (offline: boolean): SpawnSyncReturns<string> => run(path.join(bin, 'npm'), ['install', tarball,
      offline ? '--offline' : '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts', '--loglevel=info'], { cwd: app, env });
    const started = performance.now();
    let install = npmInstall(true);
    let mode = '--offline';
    if (install.status !== 0 && /ENOTCACHED/.test(install.stdout + install.stderr)) {
      console.log('      (npm cache incomplete: installing with --prefer-offline)');
      install = npmInstall(false);
      mode = '--prefer-offline';
    }
    const installMs = performance.now() - started;
    const log = ok(install, 'npm install of the tarball') + install.stderr;
    console.log(`      no-compiler install (npm install ${mode} <tarball>): ${(installMs / 1000).toFixed(1)} s`);

    // npm ran our `install` script (node-gyp-build), which found the prebuild
    // and compiled nothing; `prepare` (tsc) does not run for a tarball.
    const scripts = [...log.matchAll(/npm info run file-locking@[^ ]+ (\w+) /g)].map((m) => m[1]);
    assert.ok(scripts.includes('install'), `npm did not run the install script:\n${log}`);
    assert.ok(!scripts.includes('prepare'), 'npm ran prepare for a tarball install');
    const pkgDir = path.join(app, 'node_modules', 'file-locking');
    assert.equal(fs.existsSync(path.join(pkgDir, 'build')), false, 'node-gyp-build compiled instead of using the prebuild');
    for (const dep of ['js-yaml', 'node-gyp-build', 'node-addon-api']) {
      assert.ok(fs.existsSync(path.join(app, 'node_modules', dep, 'package.json')), `dependency ${dep} was not installed`);
    }

    const lockFile = path.join(tmp, 'pack.lock');
    const report = `const addon = Object.keys(require.cache).filter((k) => k.endsWith('.node'));
      console.log(JSON.stringify({ held, released, addon }));`;
    fs.writeFileSync(path.join(app, 'cjs.cjs'), `'use strict';
      const { FileLock } = require('file-locking');
      const h = new FileLock(${JSON.stringify(lockFile)}).acquireSync('exclusive', { timeout: 10000 });
      const held = h.held;
      h.release();
      const released = !h.held;
      ${report}`);
    fs.writeFileSync(path.join(app, 'esm.mjs'), `import { FileLock } from 'file-locking';
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const h = await new FileLock(${JSON.stringify(lockFile)}).acquire('exclusive', { timeout: 10000 });
      const held = h.held;
      h.release();
      const released = !h.held;
      ${report}`);
    const prebuild = path.join(pkgDir, 'prebuilds', `${process.platform}-${process.arch}`) + path.sep;
    for (const script of ['cjs.cjs', 'esm.mjs']) {
      const out = ok(run(path.join(bin, 'node'), [script], { cwd: app, env }), `node ${script}`);
      const result = JSON.parse(out.trim().split('\n').pop() as string) as { held: boolean; released: boolean; addon: string[] };
      console.log(`      ${script}: took and released the lock; addon ${path.relative(app, result.addon[0] ?? '(none)')}`);
      assert.equal(result.held, true, `${script}: the handle was not held`);
      assert.equal(result.released, true, `${script}: the handle was not released`);
      assert.equal(result.addon.length, 1, `${script}: expected one addon, got ${result.addon.join(', ')}`);
      assert.ok(result.addon[0].startsWith(prebuild), `${script} loaded ${result.addon[0]}, not the prebuild`);
    }
  });
});
