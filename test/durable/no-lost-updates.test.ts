import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { dumpYaml, parseYaml } from '../../lib';
import { FIXTURES_JS, FIXTURES_SRC, PYTHON, hasPython, sandbox, waitForLine } from '../helpers';

// Four Node processes (ReadModifyWrite, execute and executeSync in turn) and
// two Python processes (the plan's read-modify-write shape with
// fcntl.flock on F.lock, PyYAML and os.replace) increment one YAML counter
// at the same time. Every update must survive: the counter is exact, and the
// log holds each update's tag exactly once, in each process's own order.

const NODE_PROCS = 4;
const PY_PROCS = 2;
const N = 60;

interface Counter { counter: number; log: string[] }

describe('lost updates: Node and Python agents incrementing one YAML counter', function () {
  this.timeout(180_000);
  const t = sandbox();

  it(`${NODE_PROCS} Node + ${PY_PROCS} Python processes x ${N} increments: the counter is exact and every update is in the log once`, async function () {
    const withPython = hasPython(true);
    if (!withPython) console.log(`      note: ${PYTHON} with PyYAML not found; running the Node processes only`);
    const file = t.file('counter.yaml');
    fs.writeFileSync(file, dumpYaml({ counter: 0, log: [] }));

    const agents: { child: ChildProcess; name: string }[] = [];
    for (let i = 0; i < NODE_PROCS; i++) {
      const name = `node${i}`;
      agents.push({ name, child: t.spawn(process.execPath, [path.join(FIXTURES_JS, 'rel_counter.js'), file, String(N), name]) });
    }
    for (let i = 0; withPython && i < PY_PROCS; i++) {
      const name = `py${i}`;
      agents.push({ name, child: t.spawn(PYTHON, [path.join(FIXTURES_SRC, 'rel_py_counter.py'), file, String(N), name]) });
    }
    await Promise.all(agents.map((a) => waitForLine(a.child, /^ready$/)));
    const started = performance.now();
    const done = agents.map((a) => waitForLine(a.child, /^done \d+$/, 150_000));
    for (const a of agents) a.child.stdin?.write('go\n');
    await Promise.all(done);
    const seconds = (performance.now() - started) / 1000;

    const expected = agents.length * N;
    const text = fs.readFileSync(file).toString('utf8');
    const data = parseYaml(text) as Counter;
    console.log(`      ${expected} updates by ${agents.length} processes in ${seconds.toFixed(1)} s; counter = ${data.counter}, lost = ${expected - data.counter}`);
    assert.equal(data.counter, expected, `lost ${expected - data.counter} updates`);
    assert.equal(data.log.length, expected);
    assert.equal(new Set(data.log).size, expected, 'an update was applied twice');
    for (const a of agents) {
      const own = data.log.filter((e) => e.startsWith(`${a.name}-`));
      assert.deepEqual(own, Array.from({ length: N }, (_, i) => `${a.name}-${i}`), `${a.name}'s updates are missing or out of order`);
    }
    // Whoever wrote last, the bytes are PyYAML's: Node's dumpYaml and yaml.dump agree.
    assert.equal(text, dumpYaml(data));
    if (withPython) {
      const py = spawnSync(PYTHON, ['-c', 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); sys.stdout.write(yaml.dump(d, default_flow_style=False))', file]);
      assert.equal(py.status, 0, py.stderr.toString());
      assert.equal(py.stdout.toString(), text);
    }
    const leftovers = fs.readdirSync(t.dir).filter((n) => n !== 'counter.yaml' && n !== 'counter.yaml.lock');
    assert.deepEqual(leftovers, [], 'temp files left behind');
  });
});
