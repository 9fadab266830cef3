// Every example in README.md runs, as a user would run it: TypeScript against
// the packed tarball (ESM, CommonJS, moduleResolution "bundler"; strict,
// skipLibCheck false), the shell example with the tarball's `file-locking`
// on PATH, the Python example with examples/python/locked_yaml.py. A fenced
// block with a language (ts, sh, python) is an example; one without (or
// `text`) is output or a synopsis. An example this file has no runner for
// fails the suite, so a new README example cannot go untested.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PYTHON, ROOT, hasPython, sandbox } from '../helpers';
import { PROJECT_KINDS, compileProject, consumerDir, ok, requireHostPrebuild, run, type ProjectKind } from '../helpers/consumer';

interface Block { lang: string; code: string; line: number; section: string }

/** The fenced blocks of README.md with the heading they sit under. */
function readmeBlocks(): Block[] {
  const lines = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n');
  const blocks: Block[] = [];
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const heading = /^#{1,4} (.*)/.exec(lines[i]);
    if (heading) section = heading[1];
    const fence = /^```(\w*)$/.exec(lines[i]);
    if (!fence) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]);
    blocks.push({ lang: fence[1], code: body.join('\n') + '\n', line: start + 1, section });
  }
  return blocks;
}

/** The same example as a CommonJS module: imports on top, the rest in an async main (no top-level await there). */
function asCommonJs(code: string): string {
  const lines = code.split('\n');
  const imports = lines.filter((l) => l.startsWith('import '));
  const body = lines.filter((l) => !l.startsWith('import '));
  return [...imports, 'async function main(): Promise<void> {', ...body, '}',
    'main().catch((err: unknown) => { console.error(err); process.exitCode = 1; });', ''].join('\n');
}

const EXAMPLES = readmeBlocks().filter((b) => b.lang !== '' && b.lang !== 'text');

describe('README examples run as written', function () {
  this.timeout(120_000);
  const t = sandbox();

  it('every example in README.md has a runner here', () => {
    const known = new Set(['file-locking/sh', 'Quick tour/ts', 'Command line/sh', 'Python peers/python']);
    const unknown = EXAMPLES.filter((b) => !known.has(`${b.section}/${b.lang}`));
    assert.deepEqual(unknown.map((b) => `README.md:${b.line} (${b.section}, ${b.lang})`), []);
    assert.equal(EXAMPLES.length, known.size, 'one example per section and language');
  });

  it('the opening commands are the ones .ci/run and the demo test run: `npm install && npm start`, `npm test`', () => {
    const [first] = EXAMPLES;
    assert.equal(first.section, 'file-locking');
    const commands = first.code.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
    assert.deepEqual(commands, ['npm install && npm start', 'npm test']);
    const ci = fs.readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8');
    assert.match(ci, /^npm test$/m, '.ci/run ends with the README\'s test command');
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts.start, 'node demo/start.js', 'test/packaging/demo-runs.test.ts runs what npm start runs');
  });

  describe('Quick tour (TypeScript, against the packed tarball)', () => {
    before(function () {
      this.timeout(300_000);
      requireHostPrebuild(this);
      consumerDir();
    });

    const tour = EXAMPLES.find((b) => b.section === 'Quick tour');
    for (const kind of PROJECT_KINDS) {
      it(`compiles strict (${kind}) and runs to the end: the queue, state, status and event files hold what it wrote`, () => {
        assert.ok(tour, 'README.md has a Quick tour example');
        const source = kind === 'cjs' ? asCommonJs(tour.code) : tour.code;
        const project = compileProject(kind as ProjectKind, 'quick-tour', { 'quick-tour.ts': source });
        // A fresh working directory: the tour's relative paths land there.
        const out = ok(run(process.execPath, [path.join(project, 'out', 'quick-tour.js')], { cwd: t.dir, timeout: 20_000 }), `quick tour (${kind})`);
        assert.equal(out.trim(), '7 done');
        assert.equal(fs.readFileSync(t.file('queue.yaml'), 'utf8'), 'tasks:\n- id: 7\n  status: claimed\n');
        assert.equal(fs.readFileSync(t.file('state.yaml'), 'utf8'), 'phase: done\n');
        assert.equal(fs.readFileSync(t.file('agents/status.yaml'), 'utf8'), 'runs: 1\n');
        const events = fs.readFileSync(t.file('agents/events.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { task: number });
        assert.deepEqual(events.map((e) => e.task), [7]);
      });
    }
  });

  describe('Command line (sh, with the tarball\'s file-locking on PATH)', () => {
    before(function () {
      this.timeout(300_000);
      requireHostPrebuild(this);
      consumerDir();
    });

    it('runs under bash -e and leaves the files its comments describe', () => {
      const example = EXAMPLES.find((b) => b.section === 'Command line');
      assert.ok(example);
      fs.writeFileSync(t.file('example.sh'), example.code);
      const env = { ...process.env, PATH: `${path.join(consumerDir(), 'node_modules', '.bin')}${path.delimiter}${process.env.PATH ?? ''}` };
      const r = run('bash', ['-e', 'example.sh'], { cwd: t.dir, env, timeout: 30_000 });
      const out = ok(r, 'the README shell example');
      const lines = out.trim().split('\n');
      assert.deepEqual(lines.slice(0, 5), ['one nightly run at a time', 'waited at most 5 s', "id: '007'", "'on': true", 'runs: 1']);
      assert.match(lines[5], /^job\.lock: held exclusive flock pid \d+$/);
      assert.equal(fs.readFileSync(t.file('state.yaml'), 'utf8'), 'phase: done\n');
    });
  });

  describe('Python peers (python, with examples/python on the path)', () => {
    it('updates status.yaml under the shared lock protocol and prints it', function () {
      if (!hasPython(true)) this.skip();
      const example = EXAMPLES.find((b) => b.section === 'Python peers');
      assert.ok(example);
      fs.writeFileSync(t.file('example.py'), example.code);
      const env = { ...process.env, PYTHONPATH: path.join(ROOT, 'examples', 'python') };
      const out = ok(run(PYTHON, ['example.py'], { cwd: t.dir, env, timeout: 30_000 }), 'the README Python example');
      assert.equal(out.trim(), "{'runs': 1}");
      assert.equal(fs.readFileSync(t.file('status.yaml'), 'utf8'), 'runs: 1\n');
      assert.ok(fs.existsSync(t.file('status.yaml.lock')), 'it locked status.yaml.lock, the Node side\'s lock file');
    });
  });
});
