// The published types, as a strict TypeScript user compiles them: the packed
// tarball installed with npm, `skipLibCheck: false`, in an ESM (node16), a
// CommonJS (node16) and a bundler project. test/fixtures/consumer/types-check.ts
// states the facts (PYYAML_SCHEMA typed, `initial` not inferred, error code
// unions); the README's TypeScript runs in test/examples/readme.test.ts.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES_SRC } from '../helpers';
import { PROJECT_KINDS, compileProject, consumerDir, ok, requireHostPrebuild, run } from '../helpers/consumer';

function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).map((f) => path.join(dir, f));
}

describe('the published types compile in strict consumer projects (skipLibCheck: false)', function () {
  this.timeout(120_000);

  before(function () {
    this.timeout(300_000);
    requireHostPrebuild(this);
    consumerDir();
  });

  const source = fs.readFileSync(path.join(FIXTURES_SRC, 'consumer', 'types-check.ts'), 'utf8');
  for (const kind of PROJECT_KINDS) {
    it(`${kind}: every type fact in types-check.ts holds, js-yaml's types included`, () => {
      compileProject(kind, 'types', { 'types-check.ts': source });
    });
  }

  // ESM only: TypeScript's CommonJS output reads `exports.default` from a
  // module marked __esModule, which a TypeScript-compiled package (this one)
  // does not have; use named imports or `import * as` there.
  for (const kind of ['esm', 'bundler'] as const) {
    it(`${kind}: the default import is the exports object at run time too, as the types say`, () => {
      const project = compileProject(kind, 'default-import', {
        'default-import.ts': "import fileLocking, { FileLock } from 'file-locking';\n" +
          'console.log(JSON.stringify([fileLocking.FileLock === FileLock, typeof fileLocking.parseYaml]));\n',
      });
      const out = ok(run(process.execPath, [path.join(project, 'out', 'default-import.js')], { cwd: project }), `default import (${kind})`);
      assert.equal(out.trim(), '[true,"function"]');
    });
  }

  it('the installed declarations hold no @internal helper and depend on no devDependency', () => {
    const pkgDir = path.join(consumerDir(), 'node_modules', 'file-locking');
    const dts = filesUnder(path.join(pkgDir, 'dist', 'lib')).filter((f) => f.endsWith('.d.ts'));
    assert.ok(dts.length > 10, `declarations shipped: ${dts.length}`);
    const internal = dts.filter((f) => fs.readFileSync(f, 'utf8').includes('@internal'));
    assert.deepEqual(internal.map((f) => path.relative(pkgDir, f)), []);
    const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const imported = new Set<string>();
    for (const f of dts) {
      for (const m of fs.readFileSync(f, 'utf8').matchAll(/from '([^.'][^']*)'/g)) imported.add(m[1].startsWith('@') ? m[1].split('/').slice(0, 2).join('/') : m[1].split('/')[0]);
    }
    for (const name of imported) {
      if (name.startsWith('node:')) continue;
      const types = name.startsWith('@types/') ? name : `@types/${name}`;
      assert.ok(name in pkg.dependencies || types in pkg.dependencies, `the declarations import '${name}', which is not a dependency (nor ${types})`);
    }
  });

  it('the tarball ships no source maps that point at sources it does not ship', () => {
    const pkgDir = path.join(consumerDir(), 'node_modules', 'file-locking');
    assert.deepEqual(filesUnder(pkgDir).filter((f) => f.endsWith('.map')).map((f) => path.relative(pkgDir, f)), []);
  });
});
