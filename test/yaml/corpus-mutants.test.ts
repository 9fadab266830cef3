import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { YamlParseError, dumpYaml, parseYaml } from '../../lib/yaml';
import { CORPUS_DIR, documents, hashOrdered, mismatch, oracle, skipWithoutPyYaml, type Job, type Tagged } from './pyyaml-oracle';
import { mulberry32, mutate } from './random-values';

describe('YAML: PyYAML parity on corrupted corpus documents', function () {
  skipWithoutPyYaml();

  // YAML_FUZZ_MUTANTS raises the count for a longer local hunt.
  const mutantCount = Number(process.env.YAML_FUZZ_MUTANTS ?? 400);

  it(`agrees with PyYAML on ${mutantCount} corrupted corpus documents: same rejection, or same value and bytes`, function () {
    const sources = documents.map((f) => fs.readFileSync(path.join(CORPUS_DIR, f), 'utf8'));
    const mutants = Array.from({ length: mutantCount }, (_, i) => mutate(sources[i % sources.length], mulberry32(5000 + i)));
    const py = oracle(mutants.map((text): Job => ({ op: 'load_dump', text })));
    let compared = 0;
    mutants.forEach((text, i) => {
      const label = `mutant #${i} (seed ${5000 + i}) ${JSON.stringify(text).slice(0, 300)}`;
      let value: unknown;
      try {
        value = parseYaml(text);
      } catch (err) {
        assert.ok(err instanceof YamlParseError, `${label}: ${String(err)}`);
        assert.equal(py[i].ok, false, `${label}: parseYaml threw ${(err as Error).message} but PyYAML loaded it`);
        return;
      }
      assert.ok(py[i].ok, `${label}: PyYAML rejected it (${py[i].error}) but parseYaml accepted it`);
      if (hashOrdered(py[i].value as Tagged)) return;
      const m = mismatch(value, py[i].value as Tagged);
      assert.equal(m, null, `${label}: ${m}`);
      assert.equal(dumpYaml(value), py[i].dump, label);
      compared++;
    });
    assert.ok(compared > mutantCount / 4, `only ${compared} mutants were loadable`);
  });
});
