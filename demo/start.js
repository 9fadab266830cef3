#!/usr/bin/env node
'use strict';
/**
 * `npm start`: runs the compiled demo, compiling TypeScript first only when a
 * source is newer than the compiled demo (tsc takes seconds; `npm start --
 * --help` should not). Plain JavaScript, because it runs before any build.
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');

/** The first input of the build newer than `dist/demo/demo.js` (or the missing output itself), else null. */
function staleSource(root) {
  const output = path.join(root, 'dist', 'demo', 'demo.js');
  let built;
  try {
    built = fs.statSync(output).mtimeMs;
  } catch {
    return output;
  }
  const inputs = [path.join(root, 'tsconfig.json'), path.join(root, 'package.json')];
  for (const dir of ['lib', 'demo']) {
    const base = path.join(root, dir);
    if (!fs.existsSync(base)) continue;
    for (const e of fs.readdirSync(base, { withFileTypes: true, recursive: true })) {
      if (e.isFile() && e.name.endsWith('.ts')) inputs.push(path.join(e.parentPath ?? e.path, e.name));
    }
  }
  return inputs.find((f) => fs.existsSync(f) && fs.statSync(f).mtimeMs > built) ?? null;
}

if (require.main === module) {
  const stale = staleSource(ROOT);
  if (stale !== null) {
    const why = stale === path.join(ROOT, 'dist', 'demo', 'demo.js') ? 'no build yet' : `${path.relative(ROOT, stale)} is newer than the build`;
    process.stderr.write(`npm start: compiling TypeScript (${why})\n`);
    const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.json')],
      { stdio: 'inherit' });
    if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  }
  require(path.join(ROOT, 'dist', 'demo', 'demo.js'));
}

module.exports = { staleSource };
