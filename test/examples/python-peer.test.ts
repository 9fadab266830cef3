import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { FileLock, ReadModifyWrite, dumpYaml, parseYaml } from '../../lib';
import { FIXTURES_JS, FIXTURES_SRC, PYTHON, ROOT, hasPython, sandbox, waitForLine } from '../helpers';

const PEER_DIR = path.join(ROOT, 'examples', 'python');
const PEER = path.join(PEER_DIR, 'locked_yaml.py');

/** Runs Python code with the peer importable; returns stdout. */
function python(code: string, args: string[] = [], umask?: number): string {
  const pre = umask === undefined ? '' : `import os; os.umask(${umask});`;
  const r = spawnSync(PYTHON, ['-c', `import sys; sys.path.insert(0, ${JSON.stringify(PEER_DIR)}); ${pre}\n${code}`, ...args],
    { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe('the Python peer (examples/python/locked_yaml.py) beside Node workers', function () {
  this.timeout(120_000);
  const t = sandbox();
  before(function () { if (!hasPython(true)) this.skip(); });

  it('is one small file that imports nothing but the standard library and PyYAML', () => {
    const text = fs.readFileSync(PEER, 'utf8');
    const lines = text.trimEnd().split('\n').length;
    assert.ok(lines <= 120, `${lines} lines`);
    const imports = [...text.matchAll(/^(?:import|from) (\w+)/gm)].map((m) => m[1]).sort();
    assert.deepEqual(imports, ['contextlib', 'copy', 'fcntl', 'os', 'tempfile', 'time', 'yaml']);
  });

  for (const mode of [0o644, 0o640]) {
    it(`3 Node ReadModifyWrite workers and 2 Python peers share one file: no lost or doubled update, mode 0${mode.toString(8)} kept`, async () => {
      const file = t.file('state.yaml');
      const perWorker = 30;
      const names = ['node-a', 'node-b', 'node-c', 'py-a', 'py-b'];
      const total = perWorker * names.length;
      fs.writeFileSync(file, dumpYaml({ counter: 0, queue: Array.from({ length: total }, (_, i) => i + 1), done: [] }));
      fs.chmodSync(file, mode);
      const workers: ChildProcess[] = names.map((name) => (name.startsWith('node')
        ? t.spawn(process.execPath, [path.join(FIXTURES_JS, 'peer_queue_worker.js'), file, String(perWorker), name])
        : t.spawn(PYTHON, [path.join(FIXTURES_SRC, 'peer_queue_worker.py'), PEER_DIR, file, String(perWorker), name])));
      await Promise.all(workers.map((w) => waitForLine(w, /^ready/)));
      const results = workers.map((w) => waitForLine(w, /^done/, 100_000));
      for (const w of workers) w.stdin?.end('go\n');
      const popped = (await Promise.all(results)).map((line) => line.slice(5).split(',').filter(Boolean).map(Number));
      for (const w of workers) if (w.exitCode === null) await once(w, 'exit');

      const text = fs.readFileSync(file, 'utf8');
      const state = parseYaml(text) as { counter: number; queue: number[]; done: string[] };
      assert.equal(state.counter, total, 'lost increments');
      assert.deepEqual(state.queue, []);
      // Every item popped exactly once, by the worker that says it popped it.
      const all = popped.flat().sort((a, b) => a - b);
      assert.deepEqual(all, Array.from({ length: total }, (_, i) => i + 1));
      const inFile = new Map(state.done.map((d) => d.split(':') as [string, string]));
      assert.equal(inFile.size, total, 'an item done twice');
      popped.forEach((items, i) => { for (const item of items) assert.equal(inFile.get(String(item)), names[i]); });
      assert.equal(fs.statSync(file).mode & 0o7777, mode);
      // Whoever wrote last, the bytes are the same: PyYAML's dump and dumpYaml agree.
      assert.equal(text, dumpYaml(state));
      assert.deepEqual(fs.readdirSync(t.dir).sort(), ['state.yaml', 'state.yaml.lock'], 'a temp file left behind');
    });
  }

  it('writes byte for byte what dumpYaml writes, and leaves Node-written bytes unchanged on an identity update', async () => {
    const file = t.file('rich.yaml');
    const rich = {
      id: '007', on: 'yes', n: 7, ratio: 0.5, big: 12345678901234, none: null, when: '2024-01-02', text: 'two\nlines',
      'key with: colon': [1, 'two', { three: [] }], unicode: 'café ✓', empty: {}, list: [[1, 2], []], flag: true,
    };
    python('import json, sys\nfrom locked_yaml import update_yaml\nupdate_yaml(sys.argv[1], lambda d: json.loads(sys.argv[2]), initial={})',
      [file, JSON.stringify(rich)]);
    const written = fs.readFileSync(file, 'utf8');
    assert.equal(written, dumpYaml(rich));
    assert.deepEqual(parseYaml(written), rich);

    const nodeFile = t.file('node.yaml');
    await new ReadModifyWrite(nodeFile, undefined, { initial: {} }).execute(() => rich);
    const before = fs.readFileSync(nodeFile);
    python('import sys\nfrom locked_yaml import update_yaml\nupdate_yaml(sys.argv[1], lambda d: d)', [nodeFile]);
    assert.deepEqual(fs.readFileSync(nodeFile), before);
    assert.equal(python('import sys\nfrom locked_yaml import read_yaml\nprint(read_yaml(sys.argv[1])["id"])', [nodeFile]), '007\n');
  });

  it('a new file gets 0666 minus the umask, as Node makes it; a failing update leaves the file as it was', () => {
    const file = t.file('new.yaml');
    python('import sys\nfrom locked_yaml import update_yaml\nupdate_yaml(sys.argv[1], lambda d: {"a": 1}, initial={})', [file], 0o027);
    assert.equal(fs.statSync(file).mode & 0o777, 0o640);
    const out = python([
      'import sys', 'from locked_yaml import update_yaml',
      'def boom(d):', '    d["a"] = 2', '    raise ValueError("no")',
      'try:', '    update_yaml(sys.argv[1], boom)', 'except ValueError:', '    print("raised")',
    ].join('\n'), [file]);
    assert.equal(out, 'raised\n');
    assert.equal(fs.readFileSync(file, 'utf8'), 'a: 1\n');
  });

  it('waits for a Node holder, and gives up with LockTimeout after `timeout` seconds while Node holds the lock', async () => {
    const file = t.file('held.yaml');
    fs.writeFileSync(file, 'a: 1\n');
    const h = await new FileLock(`${file}.lock`).acquire('exclusive');
    try {
      const out = python([
        'import sys', 'from locked_yaml import update_yaml, LockTimeout',
        'try:', '    update_yaml(sys.argv[1], lambda d: {"a": 2}, timeout=0.2)', 'except LockTimeout as e:', '    print("timeout", e)',
      ].join('\n'), [file]);
      assert.match(out, /^timeout .*held\.yaml\.lock not granted within 0\.2 s/);
      assert.equal(fs.readFileSync(file, 'utf8'), 'a: 1\n');
    } finally {
      h.release();
    }
  });
});
