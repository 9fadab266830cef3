import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../helpers';

// The layout is the architecture (README, "Architecture"): these rules keep it so.
const LIB = path.join(ROOT, 'lib');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

/** The lib files a source file imports (relative imports and requires only). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom|\brequire(?:\.resolve)?\(|\bimport\() ?'(\.{1,2}\/[^']*)'/g)) {
    const base = path.resolve(path.dirname(file), m[1]);
    const hit = [`${base}.ts`, path.join(base, 'index.ts')].find((c) => fs.existsSync(c));
    if (hit !== undefined) out.push(hit);
  }
  return out;
}

/** Which room a lib file belongs to. */
function roomOf(file: string): string {
  const rel = path.relative(LIB, file);
  return rel.includes(path.sep) ? rel.split(path.sep)[0] : rel.replace(/\.ts$/, '');
}

// Who may import whom: each room, the rooms and modules below it.
const MAY_IMPORT: Record<string, readonly string[]> = {
  index: ['*'],
  cli: ['storage', 'durable', 'lock', 'yaml', 'native', 'errors', 'options'],
  storage: ['durable', 'lock', 'yaml', 'native', 'errors', 'options'],
  durable: ['lock', 'yaml', 'native', 'errors', 'options'],
  lock: ['native', 'errors', 'options'],
  yaml: [],
  native: ['errors'],
  options: ['errors'],
  errors: [],
};

describe('architecture: lib/ in rooms, arrows one way', () => {
  const files = sources(LIB);
  const graph = new Map(files.map((f) => [f, importsOf(f)]));

  it('no import circles anywhere in lib/', () => {
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (f: string, stack: string[]): void => {
      state.set(f, 'open');
      for (const d of graph.get(f) ?? []) {
        if (state.get(d) === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d].map((x) => path.relative(LIB, x)).join(' → '));
        else if (!state.has(d)) visit(d, [...stack, d]);
      }
      state.set(f, 'done');
    };
    for (const f of files) if (!state.has(f)) visit(f, [f]);
    assert.deepEqual(cycles, []);
  });

  it('rooms import only what lies below them: cli/backend → durable → lock → native; yaml uses nothing else', () => {
    const wrong: string[] = [];
    for (const [f, deps] of graph) {
      const from = roomOf(f);
      const allowed = MAY_IMPORT[from];
      assert.ok(allowed !== undefined, `${path.relative(LIB, f)} is in no known room (${from})`);
      for (const d of deps) {
        const to = roomOf(d);
        if (to !== from && !allowed.includes('*') && !allowed.includes(to)) wrong.push(`${path.relative(LIB, f)} → ${path.relative(LIB, d)}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('only lib/native.ts loads the addon, and every error class is defined in lib/errors.ts', () => {
    for (const f of files) {
      const text = fs.readFileSync(f, 'utf8');
      if (f !== path.join(LIB, 'native.ts')) assert.doesNotMatch(text, /node-gyp-build|require\([^)]*\.node['"]\)/, path.relative(LIB, f));
      if (f !== path.join(LIB, 'errors.ts') && roomOf(f) !== 'yaml' && roomOf(f) !== 'cli') {
        assert.doesNotMatch(text, /class \w+ extends (Error|TypeError|RangeError)\b/, path.relative(LIB, f));
        assert.doesNotMatch(text, /new (FileLockingError|LockError)\(/, `${path.relative(LIB, f)} builds an error itself; use a builder in errors.ts`);
      }
    }
  });
});
