import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { YamlParseError, dumpYaml, parseYaml } from '../../lib/yaml';
import {
  CORPUS_DIR, corpusFiles, documents, mismatch, oracle, pythonYamlMissing, rejected, type OracleResult, type Tagged,
} from './pyyaml-oracle';

interface DocOutcome {
  text: string;
  py: OracleResult;
  jsValue?: unknown;
  jsParseError?: unknown;
  jsDump?: string;
  jsDumpError?: unknown;
  pyReload?: OracleResult;
}

describe('YAML: PyYAML parity on the corpus (test/fixtures/yaml-corpus)', function () {
  const outcomes = new Map<string, DocOutcome>();
  const parity = { values: 0, bytes: 0, reverse: 0, rejected: 0 };
  let skipReason: string | null = null;

  before(function () {
    skipReason = pythonYamlMissing();
    if (skipReason) {
      console.log(`      skipped: ${skipReason}`);
      return;
    }
    const texts = corpusFiles.map((f) => fs.readFileSync(path.join(CORPUS_DIR, f), 'utf8'));
    const first = oracle(texts.map((text) => ({ op: 'load_dump', text })));
    corpusFiles.forEach((file, i) => {
      const outcome: DocOutcome = { text: texts[i], py: first[i] };
      try {
        outcome.jsValue = parseYaml(texts[i]);
        try {
          outcome.jsDump = dumpYaml(outcome.jsValue);
        } catch (err) {
          outcome.jsDumpError = err;
        }
      } catch (err) {
        outcome.jsParseError = err;
      }
      outcomes.set(file, outcome);
    });
    // Reverse direction in one more batch: PyYAML reads what Node wrote.
    const reloadFiles = corpusFiles.filter((f) => outcomes.get(f)?.jsDump !== undefined);
    const reloads = oracle(reloadFiles.map((f) => ({ op: 'load', text: outcomes.get(f)?.jsDump as string })));
    reloadFiles.forEach((f, i) => ((outcomes.get(f) as DocOutcome).pyReload = reloads[i]));
  });

  beforeEach(function () {
    if (skipReason) this.skip();
  });

  after(function () {
    if (skipReason) return;
    const n = documents.length;
    console.log(
      `      yaml parity: ${n} documents, values equal ${parity.values}/${n}, bytes identical ${parity.bytes}/${n}, ` +
        `PyYAML reads Node's output back ${parity.reverse}/${n}; rejected by both ${parity.rejected}/${rejected.length}`,
    );
  });

  it('has at least 45 loadable documents and some that PyYAML rejects', function () {
    assert.ok(documents.length >= 45, `only ${documents.length} documents`);
    assert.ok(rejected.length >= 5, `only ${rejected.length} error documents`);
  });

  for (const file of documents) {
    describe(file, function () {
      it('parseYaml gives the value yaml.safe_load gives (type-exact)', function () {
        const o = outcomes.get(file) as DocOutcome;
        assert.ok(o.py.ok, `PyYAML could not load or dump this corpus document: ${o.py.error}`);
        if (o.jsParseError) throw o.jsParseError;
        const m = mismatch(o.jsValue, o.py.value as Tagged);
        assert.equal(m, null, m ?? '');
        parity.values++;
      });

      it('dumpYaml(parseYaml(text)) is byte-identical to yaml.dump(safe_load(text), default_flow_style=False)', function () {
        const o = outcomes.get(file) as DocOutcome;
        assert.ok(o.py.ok, o.py.error);
        if (o.jsParseError) throw o.jsParseError;
        if (o.jsDumpError) throw o.jsDumpError;
        assert.equal(o.jsDump, o.py.dump);
        parity.bytes++;
      });

      it("yaml.safe_load(dumpYaml(value)) equals the value", function () {
        const o = outcomes.get(file) as DocOutcome;
        if (o.jsParseError) throw o.jsParseError;
        if (o.jsDumpError) throw o.jsDumpError;
        const reload = o.pyReload as OracleResult;
        assert.ok(reload.ok, `PyYAML rejected Node's output: ${reload.error}\n${o.jsDump}`);
        const m = mismatch(o.jsValue, reload.value as Tagged);
        assert.equal(m, null, m ?? '');
        parity.reverse++;
      });
    });
  }

  for (const file of rejected) {
    it(`${file}: parseYaml rejects it as yaml.safe_load does`, function () {
      const o = outcomes.get(file) as DocOutcome;
      assert.equal(o.py.ok, false, 'PyYAML accepted a document named error-*');
      assert.equal(o.py.stage, 'load');
      assert.ok(o.jsParseError instanceof YamlParseError, `parseYaml did not throw YamlParseError (PyYAML: ${o.py.error})`);
      parity.rejected++;
    });
  }
});
