import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { AtomicFileWriter, FileLockingError, FileSystemBackend, ReadModifyWrite, SafeFileReader, dumpYaml } from '../../lib';
import { PYTHON, hasPython } from '../helpers';
import { badInputSandbox, ORIGINAL, assertIntact, assertNoTemp, assertLockFree, fileError } from '../helpers/bad-input';

describe('bad input: a clear error naming the path and cause, the original byte-identical, no temp file left', function () {
  this.timeout(60_000);
  const { t, seed } = badInputSandbox();

  describe('parse, modify and serialize errors', () => {
    it('invalid YAML: execute and executeSync fail with EPARSE naming the file, the parser error as cause, and modifyFn is never called', async () => {
      const bad = 'counter: [1, 2\nname: x\n';
      const file = seed(bad);
      let called = 0;
      const rmw = new ReadModifyWrite(file);
      await assert.rejects(rmw.execute(() => { called++; }), fileError(file, 'EPARSE'));
      assert.throws(() => rmw.executeSync(() => { called++; }), fileError(file, 'EPARSE'));
      await assert.rejects(rmw.execute(() => { called++; }), (err: FileLockingError) => /line \d+|column \d+/.test(String((err.cause as Error).message)));
      assert.equal(called, 0);
      assertIntact(file, bad);
      assertNoTemp(t.dir);
      assertLockFree(`${file}.lock`);
    });

    it('invalid YAML: SafeFileReader.readYaml and readYamlSync fail with EPARSE naming the file; read() still returns the text', async () => {
      const bad = 'a: "unterminated\n';
      const file = seed(bad);
      const reader = new SafeFileReader(file);
      await assert.rejects(reader.readYaml(), fileError(file, 'EPARSE'));
      assert.throws(() => reader.readYamlSync(), fileError(file, 'EPARSE'));
      assert.equal(await reader.read(), bad);
      assertLockFree(`${file}.lock`);
    });

    it('modifyFn throws: the very same error object propagates (execute, executeSync, async modifyFn), unwrapped', async () => {
      const file = seed();
      const rmw = new ReadModifyWrite(file);
      const boom = new RangeError('boom');
      await assert.rejects(rmw.execute(() => { throw boom; }), (err) => err === boom);
      await assert.rejects(rmw.execute(async () => { await Promise.resolve(); throw boom; }), (err) => err === boom);
      assert.throws(() => rmw.executeSync(() => { throw boom; }), (err) => err === boom);
      const notAnError = { reason: 'thrown object' };
      await assert.rejects(rmw.execute(() => { throw notAnError; }), (err) => err === notAnError);
      assertIntact(file, ORIGINAL);
      assertNoTemp(t.dir);
      assertLockFree(`${file}.lock`);
    });

    it('the serializer throws: ESERIALIZE naming the file, with the thrown error as cause', async () => {
      const file = seed();
      const rmw = new ReadModifyWrite(file);
      const boom = new Error('serializer broke');
      const bad = (): string => { throw boom; };
      await assert.rejects(rmw.execute((d) => d, undefined, bad), (err) => fileError(file, 'ESERIALIZE')(err) && (err as Error).cause === boom);
      assert.throws(() => rmw.executeSync((d) => d, undefined, bad), (err) => fileError(file, 'ESERIALIZE')(err) && (err as Error).cause === boom);
      // A serializer returning neither a string nor bytes is caught too.
      await assert.rejects(rmw.execute((d) => d, undefined, () => 42 as unknown as string), fileError(file, 'ESERIALIZE'));
      assertIntact(file, ORIGINAL);
      assertNoTemp(t.dir);
      assertLockFree(`${file}.lock`);
    });

    it('a value that cannot be serialized (a function, a symbol): ESERIALIZE naming the file; the cause says what and where', async () => {
      const file = seed();
      const rmw = new ReadModifyWrite<Record<string, unknown>>(file);
      await assert.rejects(rmw.execute((d) => ({ ...d, callback: () => 1 })),
        (err) => fileError(file, 'ESERIALIZE')(err) && /function.*callback/.test((err as Error).message));
      assert.throws(() => rmw.executeSync((d) => ({ ...d, nested: { list: [1, Symbol('s')] } })),
        (err) => fileError(file, 'ESERIALIZE')(err) && /symbol/.test((err as Error).message));
      // The storage backend says the same.
      const backend = new FileSystemBackend(t.dir);
      await assert.rejects(backend.write('data.yaml', { f: () => 1 }), fileError(file, 'ESERIALIZE'));
      assertIntact(file, ORIGINAL);
      assertNoTemp(t.dir);
      assertLockFree(`${file}.lock`);
    });

    it('AtomicFileWriter given data that is neither text, bytes nor a function: a TypeError saying what data must be, nothing written', async () => {
      const file = seed();
      const writer = new AtomicFileWriter(file);
      await assert.rejects(writer.write({ counter: 1 } as unknown as string), { name: 'TypeError', message: /data must be a string or a Uint8Array/ });
      assert.throws(() => writer.writeSync(null as unknown as string), { name: 'TypeError', message: /got null/ });
      assertIntact(file, ORIGINAL);
      assertNoTemp(t.dir);
    });

    it('a cycle is serializable, as in PyYAML: written with an anchor and an alias, it reads back as the same cycle', async () => {
      const file = seed();
      const written = await new ReadModifyWrite<Record<string, unknown>>(file).execute((d) => {
        const node: Record<string, unknown> = { name: 'loop' };
        node.self = node;
        return { ...d, node };
      }) as Record<string, unknown>;
      const text = fs.readFileSync(file, 'utf8');
      assert.equal(text, 'counter: 41\nname: original\nnode: &id001\n  name: loop\n  self: *id001\n');
      assert.equal(text, dumpYaml(written));
      const back = await new SafeFileReader(file).readYaml<{ node: { self: unknown } }>();
      assert.equal(back.node.self, back.node, 'the alias reads back as the same object');
      if (hasPython(true)) {
        const py = spawnSync(PYTHON, ['-c', 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); print(d["node"]["self"] is d["node"]); sys.stdout.write(yaml.dump(d, default_flow_style=False))', file], { encoding: 'utf8' });
        assert.equal(py.stdout, `True\n${text}`, py.stderr);
      }
      assertNoTemp(t.dir);
    });
  });
});
