// The two ways keys are resolved beneath the root, side by side: openat2
// (Linux >= 5.6) and the component walk that macOS and older kernels use
// (forced here with strategy 'walk', as FILE_LOCKING_CONFINE=walk does for a
// whole backend). Both must give the same answers.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StorageRoot } from '../../lib/storage/root';
import { native } from '../../lib/native';
import { sandbox } from '../helpers';

function kernelHasOpenat2(): boolean {
  if (native.confine.RESOLVE_BENEATH === 0) return false;
  try {
    fs.closeSync(native.openat2(-100 /* AT_FDCWD */, '.', fs.constants.O_RDONLY | fs.constants.O_DIRECTORY, 0, native.confine.RESOLVE_BENEATH));
    return true;
  } catch {
    return false;
  }
}

describe('key resolution beneath the root: openat2 and the component walk agree', () => {
  const t = sandbox();

  function plant(): string {
    const root = t.file('root');
    fs.mkdirSync(path.join(root, 'a/b'), { recursive: true });
    fs.mkdirSync(t.file('outside'));
    fs.writeFileSync(path.join(root, 'a/b/f.yaml'), '1\n');
    fs.symlinkSync(t.file('outside'), path.join(root, 'esc'));
    fs.symlinkSync('../outside', path.join(root, 'esc-rel'));
    fs.symlinkSync('a/b', path.join(root, 'ab'));
    fs.symlinkSync(path.join(root, 'a'), path.join(root, 'abs-in'));
    fs.symlinkSync('../../..', path.join(root, 'a/b/up'));
    fs.symlinkSync('f.yaml', path.join(root, 'a/b/f-link.yaml'));
    fs.symlinkSync('loop2', path.join(root, 'loop1'));
    fs.symlinkSync('loop1', path.join(root, 'loop2'));
    return root;
  }

  /** Where each key leads: the directory (below the root) and name, or the error code. */
  function outcomes(root: StorageRoot): Record<string, string> {
    const out: Record<string, string> = {};
    for (const key of ['a/b/x.yaml', 'ab/x.yaml', 'abs-in/b/f.yaml', 'a/b/f-link.yaml', 'esc/x.yaml', 'esc-rel/x.yaml',
      'a/b/up/x.yaml', 'loop1/x.yaml', 'missing/x.yaml', 'new/dir/x.yaml']) {
      try {
        const at = root.locate(key, key, { create: key.startsWith('new/'), followLeaf: true });
        if (at === null) {
          out[key] = 'missing';
          continue;
        }
        out[key] = `${path.relative(root.realPath, fs.realpathSync(`/proc/self/fd/${at.dirFd}`)) || '.'}:${at.name}`;
        fs.closeSync(at.dirFd);
      } catch (err) {
        out[key] = (err as { code: string }).code;
      }
    }
    return out;
  }

  it('same outcome for every key: inside symlinks followed, outside ones EOUTSIDE, loops ELOOP, missing directories made only on request', function () {
    if (process.platform !== 'linux') this.skip(); // reads /proc/self/fd to say where a descriptor points
    const dir = plant();
    const expected = {
      'a/b/x.yaml': 'a/b:x.yaml', 'ab/x.yaml': 'a/b:x.yaml', 'abs-in/b/f.yaml': 'a/b:f.yaml', 'a/b/f-link.yaml': 'a/b:f.yaml',
      'esc/x.yaml': 'EOUTSIDE', 'esc-rel/x.yaml': 'EOUTSIDE', 'a/b/up/x.yaml': 'EOUTSIDE', 'loop1/x.yaml': 'ELOOP',
      'missing/x.yaml': 'missing', 'new/dir/x.yaml': 'new/dir:x.yaml',
    };
    const walk = new StorageRoot(dir, 'walk');
    try {
      assert.deepEqual(outcomes(walk), expected);
      assert.equal(walk.lastResolution, 'walk');
    } finally {
      walk.close();
    }
    fs.rmSync(path.join(dir, 'new'), { recursive: true });
    const auto = new StorageRoot(dir, 'auto');
    try {
      assert.deepEqual(outcomes(auto), expected);
      const at = auto.locate('a/b/x.yaml', 'a/b/x.yaml', { create: false, followLeaf: true });
      if (at !== null) fs.closeSync(at.dirFd);
      assert.equal(auto.lastResolution, kernelHasOpenat2() ? 'openat2' : 'walk', 'a plain key takes the fastest way the kernel offers');
    } finally {
      auto.close();
    }
    assert.deepEqual(fs.readdirSync(t.file('outside')), []);
  });
});
