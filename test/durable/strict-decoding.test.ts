import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { FileSystemBackend, ReadModifyWrite, SafeFileReader } from '../../lib';
import { sandbox } from '../helpers';

// Issue #14: bytes that are not UTF-8 were read as U+FFFD and written back,
// destroying them while the update reported success. PyYAML refuses them.
describe('strict decoding: invalid bytes are refused with their offset, and the file is left byte for byte', () => {
  const t = sandbox();
  const BAD = Buffer.from([0x61, 0x3a, 0x20, 0xff, 0xfe, 0x0a]); // "a: " ff fe "\n"

  const refused = (file: string) => (err: unknown): true => {
    const e = err as { name: string; code: string; path: string; message: string };
    assert.equal(e.name, 'FileLockingError');
    assert.equal(e.code, 'EDECODE', e.message);
    assert.equal(e.path, file);
    assert.match(e.message, /at byte offset 3 \(0xff\)/);
    return true;
  };

  it('ReadModifyWrite.execute and executeSync refuse ff fe: EDECODE at offset 3, modifyFn never runs, the bytes stay', async () => {
    const file = t.file('q.yaml');
    fs.writeFileSync(file, BAD);
    let ran = 0;
    await assert.rejects(new ReadModifyWrite(file).execute((d) => { ran++; return d; }), refused(file));
    assert.throws(() => new ReadModifyWrite(file).executeSync((d) => { ran++; return d; }), refused(file));
    assert.equal(ran, 0);
    assert.deepEqual(fs.readFileSync(file), BAD);
  });

  it('SafeFileReader.read, readYaml, readSync and the storage backend refuse it too', async () => {
    const file = t.file('s.yaml');
    fs.writeFileSync(file, BAD);
    const reader = new SafeFileReader(file);
    await assert.rejects(reader.read(), refused(file));
    await assert.rejects(reader.readYaml(), refused(file));
    assert.throws(() => reader.readSync(), refused(file));
    await assert.rejects(new FileSystemBackend(t.dir).update('s.yaml', (d) => d), { code: 'EDECODE' });
    assert.deepEqual(fs.readFileSync(file), BAD);
  });

  it('UTF-16 LE and BE with a BOM, and UTF-8 with a BOM, are read as PyYAML reads them: { a: 1 }', async () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a: 1\n', 'utf16le')]);
    const be = Buffer.from(le).swap16();
    const u8 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a: 1\n')]);
    for (const [name, bytes] of [['le', le], ['be', be], ['u8', u8]] as const) {
      const file = t.file(`${name}.yaml`);
      fs.writeFileSync(file, bytes);
      assert.deepEqual(await new SafeFileReader(file).readYaml(), { a: 1 }, name);
      assert.deepEqual(new ReadModifyWrite(file).executeSync((d) => d), { a: 1 }, name);
    }
  });
});
