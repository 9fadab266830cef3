// A tarball or an install without its binaries says so, instead of failing
// later with a compiler error or node-gyp-build's bare "No native build was
// found": `npm pack` refuses to pack without the prebuilds the README
// promises, and loading without any binary names the fix.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, sandbox } from '../helpers';
import { run } from '../helpers/consumer';

const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

describe('a tarball or an install without its binaries says so', function () {
  this.timeout(60_000);
  const t = sandbox();

  /** A package directory with this package.json (minus `prepare`, which needs tsc) and the prepack check. */
  function packageCopy(prebuilds: string[]): string {
    const dir = t.file('pkg');
    fs.mkdirSync(path.join(dir, 'scripts'), { recursive: true });
    const { prepare: _prepare, ...scripts } = PKG.scripts;
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ ...PKG, scripts }));
    fs.copyFileSync(path.join(ROOT, 'scripts', 'check-pack-prebuilds.js'), path.join(dir, 'scripts', 'check-pack-prebuilds.js'));
    for (const p of prebuilds) {
      fs.mkdirSync(path.join(dir, 'prebuilds', p), { recursive: true });
      fs.writeFileSync(path.join(dir, 'prebuilds', p, 'file-locking.glibc.node'), 'not really an addon');
    }
    return dir;
  }

  const pack = (dir: string, env: NodeJS.ProcessEnv = {}) =>
    run('npm', ['pack', '--dry-run', '--json'], { cwd: dir, env: { ...process.env, ...env } });

  it('npm pack runs the prebuild check as prepack', () => {
    assert.equal(PKG.scripts.prepack, 'node scripts/check-pack-prebuilds.js');
  });

  it('npm pack refuses without prebuilds/linux-x64 and linux-arm64, naming both and how to fix it', () => {
    const r = pack(packageCopy([]));
    assert.notEqual(r.status, 0, 'npm pack succeeded without prebuilds');
    assert.match(r.stderr, /refusing to pack: no prebuilt binary in prebuilds\/linux-x64\/, prebuilds\/linux-arm64\//);
    assert.match(r.stderr, /npm run prebuild/);
  });

  it('npm pack refuses with only one of the two Linux prebuilds', () => {
    const r = pack(packageCopy(['linux-x64']));
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /no prebuilt binary in prebuilds\/linux-arm64\/\./);
  });

  it('npm pack packs with both, and FILE_LOCKING_PACK_REQUIRE adds platforms (the release job asks for darwin)', () => {
    const dir = packageCopy(['linux-x64', 'linux-arm64']);
    const r = pack(dir);
    assert.equal(r.status, 0, r.stderr);
    const [result] = JSON.parse(r.stdout.slice(r.stdout.indexOf('['))) as { files: { path: string }[] }[];
    assert.ok(result.files.some((f) => f.path === 'prebuilds/linux-arm64/file-locking.glibc.node'));
    const darwin = pack(dir, { FILE_LOCKING_PACK_REQUIRE: 'darwin-x64,darwin-arm64' });
    assert.notEqual(darwin.status, 0);
    assert.match(darwin.stderr, /prebuilds\/darwin-x64\/, prebuilds\/darwin-arm64\//);
  });

  it('FILE_LOCKING_PACK_WITHOUT_PREBUILDS=1 packs a source-only tarball on purpose, and says so', () => {
    const r = pack(packageCopy([]), { FILE_LOCKING_PACK_WITHOUT_PREBUILDS: '1' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /packing without checking prebuilds/);
  });

  it('loading with no prebuild and no build fails with EADDON saying `npm rebuild file-locking`', () => {
    // The installed layout without binaries: dist/lib and package.json only,
    // as `npm install --ignore-scripts` of a tarball without prebuilds leaves it.
    const pkg = t.file('node_modules/file-locking');
    fs.mkdirSync(path.join(pkg, 'dist'), { recursive: true });
    fs.cpSync(path.join(ROOT, 'dist', 'lib'), path.join(pkg, 'dist', 'lib'), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(pkg, 'package.json'));
    const { FILE_LOCKING_ADDON: _override, ...env } = process.env;
    const r = run(process.execPath, ['-e', `
      try { require('file-locking'); console.log('loaded'); }
      catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message, cause: String(e.cause && e.cause.message) })); }`],
    { cwd: t.dir, env: { ...env, NODE_PATH: path.join(ROOT, 'node_modules') } });
    const out = JSON.parse(r.stdout.trim()) as { name: string; code: string; message: string; cause: string };
    assert.equal(out.name, 'FileLockingError');
    assert.equal(out.code, 'EADDON');
    assert.match(out.message, /could not load its native addon for linux-x64|could not load its native addon for \w+-\w+/);
    assert.match(out.message, /`npm rebuild file-locking`/);
    assert.match(out.cause, /No native build was found/, 'node-gyp-build\'s own message stays as the cause');
  });
});
