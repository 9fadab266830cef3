// The package as a user gets it: `npm pack` once per test run, installed once
// into a consumer directory outside the repository, where TypeScript
// projects of several module kinds compile against the installed .d.ts
// (`skipLibCheck: false`) and their output runs against the installed
// JavaScript and prebuild. Shared by the tarball, type and README tests.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync, type SpawnSyncOptions, type SpawnSyncReturns } from 'node:child_process';
import { ROOT } from './index';

export interface PackFile { path: string; size: number }
export interface PackResult { filename: string; size: number; unpackedSize: number; entryCount: number; files: PackFile[] }

/** Where this platform's prebuild lives in the checkout (`npm run prebuild`). */
export const HOST_PREBUILD_DIR = path.join(ROOT, 'prebuilds', `${process.platform}-${process.arch}`);

export function hasHostPrebuild(): boolean {
  try {
    return fs.readdirSync(HOST_PREBUILD_DIR).some((f) => f.endsWith('.node'));
  } catch {
    return false;
  }
}

/**
 * For a before() hook: skips the suite without a host prebuild outside CI
 * (a tarball without it would compile on install), fails it in CI, where
 * .ci/run builds the prebuilds before npm test.
 */
export function requireHostPrebuild(ctx: Mocha.Context): void {
  if (hasHostPrebuild()) return;
  if (process.env.CI) throw new Error(`no prebuild in ${HOST_PREBUILD_DIR}: .ci/run must run \`npm run prebuild\` before npm test`);
  console.log(`      (skipped: no prebuild in ${path.relative(ROOT, HOST_PREBUILD_DIR)}; run \`npm run prebuild\` first)`);
  ctx.skip();
}

export function run(cmd: string, args: string[], opts: SpawnSyncOptions): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts }) as SpawnSyncReturns<string>;
  if (r.error) throw r.error;
  return r;
}

export function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} failed (exit ${r.status}, signal ${r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

let scratch: string | undefined;
/** One temp directory for the packed tarball and the consumer, removed when the test process exits. */
function scratchDir(): string {
  if (scratch === undefined) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'file-locking-consumer-'));
    scratch = dir;
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  return scratch;
}

let packed: { tarball: string; pack: PackResult } | undefined;
/**
 * `npm pack` of the checkout, once per test run. `--ignore-scripts`:
 * `prepare` (tsc) would recompile dist/, which `npm test` has just done, and
 * `prepack` (the prebuild check) has its own test.
 */
export function packedTarball(): { tarball: string; pack: PackResult } {
  if (packed === undefined) {
    const out = ok(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', scratchDir()], { cwd: ROOT }), 'npm pack');
    const [pack] = JSON.parse(out.slice(out.indexOf('['))) as PackResult[];
    packed = { tarball: path.join(scratchDir(), pack.filename), pack };
  }
  return packed;
}

let consumer: string | undefined;
/**
 * A directory with the tarball installed by npm (runtime dependencies from
 * the npm cache, else the registry) and, for compiling, the repository's
 * @types/node linked in: what `npm install file-locking @types/node` gives.
 */
export function consumerDir(): string {
  if (consumer === undefined) {
    const dir = path.join(scratchDir(), 'consumer');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    ok(run('npm', ['install', packedTarball().tarball, '--prefer-offline', '--no-audit', '--no-fund'], { cwd: dir }), 'npm install of the tarball');
    fs.mkdirSync(path.join(dir, 'node_modules', '@types'), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules', '@types', 'node'), path.join(dir, 'node_modules', '@types', 'node'));
    consumer = dir;
  }
  return consumer;
}

/** The module kinds a consumer project can be. */
export type ProjectKind = 'esm' | 'cjs' | 'bundler';
export const PROJECT_KINDS: readonly ProjectKind[] = ['esm', 'cjs', 'bundler'];

/**
 * A strict TypeScript project of `kind` inside the consumer directory with
 * `files` (name → source), compiled by the repository's tsc; its output is in
 * `<dir>/out`. Returns the project directory; throws tsc's diagnostics.
 */
export function compileProject(kind: ProjectKind, name: string, files: Record<string, string>): string {
  const dir = path.join(consumerDir(), `${kind}-${name}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ private: true, type: kind === 'cjs' ? 'commonjs' : 'module' }));
  const module = kind === 'bundler' ? { module: 'esnext', moduleResolution: 'bundler' } : { module: 'node16', moduleResolution: 'node16' };
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      ...module, target: 'ES2022', lib: ['ES2022', 'ESNext.Disposable'], types: ['node'],
      strict: true, skipLibCheck: false, noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true,
      outDir: 'out', rootDir: '.',
    },
    include: Object.keys(files),
  }, null, 2));
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), text);
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = run(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], { cwd: dir });
  assert.equal(r.status, 0, `tsc (${kind}, ${name}) failed:\n${r.stdout}${r.stderr}`);
  return dir;
}
