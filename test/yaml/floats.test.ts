import * as assert from 'node:assert/strict';
import { YamlFloat, dumpYaml, parseYaml } from '../../lib/yaml';
import { floatBits, mismatch, oracle, skipWithoutPyYaml, toTagged, type Tagged } from './pyyaml-oracle';

// Floats PyYAML writes whose value is integral: inside and beyond 2^53 - 1.
const FLOATS = [1.5e300, -1.5e300, 1e16, 1e17, 1e22, 2 ** 53, 2 ** 53 + 2, 2 ** 60, 123456789012345678, 1.7976931348623157e308,
  12345678901234567890, 5e-324, 0.1];

describe('YAML: floats outside the safe-integer range', function () {
  it('reads 1.5e+300 and 9007199254740992.0 as plain numbers, and 1.0 and 9007199254740991.0 as YamlFloat', () => {
    const v = parseYaml('huge: 1.5e+300\nneg: -1.5e+300\ntwo53: 9007199254740992.0\nsafe: 9007199254740991.0\none: 1.0\n') as Record<string, unknown>;
    assert.equal(v.huge, 1.5e300);
    assert.equal(v.neg, -1.5e300);
    assert.equal(v.two53, 2 ** 53);
    assert.ok(v.safe instanceof YamlFloat && v.safe.value === 2 ** 53 - 1);
    assert.ok(v.one instanceof YamlFloat && v.one.value === 1);
  });

  it('writes a number beyond 2^53 - 1 as the float repr(float) gives, never as a long int', () => {
    assert.equal(dumpYaml({ a: 1.5e300 }), 'a: 1.5e+300\n');
    assert.equal(dumpYaml({ a: 1e16 }), 'a: 1.0e+16\n');
    assert.equal(dumpYaml({ a: 2 ** 53 + 2 }), 'a: 9007199254740994.0\n');
    assert.equal(dumpYaml({ a: 2 ** 53 - 1 }), 'a: 9007199254740991\n');
    assert.equal(dumpYaml({ a: -(2 ** 53) }), 'a: -9007199254740992.0\n');
  });

  describe('against PyYAML', function () {
    skipWithoutPyYaml();

    it('dumpYaml writes these floats byte for byte as yaml.dump, and yaml.safe_load reads them back as the same floats', () => {
      const values = FLOATS.map((x) => ({ a: x, list: [x, -x] }));
      const dumps = values.map((v) => dumpYaml(v));
      const py = oracle([
        ...values.map((v) => ({ op: 'dump' as const, value: toTagged(v) })),
        ...dumps.map((text) => ({ op: 'load' as const, text })),
      ]);
      values.forEach((v, i) => {
        assert.ok(py[i].ok, py[i].error);
        assert.equal(dumps[i], py[i].dump, `${FLOATS[i]}`);
        const reload = py[values.length + i];
        assert.ok(reload.ok, reload.error);
        // the tagged value says float; the comparison insists on the JS type parseYaml gives a float
        assert.equal(mismatch(v, reload.value as Tagged), null, `${FLOATS[i]}`);
      });
    });

    it('what yaml.dump writes for them, parseYaml reads as the same plain number and dumpYaml writes back unchanged', () => {
      const py = oracle(FLOATS.map((x) => ({ op: 'dump' as const, value: { id: 0, map: [['huge', { float: floatBits(x) }]] } as Tagged })));
      py.forEach((r, i) => {
        assert.ok(r.ok, r.error);
        const text = r.dump as string;
        const value = parseYaml(text) as { huge: unknown };
        assert.equal(value.huge, FLOATS[i], text);
        assert.equal(dumpYaml(value), text);
      });
    });
  });
});
